import {
  InterceptingCall,
  ListenerBuilder,
  ServerInterceptingCall,
  status as GrpcStatus,
  type Interceptor,
  type Metadata,
  type ServerInterceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { tracer, tracingActive } from './spans';

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const metadataGetter: TextMapGetter<Metadata> = {
  get: (carrier, key) => {
    const values = carrier.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
  keys: (carrier) => Object.keys(carrier.getMap()),
};

/** Writes the context's trace (`traceparent`) into outgoing gRPC metadata. */
export function injectIntoMetadata(ctx: Context, metadata: Metadata): void {
  propagation.inject(ctx, metadata, metadataSetter);
}

/** The remote parent a caller sent in its gRPC metadata (the root context when none). */
export function extractFromMetadata(metadata: Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
}

/** `/lemur.eval.v1.EvalService/StartRun` → span name and rpc.* attributes, as OpenTelemetry's RPC conventions name them. */
function rpcNaming(path: string): { name: string; attributes: Record<string, string> } {
  const [service = '', method = ''] = path.replace(/^\//, '').split('/');
  return { name: `${service}/${method}`, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } };
}

function endRpcSpan(span: Span, code: number): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== GrpcStatus.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: GrpcStatus[code] ?? String(code) });
  span.end();
}

// Health checks come every few seconds from probes and say nothing about a request.
const untraced = (path: string) => path.startsWith('/grpc.health.v1.');

/**
 * Client side: a CLIENT span per call (a whole stream is one span) made a child of the caller's active span, and its
 * `traceparent` put into the call's metadata.
 */
export const grpcClientTracing: Interceptor = (options, nextCall) => {
  // Tracing off: the next call itself, as if no interceptor were installed (no extra layer on every message).
  if (!tracingActive()) return nextCall(options) as InterceptingCall;
  const path = options.method_definition.path;
  if (untraced(path)) return new InterceptingCall(nextCall(options));
  const { name, attributes } = rpcNaming(path);
  const parent = context.active();
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  return new InterceptingCall(nextCall(options), {
    start: (metadata, _listener, next) => {
      injectIntoMetadata(ctx, metadata);
      next(
        metadata,
        new ListenerBuilder()
          .withOnReceiveStatus((status: StatusObject, nextStatus) => {
            endRpcSpan(span, status.code);
            nextStatus(status);
          })
          .build(),
      );
    },
  });
};

/**
 * Server side: a SERVER span per call, child of the caller's `traceparent` when it sent one, active while the handler
 * runs (so its logs and outgoing calls join the trace) and ended with the call's status.
 */
export const grpcServerTracing: ServerInterceptor = (methodDescriptor, call) => {
  // Tracing off: the call itself, as if no interceptor were installed (no extra layer on every message).
  if (!tracingActive()) return call as ServerInterceptingCall;
  const path = methodDescriptor.path;
  if (untraced(path)) return new ServerInterceptingCall(call);
  const { name, attributes } = rpcNaming(path);
  let span: Span | undefined;
  let ctx: Context = ROOT_CONTEXT;
  const end = (code: number) => {
    if (!span) return;
    endRpcSpan(span, code);
    span = undefined;
  };
  return new ServerInterceptingCall(call, {
    start: (next) => {
      next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          const parent = extractFromMetadata(metadata);
          span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
          ctx = trace.setSpan(parent, span);
          nextMetadata(metadata);
        },
        // grpc-js calls unary and server-streaming handlers on the half-close, so they start inside the span.
        onReceiveMessage: (message, nextMessage) => context.with(ctx, () => nextMessage(message)),
        onReceiveHalfClose: (nextHalfClose) => context.with(ctx, nextHalfClose),
        onCancel: () => end(GrpcStatus.CANCELLED),
      });
    },
    sendStatus: (status, nextStatus) => {
      end(status.code);
      nextStatus(status);
    },
  });
};
