/**
 * Measures the platform's own time per agent turn: from the start of one model turn to the start of the next (or the
 * episode's end), minus the time the model and the sandboxed code themselves took as their services report it
 * (the replica's time on the inference service's upstream calls, `upstreamMs`, not its whole request latency, which also
 * covers the response cache, admission and routing; the sandbox's cell wall time). What is left is the episode loop, the
 * transcript, the gRPC hops and the session handling: the overhead a turn pays for running on the platform.
 */
export class TurnClock {
  private started: number | undefined;
  private excludedMs = 0;
  private callsMs = 0;
  private hopsMs = { model: 0, code: 0 };
  /**
   * Each finished turn, in order: its wall time; the model's and code's time in it as their services report it; the
   * time the worker waited on those calls (so `callsMs - excludedMs` is the gRPC hops and service handling); and the
   * overhead, `wallMs - excludedMs`. `hopsMs` splits `callsMs - excludedMs` between the model's and the code's calls.
   */
  readonly turns: { wallMs: number; excludedMs: number; callsMs: number; overheadMs: number; hopsMs: { model: number; code: number } }[] = [];

  constructor(
    private readonly onTurn: (overheadSeconds: number) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A model turn starts: the previous turn, if any, ends here. */
  beginTurn(): void {
    this.end();
    this.started = this.now();
    this.excludedMs = 0;
    this.callsMs = 0;
    this.hopsMs = { model: 0, code: 0 };
  }

  /** Starts timing a call to the model or the sandbox; the returned function takes the time its service reported. */
  call(kind: 'model' | 'code'): (reportedMs: number) => void {
    const at = this.now();
    return (reportedMs) => {
      if (this.started === undefined) return;
      const waited = this.now() - at;
      const reported = Number.isFinite(reportedMs) && reportedMs > 0 ? reportedMs : 0;
      this.callsMs += waited;
      this.excludedMs += reported;
      this.hopsMs[kind] += waited - reported;
    };
  }

  /** The episode ended: closes the turn in progress. */
  end(): void {
    if (this.started === undefined) return;
    // Services report whole milliseconds, so a turn can come out a fraction below zero; it is clamped, not dropped.
    const wall = this.now() - this.started;
    const overhead = Math.max(0, wall - this.excludedMs);
    this.started = undefined;
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    this.turns.push({
      wallMs: round(wall),
      excludedMs: round(this.excludedMs),
      callsMs: round(this.callsMs),
      overheadMs: round(overhead),
      hopsMs: { model: round(this.hopsMs.model), code: round(this.hopsMs.code) },
    });
    this.onTurn(overhead / 1000);
  }
}
