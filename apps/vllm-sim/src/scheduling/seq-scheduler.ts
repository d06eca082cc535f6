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
  release(): void;
}

interface Waiter {
  model: string;
  blocks: number;
  grant: (slot: SeqSlot) => void;
  reject: (err: Error) => void;
  cleanup: () => void;
}

/** A snapshot of the engine's occupancy, by model name. */
export interface SchedulerSnapshot {
  running: Map<string, number>;
  waiting: Map<string, number>;
  /** KV-cache blocks held by running sequences. */
  usedBlocks: number;
}

/**
 * Admits a request when fewer than `maxConcurrentSeqs` run and its KV-cache blocks fit in what running sequences
 * leave of `kvCapacityBlocks`; the rest wait first-in first-out, like vLLM's scheduler with its running and waiting
 * queues. Blocks are reserved for the whole sequence at admission (vLLM allocates them as it decodes and preempts
 * when it runs out; reserving up front gives the same waiting without modelling preemption). A request larger than
 * the whole cache runs alone. A waiter whose signal aborts leaves the queue without taking a slot.
 */
export class SeqScheduler {
  private readonly queue: Waiter[] = [];
  private readonly active = new Set<{ model: string; blocks: number }>();
  private usedBlocks = 0;

  constructor(
    private readonly maxConcurrentSeqs: number,
    readonly kvCapacityBlocks = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(maxConcurrentSeqs) || maxConcurrentSeqs < 1) {
      throw new RangeError(`maxConcurrentSeqs must be a positive integer, got ${maxConcurrentSeqs}`);
    }
    if (!(kvCapacityBlocks >= 1)) throw new RangeError(`kvCapacityBlocks must be at least 1, got ${kvCapacityBlocks}`);
  }

  get runningCount(): number {
    return this.active.size;
  }

  get waitingCount(): number {
    return this.queue.length;
  }

  /** Waits for a slot and `blocks` KV-cache blocks. */
  acquire(model: string, signal?: AbortSignal, blocks = 0): Promise<SeqSlot> {
    if (signal?.aborted) return Promise.reject(new RequestAbortedError());
    if (this.queue.length === 0 && this.fits(blocks)) {
      return Promise.resolve(this.grant(model, blocks));
    }
    return new Promise<SeqSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at !== -1) this.queue.splice(at, 1);
        reject(new RequestAbortedError());
      };
      const waiter: Waiter = {
        model,
        blocks,
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
    for (const seq of this.active) running.set(seq.model, (running.get(seq.model) ?? 0) + 1);
    for (const waiter of this.queue) waiting.set(waiter.model, (waiting.get(waiter.model) ?? 0) + 1);
    return { running, waiting, usedBlocks: this.usedBlocks };
  }

  private fits(blocks: number): boolean {
    if (this.active.size >= this.maxConcurrentSeqs) return false;
    return this.active.size === 0 || this.usedBlocks + blocks <= this.kvCapacityBlocks;
  }

  private grant(model: string, blocks: number): SeqSlot {
    const seq = { model, blocks };
    this.active.add(seq);
    this.usedBlocks += blocks;
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        this.active.delete(seq);
        this.usedBlocks -= seq.blocks;
        this.admitNext();
      },
    };
  }

  private admitNext(): void {
    // First come, first served: a large request at the head waits for room rather than being overtaken.
    for (let next = this.queue[0]; next && this.fits(next.blocks); next = this.queue[0]) {
      this.queue.shift();
      next.cleanup();
      next.grant(this.grant(next.model, next.blocks));
    }
  }
}
