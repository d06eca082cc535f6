// A signed decimal, optionally with a currency sign on either side of the minus ("$-5", "-$5").
const NUMBER = String.raw`(-?)\$?(-?)(\d+(?:\.\d+)?|\.\d+)`;
const MARKED_NUMBER = new RegExp(String.raw`(?:####|answer is|answer:)\s*[:=]?\s*(?:\*\*)?\s*(?:\\boxed\{)?\s*` + NUMBER, 'gi');
const ANY_NUMBER = new RegExp(NUMBER, 'g');

/**
 * The final numeric answer in a GSM8K completion, normalised ('1234.5', '-3'), or undefined when there is no number.
 * Prefers the last explicit marker ('#### X', 'the answer is X', 'Answer: X'), else the last number, as open-instruct does.
 */
export function extractGsm8kAnswer(completion: string): string | undefined {
  // A model that ignored the stop sequence goes on to invent the next question; its numbers are not the answer.
  const cut = completion.split('\n\nQuestion:')[0] ?? '';
  const text = cut.replace(/\u2212/g, '-').replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const marked = lastMatch(text, MARKED_NUMBER);
  const match = marked ?? lastMatch(text, ANY_NUMBER);
  if (match === undefined) return undefined;
  const negative = match[1] === '-' || match[2] === '-';
  return normaliseNumber(`${negative ? '-' : ''}${match[3] ?? ''}`);
}

/** The reference answer of a GSM8K item: the number after '####', commas removed. */
export function gsm8kReferenceAnswer(datasetAnswer: string): string | undefined {
  const parts = datasetAnswer.split('####');
  if (parts.length !== 2) return undefined;
  const value = (parts[1] ?? '').trim().replace(/,/g, '');
  return /^-?(\d+(\.\d+)?|\.\d+)$/.test(value) ? normaliseNumber(value) : undefined;
}

/** Numeric equality of two answers: '18' equals '18.00'; the tolerance is absolute so 1450001 never equals 1450000. */
export function gsm8kAnswersEqual(predicted: string, reference: string): boolean {
  const a = Number(predicted);
  const b = Number(reference);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-6;
}

function lastMatch(text: string, pattern: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const m of text.matchAll(pattern)) last = m as RegExpExecArray;
  return last;
}

function normaliseNumber(value: string): string {
  const n = Number(value);
  return Number.isFinite(n) ? String(n === 0 ? 0 : n) : value;
}
