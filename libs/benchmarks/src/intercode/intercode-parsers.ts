import { PY_WHITESPACE_RUN, pyStrip } from './intercode-python';

/** How a model reply was read: the action, whether it counts as code, or blocked (the runner's ValueError). */
export type IntercodeParsedAction = { kind: 'action'; action: string; isCode: boolean } | { kind: 'blocked'; error: string };

const SQL_KEYWORDS = ['SHOW', 'SELECT', 'DESCRIBE', 'DESC'] as const;

const upToSemicolon = (x: string): string => (x.includes(';') ? x.slice(0, x.indexOf(';')) : x);
// " ".join(x.split()): runs of whitespace become one space, ends trimmed.
const joinSplit = (x: string): string =>
  x
    .split(PY_WHITESPACE_RUN)
    .filter((w) => w !== '')
    .join(' ');

const FENCED_SQL = /```(?:sql|SQL)?([\S\s]+?)```/g;
const FENCED_BASH = /```(?:bash|BASH|sh)?([\S\s]+?)```/g;
const FENCED_ANY = /```([\S\s]+?)```/g;

/** The HF-chat policy's post-processing of a Lemur reply: cut at `<|im_end|>`, then strip. */
export function postProcessLemurReply(reply: string): string {
  return pyStrip(reply.split('<|im_end|>')[0] ?? '');
}

/**
 * `sql_parser` of OpenLemur/intercode experiments/utils/utils.py, quirks included: outside a fence, a reply starting
 * "SQL: " yields its sixth character, and any reply holding SHOW/SELECT/DESCRIBE/DESC yields the text from the first
 * of them (checked in that order) to the first ";"; a fenced block is flattened to one line and must start with one of
 * those words to count as code.
 */
export function parseIntercodeSqlAction(reply: string): IntercodeParsedAction {
  const action = reply.replaceAll('\\_', '_');
  if (!action.includes('```')) {
    if (action.startsWith('SQL: ')) return { kind: 'action', action: upToSemicolon(action.charAt(5)), isCode: true };
    for (const x of SQL_KEYWORDS) {
      if (action.includes(x)) return { kind: 'action', action: upToSemicolon(action.slice(action.indexOf(x))), isCode: true };
    }
  }
  const match = [...action.matchAll(FENCED_SQL), ...action.matchAll(FENCED_ANY)][0];
  if (match === undefined) return { kind: 'action', action, isCode: false };
  const flat = upToSemicolon(joinSplit(match[1] ?? ''));
  if (pyStrip(flat) === '') return { kind: 'action', action: 'NO ACTION', isCode: false };
  const first = flat.split(' ')[0]!.toUpperCase();
  return { kind: 'action', action: flat, isCode: (SQL_KEYWORDS as readonly string[]).includes(first) };
}

/**
 * `bash_parser` of OpenLemur/intercode: newlines become spaces; outside a fence a "bash: " prefix is cut, and text
 * after a lower-case "command:" is taken (a reply with only "Command:" raised ValueError upstream, which ends the episode
 * as blocked); a fenced block is read from the lower-cased reply; anything else is the command as written.
 */
export function parseIntercodeBashAction(reply: string): IntercodeParsedAction {
  let action = reply.replaceAll('\n', ' ');
  if (!action.includes('```')) {
    if (action.toLowerCase().startsWith('bash: ')) return { kind: 'action', action: action.slice('bash: '.length), isCode: true };
    if (action.toLowerCase().includes('command:')) {
      const at = action.indexOf('command:');
      if (at < 0) return { kind: 'blocked', error: 'substring not found' };
      return { kind: 'action', action: action.slice(at + 'command:'.length), isCode: true };
    }
  }
  const lower = action.toLowerCase();
  const match = [...lower.matchAll(FENCED_BASH), ...lower.matchAll(FENCED_ANY)][0];
  if (match === undefined) return { kind: 'action', action, isCode: true };
  action = joinSplit(match[1] ?? '');
  return { kind: 'action', action, isCode: true };
}
