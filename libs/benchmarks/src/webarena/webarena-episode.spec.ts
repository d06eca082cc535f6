import { describe, expect, it } from 'vitest';
import { type AgentStep } from '../benchmark';
import { WebarenaEpisode } from './webarena-episode';
import { type WebarenaItem } from './webarena-tasks';

const ITEM: WebarenaItem = { id: 'webarena/7', taskId: '7', intent: 'What is the total of order 1042?', sites: ['shopping'], evalTypes: ['string_match'] };
const HOME = "[1] RootWebArea 'Shop'\n\t[11] link 'Orders'\n\t[12] link 'Products'";
const ORDERS = "[2] RootWebArea 'Orders'\n\t[21] textbox 'Order number'";
const step = (observation: string, url: string, reward = 0, done = false) => ({ observation, reward, done, info: { url } });
const act = (action: string) => `Let's think step-by-step. In summary, the next action I will perform is \`\`\`${action}\`\`\``;

function start(): WebarenaEpisode {
  return new WebarenaEpisode(ITEM, { observation: HOME, url: 'http://shop/' });
}

/** Plays `replies` (one per model turn) with `environment` answering each command; returns the commands and the end. */
function play(episode: WebarenaEpisode, replies: string[], environment: (command: string) => ReturnType<typeof step> | { error: string }) {
  const commands: string[] = [];
  const prompts: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    const next: AgentStep = episode.next();
    if (next.kind === 'done') return { commands, prompts, done: next };
    if (next.kind === 'model') {
      prompts.push(next.messages.at(-1)!.content);
      const reply = replies.shift();
      if (reply === undefined) throw new Error('the model was asked once more than scripted');
      episode.submitModelTurn(reply);
    } else if (next.kind === 'environment') {
      commands.push(next.action);
      episode.submitEnvironmentStep(environment(next.action));
    } else throw new Error(`unexpected step ${next.kind}`);
  }
  throw new Error('the episode did not end');
}

describe('WebarenaEpisode', () => {
  it('shows the page, sends each action as a command and is judged by the reward of the stop', () => {
    const site = (command: string) =>
      command === 'click [11]' ? step(ORDERS, 'http://shop/orders') : command.startsWith('stop') ? step('', 'http://shop/orders/1042', command === 'stop [$58.20]' ? 1 : 0, true) : step(ORDERS, 'http://shop/orders/1042');
    const { commands, prompts, done } = play(start(), [act('click(11)'), act("type(21, '1042', 1)"), act("stop('$58.20')")], site);
    expect(commands).toEqual(['click [11]', 'type [21] [1042] [1]', 'stop [$58.20]']);
    expect(prompts[0]).toBe(`OBSERVATION:\n${HOME}\nURL: http://shop/\nOBJECTIVE: What is the total of order 1042?\nPREVIOUS ACTION: None`);
    expect(prompts[1]).toBe(`OBSERVATION:\n${ORDERS}\nURL: http://shop/orders\nOBJECTIVE: What is the total of order 1042?\nPREVIOUS ACTION: click [11] where [11] is link 'Orders'`);
    expect(prompts[2]).toMatch(/\nURL: http:\/\/shop\/orders\/1042\n[\s\S]*PREVIOUS ACTION: type \[21\] \[1042 \] where \[21\] is textbox 'Order number'$/);
    expect(done).toEqual({ kind: 'done', success: true, terminateReason: 'stop', reason: 'the model stopped with the answer "$58.20"; the environment\'s reward is 1' });
  });

  it('fails when the environment gives the stop no reward', () => {
    const { done } = play(start(), [act("stop('$12.00')")], () => step('', 'http://shop/', 0, true));
    expect(done).toMatchObject({ success: false, terminateReason: 'stop' });
  });

  it('sends none for an unparseable answer and stops early after three in a row, with upstream\'s text as the answer', () => {
    const episode = start();
    const { commands, prompts, done } = play(episode, ['I will click Orders.', 'click [11]', '```click 11```'], (command) => step(HOME, 'http://shop/', 0, command.startsWith('stop')));
    expect(commands).toEqual(['none', 'none', 'none', 'stop [Early stop: Failed to parse actions for 3 times]']);
    expect(prompts[1]).toMatch(/PREVIOUS ACTION: The previous prediction you issued was "I will click Orders\."\. However, the format was incorrect\./);
    expect(done).toMatchObject({ success: false, terminateReason: 'parsing_failure' });
    expect(episode.turns.at(-1)).toMatchObject({ earlyStop: 'Failed to parse actions for 3 times', command: 'stop [Early stop: Failed to parse actions for 3 times]' });
  });

  it('stops early after the same action three times; a page-state evaluator can still reward that stop', () => {
    const { commands, done } = play(start(), [act('click(12)'), act('click(12)'), act('click(12)')], (command) => step(HOME, 'http://shop/', command.startsWith('stop') ? 1 : 0, false));
    expect(commands.at(-1)).toBe('stop [Early stop: Same action for 3 times]');
    expect(done).toMatchObject({ success: true, terminateReason: 'repeating_action' });
  });

  it('ends at the 30-step limit after 30 model turns', () => {
    const replies = Array.from({ length: 30 }, (_, i) => act(`scroll('${i % 2 === 0 ? 'down' : 'up'}')`));
    const { commands, done } = play(start(), replies, () => step(HOME, 'http://shop/'));
    expect(commands).toHaveLength(31);
    expect(commands.at(-1)).toBe('stop [Early stop: Reach max steps 30]');
    expect(done).toMatchObject({ terminateReason: 'max_steps' });
  });

  it('ends when the environment reports done after an ordinary action, judged by that step\'s reward', () => {
    const { commands, done } = play(start(), [act('click(11)')], () => step(ORDERS, 'http://shop/orders', 1, true));
    expect(commands).toEqual(['click [11]']);
    expect(done).toMatchObject({ success: true, terminateReason: 'environment_done' });
  });

  it('keeps the page when the server refuses a command as malformed', () => {
    const { prompts } = play(start(), [act('click(11)'), act("stop('x')")], (command) => (command === 'click [11]' ? { error: 'unknown element' } : step('', 'http://shop/', 0, true)));
    expect(prompts[1]).toContain(`OBSERVATION:\n${HOME}\nURL: http://shop/\n`);
  });

  it('needs the page URL in info.url and fails a context overflow', () => {
    const episode = start();
    episode.submitModelTurn(act('click(11)'));
    expect(() => episode.submitEnvironmentStep({ observation: ORDERS, reward: 0, done: false, info: {} })).toThrow(/info\.url/);
    const other = start();
    other.submitModelError('maximum context length is 4096 tokens');
    expect(other.next()).toMatchObject({ kind: 'done', success: false, terminateReason: 'context_exceeded' });
  });

  it('refuses steps out of turn', () => {
    expect(() => start().submitEnvironmentStep(step(HOME, 'http://shop/'))).toThrow(/a result for the environment step while waiting for the model step/);
    expect(() => start().submitExecution()).toThrow(/no code cells/);
  });
});
