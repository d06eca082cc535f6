export { startTracing, tracingConfigFrom, tracingEnvShape, type Tracing, type TracingConfig } from './tracing';
export {
  SpanKind,
  activeSpan,
  contextFromTraceparent,
  errorType,
  failSpan,
  traceHeaders,
  traceparentOf,
  tracer,
  tracingActive,
  withSpan,
  type Attributes,
  type Context,
  type Span,
} from './spans';
export { extractFromMetadata, grpcClientTracing, grpcServerTracing, injectIntoMetadata } from './grpc-tracing';
