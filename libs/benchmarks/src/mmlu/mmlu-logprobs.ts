import { type TokenLogprob } from '../benchmark';
import { MMLU_LETTERS, type MmluLetter } from './mmlu-answer';

/** The letter the model likes best, and each letter's log-probability (null when it is not among the candidates). */
export interface MmluLetterChoice {
  letter: MmluLetter | undefined;
  logprobs: Record<MmluLetter, number | null>;
}

// What a letter token looks like after "Answer:": " A" as servers decode it (vLLM today), or raw vocabulary pieces
// with the space marker of SentencePiece ("▁A", Llama) or byte-level BPE ("ĠA", GPT-2), which older vLLM builds
// returned; a bare "A" is the same answer from a tokenizer that emits the space separately. Lowercase is deliberately
// not a letter: " a" after "Answer:" is the article, and the harness compares the capital letters only.
const LETTER_TOKEN = /^(?: |\u2581|\u0120)?([ABCD])$/;

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  return max + Math.log(values.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

/**
 * The answer letter with the highest next-token log-probability among `candidates`, as the Lemur harness
 * (open-instruct eval/mmlu) picks it: argmax over A-D, the first letter winning a tie (torch.argmax). Every form of one
 * letter (" A", "A", "▁A") adds up (log-sum-exp), being one answer. A letter missing from the top candidates is less
 * likely than every candidate shown, so the choice among the letters shown is exactly the harness's; with no letter
 * shown at all there is no choice (`letter` undefined). Non-finite log-probabilities are ignored.
 */
export function selectMmluLetter(candidates: readonly TokenLogprob[]): MmluLetterChoice {
  const forms = new Map<MmluLetter, Map<string, number>>();
  for (const { token, logprob } of candidates) {
    const letter = LETTER_TOKEN.exec(token)?.[1] as MmluLetter | undefined;
    if (letter === undefined || !Number.isFinite(logprob)) continue;
    const seen = forms.get(letter) ?? new Map<string, number>();
    // A token listed twice (the sampled token beside the top-k) counts once.
    seen.set(token, Math.max(seen.get(token) ?? -Infinity, logprob));
    forms.set(letter, seen);
  }
  const logprobs = { A: null, B: null, C: null, D: null } as Record<MmluLetter, number | null>;
  let letter: MmluLetter | undefined;
  for (const l of MMLU_LETTERS) {
    const seen = forms.get(l);
    if (seen === undefined) continue;
    const value = logSumExp([...seen.values()]);
    logprobs[l] = value;
    if (letter === undefined || value > logprobs[letter]!) letter = l;
  }
  return { letter, logprobs };
}
