import { type Benchmark, benchmarkRef } from './benchmark';
import { BenchmarkErrorCode, BenchmarkException } from './benchmark.exception';
import { bbhBenchmark, bbhDirectBenchmark } from './bbh/bbh.benchmark';
import { gsm8kBenchmark } from './gsm8k/gsm8k.benchmark';
import { humanEvalBenchmark } from './humaneval/humaneval.benchmark';
import { mbppBenchmark } from './mbpp/mbpp.benchmark';
import { mmluBenchmark } from './mmlu/mmlu.benchmark';
import { intercodeBashBenchmark, intercodeSqlBenchmark } from './intercode/intercode.benchmark';
import { intercodeCtfBenchmark } from './intercode/intercode-ctf.benchmark';
import { spiderBenchmark } from './spider/spider.benchmark';
import { MINT_BENCHMARKS } from './mint/mint.benchmark';
import { alfworldBenchmark } from './alfworld/alfworld.benchmark';
import { webarenaBenchmark } from './webarena/webarena.benchmark';
import { multiplEBenchmark } from './multipl-e/multipl-e.benchmark';
import { ds1000Benchmark } from './ds1000/ds1000.benchmark';

// Agent benchmarks (MINT) sit beside single-turn ones; they are told apart by their `agent` part.
const BENCHMARKS: readonly Benchmark[] = [
  humanEvalBenchmark,
  gsm8kBenchmark,
  mbppBenchmark,
  mmluBenchmark,
  bbhBenchmark,
  bbhDirectBenchmark,
  ...MINT_BENCHMARKS,
  intercodeSqlBenchmark,
  intercodeBashBenchmark,
  intercodeCtfBenchmark,
  spiderBenchmark,
  alfworldBenchmark,
  webarenaBenchmark,
  multiplEBenchmark,
  ds1000Benchmark,
];

/** Every registered benchmark, one entry per `name@version`. */
export function listBenchmarks(): readonly Benchmark[] {
  return BENCHMARKS;
}

/** A benchmark by 'name@version', or by bare 'name' for its latest version; throws UNKNOWN_BENCHMARK otherwise. */
export function getBenchmark(nameOrRef: string): Benchmark {
  const [name, version] = nameOrRef.trim().split('@', 2) as [string, string | undefined];
  const candidates = BENCHMARKS.filter((b) => b.name === name.toLowerCase() && (version === undefined || b.version === version));
  const found = candidates.sort((a, b) => compareVersions(b.version, a.version))[0];
  if (found === undefined) {
    const known = BENCHMARKS.map(benchmarkRef);
    throw new BenchmarkException(
      BenchmarkErrorCode.UNKNOWN_BENCHMARK,
      `unknown benchmark "${nameOrRef}"; known benchmarks: ${known.join(', ')}`,
      { requested: nameOrRef, known },
    );
  }
  return found;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
