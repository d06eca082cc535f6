import { MintScorerError } from './mint-scorer-error';
import { pyStrip } from './mint-tasks';

const DIGITS = String.raw`\d(?:_?\d)*`;
const PY_FLOAT = new RegExp(String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`, 'i');
// str.isdigit(): decimal digits plus the superscript/subscript digits Unicode gives a digit value.
const PY_ISDIGIT = /^[\p{Nd}\u00B2\u00B3\u00B9\u2070\u2074-\u2079\u2080-\u2089]+$/u;

/** Python's `float(text)`, or undefined where it raises ValueError. */
export function pyFloat(text: string): number | undefined {
  const s = pyStrip(text);
  if (!PY_FLOAT.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(lower.replaceAll('_', ''));
}

/**
 * Which version of MINT's scoring rules to apply. `published` is what produced the published trajectories and the
 * paper's numbers; `latest` is mint-bench at MINT_COMMIT, which fixed two bugs (see each scorer).
 */
export type MintScoringRules = 'published' | 'latest';

/**
 * ReasoningTask.success (GSM8K, MATH, HotpotQA): both lower-cased and stripped; when both parse as floats the answer
 * passes within 5% of the reference, otherwise when the reference is a substring of the answer. Under the `published`
 * rules the tolerance is `0.05 * ref` without abs() (as in the release MINT code, preserved in xingyaoww/code-act's
 * copy), so a negative reference never passes numerically: "-4" against "-4.0" fails, as the published runs show.
 */
export function reasoningTaskSuccess(reference: string, solution: string, rules: MintScoringRules = 'published'): boolean {
  const ref = pyStrip(reference).toLowerCase();
  const answer = pyStrip(solution.toLowerCase());
  const refNumber = pyFloat(ref);
  const ansNumber = pyFloat(answer);
  if (refNumber === undefined || ansNumber === undefined) return answer.includes(ref);
  return Math.abs(refNumber - ansNumber) <= 0.05 * (rules === 'latest' ? Math.abs(refNumber) : refNumber);
}

/** MultipleChoiceTask.extract_options: the letter → option text map read from the prompt's "Options: A ) x , B ) y". */
export function extractMultipleChoiceOptions(prompt: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const raw of prompt.split('Options: ').at(-1)!.split(' , ')) {
    const parts = pyStrip(raw, "[]' ").split(')');
    if (parts.length < 2) throw new MintScorerError(`IndexError: option "${raw}" has no ")"`);
    const letter = pyStrip(parts[0]!.toLowerCase());
    // Only the text up to the option's next ")" is kept, as upstream's split(")")[1] does.
    const content = pyStrip(
      pyStrip(parts[1]!.toLowerCase(), '.').replaceAll('. Which option is correct?', '').replaceAll('. Which one is correct?', ''),
    );
    options.set(letter, content);
  }
  return options;
}

/**
 * MultipleChoiceTask.success (MINT's MMLU): the answer passes when it contains the reference letter (or equals it
 * numerically); otherwise it fails if it contains a wrong option's text and passes if it contains the correct one's.
 * The quirks are upstream's: extract_answer only ever looks for "a)", and the wrong-option filter mutates the list
 * it iterates over.
 */
export function multipleChoiceTaskSuccess(prompt: string, reference: string, solution: string): boolean {
  const ref = pyStrip(reference).toLowerCase();
  const options = extractMultipleChoiceOptions(prompt);
  const answer = extractMultipleChoiceAnswer(solution);
  if (mcCompareWithDigits(ref, answer)) return true;
  const correct = options.get(ref);
  if (correct === undefined) throw new MintScorerError(`KeyError: '${ref}'`);
  const wrong = [...options.values()];
  // Python's `for i in lst: ... lst.remove(i)`: the iterator's index keeps counting, so the item after a removal is skipped.
  for (let index = 0; index < wrong.length; index += 1) {
    const option = wrong[index]!;
    if (correct.includes(option)) wrong.splice(wrong.indexOf(option), 1);
  }
  for (const option of wrong) {
    if (mcCompareWithDigits(option, answer) || answer.includes(option)) return false;
  }
  return mcCompareWithDigits(correct, answer) || answer.includes(correct);
}

/** MultipleChoiceTask.extract_answer: "a" when the answer contains "a)" or "a )", else the whole lower-cased answer. */
export function extractMultipleChoiceAnswer(solution: string): string {
  const s = pyStrip(solution.toLowerCase());
  // The upstream loop over "abc...z" returns on its first iteration, so only the letter a is ever extracted.
  return s.includes('a)') || s.includes('a )') ? 'a' : s;
}

function mcCompareWithDigits(reference: string, answer: string): boolean {
  if (PY_ISDIGIT.test(reference) && PY_ISDIGIT.test(answer)) {
    const ref = pyFloat(reference);
    const ans = pyFloat(answer);
    if (ref === undefined || ans === undefined) throw new MintScorerError(`ValueError: could not convert string to float: '${ref === undefined ? reference : answer}'`);
    return Math.abs(ref - ans) <= 0.05 * ref;
  }
  return answer.includes(reference);
}
