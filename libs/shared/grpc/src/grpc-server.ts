import type { DescService } from '@bufbuild/protobuf';
import type { Server, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { grpcServerTracing } from '@lemur/shared-tracing';
import { grpcServerInternalAuth } from './internal-auth';
import { grpcServiceDefinition } from './service-definition';

/**
 * A server-streaming method served by grpc-js directly instead of a Nest handler: no RxJS observable between the
 * handler and the call, for methods where every message counts (streamed tokens). The handler writes to the call
 * itself and must report failures on it (`grpcErrorFor`).
 */
export interface RawServerStreamHandler {
  service: DescService;
  /** The method's name as in the .proto, e.g. `GenerateStream`. */
  method: string;
  handler: (call: ServerWritableStream<unknown, unknown>) => void;
}

/** The standard gRPC health service (grpc.health.v1) for the given services, all SERVING once started. */
export function createHealth(services: DescService[]): HealthImplementation {
  return new HealthImplementation(Object.fromEntries([['', 'SERVING'], ...services.map((s) => [s.typeName, 'SERVING'])]));
}

/** NestJS microservice options serving protobuf-es services over @grpc/grpc-js, plus the standard health service. */
export function grpcMicroserviceOptions(opts: {
  url: string;
  services: DescService[];
  health: HealthImplementation;
  rawHandlers?: RawServerStreamHandler[];
  /** When set, every call but health must carry it (see grpcServerInternalAuth). */
  internalToken?: string;
}): GrpcOptions & { transport: Transport.GRPC } {
  const packages = [...new Set(opts.services.map((s) => s.typeName.slice(0, s.typeName.lastIndexOf('.'))))];
  const raw = opts.rawHandlers ?? [];
  // Nest binds every method of the definition it is given (an unimplemented stub where it has no handler), so the
  // methods served raw are left out of its definition and registered on the server before it starts.
  const isRaw = (service: DescService, method: string) => raw.some((r) => r.service === service && r.method === method);
  const packageDefinition = Object.fromEntries(
    opts.services.map((service) => {
      const methods = Object.entries(grpcServiceDefinition(service)).filter(([method]) => !isRaw(service, method));
      return [service.typeName, Object.fromEntries(methods)];
    }),
  );
  const registerRaw = (server: Server) => {
    for (const { service, method, handler } of raw) {
      const definition = grpcServiceDefinition(service)[method];
      if (!definition?.responseStream || definition.requestStream) {
        throw new Error(`${service.typeName}/${method} is not a server-streaming method of the service`);
      }
      server.register<unknown, unknown>(definition.path, handler, definition.responseSerialize, definition.requestDeserialize, 'serverStream');
    }
  };
  return {
    transport: Transport.GRPC,
    options: {
      url: opts.url,
      package: packages,
      packageDefinition: packageDefinition as unknown as GrpcOptions['options']['packageDefinition'],
      onLoadPackageDefinition: (_pkg: unknown, server: Server) => {
        opts.health.addToServer(server);
        registerRaw(server);
      },
      maxReceiveMessageLength: 64 * 1024 * 1024,
      // Nest hands these to the grpc-js Server: every call, Nest's and raw, is authenticated first, then runs inside a
      // SERVER span of its caller's trace.
      channelOptions: {
        interceptors: opts.internalToken !== undefined ? [grpcServerInternalAuth(opts.internalToken), grpcServerTracing] : [grpcServerTracing],
      },
    },
  };
}

/**
 * Runs `work` with a signal that aborts when the caller cancels the call (or its deadline passes) while it runs. grpc-js
 * also reports every call that ended normally as cancelled, once its status is sent: the listener is gone by then, so a
 * finished call does not build an AbortError (with its stack) and run the abort listeners for nothing.
 */
export async function whileCallOpen<T>(call: ServerUnaryCall<unknown, unknown>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', cancel);
  try {
    return await work(controller.signal);
  } finally {
    call.off('cancelled', cancel);
  }
}

/** Milliseconds left before the caller's deadline (Infinity when the caller set none). */
export function remainingDeadlineMs(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : Number.POSITIVE_INFINITY;
}
