import { Module, type DynamicModule } from '@nestjs/common';
import { GenerateService } from './generate/generate.service';
import { InferenceGrpcHandler } from './generate/inference.grpc-handler';
import { ModelRegistry } from './registry/model-registry';

/** The inference service: model registry, routing and the gRPC adapter. */
@Module({})
export class InferenceModule {
  static forRoot(deps: { models: ModelRegistry; generate: GenerateService }): DynamicModule {
    return {
      module: InferenceModule,
      controllers: [InferenceGrpcHandler],
      providers: [
        { provide: ModelRegistry, useValue: deps.models },
        { provide: GenerateService, useValue: deps.generate },
      ],
    };
  }
}
