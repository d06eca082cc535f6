import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ChatMessage, getBenchmark, type MintItem, MintEpisode, renderMintFeedbackPrompt } from '@lemur/benchmarks';
import { describe, expect, it } from 'vitest';
import { loadReplayEpisodes, ReplayAnswerPolicy, replayEpisodeOf } from './replay-answer.policy';

const OUTPUTS = resolve(__dirname, '../../../../../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1');
const RUN_DIR = join(OUTPUTS, 'F=None/max5_p2+tool+cd');
const FEEDBACK_RUN_DIR = join(OUTPUTS, 'F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd');
// The simulator sees chat messages joined by blank lines.
const asPrompt = (messages: { content: string }[]) => ({ prompt: messages.map((m) => m.content).join('\n\n'), chat: true, temperature: 0 });

interface PublishedRow {
  state: { history: { role: string; content: string }[]; success: boolean; terminate_reason: string };
  task: { task_id: number; prompt: string };
}
const readRows = (runDir: string, task: string): PublishedRow[] =>
  readFileSync(join(runDir, task === 'humaneval' || task === 'mbpp' ? 'code_generation' : 'reasoning', task, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PublishedRow);

// A published conversation alternates user and assistant messages, the task's first.
const asMessage = (content: string, i: number): ChatMessage => ({ role: i % 2 === 1 ? 'assistant' : 'user', content });

// The tool output MINT rendered into a published user turn (StepOutput.to_str: "Observation:\n<output>\nYou have ...").
const observationOf = (content: string): string => /^Observation:\n([\s\S]*)\nYou have \d+ steps left/.exec(content)?.[1] ?? '';

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
    const history = (obs: string) => [first, 'Assistant:\nlook\n', `Observation:\n${obs}\n`];
    const a = { taskPrompt: 'T', turns: ['look', 'a1'], history: history('You see a mug.') };
    const b = { taskPrompt: 'T', turns: ['look', 'b1'], history: history('You see a pen.') };
    const twins = new ReplayAnswerPolicy([a, b]);
    const ask = (prompt: string) => twins.answer({ prompt, chat: true, temperature: 0 });
    expect(ask(first)).toBe('look');
    expect(ask(history('You see a pen.').join('\n\n'))).toBe('b1');
    expect(ask(history('You see a mug.').join('\n\n'))).toBe('a1');
  });

  it('gives an empty reply past the published turns and for unknown tasks', () => {
    const first = getBenchmark('mint-gsm8k').buildPrompt({ id: 'x', upstreamId: 0, prompt: 'Unknown task?', taskPrompt: 'Unknown task?', task: 'gsm8k', reference: '1' } as never, { chat: true });
    expect(policy.answer(asPrompt(first.kind === 'chat' ? first.messages : []))).toBe('');
    expect(() => loadReplayEpisodes(resolve(RUN_DIR, 'nowhere'))).toThrow(/no published episodes/);
  });
});

describe('ReplayAnswerPolicy as the feedback model of a published run with feedback', () => {
  const episodes = loadReplayEpisodes(FEEDBACK_RUN_DIR);
  const policy = new ReplayAnswerPolicy(episodes);

  it("reads each turn's feedback from the user turn after it, and none after the last turn", () => {
    let given = 0;
    for (const e of episodes) {
      const history = e.history ?? [];
      expect(e.feedback).toHaveLength(e.turns.length);
      e.feedback!.forEach((feedback, turn) => {
        const reply = history[2 * turn + 2];
        if (reply === undefined) return expect(feedback).toBe('');
        // Every published observation of this run carries GPT-4's feedback (ALFWorld's too).
        expect(feedback).not.toBe('');
        expect(reply.endsWith(`\nExpert feedback:\n${feedback}\n`)).toBe(true);
        given += 1;
      });
    }
    expect(given).toBeGreaterThan(1000);
  });

  it("answers MINT's feedback prompt with the published feedback and the agent's turn with the published turn: whole episodes render byte for byte", () => {
    const differences: string[] = [];
    let feedbackRequests = 0;
    for (const task of ['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp']) {
      for (const row of readRows(FEEDBACK_RUN_DIR, task)) {
        const published = row.state.history.map((m) => m.content);
        const item = { id: `mint-${task}/${row.task.task_id}`, upstreamId: row.task.task_id, prompt: row.task.prompt, taskPrompt: row.task.prompt, task, reference: '' } as MintItem;
        const episode = new MintEpisode(item, { feedback: true });
        const turns = published.filter((_, i) => i % 2 === 1).length;
        for (let next = episode.next(); next.kind !== 'done'; next = episode.next()) {
          if (next.kind === 'model') {
            const answer = policy.answer(asPrompt(next.messages));
            // The published episode ended on the model call that overflowed Lemur's 4,096-token context.
            if (answer === '' && row.state.terminate_reason === 'error') episode.submitModelError('context length exceeded');
            else episode.submitModelTurn(answer);
          } else if (next.kind === 'execute') {
            episode.submitExecution(observationOf(published[episode.history.length] ?? ''));
          } else if (next.kind === 'judge') {
            episode.submitJudgement({ success: row.state.success && episode.turns.length === turns });
          } else {
            feedbackRequests += 1;
            episode.submitFeedback(policy.answer(asPrompt([next.prompt])));
          }
        }
        const at = published.findIndex((content, i) => episode.history[i]?.content !== content);
        if (at >= 0 || episode.history.length !== published.length) differences.push(`${item.id}: history differs at message ${at}`);
      }
    }
    expect(differences).toEqual([]);
    // One request per published observation: every one of them carries feedback.
    expect(feedbackRequests).toBe(78 + 312 + 139 + 135 + 210 + 105 + 295);
  });

  it('tells a feedback request from an agent turn by the prompt, and picks the turn by the observations in the trajectory', () => {
    const published = episodes.find((e) => e.turns.length >= 3 && e.feedback![1] !== '' && e.feedback![0] !== e.feedback![1])!;
    const item = { id: 'x', upstreamId: 0, prompt: published.taskPrompt, taskPrompt: published.taskPrompt, task: 'gsm8k', reference: '1' } as MintItem;
    const history = published.history!.slice(0, 4).map(asMessage);
    // After turn 1: the agent sees turns 0 and 1 and their observations; the critic sees the same, newest observation last.
    const observation = published.history![4]!.split('\nExpert feedback:\n')[0]!;
    const feedbackPrompt = renderMintFeedbackPrompt({ task: item.task, history, observation });
    expect(policy.answer(asPrompt([feedbackPrompt]))).toBe(published.feedback![1]);
    expect(policy.answer(asPrompt([...history.slice(0, 3)]))).toBe(published.turns[1]);
    const firstTurnPrompt = renderMintFeedbackPrompt({ task: item.task, history: history.slice(0, 2), observation: history[2]!.content.split('\nExpert feedback:\n')[0]! });
    expect(policy.answer(asPrompt([firstTurnPrompt]))).toBe(published.feedback![0]);
    // A run without feedback has none to give; an unknown trajectory gets an empty reply.
    expect(new ReplayAnswerPolicy([{ ...published, feedback: [] }]).answer(asPrompt([feedbackPrompt]))).toBe('');
    expect(policy.answer(asPrompt([{ ...feedbackPrompt, content: feedbackPrompt.content.replace(published.taskPrompt, 'Unknown task?') }]))).toBe('');
  });

  it('tells apart twins with the same task text by the trajectory the critic sees', () => {
    // The critic's trajectory starts after the first message's second "---" (the one closing the in-context example).
    const first = 'intro\n---\n\nexample\n\n---\n\nTask:\nT\n';
    const twin = (obs: string, feedback: string) =>
      replayEpisodeOf('T', [
        { role: 'user', content: first },
        { role: 'assistant', content: 'Assistant:\nlook\n' },
        { role: 'user', content: `Observation:\n${obs}\nYou have 4 steps left and 2 chances to propose solution left.\n\nExpert feedback:\n${feedback}\n` },
      ]);
    const twins = new ReplayAnswerPolicy([twin('You see a mug.', 'Take the mug.'), twin('You see a pen.', 'Take the pen.')]);
    const ask = (obs: string) =>
      twins.answer(
        asPrompt([
          renderMintFeedbackPrompt({
            task: 'gsm8k',
            history: [
              { role: 'user', content: first },
              { role: 'assistant', content: 'Assistant:\nlook\n' },
            ],
            observation: `Observation:\n${obs}\nYou have 4 steps left and 2 chances to propose solution left.\n`,
          }),
        ]),
      );
    expect(ask('You see a pen.')).toBe('Take the pen.');
    expect(ask('You see a mug.')).toBe('Take the mug.');
  });
});
