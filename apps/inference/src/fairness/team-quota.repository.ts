// Reads the teams' own inference quotas, which admins set through the gateway (PUT /v1/quotas) in the team table.
import type { PrismaClient } from '@lemur/shared-database';

/** The team table's inference quota columns, read whole: a few rows (only teams with an override), every few seconds. */
export class TeamQuotaRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Tokens per minute of every team that has its own (0 = unlimited), by team name as requests carry it. */
  async tokensPerMinuteOverrides(): Promise<Map<string, number>> {
    const rows = await this.prisma.team.findMany({ where: { tokensPerMinute: { not: null } }, select: { name: true, tokensPerMinute: true } });
    return new Map(rows.flatMap((r) => (r.tokensPerMinute === null ? [] : [[r.name, r.tokensPerMinute] as const])));
  }
}
