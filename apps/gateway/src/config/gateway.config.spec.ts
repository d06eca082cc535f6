import * as runAdmission from '@lemur/shared-run-admission';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { loadGatewayConfig } from './gateway.config';

// The real functions, watched: the gateway must read its team quotas through the library the eval service uses.
vi.mock('@lemur/shared-run-admission', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@lemur/shared-run-admission')>();
  return { ...actual, teamQuotaDefaultsFrom: vi.fn(actual.teamQuotaDefaultsFrom) };
});

const DB = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/lemur' };

describe('loadGatewayConfig', () => {
  it('has defaults for a local run', () => {
    expect(loadGatewayConfig(DB)).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      evalAddr: '127.0.0.1:50053',
      inferenceAddr: '127.0.0.1:50051',
      bodyLimitBytes: 1024 * 1024,
      logLevel: 'info',
      databaseUrl: DB.DATABASE_URL,
      teamDefaults: { maxConcurrentRuns: 50, maxSamplesPerDay: 1_000_000 },
    });
    expect(loadGatewayConfig(DB).bootstrap).toBeUndefined();
  });

  it('reads the environment', () => {
    const config = loadGatewayConfig({
      ...DB,
      GATEWAY_PORT: '9000',
      GATEWAY_BODY_LIMIT_BYTES: '2048',
      EVAL_ADDR: 'eval:50053',
      LOG_LEVEL: 'debug',
      GATEWAY_TEAM_MAX_CONCURRENT_RUNS: '3',
      GATEWAY_BOOTSTRAP_KEY_FILE: '/tmp/key',
    });
    expect(config).toMatchObject({
      port: 9000,
      bodyLimitBytes: 2048,
      evalAddr: 'eval:50053',
      logLevel: 'debug',
      teamDefaults: { maxConcurrentRuns: 3 },
      bootstrap: { keyFile: '/tmp/key', team: 'local' },
    });
  });

  it('gives generations their own deadline, above inference cold start plus one upstream call', () => {
    const defaults = loadGatewayConfig(DB);
    expect(defaults.rpcDeadlineMs).toBe(120_000);
    // INFERENCE_COLD_START_TIMEOUT_MS and INFERENCE_UPSTREAM_TIMEOUT_MS defaults: 15 and 10 minutes.
    expect(defaults.inferenceDeadlineMs).toBeGreaterThanOrEqual(900_000 + 600_000);
    expect(loadGatewayConfig({ ...DB, GATEWAY_INFERENCE_DEADLINE_MS: '5000' }).inferenceDeadlineMs).toBe(5_000);
    for (const bad of ['50', '1.5', 'soon', '86400001']) {
      expect(() => loadGatewayConfig({ ...DB, GATEWAY_INFERENCE_DEADLINE_MS: bad })).toThrow(/GATEWAY_INFERENCE_DEADLINE_MS/);
    }
  });

  it("reads GATEWAY_TEAM_* with the shared shape the eval service uses, accepting and refusing the same values", () => {
    const shared = z.object(runAdmission.teamQuotaEnvShape);
    const cases: Record<string, string>[] = [
      {},
      { GATEWAY_TEAM_MAX_CONCURRENT_RUNS: '0', GATEWAY_TEAM_MAX_SAMPLES_PER_DAY: '0' },
      { GATEWAY_TEAM_MAX_CONCURRENT_RUNS: '7', GATEWAY_TEAM_MAX_SAMPLES_PER_DAY: '2500' },
      { GATEWAY_TEAM_MAX_CONCURRENT_RUNS: '-1' },
      { GATEWAY_TEAM_MAX_CONCURRENT_RUNS: '2.5' },
      { GATEWAY_TEAM_MAX_SAMPLES_PER_DAY: 'lots' },
    ];
    for (const quotas of cases) {
      const sharedRead = shared.safeParse(quotas);
      if (sharedRead.success) {
        vi.mocked(runAdmission.teamQuotaDefaultsFrom).mockClear();
        expect(loadGatewayConfig({ ...DB, ...quotas }).teamDefaults).toEqual(runAdmission.teamQuotaDefaultsFrom(sharedRead.data));
        expect(runAdmission.teamQuotaDefaultsFrom).toHaveBeenCalledTimes(2);
      } else {
        // Refused with the same words, naming the same variable, as the eval service refuses it at start-up.
        const lines = sharedRead.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(() => loadGatewayConfig({ ...DB, ...quotas })).toThrow(line);
      }
    }
  });

  it('names every bad variable, and requires the database', () => {
    expect(() => loadGatewayConfig({ GATEWAY_PORT: 'eighty', LOG_LEVEL: 'loud' })).toThrow(/GATEWAY_PORT[\s\S]*LOG_LEVEL[\s\S]*DATABASE_URL/);
    expect(() => loadGatewayConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
