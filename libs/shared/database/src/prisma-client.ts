import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';

/** Options for {@link createPrismaClient}. */
export interface PrismaClientOptions {
  /** Upper bound of pooled connections for this client. */
  maxConnections?: number;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** A PrismaClient that talks to PostgreSQL through node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // An idle pooled connection the server ends (restart, failover, a dropped database) is already removed from the pool
  // when node-postgres emits this; without a listener the emit would crash the process. The next query reconnects, or
  // fails with the real error where it is handled.
  pool.on('error', () => undefined);
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * The node-postgres pool under a client made by {@link createPrismaClient} (same connections, ended by `$disconnect`),
 * for the few hot read paths where Prisma's query builder costs more CPU than the query itself.
 */
export function sqlPoolOf(prisma: PrismaClient): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('sqlPoolOf: this PrismaClient was not made by createPrismaClient');
  return pool;
}
