import { pyNumberRepr, pyStrip, pyStrRepr } from '../intercode/intercode-python';
import { evalPythonExpression, type PyValue } from '../mint/python-literal';
import { type WebarenaAction } from './webarena-action';

// How OpenLemur/webarena's `--setting codegen` agent reads a model's answer (agent/agent.py PromptAgent.next_action
// with max_retry 1): CoTPromptConstructor._extract_action takes the first ```...``` span, and
// create_id_based_action(action_str, "codegen") names the action by the text before "(" and eval()s the whole string
// against local functions that return their arguments. Every failure gives the no-op `none` action, except `stop`,
// whose failures all give stop("").

/** The Python functions the codegen prompt teaches, with their parameters as upstream's local functions name them. */
const SIGNATURES: Readonly<Record<string, readonly string[]>> = {
  click: ['id'],
  hover: ['id'],
  type: ['id', 'content', 'press_enter_after'],
  press: ['key_comb'],
  scroll: ['direction'],
  tab_focus: ['tab_index'],
  goto: ['url'],
  stop: ['answer'],
};

/** Actions upstream builds from their name alone, without eval (`go_back(1)` and `go_back` are both go_back). */
const NAME_ONLY = new Set(['new_tab', 'close_tab', 'go_back', 'go_forward']);

/** What the agent made of one model answer. */
export interface ParsedWebarenaAnswer {
  /** The text between the first pair of ``` (stripped), or null when there is none. */
  extracted: string | null;
  action: WebarenaAction;
  /** Why the answer became `none` (or a stop without its answer), for the transcript. */
  problem?: string;
}

/** CoTPromptConstructor._extract_action: the first ```...``` span, stripped; null where upstream raises ActionParsingError. */
export function extractWebarenaAction(response: string): string | null {
  const match = /```([\s\S]*?)```/.exec(response);
  return match === null ? null : pyStrip(match[1]!);
}

/** Reads a model's whole answer into the action the codegen agent takes. */
export function parseWebarenaAnswer(response: string): ParsedWebarenaAnswer {
  const extracted = extractWebarenaAction(response);
  if (extracted === null) return { extracted, action: { type: 'none' }, problem: 'no action between a pair of ```' };
  return { extracted, ...parseWebarenaCodegenAction(extracted) };
}

/**
 * create_id_based_action(action_str, "codegen"). Arguments must be Python literals or arithmetic on them, as in every
 * example the prompt shows; other expressions (names, calls), which upstream's eval would run, count as unparseable.
 * An empty action (`` `````` ``), on which upstream's parser crashes and the task goes unscored, is unparseable too.
 */
export function parseWebarenaCodegenAction(actionText: string): Omit<ParsedWebarenaAnswer, 'extracted'> {
  const text = pyStrip(actionText);
  const name = text.includes('(') ? pyStrip(text.split('(')[0]!) : (text.split(/\s+/)[0] ?? '');
  if (NAME_ONLY.has(name)) return { action: { type: name } as WebarenaAction };
  const params = SIGNATURES[name];
  if (params === undefined) return none(name === '' ? 'the action is empty' : `"${name}" is not an action`);
  let args: PyValue[];
  try {
    args = bindCall(text, name, params);
  } catch (err) {
    const problem = `${name}: ${(err as Error).message}`;
    return name === 'stop' ? { action: { type: 'stop', answer: '' }, problem } : none(problem);
  }
  return toAction(name, args);
}

function none(problem: string): Omit<ParsedWebarenaAnswer, 'extracted'> {
  return { action: { type: 'none' }, problem };
}

// The checks create_*_action (beartype-annotated) and the local functions make on eval's result.
function toAction(name: string, args: PyValue[]): Omit<ParsedWebarenaAnswer, 'extracted'> {
  const [first, second, third] = args as [PyValue, PyValue, PyValue];
  switch (name) {
    case 'click':
    case 'hover':
      return { action: { type: name, elementId: pyStr(first) } };
    case 'type':
      if (second.type !== 'str') return none('type: content must be a string');
      return { action: { type: 'type', elementId: pyStr(first), text: second.value, pressEnter: pyTruthy(third) } };
    case 'press':
      return first.type === 'str' ? { action: { type: 'press', keyComb: first.value } } : none('press: key_comb must be a string');
    case 'scroll':
      return first.type === 'str' && (first.value === 'up' || first.value === 'down')
        ? { action: { type: 'scroll', direction: first.value } }
        : none(`scroll: invalid scroll direction ${pyStr(first)}`);
    case 'goto':
      return first.type === 'str' ? { action: { type: 'goto', url: first.value } } : none('goto: url must be a string');
    case 'tab_focus':
      if (first.type === 'int') return { action: { type: 'tab_focus', tabIndex: first.value } };
      return first.type === 'bool' ? { action: { type: 'tab_focus', tabIndex: first.value ? 1 : 0 } } : none('tab_focus: tab_index must be an int');
    default:
      return first.type === 'str' ? { action: { type: 'stop', answer: first.value } } : { action: { type: 'stop', answer: '' }, problem: 'stop: answer must be a string' };
  }
}

/** Binds `name(...)` (the whole text, a trailing comment allowed) to `params` as a Python call would; throws why not. */
function bindCall(text: string, name: string, params: readonly string[]): PyValue[] {
  const head = new RegExp(`^${name}\\s*\\(`).exec(text);
  if (head === null) throw new Error('not a call');
  const close = matchingParen(text, head[0].length);
  if (!/^\s*(#.*)?$/.test(text.slice(close + 1))) throw new Error('text after the call');
  const bound: (PyValue | undefined)[] = params.map(() => undefined);
  let positional = 0;
  let keywords = false;
  for (const piece of splitArguments(text.slice(head[0].length, close))) {
    const keyword = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)([\s\S]*)$/.exec(piece);
    if (keyword !== null) {
      keywords = true;
      const at = params.indexOf(keyword[1]!);
      if (at < 0) throw new Error(`unexpected keyword argument '${keyword[1]}'`);
      if (bound[at] !== undefined) throw new Error(`multiple values for argument '${keyword[1]}'`);
      bound[at] = evalPythonExpression(keyword[2]!.trim());
      continue;
    }
    if (keywords) throw new Error('positional argument follows keyword argument');
    if (positional >= params.length) throw new Error(`takes ${params.length} positional arguments`);
    bound[positional++] = evalPythonExpression(piece);
  }
  const missing = params.filter((_, i) => bound[i] === undefined);
  if (missing.length > 0) throw new Error(`missing required argument${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`);
  return bound as PyValue[];
}

/** The index of the `)` closing the call whose arguments start at `from`, skipping strings and nested brackets. */
function matchingParen(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") i = stringEnd(text, i);
    else if (ch === '(' || ch === '[' || ch === '{') depth += 1;
    else if (ch === ')' && depth === 0) return i;
    else if (ch === ')' || ch === ']' || ch === '}') depth -= 1;
  }
  throw new Error('unclosed "("');
}

function stringEnd(text: string, start: number): number {
  const quote = text[start]!;
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return i;
  }
  throw new Error('unterminated string literal');
}

/** The call's arguments split at top-level commas; a trailing comma is allowed, as in Python. */
function splitArguments(inside: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inside.length; i += 1) {
    const ch = inside[i]!;
    if (ch === '"' || ch === "'") i = stringEnd(inside, i);
    else if (ch === '(' || ch === '[' || ch === '{') depth += 1;
    else if (ch === ')' || ch === ']' || ch === '}') depth -= 1;
    else if (ch === ',' && depth === 0) {
      pieces.push(inside.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(inside.slice(start));
  const trimmed = pieces.map((p) => p.trim());
  if (trimmed.at(-1) === '' && trimmed.length > 1) trimmed.pop();
  if (trimmed.length === 1 && trimmed[0] === '') return [];
  if (trimmed.includes('')) throw new Error('invalid syntax');
  return trimmed;
}

/** Python's `str()` of an evaluated argument (the element id upstream passes as `str(element_id)`). */
function pyStr(value: PyValue): string {
  return value.type === 'str' ? value.value : pyRepr(value);
}

function pyRepr(value: PyValue): string {
  switch (value.type) {
    case 'str':
      return pyStrRepr(value.value);
    case 'int':
      return pyNumberRepr(value.value, true);
    case 'float':
      return pyNumberRepr(value.value, false);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
      return `[${value.items.map(pyRepr).join(', ')}]`;
    case 'tuple':
      return value.items.length === 1 ? `(${pyRepr(value.items[0]!)},)` : `(${value.items.map(pyRepr).join(', ')})`;
    case 'set':
      return value.items.length === 0 ? 'set()' : `{${value.items.map(pyRepr).join(', ')}}`;
  }
}

/** Python truthiness, for `if press_enter:`. */
function pyTruthy(value: PyValue): boolean {
  switch (value.type) {
    case 'int':
    case 'float':
      return value.value !== 0;
    case 'bool':
      return value.value;
    case 'str':
      return value.value !== '';
    case 'none':
      return false;
    default:
      return value.items.length > 0;
  }
}
