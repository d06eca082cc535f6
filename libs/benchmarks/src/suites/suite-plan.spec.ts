import { describe, expect, it } from 'vitest';
import { type Benchmark } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { DatasetResolver } from '../dataset/dataset-resolver';
import { loadBenchmarkItems } from '../dataset/load-benchmark-items';
import { getBenchmark } from '../registry';
import { LEMUR_PAPER_SUITE, findSuite } from './lemur-paper.suite';
import { planSuite, registryLookup } from './suite-plan';

const ISSUE_IDS = [
  'mmlu', 'bbh', 'gsm8k', 'humaneval', 'mbpp', 'spider', 'multipl-e', 'ds1000', 'mint-gsm8k', 'mint-math', 'mint-theoremqa',
  'mint-hotpotqa', 'mint-mmlu', 'mint-humaneval', 'mint-mbpp', 'mint-alfworld', 'intercode-sql', 'intercode-bash', 'intercode-ctf', 'webarena',
];

/** The suite's members: the issue's ids with BBH's answer-only variant after `bbh`. */
const SUITE_IDS = [...ISSUE_IDS.slice(0, 2), 'bbh-direct', ...ISSUE_IDS.slice(2)];

/** A lookup knowing only `known`, so the expansion is tested independently of what the registry holds today. */
const only = (...known: string[]) => (id: string) => (known.includes(id) ? ({ name: id, version: '1.0.0' } as Benchmark) : undefined);

describe('lemur-paper suite', () => {
  it('holds exactly the issue\'s benchmark ids (BBH in both its variants), each once, and axes over its own members only', () => {
    expect(LEMUR_PAPER_SUITE.benchmarks).toEqual(SUITE_IDS);
    expect(new Set(LEMUR_PAPER_SUITE.benchmarks).size).toBe(LEMUR_PAPER_SUITE.benchmarks.length);
    const keys = new Set([...LEMUR_PAPER_SUITE.benchmarks, ...LEMUR_PAPER_SUITE.feedbackBenchmarks.map((b) => `${b}+feedback`)]);
    for (const axis of LEMUR_PAPER_SUITE.axes) for (const m of axis.members) expect(keys).toContain(m);
    expect(LEMUR_PAPER_SUITE.feedbackBenchmarks.every((b) => b.startsWith('mint-'))).toBe(true);
  });

  it.each([
    ['lemur-paper', 'lemur-paper'],
    [' LEMUR-PAPER ', 'lemur-paper'],
    ['lemur', undefined],
    ['', undefined],
  ])('findSuite(%j) is %j', (name, expected) => {
    expect(findSuite(name)?.name).toBe(expected);
  });
});

describe('planSuite', () => {
  it.each([
    {
      name: 'everything registered, no feedback',
      feedback: false,
      known: SUITE_IDS,
      planned: SUITE_IDS,
      unavailable: [] as string[],
    },
    {
      name: 'ids not registered yet are kept as unavailable, in place',
      feedback: false,
      known: SUITE_IDS.filter((id) => id !== 'spider' && id !== 'intercode-ctf'),
      planned: SUITE_IDS.filter((id) => id !== 'spider' && id !== 'intercode-ctf'),
      unavailable: ['spider', 'intercode-ctf'],
    },
    {
      name: 'a feedback model adds the seven MINT tasks again with feedback',
      feedback: true,
      known: SUITE_IDS,
      planned: [...SUITE_IDS, ...['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp'].map((t) => `mint-${t}+feedback`)],
      unavailable: [],
    },
    {
      name: 'an unregistered MINT task is unavailable in both variants',
      feedback: true,
      known: SUITE_IDS.filter((id) => id !== 'mint-math'),
      planned: [
        ...SUITE_IDS.filter((id) => id !== 'mint-math'),
        ...['gsm8k', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp'].map((t) => `mint-${t}+feedback`),
      ],
      unavailable: ['mint-math', 'mint-math+feedback'],
    },
  ])('$name', ({ feedback, known, planned, unavailable }) => {
    const plan = planSuite(LEMUR_PAPER_SUITE, { feedback }, only(...known));
    expect(plan.filter((e) => e.status === 'planned').map((e) => e.key)).toEqual(planned);
    expect(plan.filter((e) => e.status === 'unavailable').map((e) => e.key)).toEqual(unavailable);
    for (const e of plan) {
      expect(e.feedback).toBe(e.key.endsWith('+feedback'));
      if (e.status === 'unavailable') expect(e.reason).toBe(`${e.benchmark} is not available in this version`);
      else expect(e.ref).toBe(`${e.benchmark}@1.0.0`);
    }
  });

  it('resolves through the real registry without throwing, whatever it holds', () => {
    const plan = planSuite(LEMUR_PAPER_SUITE, { feedback: false }, registryLookup);
    expect(plan.map((e) => e.key)).toEqual(SUITE_IDS);
    expect(plan.find((e) => e.key === 'gsm8k')).toMatchObject({ status: 'planned', ref: 'gsm8k@1.0.0' });
    expect(plan.find((e) => e.key === 'multipl-e')).toMatchObject({ status: 'planned', ref: 'multipl-e@1.0.0' });
  });
});

describe('benchmarks registered without their data', () => {
  it.each([
    ['multipl-e', ['multipl-e/humaneval-cpp.jsonl', 'huggingface.co/datasets/nuprl/MultiPL-E']],
    ['ds1000', ['ds1000/ds1000.jsonl.gz', 'github.com/xlang-ai/DS-1000']],
    ['webarena', ['webarena/config_files/test.raw.json']],
  ])('%s fails to load with DATASET_NOT_FOUND naming the file and where it is published', async (id, needles) => {
    const resolver = new DatasetResolver({ online: false });
    const error = await loadBenchmarkItems(getBenchmark(id), resolver).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(BenchmarkException);
    expect((error as BenchmarkException).code).toBe(BenchmarkErrorCode.DATASET_NOT_FOUND);
    for (const needle of needles) expect((error as Error).message).toContain(needle);
  });
});
