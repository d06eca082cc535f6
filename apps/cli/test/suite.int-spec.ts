import { LEMUR_PAPER_SUITE } from '@lemur/benchmarks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, GatewayError } from '../src/api/gateway-client';
import type { suiteResultJson } from '../src/suites/suite-text';
import { startTestPlatform, type TestPlatform } from './test-platform';

type SuiteResult = ReturnType<typeof suiteResultJson>;

describe('lemur run --suite lemur-paper through the real local platform', () => {
  let t: TestPlatform;
  let client: GatewayClient;
  // The CLI finds the local admin key itself, as a user's would: no LEMUR_API_KEY.
  const lemur = (...args: string[]) => t.cli(args, { LEMUR_API_KEY: undefined });

  beforeAll(async () => {
    t = await startTestPlatform({ name: 'suite', simFast: true });
    ({ client } = t);
  }, 180_000);

  afterAll(() => t?.stop(), 60_000);

  it('starts one run per available member, reports every other one with its reason, and exits 4', async () => {
    const result = await lemur('run', '--model', 'sim:oracle', '--suite', 'lemur-paper', '--limit', '2', '--json');
    const suite = JSON.parse(result.stdout) as SuiteResult;
    // Nothing vanishes: every id of the paper's suite is a member, in order, started or with a reason.
    expect(suite.members.map((m) => m.key)).toEqual(LEMUR_PAPER_SUITE.benchmarks);
    for (const m of suite.members) {
      if (m.state === 'started') expect(m.run, m.key).toBeDefined();
      else expect(m.reason, m.key).toMatch(/\S/);
    }
    const byKey = new Map(suite.members.map((m) => [m.key, m]));
    expect(byKey.get('multipl-e')).toMatchObject({ state: 'skipped', reason: expect.stringContaining('multipl-e/humaneval-cpp.jsonl') as unknown });
    expect(byKey.get('multipl-e')?.reason).toContain('https://huggingface.co/datasets/nuprl/MultiPL-E');
    expect(byKey.get('ds1000')).toMatchObject({ state: 'skipped', reason: expect.stringContaining('ds1000/ds1000.jsonl.gz') as unknown });
    expect(byKey.get('ds1000')?.reason).toContain('xlang-ai/DS-1000');
    expect(byKey.get('webarena')).toMatchObject({ state: 'skipped', reason: expect.stringContaining('webarena/config_files/test.raw.json') as unknown });
    // This platform's sandbox has no MariaDB: InterCode-SQL is refused before it starts, saying what is missing.
    expect(byKey.get('intercode-sql')).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/serves none.*SANDBOX_MYSQL_URL/) as unknown });
    expect(suite.skipped.length + suite.unavailable.length).toBeGreaterThanOrEqual(4);
    // Exit 4 says members were not run; 1 takes precedence when a started run failed (members whose service is not
    // configured for this test start and error).
    const failed = suite.members.filter((m) => m.run?.status === 'failed').map((m) => m.key);
    expect(failed.every((key) => key.startsWith('intercode-'))).toBe(true);
    expect(result.code).toBe(failed.length > 0 ? 1 : 4);
    expect(result.stderr).toMatch(/multipl-e skipped: MultiPL-E needs/);

    // The oracle answers every started member's items right; each was capped at 2 items.
    for (const key of ['gsm8k', 'humaneval', 'mbpp', 'mint-gsm8k', 'mint-humaneval']) {
      const run = byKey.get(key)?.run;
      expect(run, key).toMatchObject({ status: 'succeeded', samples: 2, errors: 0 });
      expect(Object.values(run!.metrics)[0]?.value, key).toBe(1);
    }
    const toolUse = suite.axes.find((a) => a.name === 'tool-use')!;
    expect(toolUse).toMatchObject({ value: 1, n: 10, missing: [] });
    expect(suite.axes.find((a) => a.name === 'exploration-digital')?.missing).toContain('webarena');
    expect(suite.axes.find((a) => a.name === 'feedback-coding')).toMatchObject({ value: null, n: 0 });

    // Grouped: listing by the suite run gives exactly its runs; `lemur suites show` prints the same members.
    const listed = await client.listRuns(100, undefined, { suite: suite.suiteRunId });
    const startedIds = suite.members.flatMap((m) => (m.run ? [m.run.runId] : []));
    expect(listed.runs.map((r) => r.id).sort()).toEqual([...startedIds].sort());
    expect(listed.runs.every((r) => r.suiteRunId === suite.suiteRunId)).toBe(true);
    const shown = await lemur('suites', 'show', suite.suiteRunId);
    expect(shown.code).toBe(failed.length > 0 ? 1 : 4);
    expect(shown.stdout).toMatch(/multipl-e\s+skipped\s+MultiPL-E needs/);
    expect(shown.stdout).toMatch(/Tool augmentation\s+100\.0\s+n=10/);
  }, 600_000);

  it('starts the feedback members over REST with --feedback-model, and rejects bad requests before starting anything', async () => {
    const suiteRun = await client.createSuite({ suite: 'lemur-paper', model: 'sim:wrong', limit: 1, feedbackModel: 'sim:echo' });
    const feedback = suiteRun.members.filter((m) => m.feedback);
    expect(feedback.map((m) => m.key)).toEqual(LEMUR_PAPER_SUITE.feedbackBenchmarks.map((b) => `${b}+feedback`));
    for (const m of feedback) {
      if (m.state !== 'started') continue;
      expect(m.run?.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Only the feedback members carry the feedback model; the plain MINT runs are the paper's no-feedback setting.
    const plain = await client.getRun(suiteRun.members.find((m) => m.key === 'mint-gsm8k')!.run!.id);
    const withFeedback = await client.getRun(suiteRun.members.find((m) => m.key === 'mint-gsm8k+feedback')!.run!.id);
    expect((plain as { config?: { feedbackModel?: string } }).config?.feedbackModel).toBeUndefined();
    expect((withFeedback as { config?: { feedbackModel?: string } }).config?.feedbackModel).toBe('sim:echo');
    for (const m of suiteRun.members) if (m.run) await client.cancelRun(m.run.id).catch(() => undefined);

    const before = (await client.listRuns(500)).runs.length;
    const failures = await Promise.all([
      client.createSuite({ suite: 'lemur', model: 'sim:oracle' }).catch((e: unknown) => e),
      client.createSuite({ suite: 'lemur-paper', model: 'no-such-model' }).catch((e: unknown) => e),
      client.createSuite({ suite: 'lemur-paper', model: 'sim:oracle', temperature: 3 }).catch((e: unknown) => e),
      client.getSuite('not-a-uuid').catch((e: unknown) => e),
      client.getSuite('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e),
    ]);
    expect(failures.map((e) => (e as GatewayError).status)).toEqual([400, 404, 400, 400, 404]);
    expect((failures[0] as GatewayError).message).toContain('known suites: lemur-paper');
    expect((await client.listRuns(500)).runs.length).toBe(before);
  }, 300_000);
});
