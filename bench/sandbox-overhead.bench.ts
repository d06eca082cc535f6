// Sandbox cost on HumanEval: the 164 canonical programs as plain `/usr/bin/python3 -I` processes vs through the local
// sandbox backend, same concurrency, in the same run. Plain and sandbox alternate every CHUNK programs so that the
// load of a shared machine falls on both sides alike.
// Run: npx tsx bench/sandbox-overhead.bench.ts   (needs scripts/setup-sandbox.sh to have run)
import { pino } from 'pino';
import { LocalSandboxBackend } from '../apps/sandbox/src/local';
import { findHumanEvalFile, loadHumanEvalPrograms, mapConcurrent } from '../apps/sandbox/src/local/humaneval-programs';
import { runPlainPython, runStandalone, type BenchResult } from './bench-result';

const CONCURRENCY = 2;
const ROUNDS = 2;
const CHUNK = 8;

/** Times plain vs sandboxed HumanEval and returns sandbox/plain as the ratio. */
export async function run(): Promise<BenchResult> {
  const file = findHumanEvalFile();
  if (file === null) throw new Error('HumanEval.jsonl.gz not found under shared/datasets beside the repository');
  const programs = loadHumanEvalPrograms(file).map((p) => p.canonical);
  const backend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }) });
  try {
    // Warm the page cache and the cgroup pool so neither side pays first-touch costs.
    await mapConcurrent(programs.slice(0, 8), CONCURRENCY, runPlainPython);
    await mapConcurrent(programs.slice(0, 8), CONCURRENCY, (code) => backend.execute({ language: 'python', code }));

    let plainMs = 0;
    let sandboxMs = 0;
    let plainPass = 0;
    let sandboxPass = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let start = 0; start < programs.length; start += CHUNK) {
        const chunk = programs.slice(start, start + CHUNK);
        let t = performance.now();
        const plain = await mapConcurrent(chunk, CONCURRENCY, runPlainPython);
        plainMs += performance.now() - t;
        t = performance.now();
        const boxed = await mapConcurrent(chunk, CONCURRENCY, (code) => backend.execute({ language: 'python', code }));
        sandboxMs += performance.now() - t;
        plainPass += plain.filter((c) => c === 0).length;
        sandboxPass += boxed.filter((r) => r.exitCode === 0).length;
      }
    }
    const n = programs.length * ROUNDS;
    const ratio = sandboxMs / plainMs;
    const caps = backend.capabilities();
    return {
      name: 'sandboxed HumanEval tests vs plain processes',
      ratio: Number(ratio.toFixed(3)),
      target: '<= 1.5',
      ok: ratio <= 1.5,
      baseline: `plain /usr/bin/python3 -I, ${programs.length} HumanEval canonical programs x${ROUNDS}, concurrency ${CONCURRENCY}`,
      detail:
        `plain ${(plainMs / ROUNDS / 1000).toFixed(2)} s/pass (${(plainMs / n).toFixed(1)} ms/program, ${plainPass}/${n} ok); ` +
        `sandbox ${(sandboxMs / ROUNDS / 1000).toFixed(2)} s/pass (${(sandboxMs / n).toFixed(1)} ms/program, ${sandboxPass}/${n} ok); ` +
        `overhead ${((sandboxMs - plainMs) / n).toFixed(1)} ms/program; target <= 1.5x; ` +
        `cgroup ${caps.cgroup}, seccomp ${caps.seccomp}, user ${caps.user ?? 'self'}, bwrap ${caps.bwrapVersion}`,
    };
  } finally {
    await backend.dispose();
  }
}

if (require.main === module) runStandalone(run);
