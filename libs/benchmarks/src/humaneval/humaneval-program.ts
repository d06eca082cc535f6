/** How a completion was read: a fenced or bare full function, or a body continuing the prompt. */
export type HumanEvalAnswerShape = 'full-function' | 'body';

/** The runnable program for a HumanEval completion, and how the completion was read. */
export interface HumanEvalProgram {
  code: string;
  shape: HumanEvalAnswerShape;
  /** The code taken from the completion (after fence extraction and stop-sequence truncation). */
  extracted: string;
}

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

/**
 * Builds the program openai/human-eval runs: prompt + completion + test + `check(entry_point)`.
 * Chat answers are read from their ```python block; a full function is appended after the prompt (redefining the
 * stub, keeping the prompt's imports and helpers), a body-only answer is indented under the prompt's signature.
 * Bare completions are cut at the first stop sequence, as the generation harness would have.
 */
export function buildHumanEvalProgram(
  item: { prompt: string; test: string; entryPoint: string },
  completion: string,
  stop: readonly string[],
): HumanEvalProgram {
  const fenced = extractFencedCode(completion, item.entryPoint);
  const defines = new RegExp(String.raw`^def\s+${escapeRegExp(item.entryPoint)}\s*\(`, 'm');
  const tail = `\n\n${item.test}\n\ncheck(${item.entryPoint})\n`;
  if (fenced !== undefined) {
    if (defines.test(fenced)) {
      // A demo under `if __name__ == "__main__":` would run before the tests (stdin scripts are __main__).
      const code = fenced.split(/^if\s+__name__\s*==/m)[0] ?? fenced;
      return { code: `${item.prompt}\n${code}${tail}`, shape: 'full-function', extracted: code };
    }
    const body = indentBody(fenced);
    return { code: `${item.prompt}${body}${tail}`, shape: 'body', extracted: body };
  }
  if (defines.test(completion)) return { code: `${item.prompt}\n${completion}${tail}`, shape: 'full-function', extracted: completion };
  const body = truncateAtStop(completion, stop);
  return { code: `${item.prompt}${body}${tail}`, shape: 'body', extracted: body };
}

// Prefer the block that defines the entry point; models often add a separate usage example block.
function extractFencedCode(completion: string, entryPoint: string): string | undefined {
  const blocks = [...completion.matchAll(FENCE)]
    .filter((m) => ['', 'python', 'py', 'python3'].includes((m[1] ?? '').toLowerCase()))
    .map((m) => m[2] ?? '');
  if (blocks.length === 0) return undefined;
  return blocks.find((b) => new RegExp(String.raw`\bdef\s+${escapeRegExp(entryPoint)}\s*\(`).test(b)) ?? blocks[0];
}

// A body-only answer written flush-left (as chat models do) must be indented to sit under the prompt's def.
function indentBody(code: string): string {
  const firstCodeLine = code.split('\n').find((l) => l.trim() !== '') ?? '';
  const body = /^\s/.test(firstCodeLine) ? code : code.replace(/^(?=.)/gm, '    ');
  return body.endsWith('\n') ? body : `${body}\n`;
}

function truncateAtStop(completion: string, stop: readonly string[]): string {
  let end = completion.length;
  for (const s of stop) {
    const at = completion.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return completion.slice(0, end);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
