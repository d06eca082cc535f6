import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@lemur/shared-logging';
import type { Registry } from 'prom-client';
import type { InferenceConfig } from './config/inference.config';
import { GenerateMetrics } from './generate/generate.metrics';
import { GenerateService } from './generate/generate.service';
import { InferenceGrpcHandler } from './generate/inference.grpc-handler';
import { ModelRegistry } from './registry/model-registry';

/** The inference service: model registry, routing and the gRPC adapter. */
@Module({})
export class InferenceModule {
  static forRoot(deps: { config: InferenceConfig; logger: Logger; registry: Registry; models: ModelRegistry }): DynamicModule {
    return {
      module: InferenceModule,
      controllers: [InferenceGrpcHandler],
      providers: [
        { provide: ModelRegistry, useValue: deps.models },
        {
          provide: GenerateService,
          useFactory: () =>
            new GenerateService(deps.models, new GenerateMetrics(deps.registry), deps.logger.child({ context: 'GenerateService' }), {
              maxAttempts: deps.config.maxAttempts,
              upstreamTimeoutMs: deps.config.upstreamTimeoutMs,
              idleTimeoutMs: deps.config.streamIdleMs,
            }),
        },
      ],
    };
  }
}
