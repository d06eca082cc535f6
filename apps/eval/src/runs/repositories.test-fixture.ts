// The set-up the run and sample repository tests share: a migrated database of their own, a Prisma client on it, and
// the two repositories, made before the file's tests and dropped after them.
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll } from 'vitest';
import type { RunOfTeam } from './run-store';
import { RunRepository } from './run.repository';
import type { RunSpec } from './run.types';
import { SampleRepository } from './sample.repository';

export interface TestRepositories {
  prisma: PrismaClient;
  runs: RunRepository;
  samples: SampleRepository;
}

/** Registers the file's beforeAll/afterAll; `ready` receives the repositories once the database is migrated. */
export function useTestRepositories(ready: (repositories: TestRepositories) => void): void {
  let db: TestDatabase | undefined;
  let prisma: PrismaClient | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    ready({ prisma, runs: new RunRepository(prisma), samples: new SampleRepository(prisma) });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });
}

/** The spec of a HumanEval-like run the repository tests store (each overrides what it needs). */
export function testRunSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    benchmarkRef: 'humaneval@1',
    datasetFile: 'humaneval/HumanEval.jsonl.gz',
    datasetSha256: 'abc',
    datasetSource: 'openai/human-eval',
    promptTemplateHash: 'def',
    metric: 'pass@k',
    sampling: { maxTokens: 64, temperature: 0.2, topP: 0.95, stop: ['\ndef'] },
    platformVersion: '0.1.0',
    items: 2,
    ...overrides,
  };
}

/** A listed sample as the REST API shows it (what SampleRepository#pageJson writes), parsed. */
export interface ListedSample {
  id: string;
  itemId: string;
  itemIndex: number;
  sampleIndex: number;
  status: 'pending' | 'scored' | 'errored' | 'cancelled';
  score: number | null;
  passed: boolean | null;
  prompt: string;
  completion: string;
  error: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  detail: { score: unknown; transcript: unknown; attempts: number };
}

/** A page of a run's samples as ListSamples lists it (pageJson), each sample parsed. */
export async function listedSamples(
  samples: SampleRepository,
  run: RunOfTeam,
  opts: Parameters<SampleRepository['pageJson']>[1],
): Promise<{ items: ListedSample[]; nextCursor: string | null }> {
  const page = await samples.pageJson(run, opts);
  return { items: page.items.map((json) => JSON.parse(json) as ListedSample), nextCursor: page.nextCursor };
}
