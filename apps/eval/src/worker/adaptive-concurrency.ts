/** Samples in flight a model's limiter allows before the endpoint has said anything (EVAL_INITIAL_MODEL_CONCURRENCY). */
export const DEFAULT_INITIAL_MODEL_CONCURRENCY = 8;

/** What one sample told about the endpoint's capacity: it got through, it was refused as overloaded, or neither. */
export type CapacitySignal = 'success' | 'overload' | 'neutral';

/** A slot held by one sample in flight; hand it back to `release` exactly once. */
export interface ConcurrencyPermit {
  /** The limiter's generation when the sample started: only the current generation's outcomes move the limit. */
  readonly generation: number;
  /** At least half the limit was in use when the sample started (checked again when it ends). */
  readonly tested: boolean;
}

/** A change of the limit, for the caller's gauge and log. */
export interface LimitChange {
  from: number;
  to: number;
  cause: 'increase' | 'overload' | 'bound';
}

/**
 * An AIMD limit on the samples in flight against one endpoint. It starts at `initial` and, until the first overload,
 * grows by one per success (doubling each generation, TCP's slow start, so a low start costs little); after that by
 * one per `limit` successes (one generation's worth). An overload halves it (never below 1) and starts a new
 * generation: the samples already in flight were sent under the old limit, so their overloads (and their successes)
 * no longer count, and eight samples refused together halve it once, not eight times. Only a success that started or
 * ended with at least half the limit in use counts, so a limit the work never came near does not creep up to `max`.
 * Never above `max` (the runs' and the worker's own concurrency). Pure: no clock, no I/O.
 */
export class AimdLimiter {
  private current: number;
  private bound: number;
  private held = 0;
  private generation = 0;
  private successes = 0;
  private probing = true;

  constructor(opts: { initial: number; max: number }) {
    for (const [name, value] of Object.entries(opts)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.bound = opts.max;
    this.current = Math.min(opts.initial, opts.max);
  }

  /** The samples allowed in flight now. */
  get limit(): number {
    return this.current;
  }

  /** Samples holding a permit. */
  get inFlight(): number {
    return this.held;
  }

  /** Permits free now (0 while a decrease left more in flight than the new limit). */
  available(): number {
    return Math.max(0, this.current - this.held);
  }

  acquire(): ConcurrencyPermit {
    this.held += 1;
    return { generation: this.generation, tested: this.held * 2 >= this.current };
  }

  /** Returns a permit with what its sample told; the change of the limit it caused, if any. */
  release(permit: ConcurrencyPermit, signal: CapacitySignal): LimitChange | undefined {
    const tested = permit.tested || this.held * 2 >= this.current;
    this.held = Math.max(0, this.held - 1);
    if (signal === 'neutral' || permit.generation !== this.generation) return undefined;
    if (signal === 'overload') {
      const from = this.current;
      this.current = Math.max(1, Math.floor(from / 2));
      this.generation += 1;
      this.successes = 0;
      this.probing = false;
      return this.current < from ? { from, to: this.current, cause: 'overload' } : undefined;
    }
    if (!tested || this.current >= this.bound) return undefined;
    this.successes += 1;
    if (!this.probing && this.successes < this.current) return undefined;
    this.successes = 0;
    const from = this.current;
    this.current += 1;
    return { from, to: this.current, cause: 'increase' };
  }

  /** Sets the bound (the runs being served changed); a limit above it comes down to it at once. */
  setMax(max: number): LimitChange | undefined {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    this.bound = max;
    if (this.current <= max) return undefined;
    const from = this.current;
    this.current = max;
    return { from, to: max, cause: 'bound' };
  }
}
