import { type ExecutionResult } from '../benchmark';

/** Why a HumanEval program failed, in words: the timeout, the memory limit, or the last line of the Python traceback. */
export function describeFailure(result: ExecutionResult, timeoutMs: number): string {
  if (result.timedOut) return `timeout: the program ran longer than ${timeoutMs} ms`;
  if (result.memoryExceeded) return 'memory limit exceeded';
  const lastLine =
    result.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? '';
  const error = /^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b:?\s*(.*)$/.exec(lastLine);
  const exit = result.exitCode === null ? 'killed' : `exit code ${result.exitCode}`;
  if (error === null) return lastLine === '' ? `failed (${exit}, no error output)` : `failed (${exit}): ${truncate(lastLine)}`;
  const [, type = '', message = ''] = error;
  const detail = message === '' ? '' : `: ${truncate(message)}`;
  if (type === 'AssertionError') return `assertion failed${detail}`;
  if (type === 'SyntaxError' || type === 'IndentationError' || type === 'TabError') return `syntax error (${type})${detail}`;
  return `${type}${detail}`;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
