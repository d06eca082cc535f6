import { describe, expect, it } from 'vitest';
import { formatMintReplOutput, MintEpisode, type MintParsedTurn, parseMintTurn } from './mint-episode';
import { judgeMintAnswer } from './mint-scorer';
import { type MintReasoningItem } from './mint-tasks';
import { MINT_INVALID_INPUT_MESSAGE } from './mint-templates';

const item: MintReasoningItem = { id: 'mint-gsm8k/0', task: 'gsm8k', upstreamId: 0, prompt: 'What is 6*7?', taskPrompt: 'What is 6*7?', reference: '42' };
const judge = (e: MintEpisode, solution: string): void => e.submitJudgement(judgeMintAnswer(item, solution));
const users = (e: MintEpisode): string[] => e.history.filter((m, i) => i > 0 && m.role === 'user').map((m) => m.content);

describe('parseMintTurn', () => {
  it.each<[string, MintParsedTurn]>([
    ['<thought> t </thought>\n<execute> print(1) </execute>', { action: 'execute', code: 'print(1)', thought: 't' }],
    ['<execute>a = 1</execute> then <execute>\nprint(a)\n</execute>', { action: 'execute', code: 'a = 1\nprint(a)', thought: null }],
    ['<execute>\nfor i in range(2):\n    print(i)\n</execute>', { action: 'execute', code: 'for i in range(2):\n    print(i)', thought: null }],
    ['The answer is <solution> 42 </solution>.', { action: 'propose', solution: '42', thought: null }],
    ['<execute> print(1) </execute> The answer is <solution> 42 </solution>', { action: 'propose', solution: '42', thought: null }],
    ['<solution> 4 </solution> or <solution> 2 </solution>', { action: 'propose', solution: '4\n2', thought: null }],
    ['<solution> 42', { action: 'invalid', proposal: true, thought: null }],
    ['<solution>   </solution>', { action: 'invalid', proposal: true, thought: null }],
    ['```python\nprint(1)\n```', { action: 'invalid', proposal: false, thought: null }],
    ['<execute> unclosed', { action: 'invalid', proposal: false, thought: null }],
    ['', { action: 'invalid', proposal: false, thought: null }],
  ])('reads %j', (output, expected) => {
    expect(parseMintTurn(output)).toEqual(expected);
  });
});

describe('MintEpisode', () => {
  it('runs code, shows the observation with the steps left, and ends on a correct proposal', () => {
    const e = new MintEpisode(item);
    expect(e.next()).toEqual({ kind: 'model', messages: [e.history[0]] });
    e.submitModelTurn('<thought> compute </thought>\n<execute> print(6*7) </execute>');
    expect(e.next()).toEqual({ kind: 'execute', code: 'print(6*7)' });
    e.submitExecution('42\n');
    expect(e.history.slice(1)).toEqual([
      { role: 'assistant', content: 'Assistant:\n<thought> compute </thought>\n<execute> print(6*7) </execute>\n' },
      { role: 'user', content: 'Observation:\n42\nYou have 4 steps left and 2 chances to propose solution left.\n' },
    ]);
    e.submitModelTurn('The answer is <solution> 42 </solution>.');
    expect(e.next()).toEqual({ kind: 'judge', solution: '42' });
    judge(e, '42');
    expect(e.next()).toEqual({ kind: 'done', success: true, terminateReason: 'task_success' });
    // MINT logs no user turn once the episode has finished.
    expect(e.history).toHaveLength(4);
    expect(e.actionCount).toEqual({ proposeSolution: 1, useTool: 1, invalidAction: 0 });
    expect(e.turns.map((t) => t.parsed.action)).toEqual(['execute', 'propose']);
  });

  it('ends after the second wrong proposal, telling the model after the first', () => {
    const e = new MintEpisode(item);
    // 41 would pass: MINT accepts numbers within 5% of the reference.
    e.submitModelTurn('<solution> 30 </solution>');
    judge(e, '30');
    expect(users(e)).toEqual(['Observation:\nYour answer is wrong.\nYou have 4 steps left and 1 chances to propose solution left.\n']);
    e.submitModelTurn('<solution> 20 </solution>');
    judge(e, '20');
    expect(e.next()).toEqual({ kind: 'done', success: false, terminateReason: 'max_propose_steps' });
    expect(e.history).toHaveLength(4);
  });

  it('counts invalid turns as steps, warns at the last step and ends after k actions', () => {
    const e = new MintEpisode(item);
    e.submitModelTurn('I think it is 42.');
    e.submitModelTurn('<execute> x = 1 </execute>');
    e.submitExecution('[Executed Successfully with No Output]');
    e.submitModelTurn('<solution> 7');
    e.submitModelTurn('<execute> print(x) </execute>');
    e.submitExecution('1');
    expect(users(e)).toEqual([
      `Observation:\n${MINT_INVALID_INPUT_MESSAGE}\nYou have 4 steps left and 2 chances to propose solution left.\n`,
      'Observation:\n[Executed Successfully with No Output]\nYou have 3 steps left and 2 chances to propose solution left.\n',
      `Observation:\n${MINT_INVALID_INPUT_MESSAGE}\nYou have 2 steps left and 1 chances to propose solution left.\n`,
      'Observation:\n1\nYou have 1 steps left and 1 chances to propose solution left.\nYou should take the last step to propose a solution.\n',
    ]);
    e.submitModelTurn('<execute> print(2) </execute>');
    e.submitExecution('2');
    expect(e.next()).toEqual({ kind: 'done', success: false, terminateReason: 'max_steps' });
    expect(e.actionCount).toEqual({ proposeSolution: 1, useTool: 3, invalidAction: 1 });
  });

  it('asks for feedback on every step that does not end the episode and shows it as "Expert feedback:"', () => {
    const e = new MintEpisode(item, { feedback: true });
    expect(e.history[0]!.content).toContain('Expert feedback:');
    e.submitModelTurn('<execute> print(6*6) </execute>');
    e.submitExecution('36');
    const next = e.next();
    expect(next.kind).toBe('feedback');
    if (next.kind !== 'feedback') return;
    expect(next.prompt.content).toContain('Task:\nWhat is 6*7?\n\nAssistant:\n<execute> print(6*6) </execute>\n\nObservation:\n36\nYou have 4 steps left');
    e.submitFeedback('This is BAD. Multiply 6 by 7.');
    expect(users(e)).toEqual(['Observation:\n36\nYou have 4 steps left and 2 chances to propose solution left.\n\nExpert feedback:\nThis is BAD. Multiply 6 by 7.\n']);
    e.submitModelTurn('<solution> 42 </solution>');
    judge(e, '42');
    expect(e.next().kind).toBe('done');
  });

  it('shows a scorer error as the observation and keeps going', () => {
    const e = new MintEpisode(item);
    e.submitModelTurn('<solution> x </solution>');
    e.submitJudgement({ success: false, error: "KeyError: 'e'" });
    expect(users(e)).toEqual(["Observation:\nKeyError: 'e'\nYou have 4 steps left and 1 chances to propose solution left.\n"]);
  });

  it('keeps a turn that already starts with "Assistant:" as is, and logs nothing for an empty turn', () => {
    const e = new MintEpisode(item);
    e.submitModelTurn('  Assistant: <execute> 1 </execute>');
    e.submitExecution('Out[1]: 1');
    e.submitModelTurn('');
    expect(e.history.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'user']);
    expect(e.history[1]!.content).toBe('  Assistant: <execute> 1 </execute>\n');
  });

  it('ends with an error when the model call fails, and refuses out-of-order calls', () => {
    const e = new MintEpisode(item, { budget: { maxSteps: 1, maxProposeSolution: 1 } });
    expect(e.history[0]!.content).toContain('You have 1 chances to interact with the environment or propose a solution. You can only propose a solution 1 times.');
    expect(() => e.submitExecution('x')).toThrow(/expected a execute step but the episode is at model/);
    e.submitModelError('InvalidRequestError: context length');
    expect(e.next()).toEqual({ kind: 'done', success: false, terminateReason: 'error' });
    expect(e.state.error).toBe('InvalidRequestError: context length');
    expect(() => e.submitModelTurn('<solution> 42 </solution>')).toThrow(/at done/);
  });

  it.each([
    ['', '[Executed Successfully with No Output]'],
    ['3\n', '3\n'],
    ['x'.repeat(2001), `${'x'.repeat(2000)}...\n[Output Truncated]`],
    ['File /srv/mint/tools/python_tool.py:30, in f', 'File <hidden_filepath>:/srv/, in f'],
  ])('formats REPL output %#', (stdout, expected) => {
    expect(formatMintReplOutput(stdout)).toBe(expected);
  });
});
