/** PostgreSQL's SQLSTATE for a transaction ended to break a deadlock. */
export const DEADLOCK_DETECTED = '40P01';

/**
 * Runs a queue statement again when PostgreSQL ends it as a deadlock victim (40P01). pg-boss keeps one job partition
 * per queue, so creating or dropping one run's queue (DDL) can deadlock with statements on another run's jobs; the
 * victim's transaction was rolled back, so trying it again is safe. Other errors, and the last attempt's, propagate.
 */
export async function retryOnDeadlock<T>(op: () => Promise<T>, attempts = 3, backoffMs = 50): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== DEADLOCK_DETECTED || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, backoffMs * attempt));
    }
  }
}
