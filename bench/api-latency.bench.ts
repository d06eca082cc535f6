// API latency on a 100k-sample run: list runs and page samples (deep keyset pages) through the gateway at 50
// concurrent clients (autocannon), against the same SQL run directly on Postgres at the same concurrency, in one run.
import { mkdtempSync, rmSync } from 'node:fs';
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
 * Postgres, at CONNECTIONS concurrent clients for DURATION_S.
 */
async function direct(databaseUrl: string, query: () => { name: string; text: string; values: unknown[] }): Promise<Measured> {
  // A pool as large as the API's concurrency would exceed what the server allows next to the platform's own pools.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
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
  await pool.end();
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
    const apiList = await hammer(platform.gatewayUrl, platform.apiKey, listPath);
    const apiPage = await hammer(platform.gatewayUrl, platform.apiKey, pagePath);

    const dbList = await direct(db.url, () => runJsonPageQuery(teamId, { limit: 50 }));
    const dbPage = await direct(db.url, () => samplePageJsonQuery(seed.runId, { limit: PAGE, cursor: sampleCursor(randomItem()) }));

    const ratio = Math.max(apiList.p95 / dbList.p95, apiPage.p95 / dbPage.p95);
    const fmt = (m: Measured) => `p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, ${m.requests} requests${m.failures ? `, ${m.failures} FAILED` : ''}`;
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
