import type { ExecResult, SandboxLimitHit } from '@lemur/sandbox-policy';
import { assertUnreachable } from '@lemur/shared-errors';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Bounded outcome of a run or cell: ok, error (non-zero exit), the limit that ended it, or cancelled (caller gone). */
export type RunOutcome =
  | 'ok'
  | 'error'
  | 'cancelled'
  | 'timeout'
  | 'memory'
  | 'output_limit'
  | 'cpu_limit'
  | 'processes_limit'
  | 'file_size_limit'
  | 'workspace_limit'
  | 'rows_limit';

function limitOutcome(hit: SandboxLimitHit): RunOutcome {
  switch (hit) {
    case 'wall_time':
      return 'timeout';
    case 'memory':
      return 'memory';
    case 'output':
      return 'output_limit';
    case 'cpu_time':
      return 'cpu_limit';
    case 'processes':
      return 'processes_limit';
    case 'file_size':
      return 'file_size_limit';
    case 'workspace':
      return 'workspace_limit';
    case 'rows':
      return 'rows_limit';
    default:
      return assertUnreachable(hit);
  }
}

/** The metric outcome of a result. */
export function runOutcome(result: ExecResult): RunOutcome {
  if (result.limitHit !== null) return limitOutcome(result.limitHit);
  return result.exitCode === 0 ? 'ok' : 'error';
}

/** Metrics of sandboxed runs (one-shot programs and session cells alike; `mode` tells them apart). */
export class SandboxMetrics {
  readonly runs: Counter<'language' | 'backend' | 'mode' | 'outcome'>;
  readonly duration: Histogram<'language' | 'backend' | 'mode'>;
  readonly waiting: Gauge;
  readonly running: Gauge;
  readonly slotWait: Histogram;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'lemur_sandbox_runs_total',
      help: 'Sandboxed programs and session cells by language, backend, mode (execute, cell) and outcome.',
      labelNames: ['language', 'backend', 'mode', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'lemur_sandbox_run_duration_seconds',
      help: 'Wall time of sandboxed programs and session cells.',
      labelNames: ['language', 'backend', 'mode'],
      buckets: [0.001, 0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.waiting = new Gauge({ name: 'lemur_sandbox_runs_waiting', help: 'Programs waiting for a free slot.', registers: [registry] });
    this.running = new Gauge({ name: 'lemur_sandbox_runs_running', help: 'Programs running now.', registers: [registry] });
    this.slotWait = new Histogram({
      name: 'lemur_sandbox_slot_wait_seconds',
      help: 'Time a program waited for a free run slot (0 when one was free).',
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  /** Counts one finished run or cell. */
  record(labels: { language: string; backend: string; mode: 'execute' | 'cell' }, result: ExecResult, outcome: RunOutcome = runOutcome(result)): void {
    this.runs.inc({ ...labels, outcome });
    this.duration.observe(labels, result.wallMs / 1000);
  }
}
