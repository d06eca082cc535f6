import { randomUUID } from 'node:crypto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HttpRejection, type ApiErrorBody } from './api-error';
import { httpStatusFor } from './http-status.mapper';

type ErrorFields = ApiErrorBody['error'];

// Fastify's request-reading failures, by its error code: the client's fault, so their messages are safe to show.
const FASTIFY_REJECTIONS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
};

// What a 5xx says instead of the upstream's own text (which can hold addresses, stack frames or SQL).
const SERVER_MESSAGES: Partial<Record<string, string>> = {
  [PlatformErrorCode.NO_READY_ENDPOINT]: 'no inference endpoint for this model is ready; retry shortly or check GET /v1/models',
  [PlatformErrorCode.UPSTREAM_FAILED]: 'a platform service did not answer; retry shortly, and check GET /health',
  [PlatformErrorCode.SANDBOX_UNAVAILABLE]: 'the code sandbox is unavailable; retry shortly',
  [PlatformErrorCode.DEADLINE_EXCEEDED]: 'the platform did not answer in time; retry, or ask for less work at once',
};
const INTERNAL_MESSAGE = 'internal error; report the errorId to the platform operators';

interface FastifyLikeError {
  code: string;
  statusCode?: number;
  message: string;
}

function fastifyError(error: unknown): FastifyLikeError | undefined {
  // Nest's Fastify adapter wraps Fastify's own errors in an HttpException whose cause is the original.
  const candidate = error instanceof HttpException ? error.cause : error;
  if (typeof candidate !== 'object' || candidate === null || !('code' in candidate)) return undefined;
  const code = (candidate as { code: unknown }).code;
  return typeof code === 'string' && code in FASTIFY_REJECTIONS ? (candidate as FastifyLikeError) : undefined;
}

function withField(fields: ErrorFields, field: string | undefined): ErrorFields {
  return field ? { ...fields, field } : fields;
}

/** Status and client-safe fields for anything thrown while serving a request (before 5xx sanitizing). */
function classify(error: unknown): { status: number; fields: ErrorFields } {
  if (error instanceof PlatformError) {
    return { status: httpStatusFor(error.code), fields: withField({ code: error.code, message: error.message }, error.field) };
  }
  if (error instanceof HttpRejection) {
    return { status: error.status, fields: withField({ code: error.code, message: error.message }, error.field) };
  }
  const rejected = fastifyError(error);
  if (rejected) {
    return { status: rejected.statusCode ?? 400, fields: { code: FASTIFY_REJECTIONS[rejected.code]!, message: rejected.message } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return { status, fields: { code: status === 404 ? 'NOT_FOUND' : `HTTP_${status}`, message: error.message } };
  }
  return { status: 500, fields: { code: PlatformErrorCode.INTERNAL, message: INTERNAL_MESSAGE } };
}

/** Status and body for anything thrown while serving a request; 5xx bodies carry an errorId and never internals. */
export function errorResponse(error: unknown, logger: Logger): { status: number; body: ApiErrorBody } {
  const { status, fields } = classify(error);
  if (status < 500) return { status, body: { error: fields } };
  const errorId = randomUUID();
  logger.error({ err: error, errorId, status, code: fields.code }, 'request failed');
  const code = fields.code in SERVER_MESSAGES ? fields.code : PlatformErrorCode.INTERNAL;
  return { status, body: { error: { code, message: SERVER_MESSAGES[code] ?? INTERNAL_MESSAGE, errorId } } };
}

/**
 * Headers an error answer carries: the rejection's own, and `Retry-After` so clients back off instead of hammering:
 * the wait a platform service said its refusal needs (inference's fair queue, replicas that refused for load; on a 429
 * or a 503), else 1 s on every 429 (a full inference queue or a run quota).
 */
export function errorHeaders(error: unknown, status: number): Record<string, string> {
  const own = error instanceof HttpRejection ? error.headers : {};
  if ('retry-after' in own) return own;
  const hinted = error instanceof PlatformError ? error.retryAfterSeconds : undefined;
  if (hinted !== undefined && (status === 429 || status === 503)) return { 'retry-after': String(hinted), ...own };
  return status === 429 ? { 'retry-after': '1', ...own } : own;
}

/** Nest's exception filter for every route (and, through Nest's Fastify error handler, for body parsing): one error shape. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = errorResponse(exception, this.logger);
    void reply.status(status).headers(errorHeaders(exception, status)).send(body);
  }
}
