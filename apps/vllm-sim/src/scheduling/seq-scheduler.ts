/** Raised when a request is aborted while it waits for a slot. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted by the client');
    this.name = 'RequestAbortedError';
  }
}

/** A granted engine slot; release it exactly once (extra calls are ignored). */
export interface SeqSlot {
  readonly model: string;
  /** Tokens this sequence holds in the KV cache, for the cache-usage gauge. */
  setCachedTokens(tokens: number): void;
  release(): void;
}

interface Waiter {
  model: string;
  grant: (slot: SeqSlot) => void;
  reject: (err: Error) => void;
  cleanup: () => void;
}

/** A snapshot of the engine's occupancy, by model name. */
export interface SchedulerSnapshot {
  running: Map<string, number>;
  waiting: Map<string, number>;
  cachedTokens: number;
}

/**
 * Admits at most `maxConcurrentSeqs` requests at once; the rest wait first-in first-out, like vLLM's scheduler
 * with its running and waiting queues. A waiter whose signal aborts leaves the queue without taking a slot.
 */
export class SeqScheduler {
  private readonly queue: Waiter[] = [];
  private readonly active = new Set<{ model: string; tokens: number }>();

  constructor(private readonly maxConcurrentSeqs: number) {
    if (!Number.isInteger(maxConcurrentSeqs) || maxConcurrentSeqs < 1) {
      throw new RangeError(`maxConcurrentSeqs must be a positive integer, got ${maxConcurrentSeqs}`);
    }
  }

  get runningCount(): number {
    return this.active.size;
  }

  get waitingCount(): number {
    return this.queue.length;
  }

  acquire(model: string, signal?: AbortSignal): Promise<SeqSlot> {
    if (signal?.aborted) return Promise.reject(new RequestAbortedError());
    if (this.active.size < this.maxConcurrentSeqs && this.queue.length === 0) {
      return Promise.resolve(this.grant(model));
    }
    return new Promise<SeqSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at !== -1) this.queue.splice(at, 1);
        reject(new RequestAbortedError());
      };
      const waiter: Waiter = {
        model,
        grant: resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  snapshot(): SchedulerSnapshot {
    const running = new Map<string, number>();
    const waiting = new Map<string, number>();
    let cachedTokens = 0;
    for (const seq of this.active) {
      running.set(seq.model, (running.get(seq.model) ?? 0) + 1);
      cachedTokens += seq.tokens;
    }
    for (const waiter of this.queue) waiting.set(waiter.model, (waiting.get(waiter.model) ?? 0) + 1);
    return { running, waiting, cachedTokens };
  }

  private grant(model: string): SeqSlot {
    const seq = { model, tokens: 0 };
    this.active.add(seq);
    let released = false;
    return {
      model,
      setCachedTokens: (tokens) => {
        seq.tokens = tokens;
      },
      release: () => {
        if (released) return;
        released = true;
        this.active.delete(seq);
        this.admitNext();
      },
    };
  }

  private admitNext(): void {
    while (this.active.size < this.maxConcurrentSeqs) {
      const next = this.queue.shift();
      if (!next) return;
      next.cleanup();
      next.grant(this.grant(next.model));
    }
  }
}
