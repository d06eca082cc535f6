// The gateway's access to the audit_log table: entries are written by the shared AuditEntryRepository (the eval
// service's scheduler writes its runs' entries with it too), and read here.
import { AuditEntryRepository } from '@lemur/shared-run-admission';
import { PlatformError } from '@lemur/shared-errors';

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

/** Writes (AuditEntryRepository.record) and pages the team's audit log. */
export class AuditLogRepository extends AuditEntryRepository {
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
