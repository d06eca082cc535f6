import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { evalV1, inferenceV1 } from '@lemur/proto';
import { createPrismaClient, NotificationListener } from '@lemur/shared-database';
import { createGrpcClient } from '@lemur/shared-grpc';
import { PinoNestLogger, createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastify from 'fastify';
import { AuditLogRepository } from './audit/audit-log.repository';
import { ApiKeyAuthenticator } from './auth/api-key-authenticator.service';
import { API_KEY_CHANGED_CHANNEL, ApiKeyRepository } from './auth/api-key.repository';
import { bootstrapAdminKey } from './auth/bootstrap-admin-key';
import type { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { instrumentHttp } from './http/http.metrics';
import { genRequestId, traceHttp } from './http/http-tracing';
import { RunQuotaRepository } from './quotas/run-quota.repository';
import { RunQuotas } from './quotas/run-quotas.service';
import type { InferenceClient } from './runs/runs.controller';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  /** Every route the server answers (method and URL pattern), as registered with Fastify: for tests that must cover all. */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * The inference client the routes get: generations have their own deadline, long enough for a model to start from
 * zero replicas and for a long stream; listing models keeps the RPC deadline. A call's own deadline and signal (a
 * client that disconnects) still apply.
 */
function withGenerationDeadline(client: InferenceClient, deadlineMs: number): InferenceClient {
  return {
    ...client,
    generate: (request, options) => client.generate(request, { ...options, deadlineMs: options?.deadlineMs ?? deadlineMs }),
    generateStream: (request, options) => client.generateStream(request, { ...options, deadlineMs: options?.deadlineMs ?? deadlineMs }),
  };
}

/** Starts the REST gateway in front of the eval and inference services; `logDestination` lets tests read its log. */
export async function startGateway(config: GatewayConfig, opts: { logDestination?: NodeJS.WritableStream } = {}): Promise<RunningGateway> {
  const logger = createLogger('gateway', config.logLevel, opts.logDestination);
  const registry = createMetricsRegistry('gateway');
  const version = (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  const evalClient = createGrpcClient(evalV1.EvalService, config.evalAddr, { defaultDeadlineMs: config.rpcDeadlineMs, internalToken: config.internalToken });
  const inferenceClient = withGenerationDeadline(
    createGrpcClient(inferenceV1.InferenceService, config.inferenceAddr, { defaultDeadlineMs: config.rpcDeadlineMs, internalToken: config.internalToken }),
    config.inferenceDeadlineMs,
  );

  const prisma = createPrismaClient(config.databaseUrl, { maxConnections: 10 });
  const keys = new ApiKeyRepository(prisma);
  const audit = new AuditLogRepository(prisma);
  const quotaRepository = new RunQuotaRepository(prisma);
  if (config.bootstrap) {
    const { created } = await bootstrapAdminKey(keys, audit, config.bootstrap);
    logger.info({ team: config.bootstrap.team, keyFile: config.bootstrap.keyFile, created }, 'local admin key ready');
  }

  const authenticator = new ApiKeyAuthenticator(keys, logger.child({ context: 'ApiKeyAuthenticator' }));
  // A key revoked or lowered on any replica leaves this replica's cache when that change commits.
  const keyChanges = new NotificationListener({
    url: config.databaseUrl,
    channel: API_KEY_CHANGED_CHANNEL,
    onNotify: (publicId) => authenticator.forget(publicId),
    onGap: () => authenticator.forgetAll(),
    logger: logger.child({ context: 'ApiKeyChanges' }),
  });
  await keyChanges.start();

  const instance = fastify({ bodyLimit: config.bodyLimitBytes, logger: false, genReqId: genRequestId });
  const routes: RunningGateway['routes'] = [];
  instance.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  // No setErrorHandler here: Nest installs its own on this instance and sends Fastify's rejections (bad JSON, body
  // too large) through HttpExceptionFilter, so every error has one shape.
  // The API speaks JSON only; without this, Fastify would hand text/plain bodies to the handlers as strings.
  instance.removeContentTypeParser('text/plain');
  instrumentHttp(instance, registry);
  traceHttp(instance, logger.child({ context: 'Http' }));

  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot({
      evalClient,
      inferenceClient,
      registry,
      version,
      logger,
      keys,
      audit,
      authenticator,
      quotas: new RunQuotas(quotaRepository, config.teamDefaults, config.rpcDeadlineMs + 10_000),
      quotaRepository,
    }),
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
    routes,
    close: async () => {
      await app.close();
      await keyChanges.close();
      evalClient.close();
      inferenceClient.close();
      await prisma.$disconnect();
    },
  };
}
