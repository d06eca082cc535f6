import { Body, Controller, Get, Inject, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Access } from '../auth/access.decorator';
import { setQuotasBody } from '../auth/auth.schema';
import { principalOf } from '../auth/principal';
import { INFERENCE_CLIENT, RUN_QUOTA_REPOSITORY, RUN_QUOTAS } from '../gateway.tokens';
import { validate } from '../runs/run-request.schema';
import type { InferenceClient } from '../runs/runs.controller';
import type { RunQuotaRepository, TeamQuotaSettings } from './run-quota.repository';
import type { RunQuotas } from './run-quotas.service';
import { tokenQuotaOf } from './token-quota';

/** The team's quotas (runs, and inference tokens per minute): anyone of the team reads them, admins change them. */
@Controller('v1')
export class QuotasController {
  constructor(
    @Inject(RUN_QUOTAS) private readonly quotas: RunQuotas,
    @Inject(RUN_QUOTA_REPOSITORY) private readonly repo: RunQuotaRepository,
    @Inject(INFERENCE_CLIENT) private readonly inference: InferenceClient,
  ) {}

  @Get('quotas')
  @Access('viewer')
  async getQuotas(@Req() req: FastifyRequest) {
    const { teamId } = principalOf(req);
    return this.answer(req, await this.repo.settings(teamId));
  }

  @Put('quotas')
  @Access('admin')
  async setQuotas(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(setQuotasBody, body ?? {}, 'body');
    const settings = await this.repo.setOverrides(principalOf(req).teamId, {
      ...(b.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: b.maxConcurrentRuns } : {}),
      ...(b.maxSamplesPerDay !== undefined ? { maxSamplesPerDay: b.maxSamplesPerDay } : {}),
      ...(b.tokensPerMinute !== undefined ? { tokensPerMinute: b.tokensPerMinute } : {}),
    });
    return this.answer(req, settings);
  }

  private async answer(req: FastifyRequest, settings: TeamQuotaSettings) {
    const { teamId, teamName } = principalOf(req);
    const [usage, tokens] = await Promise.all([
      this.quotas.usage(teamId),
      tokenQuotaOf({ name: teamName, tokensPerMinute: settings.tokensPerMinute }, this.inference),
    ]);
    return { quotas: { ...usage, ...tokens } };
  }
}
