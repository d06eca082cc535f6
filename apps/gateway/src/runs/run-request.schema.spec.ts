import type { PlatformError } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { createRunBody, listSamplesQuery, runPathParams, validate } from './run-request.schema';

function rejection(fn: () => unknown): PlatformError {
  try {
    fn();
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected a rejection');
}

describe('run request validation', () => {
  it('accepts a minimal body', () => {
    expect(validate(createRunBody, { model: 'm', benchmark: 'gsm8k' }, 'body')).toEqual({ model: 'm', benchmark: 'gsm8k' });
  });

  it.each([
    [{ benchmark: 'gsm8k' }, 'model'],
    [{ model: 'm', benchmark: 'gsm8k', limit: -1 }, 'limit'],
    [{ model: 'm', benchmark: 'gsm8k', limit: 1.5 }, 'limit'],
    [{ model: 'm', benchmark: 'gsm8k', samples: '3' }, 'samples'],
    [{ model: 'm', benchmark: 'gsm8k', temperature: 3 }, 'temperature'],
    [{ model: 'm', benchmark: 'gsm8k', extra: 1 }, 'extra'],
  ])('names the field of %j', (body, field) => {
    const err = rejection(() => validate(createRunBody, body, 'body'));
    expect(err.field).toBe(field);
    expect(err.code).toBe('INVALID_ARGUMENT');
  });

  it('coerces query strings and rejects unknown statuses', () => {
    expect(validate(listSamplesQuery, { limit: '20', status: 'errored' }, 'query')).toEqual({ limit: 20, status: 'errored' });
    expect(rejection(() => validate(listSamplesQuery, { status: 'weird' }, 'query')).field).toBe('status');
    const badId = rejection(() => validate(runPathParams, { id: 'abc' }, 'path'));
    expect(badId.field).toBe('id');
    expect(badId.message).toMatch(/UUID/);
  });
});
