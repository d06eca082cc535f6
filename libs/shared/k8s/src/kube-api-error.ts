/** The `Status` body the API server sends with an error. */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** An error answer from the Kubernetes API, with the HTTP code and the server's reason (NotFound, Conflict, Invalid, Expired …). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: KubeStatus,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason !== 'AlreadyExists';
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/** 410 Gone: the resourceVersion a watch resumed from has been compacted away; the caller must list again. */
export function isGone(err: unknown): boolean {
  return (err instanceof KubeApiError && err.code === 410) || (err as { statusCode?: number } | undefined)?.statusCode === 410;
}
