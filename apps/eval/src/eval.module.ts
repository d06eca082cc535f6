import { Module, type DynamicModule } from '@nestjs/common';
import { BenchmarkCatalog } from './benchmarks/benchmark-catalog';
import { RUN_STORE, SAMPLE_STORE, SCHEDULE_REPOSITORY } from './eval.tokens';
import { RunFinalizer } from './runs/run-finalizer';
import type { RunStore, SampleStore } from './runs/run-store';
import { RunReworkGrpcHandler } from './runs/run-rework.grpc-handler';
import { RunsGrpcHandler } from './runs/runs.grpc-handler';
import { RescoreRunUseCase } from './runs/rescore-run/rescore-run.usecase';
import { RetryErroredUseCase } from './runs/retry-errored/retry-errored.usecase';
import { CompareRunsUseCase } from './runs/compare-runs/compare-runs.usecase';
import { DeleteRunUseCase } from './runs/delete-run/delete-run.usecase';
import { StartRunUseCase } from './runs/start-run/start-run.usecase';
import type { ScheduleRepository } from './schedules/schedule.repository';
import { SchedulesGrpcHandler } from './schedules/schedules.grpc-handler';
import { GetSuiteUseCase } from './suites/get-suite.usecase';
import { StartSuiteUseCase } from './suites/start-suite/start-suite.usecase';
import { SuitesGrpcHandler } from './suites/suites.grpc-handler';

/** The eval service's API: runs, samples and benchmarks over gRPC (workers run beside it, outside Nest's request path). */
@Module({})
export class EvalModule {
  static forRoot(deps: {
    runs: RunStore;
    samples: SampleStore;
    catalog: BenchmarkCatalog;
    finalizer: RunFinalizer;
    startRun: StartRunUseCase;
    compareRuns: CompareRunsUseCase;
    deleteRun: DeleteRunUseCase;
    rescoreRun: RescoreRunUseCase;
    retryErrored: RetryErroredUseCase;
    schedules: ScheduleRepository;
    startSuite: StartSuiteUseCase;
    getSuite: GetSuiteUseCase;
  }): DynamicModule {
    return {
      module: EvalModule,
      controllers: [RunsGrpcHandler, RunReworkGrpcHandler, SchedulesGrpcHandler, SuitesGrpcHandler],
      providers: [
        { provide: RUN_STORE, useValue: deps.runs },
        { provide: SAMPLE_STORE, useValue: deps.samples },
        { provide: BenchmarkCatalog, useValue: deps.catalog },
        { provide: RunFinalizer, useValue: deps.finalizer },
        { provide: StartRunUseCase, useValue: deps.startRun },
        { provide: CompareRunsUseCase, useValue: deps.compareRuns },
        { provide: DeleteRunUseCase, useValue: deps.deleteRun },
        { provide: RescoreRunUseCase, useValue: deps.rescoreRun },
        { provide: RetryErroredUseCase, useValue: deps.retryErrored },
        { provide: SCHEDULE_REPOSITORY, useValue: deps.schedules },
        { provide: StartSuiteUseCase, useValue: deps.startSuite },
        { provide: GetSuiteUseCase, useValue: deps.getSuite },
      ],
    };
  }
}
