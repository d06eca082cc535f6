// The gateway's only access to the audit_log table.
import type { Prisma, PrismaClient } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';

/** What the audit log records. */
export type AuditAction = 'run.start' | 'run.cancel' | 'run.rescore' | 'run.retry-errors' | 'run.delete' | 'key.create' | 'key.revoke' | 'member.add' | 'member.remove' | 'schedule.create' | 'schedule.delete' | 'suite.start';

/** One audit entry. */
export interface AuditEntry {
  id: string;
  action: string;
  actor: string;
  target: string;
  detail: unknown;
  createdAt: Date;
}

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw PlatformError.invalid('cursor', 'is not a cursor this API returned');
  return { createdAt, id };
}

export class AuditLogRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async record(entry: { teamId: string; actor: string; action: AuditAction; target: string; detail?: Record<string, unknown> }): Promise<void> {
    await this.prisma.auditLog.create({
      data: {
        teamId: entry.teamId,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        ...(entry.detail ? { detail: entry.detail as Prisma.InputJsonValue } : {}),
      },
    });
  }

  /** The team's entries, newest first, by keyset pages. */
  async page(teamId: string, opts: { limit: number; cursor?: string }): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const rows = await this.prisma.auditLog.findMany({
      where: {
        teamId,
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit).map((r) => ({ id: r.id, action: r.action, actor: r.actor, target: r.target, detail: r.detail, createdAt: r.createdAt }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? encodeCursor(last) : null };
  }
}
