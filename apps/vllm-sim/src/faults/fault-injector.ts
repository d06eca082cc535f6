/** Fault injection settings of one simulator; all decisions are a pure function of the seed and request number. */
export interface FaultConfig {
  /** Fraction of generation requests answered with HTTP 500 before any token. */
  errorRate: number;
  /** Fraction of streaming requests that stop sending after the first token and never finish. */
  stallRate: number;
  /** After this many generation requests, the next one crashes the simulator; 0 disables. */
  crashAfterRequests: number;
  seed: number;
}

/** No faults. */
export const NO_FAULTS: FaultConfig = { errorRate: 0, stallRate: 0, crashAfterRequests: 0, seed: 0 };

/** What happens to one request. */
export type FaultDecision = 'none' | 'error' | 'stall' | 'crash';

/** A 32-bit integer hash (splitmix-style) turned into a uniform number in [0, 1). */
export function uniform(seed: number, requestNumber: number, salt: number): number {
  let x = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(requestNumber | 0, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 32;
}

const ERROR_SALT = 1;
const STALL_SALT = 2;

/**
 * Decides each generation request's fault from its arrival number, so a given seed reproduces the same pattern
 * regardless of timing; errors and stalls use independent draws.
 */
export class FaultInjector {
  private requests = 0;

  constructor(private readonly config: FaultConfig) {
    for (const [name, rate] of [
      ['errorRate', config.errorRate],
      ['stallRate', config.stallRate],
    ] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${rate}`);
    }
    if (!Number.isInteger(config.crashAfterRequests) || config.crashAfterRequests < 0) {
      throw new RangeError(`crashAfterRequests must be a non-negative integer, got ${config.crashAfterRequests}`);
    }
  }

  /** Number of generation requests seen so far. */
  get requestCount(): number {
    return this.requests;
  }

  next(stream: boolean): FaultDecision {
    this.requests += 1;
    const n = this.requests;
    if (this.config.crashAfterRequests > 0 && n > this.config.crashAfterRequests) return 'crash';
    if (uniform(this.config.seed, n, ERROR_SALT) < this.config.errorRate) return 'error';
    if (stream && uniform(this.config.seed, n, STALL_SALT) < this.config.stallRate) return 'stall';
    return 'none';
  }
}
