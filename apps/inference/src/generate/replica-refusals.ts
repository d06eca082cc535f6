import { UpstreamError } from '../upstream/openai-upstream';

/**
 * The attempts of one request, as far as they say when to come back: when every replica tried refused for load (429 or
 * 503) and said when with Retry-After, the request may be retried after the soonest of those; one attempt that failed
 * any other way (or gave no hint) leaves no hint, since nothing says waiting would help.
 */
export class ReplicaRefusals {
  private soonest: number | undefined;
  private unhinted = false;

  /** Records how one attempt failed. */
  note(err: unknown): void {
    const refusedForLoad = err instanceof UpstreamError && (err.status === 429 || err.status === 503);
    if (!refusedForLoad || err.retryAfterSeconds === undefined) {
      this.unhinted = true;
      return;
    }
    this.soonest = Math.min(this.soonest ?? Infinity, err.retryAfterSeconds);
  }

  /** Seconds to wait, when every attempt noted was a hinted refusal; undefined otherwise. */
  retryAfterSeconds(): number | undefined {
    return this.unhinted ? undefined : this.soonest;
  }
}
