import { DiagLogLevel, context, diag, propagation, trace } from '@opentelemetry/api';
import type { Logger } from '@lemur/shared-logging';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { z } from 'zod';
import { markTracingActive } from './spans';

/**
 * The standard OpenTelemetry variables an app's config schema takes in (`schema.extend(tracingEnvShape)`), so
 * `process.env` is still read in one place per app.
 */
export const tracingEnvShape = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL of an OTLP/HTTP collector' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be the http(s):// URL of an OTLP/HTTP traces endpoint' }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
};

/**
 * How a process traces: on when an OTLP endpoint is configured (and OTEL_SDK_DISABLED is not `true`), off otherwise.
 * Off costs nothing; on, Node 20's AsyncLocalStorage context tracking adds CPU to every promise of the process
 * (measured ~0.2 ms of CPU per traced gRPC round trip here), which is only worth paying when the spans go somewhere.
 */
export interface TracingConfig {
  enabled: boolean;
  /** Full URL spans are POSTed to (OTLP/HTTP, JSON); tests may start tracing without one and pass an exporter. */
  otlpTracesUrl?: string;
  /** Share of new traces kept (a trace started upstream keeps its caller's decision). */
  sampleRatio: number;
}

type TracingEnv = z.infer<z.ZodObject<typeof tracingEnvShape>>;

/** The tracing settings from an app's parsed environment. */
export function tracingConfigFrom(env: TracingEnv): TracingConfig {
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  return {
    enabled: env.OTEL_SDK_DISABLED !== 'true' && url !== undefined,
    ...(url ? { otlpTracesUrl: url } : {}),
    sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
  };
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** A process's tracing, started once at its entry point; `shutdown` flushes spans not yet exported. */
export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Registers the process-wide tracer provider (AsyncLocalStorage context, W3C `traceparent` propagation) named after
 * the service. `exporter` replaces the OTLP exporter (tests pass an in-memory one; spans are then handed over at once).
 * The SDK's own warnings and errors (a collector that cannot be reached, spans dropped) go to `logger`.
 */
export function startTracing(opts: { serviceName: string; config: TracingConfig; exporter?: SpanExporter; logger?: Logger }): Tracing {
  if (!opts.config.enabled) return { enabled: false, shutdown: async () => undefined };
  const logger = opts.logger;
  if (logger) {
    const quiet = () => undefined;
    const detail = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a)));
    diag.setLogger(
      {
        error: (message, ...args) => logger.error({ detail: detail(args) }, `tracing: ${message}`),
        warn: (message, ...args) => logger.warn({ detail: detail(args) }, `tracing: ${message}`),
        info: quiet,
        debug: quiet,
        verbose: quiet,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }
  const spanProcessors: SpanProcessor[] = [];
  if (opts.exporter) spanProcessors.push(new SimpleSpanProcessor(opts.exporter));
  else if (opts.config.otlpTracesUrl) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.config.otlpTracesUrl })));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName, 'service.namespace': 'lemur' }),
    sampler: new ParentBasedSampler({ root: opts.config.sampleRatio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(opts.config.sampleRatio) }),
    spanProcessors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  markTracingActive(true);
  logger?.info({ service: opts.serviceName, exportTo: opts.config.otlpTracesUrl ? withoutCredentials(opts.config.otlpTracesUrl) : 'in-process exporter', sampleRatio: opts.config.sampleRatio }, 'tracing on');
  return {
    enabled: true,
    shutdown: async () => {
      // A collector that is down must not fail the process's shutdown: the spans are lost, and the log says so.
      await provider.shutdown().catch((err: unknown) => logger?.warn({ err }, 'tracing: spans not exported at shutdown'));
      markTracingActive(false);
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}
