import { Module, type DynamicModule } from '@nestjs/common';
import { BenchmarkCatalog } from './benchmarks/benchmark-catalog';
import { RUN_STORE, SAMPLE_STORE } from './eval.tokens';
import { RunFinalizer } from './runs/run-finalizer';
import type { RunStore, SampleStore } from './runs/run-store';
import { RunsGrpcHandler } from './runs/runs.grpc-handler';
import { StartRunUseCase } from './runs/start-run/start-run.usecase';

/** The eval service's API: runs, samples and benchmarks over gRPC (workers run beside it, outside Nest's request path). */
@Module({})
export class EvalModule {
  static forRoot(deps: {
    runs: RunStore;
    samples: SampleStore;
    catalog: BenchmarkCatalog;
    finalizer: RunFinalizer;
    startRun: StartRunUseCase;
  }): DynamicModule {
    return {
      module: EvalModule,
      controllers: [RunsGrpcHandler],
      providers: [
        { provide: RUN_STORE, useValue: deps.runs },
        { provide: SAMPLE_STORE, useValue: deps.samples },
        { provide: BenchmarkCatalog, useValue: deps.catalog },
        { provide: RunFinalizer, useValue: deps.finalizer },
        { provide: StartRunUseCase, useValue: deps.startRun },
      ],
    };
  }
}
