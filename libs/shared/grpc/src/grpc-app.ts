import type { DescService } from '@bufbuild/protobuf';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { PinoNestLogger, type Logger } from '@lemur/shared-logging';
import { startMetricsServer } from '@lemur/shared-metrics';
import type { Registry } from 'prom-client';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { createHealth, grpcMicroserviceOptions } from './grpc-server';

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
}): Promise<RunningGrpcApp> {
  const health = createHealth(opts.services);
  const app = await NestFactory.createMicroservice(opts.module, {
    ...grpcMicroserviceOptions({ url: opts.url, services: opts.services, health }),
    logger: new PinoNestLogger(opts.logger),
  });
  app.useLogger(new PinoNestLogger(opts.logger));
  app.useGlobalFilters(new GrpcExceptionFilter(opts.logger));
  await app.listen();
  const metrics = await startMetricsServer(opts.registry, opts.metricsPort);
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
