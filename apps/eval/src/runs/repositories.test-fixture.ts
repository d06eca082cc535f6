// The set-up the run and sample repository tests share: a migrated database of their own, a Prisma client on it, and
// the two repositories, made before the file's tests and dropped after them.
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll } from 'vitest';
import { RunRepository } from './run.repository';
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
