import type { AutoscalerState } from '@lemur/model-serving';

/** What GenerateService tells: a request for `model` started; the returned function is called once when it ends. */
export interface RequestActivity {
  begin(model: string): (endedAt?: number) => void;
}

/** What the autoscaler asks: when `model` last had a request (`now` while one is in flight), undefined if never. */
export interface ModelActivity {
  lastActivityAt(model: string, now: number): number | undefined;
}

/**
 * Requests per model as GenerateService serves them, for the autoscaler's idle clock. The engines' running and
 * waiting gauges are read once per autoscaling round (10 s by default): requests shorter than that, arriving between
 * two reads, leave no trace there, and a model serving a steady trickle of them would look idle and go to zero.
 */
export class ModelActivityTracker implements RequestActivity, ModelActivity {
  private readonly models = new Map<string, { inFlight: number; lastAt: number }>();

  begin(model: string, now = Date.now()): (endedAt?: number) => void {
    let entry = this.models.get(model);
    if (!entry) {
      entry = { inFlight: 0, lastAt: now };
      this.models.set(model, entry);
    }
    entry.inFlight += 1;
    entry.lastAt = Math.max(entry.lastAt, now);
    const active = entry;
    let ended = false;
    return (endedAt = Date.now()) => {
      if (ended) return;
      ended = true;
      active.inFlight -= 1;
      active.lastAt = Math.max(active.lastAt, endedAt);
    };
  }

  lastActivityAt(model: string, now: number): number | undefined {
    const entry = this.models.get(model);
    if (!entry) return undefined;
    return entry.inFlight > 0 ? now : entry.lastAt;
  }
}

/** The autoscaler's state with its idle clock moved up to the model's last request, when that came later. */
export function withRequestActivity(state: AutoscalerState, lastRequestAt: number | undefined): AutoscalerState {
  return lastRequestAt !== undefined && lastRequestAt > state.lastActivityAt ? { ...state, lastActivityAt: lastRequestAt } : state;
}
