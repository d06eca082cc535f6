import type { Logger } from '@lemur/shared-logging';

/** What a regression webhook receives (JSON POST). */
export interface RegressionEvent {
  event: 'lemur.regression';
  team: string;
  schedule: { id: string; name: string };
  run: { id: string; model: string; benchmark: string };
  baselineRunId: string;
  delta: number;
  ci: [number, number];
  pValue: number;
  regressedItems: number;
}

/** Posts regression flags to a schedule's webhook; a failing hook is logged, never fails the run. */
export class RegressionWebhook {
  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  async post(url: string, event: RegressionEvent): Promise<boolean> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lemur-eval' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) {
        this.logger.warn({ runId: event.run.id, scheduleId: event.schedule.id, status: response.status }, 'regression webhook refused the event');
        return false;
      }
      return true;
    } catch (err) {
      this.logger.warn({ runId: event.run.id, scheduleId: event.schedule.id, err }, 'regression webhook failed');
      return false;
    }
  }
}
