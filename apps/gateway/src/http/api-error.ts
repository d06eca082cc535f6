/** The body of every error answer: a stable code, a message saying what to do, the offending field, an errorId for 5xx. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; errorId?: string };
}

/** An HTTP-level rejection that is not a domain error (bad JSON, body too large, unknown route, no key, quota). */
export class HttpRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Headers the answer must carry, e.g. `WWW-Authenticate` on 401, `Retry-After` on 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
