// `npm run bench`: every platform benchmark, each a ratio against a baseline measured in the same run.
import { formatResult, type BenchResult } from './bench-result';
import { run as apiLatency } from './api-latency.bench';
import { run as evalThroughput } from './eval-throughput.bench';
import { run as failover } from './failover.bench';
import { run as fullSuite } from './full-suite.bench';
import { run as inferenceOverhead } from './inference-overhead.bench';
import { run as mintTurnOverhead } from './mint-turn-overhead.bench';
import { run as routingQuality } from './routing-quality.bench';
import { run as runExport } from './run-export.bench';
import { run as sandboxHumanEval } from './sandbox-humaneval.bench';
import { run as sandboxOverhead } from './sandbox-overhead.bench';
import { run as sandboxBombs } from './sandbox-bombs.bench';
import { run as sessionCell } from './session-cell.bench';

// Run order: the cheap, machine-level figures first, the whole-platform ones last.
const BENCHES: Record<string, () => Promise<BenchResult>> = {
  'sandbox-overhead': sandboxOverhead,
  'sandbox-humaneval': sandboxHumanEval,
  'session-cell': sessionCell,
  'sandbox-bombs': sandboxBombs,
  'eval-throughput': evalThroughput,
  'inference-overhead': inferenceOverhead,
  'routing-quality': routingQuality,
  failover,
  'api-latency': apiLatency,
  'run-export': runExport,
  'mint-turn-overhead': mintTurnOverhead,
  'full-suite': fullSuite,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  if (asked.includes('--help') || asked.includes('-h')) {
    console.log(`Usage: npm run bench [-- NAME ...]\nRuns every benchmark, or only the named ones: ${Object.keys(BENCHES).join(', ')}`);
    return;
  }
  const unknown = asked.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const results: BenchResult[] = [];
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (asked.length > 0 && !asked.includes(name)) continue;
    const result = await bench();
    results.push(result);
    console.log(formatResult(result));
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
