/** The answer letters of a four-option MMLU question, in option order. */
export const MMLU_LETTERS = ['A', 'B', 'C', 'D'] as const;

/** One of the four answer letters. */
export type MmluLetter = (typeof MMLU_LETTERS)[number];

// Most specific first: an explicit "answer is X" (so "A good guess: the answer is C" reads C), then a bare leading
// letter ("B", "(B)", "B.", "B) ...").
const ANSWER_IS = /answer(?: is)?\s*[:-]?\s*\(?([ABCD])\)?(?![A-Za-z])/i;
const LEADING = /^\(?([ABCD])(?:[).:,]|\s|$)/;

/**
 * The option letter a model chose, from a generated answer (the harness reads the next-token likelihood of A-D; a
 * chat endpoint without logprobs answers in words, so this reads "B", " B.", "(B) 42", "The answer is: B").
 */
export function extractMmluLetter(completion: string): MmluLetter | undefined {
  const text = completion.trim();
  const found = ANSWER_IS.exec(text) ?? LEADING.exec(text);
  return found ? (found[1]!.toUpperCase() as MmluLetter) : undefined;
}
