// A finished 100k-sample run (plus 200 small runs to list) inserted straight into Postgres with generate_series: the
// benches about reading runs need the data, not the minutes it takes to evaluate it.
import { readFileSync } from 'node:fs';
import pg from 'pg';

export interface LargeRun {
  teamId: string;
  runId: string;
  samples: number;
  seedSeconds: number;
}

const summary = (n: number) =>
  JSON.stringify({
    metrics: [{ name: 'accuracy', value: 0.66, ci: [0.657, 0.663], method: 'wilson', n }],
    counts: { total: n, pending: 0, scored: n - n / 50, errored: n / 50, cancelled: 0 },
    promptTokens: n * 120,
    completionTokens: n * 20,
    elapsedSeconds: 600,
    completionTokensPerSecond: (n * 20) / 600,
  });
const config = JSON.stringify({ limit: 0, samplesPerItem: 1, concurrency: 32, chat: false });
const spec = JSON.stringify({ benchmarkRef: 'gsm8k@1.0.0', datasetSha256: 'ab'.repeat(32), promptTemplateHash: 'cd'.repeat(32), metric: 'accuracy', items: 100_000 });

/** Seeds the team's runs; realistic rows: a ~600-byte prompt, a completion, a score detail, every 50th sample errored. */
export async function seedLargeRun(databaseUrl: string, team: string, samples = 100_000, opts: { listRuns?: number } = {}): Promise<LargeRun> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    const { rows: teams } = await client.query<{ id: string }>('SELECT id FROM team WHERE name = $1', [team]);
    const teamId = teams[0]?.id;
    if (!teamId) throw new Error(`team ${team} does not exist yet (start the gateway first)`);
    await client.query(
      `INSERT INTO run (id, team_id, model_name, benchmark, benchmark_version, status, config, spec, summary, total_samples, created_at, started_at, finished_at)
       SELECT gen_random_uuid(), $1, 'sim:oracle', 'gsm8k', '1.0.0', 'SUCCEEDED', $2::jsonb, $3::jsonb, $4::jsonb, 1319,
              now() - make_interval(mins => g), now() - make_interval(mins => g), now() - make_interval(mins => g)
       FROM generate_series(1, $5) g`,
      [teamId, config, spec, summary(1300), opts.listRuns ?? 200],
    );
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO run (id, team_id, model_name, benchmark, benchmark_version, status, config, spec, summary, total_samples, started_at, finished_at)
       VALUES (gen_random_uuid(), $1, 'sim:oracle', 'gsm8k', '1.0.0', 'SUCCEEDED', $2::jsonb, $3::jsonb, $4::jsonb, $5, now(), now()) RETURNING id`,
      [teamId, config, spec, summary(samples), samples],
    );
    const runId = rows[0]!.id;
    await client.query(
      `INSERT INTO sample (id, run_id, item_id, item_index, sample_index, status, attempts, prompt, completion, score, passed, error,
                           prompt_tokens, completion_tokens, latency_ms, score_detail, started_at, finished_at)
       SELECT gen_random_uuid(), $1, 'gsm8k/' || g, g, 0,
              (CASE WHEN g % 50 = 0 THEN 'ERRORED' ELSE 'SCORED' END)::sample_status, 1,
              'Question: Natalia sold clips to ' || g || ' of her friends in April, and then she sold half as many clips in May. ' ||
                repeat('How many clips did Natalia sell altogether in April and May? ', 8) || E'\\nAnswer:',
              CASE WHEN g % 50 = 0 THEN NULL ELSE 'Natalia sold ' || g || ' clips in April and ' || (g / 2) || E' in May.\\nThe answer is ' || g || '.' END,
              CASE WHEN g % 50 = 0 THEN NULL WHEN g % 3 = 0 THEN 0 ELSE 1 END,
              CASE WHEN g % 50 = 0 THEN NULL ELSE g % 3 <> 0 END,
              CASE WHEN g % 50 = 0 THEN 'inference timed out after 600s' ELSE NULL END,
              120, 20, 200 + g % 300,
              CASE WHEN g % 50 = 0 THEN NULL ELSE jsonb_build_object('extracted', g::text, 'target', (g + g % 3)::text) END,
              now(), now()
       FROM generate_series(0, $2 - 1) g`,
      [runId, samples],
    );
    await client.query('ANALYZE run; ANALYZE sample;');
    return { teamId, runId, samples, seedSeconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

/** Keyset cursor of the samples API at a given item (the same encoding as SampleRepository). */
export function sampleCursor(itemIndex: number): string {
  return Buffer.from(`${itemIndex}:0`).toString('base64url');
}

/** Resident set size now and at its peak (VmHWM) of a process, in MB, from /proc. */
export function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}
