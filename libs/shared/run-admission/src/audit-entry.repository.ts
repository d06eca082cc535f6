// Writes audit_log rows. The gateway records what API callers do; the eval service's scheduler records the runs a
// schedule starts. One writer, so both write the same actions with the same shape.
import type { Prisma, PrismaClient } from '@lemur/shared-database';

/** What the audit log records. */
export type AuditAction = 'run.start' | 'run.cancel' | 'run.rescore' | 'run.retry-errors' | 'run.delete' | 'key.create' | 'key.revoke' | 'member.add' | 'member.remove' | 'schedule.create' | 'schedule.delete' | 'suite.start';

/** Appends entries to the team's audit log. */
export class AuditEntryRepository {
  constructor(protected readonly prisma: PrismaClient) {}

  /** `actor` names who did it: an API key (`lmr_...`), `bootstrap`, or `schedule:<name>` for a schedule's runs. */
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
}
