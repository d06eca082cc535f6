import { Body, Controller, Get, Inject, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Access } from '../auth/access.decorator';
import { setQuotasBody } from '../auth/auth.schema';
import { principalOf } from '../auth/principal';
import { RUN_QUOTA_REPOSITORY, RUN_QUOTAS } from '../gateway.tokens';
import { validate } from '../runs/run-request.schema';
import type { RunQuotaRepository } from './run-quota.repository';
import type { RunQuotas } from './run-quotas.service';

/** The team's run quotas: anyone of the team reads them, admins change them. */
@Controller('v1')
export class QuotasController {
  constructor(
    @Inject(RUN_QUOTAS) private readonly quotas: RunQuotas,
    @Inject(RUN_QUOTA_REPOSITORY) private readonly repo: RunQuotaRepository,
  ) {}

  @Get('quotas')
  @Access('viewer')
  async getQuotas(@Req() req: FastifyRequest) {
    return { quotas: await this.quotas.usage(principalOf(req).teamId) };
  }

  @Put('quotas')
  @Access('admin')
  async setQuotas(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(setQuotasBody, body ?? {}, 'body');
    const teamId = principalOf(req).teamId;
    await this.repo.setOverrides(teamId, {
      ...(b.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: b.maxConcurrentRuns } : {}),
      ...(b.maxSamplesPerDay !== undefined ? { maxSamplesPerDay: b.maxSamplesPerDay } : {}),
    });
    return { quotas: await this.quotas.usage(teamId) };
  }
}
