import { Counter, type Registry } from 'prom-client';

/** How a regression event's delivery ended, after its retries. */
export type WebhookDeliveryOutcome = 'delivered' | 'refused_address' | 'http_error' | 'network_error';

/** Regression webhook deliveries by final outcome (one count per event, however many attempts it took). */
export class WebhookDeliveryMetrics {
  private readonly deliveries: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.deliveries = new Counter({
      name: 'lemur_eval_webhook_deliveries_total',
      help: 'Regression webhook events by final outcome: delivered, refused_address (the guard refused the destination), http_error or network_error (after retries).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of ['delivered', 'refused_address', 'http_error', 'network_error'] satisfies WebhookDeliveryOutcome[]) this.deliveries.inc({ outcome }, 0);
  }

  record(outcome: WebhookDeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }
}
