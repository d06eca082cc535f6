import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIME_MODEL,
  FAST_TIME_MODEL,
  generationTimeMs,
  interTokenMs,
  timeToFirstTokenMs,
  type TimeModelConfig,
} from './time-model';

const config: TimeModelConfig = { ttftBaseMs: 20, ttftPerPromptTokenMs: 0.5, tpotMs: 2, batchSlowdownPerSeq: 0.1 };

describe('time model', () => {
  it('grows time to first token with the prompt', () => {
    expect(timeToFirstTokenMs(config, 0)).toBe(20);
    expect(timeToFirstTokenMs(config, 100)).toBe(70);
  });

  it('slows decoding as more sequences share the batch', () => {
    expect(interTokenMs(config, 1)).toBe(2);
    expect(interTokenMs(config, 11)).toBeCloseTo(4);
  });

  it('sums prefill and decode for a whole generation', () => {
    expect(generationTimeMs(config, 100, 1)).toBe(70);
    expect(generationTimeMs(config, 100, 11)).toBe(90);
    expect(generationTimeMs(config, 100, 0)).toBe(70);
  });

  it('is all zeros in fast mode and small by default', () => {
    expect(generationTimeMs(FAST_TIME_MODEL, 5000, 500, 64)).toBe(0);
    expect(timeToFirstTokenMs(DEFAULT_TIME_MODEL, 10)).toBeLessThan(50);
  });
});
