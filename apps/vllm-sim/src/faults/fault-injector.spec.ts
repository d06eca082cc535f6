import { describe, expect, it } from 'vitest';
import { FaultInjector, NO_FAULTS, uniform } from './fault-injector';

const decide = (injector: FaultInjector, count: number, stream = true) =>
  Array.from({ length: count }, () => injector.next(stream));

describe('FaultInjector', () => {
  it('never injects anything by default', () => {
    expect(new Set(decide(new FaultInjector(NO_FAULTS), 200))).toEqual(new Set(['none']));
  });

  it('reproduces the same pattern for the same seed and differs for another', () => {
    const config = { ...NO_FAULTS, errorRate: 0.3, stallRate: 0.3, seed: 7 };
    const first = decide(new FaultInjector(config), 100);
    expect(decide(new FaultInjector(config), 100)).toEqual(first);
    expect(decide(new FaultInjector({ ...config, seed: 8 }), 100)).not.toEqual(first);
  });

  it('errors roughly the configured fraction of requests', () => {
    const decisions = decide(new FaultInjector({ ...NO_FAULTS, errorRate: 0.25, seed: 3 }), 2000);
    const errors = decisions.filter((d) => d === 'error').length;
    expect(errors).toBeGreaterThan(400);
    expect(errors).toBeLessThan(600);
  });

  it('stalls only streams', () => {
    expect(decide(new FaultInjector({ ...NO_FAULTS, stallRate: 1 }), 5, false)).toEqual(Array(5).fill('none'));
    expect(decide(new FaultInjector({ ...NO_FAULTS, stallRate: 1 }), 5, true)).toEqual(Array(5).fill('stall'));
  });

  it('crashes on the request after the configured count', () => {
    expect(decide(new FaultInjector({ ...NO_FAULTS, crashAfterRequests: 2 }), 3)).toEqual(['none', 'none', 'crash']);
  });

  it('rejects rates outside [0, 1]', () => {
    expect(() => new FaultInjector({ ...NO_FAULTS, errorRate: 1.5 })).toThrow(RangeError);
    expect(() => new FaultInjector({ ...NO_FAULTS, crashAfterRequests: -1 })).toThrow(RangeError);
  });

  it('draws uniform numbers in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const u = uniform(42, i, 1);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});
