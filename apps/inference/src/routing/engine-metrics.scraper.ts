import { parseEngineLoad, type Router } from '@lemur/routing';
import type { Logger } from '@lemur/shared-logging';
import { Agent, request } from 'undici';
import { redactEndpoint } from '../registry/endpoint-url';
import type { ModelRegistry } from '../registry/model-registry';
import type { RoutingMetrics } from './routing.metrics';

/** How often and how patiently replicas' `/metrics` are read. */
export interface EngineMetricsScraperOptions {
  intervalMs: number;
  /** A scrape slower than this fails (the replica's load then goes stale rather than blocking the next scrape). */
  timeoutMs: number;
  /** Longest pause after repeated failures (a replica without `/metrics`, e.g. a hosted API). */
  maxBackOffMs: number;
}

interface Target {
  router: Router;
  servedModelName: string;
}

/**
 * Polls every replica's vLLM `/metrics` (running, waiting, KV-cache use) and feeds the routers. One request per
 * replica URL per interval however many models it serves, never two at once for one URL; a replica that fails is
 * polled less often (doubling up to `maxBackOffMs`) and its figures go stale in the router, which then falls back to
 * its own in-flight counts.
 */
export class EngineMetricsScraper {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly failures = new Map<string, { count: number; retryAt: number }>();
  private readonly closing = new AbortController();
  // Separate from the generation pool: a scrape must not queue behind hundreds of streams to the same replica.
  private readonly agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });

  constructor(
    private readonly models: ModelRegistry,
    private readonly options: EngineMetricsScraperOptions,
    private readonly metrics: RoutingMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    void this.scrapeAll();
    this.timer = setInterval(() => void this.scrapeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One round over every replica of every model; resolves when all scrapes of the round ended. */
  async scrapeAll(now = Date.now()): Promise<void> {
    const byUrl = new Map<string, Target[]>();
    for (const model of this.models.list()) {
      for (const url of model.router.urls()) {
        const targets = byUrl.get(url) ?? [];
        targets.push({ router: model.router, servedModelName: model.servedModelName });
        byUrl.set(url, targets);
      }
    }
    for (const url of this.failures.keys()) if (!byUrl.has(url)) this.failures.delete(url);
    await Promise.all(
      [...byUrl].map(([url, targets]) => {
        if (this.inFlight.has(url) || (this.failures.get(url)?.retryAt ?? 0) > now) return undefined;
        return this.scrape(url, targets);
      }),
    );
  }

  private async scrape(url: string, targets: Target[]): Promise<void> {
    this.inFlight.add(url);
    try {
      const response = await request(`${url}/metrics`, {
        dispatcher: this.agent,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`);
      const at = Date.now();
      let found = false;
      for (const { router, servedModelName } of targets) {
        const load = parseEngineLoad(text, servedModelName);
        if (!load) continue;
        found = true;
        router.reportLoad(url, load, at);
      }
      if (!found) throw new Error('/metrics has no vLLM load gauges');
      this.failures.delete(url);
      this.metrics.engineScrapes.inc({ replica: redactEndpoint(url), outcome: 'ok' });
    } catch (err) {
      if (this.closing.signal.aborted) return;
      const count = (this.failures.get(url)?.count ?? 0) + 1;
      const backOff = Math.min(this.options.maxBackOffMs, this.options.intervalMs * 2 ** (count - 1));
      this.failures.set(url, { count, retryAt: Date.now() + backOff });
      this.metrics.engineScrapes.inc({ replica: redactEndpoint(url), outcome: 'error' });
      // The first failure and then every tenth: a replica without /metrics must not flood the log.
      if (count === 1 || count % 10 === 0) {
        this.logger.warn({ replica: redactEndpoint(url), failures: count, err }, 'cannot read engine metrics; routing on in-flight counts');
      }
    } finally {
      this.inFlight.delete(url);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.closing.abort();
    await this.agent.close();
  }
}
