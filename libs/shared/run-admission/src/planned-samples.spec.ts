import { describe, expect, it } from 'vitest';
import { plannedSamples } from './planned-samples';

const benchmarks = [
  { name: 'gsm8k', version: '1.0.0', items: 1319 },
  { name: 'humaneval', version: '1.0.0', items: 164 },
];

describe('plannedSamples', () => {
  it('charges items (all, or the limit) times samples per item', () => {
    expect(plannedSamples(benchmarks, 'gsm8k', 0, 1)).toBe(1319);
    expect(plannedSamples(benchmarks, 'humaneval', 10, 5)).toBe(50);
    expect(plannedSamples(benchmarks, 'humaneval', 500, 2)).toBe(328);
  });

  it('matches a pinned version only, and charges an unknown benchmark nothing', () => {
    expect(plannedSamples(benchmarks, 'gsm8k@1.0.0', 2, 1)).toBe(2);
    expect(plannedSamples(benchmarks, 'gsm8k@2.0.0', 2, 1)).toBe(0);
    expect(plannedSamples(benchmarks, 'nope', 2, 1)).toBe(0);
  });
});
