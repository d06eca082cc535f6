/**
 * Lets pre-starts use only the capacity runs leave idle. A start may begin while the runs and the starts in flight
 * together hold fewer than `capacity` slots (the service's SANDBOX_MAX_CONCURRENT), and only once no run has started
 * or ended for `quietMs`; runs never wait for a start.
 * Pre-starting moves a sandbox's start-up out of the request, not off the CPU: on a busy service, starts that ran
 * beside the runs oversubscribed the cores, and every process then used more CPU time for the same work (measured by
 * bench/sandbox-humaneval.bench.ts). A client that keeps every slot busy leaves a slot idle only for the moment
 * between a result and its next request; without the quiet period a start took that moment and then ran beside the
 * next run.
 */
export class IdleGate {
  private runs = 0;
  private starts = 0;
  private lastRunChange = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    readonly quietMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error('the idle gate needs a capacity of at least 1');
    if (!Number.isFinite(quietMs) || quietMs < 0) throw new Error('the idle gate needs a quiet period of 0 ms or more');
  }

  /** A run took a slot. */
  runStarted(): void {
    this.runs += 1;
    this.lastRunChange = this.now();
  }

  /** A run gave its slot back: waiting starts may go on once the service has stayed quiet. */
  runEnded(): void {
    this.runs = Math.max(0, this.runs - 1);
    this.lastRunChange = this.now();
    this.notify();
  }

  /** Takes a slot for one pre-start when one is idle and quiet; the caller must call startEnded once the start is done. */
  tryStart(): boolean {
    if (this.runs + this.starts >= this.capacity) return false;
    const quietFor = this.now() - this.lastRunChange;
    if (quietFor < this.quietMs) {
      this.notifyAfter(this.quietMs - quietFor);
      return false;
    }
    this.starts += 1;
    return true;
  }

  startEnded(): void {
    this.starts = Math.max(0, this.starts - 1);
    this.notify();
  }

  /** Called whenever a slot may have become idle. */
  onIdle(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Stops the pending wake-up, if any (the service is closing). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // One wake-up at a time: a run that changes the slots meanwhile only makes the next tryStart wait again.
  private notifyAfter(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.notify();
    }, Math.ceil(ms));
    this.timer.unref();
  }

  private notify(): void {
    if (this.runs + this.starts >= this.capacity) return;
    for (const l of this.listeners) l();
  }
}
