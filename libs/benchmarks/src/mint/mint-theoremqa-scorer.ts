import { type MintScoringRules } from './mint-reasoning-scorer';
import { MintScorerError } from './mint-scorer-error';
import { pyStrip, type TheoremqaAnswerType, type TheoremqaReference } from './mint-tasks';
import { evalPythonExpression, PyEvalError, pyEquals, type PyValue } from './python-literal';

// Python's `$` (without MULTILINE) also matches just before a final newline; \d is Unicode in Python 3 str patterns.
const END = String.raw`(?=\n?$)`;
const D = String.raw`\p{Nd}`;
const NUM = String.raw`[-+]?(?:[${D},]*\.*${D}+)`;
const UNIT_AFTER = { match: new RegExp(String.raw`^${NUM} [^0-9 ]+${END}`, 'u'), pick: new RegExp(String.raw`(${NUM}) [^0-9 ]+${END}`, 'u') };
const UNIT_BEFORE = { match: new RegExp(String.raw`^[^0-9 ]+ ${NUM}${END}`, 'u'), pick: new RegExp(String.raw`[^0-9 ]+ (${NUM})${END}`, 'u') };
const SUFFIX = { match: new RegExp(String.raw`^${NUM}[^${D}]{1,2}${END}`, 'u'), pick: new RegExp(String.raw`(${NUM})[^${D}]{1,2}${END}`, 'u') };
const PREFIX = {
  match: new RegExp(String.raw`^[^-+${D}]{1,2}(?:[${D},]*\.*${D}+)${END}`, 'u'),
  pick: new RegExp(String.raw`[^-+${D}]{1,2}((?:[${D},]*\.*${D}+))${END}`, 'u'),
};
const IS_NUMBER = new RegExp(String.raw`^[-+]?(${D}{1,3}(,${D}{3})*|(${D}+))(\.${D}+)?${END}`, 'u');

/**
 * The string TheoremqaTask.extract_answer hands to `eval`. Under the `published` rules the option stage ("a)" → "(a)")
 * is absent: in every published run no option answer was ever accepted, not even the correct letter (GPT-4's feedback
 * remarks on it), which is what evaluating "c) ..." without that stage gives (SyntaxError, so wrong). The stage is in
 * mint-bench at MINT_COMMIT (`latest`). (TheoremQA's predict_accuracy.py normalisation as MINT
 * copied it): last "=" or "≈" part, units and symbols dropped, booleans and options canonicalised.
 */
export function normalizeTheoremqaAnswer(solution: string, rules: MintScoringRules = 'published'): string {
  let p = solution;
  if (p.includes('=')) p = pyStrip(p.split('=').at(-1)!);
  if (p.includes('≈')) p = pyStrip(p.split('≈').at(-1)!);
  p = p.replaceAll('`', '').replaceAll('$', '').replaceAll('°', '');
  if (['true', 'yes', 'false', 'no'].includes(p)) p = p === 'true' || p === 'yes' ? 'True' : 'False';
  if (p.includes('True') || p.includes('False')) p = p.includes('True') ? 'True' : 'False';
  if (p.includes('approximately')) p = pyStrip(p.replaceAll('approximately', ''));
  if (p.includes(' or ')) p = p.split(' or ')[0]!;
  for (const rule of [UNIT_AFTER, UNIT_BEFORE, SUFFIX, PREFIX]) {
    if (rule.match.test(p)) p = rule.pick.exec(p)![1]!;
  }
  if (p.includes('10^')) p = p.replace(new RegExp(String.raw`10\^(-?${D}+)`, 'gu'), 'math.pow(10, $1)');
  if (p.includes(' x ')) p = p.replaceAll(' x ', '*');
  if (p.includes(' × ')) p = p.replaceAll(' × ', '*');
  if (IS_NUMBER.test(p)) p = p.replaceAll(',', '');
  if (rules === 'latest') {
    for (const letter of ['a', 'b', 'c', 'd']) {
      if (p.includes(`${letter})`) || p.includes(`${letter} )`) || pyStrip(p.toLowerCase()) === letter) p = `(${letter})`;
    }
    if (p.includes('(a)') || p.includes('(b)') || p.includes('(c)') || p.includes('(d)')) p = `"${/\([a-d]\)/.exec(p)![0]}"`;
  }
  return p === '' ? '0' : p;
}

/** The parsed prediction, or null where upstream's `eval` raised (the answer is then wrong). */
export function extractTheoremqaAnswer(solution: string, rules: MintScoringRules = 'published'): PyValue | null {
  let value: PyValue;
  try {
    value = evalPythonExpression(normalizeTheoremqaAnswer(solution, rules));
  } catch (error) {
    if (error instanceof PyEvalError) return null;
    throw error;
  }
  if (value.type === 'tuple' || value.type === 'set') {
    // Upstream reads prediction[0] to look for complex/Rational items; an empty tuple raises IndexError there.
    if (value.items.length === 0) throw new MintScorerError('IndexError: list index out of range');
    return { type: 'list', items: value.items };
  }
  return value;
}

/** TheoremqaTask.success: bools and options by equality, numbers within 4% (floats) or by round (ints), lists sorted. */
export function theoremqaSuccess(reference: TheoremqaReference, answerType: TheoremqaAnswerType, solution: string, rules: MintScoringRules = 'published'): boolean {
  const prediction = extractTheoremqaAnswer(solution, rules);
  if (prediction === null || !['str', 'int', 'float', 'bool', 'list'].includes(prediction.type)) return false;
  switch (answerType) {
    case 'bool':
    case 'option': {
      const gt = toPy(reference, false);
      const gtText: PyValue = { type: 'str', value: `(${pyStr(gt)})` };
      return pyEquals(prediction, gtText) || pyEquals(prediction, gt);
    }
    case 'integer':
    case 'float':
      return compareTwoNumbers(prediction, toPy(reference, answerType === 'float'));
    case 'list of integer':
    case 'list of float':
      return compareTwoList(prediction, toPy(reference, answerType === 'list of float'));
  }
}

function toPy(reference: TheoremqaReference, float: boolean): PyValue {
  if (Array.isArray(reference)) return { type: 'list', items: reference.map((v) => toPy(v, float)) };
  if (typeof reference === 'boolean') return { type: 'bool', value: reference };
  if (typeof reference === 'string') return { type: 'str', value: reference };
  return { type: float ? 'float' : 'int', value: reference };
}

// Python's str() of a bool or option reference, for the f"({gt})" comparison.
function pyStr(value: PyValue): string {
  if (value.type === 'bool') return value.value ? 'True' : 'False';
  return value.type === 'str' ? value.value : String((value as { value?: unknown }).value);
}

function compareTwoNumbers(p: PyValue, gt: PyValue): boolean {
  let value: number;
  if (p.type === 'int' || p.type === 'float') value = p.value;
  else if (p.type === 'bool') value = p.value ? 1 : 0;
  else if (p.type === 'list' || p.type === 'str' || p.type === 'tuple') return false;
  else throw new MintScorerError(`ValueError: ${p.type}`);
  if (gt.type === 'float') return withinEps(value, gt.value);
  return gt.type === 'int' && pyRound(value) === gt.value;
}

function compareTwoList(pred: PyValue, gt: PyValue): boolean {
  if (pred.type !== 'list' || gt.type !== 'list') return false;
  if (pred.items.length !== gt.items.length) return false;
  if (pred.items.some((x) => x.type !== 'int' && x.type !== 'float' && x.type !== 'bool')) return false;
  const sortedPred = [...pred.items].sort((a, b) => asNumber(a) - asNumber(b));
  const sortedGt = [...gt.items].sort((a, b) => asNumber(a) - asNumber(b));
  return sortedPred.every((p, i) => compareTwoNumbers(p, sortedGt[i]!));
}

function asNumber(v: PyValue): number {
  if (v.type === 'int' || v.type === 'float') return v.value;
  return v.type === 'bool' && v.value ? 1 : 0;
}

function withinEps(pred: number, gt: number): boolean {
  const eps = Math.abs(gt) * 0.04;
  return pred >= gt - eps && pred <= gt + eps;
}

/** Python 3 `round(x)`: to the nearest integer, ties to even; infinities and NaN raise as in Python. */
export function pyRound(x: number): number {
  if (!Number.isFinite(x)) throw new MintScorerError(Number.isNaN(x) ? 'ValueError: cannot convert float NaN to integer' : 'OverflowError: cannot convert float infinity to integer');
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
