import { createPrismaClient, NotificationListener, type PrismaClient } from '@lemur/shared-database';
import { createLogger } from '@lemur/shared-logging';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator } from './api-key-authenticator.service';
import { API_KEY_CHANGED_CHANNEL, ApiKeyRepository } from './api-key.repository';
import { mintApiKey, type RoleName } from './api-key';

// Two gateway replicas over one PostgreSQL, each with its key cache and its listener, as gateway.app.ts wires them. The
// caches trust a key for a minute here, so only the NOTIFY can explain a replica refusing a key changed on the other.
const LONG_TTL_MS = 60_000;
const logger = createLogger('test', 'silent');
let db: TestDatabase;

interface Replica {
  prisma: PrismaClient;
  keys: ApiKeyRepository;
  auth: ApiKeyAuthenticator;
  listener: NotificationListener;
}
const replicas: Replica[] = [];

async function replica(): Promise<Replica> {
  const prisma = createPrismaClient(db.url);
  const keys = new ApiKeyRepository(prisma);
  const auth = new ApiKeyAuthenticator(keys, logger, Date.now, LONG_TTL_MS);
  const listener = new NotificationListener({ url: db.url, channel: API_KEY_CHANGED_CHANNEL, onNotify: (id) => auth.forget(id), onGap: () => auth.forgetAll(), logger });
  await listener.start();
  const r = { prisma, keys, auth, listener };
  replicas.push(r);
  return r;
}

async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

const refuses = (r: Replica, token: string, pattern: RegExp) => () =>
  r.auth.authenticate(`Bearer ${token}`).then(
    () => false,
    (err: { status?: number; message?: string }) => err.status === 401 && pattern.test(err.message ?? ''),
  );

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const r of replicas) {
    await r.listener.close();
    await r.prisma.$disconnect();
  }
  await db?.drop();
});

describe('key changes reach every gateway replica at commit (LISTEN/NOTIFY)', () => {
  it('a key revoked on one replica is refused by the other at once, although its cache would trust it for a minute', async () => {
    const [a, b] = [await replica(), await replica()];
    const teamId = await a.keys.ensureTeam('research');
    const minted = mintApiKey();
    await a.keys.create({ teamId, publicId: minted.publicId, secretHash: minted.secretHash, name: 'ci', role: 'runner' });
    // Both replicas have the key cached as valid.
    for (const r of [a, b]) expect((await r.auth.authenticate(`Bearer ${minted.token}`)).role).toBe('runner');
    await a.keys.revoke(teamId, minted.publicId, new Date());
    const ms = await within(3_000, 'replica B refusing the revoked key', refuses(b, minted.token, /revoked/));
    expect(ms).toBeLessThan(LONG_TTL_MS);
    // A revoke that changes nothing (already revoked, or another team's key) notifies nobody and fails nothing.
    expect(await a.keys.revoke(teamId, 'nosuchkey123', new Date())).toBeNull();
  });

  it("removing a member revokes its keys everywhere, and lowering the member's role lowers its cached keys everywhere", async () => {
    const [a, b] = [await replica(), await replica()];
    const teamId = await a.keys.ensureTeam('members');
    const { member } = await a.keys.addMember(teamId, 'ada@example.com', 'admin');
    const mint = async (role: RoleName) => {
      const k = mintApiKey();
      await a.keys.create({ teamId, publicId: k.publicId, secretHash: k.secretHash, name: role, role, memberId: member.id });
      return k;
    };
    const admin = await mint('admin');
    expect((await b.auth.authenticate(`Bearer ${admin.token}`)).role).toBe('admin');
    await a.keys.addMember(teamId, 'ada@example.com', 'viewer');
    await within(3_000, 'replica B seeing the lowered role', async () => (await b.auth.authenticate(`Bearer ${admin.token}`)).role === 'viewer');

    expect((await b.auth.authenticate(`Bearer ${admin.token}`)).role).toBe('viewer');
    await a.keys.removeMember(teamId, member.id, new Date());
    await within(3_000, 'replica B refusing the removed member\'s key', refuses(b, admin.token, /revoked/));
  });

  it('a replica whose listener lost its connection drops its whole cache when it listens again', async () => {
    const b = await replica();
    const teamId = await b.keys.ensureTeam('gap');
    const minted = mintApiKey();
    await b.keys.create({ teamId, publicId: minted.publicId, secretHash: minted.secretHash, name: 'gap', role: 'runner' });
    await b.auth.authenticate(`Bearer ${minted.token}`);
    // While B's listener is cut off, the key is revoked behind its back (a notification B cannot hear).
    await b.prisma.$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${`lemur-listen-${API_KEY_CHANGED_CHANNEL}`} AND datname = current_database()`;
    await b.prisma.apiKey.updateMany({ where: { publicId: minted.publicId }, data: { revokedAt: new Date() } });
    await within(5_000, 'replica B refusing the key after its listener came back', refuses(b, minted.token, /revoked/));
  });
});
