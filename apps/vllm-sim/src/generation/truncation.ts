import { tokenize } from '../tokens/tokenizer';

/** Why a choice stopped, as vLLM reports it. */
export type FinishReason = 'stop' | 'length';

/** The part of a completion the client receives, cut the way vLLM cuts it. */
export interface TruncatedCompletion {
  text: string;
  pieces: string[];
  finishReason: FinishReason;
  /** The stop string that ended generation, or null at a natural end or length limit (vLLM's `stop_reason`). */
  stopReason: string | null;
}

/**
 * Applies stop strings and max_tokens to a full answer. vLLM checks stop strings as text is generated, so a stop
 * string only wins when it is complete within the first max_tokens tokens; the stop text itself is not returned.
 */
export function truncateCompletion(fullText: string, stop: readonly string[], maxTokens: number): TruncatedCompletion {
  const allPieces = tokenize(fullText);
  const withinLimit = allPieces.length > maxTokens ? allPieces.slice(0, maxTokens).join('') : fullText;

  let cutAt = -1;
  let matched: string | null = null;
  for (const candidate of stop) {
    if (candidate === '') continue;
    const at = withinLimit.indexOf(candidate);
    if (at !== -1 && (cutAt === -1 || at < cutAt)) {
      cutAt = at;
      matched = candidate;
    }
  }
  if (matched !== null) {
    const text = fullText.slice(0, cutAt);
    return { text, pieces: tokenize(text), finishReason: 'stop', stopReason: matched };
  }
  if (allPieces.length > maxTokens) {
    return { text: withinLimit, pieces: allPieces.slice(0, maxTokens), finishReason: 'length', stopReason: null };
  }
  return { text: fullText, pieces: allPieces, finishReason: 'stop', stopReason: null };
}
