// Implements SuiteRunStore over Prisma: the only place of the eval service that touches the suite_run table.
import { type Prisma, type PrismaClient, type SuiteRun } from '@lemur/shared-database';
import type { RunConfigData } from '../runs/run.types';
import type { SuiteMemberRecord, SuiteRunRecord, SuiteRunStore } from './suite-run.types';

function toRecord(row: SuiteRun): SuiteRunRecord {
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    modelName: row.modelName,
    config: row.config as unknown as RunConfigData,
    members: row.members as unknown as SuiteMemberRecord[],
    createdAt: row.createdAt,
  };
}

export class SuiteRunRepository implements SuiteRunStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(run: { teamId: string; name: string; modelName: string; config: RunConfigData }): Promise<SuiteRunRecord> {
    const row = await this.prisma.suiteRun.create({
      data: { teamId: run.teamId, name: run.name, modelName: run.modelName, config: run.config as unknown as Prisma.InputJsonValue, members: [] },
    });
    return toRecord(row);
  }

  async setMembers(id: string, members: readonly SuiteMemberRecord[]): Promise<void> {
    await this.prisma.suiteRun.update({ where: { id }, data: { members: members as unknown as Prisma.InputJsonValue } });
  }

  async delete(id: string): Promise<void> {
    await this.prisma.suiteRun.deleteMany({ where: { id } });
  }

  async findForTeam(teamId: string, id: string): Promise<SuiteRunRecord | null> {
    const row = await this.prisma.suiteRun.findFirst({ where: { id, teamId } });
    return row ? toRecord(row) : null;
  }
}
