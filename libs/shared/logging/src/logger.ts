import type { LoggerService } from '@nestjs/common';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Root JSON logger of one process; `service` is on every line. Secrets are redacted by key wherever they appear. */
export function createLogger(service: string, level: string = 'info', destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: ['*.apiKey', '*.authorization', '*.password', '*.databaseUrl', 'apiKey', 'authorization', 'password', 'databaseUrl'], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
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
