import { describe, expect, it } from 'vitest';
import { VllmMetrics } from '../metrics/vllm.metrics';
import { SeqScheduler } from '../scheduling/seq-scheduler';
import { FAST_TIME_MODEL } from '../scheduling/time-model';
import { type GenerationPlan, runGeneration } from './generation-runner';
import { truncateCompletion } from './truncation';

function engine(maxSeqs = 4) {
  const scheduler = new SeqScheduler(maxSeqs);
  const metrics = new VllmMetrics(['m'], () => scheduler.snapshot(), 1000);
  return { scheduler, metrics, timeModel: FAST_TIME_MODEL, now: () => 0 };
}

function plan(texts: string[], overrides: Partial<GenerationPlan> = {}): GenerationPlan {
  return {
    model: 'm',
    promptTokens: 5,
    choices: texts.map((text, index) => ({ index, completion: truncateCompletion(text, [], 100) })),
    stall: false,
    arrivalMs: 0,
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function counter(metrics: VllmMetrics, name: string, reason?: string): Promise<number> {
  const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => v.labels['model_name'] === 'm' && (reason === undefined || v.labels['finished_reason'] === reason))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('runGeneration', () => {
  it('decodes all choices together, one token per choice per step', async () => {
    const e = engine();
    const tokens: string[] = [];
    const outcome = await runGeneration(e, plan(['a b c', 'x']), { onToken: (i, piece) => tokens.push(`${i}:${piece}`) });
    expect(outcome).toBe('finished');
    expect(tokens).toEqual(['0:a', '1:x', '0: b', '0: c']);
    expect(await counter(e.metrics, 'vllm:generation_tokens_total')).toBe(4);
    expect(await counter(e.metrics, 'vllm:prompt_tokens_total')).toBe(5);
    expect(await counter(e.metrics, 'vllm:request_success_total', 'stop')).toBe(2);
    expect(e.scheduler.runningCount).toBe(0);
  });

  it('stalls after the first token until aborted, then frees the slot and counts an abort', async () => {
    const e = engine();
    const controller = new AbortController();
    const tokens: string[] = [];
    const running = runGeneration(e, plan(['a b c'], { stall: true, signal: controller.signal }), {
      onToken: (_i, piece) => tokens.push(piece),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(tokens).toEqual(['a']);
    expect(e.scheduler.runningCount).toBe(1);
    controller.abort();
    expect(await running).toBe('aborted');
    expect(e.scheduler.runningCount).toBe(0);
    expect(await counter(e.metrics, 'vllm:request_success_total', 'abort')).toBe(1);
  });

  it('counts a request aborted while queued without generating anything', async () => {
    const e = engine(1);
    const holder = await e.scheduler.acquire('m');
    const controller = new AbortController();
    const queued = runGeneration(e, plan(['a'], { signal: controller.signal }));
    controller.abort();
    expect(await queued).toBe('aborted');
    holder.release();
    expect(await counter(e.metrics, 'vllm:generation_tokens_total')).toBe(0);
    expect(await counter(e.metrics, 'vllm:request_success_total', 'abort')).toBe(1);
  });
});
