import { randomBytes } from 'node:crypto';
import {
  EnvironmentErrorCode,
  EnvironmentException,
  parseRelayCellOutput,
  relayBeginCell,
  relayResumeCell,
  renderEnvironmentRelaySetup,
  type AgentProtocol,
  type AgentShell,
  type Benchmark,
  type ChatMessage,
  type CodeExecutor,
  type EnvironmentInfo,
  type EnvironmentOutcome,
  type ExecutionResult,
  type SamplingDefaults,
  type StepResponse,
} from '@lemur/benchmarks';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { RunRecord, SampleResult } from '../runs/run.types';
import type { AgentEnvironment } from '../environment/environment-client';
import type { CellResult, SandboxSessions } from '../sandbox/sandbox-session-client';
import type { AgentToolProvider } from './agent-tool-provider';
import { TurnClock } from './turn-clock';
import type { InferenceClient } from './sample-processor';
import type { ForTeam, TeamRun } from './team-run';

/** One entry of an episode's stored transcript, in the order things happened. */
export type EpisodeEvent =
  | {
      role: 'model' | 'feedback';
      content: string;
      endpoint: string;
      attempts: number;
      promptTokens: number;
      completionTokens: number;
      latencyMs: number;
      finishReason: string;
    }
  | {
      role: 'action';
      kind: 'execute';
      code: string;
      observation: string;
      exitCode: number | null;
      timedOut: boolean;
      wallMs: number;
      sessionRestarted: boolean;
      /** What the environment server reported while the cell ran (benchmarks with an environment server). */
      environment?: EnvironmentOutcome;
    }
  | { role: 'action'; kind: 'propose'; solution: string; success: boolean; reason: string; error?: string; observation?: string; reward?: number }
  /** A command the episode sent to its environment server itself (WebArena), with the server's answer or refusal. */
  | ({ role: 'action'; kind: 'environment'; action: string } & (StepResponse | { error: string }))
  | { role: 'environment'; content: string }
  | { role: 'verdict'; success: boolean; terminateReason: string; reason: string };

/** What the runner needs of a run: its model, team (the name its calls carry), sampling and optional feedback model. */
export type EpisodeRun = Pick<TeamRun, 'id' | 'modelName' | 'teamName' | 'spec'> & { config: Pick<RunRecord['config'], 'feedbackModel'> };

// The sandbox caps open sessions per team (16 by default); a worker keeps each team's episodes below that and waits.
const DEFAULT_MAX_OPEN_SESSIONS = 8;
// Other workers share the team's cap: a refused CreateSession is tried again for this long before the sample fails.
const CREATE_RETRY_MS = 120_000;

// vLLM's wording when a conversation outgrows the model: MINT ends such an episode as failed ("error"), it is a
// property of the model under test, not a platform failure.
const CONTEXT_EXCEEDED = /maximum context length/i;

/**
 * Runs one item of an agent benchmark as a full episode: a model turn per step, `<execute>` cells in one persistent
 * Python session, proposals judged by the benchmark, optional expert feedback from a second model. The session is
 * closed whatever happens (unless the sandbox already ended it). Platform failures (endpoint, sandbox) are thrown as PlatformError, so the sample is
 * retried or ERRORED, never scored 0 for them. Sessions and code run as the run's team, under its sandbox cap.
 */
export class EpisodeRunner {
  private readonly slots: TeamSlots;

  constructor(
    private readonly inference: InferenceClient,
    private readonly sessionsFor: ForTeam<SandboxSessions>,
    private readonly executorFor: ForTeam<CodeExecutor>,
    private readonly tools: AgentToolProvider,
    private readonly opts: {
      turnTimeoutMs: number;
      maxOpenSessions?: number;
      environment?: AgentEnvironment;
      /** Each turn's platform overhead (see TurnClock), for the lemur_eval_agent_turn_overhead_seconds histogram. */
      onTurnOverhead?: (benchmark: string, seconds: number) => void;
      /** Where a session found already ended at close is noted (debug). */
      logger?: Logger;
    },
  ) {
    this.slots = new TeamSlots(opts.maxOpenSessions ?? DEFAULT_MAX_OPEN_SESSIONS);
  }

  async run(run: EpisodeRun, benchmark: Benchmark, item: { id: string }, signal: AbortSignal): Promise<SampleResult> {
    const agent = benchmark.agent as AgentProtocol<{ id: string }> | undefined;
    if (agent === undefined) throw new PlatformError(PlatformErrorCode.INTERNAL, `${benchmark.name} is not an agent benchmark`);
    const started = Date.now();
    // A Python episode starts with the tool functions; a shell episode with the benchmark's own set-up of its state.
    const environment = agent.environment ?? 'python';
    let relay: EnvironmentRelay | undefined;
    if (agent.environmentServer !== undefined) {
      if (this.opts.environment === undefined) {
        throw new PlatformError(
          PlatformErrorCode.INVALID_ARGUMENT,
          `${benchmark.name} needs an environment server and none is configured; set LEMUR_ENVIRONMENT_URL to one (docs/environment-protocol.md)`,
        );
      }
      relay = new EnvironmentRelay(this.opts.environment, agent.environmentServer.taskId(item), randomBytes(16).toString('hex'), signal);
    }
    const toolCode = environment === 'python' ? this.tools.setupCode(agent.tools) : (agent.sessionSetup?.(item) ?? '');
    const setupCode = relay === undefined ? toolCode : [toolCode, renderEnvironmentRelaySetup(agent.environmentServer!.tools, relay.nonce)].filter((c) => c !== '').join('\n');
    await this.slots.acquire(run.teamName, signal);
    try {
      return await this.runEpisode(run, benchmark, agent, item, signal, setupCode, started, relay);
    } finally {
      this.slots.release(run.teamName);
    }
  }

  private async runEpisode(
    run: EpisodeRun,
    benchmark: Benchmark,
    agent: AgentProtocol<{ id: string }>,
    item: { id: string },
    signal: AbortSignal,
    setupCode: string,
    started: number,
    relay: EnvironmentRelay | undefined,
  ): Promise<SampleResult> {
    const feedbackModel = run.config.feedbackModel;
    const reset = relay === undefined ? undefined : await relay.reset();
    let episode: ReturnType<typeof agent.startEpisode>;
    try {
      episode = agent.startEpisode(item, { feedback: feedbackModel !== undefined && feedbackModel !== '', ...(reset === undefined ? {} : reset) });
    } catch (err) {
      await relay?.close();
      throw err;
    }
    const events: EpisodeEvent[] = [];
    const tokens = { prompt: 0, completion: 0 };
    const environment = agent.environment ?? 'python';
    const session =
      environment === 'none'
        ? null
        : new EpisodeSession(this.sessionsFor(run.teamName), agent, environment, setupCode, signal, this.opts.logger?.child({ runId: run.id, itemId: item.id }));
    const executor = this.executorFor(run.teamName);
    let firstPrompt: string | null = null;
    let modelTurns = 0;
    let outcome: SampleResult | undefined;
    const clock = new TurnClock((seconds) => this.opts.onTurnOverhead?.(benchmark.name, seconds));
    try {
      await session?.open();
      while (outcome === undefined) {
        if (signal.aborted) throw new PlatformError(PlatformErrorCode.CANCELLED, 'the sample was cancelled mid-episode');
        const step = episode.next();
        if (step.kind === 'done') {
          clock.end();
          const last = [...events].reverse().find((e) => e.role === 'action' && e.kind === 'propose');
          const reason =
            step.reason ??
            (step.success ? 'solved' : `${step.terminateReason}${last?.role === 'action' && last.kind === 'propose' ? `; last proposal: ${last.reason}` : '; no solution proposed'}`);
          events.push({ role: 'verdict', success: step.success, terminateReason: step.terminateReason, reason });
          outcome = {
            status: 'SCORED',
            prompt: firstPrompt,
            completion: lastModelText(events),
            score: step.success ? 1 : 0,
            passed: step.success,
            scoreDetail: {
              reason,
              terminateReason: step.terminateReason,
              protocol: agent.protocol,
              scoringRules: agent.scoringRules,
              toolProvider: this.tools.name,
              ...(relay === undefined ? {} : { environmentEndpoint: relay.endpoint }),
              modelTurns,
              turnTimings: clock.turns,
              ...(feedbackModel ? { feedbackModel } : {}),
            },
            transcript: events as unknown as Record<string, unknown>[],
            promptTokens: tokens.prompt,
            completionTokens: tokens.completion,
            latencyMs: Date.now() - started,
            error: null,
          };
          break;
        }
        switch (step.kind) {
          case 'model': {
            clock.beginTurn();
            firstPrompt ??= step.messages[0]?.content ?? '';
            // The environment's answer to the last model turn (observation and feedback) goes into the transcript once:
            // the user messages after the last assistant one (none before the first turn; a protocol may trim the
            // dialogue's middle, so counting messages would not do).
            const lastAssistant = step.messages.map((m) => m.role).lastIndexOf('assistant');
            if (lastAssistant >= 0) for (const m of step.messages.slice(lastAssistant + 1)) if (m.role === 'user') events.push({ role: 'environment', content: m.content });
            const modelCall = clock.call('model');
            const reply = await this.chat(run.modelName, run.teamName, step.messages, this.modelSampling(run, benchmark), signal);
            modelCall(reply.kind === 'reply' ? reply.modelMs : 0);
            if (reply.kind === 'context-exceeded') {
              events.push({ role: 'environment', content: `model call failed: ${reply.message}` });
              episode.submitModelError(reply.message);
              break;
            }
            modelTurns += 1;
            tokens.prompt += reply.event.promptTokens;
            tokens.completion += reply.event.completionTokens;
            events.push({ ...reply.event, role: 'model' });
            episode.submitModelTurn(reply.event.content);
            break;
          }
          case 'execute': {
            if (session === null) throw new PlatformError(PlatformErrorCode.INTERNAL, `${benchmark.name} asked to run code but has no session`);
            const codeCall = clock.call('code');
            const { observation, cell, restarted, outcome: environmentOutcome } = relay === undefined ? await session.run(step.code) : await relay.execute(session, step.code);
            codeCall(cell.wallMs);
            events.push({
              role: 'action',
              kind: 'execute',
              code: step.code,
              observation,
              exitCode: cell.exitCode,
              timedOut: cell.timedOut,
              wallMs: cell.wallMs,
              sessionRestarted: restarted,
              ...(environmentOutcome === undefined ? {} : { environment: environmentOutcome }),
            });
            episode.submitExecution(observation, environmentOutcome);
            break;
          }
          case 'judge': {
            const judgeCall = clock.call('code');
            const verdict = await agent.judge(item, step.solution, {
              executor,
              ...(session !== null ? { session: session.shell() } : {}),
              ...(step.observation !== undefined ? { observation: step.observation } : {}),
            });
            judgeCall(verdict.execution?.wallMs ?? 0);
            events.push({
              role: 'action',
              kind: 'propose',
              solution: step.solution,
              success: verdict.success,
              reason: verdict.reason,
              ...(verdict.error !== undefined ? { error: verdict.error } : {}),
              ...(verdict.observation !== undefined ? { observation: verdict.observation } : {}),
              ...(verdict.reward !== undefined ? { reward: verdict.reward } : {}),
            });
            episode.submitJudgement({
              success: verdict.success,
              ...(verdict.error !== undefined ? { error: verdict.error } : {}),
              ...(verdict.observation !== undefined ? { observation: verdict.observation } : {}),
              ...(verdict.reward !== undefined ? { reward: verdict.reward } : {}),
              ...(verdict.rewardText !== undefined ? { rewardText: verdict.rewardText } : {}),
            });
            break;
          }
          case 'environment': {
            if (relay === undefined || episode.submitEnvironmentStep === undefined) {
              throw new PlatformError(PlatformErrorCode.INTERNAL, `${benchmark.name} asked for an environment step without an environment server episode`);
            }
            // The server reports no service time of its own: all of the step is the environment's, none the platform's.
            const environmentCall = clock.call('code');
            const sent = performance.now();
            const answer = await relay.step(step.action);
            environmentCall(performance.now() - sent);
            events.push({ role: 'action', kind: 'environment', action: step.action, ...answer });
            episode.submitEnvironmentStep(answer);
            break;
          }
          case 'feedback': {
            const feedbackCall = clock.call('model');
            const reply = await this.chat(feedbackModel!, run.teamName, [step.prompt], agent.feedbackSampling, signal);
            feedbackCall(reply.kind === 'reply' ? reply.modelMs : 0);
            if (reply.kind === 'context-exceeded') {
              throw new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, `feedback model ${feedbackModel}: ${reply.message}`);
            }
            events.push({ ...reply.event, role: 'feedback' });
            episode.submitFeedback(reply.event.content);
            break;
          }
        }
      }
    } catch (err) {
      // The episode's own error is the one to report; a failed close leaves the session to its idle timeout.
      await session?.close().catch(() => undefined);
      await relay?.close();
      throw err;
    }
    await relay?.close();
    // A session that cannot be closed after a finished episode is the sandbox's failure: the sample is not trusted.
    await session?.close();
    return outcome;
  }

  private modelSampling(run: EpisodeRun, benchmark: Benchmark): SamplingDefaults {
    // The protocol parses turns at its stop words, so they apply even to chat runs (which otherwise drop stops).
    const stop = [...new Set([...run.spec.sampling.stop, ...benchmark.sampling.stop])];
    return { maxTokens: run.spec.sampling.maxTokens, temperature: run.spec.sampling.temperature, topP: run.spec.sampling.topP, stop };
  }

  private async chat(
    model: string,
    team: string,
    messages: ChatMessage[],
    sampling: SamplingDefaults,
    signal: AbortSignal,
  ): Promise<
    | { kind: 'reply'; event: Omit<Extract<EpisodeEvent, { role: 'model' | 'feedback' }>, 'role'>; modelMs: number }
    | { kind: 'context-exceeded'; message: string }
  > {
    try {
      const response = await this.inference.generate(
        {
          model,
          team,
          messages,
          sampling: { maxTokens: sampling.maxTokens, temperature: sampling.temperature, topP: sampling.topP, stop: sampling.stop, n: 1 },
        },
        { deadlineMs: this.opts.turnTimeoutMs, signal },
      );
      const choice = response.choices[0];
      return {
        kind: 'reply',
        event: {
          content: choice?.text ?? '',
          endpoint: response.endpoint,
          attempts: response.attempts,
          promptTokens: response.usage?.promptTokens ?? 0,
          completionTokens: response.usage?.completionTokens ?? 0,
          latencyMs: response.latencyMs,
          finishReason: choice?.finishReason ?? '',
        },
        // The replica's own time as the inference service measured it: its latency also covers the response cache,
        // admission and routing, which are the platform's overhead, not the model's.
        modelMs: response.upstreamMs,
      };
    } catch (err) {
      if (err instanceof PlatformError && err.code === PlatformErrorCode.INVALID_ARGUMENT && CONTEXT_EXCEEDED.test(err.message)) {
        return { kind: 'context-exceeded', message: err.message };
      }
      throw err;
    }
  }
}

function lastModelText(events: readonly EpisodeEvent[]): string | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i]!;
    if (e.role === 'model') return e.content;
  }
  return null;
}

/**
 * The episode's interpreter or shell: started with its set-up code, restarted (set-up again, earlier state lost, as the
 * transcript records) when a limit killed it, and closed once. A session the sandbox ended itself (a limit, the code
 * left the interpreter) is already gone there: its id is forgotten, so it is never closed.
 */
class EpisodeSession {
  private id: string | undefined;
  /** The sandbox ended the last session: the next cell runs in a fresh one, and says so. */
  private ended = false;

  constructor(
    private readonly sessions: SandboxSessions,
    private readonly agent: AgentProtocol<unknown>,
    private readonly language: 'python' | 'bash',
    private readonly setupCode: string,
    private readonly signal: AbortSignal,
    private readonly logger: Logger | undefined,
  ) {}

  async open(): Promise<string> {
    if (this.id !== undefined) return this.id;
    const id = await this.createWithRetry();
    this.id = id;
    if (this.setupCode !== '') {
      const setup = await this.sessions.runCell(id, this.setupCode, { wallMs: this.agent.cellTimeoutMs, signal: this.signal });
      if (setup.sessionEnded) this.id = undefined;
      if (setup.result.exitCode !== 0 || setup.sessionEnded) {
        throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `the session's set-up code failed: ${setup.result.stderr.slice(0, 500)}`);
      }
    }
    return id;
  }

  /** The open session as a judge reads it: one cell, no restart (a judge must see the state the agent left). */
  shell(): AgentShell {
    return {
      run: async (code: string): Promise<ExecutionResult> => {
        // A fresh interpreter would not hold what the agent left: the judge is told, as the sandbox would have.
        if (this.ended) throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, "the episode's session ended before the judge could read it");
        const id = await this.open();
        const cell = await this.sessions.runCell(id, code, { wallMs: this.agent.cellTimeoutMs, signal: this.signal });
        if (cell.sessionEnded) this.forgetEnded();
        return cell.result;
      },
    };
  }

  async run(code: string): Promise<{ observation: string; cell: ExecutionResult; restarted: boolean; outcome?: EnvironmentOutcome }> {
    const restarted = this.ended;
    this.ended = false;
    let id = await this.open();
    let cell: CellResult;
    try {
      cell = await this.sessions.runCell(id, code, { wallMs: this.agent.cellTimeoutMs, signal: this.signal });
    } catch (err) {
      // The interpreter is gone without the sandbox having said so with the previous cell (the code exited, a limit
      // or the idle timer ended it): the cell runs once in a fresh interpreter, as after a reported end.
      if (!(err instanceof PlatformError && err.code === PlatformErrorCode.SESSION_NOT_FOUND)) throw err;
      this.id = undefined;
      id = await this.open();
      cell = await this.sessions.runCell(id, code, { wallMs: this.agent.cellTimeoutMs, signal: this.signal });
      if (cell.sessionEnded) this.forgetEnded();
      return { observation: this.agent.formatExecution(cell.result), cell: cell.result, restarted: true };
    }
    if (cell.sessionEnded) this.forgetEnded();
    return { observation: this.agent.formatExecution(cell.result), cell: cell.result, restarted };
  }

  private async createWithRetry(): Promise<string> {
    const deadline = Date.now() + CREATE_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        // A cell's CPU is bounded by its time limit too: left unset it would be the sandbox's one-shot default (10 s), a
        // third of MINT's 30 s per cell, and a cell computing for longer would be stopped where MINT's would not.
        const cellMs = this.agent.cellTimeoutMs;
        return await this.sessions.create({ cellWallMs: cellMs, cellCpuMs: cellMs, signal: this.signal, language: this.language });
      } catch (err) {
        const full = err instanceof PlatformError && err.code === PlatformErrorCode.RESOURCE_EXHAUSTED;
        if (!full || Date.now() + delay > deadline || this.signal.aborted) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Closes the interpreter if one is open; safe to call more than once. */
  async close(): Promise<void> {
    const id = this.id;
    if (id === undefined) return;
    this.id = undefined;
    try {
      await this.sessions.close(id);
    } catch (err) {
      // Ended by the sandbox without this episode hearing of it (its idle timer, an end racing the last cell's answer):
      // closed is what was wanted, and the finished episode's result stands.
      if (!(err instanceof PlatformError && err.code === PlatformErrorCode.SESSION_NOT_FOUND)) throw err;
      this.logger?.debug({ sessionId: id }, 'sandbox session already ended; nothing to close');
    }
  }

  /** The sandbox reported the session ended: it dropped it, so there is nothing left to close. */
  private forgetEnded(): void {
    this.id = undefined;
    this.ended = true;
  }
}

// More commands than the session's own cap (MAX_ENVIRONMENT_CALLS_PER_CELL) means the relay itself misbehaves.
const MAX_RELAY_CELLS = 1_000;

/**
 * The host side of the environment relay (see environment-relay.ts in @lemur/benchmarks): runs an `<execute>` action
 * as a chain of cells, forwarding each command the agent's code sends to the environment server's session and the
 * observation back. Environment failures are platform failures (the sample is retried or ERRORED, never scored 0);
 * a command the server rejects as malformed is raised in the agent's code, as a real game would.
 */
class EnvironmentRelay {
  private session: string | undefined;

  constructor(
    private readonly environment: AgentEnvironment,
    private readonly taskId: string,
    readonly nonce: string,
    private readonly signal: AbortSignal,
  ) {}

  get endpoint(): string {
    return this.environment.endpoint;
  }

  async reset(): Promise<{ observation: string; info: EnvironmentInfo }> {
    const reset = await this.guard(() => this.environment.reset(this.taskId, this.signal), 'reset');
    this.session = reset.session;
    return { observation: reset.observation, info: reset.info };
  }

  /** One command sent as it is; one the server refuses as malformed comes back as `error`, as the relay raises it in agent code. */
  async step(action: string): Promise<StepResponse | { error: string }> {
    try {
      return await this.environment.step(this.session!, action, this.signal);
    } catch (err) {
      if (err instanceof EnvironmentException && err.code === EnvironmentErrorCode.BAD_REQUEST) return { error: err.message };
      throw this.platformError(err, 'step');
    }
  }

  async execute(session: EpisodeSession, code: string): Promise<{ observation: string; cell: ExecutionResult; restarted: boolean; outcome: EnvironmentOutcome }> {
    const outcome: EnvironmentOutcome = { steps: 0, done: false, won: false, reward: 0 };
    let result = await session.run(relayBeginCell(code));
    let restarted = result.restarted;
    for (let cells = 1; ; cells += 1) {
      const next = result.cell.exitCode === 0 ? parseRelayCellOutput(result.cell.stdout, this.nonce) : ({ kind: 'finished' } as const);
      if (next.kind === 'finished') return { ...result, restarted, outcome };
      if (cells > MAX_RELAY_CELLS) throw new PlatformError(PlatformErrorCode.INTERNAL, `the environment relay ran ${MAX_RELAY_CELLS} cells for one action`);
      let answer: { observation: string } | { error: string };
      try {
        const step = await this.environment.step(this.session!, next.action, this.signal);
        outcome.steps += 1;
        outcome.done ||= step.done;
        outcome.won ||= step.info.won === true;
        outcome.reward = Math.max(outcome.reward, step.reward);
        answer = { observation: step.observation };
      } catch (err) {
        if (!(err instanceof EnvironmentException && err.code === EnvironmentErrorCode.BAD_REQUEST)) throw this.platformError(err, 'step');
        answer = { error: err.message };
      }
      result = await session.run(relayResumeCell(answer));
      restarted ||= result.restarted;
    }
  }

  /** Ends the server's session; a failure here only leaves it to the server's idle timeout. */
  async close(): Promise<void> {
    const id = this.session;
    this.session = undefined;
    if (id !== undefined) await this.environment.close(id).catch(() => undefined);
  }

  private async guard<T>(call: () => Promise<T>, what: string): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.platformError(err, what);
    }
  }

  private platformError(err: unknown, what: string): PlatformError {
    if (err instanceof EnvironmentException) {
      const code = err.code === EnvironmentErrorCode.TASK_NOT_FOUND ? PlatformErrorCode.DATASET_UNAVAILABLE : PlatformErrorCode.UPSTREAM_FAILED;
      return new PlatformError(code, `environment ${this.environment.endpoint} ${what} for ${this.taskId}: ${err.code}: ${err.message}`, { cause: err });
    }
    return err instanceof PlatformError ? err : new PlatformError(PlatformErrorCode.INTERNAL, `environment ${what} failed`, { cause: err });
  }
}

/**
 * One Slots per team with episodes in this worker: the sandbox caps each team's sessions on its own, so one team's
 * episodes never wait behind another's. A team's entry goes when its last episode leaves (the map stays small).
 */
class TeamSlots {
  private readonly byTeam = new Map<string, Slots>();

  constructor(private readonly size: number) {}

  async acquire(team: string, signal: AbortSignal): Promise<void> {
    let slots = this.byTeam.get(team);
    if (slots === undefined) {
      slots = new Slots(this.size);
      this.byTeam.set(team, slots);
    }
    await slots.acquire(signal);
  }

  release(team: string): void {
    const slots = this.byTeam.get(team);
    if (slots === undefined) return;
    slots.release();
    if (slots.idle) this.byTeam.delete(team);
  }
}

/** A counting semaphore: at most `size` episodes of one team hold a sandbox session at once in this worker. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(signal: AbortSignal): Promise<void> {
    if (this.used < this.size) {
      this.used += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new PlatformError(PlatformErrorCode.CANCELLED, 'the sample was cancelled while waiting for a sandbox session'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `used` stays the same.
    if (next) next();
    else this.used -= 1;
  }

  /** Nobody holds a slot or waits for one. */
  get idle(): boolean {
    return this.used === 0 && this.waiting.length === 0;
  }
}
