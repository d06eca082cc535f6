import { describe, expect, it } from 'vitest';
import { EnvironmentErrorCode, MAX_ACTION_CHARS, parseErrorBody, parseResetRequest, parseResetResponse, parseStepRequest, parseStepResponse } from './environment-protocol';

describe('environment protocol bodies', () => {
  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{}, /task_id must be a non-empty string/],
    [{ task_id: '  ' }, /task_id must be a non-empty string/],
    [{ task_id: 3 }, /task_id must be a non-empty string/],
  ])('rejects the reset body %j', (body, message) => {
    expect(() => parseResetRequest(body)).toThrow(expect.objectContaining({ code: EnvironmentErrorCode.BAD_REQUEST, message: expect.stringMatching(message) }));
  });

  it.each([
    [{ action: 'look' }, /session must be/],
    [{ session: 's', action: 1 }, /action must be a string/],
    [{ session: 's', action: 'x'.repeat(MAX_ACTION_CHARS + 1) }, /at most 4096/],
  ])('rejects the step body %j', (body, message) => {
    expect(() => parseStepRequest(body)).toThrow(expect.objectContaining({ code: EnvironmentErrorCode.BAD_REQUEST, message: expect.stringMatching(message) }));
  });

  it('accepts well-formed requests and answers', () => {
    expect(parseResetRequest({ task_id: 'g/1' })).toEqual({ task_id: 'g/1' });
    expect(parseStepRequest({ session: 's', action: '' })).toEqual({ session: 's', action: '' });
    expect(parseResetResponse({ session: 's', observation: 'o' })).toEqual({ session: 's', observation: 'o', info: {} });
    expect(parseStepResponse({ observation: 'o', reward: 1, done: true, info: { won: true } })).toEqual({ observation: 'o', reward: 1, done: true, info: { won: true } });
  });

  it('treats a malformed answer as UNAVAILABLE, naming what was expected', () => {
    expect(() => parseStepResponse({ observation: 'o', done: true })).toThrow(expect.objectContaining({ code: EnvironmentErrorCode.UNAVAILABLE, message: expect.stringMatching(/reward, done/) }));
    expect(() => parseStepResponse({ observation: 'o', reward: 0, done: false, info: { won: 'yes' } })).toThrow(/info.won must be a boolean/);
    expect(() => parseResetResponse({ observation: 'o' })).toThrow(/want \{session, observation, info\}/);
  });

  it('reads protocol error bodies, and anything else as UNAVAILABLE with the HTTP status', () => {
    expect(parseErrorBody(404, { error: { code: 'SESSION_NOT_FOUND', message: 'gone' } })).toMatchObject({ code: EnvironmentErrorCode.SESSION_NOT_FOUND, message: 'gone' });
    expect(parseErrorBody(502, undefined)).toMatchObject({ code: EnvironmentErrorCode.UNAVAILABLE, message: expect.stringMatching(/HTTP 502/) });
    expect(parseErrorBody(400, { error: { code: 'MADE_UP', message: 'x' } }).code).toBe(EnvironmentErrorCode.UNAVAILABLE);
  });
});
