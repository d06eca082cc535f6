export { grpcServiceDefinition, grpcPackageDefinition } from './service-definition';
export { createGrpcClient, type GrpcClient, type CallOptions } from './grpc-client';
export { grpcStatusFor, toGrpcError, fromGrpcError } from './grpc-status.mapper';
export { grpcMicroserviceOptions, createHealth, callAbortSignal, remainingDeadlineMs } from './grpc-server';
export { GrpcExceptionFilter } from './grpc-exception.filter';
export { startGrpcApp, closeOnSignals, type RunningGrpcApp } from './grpc-app';
