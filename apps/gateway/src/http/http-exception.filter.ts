import { randomUUID } from 'node:crypto';
import { PlatformError } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HttpRejection, type ApiErrorBody } from './api-error';
import { httpStatusFor } from './http-status.mapper';

/** Status and body for anything thrown while serving a request; 5xx bodies carry an errorId and never internals. */
export function errorResponse(error: unknown, logger: Logger): { status: number; body: ApiErrorBody } {
  let status = 500;
  let body: ApiErrorBody['error'] = { code: 'INTERNAL', message: 'internal error' };
  if (error instanceof PlatformError) {
    status = httpStatusFor(error.code);
    body = { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
  } else if (error instanceof HttpRejection) {
    status = error.status;
    body = { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
  } else if (error instanceof HttpException) {
    status = error.getStatus();
    body = { code: status === 404 ? 'NOT_FOUND' : `HTTP_${status}`, message: error.message };
  } else if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number' && error.statusCode < 500) {
    // Fastify's own rejections: body too large, bad content type, unparsable JSON.
    const fastifyError = error as { statusCode: number; code?: string; message: string };
    status = fastifyError.statusCode;
    const code =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
        ? 'INVALID_JSON'
        : fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'BODY_TOO_LARGE'
          : `HTTP_${status}`;
    body = { code, message: fastifyError.message };
  }
  if (status >= 500) {
    const errorId = randomUUID();
    body = { ...body, ...(body.code === 'INTERNAL' ? { message: 'internal error' } : {}), errorId };
    logger.error({ err: error, errorId, status }, 'request failed');
  }
  return { status, body: { error: body } };
}

/** Nest's exception filter for every route: one error shape for all of them. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = errorResponse(exception, this.logger);
    void reply.status(status).send(body);
  }
}
