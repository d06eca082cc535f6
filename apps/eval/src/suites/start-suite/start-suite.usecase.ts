import { findSuite, planSuite, SUITES, type BenchmarkLookup } from '@lemur/benchmarks';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { BenchmarkCatalog } from '../../benchmarks/benchmark-catalog';
import type { RunStore } from '../../runs/run-store';
import type { ModelDirectory, StartRunUseCase } from '../../runs/start-run/start-run.usecase';
import type { SuiteMemberRecord, SuiteRunRecord, SuiteRunStore } from '../suite-run.types';
import type { StartSuiteCommand } from './start-suite.command';

// What stops one member but not the suite: its data, its environment or its benchmark is missing here.
const MEMBER_CODES = new Set([PlatformErrorCode.DATASET_UNAVAILABLE, PlatformErrorCode.SANDBOX_UNAVAILABLE, PlatformErrorCode.BENCHMARK_NOT_FOUND]);

function skipReason(err: unknown): string | undefined {
  if (!(err instanceof PlatformError)) return undefined;
  if (MEMBER_CODES.has(err.code)) return err.message;
  // e.g. an environment-server benchmark with no LEMUR_ENVIRONMENT_URL configured.
  if (err.code === PlatformErrorCode.INVALID_ARGUMENT && err.field === 'benchmark') return err.message;
  return undefined;
}

/**
 * Starts one run per member of a suite, grouped under one suite run. Members whose benchmark is not registered, or
 * whose data or environment is missing, are recorded with the exact reason instead of vanishing; a request that is
 * wrong for every member (unknown suite or model, bad settings) fails as a whole before anything is kept.
 */
export class StartSuiteUseCase {
  constructor(
    private readonly suiteRuns: SuiteRunStore,
    private readonly runs: RunStore,
    private readonly catalog: BenchmarkCatalog,
    private readonly models: ModelDirectory,
    private readonly startRun: StartRunUseCase,
    private readonly logger: Logger,
    private readonly lookup?: BenchmarkLookup,
  ) {}

  async execute(cmd: StartSuiteCommand): Promise<SuiteRunRecord> {
    if (!cmd.team) throw PlatformError.invalid('team', 'is required');
    if (!cmd.model) throw PlatformError.invalid('model', 'is required');
    const suite = findSuite(cmd.suite ?? '');
    if (!suite) throw PlatformError.invalid('suite', `unknown suite "${cmd.suite}"; known suites: ${SUITES.map((s) => s.name).join(', ')}`);
    if (!Number.isInteger(cmd.limit) || cmd.limit < 0) throw PlatformError.invalid('limit', 'must be a whole number >= 0 (0 = all items)');
    if (!(await this.models.has(cmd.model))) {
      const known = await this.models.names();
      throw new PlatformError(PlatformErrorCode.MODEL_NOT_FOUND, `unknown model "${cmd.model}"; known models: ${known.join(', ') || '(none)'}`, { field: 'model' });
    }
    if (cmd.feedbackModel !== undefined && !(await this.models.has(cmd.feedbackModel))) {
      throw new PlatformError(PlatformErrorCode.MODEL_NOT_FOUND, `unknown feedback model "${cmd.feedbackModel}"`, { field: 'feedbackModel' });
    }
    const teamId = await this.runs.ensureTeam(cmd.team);
    const { suite: _suite, feedbackModel, ...settings } = cmd;
    const suiteRun = await this.suiteRuns.create({
      teamId,
      name: suite.name,
      modelName: cmd.model,
      config: {
        limit: cmd.limit,
        samplesPerItem: cmd.samplesPerItem || 1,
        concurrency: cmd.concurrency,
        chat: cmd.chat,
        ...(cmd.temperature !== undefined ? { temperature: cmd.temperature } : {}),
        ...(cmd.maxTokens !== undefined ? { maxTokens: cmd.maxTokens } : {}),
        ...(cmd.topP !== undefined ? { topP: cmd.topP } : {}),
        ...(cmd.seed !== undefined ? { seed: cmd.seed } : {}),
        ...(cmd.feedbackModel !== undefined ? { feedbackModel: cmd.feedbackModel } : {}),
      },
    });
    const members: SuiteMemberRecord[] = [];
    for (const entry of planSuite(suite, { feedback: feedbackModel !== undefined }, this.lookup)) {
      const member = { key: entry.key, benchmark: entry.benchmark, feedback: entry.feedback };
      if (entry.status === 'unavailable') {
        members.push({ ...member, state: 'UNAVAILABLE', reason: entry.reason });
        continue;
      }
      try {
        // Loaded first so a missing file is reported with the loader's message, and so `limit` caps each benchmark.
        const { loaded } = await this.catalog.load(entry.ref);
        const run = await this.startRun.execute({
          ...settings,
          benchmark: entry.ref,
          limit: cmd.limit > 0 ? Math.min(cmd.limit, loaded.items.length) : 0,
          suiteRunId: suiteRun.id,
          ...(entry.feedback && feedbackModel !== undefined ? { feedbackModel } : {}),
        });
        members.push({ ...member, state: 'STARTED', runId: run.id });
      } catch (err) {
        const reason = skipReason(err);
        if (reason !== undefined) {
          members.push({ ...member, state: 'SKIPPED', reason });
          continue;
        }
        if (!members.some((m) => m.state === 'STARTED')) {
          await this.suiteRuns.delete(suiteRun.id);
          throw err;
        }
        // Runs already started keep going; the members so far are kept, and the failure is reported to the caller.
        await this.suiteRuns.setMembers(suiteRun.id, members);
        throw err;
      }
    }
    await this.suiteRuns.setMembers(suiteRun.id, members);
    const count = (state: string) => members.filter((m) => m.state === state).length;
    this.logger.info(
      { suiteRunId: suiteRun.id, suite: suite.name, model: cmd.model, started: count('STARTED'), skipped: count('SKIPPED'), unavailable: count('UNAVAILABLE') },
      'suite run created',
    );
    return { ...suiteRun, members };
  }
}
