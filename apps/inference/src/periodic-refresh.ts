/**
 * Runs a refresh now and then every `everyMs` until closed, the next one timed from the end of the last so a slow read
 * never overlaps the next; a refresh asked for while one runs joins it. The refresh handles its own failures (it must
 * not reject): what stays in force when a read fails is the caller's decision.
 */
export class PeriodicRefresh {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly refreshOnce: () => Promise<void>,
    private readonly everyMs: number,
  ) {}

  /** The first refresh (settles when it has run), then one every `everyMs` until {@link close}. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.start(), this.everyMs);
    this.timer.unref();
  }

  /** One refresh now (joins the one running). */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops refreshing; a refresh under way is not waited for (a hung database must not hold up a shutdown). */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** True once {@link close} was called: a refresh finishing after it should not apply what it read. */
  get closed(): boolean {
    return this.stopped;
  }
}
