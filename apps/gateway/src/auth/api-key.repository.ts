// The gateway's only access to the team, member and api_key tables.
import type { PrismaClient, Role } from '@lemur/shared-database';
import { ROLES, type RoleName } from './api-key';

/** A stored key with its team, as authentication needs it. */
export interface StoredKey {
  id: string;
  publicId: string;
  name: string;
  role: RoleName;
  secretHash: Uint8Array;
  teamId: string;
  teamName: string;
  memberId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A member of a team. */
export interface MemberRecord {
  id: string;
  email: string;
  role: RoleName;
  createdAt: Date;
}

/**
 * The channel every gateway replica LISTENs on: a key's public id is NOTIFYed there in the transaction that revokes it
 * or lowers its role, so each replica drops it from its key cache the moment the change commits.
 */
export const API_KEY_CHANGED_CHANNEL = 'lemur_api_key_changed';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

async function notifyKeysChanged(tx: Tx, publicIds: readonly string[]): Promise<void> {
  for (const publicId of publicIds) await tx.$executeRaw`SELECT pg_notify(${API_KEY_CHANGED_CHANNEL}, ${publicId})`;
}

const toRole = (role: RoleName): Role => role.toUpperCase() as Role;
const fromRole = (role: Role): RoleName => role.toLowerCase() as RoleName;
const toMember = (row: { id: string; email: string; role: Role; createdAt: Date }): MemberRecord => ({
  id: row.id,
  email: row.email,
  role: fromRole(row.role),
  createdAt: row.createdAt,
});

type KeyRow = Awaited<ReturnType<PrismaClient['apiKey']['findUniqueOrThrow']>> & { team: { name: string } };

function toStoredKey(row: KeyRow): StoredKey {
  return {
    id: row.id,
    publicId: row.publicId,
    name: row.name,
    role: fromRole(row.role),
    secretHash: row.secretHash,
    teamId: row.teamId,
    teamName: row.team.name,
    memberId: row.memberId,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The id of the team with this name, created on first use (the same rule as the eval service's). */
  async ensureTeam(name: string): Promise<string> {
    await this.prisma.team.createMany({ data: [{ name }], skipDuplicates: true });
    return (await this.prisma.team.findUniqueOrThrow({ where: { name }, select: { id: true } })).id;
  }

  async findByPublicId(publicId: string): Promise<StoredKey | null> {
    const row = await this.prisma.apiKey.findUnique({ where: { publicId }, include: { team: { select: { name: true } } } });
    return row ? toStoredKey(row) : null;
  }

  async create(key: {
    teamId: string;
    publicId: string;
    secretHash: Buffer;
    name: string;
    role: RoleName;
    memberId?: string;
    expiresAt?: Date;
  }): Promise<StoredKey> {
    const row = await this.prisma.apiKey.create({
      data: {
        teamId: key.teamId,
        publicId: key.publicId,
        secretHash: new Uint8Array(key.secretHash),
        name: key.name,
        role: toRole(key.role),
        ...(key.memberId ? { memberId: key.memberId } : {}),
        ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
      },
      include: { team: { select: { name: true } } },
    });
    return toStoredKey(row);
  }

  async listForTeam(teamId: string): Promise<StoredKey[]> {
    const rows = await this.prisma.apiKey.findMany({
      where: { teamId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      include: { team: { select: { name: true } } },
    });
    return rows.map(toStoredKey);
  }

  /** Revokes a key of the team by public id; null when the team has no such key (another team's key included). */
  async revoke(teamId: string, publicId: string, at: Date): Promise<StoredKey | null> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.apiKey.updateMany({ where: { teamId, publicId, revokedAt: null }, data: { revokedAt: at } });
      if (count > 0) await notifyKeysChanged(tx, [publicId]);
      const row = await tx.apiKey.findFirst({ where: { teamId, publicId }, include: { team: { select: { name: true } } } });
      return row ? toStoredKey(row) : null;
    });
  }

  /** Records use; the condition makes concurrent writers and replicas skip a row written within the last `minGapMs`. */
  async touch(id: string, at: Date, minGapMs: number): Promise<void> {
    await this.prisma.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - minGapMs) } }] },
      data: { lastUsedAt: at },
    });
  }

  /**
   * Adds a member, or changes an existing member's role. A member's keys never hold more than the member: on a
   * downgrade, keys above the new role are lowered to it in the same transaction. Returns the lowered keys' public ids.
   */
  async addMember(teamId: string, email: string, role: RoleName): Promise<{ member: MemberRecord; loweredKeys: string[] }> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.member.upsert({
        where: { teamId_email: { teamId, email } },
        create: { teamId, email, role: toRole(role) },
        update: { role: toRole(role) },
      });
      const above = ROLES.slice(ROLES.indexOf(role) + 1).map(toRole);
      const lowered = await tx.apiKey.findMany({ where: { teamId, memberId: row.id, role: { in: above } }, select: { publicId: true } });
      if (lowered.length > 0) await tx.apiKey.updateMany({ where: { teamId, memberId: row.id, role: { in: above } }, data: { role: toRole(role) } });
      await notifyKeysChanged(tx, lowered.map((k) => k.publicId));
      return { member: toMember(row), loweredKeys: lowered.map((k) => k.publicId) };
    });
  }

  /**
   * Removes a member of the team and revokes every key it holds, in one transaction (the revoked keys stay listed, for
   * the record). Null when the team has no such member: another team's member answers like a missing one.
   */
  async removeMember(teamId: string, id: string, at: Date): Promise<{ member: MemberRecord; revokedKeys: string[] } | null> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.member.findFirst({ where: { teamId, id } });
      if (!row) return null;
      const active = await tx.apiKey.findMany({ where: { teamId, memberId: id, revokedAt: null }, select: { publicId: true } });
      await tx.apiKey.updateMany({ where: { teamId, memberId: id, revokedAt: null }, data: { revokedAt: at } });
      await notifyKeysChanged(tx, active.map((k) => k.publicId));
      await tx.member.delete({ where: { id } });
      return { member: toMember(row), revokedKeys: active.map((k) => k.publicId) };
    });
  }

  async listMembers(teamId: string): Promise<MemberRecord[]> {
    const rows = await this.prisma.member.findMany({ where: { teamId }, orderBy: { email: 'asc' } });
    return rows.map(toMember);
  }

  async findMember(teamId: string, id: string): Promise<MemberRecord | null> {
    const row = await this.prisma.member.findFirst({ where: { teamId, id } });
    return row ? toMember(row) : null;
  }
}
