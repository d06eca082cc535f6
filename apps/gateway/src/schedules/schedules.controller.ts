import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { Access } from '../auth/access.decorator';
import { principalOf } from '../auth/principal';
import { AUDIT_LOG, EVAL_CLIENT } from '../gateway.tokens';
import { scheduleJson } from '../runs/run-json.mapper';
import { createScheduleBody, schedulePathParams, validate } from '../runs/run-request.schema';
import type { EvalClient } from '../runs/runs.controller';
import { teamOf } from '../runs/team-context';
import { runConfigOf } from '../runs/run-config.mapper';

/** REST adapter of the eval service's schedules: admins create and delete them (a webhook's secret shown at creation only), any member lists them. */
@Controller('v1/schedules')
export class SchedulesController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(AUDIT_LOG) private readonly audit: AuditLogRepository,
  ) {}

  @Post()
  @HttpCode(201)
  @Access('admin')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(createScheduleBody, body ?? {}, 'body');
    const me = principalOf(req);
    const { schedule, webhookSecret } = await this.evalClient.createSchedule({
      team: me.teamName,
      name: b.name,
      cron: b.cron,
      timezone: b.timezone ?? 'UTC',
      model: b.model,
      benchmarks: b.benchmarks,
      baseline: b.baseline ?? 'previous',
      enabled: b.enabled ?? true,
      webhookUrl: b.webhookUrl ?? '',
      config: runConfigOf(b),
    });
    if (!schedule) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a schedule');
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'schedule.create', target: schedule.id, detail: { name: b.name, cron: b.cron } });
    // Shown once, like an API key: no later read of the schedule returns it.
    return { schedule: scheduleJson(schedule), webhookSecret: webhookSecret || null };
  }

  @Get()
  @Access('viewer')
  async list(@Req() req: FastifyRequest) {
    const { schedules } = await this.evalClient.listSchedules({ team: teamOf(req) });
    return { schedules: schedules.map(scheduleJson) };
  }

  @Delete(':id')
  @Access('admin')
  async remove(@Req() req: FastifyRequest, @Param() params: unknown) {
    const me = principalOf(req);
    const { schedule } = await this.evalClient.deleteSchedule({ team: me.teamName, id: validate(schedulePathParams, params, 'path').id });
    if (!schedule) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a schedule');
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'schedule.delete', target: schedule.id, detail: { name: schedule.name } });
    return { schedule: scheduleJson(schedule) };
  }
}
