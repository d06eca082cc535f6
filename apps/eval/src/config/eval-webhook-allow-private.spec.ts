import { describe, expect, it } from 'vitest';
import { loadEvalConfig } from './eval.config';

const base = { DATABASE_URL: 'postgresql://127.0.0.1:5432/test' };

describe('EVAL_WEBHOOK_ALLOW_PRIVATE, the webhook address guard', () => {
  it('keeps the guard on unless told otherwise', () => {
    expect(loadEvalConfig(base).webhook).toEqual({ allowPrivate: false });
    expect(loadEvalConfig({ ...base, EVAL_WEBHOOK_ALLOW_PRIVATE: 'false' }).webhook.allowPrivate).toBe(false);
    expect(loadEvalConfig({ ...base, EVAL_WEBHOOK_ALLOW_PRIVATE: 'true' }).webhook.allowPrivate).toBe(true);
  });

  it('refuses a value it cannot read rather than guessing, naming the variable', () => {
    expect(() => loadEvalConfig({ ...base, EVAL_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/EVAL_WEBHOOK_ALLOW_PRIVATE/);
  });
});
