import type { GatewayClient, RunJson } from '../src/api/gateway-client';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls a run through the gateway until it is final; fails with its status and counts after `timeoutMs`. */
export async function waitFinal<T extends RunJson = RunJson>(client: GatewayClient, id: string, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await client.getRun(id)) as T;
    if (FINAL.has(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms: ${JSON.stringify(run.summary?.counts)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The run's accuracy metric; throws naming the run when it has none. */
export function accuracy(run: RunJson): number {
  const found = run.summary?.metrics.find((m) => m.name === 'accuracy');
  if (!found) throw new Error(`run ${run.id} has no accuracy: ${JSON.stringify(run.summary)}`);
  return found.value;
}
