import { describe, expect, it } from 'vitest';
import { benchmarkRef } from './benchmark';
import { BenchmarkErrorCode, BenchmarkException, toPlatformErrorCode } from './benchmark.exception';
import { getBenchmark, listBenchmarks } from './registry';
import { PlatformErrorCode } from '@lemur/shared-errors';

describe('benchmark registry', () => {
  it('lists every benchmark by name@version', () => {
    expect(listBenchmarks().map(benchmarkRef)).toEqual([
      'humaneval@1.0.0',
      'gsm8k@1.0.0',
      'mbpp@1.0.0',
      'mmlu@2.0.0',
      'bbh@1.1.0',
      'bbh-direct@1.1.0',
      ...['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp'].map((t) => `mint-${t}@1.0.0`),
      'intercode-sql@1.0.0',
      'intercode-bash@1.1.0',
      'intercode-ctf@1.0.0',
      'spider@1.0.0',
      'mint-alfworld@1.0.0',
      'webarena@1.0.0',
      'multipl-e@1.0.0',
      'ds1000@1.0.0',
    ]);
  });

  it('marks exactly the MINT benchmarks as agent benchmarks, with the published rules and MINT sampling', () => {
    const agents = listBenchmarks().filter((b) => b.agent?.protocol === 'mint');
    expect(agents.map((b) => b.name)).toEqual(['mint-gsm8k', 'mint-math', 'mint-theoremqa', 'mint-hotpotqa', 'mint-mmlu', 'mint-humaneval', 'mint-mbpp', 'mint-alfworld']);
    for (const b of agents) {
      expect(b.agent).toMatchObject({ protocol: 'mint', scoringRules: 'published', budget: { maxSteps: 5, maxProposeSolution: 2 }, cellTimeoutMs: 30_000 });
      expect(b.sampling).toMatchObject({ maxTokens: 512, temperature: 0 });
      expect(b.sampling.stop).toContain('\nObservation:');
    }
    expect(getBenchmark('mint-gsm8k').agent?.tools).toEqual(['wikipedia_search']);
    expect(getBenchmark('mint-mbpp').agent?.tools).toEqual([]);
  });

  it('resolves a ref or a bare name to the latest version', () => {
    expect(benchmarkRef(getBenchmark('humaneval@1.0.0'))).toBe('humaneval@1.0.0');
    expect(benchmarkRef(getBenchmark('gsm8k'))).toBe('gsm8k@1.0.0');
    expect(getBenchmark('GSM8K').name).toBe('gsm8k');
    expect(benchmarkRef(getBenchmark('mbpp'))).toBe('mbpp@1.0.0');
  });

  it.each(['mbpp@2.0.0', 'humaneval@2.0.0', ''])('rejects %j with the known benchmarks listed', (ref) => {
    let error: unknown;
    try {
      getBenchmark(ref);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BenchmarkException);
    const e = error as BenchmarkException;
    expect(e.code).toBe(BenchmarkErrorCode.UNKNOWN_BENCHMARK);
    expect(e.message).toContain('humaneval@1.0.0, gsm8k@1.0.0, mbpp@1.0.0, mmlu@2.0.0, bbh@1.1.0, bbh-direct@1.1.0');
    expect(e.details['known']).toEqual(listBenchmarks().map(benchmarkRef));
  });

  it('maps its codes onto platform codes', () => {
    expect(toPlatformErrorCode(BenchmarkErrorCode.UNKNOWN_BENCHMARK)).toBe(PlatformErrorCode.BENCHMARK_NOT_FOUND);
    expect(toPlatformErrorCode(BenchmarkErrorCode.DATASET_CHECKSUM_MISMATCH)).toBe(PlatformErrorCode.DATASET_UNAVAILABLE);
  });

  it('records distinct prompt template hashes', () => {
    const hashes = listBenchmarks().map((b) => b.promptTemplateHash);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});
