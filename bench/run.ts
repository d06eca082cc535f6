// `npm run bench`: every platform benchmark, each a ratio against a baseline measured in the same run.
import type { BenchResult } from './bench-result';
import { run as evalThroughput } from './eval-throughput.bench';
import { run as sandboxOverhead } from './sandbox-overhead.bench';

async function main(): Promise<void> {
  const results: BenchResult[] = [];
  for (const bench of [sandboxOverhead, evalThroughput]) {
    const result = await bench();
    results.push(result);
    console.log(
      `${result.ok ? 'ok  ' : 'MISS'} ${result.name}: ${result.ratio.toFixed(3)} (target ${result.target})` +
        `${result.baseline ? `\n     baseline: ${result.baseline}` : ''}\n     ${result.detail}`,
    );
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
