import { createHash } from 'node:crypto';
import type { GenerationParams, UpstreamChoice } from '../upstream/openai-upstream';

/** A finished completion as the cache keeps it (with each choice's log-probabilities when they were asked for). */
export interface CachedCompletion {
  choices: UpstreamChoice[];
  usage: { promptTokens: number; completionTokens: number };
}

/** The parts of a request that decide its completion; anything else (team, priority, session) must not split the cache. */
export interface CacheKeyInput extends GenerationParams {
  revision: string;
  noCache?: boolean;
}

/** Only deterministic requests are cached: greedy decoding or a fixed seed, and not opted out. */
export function isCacheable(input: CacheKeyInput): boolean {
  return !input.noCache && (input.temperature === 0 || input.seed !== undefined);
}

/**
 * sha256 over a fixed-order JSON of the deciding fields (a new field gets a new key, never a stale hit). Log-probability
 * requests are keyed apart, by how many alternatives they asked for, and so are penalties and logit bias (they change
 * the answer even at temperature 0); a request without them keeps the key it always had, so existing entries stay valid.
 */
export function cacheKeyOf(input: CacheKeyInput): string {
  const canonical = JSON.stringify([
    'v1',
    input.model,
    input.revision,
    input.prompt ?? null,
    input.messages?.map((m) => [m.role, m.content]) ?? null,
    input.maxTokens,
    input.temperature,
    input.topP,
    input.stop,
    input.seed ?? null,
    input.n,
    ...(input.logprobs !== undefined ? [['logprobs', input.logprobs]] : []),
    ...(input.presencePenalty !== undefined ? [['presence_penalty', input.presencePenalty]] : []),
    ...(input.frequencyPenalty !== undefined ? [['frequency_penalty', input.frequencyPenalty]] : []),
    // Sorted: the same biases given in another order are the same request.
    ...(input.logitBias !== undefined ? [['logit_bias', Object.entries(input.logitBias).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
