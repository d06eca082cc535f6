import type { LoggerService } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** `trace_id`/`span_id` of the active span, so a line can be found from its trace and the trace from the line. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/**
 * Root JSON logger of one process; `service` is on every line, and `trace_id`/`span_id` on every line written inside a
 * span. Secrets are redacted by key wherever they appear.
 */
export function createLogger(service: string, level: string = 'info', destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: ['*.apiKey', '*.authorization', '*.password', '*.databaseUrl', 'apiKey', 'authorization', 'password', 'databaseUrl'], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
    mixin: traceFields,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

/** Routes NestJS's own log lines into the process's pino logger, with the Nest context as a field. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
