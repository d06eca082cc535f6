import { spawn } from 'node:child_process';

/** One benchmark's figure: a ratio against a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  ratio: number;
  target: string;
  ok: boolean;
  /** What the ratio is measured against, in the same run. */
  baseline?: string;
  detail: string;
}

/** The result as `npm run bench` prints it. */
export function formatResult(result: BenchResult): string {
  return (
    `${result.ok ? 'ok  ' : 'MISS'} ${result.name}: ${result.ratio.toFixed(3)} (target ${result.target})` +
    `${result.baseline ? `\n     baseline: ${result.baseline}` : ''}\n     ${result.detail}`
  );
}

/** Runs one benchmark on its own (`node --import tsx bench/x.bench.ts`): prints it, exit code 1 on a miss or error. */
export function runStandalone(run: () => Promise<BenchResult>): void {
  run().then(
    (result) => {
      console.log(formatResult(result));
      if (!result.ok) process.exitCode = 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The q-quantile (0..1) of the values: the order statistic at floor(q * n), as the benches report p50/p99. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The plain-process baseline: a Python program as an unsandboxed child with an empty environment; its exit status. */
export function runPlainPython(code: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-I', '-c', code], { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (status) => resolve(status));
  });
}
