import { describe, expect, it } from 'vitest';
import { EchoAnswerPolicy } from './echo-answer.policy';
import { parseScriptedRules, ScriptedAnswerPolicy, ScriptedRulesError } from './scripted-answer.policy';

const ask = (prompt: string) => ({ prompt, chat: false, temperature: 0 });

describe('parseScriptedRules', () => {
  it('reads one rule per line and skips blank lines', () => {
    const rules = parseScriptedRules('{"match":"a","completion":"A"}\n\n{"match":"/b+/i","completion":"B"}\n');
    expect(rules).toEqual([
      { match: 'a', completion: 'A' },
      { match: '/b+/i', completion: 'B' },
    ]);
  });

  it.each([
    ['{"match":"a","completion":"A"}\n{oops', 2, 'not valid JSON'],
    ['\n\n[1,2]', 3, 'expected an object'],
    ['{"match":"","completion":"x"}', 1, '"match"'],
    ['{"match":"x","completion":3}', 1, '"completion"'],
    ['{"match":"x","completion":"y"}\n{"match":"/(/","completion":"y"}', 2, 'invalid regex'],
  ])('fails on a bad line with its number: %j', (text, line, message) => {
    let caught: unknown;
    try {
      parseScriptedRules(text, 'rules.jsonl');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScriptedRulesError);
    expect((caught as ScriptedRulesError).line).toBe(line);
    expect((caught as Error).message).toContain(`rules.jsonl:${line}:`);
    expect((caught as Error).message).toContain(message);
  });
});

describe('ScriptedAnswerPolicy', () => {
  const policy = new ScriptedAnswerPolicy(
    [
      { match: 'capital of France', completion: 'Paris' },
      { match: '/what is (\\d+) \\+ \\1/i', completion: 'double' },
      { match: '/france/gi', completion: 'never reached for the capital question' },
    ],
    'no idea',
  );

  it('uses the first matching rule', () => {
    expect(policy.answer(ask('What is the capital of France?'))).toBe('Paris');
    expect(policy.answer(ask('I love France'))).toBe('never reached for the capital question');
  });

  it('matches regex rules with flags, repeatably', () => {
    expect(policy.answer(ask('WHAT IS 7 + 7'))).toBe('double');
    expect(policy.answer(ask('I love France'))).toBe(policy.answer(ask('I love France')));
  });

  it('falls back to the default, or to an empty completion', () => {
    expect(policy.answer(ask('unrelated'))).toBe('no idea');
    expect(new ScriptedAnswerPolicy([]).answer(ask('unrelated'))).toBe('');
  });
});

describe('EchoAnswerPolicy', () => {
  const echo = new EchoAnswerPolicy();
  it('echoes the last user message of a chat', () => {
    expect(echo.answer({ prompt: 'sys\n\nhi\n\nthere', chat: true, lastUserMessage: 'there', temperature: 0 })).toBe('there');
  });
  it('echoes the last paragraph of a completion prompt', () => {
    expect(echo.answer(ask('Q: 1+1?\nA: 2\n\nQ: 2+2?\nA:'))).toBe('Q: 2+2?\nA:');
  });
});
