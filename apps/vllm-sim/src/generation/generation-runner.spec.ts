import { describe, expect, it } from 'vitest';
import { PrefixCache } from '../cache/prefix-cache';
import { VllmMetrics } from '../metrics/vllm.metrics';
import { SeqScheduler } from '../scheduling/seq-scheduler';
import { FAST_TIME_MODEL } from '../scheduling/time-model';
import { type GenerationPlan, runGeneration } from './generation-runner';
import { truncateCompletion } from './truncation';
import { promptBlockHashes } from '../cache/prefix-cache';

function engine(maxSeqs = 4) {
  const scheduler = new SeqScheduler(maxSeqs);
  const metrics = new VllmMetrics(['m'], () => scheduler.snapshot(), { blockSize: 16, kvCapacityBlocks: 100, prefixCaching: true });
  return { scheduler, metrics, timeModel: FAST_TIME_MODEL, prefixCache: new PrefixCache(16, 100), now: () => 0 };
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

  it('serves repeated prompt prefixes from the prefix cache and counts queried and hit tokens', async () => {
    const e = engine();
    const text = Array.from({ length: 40 }, (_, i) => ` w${i}`).join('');
    const prompts = [{ tokens: 40, blockHashes: promptBlockHashes('m', text, 16) }];
    await runGeneration(e, plan(['a'], { promptTokens: 40, prompts }));
    expect(await counter(e.metrics, 'vllm:prefix_cache_hits_total')).toBe(0);
    await runGeneration(e, plan(['a'], { promptTokens: 40, prompts }));
    expect(await counter(e.metrics, 'vllm:prefix_cache_queries_total')).toBe(80);
    // Two full blocks of 16 tokens; the last 8 tokens form a partial block that is never cached.
    expect(await counter(e.metrics, 'vllm:prefix_cache_hits_total')).toBe(32);
  });
});
