import { resolve } from 'node:path';
import { getBenchmark, type MintItem, MintEpisode } from '@lemur/benchmarks';
import { describe, expect, it } from 'vitest';
import { loadReplayEpisodes, ReplayAnswerPolicy } from './replay-answer.policy';

const RUN_DIR = resolve(__dirname, '../../../../../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=None/max5_p2+tool+cd');
// The simulator sees chat messages joined by blank lines.
const asPrompt = (messages: { content: string }[]) => ({ prompt: messages.map((m) => m.content).join('\n\n'), chat: true, temperature: 0 });

describe('ReplayAnswerPolicy', () => {
  const episodes = loadReplayEpisodes(RUN_DIR);
  const policy = new ReplayAnswerPolicy(episodes);

  it('loads every published episode of the run (five reasoning and two code tasks, ALFWorld)', () => {
    expect(episodes).toHaveLength(316 + 45 + 91 + 134);
  });

  it('answers turn N of a conversation with the published assistant turn N, found by the task text', () => {
    const published = episodes.find((e) => e.turns.length >= 3 && !e.taskPrompt.includes('\n'))!;
    const item = { id: 'x', upstreamId: 0, prompt: published.taskPrompt, taskPrompt: published.taskPrompt, task: 'gsm8k', reference: '1' } as MintItem;
    const episode = new MintEpisode(item);
    for (let turn = 0; turn < 3; turn += 1) {
      const next = episode.next();
      if (next.kind !== 'model') break;
      const answer = policy.answer(asPrompt(next.messages));
      expect(answer).toBe(published.turns[turn]);
      episode.submitModelTurn(answer);
      const pending = episode.next();
      if (pending.kind === 'execute') episode.submitExecution('1');
      else if (pending.kind === 'judge') episode.submitJudgement({ success: false });
    }
  });

  it('tells apart episodes with the same task text by the conversation so far (ALFWorld games sharing a room and task)', () => {
    const first = 'intro\n---\n\nTask:\nT\n';
    const conversation = (obs: string) => [first, 'Assistant:\nlook\n', `Observation:\n${obs}\n`].join('\n\n');
    const a = { taskPrompt: 'T', turns: ['look', 'a1'], conversation: conversation('You see a mug.') };
    const b = { taskPrompt: 'T', turns: ['look', 'b1'], conversation: conversation('You see a pen.') };
    const twins = new ReplayAnswerPolicy([a, b]);
    const ask = (prompt: string) => twins.answer({ prompt, chat: true, temperature: 0 });
    expect(ask(first)).toBe('look');
    expect(ask(conversation('You see a pen.'))).toBe('b1');
    expect(ask(conversation('You see a mug.'))).toBe('a1');
  });

  it('gives an empty reply past the published turns and for unknown tasks', () => {
    const first = getBenchmark('mint-gsm8k').buildPrompt({ id: 'x', upstreamId: 0, prompt: 'Unknown task?', taskPrompt: 'Unknown task?', task: 'gsm8k', reference: '1' } as never, { chat: true });
    expect(policy.answer(asPrompt(first.kind === 'chat' ? first.messages : []))).toBe('');
    expect(() => loadReplayEpisodes(resolve(RUN_DIR, 'nowhere'))).toThrow(/no published episodes/);
  });
});
