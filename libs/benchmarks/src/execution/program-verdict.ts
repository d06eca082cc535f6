import { type CodeExecutor, type ExecutionResult, type ScoreResult } from '../benchmark';

/** Why a test program failed, in words: the timeout, the memory limit, or the last line of the Python traceback. */
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

/** Runs a benchmark's test program and turns the outcome into a score: 1 only for exit 0 within the time and memory. */
export async function scoreProgram(
  program: { code: string; shape: string; extracted: string },
  executor: CodeExecutor,
  timeoutMs: number,
): Promise<ScoreResult> {
  const execution = await executor.execute({ language: 'python', code: program.code, timeoutMs });
  const passed = execution.exitCode === 0 && !execution.timedOut && !execution.memoryExceeded;
  return {
    score: passed ? 1 : 0,
    passed,
    extracted: program.extracted,
    reason: passed ? `passed (${program.shape})` : describeFailure(execution, timeoutMs),
    execution,
  };
}
