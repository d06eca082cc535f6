import { WEBARENA_INTRO, webarenaBenchmark, type Benchmark, type ChatMessage, type CodeExecutor } from '@lemur/benchmarks';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpEnvironmentClient } from '../src/environment/environment-client';
import { EnvironmentServer } from '../src/environment/environment-server';
import type { RunRecord } from '../src/runs/run.types';
import type { SandboxSessions } from '../src/sandbox/sandbox-session-client';
import { OfflineStubToolProvider } from '../src/worker/agent-tool-provider';
import { EpisodeRunner, type EpisodeEvent } from '../src/worker/episode-runner';
import type { InferenceClient } from '../src/worker/sample-processor';
import { tinyWebBackend, tinyWebItem } from './tiny-web';

/** A model that answers from a script and records the conversations it was sent. */
class ScriptedModel implements InferenceClient {
  readonly seen: ChatMessage[][] = [];
  constructor(private readonly replies: string[]) {}
  generate: InferenceClient['generate'] = async (req) => {
    this.seen.push((req.messages ?? []) as ChatMessage[]);
    const text = this.replies.shift();
    if (text === undefined) throw new Error('no scripted reply left');
    return { choices: [{ text, finishReason: 'stop' }], endpoint: 'script', attempts: 1, latencyMs: 0, usage: { promptTokens: 1, completionTokens: 1 } } as unknown as Awaited<
      ReturnType<InferenceClient['generate']>
    >;
  };
}

// WebArena's actions are environment steps: an episode must never open a sandbox session or run code.
const noSessions: SandboxSessions = {
  create: () => Promise.reject(new Error('a WebArena episode opened a sandbox session')),
  runCell: () => Promise.reject(new Error('a WebArena episode ran a cell')),
  close: () => Promise.reject(new Error('a WebArena episode closed a session')),
};
const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('a WebArena episode ran code')) };
const run = {
  id: 'r',
  modelName: 'scripted',
  teamName: 't',
  spec: { sampling: { maxTokens: 384, temperature: 1, topP: 0.9, stop: [] } } as unknown as RunRecord['spec'],
  config: {},
};
const benchmark = webarenaBenchmark as unknown as Benchmark;
const say = (action: string) => `Let's think step-by-step. In summary, the next action I will perform is \`\`\`${action}\`\`\``;
const RIGHT = [say('click(11)'), say("type(21, '1042', 1)"), say("stop('$58.20')")];

type StepEvent = Extract<EpisodeEvent, { kind: 'environment' }>;
const steps = (transcript: unknown): StepEvent[] => (transcript as EpisodeEvent[]).filter((e): e is StepEvent => e.role === 'action' && e.kind === 'environment');

describe('WebArena episodes against the live tiny web environment', () => {
  let server: EnvironmentServer;
  let client: HttpEnvironmentClient;

  beforeAll(async () => {
    server = new EnvironmentServer(tinyWebBackend());
    client = new HttpEnvironmentClient(await server.listen());
    expect(client.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterAll(async () => server?.close());

  const runner = (model: InferenceClient, environment: HttpEnvironmentClient | null = client) =>
    new EpisodeRunner(model, () => noSessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 5_000, ...(environment ? { environment } : {}) });
  const play = (model: InferenceClient, task = 'tiny-web/order-total') => runner(model).run(run, benchmark, tinyWebItem(task), new AbortController().signal);

  it('scores 1 when the model clicks, types and stops with the right answer, and records the endpoint and every step', async () => {
    const model = new ScriptedModel([...RIGHT]);
    const result = await play(model);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, passed: true });
    expect(result.scoreDetail).toMatchObject({ protocol: 'webarena', terminateReason: 'stop', environmentEndpoint: client.endpoint, modelTurns: 3 });
    expect(result.scoreDetail?.['reason']).toBe('the model stopped with the answer "$58.20"; the environment\'s reward is 1');
    // Each turn is the prompt Lemur was run with: the intro, two examples, then the page the server returned.
    expect(model.seen[0]![0]).toEqual({ role: 'system', content: WEBARENA_INTRO });
    expect(model.seen[0]!.at(-1)!.content).toBe(
      "OBSERVATION:\n[1] RootWebArea 'Tiny Shop' focused: True\n\t[11] link 'Orders'\n\t[12] link 'Products'\n\t[13] StaticText 'Welcome to Tiny Shop'\nURL: http://tiny.shop/\nOBJECTIVE: What is the total of order #1042?\nPREVIOUS ACTION: None",
    );
    expect(model.seen[1]!.at(-1)!.content).toMatch(/^OBSERVATION:\n\[2\] RootWebArea 'Orders'[\s\S]*\nURL: http:\/\/tiny\.shop\/orders\n[\s\S]*\nPREVIOUS ACTION: click \[11\] where \[11\] is link 'Orders'$/);
    expect(model.seen[2]!.at(-1)!.content).toMatch(/StaticText 'Total: \$58\.20'[\s\S]*PREVIOUS ACTION: type \[21\] \[1042 \] where \[21\] is textbox 'Order number' required: False$/);
    // The stored transcript: each command sent and what the server answered, then the verdict.
    const events = result.transcript as unknown as EpisodeEvent[];
    expect(steps(events).map((s) => [s.action, 'reward' in s ? s.reward : null, 'done' in s ? s.done : null])).toEqual([
      ['click [11]', 0, false],
      ['type [21] [1042] [1]', 0, false],
      ['stop [$58.20]', 1, true],
    ]);
    expect(steps(events)[1]).toMatchObject({ info: { url: 'http://tiny.shop/orders/1042' } });
    expect(events.map((e) => e.role)).toEqual(['environment', 'model', 'action', 'environment', 'model', 'action', 'environment', 'model', 'action', 'verdict']);
    expect(server.openSessions).toBe(0);
  });

  it('scores 0 when the model stops with a wrong answer; a must_include task takes any answer containing the reference', async () => {
    const wrong = await play(new ScriptedModel([say('click(11)'), say("type(21, '1042', 1)"), say("stop('$12.00')")]));
    expect(wrong).toMatchObject({ status: 'SCORED', score: 0, passed: false });
    expect(wrong.scoreDetail).toMatchObject({ terminateReason: 'stop', reason: 'the model stopped with the answer "$12.00"; the environment\'s reward is 0' });
    const status = await play(new ScriptedModel([say('click(11)'), say("type(21, '#1042', True)"), say("stop('The order has Shipped.')")]), 'tiny-web/order-status');
    expect(status).toMatchObject({ score: 1, passed: true });
  });

  it('stops an unparseable model after three answers, sending none for each and upstream\'s early stop as the answer', async () => {
    const model = new ScriptedModel(['I will click on Orders.', 'click [11]', 'In summary, the next action I will perform is click 11']);
    const result = await play(model);
    expect(model.seen).toHaveLength(3);
    expect(result).toMatchObject({ status: 'SCORED', score: 0, passed: false });
    expect(result.scoreDetail).toMatchObject({ terminateReason: 'parsing_failure', modelTurns: 3 });
    expect(steps(result.transcript).map((s) => s.action)).toEqual(['none', 'none', 'none', 'stop [Early stop: Failed to parse actions for 3 times]']);
    // The page did not change, and the next turn quotes the bad answer back with the format hint.
    expect(model.seen[1]!.at(-1)!.content).toMatch(/URL: http:\/\/tiny\.shop\/\n[\s\S]*PREVIOUS ACTION: The previous prediction you issued was "I will click on Orders\."\. However, the format was incorrect\./);
  });

  it('goes on from an action the server refuses as malformed, with the page as it was', async () => {
    const tooLong = `type(21, '${'9'.repeat(5000)}', 1)`;
    const model = new ScriptedModel([say('click(11)'), say(tooLong), ...RIGHT.slice(1)]);
    const result = await play(model);
    expect(result).toMatchObject({ score: 1, passed: true });
    const refused = steps(result.transcript)[1]!;
    expect(refused).toMatchObject({ error: expect.stringMatching(/at most 4096/) as unknown });
    expect(model.seen[2]!.at(-1)!.content).toMatch(/^OBSERVATION:\n\[2\] RootWebArea 'Orders'[\s\S]*URL: http:\/\/tiny\.shop\/orders\n/);
  });

  it('needs a configured environment server, and reports an unknown task as a dataset problem, not a wrong answer', async () => {
    await expect(runner(new ScriptedModel([...RIGHT]), null).run(run, benchmark, tinyWebItem('tiny-web/order-total'), new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/LEMUR_ENVIRONMENT_URL/),
    });
    await expect(play(new ScriptedModel([...RIGHT]), 'tiny-web/nope')).rejects.toMatchObject({ code: PlatformErrorCode.DATASET_UNAVAILABLE, message: expect.stringMatching(/TASK_NOT_FOUND/) });
  });
});
