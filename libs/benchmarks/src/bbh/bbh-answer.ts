// Chain of thought (open-instruct eval/bbh): the first "the answer is X." in the output, else the whole output.
const ANSWER_IS = /[t|T]he answer is (.*?)\./;
// Answer only (the Lemur harness's eval_hf_model, which its bbh.sh runs with --no_cot): Python's re.search of
// `(.*?)\.`, whose `.` stops at a newline only, hence `[^\n]`.
const UP_TO_FIRST_PERIOD = /([^\n]*?)\./;
// Its multiple-choice option, read from a prediction holding "(" and ")" but no "[" or "]" (Dyck answers do).
const OPTION = /\(\w\)/;
// Python's string.punctuation, which HF `evaluate`'s exact_match removes with ignore_punctuation=True.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Sentence punctuation closing an answer; no Dyck or arithmetic answer ends with it.
const CLOSING_PUNCTUATION = /[.,;:!?]+$/;

/** Which BBH prompt variant produced an output: chain-of-thought exemplars, or answer-only ones (`--no_cot`). */
export type BbhVariant = 'cot' | 'direct';

/** The prediction the Lemur harness reads out of a BBH output, for the prompt variant that produced it. */
export function extractBbhAnswer(output: string, variant: BbhVariant): string {
  if (variant === 'cot') {
    const found = ANSWER_IS.exec(output);
    return (found ? found[1]! : output).trim();
  }
  // The harness stops answer-only generation at the first newline, so it reads the first line only; a chat run has no
  // stop strings, and leading blank lines or what follows the answer's line must not change the reading.
  const line = output.trim().split('\n', 1)[0]!.trim();
  const found = UP_TO_FIRST_PERIOD.exec(line);
  const prediction = (found ? found[1]! : line).trim();
  if (prediction.includes('(') && prediction.includes(')') && !prediction.includes('[') && !prediction.includes(']')) {
    return OPTION.exec(prediction)?.[0] ?? prediction;
  }
  return prediction;
}

/**
 * exact_match(ignore_case, ignore_punctuation) as the harness computes it, except where stripping punctuation would
 * erase the answer itself: Dyck-language answers are brackets (every answer would equal every other), and
 * multi-step arithmetic would lose its minus sign (-11 would equal 11). Those two tasks compare case- and
 * space-insensitively with punctuation kept, but for closing sentence punctuation ("-24." and "-24!" are -24).
 */
export function bbhAnswersMatch(task: string, prediction: string, target: string): boolean {
  return normalise(task, prediction) === normalise(task, target);
}

function normalise(task: string, text: string): string {
  const lower = text.toLowerCase().trim();
  const kept = task === 'dyck_languages' || task === 'multistep_arithmetic_two' ? lower.replace(CLOSING_PUNCTUATION, '') : lower.replace(PUNCTUATION, '');
  return kept.replace(/\s+/g, ' ').trim();
}
