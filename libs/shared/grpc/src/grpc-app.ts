import type { DescService } from '@bufbuild/protobuf';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { PinoNestLogger, type Logger } from '@lemur/shared-logging';
import { startMetricsServer } from '@lemur/shared-metrics';
import type { Registry } from 'prom-client';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { createHealth, grpcMicroserviceOptions, type RawServerStreamHandler } from './grpc-server';

/** A started gRPC service process: its gRPC and metrics addresses, and a graceful stop. */
export interface RunningGrpcApp {
  app: INestMicroservice;
  grpcUrl: string;
  metricsUrl: string;
  close(): Promise<void>;
}

/** Starts a NestJS gRPC microservice with health, the domain error filter, pino logs and a /metrics endpoint. */
export async function startGrpcApp(opts: {
  module: DynamicModule;
  services: DescService[];
  url: string;
  logger: Logger;
  registry: Registry;
  metricsPort: number;
  /** Server-streaming methods served by grpc-js directly, not by the module's Nest handlers. */
  rawHandlers?: RawServerStreamHandler[];
  /** The platform's shared internal token: when set, calls without it are refused (UNAUTHENTICATED). */
  internalToken?: string;
}): Promise<RunningGrpcApp> {
  const health = createHealth(opts.services);
  if (opts.internalToken === undefined) {
    opts.logger.warn('LEMUR_INTERNAL_TOKEN is not set: this service takes gRPC calls from anyone who can reach its port');
  }
  const app = await NestFactory.createMicroservice(opts.module, {
    ...grpcMicroserviceOptions({
      url: opts.url,
      services: opts.services,
      health,
      ...(opts.rawHandlers ? { rawHandlers: opts.rawHandlers } : {}),
      ...(opts.internalToken !== undefined ? { internalToken: opts.internalToken } : {}),
    }),
    logger: new PinoNestLogger(opts.logger),
  });
  app.useLogger(new PinoNestLogger(opts.logger));
  app.useGlobalFilters(new GrpcExceptionFilter(opts.logger));
  await app.listen();
  // /metrics listens where gRPC does: loopback locally, every interface in a pod, so Prometheus can scrape it.
  const metrics = await startMetricsServer(opts.registry, opts.metricsPort, listenHostOf(opts.url));
  opts.logger.info({ grpc: opts.url, metrics: metrics.url }, 'service started');
  return {
    app,
    grpcUrl: opts.url,
    metricsUrl: metrics.url,
    close: async () => {
      health.setStatus('', 'NOT_SERVING');
      await app.close();
      await metrics.close();
    },
  };
}

/** The host part of a gRPC listen address (`0.0.0.0:50051`, `[::]:50051`), for servers that should listen beside it. */
export function listenHostOf(url: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:/]+)):\d+$/.exec(url);
  return m?.[1] ?? m?.[2] ?? '127.0.0.1';
}

/**
 * Closes the app on SIGTERM/SIGINT so in-flight work can finish, then exits. With `parentPid` (set by a launcher such as
 * `lemur up`), the app also closes when that process is gone, so a killed launcher leaves no services behind.
 */
export function closeOnSignals(close: () => Promise<void>, logger: Logger, opts: { parentPid?: number } = {}): void {
  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'shutting down');
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => shutdown(signal));
  if (opts.parentPid !== undefined) {
    setInterval(() => {
      if (process.ppid !== opts.parentPid) shutdown('parent process exited');
    }, 1_000).unref();
  }
}
