import PgBoss from 'pg-boss';
import type { Logger } from '@lemur/shared-logging';
import { traceparentOf } from '@lemur/shared-tracing';
import { retryOnDeadlock } from './deadlock-retry';


/** A queued unit of work: one sample of one run. */
export interface SampleJob {
  id: string;
  runId: string;
  sampleId: string;
  /** The trace of the request that queued the sample (W3C traceparent), so its processing joins that trace. */
  traceparent?: string;
}

const CHUNK = 1000;

/**
 * The Postgres-backed sample queue (pg-boss), one queue per run so each run's concurrency can be bounded and runs are
 * served round-robin. A job whose worker dies expires after `expireInSeconds` and is retried; scoring stays exactly-once
 * because a sample result is only written while the sample is still pending.
 */
export class SampleQueue {
  private readonly boss: PgBoss;
  private readonly created = new Set<string>();

  constructor(
    databaseUrl: string,
    private readonly opts: { expireInSeconds: number; maintenanceSeconds: number; retryLimit: number },
    private readonly logger: Logger,
  ) {
    this.boss = new PgBoss({
      connectionString: databaseUrl,
      schema: 'pgboss',
      max: 4,
      maintenanceIntervalSeconds: opts.maintenanceSeconds,
      application_name: 'lemur-eval-queue',
    });
    this.boss.on('error', (err: unknown) => this.logger.error({ err }, 'queue error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
  }

  private queueName(runId: string): string {
    return `run.${runId}`;
  }

  private async ensureQueue(runId: string): Promise<string> {
    const name = this.queueName(runId);
    if (!this.created.has(name)) {
      if (!(await this.boss.getQueue(name))) {
        // Another worker may create it at the same moment; that is fine as long as it exists afterwards.
        await retryOnDeadlock(() => this.boss.createQueue(name, { name, policy: 'standard' })).catch(async (err: unknown) => {
          if (!(await this.boss.getQueue(name))) throw err;
        });
      }
      this.created.add(name);
    }
    return name;
  }

  /** Queues one job per sample, each carrying the active trace. */
  async enqueue(runId: string, sampleIds: readonly string[]): Promise<void> {
    const name = await this.ensureQueue(runId);
    const traceparent = traceparentOf();
    for (let i = 0; i < sampleIds.length; i += CHUNK) {
      const jobs = sampleIds.slice(i, i + CHUNK).map((sampleId) => ({
        name,
        data: traceparent ? { runId, sampleId, traceparent } : { runId, sampleId },
        expireInSeconds: this.opts.expireInSeconds,
        retryLimit: this.opts.retryLimit,
        retryDelay: 1,
      }));
      await retryOnDeadlock(() => this.boss.insert(jobs));
    }
  }

  /**
   * Queues samples of a run that had finished (retried errors): its queue was dropped when it finished, possibly by
   * another process, so this process's memory that the queue exists is not trusted.
   */
  async requeue(runId: string, sampleIds: readonly string[]): Promise<void> {
    this.created.delete(this.queueName(runId));
    await this.enqueue(runId, sampleIds);
  }

  /** Takes up to `max` jobs of a run, marking them active. */
  async fetch(runId: string, max: number): Promise<SampleJob[]> {
    const name = await this.ensureQueue(runId);
    const jobs = await retryOnDeadlock(() => this.boss.fetch<{ runId: string; sampleId: string; traceparent?: string }>(name, { batchSize: max }));
    return jobs.map((job) => ({
      id: job.id,
      runId: job.data.runId,
      sampleId: job.data.sampleId,
      ...(job.data.traceparent ? { traceparent: job.data.traceparent } : {}),
    }));
  }

  async complete(job: SampleJob): Promise<void> {
    // A completion lost to a deadlock would leave the job active until its lease expires, and the run unfinished.
    await retryOnDeadlock(() => this.boss.complete(this.queueName(job.runId), job.id));
  }

  /**
   * Gives a job back for a retry after `retryDelayMs` (rounded up to whole seconds, pg-boss's unit; at least 1 s).
   * pg-boss counts retries against the job's retry limit.
   */
  async fail(job: SampleJob, reason: string, retryDelayMs = 1_000): Promise<void> {
    const name = this.queueName(job.runId);
    // pg-boss starts a failed job again after the job's own retry_delay: set it while this worker still holds the job
    // (active), so no one can fetch the job between the two statements; a crash between them only changes the delay.
    await retryOnDeadlock(() =>
      this.boss
        .getDb()
        .executeSql('UPDATE pgboss.job SET retry_delay = $3, retry_backoff = false WHERE name = $1 AND id = $2', [
          name,
          job.id,
          Math.max(1, Math.ceil(retryDelayMs / 1000)),
        ]),
    );
    await retryOnDeadlock(() => this.boss.fail(name, job.id, { reason }));
  }

  /** Jobs of a run still to do or in progress. */
  async outstanding(runId: string): Promise<number> {
    const name = await this.ensureQueue(runId);
    return this.boss.getQueueSize(name, { before: 'completed' });
  }

  /** Removes a finished run's queue and its jobs. */
  async drop(runId: string): Promise<void> {
    const name = this.queueName(runId);
    this.created.delete(name);
    try {
      // pg-boss 10 deletes the queue row before dropping its job partition, which the partition's foreign key refuses
      // while finished jobs remain; remove those first (the run's results live in our own tables).
      await this.boss.getDb().executeSql('DELETE FROM pgboss.job WHERE name = $1', [name]);
      await this.boss.deleteQueue(name);
    } catch (err) {
      this.logger.warn({ err, runId }, 'could not drop the run queue; pg-boss maintenance will archive its jobs');
    }
  }
}
