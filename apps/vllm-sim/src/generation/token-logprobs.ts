/** The completions API's `logprobs` object, as vLLM fills it (one entry per token in every list). */
export interface CompletionLogprobs {
  text_offset: number[];
  token_logprobs: (number | null)[];
  tokens: string[];
  top_logprobs: (Record<string, number> | null)[];
}

// The simulated model is sure of its own answer: the emitted token gets 0.9 and the alternatives share the rest,
// halving down the ranks, so every distribution sums below 1 and the emitted token always ranks first (greedy).
const EMITTED = Math.log(0.9);
const alternativeLogprob = (rank: number): number => Math.log(0.1 * 0.5 ** (rank + 1));

// Tokens the alternatives are drawn from after the ones derived from the emitted token, in rank order.
const FILLERS = [' the', ',', '.', '\n', ' a', ' to', ' of', ' and', ' is', ' in', ' that', ' I', ' it', ' for', ' The', ' be', ' on', ' with', ' as', ' not'];

const LETTER = /^(\s?)([A-E])$/;

/**
 * The alternatives a simulated model weighs at one position, most likely first, never the emitted token: for an
 * option letter (" B", "C") the other option letters in the same form, so a multiple-choice answer's runner-up is
 * another option (and the emitted letter is the most likely one, right for the oracle and wrong for the wrong model);
 * then the token with its leading space toggled, then common filler tokens.
 */
export function alternativesOf(token: string): string[] {
  const out: string[] = [];
  const add = (candidate: string): void => {
    if (candidate !== token && candidate !== '' && !out.includes(candidate)) out.push(candidate);
  };
  const letter = LETTER.exec(token);
  if (letter) for (const other of 'ABCD') add(`${letter[1]}${other}`);
  add(token.startsWith(' ') ? token.slice(1) : ` ${token.trimStart()}`);
  for (const filler of FILLERS) add(filler);
  return out;
}

/** One position's `top_logprobs`: the emitted token and `top - 1` alternatives (vLLM's `logprobs` N gives N here at greedy). */
function topAt(token: string, top: number): Record<string, number> {
  const entries: Record<string, number> = { [token]: EMITTED };
  alternativesOf(token)
    .slice(0, Math.max(0, top - 1))
    .forEach((alternative, rank) => (entries[alternative] = alternativeLogprob(rank)));
  return entries;
}

/**
 * `logprobs` for generated tokens, with `top` alternatives per position; offsets count from `startOffset` (a stream
 * chunk's: the choice's text so far). With `echoedPrompt`, the prompt's tokens come first and offsets count from the
 * prompt's start; its first token has no log-probability (null, as in vLLM).
 */
export function completionLogprobs(
  generated: readonly string[],
  top: number,
  opts: { echoedPrompt?: readonly string[]; startOffset?: number } = {},
): CompletionLogprobs {
  const result: CompletionLogprobs = { text_offset: [], token_logprobs: [], tokens: [], top_logprobs: [] };
  let offset = opts.startOffset ?? 0;
  const push = (token: string, scored: boolean): void => {
    result.tokens.push(token);
    result.text_offset.push(offset);
    result.token_logprobs.push(scored ? EMITTED : null);
    result.top_logprobs.push(scored ? topAt(token, top) : null);
    offset += token.length;
  };
  (opts.echoedPrompt ?? []).forEach((token, i) => push(token, i > 0));
  for (const token of generated) push(token, true);
  return result;
}
