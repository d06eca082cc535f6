// API latency on a 100k-sample run: list runs and page samples (deep keyset pages) through the gateway at 50
// concurrent clients (autocannon), against the same SQL run directly on Postgres at the same concurrency, in one run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@lemur/shared-testing';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadCliEnvironment } from '../apps/cli/src/config/cli.config';
import { LocalPlatform } from '../apps/cli/src/local/local-platform';
import { runJsonPageQuery } from '../apps/eval/src/runs/run.repository';
import { samplePageJsonQuery } from '../apps/eval/src/runs/sample.repository';
import { quantile, runStandalone, type BenchResult } from './bench-result';
import { sampleCursor, seedLargeRun } from './large-run.fixture';

const CONNECTIONS = 50;
const DURATION_S = 10;
const TARGET_P95_MS = 50;
const PAGE = 100;

interface Measured {
  p50: number;
  p95: number;
  requests: number;
  failures: number;
  /** CPU time (user + system) per request of each process that served it, in ms; absent where /proc cannot tell. */
  cpu?: Record<string, number>;
}

// Latency at 50 clients on a small shared machine swings with whatever else runs on it; the CPU time each process spent
// per request does much less, and says which process a change helped.
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in ms (Linux /proc); 0 when it is gone or unreadable. */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The processes to account a phase to: named pids, plus the Postgres backends of the bench's database (summed). */
interface CpuAccount {
  pids: Record<string, number>;
  admin: pg.Client;
}

async function cpuSnapshot(account: CpuAccount): Promise<Map<string, number>> {
  const snapshot = new Map(Object.entries(account.pids).map(([name, pid]) => [name, cpuMsOf(pid)]));
  const { rows } = await account.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  for (const { pid } of rows) snapshot.set(`postgres:${pid}`, cpuMsOf(pid));
  return snapshot;
}

/** Runs a phase and adds the CPU per request of each accounted process (Postgres backends as one) to its figures. */
async function withCpu(account: CpuAccount, phase: () => Promise<Measured>): Promise<Measured> {
  const before = await cpuSnapshot(account);
  const measured = await phase();
  const after = await cpuSnapshot(account);
  const cpu: Record<string, number> = {};
  for (const [key, ms] of after) {
    const name = key.startsWith('postgres:') ? 'postgres' : key;
    cpu[name] = (cpu[name] ?? 0) + (ms - (before.get(key) ?? 0)) / Math.max(1, measured.requests);
  }
  return { ...measured, cpu };
}

/** autocannon at CONNECTIONS against one route family; latencies of every response, for an exact p95. */
function hammer(url: string, apiKey: string, nextPath: () => string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    let failures = 0;
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: DURATION_S,
        headers: { authorization: `Bearer ${apiKey}` },
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }],
      },
      (err, result) => {
        if (err) reject(err);
        else resolve({ p50: quantile(times, 0.5), p95: quantile(times, 0.95), requests: times.length, failures: failures + result.errors + result.timeouts });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      times.push(ms);
      if (status !== 200) failures++;
    });
  });
}

/**
 * The statements the API's repositories run (their SQL, named: prepared once per connection as there), straight on
 * Postgres, at CONNECTIONS concurrent clients for DURATION_S, on `pool` (kept open by the caller, so the CPU its
 * backends spent can be read after the phase).
 */
async function direct(pool: pg.Pool, query: () => { name: string; text: string; values: unknown[] }): Promise<Measured> {
  const times: number[] = [];
  const until = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const statement = query();
        const started = performance.now();
        await pool.query(statement);
        times.push(performance.now() - started);
      }
    }),
  );
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), requests: times.length, failures: 0 };
}

export async function run(): Promise<BenchResult> {
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'lemur-bench-'));
  const env = { ...loadCliEnvironment(), databaseUrl: db.url, home, passthrough: { ...process.env, LOG_LEVEL: 'warn' } };
  const platform = await LocalPlatform.start({ env, gatewayPort: 0, workers: 1, log: () => undefined });
  try {
    const seed = await seedLargeRun(db.url, 'local');
    const teamId = seed.teamId;
    const randomItem = () => Math.floor(Math.random() * (seed.samples - PAGE));

    const listPath = () => '/v1/runs?limit=50';
    const pagePath = () => `/v1/runs/${seed.runId}/samples?limit=${PAGE}&cursor=${sampleCursor(randomItem())}`;
    await hammer(platform.gatewayUrl, platform.apiKey, pagePath); // warm-up: JIT, connection pools, buffer cache
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    // A pool as large as the API's concurrency would exceed what the server allows next to the platform's own pools.
    const pool = new pg.Pool({ connectionString: db.url, max: 20 });
    let measured: [Measured, Measured, Measured, Measured];
    try {
      const pidOf = (name: string) => platform.services.get(name)?.child.pid ?? 0;
      const account: CpuAccount = { pids: { gateway: pidOf('gateway'), eval: pidOf('eval') }, admin };
      const apiList = await withCpu(account, () => hammer(platform.gatewayUrl, platform.apiKey, listPath));
      const apiPage = await withCpu(account, () => hammer(platform.gatewayUrl, platform.apiKey, pagePath));
      const directAccount: CpuAccount = { pids: {}, admin };
      const dbList = await withCpu(directAccount, () => direct(pool, () => runJsonPageQuery(teamId, { limit: 50 })));
      const dbPage = await withCpu(directAccount, () => direct(pool, () => samplePageJsonQuery({ id: seed.runId, teamId }, { limit: PAGE, cursor: sampleCursor(randomItem()) })));
      measured = [apiList, apiPage, dbList, dbPage];
    } finally {
      await pool.end();
      await admin.end();
    }
    const [apiList, apiPage, dbList, dbPage] = measured;

    const ratio = Math.max(apiList.p95 / dbList.p95, apiPage.p95 / dbPage.p95);
    const cpu = (m: Measured) =>
      m.cpu ? `; CPU per request ${Object.entries(m.cpu).map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ')} ms` : '';
    const fmt = (m: Measured) => `p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, ${m.requests} requests${m.failures ? `, ${m.failures} FAILED` : ''}${cpu(m)}`;
    const ok = apiList.p95 < TARGET_P95_MS && apiPage.p95 < TARGET_P95_MS && apiList.failures === 0 && apiPage.failures === 0;
    return {
      name: `API p95 at ${CONNECTIONS} clients on a ${seed.samples / 1000}k-sample run, vs. the same SQL on Postgres (worse ratio of the two routes)`,
      ratio,
      target: `p95 < ${TARGET_P95_MS} ms per route; ratio reported`,
      ok,
      baseline: `direct SQL at ${CONNECTIONS} clients (pool of 20): list runs ${fmt(dbList)}; page samples ${fmt(dbPage)}`,
      detail:
        `GET /v1/runs?limit=50: ${fmt(apiList)} (ratio ${(apiList.p95 / dbList.p95).toFixed(1)}); ` +
        `GET /v1/runs/:id/samples?limit=${PAGE} at random deep cursors: ${fmt(apiPage)} (ratio ${(apiPage.p95 / dbPage.p95).toFixed(1)}); ` +
        `seeded ${seed.samples} samples + 201 runs in ${seed.seedSeconds.toFixed(1)} s`,
    };
  } finally {
    await platform.stop();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
