import { ALFWORLD_ENVIRONMENT_TOOLS, alfworldBenchmark, EnvironmentErrorCode, parseRelayCellOutput, relayBeginCell, relayResumeCell, renderEnvironmentRelaySetup, type Benchmark, type ChatMessage, type CodeExecutor } from '@lemur/benchmarks';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyHouseholdBackend } from '../src/environment/environment-backends';
import { HttpEnvironmentClient } from '../src/environment/environment-client';
import { EnvironmentServer, type EnvironmentBackend } from '../src/environment/environment-server';
import type { RunRecord } from '../src/runs/run.types';
import { OfflineStubToolProvider } from '../src/worker/agent-tool-provider';
import { EpisodeRunner, type EpisodeEvent } from '../src/worker/episode-runner';
import type { InferenceClient } from '../src/worker/sample-processor';
import { PythonRunnerSessions } from './python-runner-sessions';

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

const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('not used')) };
const run = {
  id: 'r',
  modelName: 'scripted',
  teamName: 't',
  spec: { sampling: { maxTokens: 512, temperature: 0, topP: 1, stop: [] } } as unknown as RunRecord['spec'],
  config: {},
};
const benchmark: Benchmark = alfworldBenchmark;
const item = (task: string) => ({ id: `mint-alfworld/${task}`, gamefile: task, taskType: 'cool' as const });

// The agent searches with a loop whose path depends on what the game answers, as published Lemur code does.
const SEARCH = `<thought> Find the lettuce. </thought>
<execute>
for loc in ["countertop 1", "cabinet 1", "fridge 1"]:
    res = goto(loc)
    if "closed" in res:
        res = open_receptacle(loc)
    print(res)
    if "lettuce" in res:
        print(f"Found a lettuce in {loc}.")
        break
</execute>`;
const COOL = `<execute>
print(take_from("lettuce 1", "fridge 1"))
print(cool("lettuce 1", "fridge 1"))
print(goto("diningtable 1"))
print(put("lettuce 1", "diningtable 1"))
print("after the win the cell still runs")
</execute>`;

describe('environment server protocol over HTTP', () => {
  let server: EnvironmentServer;
  let client: HttpEnvironmentClient;

  beforeAll(async () => {
    server = new EnvironmentServer(tinyHouseholdBackend(), { maxSessions: 3 });
    client = new HttpEnvironmentClient(await server.listen());
  });
  afterAll(async () => server?.close());

  it('resets, steps and closes a session; reports health', async () => {
    const health = await fetch(`${client.endpoint}/health`).then((r) => r.json());
    expect(health).toEqual({ status: 'ok', environment: 'tiny-household', tasks: 3 });
    const reset = await client.reset('tiny/put-apple');
    expect(reset.observation).toMatch(/^You are in the middle of a room\..*\nYour task is to: put some apple in cabinet\.$/);
    expect(await client.step(reset.session, 'go to cabinet 1')).toEqual({ observation: 'The cabinet 1 is closed.', reward: 0, done: false, info: { won: false } });
    await client.close(reset.session);
    await expect(client.step(reset.session, 'look')).rejects.toMatchObject({ code: EnvironmentErrorCode.SESSION_NOT_FOUND, message: expect.stringMatching(/POST \/reset/) });
    // Closing twice is fine for the client (the server answers 404, which closing wanted).
    await client.close(reset.session);
  });

  it('answers bad requests with precise codes and HTTP statuses', async () => {
    const post = (path: string, body: string) => fetch(`${client.endpoint}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const notJson = await post('/reset', '{');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'the request body is not JSON' } });
    expect((await post('/reset', '{"task_id": "tiny/nope"}')).status).toBe(404);
    await expect(client.reset('tiny/nope')).rejects.toMatchObject({ code: EnvironmentErrorCode.TASK_NOT_FOUND, message: expect.stringMatching(/tiny\/put-apple/) });
    const route = await fetch(`${client.endpoint}/games`);
    expect(route.status).toBe(400);
    expect(((await route.json()) as { error: { message: string } }).error.message).toMatch(/POST \/reset, POST \/step/);
    expect((await post('/step', JSON.stringify({ session: 'x', action: 'a'.repeat(5000) }))).status).toBe(400);
  });

  it('limits open sessions (429 TOO_MANY_SESSIONS)', async () => {
    const open = await Promise.all([1, 2, 3].map(() => client.reset('tiny/put-apple')));
    await expect(client.reset('tiny/put-apple')).rejects.toMatchObject({ code: EnvironmentErrorCode.TOO_MANY_SESSIONS });
    await Promise.all(open.map((o) => client.close(o.session)));
    expect(server.openSessions).toBe(0);
  });

  it('times out a slow step on the server (504) and a silent server on the client', async () => {
    const slow: EnvironmentBackend = { name: 'slow', tasks: 1, reset: () => ({ observation: 'o', game: { step: () => new Promise(() => undefined) } }) };
    const slowServer = new EnvironmentServer(slow, { stepTimeoutMs: 100 });
    const slowClient = new HttpEnvironmentClient(await slowServer.listen(), { stepTimeoutMs: 5_000 });
    const { session } = await slowClient.reset('any');
    await expect(slowClient.step(session, 'look')).rejects.toMatchObject({ code: EnvironmentErrorCode.STEP_TIMEOUT, message: expect.stringMatching(/longer than 100 ms/) });
    const slowerServer = new EnvironmentServer(slow, { stepTimeoutMs: 10_000 });
    const slowerClient = new HttpEnvironmentClient(await slowerServer.listen(), { stepTimeoutMs: 100 });
    const s2 = await slowerClient.reset('any');
    await expect(slowerClient.step(s2.session, 'look')).rejects.toMatchObject({ code: EnvironmentErrorCode.UNAVAILABLE, message: expect.stringMatching(/no answer within 100 ms/) });
    await slowServer.close();
    await slowerServer.close();
    await expect(new HttpEnvironmentClient('http://127.0.0.1:1').reset('x')).rejects.toMatchObject({ code: EnvironmentErrorCode.UNAVAILABLE, message: expect.stringMatching(/check that it is running/) });
    expect(() => new HttpEnvironmentClient('ftp://x')).toThrow(/must be http/);
  });
});

describe('MINT ALFWorld episodes against the live tiny household', () => {
  let server: EnvironmentServer;
  let client: HttpEnvironmentClient;
  const sessions = new PythonRunnerSessions();

  beforeAll(async () => {
    server = new EnvironmentServer(tinyHouseholdBackend());
    client = new HttpEnvironmentClient(await server.listen());
  });
  afterAll(async () => server?.close());

  const runner = (model: InferenceClient, environment: HttpEnvironmentClient | null = client) =>
    new EpisodeRunner(model, () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 5_000, ...(environment ? { environment } : {}) });

  it('wins when a tool call wins the game: the code branches on live observations and the episode ends after that cell', async () => {
    const model = new ScriptedModel([SEARCH, COOL]);
    const result = await runner(model).run(run, benchmark, item('tiny/cool-lettuce'), new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, passed: true });
    expect(result.scoreDetail).toMatchObject({ terminateReason: 'task_success', environmentEndpoint: client.endpoint, protocol: 'mint' });
    // The first prompt is MINT's, with the environment's own first observation as the task.
    expect(model.seen[0]![0]!.content).toContain('Task:\nInteract with a household to solve a task. \nYou are in the middle of a room.');
    expect(model.seen[1]!.at(-1)!.content).toBe(
      [
        'Observation:',
        'On the countertop 1, you see a apple 1, and a mug 1.',
        'You open the cabinet 1. The cabinet 1 is open. In it, you see nothing.',
        'You open the fridge 1. The fridge 1 is open. In it, you see a lettuce 1.',
        'Found a lettuce in fridge 1.',
        'You have 4 steps left and 2 chances to propose solution left.',
        '',
      ].join('\n'),
    );
    const cells = (result.transcript as unknown as EpisodeEvent[]).filter((e): e is Extract<EpisodeEvent, { kind: 'execute' }> => e.role === 'action' && e.kind === 'execute');
    expect(cells.map((c) => c.environment)).toEqual([
      { steps: 5, done: false, won: false, reward: 0 },
      { steps: 4, done: true, won: true, reward: 1 },
    ]);
    expect(cells[1]!.observation).toMatch(/You put the lettuce 1 in\/on the diningtable 1\.\nafter the win the cell still runs/);
    expect(server.openSessions).toBe(0);
    expect(sessions.open).toBe(0);
  });

  it('does not win on a claim: "done" without the game being won is a wrong answer; errors in the code are shown as in MINT', async () => {
    const model = new ScriptedModel(['<execute> print(goto("fridge 1"))\nput("lettuce 1") </execute>', '<solution> done </solution>', '<solution> done </solution>']);
    const result = await runner(model).run(run, benchmark, item('tiny/cool-lettuce'), new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 0, passed: false });
    expect(result.scoreDetail).toMatchObject({ terminateReason: 'max_propose_steps' });
    const observation = model.seen[1]!.at(-1)!.content;
    expect(observation).toMatch(/^Observation:\nThe fridge 1 is closed\.\nTraceback \(most recent call last\):\n/);
    expect(observation).toContain("TypeError: put() missing 1 required positional argument: 'receptacle'");
    expect(model.seen[2]!.at(-1)!.content).toBe('Observation:\nYour answer is wrong.\nYou have 3 steps left and 1 chances to propose solution left.\n');
  });

  it('keeps Python state between cells and cuts off a runaway loop of commands', async () => {
    const model = new ScriptedModel([
      '<execute> seen = goto("desk 1") </execute>',
      '<execute> print(seen)\nwhile True:\n    look() </execute>',
      '<solution> done </solution>',
      '<solution> done </solution>',
    ]);
    const result = await runner(model).run(run, benchmark, item('tiny/examine-mug'), new AbortController().signal);
    expect(model.seen[1]!.at(-1)!.content).toMatch(/^Observation:\n\[Executed Successfully with No Output\]\n/);
    expect(model.seen[2]!.at(-1)!.content).toMatch(/^Observation:\nOn the desk 1, you see a desklamp 1\.\nTraceback[\s\S]*RuntimeError: too many environment actions in one cell \(at most 500\)/);
    const cells = (result.transcript as unknown as EpisodeEvent[]).filter((e): e is Extract<EpisodeEvent, { kind: 'execute' }> => e.role === 'action' && e.kind === 'execute');
    expect(cells[1]!.environment?.steps).toBe(500);
  }, 60_000);

  it('needs a configured environment server, and an unreachable one errors the sample instead of scoring it 0', async () => {
    await expect(runner(new ScriptedModel([SEARCH]), null).run(run, benchmark, item('tiny/cool-lettuce'), new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/LEMUR_ENVIRONMENT_URL/),
    });
    const down = new HttpEnvironmentClient('http://127.0.0.1:1');
    await expect(runner(new ScriptedModel([SEARCH]), down).run(run, benchmark, item('tiny/cool-lettuce'), new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.UPSTREAM_FAILED,
    });
    await expect(runner(new ScriptedModel([SEARCH])).run(run, benchmark, item('tiny/nope'), new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.DATASET_UNAVAILABLE,
      message: expect.stringMatching(/TASK_NOT_FOUND/),
    });
  });
});

describe('the relay in a Python session', () => {
  it('stops a cell that never calls the environment at its time limit, and the session runs the next action', async () => {
    const sessions = new PythonRunnerSessions();
    const nonce = 'n0nce0n0nce0n0nce0n0nce0';
    const id = await sessions.create();
    expect((await sessions.runCell(id, renderEnvironmentRelaySetup(ALFWORLD_ENVIRONMENT_TOOLS, nonce), { wallMs: 5_000 })).result.exitCode).toBe(0);
    const hung = await sessions.runCell(id, relayBeginCell('print("before")\nwhile True:\n    pass'), { wallMs: 500 });
    expect(hung.result).toMatchObject({ timedOut: true, stdout: 'before\n' });
    // Only the agent's own traceback, as for a timed-out cell without the relay.
    expect(hung.result.stderr).toMatch(/^Traceback \(most recent call last\):\n {2}File "<cell-1>", line 2, in <module>\n[\s\S]*KeyboardInterrupt\n$/);
    expect(hung.result.stderr).not.toContain('_lemur_env');
    const next = await sessions.runCell(id, relayBeginCell('print(look())'), { wallMs: 5_000 });
    expect(parseRelayCellOutput(next.result.stdout, nonce)).toEqual({ kind: 'step', action: 'look' });
    const done = await sessions.runCell(id, relayResumeCell({ observation: 'You are facing the desk 1.' }), { wallMs: 5_000 });
    expect(done.result).toMatchObject({ exitCode: 0, stdout: 'You are facing the desk 1.\n', stderr: '' });
    // A command the server refused is raised in the agent's code.
    await sessions.runCell(id, relayBeginCell('look()'), { wallMs: 5_000 });
    const refused = await sessions.runCell(id, relayResumeCell({ error: 'action is too long' }), { wallMs: 5_000 });
    expect(refused.result.stderr).toMatch(/RuntimeError: action is too long\n$/);
    await sessions.close(id);
  });
});
