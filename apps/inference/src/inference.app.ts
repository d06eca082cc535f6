import 'reflect-metadata';
import { inferenceV1 } from '@lemur/proto';
import { createPrismaClient } from '@lemur/shared-database';
import { startGrpcApp, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import { ResponseCacheRepository } from './cache/response-cache.repository';
import { ResponseCacheService } from './cache/response-cache.service';
import type { InferenceConfig } from './config/inference.config';
import { FairAdmissionService } from './fairness/fair-admission.service';
import { FairnessMetrics } from './fairness/fairness.metrics';
import { TeamQuotaRepository } from './fairness/team-quota.repository';
import { TeamQuotasService } from './fairness/team-quotas.service';
import { GenerateMetrics } from './generate/generate.metrics';
import { GenerateService } from './generate/generate.service';
import { generateStreamHandler } from './generate/inference.grpc-handler';
import { InferenceModule } from './inference.module';
import { startModelController } from './kubernetes/start-model-controller';
import { redactEndpoint } from './registry/endpoint-url';
import { ModelRegistry } from './registry/model-registry';
import { EngineMetricsScraper } from './routing/engine-metrics.scraper';
import { RoutingMetrics } from './routing/routing.metrics';

/** Starts the inference service (used by main.ts, the local platform and tests); `logDestination` lets tests read its log. */
export async function startInference(config: InferenceConfig, opts: { logDestination?: NodeJS.WritableStream } = {}): Promise<RunningGrpcApp> {
  const logger = createLogger('inference', config.logLevel, opts.logDestination);
  const registry = createMetricsRegistry('inference');
  const routingMetrics = new RoutingMetrics(registry);
  const routingLogger = logger.child({ context: 'Routing' });
  const models = ModelRegistry.fromFile(config.modelsFile, config.secrets, {
    router: { ejectAfterFailures: config.routing.ejectAfterFailures, ejectForMs: config.routing.ejectForMs },
    onEject: (model, url, untilMs) => {
      const replica = redactEndpoint(url);
      routingMetrics.ejections.inc({ model, replica });
      routingLogger.warn({ model, replica, backOffMs: untilMs - Date.now() }, 'replica ejected after failures; will probe it after the back-off');
    },
  });
  routingMetrics.observe(models);
  const scraper = new EngineMetricsScraper(
    models,
    { intervalMs: config.routing.scrapeIntervalMs, timeoutMs: 2_000, maxBackOffMs: 30_000 },
    routingMetrics,
    routingLogger,
  );
  const admission = new FairAdmissionService(config.fairness, new FairnessMetrics(registry));
  // The cache and the team quotas share one database (DATABASE_URL) and one pool.
  const databaseUrl = config.cache?.databaseUrl ?? config.teamQuotas?.databaseUrl;
  const prisma = databaseUrl ? createPrismaClient(databaseUrl, { maxConnections: 4 }) : undefined;
  const teamQuotas =
    prisma && config.teamQuotas
      ? new TeamQuotasService(new TeamQuotaRepository(prisma), admission, config.teamQuotas, logger.child({ context: 'TeamQuotas' }))
      : undefined;
  // Read before the first request is served, so a team's own quota is in force from it on.
  await teamQuotas?.start();
  const cache =
    prisma && config.cache
      ? new ResponseCacheService(new ResponseCacheRepository(prisma), config.cache, logger.child({ context: 'ResponseCache' }))
      : undefined;
  // Cluster mode: LemurModels are registered (and their endpoints known) before the first request is served.
  const kubernetes = config.kubernetes ? await startModelController(config.kubernetes, models, registry, logger) : undefined;
  const generate = new GenerateService(
    models,
    new GenerateMetrics(registry),
    logger.child({ context: 'GenerateService' }),
    {
      maxAttempts: config.maxAttempts,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      firstByteTimeoutMs: config.firstByteTimeoutMs,
      idleTimeoutMs: config.streamIdleMs,
    },
    admission,
    cache,
    kubernetes?.coldStart,
    kubernetes?.activity,
  );
  const running = await startGrpcApp({
    module: InferenceModule.forRoot({ models, generate, admission }),
    services: [inferenceV1.InferenceService],
    rawHandlers: [generateStreamHandler(generate, logger.child({ context: 'InferenceGrpcHandler' }))],
    url: config.grpcUrl,
    logger,
    registry,
    metricsPort: config.metricsPort,
    ...(config.internalToken !== undefined ? { internalToken: config.internalToken } : {}),
  });
  scraper.start();
  return {
    ...running,
    close: async () => {
      await kubernetes?.close();
      await scraper.close();
      teamQuotas?.close();
      await running.close();
      await cache?.close();
      await prisma?.$disconnect();
    },
  };
}
