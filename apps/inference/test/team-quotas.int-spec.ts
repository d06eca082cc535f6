// A team's own tokens per minute (PUT /v1/quotas writes it to the team table) is what fair admission meters the team
// by, over INFERENCE_TEAM_LIMITS and the default: read at start and every INFERENCE_TEAM_QUOTAS_REFRESH_MS, over real
// gRPC, real PostgreSQL and a real simulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformErrorCode, type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createTestDatabase, freePort, startSimulatorProcess, type SimulatorProcess, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

const REFRESH_MS = 100;

describe("a team's own tokens per minute, from the database", () => {
  let sim: SimulatorProcess;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--model', 'slow=echo', '--ttft-ms', '700', '--tpot-ms', '1']);
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    // Set before the service starts: in force from its first request.
    await prisma.team.createMany({ data: [{ name: 'own-quota', tokensPerMinute: 600 }, { name: 'no-quota' }, { name: 'env-quota' }] });
    dir = mkdtempSync(join(tmpdir(), 'lemur-team-quotas-'));
    const modelsFile = join(dir, 'models.json');
    writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'slow', endpoints: [sim.url] }] }));
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: modelsFile,
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        INFERENCE_TEAM_QUOTAS_REFRESH_MS: String(REFRESH_MS),
        // No queueing: a request over the rate is refused at once. The default rate is unlimited.
        INFERENCE_TEAM_MAX_QUEUED: '0',
        INFERENCE_TEAM_LIMITS: JSON.stringify({ 'env-quota': { tokensPerMinute: 600 } }),
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await sim?.close();
    await prisma?.$disconnect();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const generate = (team: string, maxTokens: number) =>
    client.generate({ model: 'slow', prompt: 'x', team, noCache: true, sampling: { maxTokens, temperature: 0.5 } });

  /**
   * One request holding 591 tokens (1 prompt + 590) while it runs (~700 ms), and a second of 296 sent meanwhile: under a
   * 600-a-minute rate the second is refused (null when it was admitted).
   */
  async function secondWhileFirstRuns(team: string): Promise<PlatformError | null> {
    const first = generate(team, 590);
    await new Promise((r) => setTimeout(r, 100));
    const second = await generate(team, 295).then(
      () => null,
      (err: unknown) => err as PlatformError,
    );
    await first;
    return second;
  }

  const setQuota = async (team: string, tokensPerMinute: number | null) => {
    await prisma.team.update({ where: { name: team }, data: { tokensPerMinute } });
    // A few refresh intervals: every replica reads the table on its own clock.
    await new Promise((r) => setTimeout(r, 5 * REFRESH_MS));
  };

  it('meters a team by its own rate, with Retry-After from its bucket, while a team without one is not', async () => {
    const refused = await secondWhileFirstRuns('own-quota');
    expect(refused?.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    // 296 asked; 9 left plus 10 a second since: 28.0 to 28.7 s to refill, rounded up.
    expect(refused?.retryAfterSeconds).toBe(29);
    expect(await secondWhileFirstRuns('no-quota')).toBeNull();
  });

  it('applies a change within a refresh: set, lifted over INFERENCE_TEAM_LIMITS, and cleared', async () => {
    await setQuota('no-quota', 600);
    expect((await secondWhileFirstRuns('no-quota'))?.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);

    expect((await secondWhileFirstRuns('env-quota'))?.code).toBe(PlatformErrorCode.RESOURCE_EXHAUSTED);
    await setQuota('env-quota', 0);
    expect(await secondWhileFirstRuns('env-quota')).toBeNull();

    // Cleared: the team is back on the default (unlimited), even with its bucket still short from the first test.
    await setQuota('own-quota', null);
    expect(await secondWhileFirstRuns('own-quota')).toBeNull();
  });

  it("answers GetTeamLimits with the service's own limit for a team, whatever its own quota", async () => {
    expect((await client.getTeamLimits({ team: 'env-quota' })).defaultTokensPerMinute).toBe(600);
    expect((await client.getTeamLimits({ team: 'no-quota' })).defaultTokensPerMinute).toBe(0);
  });
});
