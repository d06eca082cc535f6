import { Module, type DynamicModule } from '@nestjs/common';
import { FairAdmissionService } from './fairness/fair-admission.service';
import { GenerateService } from './generate/generate.service';
import { InferenceGrpcHandler } from './generate/inference.grpc-handler';
import { ModelRegistry } from './registry/model-registry';

/** The inference service: model registry, routing, fair admission and the gRPC adapter. */
@Module({})
export class InferenceModule {
  static forRoot(deps: { models: ModelRegistry; generate: GenerateService; admission: FairAdmissionService }): DynamicModule {
    return {
      module: InferenceModule,
      controllers: [InferenceGrpcHandler],
      providers: [
        { provide: ModelRegistry, useValue: deps.models },
        { provide: GenerateService, useValue: deps.generate },
        { provide: FairAdmissionService, useValue: deps.admission },
      ],
    };
  }
}
