import { MultiBar, Presets } from 'cli-progress';
import type { GatewayClient, RunJson } from '../api/gateway-client';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls runs until they are final, drawing one progress bar per run on stderr (periodic lines when not a terminal). */
export async function followRuns(
  client: GatewayClient,
  runIds: string[],
  opts: { pollMs?: number; quiet?: boolean; signal?: AbortSignal } = {},
): Promise<RunJson[]> {
  const bars = opts.quiet
    ? null
    : new MultiBar(
        {
          format: ' {label} |{bar}| {percentage}% | {value}/{total} | {rate}/s | errors {errors} | ETA {eta_formatted}',
          hideCursor: true,
          stream: process.stderr,
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 5_000,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      );
  const started = Date.now();
  const state = new Map<string, RunJson>();
  const barFor = new Map<string, ReturnType<MultiBar['create']>>();
  try {
    for (;;) {
      const runs = await Promise.all(runIds.map((id) => client.getRun(id)));
      for (const run of runs) {
        state.set(run.id, run);
        const counts = run.summary?.counts;
        const done = (counts?.scored ?? 0) + (counts?.errored ?? 0) + (counts?.cancelled ?? 0);
        const total = counts?.total ?? 0;
        const payload = {
          label: `${run.benchmark.padEnd(10)} ${run.model}`.slice(0, 40).padEnd(40),
          errors: counts?.errored ?? 0,
          rate: (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1),
        };
        const bar = barFor.get(run.id);
        if (!bar && bars) barFor.set(run.id, bars.create(total, done, payload));
        else bar?.update(done, payload);
      }
      if (runs.every((run) => FINAL.has(run.status))) break;
      if (opts.signal?.aborted) break;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 300));
    }
  } finally {
    bars?.stop();
  }
  return runIds.map((id) => state.get(id)!);
}
