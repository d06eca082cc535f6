/**
 * Lets pre-starts use only the capacity runs leave idle. A start may begin while the runs and the starts in flight
 * together hold fewer than `capacity` slots (the service's SANDBOX_MAX_CONCURRENT); runs never wait for a start.
 * Pre-starting moves a sandbox's start-up out of the request, not off the CPU: on a busy service, starts that ran
 * beside the runs oversubscribed the cores, and every process then used more CPU time for the same work (measured by
 * bench/sandbox-humaneval.bench.ts).
 */
export class IdleGate {
  private runs = 0;
  private starts = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error('the idle gate needs a capacity of at least 1');
  }

  /** A run took a slot. */
  runStarted(): void {
    this.runs += 1;
  }

  /** A run gave its slot back: waiting starts may go on. */
  runEnded(): void {
    this.runs = Math.max(0, this.runs - 1);
    this.notify();
  }

  /** Takes a slot for one pre-start when one is idle; the caller must call startEnded once the start is done. */
  tryStart(): boolean {
    if (this.runs + this.starts >= this.capacity) return false;
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

  private notify(): void {
    if (this.runs + this.starts >= this.capacity) return;
    for (const l of this.listeners) l();
  }
}
