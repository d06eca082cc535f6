/**
 * Python's text forms that InterCode's observations and rewards are made of: `str()` of a row tuple, `repr()` of a
 * value, `round(x, 2)` and the `str()` of a reward. Observations are shown to the model, and row strings are what the
 * SQL reward compares and sorts, so they follow CPython exactly where our values allow.
 */

/** A cell as the sandbox returns it (mysql2: numbers, strings for DECIMAL/dates/big integers, null). */
export type PyCell = string | number | null;

/** `repr()` of a str: single quotes unless the text holds ' and no ", with CPython's escapes. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** `repr()` of a float or int as CPython prints it (`1.0`, `1e-05`, `inf`); `int` says the value is a Python int. */
export function pyNumberRepr(n: number, int = Number.isInteger(n) && !Object.is(n, -0) && Math.abs(n) < 1e16): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (int) return String(n);
  // JavaScript and CPython both print the shortest round-tripping digits; they differ in exponent form and ".0".
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mant, exp] = n.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(n);
  return s.includes('.') ? s : `${s}.0`;
}

/** `repr()` of one cell. */
export function pyCellRepr(v: PyCell): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return pyNumberRepr(v, Number.isInteger(v));
  return pyStrRepr(v);
}

/** `str()` of a row tuple: `('John', 12)`, `(1,)`, `()`. */
export function pyTupleRepr(row: readonly PyCell[]): string {
  if (row.length === 1) return `(${pyCellRepr(row[0]!)},)`;
  return `(${row.map(pyCellRepr).join(', ')})`;
}

/** `str()` of a list of row tuples, as an f-string renders a fetched result. */
export function pyRowsRepr(rows: readonly (readonly PyCell[])[]): string {
  return `[${rows.map(pyTupleRepr).join(', ')}]`;
}

/**
 * CPython's `round(x, 2)`: correctly rounded from the double's exact value, exact ties to even (0.125 → 0.12).
 * `toFixed(100)` gives the exact decimal expansion of any double below 1e21 that InterCode's rewards produce.
 */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const exact = Math.abs(x).toFixed(100);
  const [whole, frac] = exact.split('.') as [string, string];
  if (frac[2] === '5' && /^0*$/.test(frac.slice(3))) {
    const hundredths = BigInt(whole) * 100n + BigInt(frac.slice(0, 2));
    const rounded = hundredths % 2n === 0n ? hundredths : hundredths + 1n;
    const value = Number(rounded) / 100;
    return x < 0 ? -value : value;
  }
  return Number(x.toFixed(2));
}

// Python's str.isspace() also counts the information separators U+001C..U+001F (built from char codes: a literal
// control character in a regular expression reads as a mistake).
const PY_SPACE = `\\s${String.fromCharCode(0x1c)}-${String.fromCharCode(0x1f)}\\u0085`;
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');
/** Runs of whitespace as `str.split()` with no argument cuts at them. */
export const PY_WHITESPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'u');

/** CPython's `str.strip()` with no argument (whitespace as Python counts it). */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}
