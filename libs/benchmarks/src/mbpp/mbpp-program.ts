/** Where the code in a completion was found. */
export type MbppAnswerShape = 'fenced' | 'begin-done' | 'bare';

/** The runnable program for an MBPP completion, and how the completion was read. */
export interface MbppProgram {
  code: string;
  shape: MbppAnswerShape;
  /** The code taken from the completion (after fence or [BEGIN]/[DONE] extraction and stop-sequence truncation). */
  extracted: string;
}

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

/**
 * Builds the program to run: completion + `test_setup_code` + the test asserts. The setup runs after the completion
 * because some setups use what the solution defines (task 367 builds trees with the solution's `Node`), which would
 * make the task unpassable for any model if it ran first.
 * Chat answers are read from their ```python block (preferring the one defining the tested function) or from
 * between [BEGIN] and [DONE]; anything else is cut at the first stop sequence, as the generation harness would have.
 */
export function buildMbppProgram(
  item: { testSetupCode: string; tests: readonly string[]; entryPoint: string },
  completion: string,
  stop: readonly string[],
): MbppProgram {
  const { shape, extracted } = extractCode(completion, item.entryPoint, stop);
  const setup = item.testSetupCode === '' ? '' : `${item.testSetupCode}\n`;
  return { code: `${extracted}\n${setup}${item.tests.join('\n')}\n`, shape, extracted };
}

function extractCode(completion: string, entryPoint: string, stop: readonly string[]): { shape: MbppAnswerShape; extracted: string } {
  const blocks = [...completion.matchAll(FENCE)]
    .filter((m) => ['', 'python', 'py', 'python3'].includes((m[1] ?? '').toLowerCase()))
    .map((m) => m[2] ?? '');
  if (blocks.length > 0) {
    const defines = new RegExp(String.raw`\bdef\s+${escapeRegExp(entryPoint)}\s*\(`);
    return { shape: 'fenced', extracted: blocks.find((b) => defines.test(b)) ?? blocks[0] ?? '' };
  }
  const begin = completion.indexOf('[BEGIN]');
  if (begin >= 0) {
    const rest = completion.slice(begin + '[BEGIN]'.length).replace(/^[ \t]*\r?\n/, '');
    const done = rest.indexOf('[DONE]');
    return { shape: 'begin-done', extracted: done < 0 ? rest : rest.slice(0, done) };
  }
  return { shape: 'bare', extracted: truncateAtStop(completion, stop) };
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
