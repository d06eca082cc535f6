import { setTimeout as sleepFor } from 'node:timers/promises';
import { type PrefixCache } from '../cache/prefix-cache';
import { type VllmMetrics } from '../metrics/vllm.metrics';
import { RequestAbortedError, type SeqScheduler } from '../scheduling/seq-scheduler';
import { interTokenMs, timeToFirstTokenMs, type TimeModelConfig } from '../scheduling/time-model';
import { type TruncatedCompletion } from './truncation';

/** The engine parts one generation uses. */
export interface GenerationEngine {
  scheduler: SeqScheduler;
  timeModel: TimeModelConfig;
  metrics: VllmMetrics;
  prefixCache: PrefixCache;
  now: () => number;
}

/** One prompt of a request as the prefix cache sees it. */
export interface PlannedPrompt {
  tokens: number;
  /** Chained hashes of its full blocks (`promptBlockHashes`). */
  blockHashes: string[];
}

/** One choice to generate: its index in the response and the text it will produce. */
export interface PlannedChoice {
  index: number;
  completion: TruncatedCompletion;
}

/** A planned generation. */
export interface GenerationPlan {
  model: string;
  promptTokens: number;
  /** The prompts' blocks for the prefix cache; without them nothing is cached and every prompt token is prefilled. */
  prompts?: PlannedPrompt[];
  /** KV-cache blocks the request holds while it runs (prompt and output); it waits until they are free. */
  kvBlocks?: number;
  choices: PlannedChoice[];
  /** Stop emitting after the first token and hold the slot until the client goes away (fault injection). */
  stall: boolean;
  /** When the request arrived (ms, engine clock); time to first token and latency include queueing, as in vLLM. */
  arrivalMs: number;
  signal: AbortSignal;
}

/** Receives tokens as they are produced; `onFirstStep` runs once, before the first tokens. */
export interface GenerationListener {
  onFirstStep?(): void;
  onToken?(choiceIndex: number, piece: string): void;
}

/** How a generation ended. */
export type GenerationOutcome = 'finished' | 'aborted';

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new RequestAbortedError();
  // Zero-latency mode must not even yield to timers, but should still notice a disconnect between requests.
  if (ms <= 0) return;
  try {
    await sleepFor(ms, undefined, { signal });
  } catch {
    throw new RequestAbortedError();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Looks the prompts up in the prefix cache and returns how many prompt tokens are served from it. */
function cachedPromptTokens(engine: GenerationEngine, plan: GenerationPlan): number {
  let cached = 0;
  for (const prompt of plan.prompts ?? []) {
    const blocks = engine.prefixCache.match(prompt.blockHashes);
    // As in vLLM, at least the last prompt token is always computed.
    cached += Math.min(blocks * engine.prefixCache.blockSize, Math.max(0, prompt.tokens - 1));
  }
  return cached;
}

/**
 * Runs one request through the engine: waits for a sequence slot and its KV blocks (FIFO), looks its prompt up in
 * the prefix cache, spends the modelled prefill time for the uncached tokens only, then
 * emits one token per choice per decode step at the modelled pace, recording vLLM's metrics along the way.
 * All choices of a request decode together, as vLLM batches a request's `n` sequences.
 */
export async function runGeneration(
  engine: GenerationEngine,
  plan: GenerationPlan,
  listener: GenerationListener = {},
): Promise<GenerationOutcome> {
  const { scheduler, timeModel, metrics, now } = engine;
  const { model, signal } = plan;
  let slot;
  try {
    slot = await scheduler.acquire(model, signal, plan.kvBlocks ?? 0);
  } catch (err) {
    if (!(err instanceof RequestAbortedError)) throw err;
    metrics.countFinished(model, 'abort');
    return 'aborted';
  }
  try {
    metrics.addPromptTokens(model, plan.promptTokens);
    const hits = cachedPromptTokens(engine, plan);
    metrics.countPrefixCacheLookup(model, plan.promptTokens, hits);
    const steps = Math.max(1, ...plan.choices.map((choice) => choice.completion.pieces.length));

    await pause(timeToFirstTokenMs(timeModel, plan.promptTokens - hits), signal);
    // The prefill's blocks become reusable once computed, as in vLLM (requests prefilling at the same time all miss).
    for (const prompt of plan.prompts ?? []) engine.prefixCache.insert(prompt.blockHashes);
    metrics.observeTimeToFirstToken(model, (now() - plan.arrivalMs) / 1000);
    listener.onFirstStep?.();

    if (!listener.onToken && !plan.stall) {
      // Nobody watches the tokens arrive (a non-streaming request): one timer for the whole decode keeps the same
      // timing without thousands of per-token timers, so the simulator's own CPU does not distort benchmarks.
      const perTokenMs = interTokenMs(timeModel, scheduler.runningCount);
      await pause(perTokenMs * (steps - 1), signal);
      for (let step = 1; step < steps; step++) metrics.observeTimePerOutputToken(model, perTokenMs / 1000);
      const emitted = plan.choices.reduce((sum, choice) => sum + choice.completion.pieces.length, 0);
      metrics.addGenerationTokens(model, emitted);
      metrics.observeEndToEnd(model, (now() - plan.arrivalMs) / 1000);
      for (const choice of plan.choices) metrics.countFinished(model, choice.completion.finishReason);
      return 'finished';
    }

    for (let step = 0; step < steps; step++) {
      if (step > 0) {
        const started = now();
        await pause(interTokenMs(timeModel, scheduler.runningCount), signal);
        metrics.observeTimePerOutputToken(model, (now() - started) / 1000);
      }
      let emitted = 0;
      for (const choice of plan.choices) {
        const piece = choice.completion.pieces[step];
        if (piece === undefined) continue;
        emitted += 1;
        listener.onToken?.(choice.index, piece);
      }
      metrics.addGenerationTokens(model, emitted);
      if (plan.stall) {
        await untilAborted(signal);
        throw new RequestAbortedError();
      }
    }

    metrics.observeEndToEnd(model, (now() - plan.arrivalMs) / 1000);
    for (const choice of plan.choices) metrics.countFinished(model, choice.completion.finishReason);
    return 'finished';
  } catch (err) {
    if (!(err instanceof RequestAbortedError)) throw err;
    metrics.countFinished(model, 'abort');
    return 'aborted';
  } finally {
    slot.release();
  }
}
