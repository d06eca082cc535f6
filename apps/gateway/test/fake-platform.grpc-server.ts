import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Server, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { evalV1, inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { grpcServiceDefinition, toGrpcError } from '@lemur/shared-grpc';
import { bindLoopback } from '@lemur/shared-testing';
import { runJson, sampleJson } from '../src/runs/run-json.mapper';

/** A secret-looking message the fake puts in an INTERNAL error, so tests can prove it never reaches a client. */
export const INTERNAL_SECRET = 'pg password=hunter2 at /srv/lemur/secret.ts:42';

/** Inputs that make the fake eval service answer with a domain error instead of a run. */
export const FAILING_MODELS: Record<string, PlatformError> = {
  'no-such-model': new PlatformError(PlatformErrorCode.MODEL_NOT_FOUND, 'model no-such-model is not registered; see GET /v1/models'),
  'sim:busy': new PlatformError(PlatformErrorCode.NO_READY_ENDPOINT, 'no ready endpoint for sim:busy; retry later'),
  'sim:crash': new PlatformError(PlatformErrorCode.INTERNAL, INTERNAL_SECRET),
  'sim:offline-data': new PlatformError(PlatformErrorCode.DATASET_UNAVAILABLE, 'dataset for gsm8k is not available here'),
  'sim:slow-down': new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'team local has too many runs in flight'),
  'sim:bad-field': PlatformError.invalid('benchmark', 'unknown version 9.9.9 of gsm8k'),
};

type Run = MessageInitShape<typeof evalV1.RunSchema>;
type Sample = MessageInitShape<typeof evalV1.SampleSchema>;
type Schedule = MessageInitShape<typeof evalV1.ScheduleSchema> & { team: string };
type SuiteRun = MessageInitShape<typeof evalV1.SuiteRunSchema>;

/**
 * An in-memory stand-in for the eval and inference services, served over real gRPC on loopback: the gateway's tests
 * are about its HTTP contract, so the behaviour here is just enough to page, cancel and fail realistically.
 */
/** A listing's answer as JSON: one string per item (`json`) or the page as one JSON array in UTF-8 bytes (`jsonArray`). */
function listingJson<K extends 'runsJson' | 'samplesJson'>(mode: 'json' | 'jsonArray', itemsJson: string[], nextPageToken: string, key: K) {
  return mode === 'json' ? { [key]: itemsJson, nextPageToken } : { [`${key}Array`]: Buffer.from(`[${itemsJson.join(',')}]`), nextPageToken };
}

export class FakePlatformServer {
  readonly runs: Run[] = [];
  readonly samples = new Map<string, Sample[]>();
  readonly createRequests: evalV1.CreateRunRequest[] = [];
  readonly rescoreRequests: evalV1.RescoreRunRequest[] = [];
  readonly schedules: Schedule[] = [];
  readonly suites: SuiteRun[] = [];
  private readonly server = new Server();
  /**
   * How listings answer: with messages (as the eval service used to), each item as REST JSON text (`json`, its previous
   * version) or the page as one JSON array in bytes (`jsonArray`, as it does now).
   */
  listing: 'messages' | 'json' | 'jsonArray' = 'messages';
  /** What the fake inference service answers GetTeamLimits with, by team (a team not listed: 0, unlimited). */
  readonly serviceTokensPerMinute = new Map<string, number>();

  /** host:port of the server, once started. */
  address = '';

  private constructor() {}

  static async start(): Promise<FakePlatformServer> {
    const fake = new FakePlatformServer();
    fake.server.addService(grpcServiceDefinition(evalV1.EvalService), fake.evalHandlers());
    fake.server.addService(grpcServiceDefinition(inferenceV1.InferenceService), fake.inferenceHandlers());
    fake.address = await bindLoopback(fake.server);
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** A finished run stored directly, for cancel conflicts. */
  addFinishedRun(team: string): Run {
    const run: Run = {
      id: randomUUID(),
      team,
      model: 'sim:oracle',
      benchmark: 'gsm8k',
      benchmarkVersion: '1.0.0',
      status: evalV1.RunStatus.SUCCEEDED,
      createdAt: timestampFromDate(new Date()),
      finishedAt: timestampFromDate(new Date()),
    };
    this.runs.unshift(run);
    return run;
  }

  private find(team: string, id: string): Run {
    const run = this.runs.find((r) => r.id === id && r.team === team);
    if (!run) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${id} not found`);
    return run;
  }

  private evalHandlers() {
    return {
      CreateRun: unary((req: evalV1.CreateRunRequest) => {
        this.createRequests.push(req);
        const failure = FAILING_MODELS[req.model];
        if (failure) throw failure;
        const items = req.config?.limit || 3;
        const perItem = req.config?.samplesPerItem || 1;
        const run: Run = {
          id: randomUUID(),
          team: req.team,
          model: req.model,
          benchmark: req.benchmark,
          benchmarkVersion: '1.0.0',
          status: evalV1.RunStatus.QUEUED,
          config: req.config,
          spec: { benchmark: `${req.benchmark}@1.0.0`, datasetSha256: 'ab'.repeat(32), items },
          summary: {
            metrics: [{ name: 'accuracy', value: 0.5, ciLow: 0.1, ciHigh: 0.9, method: 'wilson', n: 2 }],
            counts: { total: items * perItem, pending: Math.max(0, items * perItem - 2), scored: 1, errored: 1 },
            promptTokens: 120n,
            completionTokens: 2n ** 40n,
            elapsedSeconds: 2,
            completionTokensPerSecond: 21.5,
          },
          createdAt: timestampFromDate(new Date()),
        };
        this.runs.unshift(run);
        const samples: Sample[] = [];
        for (let item = 0; item < items; item++) {
          for (let s = 0; s < perItem; s++) {
            const index = samples.length;
            const status = index === 0 ? evalV1.SampleStatus.SCORED : index === 1 ? evalV1.SampleStatus.ERRORED : evalV1.SampleStatus.PENDING;
            samples.push({
              id: randomUUID(),
              itemId: `${req.benchmark}/${item}`,
              itemIndex: item,
              sampleIndex: s,
              status,
              prompt: `question ${item}`,
              completion: status === evalV1.SampleStatus.SCORED ? 'The answer is 42.' : '',
              ...(status === evalV1.SampleStatus.SCORED ? { score: 1, passed: true, detail: { extracted: '42', target: '42' } } : {}),
              error: status === evalV1.SampleStatus.ERRORED ? 'sandbox timed out after 10s' : '',
              promptTokens: 40,
              completionTokens: status === evalV1.SampleStatus.SCORED ? 6 : 0,
              latencyMs: 12,
            });
          }
        }
        this.samples.set(run.id!, samples);
        return { run };
      }),
      GetRun: unary((req: evalV1.GetRunRequest) => ({ run: this.find(req.team, req.id) })),
      // A suite with no members: the gateway's contract (auth, tenancy, validation) is what these tests are about.
      StartSuite: unary((req: evalV1.StartSuiteRequest) => {
        const suiteRun: SuiteRun = { id: randomUUID(), team: req.team, suite: req.suite, model: req.model, config: req.config, members: [], axes: [], createdAt: timestampFromDate(new Date()) };
        this.suites.push(suiteRun);
        return { suiteRun };
      }),
      GetSuite: unary((req: evalV1.GetSuiteRequest) => {
        const suiteRun = this.suites.find((x) => x.id === req.id && x.team === req.team);
        if (!suiteRun) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `suite run ${req.id} not found`);
        return { suiteRun };
      }),
      ListRuns: unary((req: evalV1.ListRunsRequest) => {
        const mine = this.runs.filter(
          (r) =>
            r.team === req.team &&
            (!req.model || r.model === req.model) &&
            (!req.benchmark || r.benchmark === req.benchmark) &&
            (!req.status || r.status === req.status) &&
            (!req.scheduleId || r.scheduleId === req.scheduleId),
        );
        return page(mine, req.pageSize, req.pageToken, (runs, nextPageToken) =>
          this.listing === 'messages'
            ? { runs, nextPageToken }
            : listingJson(this.listing, runs.map((r) => JSON.stringify(runJson(create(evalV1.RunSchema, r)))), nextPageToken, 'runsJson'),
        );
      }),
      ListSamples: unary((req: evalV1.ListSamplesRequest) => {
        this.find(req.team, req.runId);
        const all = (this.samples.get(req.runId) ?? []).filter(
          (s) => (!req.status || s.status === req.status) && (req.passed === undefined || s.passed === req.passed),
        );
        return page(all, req.pageSize, req.pageToken, (samples, nextPageToken) =>
          this.listing === 'messages'
            ? { samples, nextPageToken }
            : listingJson(this.listing, samples.map((x) => JSON.stringify(sampleJson(create(evalV1.SampleSchema, x)))), nextPageToken, 'samplesJson'),
        );
      }),
      GetSample: unary((req: evalV1.GetSampleRequest) => {
        this.find(req.team, req.runId);
        const sample = (this.samples.get(req.runId) ?? []).find((s) => s.id === req.sampleId);
        if (!sample) throw new PlatformError(PlatformErrorCode.SAMPLE_NOT_FOUND, `sample ${req.sampleId} not found in run ${req.runId}`);
        return { sample };
      }),
      CancelRun: unary((req: evalV1.CancelRunRequest) => {
        const run = this.find(req.team, req.id);
        if (run.status !== evalV1.RunStatus.QUEUED && run.status !== evalV1.RunStatus.RUNNING) {
          throw new PlatformError(PlatformErrorCode.RUN_NOT_CANCELLABLE, `run ${req.id} has already finished`);
        }
        run.status = evalV1.RunStatus.CANCELLED;
        run.finishedAt = timestampFromDate(new Date());
        return { run };
      }),
      DeleteRun: unary((req: evalV1.DeleteRunRequest) => {
        const run = this.find(req.team, req.id);
        if (run.status === evalV1.RunStatus.QUEUED || run.status === evalV1.RunStatus.RUNNING) {
          throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${req.id} is still running; cancel it first (lemur runs cancel ${req.id}), then delete it`);
        }
        this.runs.splice(this.runs.indexOf(run), 1);
        const deletedSamples = this.samples.get(req.id)?.length ?? 0;
        this.samples.delete(req.id);
        return { run, deletedSamples };
      }),
      RescoreRun: unary((req: evalV1.RescoreRunRequest) => {
        this.rescoreRequests.push(req);
        const source = this.find(req.team, req.id);
        const run: Run = { ...source, id: randomUUID(), status: evalV1.RunStatus.QUEUED, sourceRunId: source.id ?? '', createdAt: timestampFromDate(new Date()) };
        this.runs.unshift(run);
        return { run };
      }),
      RetryErroredSamples: unary((req: evalV1.RetryErroredSamplesRequest) => {
        const run = this.find(req.team, req.id);
        const errored = (this.samples.get(run.id!) ?? []).filter((s) => s.status === evalV1.SampleStatus.ERRORED);
        if (errored.length === 0) throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${req.id} has no errored samples to retry`);
        for (const sample of errored) sample.status = evalV1.SampleStatus.PENDING;
        run.status = evalV1.RunStatus.RUNNING;
        return { run, retried: errored.length };
      }),
      CompareRuns: unary((req: evalV1.CompareRunsRequest) => {
        const [a, b] = [this.find(req.team, req.runA), this.find(req.team, req.runB)];
        return {
          comparison: {
            runA: a.id,
            runB: b.id,
            benchmark: a.benchmark,
            metric: 'accuracy',
            sharedItems: 40,
            onlyInA: 1,
            meanA: 0.5,
            meanB: 0.75,
            delta: 0.25,
            ciLow: 0.1,
            ciHigh: 0.4,
            confidence: 0.95,
            bootstrapPValue: 0.001,
            mcnemar: { improved: 11, regressed: 1, pValue: 0.0063 },
            significant: true,
            improvedCount: 11,
            regressedCount: 1,
            improvedItems: ['gsm8k/3'],
            regressedItems: ['gsm8k/0'],
            differences: [{ field: 'model', a: '"m1"', b: '"m2"', breaksComparability: false }],
            comparable: true,
          },
        };
      }),
      ExportSamples: (call: ServerWritableStream<evalV1.ExportSamplesRequest, unknown>) => {
        try {
          this.find(call.request.team, call.request.runId);
          const all = this.samples.get(call.request.runId) ?? [];
          for (let i = 0; i < all.length; i += 2) call.write(create(evalV1.ExportSamplesResponseSchema, { samples: all.slice(i, i + 2) }));
          call.end();
        } catch (err) {
          call.emit('error', err instanceof PlatformError ? toGrpcError(err) : err);
        }
      },
      CreateSchedule: unary((req: evalV1.CreateScheduleRequest) => {
        const schedule: Schedule = {
          id: randomUUID(),
          team: req.team,
          name: req.name,
          cron: req.cron,
          timezone: req.timezone,
          model: req.model,
          benchmarks: req.benchmarks,
          config: req.config,
          baseline: req.baseline,
          enabled: req.enabled,
          webhookUrl: req.webhookUrl,
          nextRunAt: timestampFromDate(new Date(Date.now() + 3_600_000)),
          createdAt: timestampFromDate(new Date()),
        };
        this.schedules.push(schedule);
        return { schedule: strip(schedule), webhookSecret: req.webhookUrl ? `whsec_${randomUUID()}` : '' };
      }),
      ListSchedules: unary((req: evalV1.ListSchedulesRequest) => ({ schedules: this.schedules.filter((s) => s.team === req.team).map(strip) })),
      DeleteSchedule: unary((req: evalV1.DeleteScheduleRequest) => {
        const index = this.schedules.findIndex((s) => s.id === req.id && s.team === req.team);
        if (index < 0) throw new PlatformError(PlatformErrorCode.SCHEDULE_NOT_FOUND, `schedule ${req.id} not found`);
        const [removed] = this.schedules.splice(index, 1);
        return { schedule: strip(removed!) };
      }),
      ListBenchmarks: unary(() => ({
        benchmarks: [
          { name: 'gsm8k', version: '1.0.0', metric: 'accuracy', items: 1319, dataset: 'gsm8k/test.jsonl' },
          { name: 'humaneval', version: '1.0.0', metric: 'pass@k', items: 164, dataset: 'humaneval/HumanEval.jsonl.gz' },
        ],
      })),
    };
  }

  private inferenceHandlers() {
    const unimplemented = unary(() => {
      throw new PlatformError(PlatformErrorCode.INTERNAL, 'not part of the fake');
    });
    return {
      Generate: unimplemented,
      GenerateStream: unimplemented,
      GetTeamLimits: unary((req: inferenceV1.GetTeamLimitsRequest) => ({ defaultTokensPerMinute: this.serviceTokensPerMinute.get(req.team) ?? 0 })),
      ListModels: unary(() => ({
        models: [
          create(inferenceV1.ModelInfoSchema, { name: 'sim:oracle', kind: 'sim', endpoints: 2, readyEndpoints: 1, chat: true }),
          { name: 'llama-3-8b', kind: 'openai', endpoints: 1, readyEndpoints: 1, chat: false },
        ],
      })),
    };
  }
}

function strip({ team: _team, ...schedule }: Schedule): MessageInitShape<typeof evalV1.ScheduleSchema> {
  return schedule;
}

/** A grpc-js unary handler from a plain function; domain errors travel as the shared adapter encodes them. */
function unary<I>(fn: (request: I) => unknown) {
  return (call: ServerUnaryCall<I, unknown>, callback: sendUnaryData<unknown>) => {
    try {
      callback(null, fn(call.request));
    } catch (err) {
      callback(err instanceof PlatformError ? toGrpcError(err) : (err as Error));
    }
  };
}

function page<T, R>(all: T[], pageSize: number, token: string, shape: (items: T[], next: string) => R): R {
  const offset = token ? Number(token) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw PlatformError.invalid('page_token', 'not a token this service issued');
  const size = pageSize || 50;
  const items = all.slice(offset, offset + size);
  return shape(items, offset + size < all.length ? String(offset + size) : '');
}
