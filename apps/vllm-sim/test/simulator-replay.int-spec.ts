import { resolve } from 'node:path';
import { type ChatMessage, MINT_AGENT_SAMPLING, MINT_FEEDBACK_SAMPLING, renderMintFeedbackPrompt } from '@lemur/benchmarks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReplayEpisodes } from '../src/answers/replay-answer.policy';
import { type RunningSimulator, startSimulator } from '../src/simulator';
import { countTokens } from '../src/tokens/tokenizer';
import { postJson } from './sim-http';

// Lemur-70B-Chat's published MINT run with GPT-4 feedback: the simulator stands in for both models.
const RUN_DIR = resolve(__dirname, '../../../../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd');
const episodes = loadReplayEpisodes(RUN_DIR);

// A published conversation alternates user and assistant messages, the task's first.
const asMessage = (content: string, i: number): ChatMessage => ({ role: i % 2 === 1 ? 'assistant' : 'user', content });

let sim: RunningSimulator;

beforeAll(async () => {
  // The feedback prompts hold the whole trajectory plus an example: longer than Lemur's 4,096-token context.
  sim = await startSimulator({ fast: true, maxModelLen: 16_384, bodyLimitBytes: 1024 * 1024, models: [{ name: 'sim-replay', mode: 'replay', runDir: RUN_DIR }] });
});

afterAll(async () => {
  await sim.close();
});

const chat = async (messages: { role: string; content: string }[], sampling: { maxTokens: number; stop?: readonly string[] }) =>
  (
    await postJson(`${sim.url}/v1/chat/completions`, { model: 'sim-replay', messages, max_tokens: sampling.maxTokens, stop: sampling.stop, temperature: 0 })
  ).body;

describe('a replay model over HTTP', () => {
  it("returns a published agent turn whole even where the simulator's tokenizer counts more than max_tokens", async () => {
    const episode = episodes.find((e) => e.turns.slice(1).some((t) => countTokens(t) > MINT_AGENT_SAMPLING.maxTokens) && !e.history![0]!.includes('household'))!;
    const turn = episode.turns.findIndex((t, i) => i > 0 && countTokens(t) > MINT_AGENT_SAMPLING.maxTokens);
    const messages = episode.history!.slice(0, 2 * turn + 1).map(asMessage);
    const body = await chat(messages, MINT_AGENT_SAMPLING);
    expect(body.choices[0]!.message!.content).toBe(episode.turns[turn]);
    expect(body.choices[0]!.finish_reason).toBe('stop');
  });

  it('answers the feedback prompt after turn N with the published feedback of turn N, long ones whole', async () => {
    const long = (f: string) => countTokens(f) > MINT_FEEDBACK_SAMPLING.maxTokens;
    // A reasoning episode (a TheoremQA one): its first message offers the wikipedia_search tool.
    const episode = episodes.find((e) => e.feedback!.some(long) && e.history![0]!.includes('wikipedia_search'))!;
    const turn = episode.feedback!.findIndex(long);
    const history = episode.history!.slice(0, 2 * turn + 2).map(asMessage);
    const observation = episode.history![2 * turn + 2]!.split('\nExpert feedback:\n')[0]!;
    const body = await chat([renderMintFeedbackPrompt({ task: 'theoremqa', history, observation })], MINT_FEEDBACK_SAMPLING);
    expect(body.choices[0]!.message!.content).toBe(episode.feedback![turn]);
  });
});
