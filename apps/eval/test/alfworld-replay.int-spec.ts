import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alfworldBenchmark, modelText, type AlfworldItem, type ChatMessage, type CodeExecutor, type PublishedAlfworldEpisode } from '@lemur/benchmarks';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedAlfworldBackend } from '../src/environment/environment-backends';
import { HttpEnvironmentClient } from '../src/environment/environment-client';
import { EnvironmentServer } from '../src/environment/environment-server';
import type { RunRecord } from '../src/runs/run.types';
import { OfflineStubToolProvider } from '../src/worker/agent-tool-provider';
import { EpisodeRunner, type EpisodeEvent } from '../src/worker/episode-runner';
import type { InferenceClient } from '../src/worker/sample-processor';
import { PythonRunnerSessions } from './python-runner-sessions';

// The published Lemur-70B-Chat ALFWorld run (MINT max5_p2+tool+cd) replayed through the real episode runner: each model
// turn is the published one, the code runs in the sandbox's Python session runner, and every tool call goes over HTTP
// to the recorded ALFWorld environment server. The other published runs of the same games fill in observations.
const DATASETS = resolve(__dirname, '../../../../shared/datasets');
const OUTPUTS = join(DATASETS, 'mint-bench/data/outputs');
const RUN_DIR = join(OUTPUTS, 'lemur-70b-chat-v1/F=None/max5_p2+tool+cd');
const OTHER_RUNS = ['lemur-70b-v1', 'gpt-3.5-turbo-0613'].flatMap((m) => [
  join(OUTPUTS, m, 'F=None/max5_p2+tool+cd'),
  join(OUTPUTS, m, 'F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd'),
]);
const PUBLISHED_RATE = 59.7;

/**
 * Answers each model call of one game's episode with the published turn of the same index. Games with the same room
 * and task text have different published episodes, so the replay is bound to the game, not found by its text. Where
 * the published episode ended on a model error (its context was exceeded), the call fails the same way.
 */
class ReplayInference implements InferenceClient {
  constructor(private readonly episode: PublishedAlfworldEpisode) {}

  generate: InferenceClient['generate'] = async (req) => {
    const messages = (req.messages ?? []) as ChatMessage[];
    const turn = this.episode.history.filter((m) => m.role === 'assistant')[messages.filter((m) => m.role === 'assistant').length];
    if (turn === undefined) {
      if (this.episode.terminateReason === 'error') throw new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, "This model's maximum context length is 4096 tokens (as published)");
      throw new Error(`ran past the published turns of ${this.episode.gamefile}`);
    }
    return {
      choices: [{ text: modelText(turn), finishReason: 'stop' }],
      endpoint: 'replay',
      attempts: 1,
      latencyMs: 0,
      usage: { promptTokens: 0, completionTokens: 0 },
    } as unknown as Awaited<ReturnType<InferenceClient['generate']>>;
  };
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        results[i] = await work(items[i]!, i).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        );
      }
    }),
  );
  return results;
}

const noExecutor: CodeExecutor = { execute: () => Promise.reject(new Error('ALFWorld is judged by its environment')) };

const run = {
  id: 'alfworld-replay',
  modelName: 'sim:replay',
  teamName: 't1',
  spec: { sampling: { maxTokens: 512, temperature: 0, topP: 1, stop: alfworldBenchmark.sampling.stop } } as unknown as RunRecord['spec'],
  config: {},
};

describe('ALFWorld replay against the recorded environment server', () => {
  let server: EnvironmentServer;
  let backend: ReturnType<typeof recordedAlfworldBackend>;
  let client: HttpEnvironmentClient;
  let items: AlfworldItem[];

  beforeAll(async () => {
    backend = recordedAlfworldBackend(RUN_DIR, OTHER_RUNS);
    server = new EnvironmentServer(backend);
    client = new HttpEnvironmentClient(await server.listen());
    const file = alfworldBenchmark.dataset.files[0]!.file;
    items = alfworldBenchmark.parse(new Map([[file, readFileSync(join(DATASETS, file))]]));
  });

  afterAll(async () => {
    await server?.close();
  });

  it(`reproduces the published Lemur-70B-Chat success rate ${PUBLISHED_RATE} within 1 point, listing every episode that differs`, async () => {
    const published = backend.run;
    const episodes = items.map((item) => published.reset(item.gamefile).game.episode);
    const sessions = new PythonRunnerSessions();
    const settled = await pool(items, 4, (item, i) =>
      new EpisodeRunner(new ReplayInference(episodes[i]!), () => sessions, () => noExecutor, new OfflineStubToolProvider(), { turnTimeoutMs: 5_000, environment: client }).run(
        run,
        alfworldBenchmark,
        item,
        new AbortController().signal,
      ),
    );

    const differences: string[] = [];
    let solved = 0;
    const results = settled.flatMap((s, i) => {
      if (s.status === 'fulfilled') return [s.value];
      // The replay went on where the published episode had ended: the recording could not lead the code to the same end.
      differences.push(`${items[i]!.gamefile}: ${(s.reason as Error).message}; published ${episodes[i]!.success} (${episodes[i]!.terminateReason})`);
      return [];
    });
    settled.forEach((s, i) => {
      if (s.status !== 'fulfilled') return;
      const r = s.value;
      const p = episodes[i]!;
      const ours = r.passed === true;
      if (ours) solved += 1;
      const events = r.transcript as unknown as EpisodeEvent[];
      const cells = events.filter((e): e is Extract<EpisodeEvent, { kind: 'execute' }> => e.role === 'action' && e.kind === 'execute');
      if (ours !== p.success || String(r.scoreDetail?.['terminateReason']) !== p.terminateReason) {
        const last = cells.at(-1);
        differences.push(
          `${items[i]!.gamefile}: ours ${ours} (${String(r.scoreDetail?.['terminateReason'])}, ${cells.length} cells, ` +
            `${cells.reduce((n, c) => n + (c.environment?.steps ?? 0), 0)} env steps), published ${p.success} (${p.terminateReason}); ` +
            `last cell output: ${(last?.observation ?? '').slice(0, 160).replaceAll('\n', ' | ')}`,
        );
      }
    });
    // How much of what the model saw was the published observation, byte for byte (the winning cell has none published).
    let cellsCompared = 0;
    let cellsEqual = 0;
    const unequal: string[] = [];
    settled.forEach((s, i) => {
      if (s.status !== 'fulfilled') return;
      const cells = (s.value.transcript as unknown as EpisodeEvent[]).filter((e): e is Extract<EpisodeEvent, { kind: 'execute' }> => e.role === 'action' && e.kind === 'execute');
      episodes[i]!.cellOutputs.forEach((published, k) => {
        if (published === null || cells[k] === undefined) return;
        cellsCompared += 1;
        if (cells[k].observation.trim() === published.trim()) cellsEqual += 1;
        else unequal.push(`${items[i]!.gamefile} cell ${k + 1}`);
      });
    });
    console.log(`ALFWorld replay: ${cellsEqual}/${cellsCompared} published cell outputs reproduced exactly; differing: ${unequal.join(', ')}`);
    // What differs is state the recordings cannot know (an object the agent already moved, a command never published)
    // and Python's own traceback format against IPython's; the bound keeps a broken recording or relay from passing.
    expect(cellsEqual / cellsCompared).toBeGreaterThanOrEqual(0.95);
    const rate = (100 * solved) / items.length;
    console.log(`ALFWorld replay: ${solved}/${items.length} = ${rate.toFixed(2)} (published ${PUBLISHED_RATE}); ${differences.length} episodes differ${differences.length ? `:\n${differences.join('\n')}` : ''}`);
    expect(results.every((r) => r.status === 'SCORED')).toBe(true);
    // An episode that ran past its published turns counts as not solved (it is listed above).
    expect(results.length).toBeGreaterThanOrEqual(items.length - 2);
    expect(results.every((r) => r.scoreDetail?.['environmentEndpoint'] === client.endpoint)).toBe(true);
    expect(Math.abs(rate - PUBLISHED_RATE)).toBeLessThanOrEqual(1);
    // The tools really reached the environment: thousands of commands went over HTTP, and every session was closed.
    const steps = results.flatMap((r) => (r.transcript as unknown as EpisodeEvent[]).map((e) => (e.role === 'action' && e.kind === 'execute' ? (e.environment?.steps ?? 0) : 0)));
    expect(steps.reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
    expect(sessions.open).toBe(0);
    expect(server.openSessions).toBe(0);
  }, 240_000);
});
