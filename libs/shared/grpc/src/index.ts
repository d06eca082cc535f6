export { grpcServiceDefinition, grpcPackageDefinition } from './service-definition';
export { createGrpcClient, type GrpcClient, type CallOptions } from './grpc-client';
export { grpcStatusFor, toGrpcError, fromGrpcError } from './grpc-status.mapper';
export { grpcMicroserviceOptions, createHealth, whileCallOpen, remainingDeadlineMs, type RawServerStreamHandler } from './grpc-server';
export { GrpcExceptionFilter, grpcErrorFor } from './grpc-exception.filter';
export { startGrpcApp, closeOnSignals, listenHostOf, type RunningGrpcApp } from './grpc-app';
export { grpcServerInternalAuth, internalAuthValue, internalTokenEnvShape, INTERNAL_AUTH_METADATA_KEY } from './internal-auth';
