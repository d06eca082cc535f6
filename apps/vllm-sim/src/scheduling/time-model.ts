/** Latency parameters of the simulated engine, in milliseconds. */
export interface TimeModelConfig {
  /** Fixed part of the time to first token (scheduling + prefill overhead). */
  ttftBaseMs: number;
  /** Prefill cost per prompt token not found in the prefix cache. */
  ttftPerPromptTokenMs: number;
  /** Time per output token after the first, for a lone sequence. */
  tpotMs: number;
  /** Extra fraction of tpot per additional running sequence: a crude model of batched decoding slowing down. */
  batchSlowdownPerSeq: number;
}

/** Defaults small enough for interactive development. */
export const DEFAULT_TIME_MODEL: TimeModelConfig = {
  ttftBaseMs: 20,
  ttftPerPromptTokenMs: 0.02,
  tpotMs: 2,
  batchSlowdownPerSeq: 0.01,
};

/** Zero latency everywhere, for tests. */
export const FAST_TIME_MODEL: TimeModelConfig = { ttftBaseMs: 0, ttftPerPromptTokenMs: 0, tpotMs: 0, batchSlowdownPerSeq: 0 };

/** Time from admission to the first output token; `promptTokens` are the ones to prefill (not served from the prefix cache). */
export function timeToFirstTokenMs(config: TimeModelConfig, promptTokens: number): number {
  return Math.max(0, config.ttftBaseMs + config.ttftPerPromptTokenMs * Math.max(0, promptTokens));
}

/** Time between two output tokens while `runningSeqs` sequences share the engine. */
export function interTokenMs(config: TimeModelConfig, runningSeqs: number): number {
  return Math.max(0, config.tpotMs * (1 + config.batchSlowdownPerSeq * Math.max(0, runningSeqs - 1)));
}

/** Modelled end-to-end generation time once admitted, ignoring queueing (used by capacity estimates and tests). */
export function generationTimeMs(config: TimeModelConfig, promptTokens: number, outputTokens: number, runningSeqs = 1): number {
  if (outputTokens <= 0) return timeToFirstTokenMs(config, promptTokens);
  return timeToFirstTokenMs(config, promptTokens) + (outputTokens - 1) * interTokenMs(config, runningSeqs);
}
