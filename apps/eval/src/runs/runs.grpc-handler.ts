import { create } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import { RUN_STORE, SAMPLE_STORE } from '../eval.tokens';
import { RunFinalizer } from './run-finalizer';
import type { RunStore, SampleStore } from './run-store';
import { toRunMessage, toSampleMessage, sampleStatusFilter } from './run.mapper';
import type { RunSummaryData } from './run-summary';
import type { RunRecord } from './run.types';
import { StartRunUseCase } from './start-run/start-run.usecase';

const MAX_PAGE = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pageSize(requested: number, fallback: number): number {
  if (requested > MAX_PAGE) throw PlatformError.invalid('page_size', `must be at most ${MAX_PAGE}`);
  return requested || fallback;
}

/** gRPC adapter of lemur.eval.v1.EvalService. */
@Controller()
export class RunsGrpcHandler {
  constructor(
    @Inject(StartRunUseCase) private readonly startRun: StartRunUseCase,
    @Inject(RUN_STORE) private readonly runs: RunStore,
    @Inject(SAMPLE_STORE) private readonly samples: SampleStore,
    @Inject(RunFinalizer) private readonly finalizer: RunFinalizer,
    @Inject(BenchmarkCatalog) private readonly catalog: BenchmarkCatalog,
  ) {}

  @GrpcMethod('EvalService', 'CreateRun')
  async createRun(req: evalV1.CreateRunRequest) {
    const c = req.config ?? create(evalV1.RunConfigSchema);
    const run = await this.startRun.execute({
      team: req.team,
      model: req.model,
      benchmark: req.benchmark,
      limit: c.limit,
      samplesPerItem: c.samplesPerItem,
      concurrency: c.concurrency,
      chat: c.chat,
      ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
      ...(c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
      ...(c.topP !== undefined ? { topP: c.topP } : {}),
      ...(c.seed !== undefined ? { seed: Number(c.seed) } : {}),
    });
    return create(evalV1.CreateRunResponseSchema, { run: await this.message(run, req.team) });
  }

  @GrpcMethod('EvalService', 'GetRun')
  async getRun(req: evalV1.GetRunRequest) {
    const run = await this.find(req.team, req.id);
    return create(evalV1.GetRunResponseSchema, { run: await this.message(run, req.team) });
  }

  @GrpcMethod('EvalService', 'ListRuns')
  async listRuns(req: evalV1.ListRunsRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    const teamId = await this.runs.ensureTeam(req.team);
    const page = await this.runs.listForTeam(teamId, {
      limit: pageSize(req.pageSize, 50),
      ...(req.pageToken ? { cursor: req.pageToken } : {}),
    });
    const runs = await Promise.all(page.items.map((run) => this.message(run, req.team)));
    return create(evalV1.ListRunsResponseSchema, { runs, nextPageToken: page.nextCursor ?? '' });
  }

  @GrpcMethod('EvalService', 'ListSamples')
  async listSamples(req: evalV1.ListSamplesRequest) {
    const run = await this.find(req.team, req.runId, 'run_id');
    const status = sampleStatusFilter(req.status);
    const page = await this.samples.page(run.id, {
      limit: pageSize(req.pageSize, 100),
      ...(status ? { status } : {}),
      ...(req.pageToken ? { cursor: req.pageToken } : {}),
    });
    return create(evalV1.ListSamplesResponseSchema, {
      samples: page.items.map(toSampleMessage),
      nextPageToken: page.nextCursor ?? '',
    });
  }

  @GrpcMethod('EvalService', 'CancelRun')
  async cancelRun(req: evalV1.CancelRunRequest) {
    const run = await this.find(req.team, req.id);
    if (!(await this.runs.cancel(run.id))) {
      throw new PlatformError(PlatformErrorCode.RUN_NOT_CANCELLABLE, `run ${run.id} is already ${run.status.toLowerCase()}`);
    }
    const cancelled = await this.find(req.team, req.id);
    return create(evalV1.CancelRunResponseSchema, { run: await this.message(cancelled, req.team) });
  }

  @GrpcMethod('EvalService', 'ListBenchmarks')
  listBenchmarks() {
    return create(evalV1.ListBenchmarksResponseSchema, {
      benchmarks: this.catalog.list().map((b) => ({
        name: b.name,
        version: b.version,
        metric: b.metric,
        items: b.dataset.items,
        dataset: b.dataset.file,
      })),
    });
  }

  private async find(team: string, id: string, field = 'id'): Promise<RunRecord> {
    if (!team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(id)) throw PlatformError.invalid(field, 'must be a run id (UUID)');
    const teamId = await this.runs.ensureTeam(team);
    const run = await this.runs.findForTeam(teamId, id);
    // Another team's run is reported exactly like a missing one, so existence does not leak.
    if (!run) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${id} not found`, { field });
    return run;
  }

  private async message(run: RunRecord, team: string) {
    // A finished run's summary was computed from all its samples when it finished; others are summarized live.
    const stored = run.status === 'SUCCEEDED' || run.status === 'FAILED' ? (run.summary as RunSummaryData | null) : null;
    return toRunMessage(run, team, stored ?? (await this.finalizer.liveSummary(run)));
  }
}
