import { Writable } from 'node:stream';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { HttpRejection } from './api-error';
import { errorResponse } from './http-exception.filter';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
      done();
    },
  });
  return { lines, logger: createLogger('gateway-test', 'info', sink) };
}

describe('errorResponse', () => {
  it('keeps a 4xx domain error as it is, with its field', () => {
    const { lines, logger } = capture();
    const { status, body } = errorResponse(PlatformError.invalid('limit', 'must be >= 0'), logger);
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'limit: must be >= 0', field: 'limit' } });
    expect(lines).toHaveLength(0);
  });

  it('hides the message of an internal error and logs it under err with an errorId', () => {
    const { lines, logger } = capture();
    const cause = new Error('connection to 10.0.0.5:5432 refused');
    const { status, body } = errorResponse(new PlatformError(PlatformErrorCode.INTERNAL, 'db down', { cause }), logger);
    expect(status).toBe(500);
    expect(body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(body)).not.toMatch(/db down|10\.0\.0\.5/);
    expect(lines[0]).toMatchObject({ errorId: body.error.errorId, err: { message: expect.stringContaining('10.0.0.5:5432 refused') as unknown } });
  });

  it('keeps the code of an unavailable upstream but not its text', () => {
    const { logger } = capture();
    const { status, body } = errorResponse(new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'ECONNREFUSED 127.0.0.1:50053'), logger);
    expect(status).toBe(503);
    expect(body.error.code).toBe('UPSTREAM_FAILED');
    expect(body.error.message).not.toContain('127.0.0.1');
    expect(body.error.errorId).toBeDefined();
  });

  it('treats anything unknown as internal', () => {
    const { logger } = capture();
    const { status, body } = errorResponse(new TypeError("Cannot read properties of undefined (reading 'run')"), logger);
    expect(status).toBe(500);
    expect(body.error).toMatchObject({ code: 'INTERNAL' });
    expect(body.error.message).not.toContain('undefined');
  });

  it("names Fastify's body rejections, which Nest wraps in an HttpException", () => {
    const { logger } = capture();
    const invalidJson = Object.assign(new SyntaxError('Body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(errorResponse(new BadRequestException(invalidJson.message, { cause: invalidJson }), logger)).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_JSON' } },
    });
    expect(errorResponse(tooLarge, logger)).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
  });

  it('gives unknown routes and HTTP rejections the same shape', () => {
    const { logger } = capture();
    expect(errorResponse(new NotFoundException('Cannot GET /x'), logger)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(errorResponse(new HttpRejection(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON'), logger).status).toBe(415);
  });
});
