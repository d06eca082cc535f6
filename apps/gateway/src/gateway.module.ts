import { Module, type DynamicModule } from '@nestjs/common';
import { Registry } from 'prom-client';
import { EVAL_CLIENT, INFERENCE_CLIENT, PLATFORM_VERSION } from './gateway.tokens';
import { HealthController } from './health/health.controller';
import { RunsController, type EvalClient, type InferenceClient } from './runs/runs.controller';

/** The gateway: REST over the eval and inference services. */
@Module({})
export class GatewayModule {
  static forRoot(deps: { evalClient: EvalClient; inferenceClient: InferenceClient; registry: Registry; version: string }): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [RunsController, HealthController],
      providers: [
        { provide: EVAL_CLIENT, useValue: deps.evalClient },
        { provide: INFERENCE_CLIENT, useValue: deps.inferenceClient },
        { provide: Registry, useValue: deps.registry },
        { provide: PLATFORM_VERSION, useValue: deps.version },
      ],
    };
  }
}
