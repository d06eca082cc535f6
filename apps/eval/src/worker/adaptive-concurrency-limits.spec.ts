import { Writable } from 'node:stream';
import { createLogger } from '@lemur/shared-logging';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ModelConcurrencyLimits, type LimitedRun } from './adaptive-concurrency-limits';

const run = (modelName: string, team: string, concurrency: number, rescore = false): LimitedRun =>
  ({
    modelName,
    teamId: `id-${team}`,
    teamName: team,
    config: { limit: 0, samplesPerItem: 1, concurrency, chat: false },
    spec: rescore ? { rescore: { sourceRunId: 'r', sourceBenchmarkRef: 'gsm8k@1.0.0', scorerRef: 'gsm8k@1.0.0' } } : {},
  }) as LimitedRun;

function setup(initial = 8, workerConcurrency = 64) {
  const registry = new Registry();
  const gauge = new Gauge({ name: 'limit', help: 'limit', labelNames: ['model', 'team'], registers: [registry] });
  const logs: { level: number; msg: string; model: string; team: string; from: number; to: number; reason?: string }[] = [];
  const logger = createLogger(
    'eval',
    'info',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString()) as (typeof logs)[number]);
        done();
      },
    }),
  );
  const gaugeValues = async () => Object.fromEntries((await gauge.get()).values.map((v) => [`${v.labels.model}/${v.labels.team}`, v.value]));
  return { limits: new ModelConcurrencyLimits(gauge, logger, { initial, workerConcurrency }), gaugeValues, logs };
}

describe('ModelConcurrencyLimits', () => {
  it("keeps one limit per model and team, bounded by the sum of those runs' concurrency and the worker's", async () => {
    const { limits, gaugeValues } = setup(8, 20);
    const a1 = run('m', 'a', 4);
    const a2 = run('m', 'a', 2);
    const b = run('m', 'b', 16);
    const other = run('n', 'a', 32);
    limits.fit([a1, a2, b, other]);
    expect(await gaugeValues()).toEqual({ 'm/a': 6, 'm/b': 8, 'n/a': 8 });
    // Two runs of one team on one model share the limit.
    limits.acquire(a1);
    expect(limits.available(a2)).toBe(5);
    expect(limits.available(b)).toBe(8);
    // The worker's own concurrency bounds it too: n/a can never pass 20, whatever the run asks for.
    const slots = Array.from({ length: 8 }, () => limits.acquire(other)!);
    for (const slot of slots) limits.release({ ...slot, signal: 'success' }, { runId: 'r', sampleId: 's' });
    for (let i = 0; i < 5; i++) {
      const batch = Array.from({ length: limits.available(other) }, () => limits.acquire(other)!);
      for (const slot of batch) limits.release({ ...slot, signal: 'success' }, { runId: 'r', sampleId: 's' });
    }
    expect((await gaugeValues())['n/a']).toBe(20);
  });

  it("lowers one team's limit on its overload and logs it at info, leaving the other team's alone", async () => {
    const { limits, gaugeValues, logs } = setup(8);
    const a = run('m', 'a', 16);
    const b = run('m', 'b', 16);
    limits.fit([a, b]);
    const slot = limits.acquire(a)!;
    slot.signal = 'overload';
    slot.reason = 'RESOURCE_EXHAUSTED: team "a" is over its limit';
    limits.release(slot, { runId: 'run-a', sampleId: 'sample-1' });
    expect(await gaugeValues()).toEqual({ 'm/a': 4, 'm/b': 8 });
    expect(logs).toEqual([
      expect.objectContaining({ level: 30, model: 'm', team: 'a', from: 8, to: 4, runId: 'run-a', sampleId: 'sample-1', reason: slot.reason }),
    ]);
  });

  it('gives re-scoring runs no limit', () => {
    const { limits } = setup();
    const rescore = run('m', 'a', 4, true);
    limits.fit([rescore]);
    expect(limits.available(rescore)).toBe(Infinity);
    expect(limits.acquire(rescore)).toBeUndefined();
  });

  it('drops a limit and its gauge once its runs have ended and its samples are back; a new run starts afresh', async () => {
    const { limits, gaugeValues } = setup(8);
    const a = run('m', 'a', 16);
    limits.fit([a]);
    const slot = limits.acquire(a)!;
    limits.release({ ...limits.acquire(a)!, signal: 'overload' }, { runId: 'r', sampleId: 's' });
    expect(await gaugeValues()).toEqual({ 'm/a': 4 });
    limits.fit([]);
    // A sample still in flight keeps it.
    expect(await gaugeValues()).toEqual({ 'm/a': 4 });
    limits.release(slot, { runId: 'r', sampleId: 's' });
    limits.fit([]);
    expect(await gaugeValues()).toEqual({});
    limits.fit([a]);
    expect(await gaugeValues()).toEqual({ 'm/a': 8 });
  });

  it("brings a limit down at once when its runs' concurrency shrinks", async () => {
    const { limits, gaugeValues } = setup(8);
    limits.fit([run('m', 'a', 8), run('m', 'a', 8)]);
    expect(await gaugeValues()).toEqual({ 'm/a': 8 });
    limits.fit([run('m', 'a', 3)]);
    expect(await gaugeValues()).toEqual({ 'm/a': 3 });
  });
});
