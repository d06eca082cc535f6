// Isolation under attack: ordinary short programs run through the local sandbox while 8 fork and memory bombs run
// beside them (each bomb restarted as soon as its run ends), against the same programs with no bombs, in one run.
// Run: TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/sandbox-bombs.bench.ts   (needs scripts/setup-sandbox.sh)
import { pino } from 'pino';
import { LocalSandboxBackend } from '../apps/sandbox/src/local';
import { mapConcurrent } from '../apps/sandbox/src/local/humaneval-programs';
import { quantile, runStandalone, type BenchResult } from './bench-result';

const RUNS = 40;
const CONCURRENCY = 2;
const BOMBS = 8;
const ORDINARY = 'import json\nprint(json.dumps(sorted({i * i % 97 for i in range(10_000)})[:5]))';
const EXPECTED = '[0, 1, 2, 3, 4]\n';
const FORK_BOMB = 'bomb() { bomb | bomb & }; bomb; sleep 60';
const MEMORY_BOMB = 'chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))';

async function ordinaryRuns(backend: LocalSandboxBackend): Promise<{ ok: number; ms: number[] }> {
  const results = await mapConcurrent(Array.from({ length: RUNS }, () => ORDINARY), CONCURRENCY, async (code) => {
    const t = performance.now();
    const r = await backend.execute({ language: 'python', code, limits: { wallMs: 10_000 } });
    return { ok: r.exitCode === 0 && r.stdout === EXPECTED, ms: performance.now() - t };
  });
  return { ok: results.filter((r) => r.ok).length, ms: results.map((r) => r.ms).sort((a, b) => a - b) };
}

/** Returns p99 under bombs / p99 without as the ratio; ok when every ordinary run succeeded in both phases. */
export async function run(): Promise<BenchResult> {
  const backend = await LocalSandboxBackend.detect({ logger: pino({ level: 'warn' }), cgroupPoolSize: 16 });
  try {
    await ordinaryRuns(backend);
    const calm = await ordinaryRuns(backend);

    let stop = false;
    const outcomes = new Map<string, number>();
    const bombLoop = async (i: number): Promise<void> => {
      while (!stop) {
        const fork = i % 2 === 0;
        const r = await backend.execute(
          fork
            ? { language: 'bash', code: FORK_BOMB, limits: { wallMs: 4_000, processes: 64 } }
            : { language: 'python', code: MEMORY_BOMB, limits: { wallMs: 4_000, memoryBytes: 256 * 1024 * 1024 } },
        );
        const key = `${fork ? 'fork' : 'memory'}:${r.limitHit ?? `exit ${String(r.exitCode)}`}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    };
    const bombs = Array.from({ length: BOMBS }, (_, i) => bombLoop(i));
    // Let the bombs reach their limits before measuring.
    await new Promise((r) => setTimeout(r, 1_500));
    const attacked = await ordinaryRuns(backend);
    stop = true;
    await Promise.all(bombs);

    const calmP99 = quantile(calm.ms, 0.99);
    const attackedP99 = quantile(attacked.ms, 0.99);
    const ratio = attackedP99 / calmP99;
    const caps = backend.capabilities();
    return {
      name: 'ordinary runs beside 8 fork/memory bombs',
      ratio: Number(ratio.toFixed(3)),
      target: 'all ordinary runs succeed (ratio = p99 latency under bombs / without)',
      ok: calm.ok === RUNS && attacked.ok === RUNS,
      baseline: `the same ${RUNS} programs at concurrency ${CONCURRENCY} with no bombs, same run`,
      detail:
        `success ${attacked.ok}/${RUNS} under bombs, ${calm.ok}/${RUNS} without; p99 ${attackedP99.toFixed(0)} ms vs ${calmP99.toFixed(0)} ms, ` +
        `p50 ${quantile(attacked.ms, 0.5).toFixed(0)} ms vs ${quantile(calm.ms, 0.5).toFixed(0)} ms; bomb runs: ` +
        `${[...outcomes].map(([k, n]) => `${k} x${n}`).join(', ')}; cgroup ${caps.cgroup}`,
    };
  } finally {
    await backend.dispose();
  }
}

if (require.main === module) runStandalone(run);
