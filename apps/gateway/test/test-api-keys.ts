import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { mintApiKey, type RoleName } from '../src/auth/api-key';
import { ApiKeyRepository } from '../src/auth/api-key.repository';

/** Mints API keys straight into a test database (one per team and role, reused), as an operator's script would. */
export class TestApiKeys {
  private readonly prisma: PrismaClient;
  readonly repo: ApiKeyRepository;
  private readonly minted = new Map<string, Promise<string>>();

  constructor(databaseUrl: string) {
    this.prisma = createPrismaClient(databaseUrl, { maxConnections: 2 });
    this.repo = new ApiKeyRepository(this.prisma);
  }

  /** The token of a key of `team` with `role`, created on first use. */
  key(team: string, role: RoleName = 'runner'): Promise<string> {
    const id = `${team}/${role}`;
    let token = this.minted.get(id);
    if (!token) {
      token = this.create(team, role, {});
      this.minted.set(id, token);
    }
    return token;
  }

  /** A fresh key (not reused), e.g. one that expires. */
  async create(team: string, role: RoleName, opts: { expiresAt?: Date; name?: string }): Promise<string> {
    const teamId = await this.repo.ensureTeam(team);
    const minted = mintApiKey();
    await this.repo.create({ teamId, publicId: minted.publicId, secretHash: minted.secretHash, name: opts.name ?? `test ${role}`, role, ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}) });
    return minted.token;
  }

  /** Direct database access for tests that set up rows the gateway only reads (runs, for quotas). */
  get db(): PrismaClient {
    return this.prisma;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
  }
}
