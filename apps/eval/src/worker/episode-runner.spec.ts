import {
  getBenchmark,
  type AgentProtocol,
  type Benchmark,
  type ChatMessage,
  type CodeExecutor,
  type IntercodeBashItem,
  intercodeBashSetupScript,
  type IntercodeSqlItem,
  MINT_CELL_TIMEOUT_MS,
  type MintItem,
} from '@lemur/benchmarks';
import { DEFAULT_SANDBOX_POLICY, resolveSandboxLimits, type SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import { describe, expect, it } from 'vitest';
import type { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import type { RunRecord, SampleRecord } from '../runs/run.types';
import type { CellResult, SandboxSessions } from '../sandbox/sandbox-session-client';
import { OFFLINE_TOOL_TEXT, OfflineStubToolProvider } from './agent-tool-provider';
import { EpisodeRunner, type EpisodeEvent } from './episode-runner';
import { SampleProcessor, type InferenceClient } from './sample-processor';

const benchmark = getBenchmark('mint-gsm8k');
const item: MintItem = { id: 'mint-gsm8k/0', upstreamId: 0, prompt: 'What is 2 + 2?', taskPrompt: 'What is 2 + 2?', task: 'gsm8k', reference: '4' };

const run = (feedbackModel?: string) => ({
  id: 'r1',
  modelName: 'agent',
  teamName: 'team-one',
  spec: { sampling: { maxTokens: 512, temperature: 0, topP: 1, stop: benchmark.sampling.stop } } as RunRecord['spec'],
  config: feedbackModel ? { feedbackModel } : {},
});

type Reply = string | Error;

/** A model that answers each call from a script, recording what it was sent. */
class ScriptedInference implements InferenceClient {
  readonly calls: { model: string; messages: ChatMessage[]; stop: string[] }[] = [];
  constructor(private readonly replies: Record<string, Reply[]>) {}

  generate: InferenceClient['generate'] = async (req) => {
    const messages = (req.messages ?? []) as ChatMessage[];
    this.calls.push({ model: req.model ?? '', messages, stop: [...(req.sampling?.stop ?? [])] });
    const reply = this.replies[req.model ?? '']?.shift();
    if (reply === undefined) throw new Error(`no scripted reply left for ${req.model}`);
    if (reply instanceof Error) throw reply;
    return {
      choices: [{ text: reply, finishReason: 'stop' }],
      endpoint: 'http://sim',
      attempts: 1,
      latencyMs: 7,
      upstreamMs: 5,
      usage: { promptTokens: 100, completionTokens: 10 },
    } as unknown as Awaited<ReturnType<InferenceClient['generate']>>;
  };
}

/**
 * An in-process session store: runs "print(N)" cells, fails or ends sessions on request. As the sandbox does, it drops a
 * session it ended (or lost) and answers SESSION_NOT_FOUND to anything asked of it afterwards, closing included.
 */
class FakeSessions implements SandboxSessions {
  readonly created: string[] = [];
  readonly languages: string[] = [];
  /** Each session's limits as the sandbox service resolves them under its default policy (which refuses any above its maxima). */
  readonly limits: SandboxLimits[] = [];
  readonly closed: string[] = [];
  readonly cells: { id: string; code: string }[] = [];
  /** Sessions the sandbox ended on its own. */
  readonly gone = new Set<string>();
  open = 0;
  maxOpen = 0;
  constructor(
    private readonly behaviour: { failCell?: number; endSessionAtCell?: number; vanishAtCell?: number; expireAfterCell?: number; fullTimes?: number } = {},
  ) {}

  async create(opts: { cellWallMs: number; cellCpuMs?: number; language?: string }): Promise<string> {
    this.languages.push(opts.language ?? 'python');
    this.limits.push(resolveSandboxLimits({ wallMs: opts.cellWallMs, cpuMs: opts.cellCpuMs }, DEFAULT_SANDBOX_POLICY));
    if ((this.behaviour.fullTimes ?? 0) > 0) {
      this.behaviour.fullTimes! -= 1;
      throw new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'team already has 16 open sessions');
    }
    const id = `s${this.created.length + 1}`;
    this.created.push(id);
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return id;
  }

  async runCell(id: string, code: string): Promise<CellResult> {
    await new Promise((r) => setTimeout(r, 1));
    if (this.gone.has(id)) throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, 'session ended');
    this.cells.push({ id, code });
    const n = this.cells.length;
    if (n === this.behaviour.failCell) throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'sandbox went away');
    if (n === this.behaviour.vanishAtCell) {
      this.end(id);
      throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, 'session not found');
    }
    const ended = n === this.behaviour.endSessionAtCell;
    // The idle timer (or an end the answer did not carry) takes the session after this cell, unannounced.
    if (ended || n === this.behaviour.expireAfterCell) this.end(id);
    const printed = /print\((.*)\)/.exec(code)?.[1];
    const result = { exitCode: 0, stdout: printed ? `${printed}\n` : '', stderr: '', timedOut: ended, memoryExceeded: false, outputTruncated: false, wallMs: 1 };
    return { result, sessionEnded: ended };
  }

  async close(id: string): Promise<void> {
    if (this.gone.has(id)) throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, 'session not found (closed, expired, or never opened for this team)');
    this.closed.push(id);
    this.open -= 1;
  }

  private end(id: string): void {
    this.gone.add(id);
    this.open -= 1;
  }
}

const noExecutor: CodeExecutor = {
  execute: () => Promise.reject(new Error('reasoning tasks are judged without the sandbox')),
};

function runner(inference: InferenceClient, sessions: SandboxSessions): EpisodeRunner {
  return new EpisodeRunner(inference, () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000 });
}

const EXECUTE = '<thought> compute </thought>\n<execute> print(2 + 2) </execute>';
const RIGHT = 'The answer is <solution> 4 </solution>';
const WRONG = 'The answer is <solution> 5 </solution>';

describe('EpisodeRunner', () => {
  it('runs code in one session with the tools defined, judges the proposal, stores every turn and closes the session', async () => {
    const inference = new ScriptedInference({ agent: [EXECUTE, RIGHT] });
    const sessions = new FakeSessions();
    const result = await runner(inference, sessions).run(run(), benchmark, item, new AbortController().signal);

    expect(result).toMatchObject({ status: 'SCORED', score: 1, passed: true, promptTokens: 200, completionTokens: 20, error: null });
    expect(result.scoreDetail).toMatchObject({ terminateReason: 'task_success', toolProvider: 'offline-stub', scoringRules: 'published', protocol: 'mint', modelTurns: 2 });
    expect(sessions.created).toEqual(['s1']);
    expect(sessions.closed).toEqual(['s1']);
    expect(sessions.cells[0]!.code).toContain('def wikipedia_search(query: str) -> str:');
    expect(sessions.cells[0]!.code).toContain(OFFLINE_TOOL_TEXT);
    expect(sessions.cells[1]!.code).toBe('print(2 + 2)');
    // MINT's stop words apply, and the second turn sees the observation of the first.
    expect(inference.calls[0]!.stop).toContain('\nObservation:');
    expect(inference.calls[1]!.messages.at(-1)!.content).toMatch(/^Observation:\n2 \+ 2\nYou have 4 steps left/);
    const events = result.transcript as unknown as EpisodeEvent[];
    expect(events.map((e) => (e.role === 'action' ? e.kind : e.role))).toEqual(['model', 'execute', 'environment', 'model', 'propose', 'verdict']);
    expect(events[0]).toMatchObject({ role: 'model', content: EXECUTE, promptTokens: 100, completionTokens: 10, latencyMs: 7 });
    expect(result.prompt).toContain('Task:\nWhat is 2 + 2?');
  });

  it("opens a MINT episode's session with MINT's 30 s per cell for CPU as for wall time, within the sandbox's maxima", async () => {
    const sessions = new FakeSessions();
    await runner(new ScriptedInference({ agent: [EXECUTE, RIGHT] }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(MINT_CELL_TIMEOUT_MS).toBe(30_000);
    expect(sessions.limits).toHaveLength(1);
    expect(sessions.limits[0]).toMatchObject({ wallMs: MINT_CELL_TIMEOUT_MS, cpuMs: MINT_CELL_TIMEOUT_MS });
  });

  it("takes out of each turn's overhead the replica's own time (upstreamMs), not the inference service's whole latency", async () => {
    const result = await runner(new ScriptedInference({ agent: [EXECUTE, RIGHT] }), new FakeSessions()).run(run(), benchmark, item, new AbortController().signal);
    const turns = result.scoreDetail?.['turnTimings'] as { excludedMs: number; wallMs: number; overheadMs: number }[];
    expect(turns).toHaveLength(2);
    // Turn 1: the model (5 ms upstream of its 7 ms latency) and one cell; turn 2: the model, then a judge that runs no code.
    expect(turns.map((turn) => turn.excludedMs)).toEqual([5 + 1, 5]);
    for (const turn of turns) expect(turn.overheadMs).toBeCloseTo(Math.max(0, turn.wallMs - turn.excludedMs), 2);
  });

  it('ends on the proposal budget with score 0 and says why', async () => {
    const sessions = new FakeSessions();
    const result = await runner(new ScriptedInference({ agent: [WRONG, WRONG] }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 0, passed: false });
    expect(result.scoreDetail?.['terminateReason']).toBe('max_propose_steps');
    expect(result.scoreDetail?.['reason']).toMatch(/max_propose_steps; last proposal: not accepted/);
    expect(sessions.closed).toEqual(['s1']);
  });

  it('ends on the step budget after five cells', async () => {
    const sessions = new FakeSessions();
    const result = await runner(new ScriptedInference({ agent: Array(5).fill(EXECUTE) }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(result.scoreDetail).toMatchObject({ terminateReason: 'max_steps', reason: 'max_steps; no solution proposed' });
    expect(sessions.cells).toHaveLength(1 + 5);
  });

  it('a model endpoint failure is thrown (the sample errors, never a silent 0) and the session is still closed', async () => {
    const sessions = new FakeSessions();
    const inference = new ScriptedInference({ agent: [EXECUTE, new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'replica down')] });
    await expect(runner(inference, sessions).run(run(), benchmark, item, new AbortController().signal)).rejects.toMatchObject({ code: PlatformErrorCode.UPSTREAM_FAILED });
    expect(sessions.closed).toEqual(['s1']);
  });

  it('a sandbox failure is thrown and the session is still closed', async () => {
    const sessions = new FakeSessions({ failCell: 2 });
    await expect(runner(new ScriptedInference({ agent: [EXECUTE] }), sessions).run(run(), benchmark, item, new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.SANDBOX_UNAVAILABLE,
    });
    expect(sessions.closed).toEqual(['s1']);
  });

  it('a cancelled sample stops between steps and closes its session', async () => {
    const sessions = new FakeSessions();
    const abort = new AbortController();
    const inference = new ScriptedInference({ agent: [EXECUTE, RIGHT] });
    const original = inference.generate;
    inference.generate = async (req, opts) => {
      const response = await original(req, opts);
      abort.abort();
      return response;
    };
    await expect(runner(inference, sessions).run(run(), benchmark, item, abort.signal)).rejects.toMatchObject({ code: PlatformErrorCode.CANCELLED });
    expect(sessions.closed).toEqual(['s1']);
  });

  it("a context-length rejection ends the episode as MINT does (failed, 'error'), not as a platform failure", async () => {
    const tooLong = new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens.");
    const result = await runner(new ScriptedInference({ agent: [EXECUTE, tooLong] }), new FakeSessions()).run(run(), benchmark, item, new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 0 });
    expect(result.scoreDetail?.['terminateReason']).toBe('error');
  });

  it('restarts the interpreter (tools again) when a cell ended the session, closing only the one still open', async () => {
    const sessions = new FakeSessions({ endSessionAtCell: 2 });
    const result = await runner(new ScriptedInference({ agent: [EXECUTE, EXECUTE, RIGHT] }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(result.score).toBe(1);
    expect(sessions.created).toEqual(['s1', 's2']);
    // The sandbox ended s1 itself: closing it again would only be answered SESSION_NOT_FOUND.
    expect(sessions.closed).toEqual(['s2']);
    expect(sessions.open).toBe(0);
    const cells = (result.transcript as unknown as EpisodeEvent[]).filter((e) => e.role === 'action' && e.kind === 'execute');
    expect(cells.map((c) => c.role === 'action' && c.kind === 'execute' && c.sessionRestarted)).toEqual([false, true]);
    expect(cells[0]).toMatchObject({ timedOut: true, observation: expect.stringContaining('TimeoutError') });
  });

  it("scores an episode whose last cell ended the session, without closing what the sandbox already ended", async () => {
    const sessions = new FakeSessions({ endSessionAtCell: 2 });
    const result = await runner(new ScriptedInference({ agent: [EXECUTE, RIGHT] }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, error: null });
    expect(sessions.created).toEqual(['s1']);
    expect(sessions.closed).toEqual([]);
    expect(sessions.open).toBe(0);
  });

  it('takes SESSION_NOT_FOUND on close as already closed (logged at debug), never as a sample error', async () => {
    const sessions = new FakeSessions({ expireAfterCell: 2 });
    const debug: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      child: () => logger,
      debug: (fields: Record<string, unknown>, message: string) => debug.push({ fields, message }),
    } as unknown as Logger;
    const inference = new ScriptedInference({ agent: [EXECUTE, RIGHT] });
    const r = new EpisodeRunner(inference, () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000, logger });
    const result = await r.run(run(), benchmark, item, new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, error: null });
    expect(sessions.closed).toEqual([]);
    expect(debug).toEqual([{ fields: { sessionId: 's1' }, message: expect.stringMatching(/already ended/) }]);
  });

  it('still fails the sample when closing a finished episode\'s session fails for any other reason', async () => {
    const sessions = new FakeSessions();
    sessions.close = () => Promise.reject(new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'sandbox went away'));
    await expect(runner(new ScriptedInference({ agent: [RIGHT] }), sessions).run(run(), benchmark, item, new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.SANDBOX_UNAVAILABLE,
    });
  });

  it('runs a cell again in a fresh interpreter when the session vanished after the previous cell', async () => {
    const sessions = new FakeSessions({ vanishAtCell: 3 });
    const result = await runner(new ScriptedInference({ agent: [EXECUTE, EXECUTE, RIGHT] }), sessions).run(run(), benchmark, item, new AbortController().signal);
    expect(result.score).toBe(1);
    expect(sessions.created).toEqual(['s1', 's2']);
    expect(sessions.cells.map((c) => c.id)).toEqual(['s1', 's1', 's1', 's2', 's2']);
    expect(sessions.closed).toEqual(['s2']);
  });

  it('keeps at most maxOpenSessions episodes in the sandbox at once and waits out a full team cap', async () => {
    const sessions = new FakeSessions({ fullTimes: 1 });
    // Each episode runs one cell, then answers: the reply depends on the conversation, not on the call order.
    const inference = new ScriptedInference({});
    inference.generate = async (req) => {
      const text = (req.messages ?? []).length === 1 ? EXECUTE : RIGHT;
      return { choices: [{ text, finishReason: 'stop' }], endpoint: 'e', attempts: 1, latencyMs: 1 } as unknown as Awaited<ReturnType<InferenceClient['generate']>>;
    };
    const limited = new EpisodeRunner(inference, () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000, maxOpenSessions: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => limited.run(run(), benchmark, item, new AbortController().signal)));
    expect(results.every((r) => r.score === 1)).toBe(true);
    expect(sessions.maxOpen).toBeGreaterThan(1);
    expect(sessions.maxOpen).toBeLessThanOrEqual(3);
    expect(sessions.closed).toHaveLength(10);
  });

  it('keeps each team to maxOpenSessions on its own: a team at its limit does not hold back another team\'s episode', async () => {
    const sessionsOf = new Map<string, FakeSessions>();
    const sessionsFor = (team: string): FakeSessions => {
      if (!sessionsOf.has(team)) sessionsOf.set(team, new FakeSessions());
      return sessionsOf.get(team)!;
    };
    let unblock: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (unblock = r));
    const inference = new ScriptedInference({});
    const teams: string[] = [];
    inference.generate = async (req) => {
      teams.push(req.team ?? '');
      if (req.team === 'busy') await blocked;
      return { choices: [{ text: RIGHT, finishReason: 'stop' }], endpoint: 'e', attempts: 1, latencyMs: 1 } as unknown as Awaited<ReturnType<InferenceClient['generate']>>;
    };
    const limited = new EpisodeRunner(inference, sessionsFor, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000, maxOpenSessions: 1 });
    const signal = new AbortController().signal;
    const busy = limited.run({ ...run(), teamName: 'busy' }, benchmark, item, signal);
    const other = limited.run({ ...run(), teamName: 'other' }, benchmark, item, signal);
    const first = await Promise.race([other, new Promise((r) => setTimeout(() => r('still waiting for a slot'), 2_000))]);
    expect(first).toMatchObject({ status: 'SCORED', score: 1 });
    unblock();
    expect(await busy).toMatchObject({ status: 'SCORED', score: 1 });
    // Each team's session and model calls were its own.
    expect([...sessionsOf.keys()].sort()).toEqual(['busy', 'other']);
    expect(sessionsOf.get('other')!.closed).toEqual(['s1']);
    expect(teams).toEqual(['busy', 'other']);
  });

  it('asks the feedback model each turn and shows its text as expert feedback', async () => {
    const inference = new ScriptedInference({ agent: [WRONG, RIGHT], critic: ['Check your arithmetic.'] });
    const result = await runner(inference, new FakeSessions()).run(run('critic'), benchmark, item, new AbortController().signal);
    expect(result.score).toBe(1);
    const critic = inference.calls.find((c) => c.model === 'critic')!;
    expect(critic.messages[0]!.content).toContain('Correct solution (please DO NOT disclose the correct solution to the assistant): NOT GIVEN');
    expect(critic.stop).toEqual(['\nObservation:', '\nTask:', '\nAssistant:']);
    expect(inference.calls[2]!.messages.at(-1)!.content).toContain('\nExpert feedback:\nCheck your arithmetic.\n');
    expect(result.scoreDetail?.['feedbackModel']).toBe('critic');
    expect((result.transcript as unknown as EpisodeEvent[]).some((e) => e.role === 'feedback')).toBe(true);
  });
});

describe('SampleProcessor with an agent benchmark', () => {
  const catalog = { load: async () => ({ benchmark, ref: 'mint-gsm8k@1.0.0', loaded: { items: [item] } }) } as unknown as BenchmarkCatalog;
  const record = { ...run(), benchmark: 'mint-gsm8k', benchmarkVersion: '1.0.0', config: { chat: false } } as unknown as RunRecord;
  const sample = { id: 's', runId: 'r1', itemId: item.id, itemIndex: 0, sampleIndex: 0, status: 'PENDING', attempts: 0 } as SampleRecord;

  it('stores a failed episode as ERRORED with a null score once its attempts are used up', async () => {
    const inference = new ScriptedInference({ agent: [new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'replica down')] });
    const sessions = new FakeSessions();
    const processor = new SampleProcessor(catalog, inference, () => noExecutor, { sampleTimeoutMs: 1000, maxAttempts: 1 }, runner(inference, sessions));
    const outcome = await processor.process(record, sample, 1, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'result', result: { status: 'ERRORED', score: null, passed: null, error: expect.stringContaining('UPSTREAM_FAILED') } });
    expect(sessions.closed).toEqual(['s1']);
  });

  it('errors the sample of a run loaded without its team\'s name, calling neither the model nor the sandbox', async () => {
    const inference = new ScriptedInference({ agent: [RIGHT] });
    const sessions = new FakeSessions();
    const processor = new SampleProcessor(catalog, inference, () => noExecutor, { sampleTimeoutMs: 1000, maxAttempts: 3 }, runner(inference, sessions));
    const { teamName: _teamName, ...withoutTeam } = record;
    const outcome = await processor.process(withoutTeam, sample, 1, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'result', result: { status: 'ERRORED', score: null, error: expect.stringMatching(/^INTERNAL: run r1 was loaded without its team's name/) } });
    expect(inference.calls).toEqual([]);
    expect(sessions.created).toEqual([]);
  });

  it('scores a successful episode', async () => {
    const inference = new ScriptedInference({ agent: [RIGHT] });
    const processor = new SampleProcessor(catalog, inference, () => noExecutor, { sampleTimeoutMs: 1000, maxAttempts: 1 }, runner(inference, new FakeSessions()));
    const outcome = await processor.process(record, sample, 1, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'result', result: { status: 'SCORED', score: 1 } });
  });
});

describe('EpisodeRunner with InterCode environments', () => {
  const sqlItem: IntercodeSqlItem = { id: 'spider-dev-0', index: 0, db: 'shop', query: 'How many items?', gold: 'SELECT count(*) FROM item', hardness: 'easy', tables: { item: ['id'] } };
  const rowsOf: Record<string, unknown[][]> = { 'SHOW TABLES': [['item']], 'SELECT count(*) FROM item': [[3]] };
  const sqlExecutor: CodeExecutor = {
    execute: async (req) => ({
      exitCode: 0,
      stdout: `${JSON.stringify({ columns: ['c'], rows: rowsOf[req.code] ?? [], truncated: false })}\n`,
      stderr: '',
      timedOut: false,
      memoryExceeded: false,
      outputTruncated: false,
      wallMs: 1,
    }),
  };

  it('runs a SQL episode without any session: each action is judged at once, with its rows and reward shown', async () => {
    const sessions = new FakeSessions();
    const inference = new ScriptedInference({ agent: ['```sql\nSHOW TABLES\n```', 'SELECT count(*) FROM item'] });
    const r = new EpisodeRunner(inference, () => sessions, () => sqlExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000 });
    const result = await r.run(run(), getBenchmark('intercode-sql'), sqlItem, new AbortController().signal);
    expect(sessions.created).toEqual([]);
    expect(result).toMatchObject({ status: 'SCORED', score: 1, scoreDetail: { terminateReason: 'reward_1', protocol: 'intercode', modelTurns: 2 } });
    const events = result.transcript as unknown as EpisodeEvent[];
    expect(events.map((e) => (e.role === 'action' ? e.kind : e.role))).toEqual(['model', 'propose', 'environment', 'model', 'propose', 'verdict']);
    expect(events[1]).toMatchObject({ solution: 'SHOW TABLES', success: false, reward: 0, observation: "[('item',)]" });
    expect(events[2]).toMatchObject({ content: expect.stringMatching(/^MySQL Database Output: \[\('item',\)\]\nReward: 0\.0\n/) });
    // The second call saw the schema, the first prompt, its own fenced action and the observation.
    expect(inference.calls[1]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('runs a Bash episode in a bash session and gives the judge that shell and the action output', async () => {
    const sessions = new FakeSessions();
    const bash = getBenchmark('intercode-bash') as unknown as Benchmark<IntercodeBashItem>;
    const seen: { observation?: string; snapshot?: string }[] = [];
    const agent: AgentProtocol<IntercodeBashItem> = {
      ...bash.agent!,
      judge: async (_item, _solution, ctx) => {
        const snap = await ctx.session!.run('print(snapshot)');
        seen.push({ ...(ctx.observation !== undefined ? { observation: ctx.observation } : {}), snapshot: snap.stdout });
        return { success: true, reason: 'same', reward: 1, rewardText: '1.0' };
      },
    };
    const inference = new ScriptedInference({ agent: ['print(hello)'] });
    const r = new EpisodeRunner(inference, () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000 });
    const bashItem: IntercodeBashItem = { id: 'nl2bash-fs1-0', fileSystem: 1, index: 0, query: 'Say hello', gold: 'echo hello' };
    const result = await r.run(run(), { ...bash, agent } as unknown as Benchmark, bashItem, new AbortController().signal);
    expect(result).toMatchObject({ status: 'SCORED', score: 1 });
    expect(sessions.languages).toEqual(['bash']);
    // No Python tool definitions were sent to the shell: the task's file system set-up, the action, then the judge's snapshot.
    expect(sessions.cells.map((c) => c.code)).toEqual([intercodeBashSetupScript(1), 'print(hello)', 'print(snapshot)']);
    expect(seen).toEqual([{ observation: 'hello\n', snapshot: 'snapshot\n' }]);
    expect(sessions.closed).toEqual(['s1']);
  });

  it("refuses the judge a fresh shell when the agent's last action ended the session (its state is gone)", async () => {
    const sessions = new FakeSessions({ endSessionAtCell: 1 });
    const bash = getBenchmark('intercode-bash') as unknown as Benchmark<IntercodeBashItem>;
    const agent: AgentProtocol<IntercodeBashItem> = {
      ...bash.agent!,
      // No set-up cell: the agent's action is the session's first cell, and the one that ends it.
      sessionSetup: () => '',
      judge: async (_item, _solution, ctx) => {
        await ctx.session!.run('print(snapshot)');
        return { success: true, reason: 'same', reward: 1, rewardText: '1.0' };
      },
    };
    const r = new EpisodeRunner(new ScriptedInference({ agent: ['print(hello)'] }), () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 1000 });
    const bashItem: IntercodeBashItem = { id: 'nl2bash-fs1-0', fileSystem: 1, index: 0, query: 'Say hello', gold: 'echo hello' };
    await expect(r.run(run(), { ...bash, agent } as unknown as Benchmark, bashItem, new AbortController().signal)).rejects.toMatchObject({
      code: PlatformErrorCode.SESSION_NOT_FOUND,
    });
    expect(sessions.created).toEqual(['s1']);
    expect(sessions.cells.map((c) => c.code)).toEqual(['print(hello)']);
  });
});
