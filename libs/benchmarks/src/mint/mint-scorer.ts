import { type CodeExecutor, type ExecutionResult } from '../benchmark';
import { describeFailure } from '../execution/program-verdict';
import { type MintScoringRules, multipleChoiceTaskSuccess, reasoningTaskSuccess } from './mint-reasoning-scorer';
import { MintScorerError } from './mint-scorer-error';
import { isMintCodeItem, type MintItem, type MintReasoningItem } from './mint-tasks';
import { theoremqaSuccess } from './mint-theoremqa-scorer';

/** The verdict on one proposed solution. `error` is set where upstream's scorer raised (shown as the observation). */
export interface MintJudgement {
  success: boolean;
  reason: string;
  error?: string;
  execution?: ExecutionResult;
}

/** check_correctness's limit (mint/utils/exec.py); the process gets a second more, as upstream's join does. */
export const MINT_CODE_TIMEOUT_MS = 10_000;

/**
 * The program check_correctness runs: `solution + "\n" + tests`, exec'd in a fresh namespace with its output
 * swallowed, passing only when no exception (SystemExit included) escapes. Exec'ing keeps upstream's semantics that a
 * subprocess run would change: `__name__` is not "__main__" there, and `exit()` or `sys.exit(0)` fail the check.
 */
export function buildMintCodeProgram(solution: string, tests: string): string {
  const program = `${solution}\n${tests}`;
  // A JSON string literal is also a valid Python string literal.
  return [
    'import contextlib, io, sys',
    `_program = ${JSON.stringify(program)}`,
    '_sink = io.StringIO()',
    'try:',
    '    with contextlib.redirect_stdout(_sink), contextlib.redirect_stderr(_sink):',
    '        exec(_program, {})',
    'except BaseException as _e:',
    "    sys.__stderr__.write(f'{type(_e).__name__}: {_e}\\n')",
    '    sys.__stderr__.flush()',
    '    import os',
    '    os._exit(1)',
    '',
  ].join('\n');
}

/** Scores a proposed solution with the task's upstream scorer; code tasks run their tests through `executor`. */
export async function judgeMintSolution(item: MintItem, solution: string, ctx: { executor?: CodeExecutor; rules?: MintScoringRules } = {}): Promise<MintJudgement> {
  const { executor, rules = 'published' } = ctx;
  if (isMintCodeItem(item)) {
    if (executor === undefined) throw new Error(`${item.id}: a code executor is needed to judge a ${item.task} solution`);
    const execution = await executor.execute({ language: 'python', code: buildMintCodeProgram(solution, item.reference), timeoutMs: MINT_CODE_TIMEOUT_MS + 1000 });
    const success = execution.exitCode === 0 && !execution.timedOut && !execution.memoryExceeded;
    return { success, reason: success ? 'passed' : describeFailure(execution, MINT_CODE_TIMEOUT_MS), execution };
  }
  return judgeMintAnswer(item, solution, rules);
}

/** The synchronous scorers of the five reasoning tasks. */
export function judgeMintAnswer(item: MintReasoningItem, solution: string, rules: MintScoringRules = 'published'): MintJudgement {
  try {
    let success: boolean;
    if (item.task === 'theoremqa') success = theoremqaSuccess(item.reference, item.answerType, solution, rules);
    else if (item.task === 'mmlu') success = multipleChoiceTaskSuccess(item.prompt, item.reference, solution);
    else success = reasoningTaskSuccess(item.reference, solution, rules);
    return { success, reason: success ? 'correct' : `not accepted against the reference ${JSON.stringify(item.reference)}` };
  } catch (error) {
    if (!(error instanceof MintScorerError)) throw error;
    return { success: false, reason: `the upstream scorer raises here: ${error.message}`, error: error.message };
  }
}
