import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

/** Options for {@link createPrismaClient}. */
export interface PrismaClientOptions {
  /** Upper bound of pooled connections for this client. */
  maxConnections?: number;
}

/** A PrismaClient that talks to PostgreSQL through node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
