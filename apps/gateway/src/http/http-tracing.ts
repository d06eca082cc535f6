import { randomUUID } from 'node:crypto';
import type { Logger } from '@lemur/shared-logging';
import { SpanKind, tracer, tracingActive, type Context, type Span } from '@lemur/shared-tracing';
import { ROOT_CONTEXT, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface RequestTrace {
  span: Span;
  ctx: Context;
}

// undefined: a request logged but not traced (tracing off).
const traces = new WeakMap<FastifyRequest, RequestTrace | undefined>();

// Probes and scrapes, every few seconds: neither spans nor access log lines.
const quiet = new Set(['/health', '/metrics']);

/** A read that takes longer than this is logged at info like a write. */
const SLOW_READ_MS = 1_000;

/**
 * Route config (Nest: `@RouteConfig(HOT_PATH)`) of routes that serve one model request each (the OpenAI API): POSTs
 * that change nothing, as many as clients send, taking as long as generation takes. Their successes are logged at
 * debug whatever their duration; lemur_gateway_http_requests_total and the latency histogram count and time them all.
 */
export const HOT_PATH = { hotPath: true } as const;

/**
 * Successful reads are most of the traffic (a UI paging samples, scripts polling runs, hundreds a second) and are
 * logged at debug, as are successful hot-path requests; writes, failures and slow reads at info, so the default log
 * stays readable and cheap under load.
 */
function accessLogLevel(request: FastifyRequest, status: number, elapsedMs: number): 'debug' | 'info' {
  if (status >= 400) return 'info';
  if ((request.routeOptions.config as { hotPath?: boolean } | undefined)?.hotPath === true) return 'debug';
  const read = request.method === 'GET' || request.method === 'HEAD';
  return read && elapsedMs < SLOW_READ_MS ? 'debug' : 'info';
}

/** A request id of our own for each request (a client's is not trusted into the logs). */
export const genRequestId = (): string => randomUUID();

/**
 * A SERVER span per HTTP request, child of the caller's `traceparent` when it sent one, active while the route's hooks
 * and handler run (so the gRPC calls they make carry it), ended with the status code; and one access log line per
 * request with its `requestId` (also sent back as `x-request-id`) and the trace ids (successful reads and hot-path
 * requests at debug level).
 */
export function traceHttp(instance: FastifyInstance, logger: Logger): void {
  const enter = (request: FastifyRequest, done: () => void) => {
    const found = traces.get(request);
    if (found) context.with(found.ctx, done);
    else done();
  };
  instance.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && quiet.has(route)) return done();
    void reply.header('x-request-id', request.id);
    // Tracing off: spans would be no-ops; the access log below still runs (marked by the undefined entry).
    if (!tracingActive()) {
      traces.set(request, undefined);
      return done();
    }
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route ?? 'unmatched', 'lemur.request_id': request.id },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    traces.set(request, { span, ctx });
    context.with(ctx, done);
  });
  // The body is read on the socket's own callbacks, outside any context: the handler is entered in the span again.
  instance.addHook('preHandler', (request, _reply, done) => enter(request, done));
  instance.addHook('onResponse', (request, reply, done) => {
    if (!traces.has(request)) return done();
    const found = traces.get(request);
    if (found) {
      found.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) found.span.setStatus({ code: SpanStatusCode.ERROR, message: String(reply.statusCode) });
      found.span.end();
    }
    const level = accessLogLevel(request, reply.statusCode, reply.elapsedTime);
    if (logger.isLevelEnabled(level)) {
      const log = () =>
        logger[level](
          {
            requestId: request.id,
            method: request.method,
            route: request.routeOptions.url ?? 'unmatched',
            status: reply.statusCode,
            durationMs: Math.round(reply.elapsedTime),
          },
          'request',
        );
      if (found) context.with(found.ctx, log);
      else log();
    }
    done();
  });
}
