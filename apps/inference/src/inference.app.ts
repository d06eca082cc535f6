import 'reflect-metadata';
import { inferenceV1 } from '@lemur/proto';
import { startGrpcApp, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import type { InferenceConfig } from './config/inference.config';
import { InferenceModule } from './inference.module';
import { ModelRegistry } from './registry/model-registry';

/** Starts the inference service (used by main.ts, the local platform and tests). */
export async function startInference(config: InferenceConfig): Promise<RunningGrpcApp> {
  const logger = createLogger('inference', config.logLevel);
  const registry = createMetricsRegistry('inference');
  const models = ModelRegistry.fromFile(config.modelsFile, config.secrets);
  return startGrpcApp({
    module: InferenceModule.forRoot({ config, logger, registry, models }),
    services: [inferenceV1.InferenceService],
    url: config.grpcUrl,
    logger,
    registry,
    metricsPort: config.metricsPort,
  });
}
