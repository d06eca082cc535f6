import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { evalV1, inferenceV1 } from '@lemur/proto';
import { createGrpcClient } from '@lemur/shared-grpc';
import { PinoNestLogger, createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastify from 'fastify';
import type { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { instrumentHttp } from './http/http.metrics';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

/** Starts the REST gateway in front of the eval and inference services; `logDestination` lets tests read its log. */
export async function startGateway(config: GatewayConfig, opts: { logDestination?: NodeJS.WritableStream } = {}): Promise<RunningGateway> {
  const logger = createLogger('gateway', config.logLevel, opts.logDestination);
  const registry = createMetricsRegistry('gateway');
  const version = (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  const evalClient = createGrpcClient(evalV1.EvalService, config.evalAddr, { defaultDeadlineMs: config.rpcDeadlineMs });
  const inferenceClient = createGrpcClient(inferenceV1.InferenceService, config.inferenceAddr, { defaultDeadlineMs: config.rpcDeadlineMs });

  const instance = fastify({ bodyLimit: config.bodyLimitBytes, logger: false });
  // No setErrorHandler here: Nest installs its own on this instance and sends Fastify's rejections (bad JSON, body
  // too large) through HttpExceptionFilter, so every error has one shape.
  // The API speaks JSON only; without this, Fastify would hand text/plain bodies to the handlers as strings.
  instance.removeContentTypeParser('text/plain');
  instrumentHttp(instance, registry);

  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot({ evalClient, inferenceClient, registry, version }),
    new FastifyAdapter(instance as never),
    { logger: new PinoNestLogger(logger) },
  );
  app.useGlobalFilters(new HttpExceptionFilter(logger));
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, 'gateway started');
  return {
    url,
    close: async () => {
      await app.close();
      evalClient.close();
      inferenceClient.close();
    },
  };
}
