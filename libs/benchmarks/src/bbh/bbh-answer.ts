// The Lemur harness is OpenLemur/Lemur xchat/eval/bbh/run_eval.py. Python's `.` stops at "\n" only, hence `[^\n]`.
// Its chain-of-thought reading (eval_openai_chat_engine): the first "So the answer is X.", else the whole output.
const SO_THE_ANSWER_IS = /So the answer is ([^\n]*?)\./;
// Its answer-only reading (eval_hf_model, which scripts/eval/bbh.sh runs with --no_cot): the output's first paragraph
// up to its first period, and from an answer with parentheses (but no brackets, as Dyck answers have) the option "(X)".
const UP_TO_FIRST_PERIOD = /([^\n]*?)\./;
const OPTION = /\(\w\)/;
// Python's string.punctuation, which HF `evaluate`'s exact_match removes with ignore_punctuation=True.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const SENTENCE_PERIOD = /\.\s*$/;

/** Which of the two BBH prompt variants produced the output: chain of thought, or answer only (`--no_cot`). */
export type BbhVariant = 'cot' | 'direct';

/** The prediction the Lemur harness reads out of a BBH output, for the variant that produced it. */
export function extractBbhAnswer(output: string, variant: BbhVariant): string {
  if (variant === 'cot') {
    const found = SO_THE_ANSWER_IS.exec(output);
    return (found ? found[1]! : output).trim();
  }
  const paragraph = output.trim().split('\n\n', 1)[0]!.trim();
  const found = UP_TO_FIRST_PERIOD.exec(paragraph);
  const prediction = (found ? found[1]! : paragraph).trim();
  if (prediction.includes('(') && prediction.includes(')') && !prediction.includes('[') && !prediction.includes(']')) {
    return OPTION.exec(prediction)?.[0] ?? prediction;
  }
  return prediction;
}

/**
 * exact_match(ignore_case, ignore_punctuation) as the harness computes it, except where stripping punctuation would
 * erase the answer itself: Dyck-language answers are brackets (every answer would equal every other), and
 * multi-step arithmetic would lose its minus sign (-11 would equal 11). Those two tasks compare case- and
 * space-insensitively with punctuation kept but for a closing sentence period ("-24." is the answer -24, as the
 * exemplars write it), which neither task's answers contain.
 */
export function bbhAnswersMatch(task: string, prediction: string, target: string): boolean {
  return normalise(task, prediction) === normalise(task, target);
}

function normalise(task: string, text: string): string {
  const lower = text.toLowerCase();
  const kept = task === 'dyck_languages' || task === 'multistep_arithmetic_two' ? lower.replace(SENTENCE_PERIOD, '') : lower.replace(PUNCTUATION, '');
  return kept.replace(/\s+/g, ' ').trim();
}
