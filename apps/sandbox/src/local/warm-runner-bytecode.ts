import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { warmRunnerSource, type SandboxLanguage } from '@lemur/sandbox-policy';
import type { Logger } from '@lemur/shared-logging';

const execFileAsync = promisify(execFile);

// Compiles the source given as argv[1] and writes a .pyc: the interpreter's magic number, flags 0 and a zero
// timestamp and size (never checked: a .pyc run as the main script has no source to compare with), then the code.
const COMPILER = [
  'import importlib.util, marshal, sys',
  'code = compile(sys.argv[1], "<lemur-warm-runner>", "exec")',
  'sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))',
].join('\n');

/**
 * The warm runner of each language as bytecode of `python` (the interpreter the sandbox runs, so the magic number
 * matches), or null when it cannot be compiled: pre-started sandboxes then pass the runner as source.
 */
export async function compileWarmRunners(
  python: string,
  languages: readonly SandboxLanguage[],
  controlFd: number,
  entryPathOf: (language: SandboxLanguage) => string,
  logger: Logger,
): Promise<ReadonlyMap<SandboxLanguage, Buffer> | null> {
  try {
    const out = new Map<SandboxLanguage, Buffer>();
    for (const language of languages) {
      const source = warmRunnerSource(language, controlFd, entryPathOf(language));
      const { stdout } = await execFileAsync(python, ['-I', '-c', COMPILER, source], { env: {}, encoding: 'buffer' });
      out.set(language, stdout);
    }
    return out;
  } catch (err) {
    logger.warn({ err }, 'cannot compile the warm runners; pre-started sandboxes get them as source');
    return null;
  }
}
