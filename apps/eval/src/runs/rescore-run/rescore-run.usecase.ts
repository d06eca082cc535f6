import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { BenchmarkCatalog } from '../../benchmarks/benchmark-catalog';
import type { SampleQueue } from '../../queue/sample-queue';
import type { RunStore, SampleStore } from '../run-store';
import type { RunRecord, RunSpec } from '../run.types';

/** Which run to re-score, for which team. */
export interface RescoreRunCommand {
  team: string;
  runId: string;
}

/**
 * Plans a re-scoring run: a new run of the source's model and items whose samples the workers score from the source's
 * stored outputs with the current version of the benchmark's scorer (SampleRescorer), never calling the model. The new
 * run records its source and both scorer versions, so it compares with the source like any other run.
 */
export class RescoreRunUseCase {
  constructor(
    private readonly runs: RunStore,
    private readonly samples: Pick<SampleStore, 'finishedPositions'>,
    private readonly catalog: BenchmarkCatalog,
    private readonly queue: Pick<SampleQueue, 'enqueue'>,
    private readonly logger: Logger,
    private readonly opts: { platformVersion: string },
  ) {}

  async execute(cmd: RescoreRunCommand): Promise<RunRecord> {
    const teamId = await this.runs.ensureTeam(cmd.team);
    const source = await this.runs.findForTeam(teamId, cmd.runId);
    // Another team's run is reported exactly like a missing one, so existence does not leak.
    if (!source) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${cmd.runId} not found`, { field: 'id' });
    if (source.status === 'QUEUED' || source.status === 'RUNNING') {
      throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${source.id} is still ${source.status.toLowerCase()}; re-score it once it has finished`);
    }
    const { benchmark, loaded, ref } = await this.catalog.load(source.benchmark);
    if (loaded.datasetSha256 !== source.spec.datasetSha256) {
      throw new PlatformError(
        PlatformErrorCode.RUN_STATE_CONFLICT,
        `run ${source.id} was made on other ${source.spec.datasetFile} data (sha256 ${source.spec.datasetSha256.slice(0, 12)}…, here ${loaded.datasetSha256.slice(0, 12)}…); its items cannot be matched, start a new run instead`,
      );
    }
    const positions = await this.samples.finishedPositions(source.id);
    if (positions.length === 0) {
      throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${source.id} has no scored or errored samples to re-score`);
    }
    const spec: RunSpec = {
      ...source.spec,
      benchmarkRef: ref,
      metric: benchmark.metric,
      platformVersion: this.opts.platformVersion,
      ...(source.spec.agent && benchmark.agent ? { agent: { ...source.spec.agent, scoringRules: benchmark.agent.scoringRules } } : {}),
      rescore: {
        sourceRunId: source.id,
        sourceBenchmarkRef: source.spec.benchmarkRef,
        scorerRef: ref,
        ...(source.spec.agent ? { sourceScoringRules: source.spec.agent.scoringRules } : {}),
        ...(benchmark.agent ? { scoringRules: benchmark.agent.scoringRules } : {}),
      },
    };
    const created = await this.runs.createRescore({
      teamId,
      modelName: source.modelName,
      benchmark: benchmark.name,
      benchmarkVersion: benchmark.version,
      config: source.config,
      spec,
      samples: positions,
      sourceRunId: source.id,
    });
    // Two at once would score the same outputs twice over and compare no differently: one is enough.
    if ('inFlight' in created) {
      throw new PlatformError(
        PlatformErrorCode.RUN_STATE_CONFLICT,
        `run ${source.id} is already being re-scored by run ${created.inFlight.id} (${created.inFlight.status.toLowerCase()}); wait for it to finish (lemur runs show ${created.inFlight.id}) or cancel it (lemur runs cancel ${created.inFlight.id})`,
      );
    }
    const { run, sampleIds } = created;
    try {
      await this.queue.enqueue(run.id, sampleIds);
    } catch (err) {
      // The run and its samples are stored; the workers' reconciler queues pending samples that have no job.
      this.logger.error({ err, runId: run.id }, 'queueing samples failed; the reconciler will queue them');
    }
    this.logger.info({ runId: run.id, sourceRunId: source.id, scorer: ref, samples: sampleIds.length }, 're-scoring run created');
    return run;
  }
}
