import type { DescService } from '@bufbuild/protobuf';
import type { Server, ServerUnaryCall } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { grpcPackageDefinition } from './service-definition';

/** The standard gRPC health service (grpc.health.v1) for the given services, all SERVING once started. */
export function createHealth(services: DescService[]): HealthImplementation {
  return new HealthImplementation(Object.fromEntries([['', 'SERVING'], ...services.map((s) => [s.typeName, 'SERVING'])]));
}

/** NestJS microservice options serving protobuf-es services over @grpc/grpc-js, plus the standard health service. */
export function grpcMicroserviceOptions(opts: {
  url: string;
  services: DescService[];
  health: HealthImplementation;
}): GrpcOptions & { transport: Transport.GRPC } {
  const packages = [...new Set(opts.services.map((s) => s.typeName.slice(0, s.typeName.lastIndexOf('.'))))];
  return {
    transport: Transport.GRPC,
    options: {
      url: opts.url,
      package: packages,
      packageDefinition: grpcPackageDefinition(...opts.services) as unknown as GrpcOptions['options']['packageDefinition'],
      onLoadPackageDefinition: (_pkg: unknown, server: Server) => opts.health.addToServer(server),
      maxReceiveMessageLength: 64 * 1024 * 1024,
    },
  };
}

/** An AbortSignal that fires when the caller cancels the call or its deadline passes. */
export function callAbortSignal(call: ServerUnaryCall<unknown, unknown>): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', () => controller.abort());
  return controller.signal;
}

/** Milliseconds left before the caller's deadline (Infinity when the caller set none). */
export function remainingDeadlineMs(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : Number.POSITIVE_INFINITY;
}
