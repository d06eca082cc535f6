import { create } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import { RUN_STORE, SAMPLE_STORE } from '../eval.tokens';
import { RunFinalizer } from './run-finalizer';
import type { RunJsonRow, RunOfTeam, RunStore, SampleStore } from './run-store';
import { liveRunOf, runJsonOf } from './listing-json.mapper';
import { runSettingsOf, runStatusFilter, toRunMessage, toSampleMessage, sampleStatusFilter } from './run.mapper';
import type { RunSummaryData } from './run-summary';
import { MAX_PAGE_SIZE } from './sample.repository';
import type { RunRecord } from './run.types';
import { CompareRunsUseCase } from './compare-runs/compare-runs.usecase';
import { DeleteRunUseCase } from './delete-run/delete-run.usecase';
import { StartRunUseCase } from './start-run/start-run.usecase';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pageSize(requested: number, fallback: number): number {
  if (requested > MAX_PAGE_SIZE) throw PlatformError.invalid('page_size', `must be at most ${MAX_PAGE_SIZE}`);
  return requested || fallback;
}

/** A listing's JSON objects as one JSON array in UTF-8: what the gateway splices into its response as bytes. */
function jsonArrayOf(itemsJson: string[]): Buffer {
  // Each item encoded straight into one buffer: joining them first built a ~100 KB string on the heap per page, which
  // cost more than encoding the items one by one (bench/api-latency.bench.ts).
  let size = 2 + Math.max(itemsJson.length - 1, 0);
  for (const item of itemsJson) size += Buffer.byteLength(item, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x5b; // [
  for (const [i, item] of itemsJson.entries()) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(item, at, 'utf8');
  }
  out[at++] = 0x5d; // ]
  return out.subarray(0, at);
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
    @Inject(CompareRunsUseCase) private readonly compareRuns: CompareRunsUseCase,
    @Inject(DeleteRunUseCase) private readonly deleteRuns: DeleteRunUseCase,
  ) {}

  @GrpcMethod('EvalService', 'CreateRun')
  async createRun(req: evalV1.CreateRunRequest) {
    const run = await this.startRun.execute({
      team: req.team,
      model: req.model,
      benchmark: req.benchmark,
      ...runSettingsOf(req.config),
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
    if (req.scheduleId && !UUID.test(req.scheduleId)) throw PlatformError.invalid('schedule_id', 'must be a schedule id (UUID)');
    if (req.suiteRunId && !UUID.test(req.suiteRunId)) throw PlatformError.invalid('suite_run_id', 'must be a suite run id (UUID)');
    const teamId = await this.runs.ensureTeam(req.team);
    const status = runStatusFilter(req.status);
    const page = await this.runs.listJsonForTeam(teamId, {
      limit: pageSize(req.pageSize, 50),
      ...(req.pageToken ? { cursor: req.pageToken } : {}),
      filter: {
        ...(req.model ? { modelName: req.model } : {}),
        ...(req.benchmark ? { benchmark: req.benchmark } : {}),
        ...(status ? { status } : {}),
        ...(req.scheduleId ? { scheduleId: req.scheduleId } : {}),
        ...(req.suiteRunId ? { suiteRunId: req.suiteRunId } : {}),
      },
    });
    const teamJson = JSON.stringify(req.team);
    // Finished runs (most of a listing) carry their summary; the others are summarized live, concurrently.
    const runsJson = await Promise.all(page.items.map(async (row) => runJsonOf(row, teamJson, row.summaryJson ?? (await this.liveSummaryJsonOf(row)))));
    return create(evalV1.ListRunsResponseSchema, { runsJsonArray: jsonArrayOf(runsJson), nextPageToken: page.nextCursor ?? '' });
  }

  @GrpcMethod('EvalService', 'ListSamples')
  async listSamples(req: evalV1.ListSamplesRequest) {
    const run = await this.teamRun(req.team, req.runId, 'run_id');
    const status = sampleStatusFilter(req.status);
    // The page's statement checks the run is the team's; only an empty page needs the run looked up, for its 404.
    const page = await this.samples.pageJson(run, {
      limit: pageSize(req.pageSize, 100),
      ...(status ? { status } : {}),
      ...(req.passed !== undefined ? { passed: req.passed } : {}),
      ...(req.pageToken ? { cursor: req.pageToken } : {}),
    });
    if (page.items.length === 0) await this.find(req.team, req.runId, 'run_id');
    return create(evalV1.ListSamplesResponseSchema, { samplesJsonArray: jsonArrayOf(page.items), nextPageToken: page.nextCursor ?? '' });
  }

  @GrpcMethod('EvalService', 'GetSample')
  async getSample(req: evalV1.GetSampleRequest) {
    const run = await this.find(req.team, req.runId, 'run_id');
    if (!UUID.test(req.sampleId)) throw PlatformError.invalid('sample_id', 'must be a sample id (UUID)');
    const sample = await this.samples.findInRun(run.id, req.sampleId);
    if (!sample) throw new PlatformError(PlatformErrorCode.SAMPLE_NOT_FOUND, `sample ${req.sampleId} not found in run ${run.id}`, { field: 'sample_id' });
    return create(evalV1.GetSampleResponseSchema, { sample: toSampleMessage(sample) });
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

  @GrpcMethod('EvalService', 'DeleteRun')
  async deleteRun(req: evalV1.DeleteRunRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(req.id)) throw PlatformError.invalid('id', 'must be a run id (UUID)');
    const { run, deletedSamples } = await this.deleteRuns.execute({ team: req.team, runId: req.id });
    // Its samples are gone: the summary is the one stored when it finished (none for a cancelled run).
    const summary = run.status === 'SUCCEEDED' || run.status === 'FAILED' ? (run.summary as RunSummaryData | null) : null;
    return create(evalV1.DeleteRunResponseSchema, { run: toRunMessage(run, req.team, summary), deletedSamples });
  }

  @GrpcMethod('EvalService', 'ListBenchmarks')
  listBenchmarks() {
    return create(evalV1.ListBenchmarksResponseSchema, {
      benchmarks: this.catalog.list().map((b) => ({
        name: b.name,
        version: b.version,
        metric: b.metric,
        items: b.dataset.items,
        dataset: b.dataset.name,
      })),
    });
  }

  @GrpcMethod('EvalService', 'CompareRuns')
  async compare(req: evalV1.CompareRunsRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(req.runA)) throw PlatformError.invalid('run_a', 'must be a run id (UUID)');
    if (!UUID.test(req.runB)) throw PlatformError.invalid('run_b', 'must be a run id (UUID)');
    const c = await this.compareRuns.execute({ team: req.team, runA: req.runA, runB: req.runB });
    return create(evalV1.CompareRunsResponseSchema, {
      comparison: {
        runA: c.runA,
        runB: c.runB,
        benchmark: c.benchmark,
        metric: c.metric,
        sharedItems: c.n,
        onlyInA: c.onlyInA,
        onlyInB: c.onlyInB,
        meanA: c.meanA,
        meanB: c.meanB,
        delta: c.delta,
        ciLow: c.ci[0],
        ciHigh: c.ci[1],
        confidence: c.confidence,
        bootstrapPValue: c.bootstrapPValue,
        ...(c.mcnemar ? { mcnemar: c.mcnemar } : {}),
        significant: c.significant,
        improvedCount: c.improvedCount,
        regressedCount: c.regressedCount,
        improvedItems: c.improvedIds,
        regressedItems: c.regressedIds,
        differences: c.differences,
        comparable: c.comparable,
      },
    });
  }

  /** The run id checked and the team's id: what a team-scoped look-up needs. */
  private async teamRun(team: string, id: string, field: string): Promise<RunOfTeam> {
    if (!team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(id)) throw PlatformError.invalid(field, 'must be a run id (UUID)');
    return { id, teamId: await this.runs.ensureTeam(team) };
  }

  private async find(team: string, id: string, field = 'id'): Promise<RunRecord> {
    const { teamId } = await this.teamRun(team, id, field);
    const run = await this.runs.findForTeam(teamId, id);
    // Another team's run is reported exactly like a missing one, so existence does not leak.
    if (!run) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${id} not found`, { field });
    return run;
  }

  private async message(run: RunRecord, team: string) {
    return toRunMessage(run, team, await this.summaryOf(run));
  }

  /** summaryOf for a listed row whose summary is not stored (the row says so: summaryJson null). */
  private async liveSummaryJsonOf(row: RunJsonRow): Promise<string> {
    return JSON.stringify(await this.finalizer.liveSummary(liveRunOf(row)));
  }

  private async summaryOf(run: RunRecord): Promise<RunSummaryData | null> {
    // A finished run's summary was computed from all its samples when it finished; others are summarized live.
    const stored = run.status === 'SUCCEEDED' || run.status === 'FAILED' ? (run.summary as RunSummaryData | null) : null;
    return stored ?? (await this.finalizer.liveSummary(run));
  }
}
