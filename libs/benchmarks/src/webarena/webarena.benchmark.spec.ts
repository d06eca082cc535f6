import { describe, expect, it } from 'vitest';
import { benchmarkRef } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { getBenchmark } from '../registry';
import { parseWebarenaTasks, WEBARENA_SITES, WEBARENA_TASK_FILE } from './webarena-tasks';
import { webarenaBenchmark } from './webarena.benchmark';

// Two entries of test.raw.json as web-arena-x/webarena publishes them (task 0 abridged to the fields the loader reads
// plus a few it ignores).
const TASKS = JSON.stringify([
  {
    sites: ['shopping_admin'],
    task_id: 0,
    require_login: true,
    storage_state: './.auth/shopping_admin_state.json',
    start_url: '__SHOPPING_ADMIN__',
    intent: 'What is the top-1 best-selling product in 2022',
    eval: { eval_types: ['string_match'], reference_answers: { exact_match: 'Quest Lumaflex™ Band' } },
  },
  { sites: ['map'], task_id: 7, intent: 'Tell me the full address of all international airports', eval: { eval_types: ['string_match'] } },
]);

describe('webarena@1.0.0', () => {
  it('is registered as an agent benchmark that acts on an environment server without a sandbox session', () => {
    const b = getBenchmark('webarena');
    expect(benchmarkRef(b)).toBe('webarena@1.0.0');
    expect(b.agent).toMatchObject({ protocol: 'webarena', environment: 'none', tools: [], budget: { maxSteps: 30, maxProposeSolution: 1 } });
    expect(b.agent?.environmentServer?.tools).toEqual([]);
    expect(webarenaBenchmark.agent.environmentServer?.taskId({ id: 'webarena/7', taskId: '7', intent: 'x', sites: [], evalTypes: [] })).toBe('7');
    // run.py's defaults, which Lemur's published command leaves as they are.
    expect(b.sampling).toEqual({ maxTokens: 384, temperature: 1.0, topP: 0.9, stop: [] });
  });

  it('loading it without the task file names the file, its URL, the six sites and the protocol', () => {
    let error: unknown;
    try {
      getBenchmark('webarena@1.0.0').parse(new Map());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BenchmarkException);
    expect(error).toMatchObject({ code: BenchmarkErrorCode.DATASET_NOT_FOUND });
    const message = (error as Error).message;
    expect(message).toContain('webarena/config_files/test.raw.json');
    expect(message).toContain('https://raw.githubusercontent.com/web-arena-x/webarena/');
    for (const site of WEBARENA_SITES) expect(message).toContain(site.env);
    expect(message).toContain('docs/environment-protocol.md');
  });

  it('reads the task file into items the environment server resets by task_id', () => {
    const files = new Map([[WEBARENA_TASK_FILE, Buffer.from(TASKS)]]);
    expect(webarenaBenchmark.parse(files)).toEqual([
      { id: 'webarena/0', taskId: '0', intent: 'What is the top-1 best-selling product in 2022', sites: ['shopping_admin'], evalTypes: ['string_match'] },
      { id: 'webarena/7', taskId: '7', intent: 'Tell me the full address of all international airports', sites: ['map'], evalTypes: ['string_match'] },
    ]);
    expect(() => parseWebarenaTasks(new Map([[WEBARENA_TASK_FILE, Buffer.from('[{"task_id": 1}]')]]))).toThrow(/entry 0 lacks/);
  });

  it('starts an episode from the server\'s first page and URL; it has no feedback mode', () => {
    const item = { id: 'webarena/7', taskId: '7', intent: 'Find it', sites: [], evalTypes: [] };
    const episode = webarenaBenchmark.agent.startEpisode(item, { feedback: false, observation: "[1] RootWebArea 'Map'", info: { url: 'http://map/' } });
    expect(episode.next()).toMatchObject({ kind: 'model' });
    expect(() => webarenaBenchmark.agent.startEpisode(item, { feedback: false, observation: 'o', info: {} })).toThrow(/info\.url/);
    expect(() => webarenaBenchmark.agent.startEpisode(item, { feedback: true, observation: 'o', info: { url: 'u' } })).toThrow(/feedback/);
  });
});
