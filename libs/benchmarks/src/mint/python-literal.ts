/**
 * The subset of Python's `eval` that MINT's TheoremQA scorer meets in model answers: numbers (ints kept apart from
 * floats, as Python does), strings, True/False/None, lists, tuples, sets, unary and binary arithmetic. Anything else
 * raises, as it would upstream for names (`pi`, `math.exp`, `E`: NameError) and prose (SyntaxError); the few constructs
 * Python accepts but this does not (complex literals, dicts, calls) raise too and are named in the error.
 */
export type PyValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  | { type: 'none' }
  | { type: 'list' | 'tuple' | 'set'; items: PyValue[] };

/** Why an expression did not evaluate, named like the Python exception it stands for. */
export class PyEvalError extends Error {
  override readonly name = 'PyEvalError';
  constructor(
    readonly pythonError: 'SyntaxError' | 'NameError' | 'ZeroDivisionError' | 'TypeError' | 'Unsupported',
    message: string,
  ) {
    super(`${pythonError}: ${message}`);
  }
}

type Token = { kind: 'num'; text: string } | { kind: 'str'; value: string } | { kind: 'name'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

const OPERATORS = ['**', '//', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', ':', '.'];
const NUMBER = /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?)/;

/** Evaluates `source` as `eval(source)` would, within the subset above. */
export function evalPythonExpression(source: string): PyValue {
  const parser = new Parser(tokenize(source.replace(/^[ \t]+/, '')));
  return parser.parseAll();
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      i += 1;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      // A newline outside brackets ends the expression; only trailing blank lines may follow.
      if (depth === 0 && source.slice(i).trim() !== '') throw new PyEvalError('SyntaxError', 'more than one line');
      i += 1;
      continue;
    }
    if (ch === '\\' && source[i + 1] === '\n') {
      i += 2;
      continue;
    }
    const number = /[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(source[i + 1] ?? '')) ? NUMBER.exec(source.slice(i)) : null;
    if (number !== null) {
      const text = number[0];
      if (/^[A-Za-z_0-9]/.test(source[i + text.length] ?? '')) {
        throw new PyEvalError(/^[jJ]/.test(source[i + text.length] ?? '') ? 'Unsupported' : 'SyntaxError', `number literal ${source.slice(i, i + text.length + 1)}`);
      }
      if (/^0+[1-9]/.test(text.replaceAll('_', '')) && !/[.eE]/.test(text)) throw new PyEvalError('SyntaxError', 'leading zeros in an integer literal');
      tokens.push({ kind: 'num', text });
      i += text.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = readString(source, i);
      tokens.push({ kind: 'str', value });
      i = end;
      continue;
    }
    const name = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(source.slice(i));
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) throw new PyEvalError('SyntaxError', `unexpected character ${JSON.stringify(ch)}`);
    if (op === '(' || op === '[' || op === '{') depth += 1;
    if (op === ')' || op === ']' || op === '}') depth -= 1;
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\u0007', b: '\b', f: '\f', v: '\v', '\n': '' };

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start]!;
  if (source.startsWith(quote.repeat(3), start)) throw new PyEvalError('Unsupported', 'triple-quoted string');
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === quote) return { value, end: i + 1 };
    if (ch === '\n') break;
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      const escaped = ESCAPES[next];
      value += escaped ?? `\\${next}`;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  throw new PyEvalError('SyntaxError', 'unterminated string literal');
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): PyValue {
    if (this.peek().kind === 'end') throw new PyEvalError('SyntaxError', 'empty expression');
    const value = this.exprList(true);
    if (this.peek().kind !== 'end') throw new PyEvalError('SyntaxError', 'unexpected tokens after the expression');
    return value;
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private expect(text: string): void {
    if (!this.isOp(text)) throw new PyEvalError('SyntaxError', `expected "${text}"`);
    this.at += 1;
  }

  // expr (',' expr)* [','] : a bare comma list is a tuple, as at Python's top level and inside parentheses.
  private exprList(tupleOnComma: boolean): PyValue {
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.at += 1;
      if (this.startsExpr()) items.push(this.expr());
    }
    return tupleOnComma ? { type: 'tuple', items } : { type: 'list', items };
  }

  private startsExpr(): boolean {
    const t = this.peek();
    if (t.kind === 'end') return false;
    if (t.kind === 'op') return ['(', '[', '{', '-', '+'].includes(t.text);
    return true;
  }

  private items(close: string): PyValue[] {
    const items: PyValue[] = [];
    while (!this.isOp(close)) {
      items.push(this.expr());
      if (this.isOp(':')) throw new PyEvalError('Unsupported', 'dict display');
      if (!this.isOp(',')) break;
      this.at += 1;
    }
    this.expect(close);
    return items;
  }

  private expr(): PyValue {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.tokens[this.at++] as { text: string }).text;
      left = binary(op, left, this.term());
    }
    return left;
  }

  private term(): PyValue {
    let left = this.factor();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = (this.tokens[this.at++] as { text: string }).text;
      left = binary(op, left, this.factor());
    }
    return left;
  }

  private factor(): PyValue {
    if (this.isOp('-') || this.isOp('+')) {
      const op = (this.tokens[this.at++] as { text: string }).text;
      const operand = numeric(this.factor(), `unary ${op}`);
      return op === '-' ? { type: operand.type, value: operand.value === 0 && operand.type === 'int' ? 0 : -operand.value } : operand;
    }
    return this.power();
  }

  private power(): PyValue {
    const base = this.atom();
    if (!this.isOp('**')) return base;
    this.at += 1;
    return binary('**', base, this.factor());
  }

  private atom(): PyValue {
    const t = this.tokens[this.at++]!;
    let value: PyValue;
    if (t.kind === 'num') value = numberValue(t.text);
    else if (t.kind === 'str') {
      let text = t.value;
      while (this.peek().kind === 'str') text += (this.tokens[this.at++] as { value: string }).value;
      value = { type: 'str', value: text };
    } else if (t.kind === 'name') {
      if (t.text === 'True' || t.text === 'False') value = { type: 'bool', value: t.text === 'True' };
      else if (t.text === 'None') value = { type: 'none' };
      else throw new PyEvalError('NameError', `name '${t.text}' is not defined`);
    } else if (t.kind === 'op' && t.text === '(') {
      if (this.isOp(')')) {
        this.at += 1;
        value = { type: 'tuple', items: [] };
      } else {
        value = this.exprList(true);
        this.expect(')');
      }
    } else if (t.kind === 'op' && t.text === '[') value = { type: 'list', items: this.items(']') };
    else if (t.kind === 'op' && t.text === '{') {
      if (this.isOp('}')) throw new PyEvalError('Unsupported', 'dict display');
      value = { type: 'set', items: dedupe(this.items('}')) };
    } else throw new PyEvalError('SyntaxError', 'invalid syntax');
    if (this.isOp('(') || this.isOp('[') || this.isOp('.')) throw new PyEvalError('Unsupported', 'calls, subscripts and attributes');
    return value;
  }
}

function numberValue(text: string): PyValue {
  const clean = text.replaceAll('_', '');
  if (/[.eE]/.test(clean)) return { type: 'float', value: Number(clean) };
  return { type: 'int', value: Number(clean) };
}

function dedupe(items: PyValue[]): PyValue[] {
  const kept: PyValue[] = [];
  for (const item of items) if (!kept.some((k) => pyEquals(k, item))) kept.push(item);
  return kept;
}

type Numeric = { type: 'int' | 'float'; value: number };

function numeric(v: PyValue, what: string): Numeric {
  if (v.type === 'int' || v.type === 'float') return v;
  if (v.type === 'bool') return { type: 'int', value: v.value ? 1 : 0 };
  throw new PyEvalError('TypeError', `bad operand type for ${what}: '${v.type}'`);
}

function binary(op: string, l: PyValue, r: PyValue): PyValue {
  if (op === '+' && l.type === 'str' && r.type === 'str') return { type: 'str', value: l.value + r.value };
  if (op === '+' && (l.type === 'list' || l.type === 'tuple') && l.type === r.type) return { type: l.type, items: [...l.items, ...r.items] };
  const a = numeric(l, op);
  const b = numeric(r, op);
  const bothInt = a.type === 'int' && b.type === 'int';
  const result = (value: number): Numeric => ({ type: bothInt ? 'int' : 'float', value });
  switch (op) {
    case '+':
      return result(a.value + b.value);
    case '-':
      return result(a.value - b.value);
    case '*':
      return result(a.value * b.value);
    case '/':
      if (b.value === 0) throw new PyEvalError('ZeroDivisionError', 'division by zero');
      return { type: 'float', value: a.value / b.value };
    case '//':
      if (b.value === 0) throw new PyEvalError('ZeroDivisionError', 'integer division or modulo by zero');
      return result(Math.floor(a.value / b.value));
    case '%': {
      if (b.value === 0) throw new PyEvalError('ZeroDivisionError', 'integer division or modulo by zero');
      const m = a.value % b.value;
      return result(m !== 0 && m < 0 !== b.value < 0 ? m + b.value : m);
    }
    case '**':
      if (bothInt && b.value < 0) {
        if (a.value === 0) throw new PyEvalError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
        return { type: 'float', value: a.value ** b.value };
      }
      if (a.value < 0 && !Number.isInteger(b.value)) throw new PyEvalError('Unsupported', 'complex result of **');
      return result(a.value ** b.value);
    default:
      throw new PyEvalError('SyntaxError', `operator ${op}`);
  }
}

/** Python `==` for these values: numbers and bools compare by value (True == 1 == 1.0), sequences item by item. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const an = a.type === 'int' || a.type === 'float' || a.type === 'bool';
  const bn = b.type === 'int' || b.type === 'float' || b.type === 'bool';
  if (an && bn) return numeric(a, '==').value === numeric(b, '==').value;
  if (a.type === 'str' && b.type === 'str') return a.value === b.value;
  if (a.type === 'none' && b.type === 'none') return true;
  if ((a.type === 'list' || a.type === 'tuple') && a.type === b.type) {
    return a.items.length === b.items.length && a.items.every((item, i) => pyEquals(item, b.items[i]!));
  }
  if (a.type === 'set' && b.type === 'set') return a.items.length === b.items.length && a.items.every((x) => b.items.some((y) => pyEquals(x, y)));
  return false;
}
