import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

export { SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';

let providerRegistered = false;

/**
 * Whether `startTracing` registered a tracer provider. When it did not, every span is a no-op, so hot paths (a gRPC
 * interceptor layer on every call and message) skip their span bookkeeping altogether.
 */
export function tracingActive(): boolean {
  return providerRegistered;
}

/** Set by `startTracing` and its shutdown only. */
export function markTracingActive(active: boolean): void {
  providerRegistered = active;
}

/** The platform's tracer (a no-op until `startTracing` registers a provider). */
export function tracer(): Tracer {
  return trace.getTracer('lemur');
}

/**
 * The error's code (a PlatformError's code, a gRPC status name) or class name: what a span records of a failure.
 * Never the message, which may quote a prompt, a program or an upstream body.
 */
export function errorType(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'Error';
}

/** Marks a span failed with the error's type only (see {@link errorType}). */
export function failSpan(span: Span, err: unknown): void {
  const type = errorType(err);
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/**
 * Runs `fn` inside a new span (the active one while `fn` runs, so calls it makes become its children) and ends it when
 * `fn` settles; a failure is recorded by type and rethrown. `parent` defaults to the active context.
 */
export async function withSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The span active here, to add what is learnt along the way (an attempt number, an outcome). */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}

/** The W3C `traceparent` of a context (the active one by default), to carry a trace over a queue or a header. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a W3C `traceparent` stands for (the root context when there is none or it is malformed). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Trace headers (`traceparent`) for an outgoing HTTP request made inside `ctx`. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}
