import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LocalSandboxBackend } from './local-sandbox.backend';
import { findHumanEvalFile, loadHumanEvalPrograms, mapConcurrent, type HumanEvalProgram } from './humaneval-programs';

let backend: LocalSandboxBackend;
let programs: HumanEvalProgram[];

beforeAll(async () => {
  const file = findHumanEvalFile();
  if (file === null) throw new Error('HumanEval.jsonl.gz not found: expected shared/datasets/humaneval/ beside the repository');
  programs = loadHumanEvalPrograms(file);
  try {
    backend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }) });
  } catch (err) {
    throw new Error(`local sandbox not set up (run: sudo bash scripts/setup-sandbox.sh): ${(err as Error).message}`);
  }
});

afterAll(async () => {
  await backend?.dispose();
});

describe('HumanEval known answers through the local sandbox', () => {
  it('has all 164 tasks', () => {
    expect(programs).toHaveLength(164);
  });

  it('passes 164/164 canonical solutions', async () => {
    const results = await mapConcurrent(programs, 2, (p) => backend.execute({ language: 'python', code: p.canonical }));
    const failed = results.flatMap((r, i) => (r.exitCode === 0 ? [] : [`${programs[i]?.taskId}: ${r.exitCode} ${r.stderr.slice(-300)}`]));
    expect(failed).toEqual([]);
  }, 180_000);

  it('passes 0/164 when every body is `return None`', async () => {
    const results = await mapConcurrent(programs, 2, (p) => backend.execute({ language: 'python', code: p.stub }));
    const passed = results.flatMap((r, i) => (r.exitCode === 0 ? [programs[i]?.taskId] : []));
    expect(passed).toEqual([]);
    // They fail on their assertions, not on the sandbox.
    expect(results.every((r) => r.limitHit === null && /AssertionError|TypeError|Error/.test(r.stderr))).toBe(true);
  }, 180_000);
});
