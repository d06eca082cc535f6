// open-instruct eval/bbh: the first "the answer is X." in the output, else the whole output.
const ANSWER_IS = /[t|T]he answer is (.*?)\./;
// Python's string.punctuation, which HF `evaluate`'s exact_match removes with ignore_punctuation=True.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** The prediction the Lemur harness reads out of a BBH output. */
export function extractBbhAnswer(output: string): string {
  const found = ANSWER_IS.exec(output);
  return (found ? found[1]! : output).trim();
}

/**
 * exact_match(ignore_case, ignore_punctuation) as the harness computes it, except where stripping punctuation would
 * erase the answer itself: Dyck-language answers are brackets (every answer would equal every other), and
 * multi-step arithmetic would lose its minus sign (-11 would equal 11). Those two tasks compare case- and
 * space-insensitively with punctuation kept.
 */
export function bbhAnswersMatch(task: string, prediction: string, target: string): boolean {
  return normalise(task, prediction) === normalise(task, target);
}

function normalise(task: string, text: string): string {
  const lower = text.toLowerCase();
  const kept = task === 'dyck_languages' || task === 'multistep_arithmetic_two' ? lower : lower.replace(PUNCTUATION, '');
  return kept.replace(/\s+/g, ' ').trim();
}
