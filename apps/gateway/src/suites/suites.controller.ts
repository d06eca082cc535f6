import { findSuite } from '@lemur/benchmarks';
import type { evalV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { Access } from '../auth/access.decorator';
import { principalOf } from '../auth/principal';
import { AUDIT_LOG, EVAL_CLIENT, RUN_QUOTAS } from '../gateway.tokens';
import type { RunQuotas } from '../quotas/run-quotas.service';
import { validate } from '../runs/run-request.schema';
import type { EvalClient } from '../runs/runs.controller';
import { teamOf } from '../runs/team-context';
import { suiteRunJson } from './suite-json.mapper';
import { createSuiteBody, suitePathParams, type CreateSuiteBody } from './suite-request.schema';
import { runConfigOf } from '../runs/run-config.mapper';

// Starting a suite loads every member's dataset and stores all its samples (tens of thousands for the full suite).
const SUITE_START_DEADLINE_MS = 10 * 60_000;

function requireSuiteRun(suiteRun: evalV1.SuiteRun | undefined): evalV1.SuiteRun {
  if (!suiteRun) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a suite run');
  return suiteRun;
}

/**
 * What the suite's registered members will start, for the quotas: runs (at most one per member; unknown ids are skipped)
 * and samples.
 */
function plannedDemand(benchmarks: evalV1.BenchmarkInfo[], b: CreateSuiteBody): { runs: number; samples: number } {
  const suite = findSuite(b.suite);
  if (!suite) return { runs: 0, samples: 0 };
  const ids = [...suite.benchmarks, ...(b.feedbackModel !== undefined ? suite.feedbackBenchmarks : [])];
  const registered = ids.flatMap((id) => benchmarks.filter((x) => x.name === id).slice(0, 1));
  const samples = registered.reduce((total, x) => total + (b.limit ? Math.min(b.limit, x.items) : x.items) * (b.samples ?? 1), 0);
  return { runs: registered.length, samples };
}

/** REST adapter of the eval service's suites: one command starts a run per member of a named suite. */
@Controller('v1/suites')
export class SuitesController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(RUN_QUOTAS) private readonly quotas: RunQuotas,
    @Inject(AUDIT_LOG) private readonly audit: AuditLogRepository,
  ) {}

  @Post()
  @HttpCode(201)
  @Access('runner')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(createSuiteBody, body ?? {}, 'body');
    const me = principalOf(req);
    const { benchmarks } = await this.evalClient.listBenchmarks({});
    const { runs, samples } = plannedDemand(benchmarks, b);
    const request = {
      team: me.teamName,
      model: b.model,
      suite: b.suite,
      config: runConfigOf(b),
    };
    // Admitted as one start under the team lock: every member run counts toward the concurrent-run quota, every
    // member's samples toward the daily one.
    const { suiteRun } = await this.quotas.admit(
      { id: me.teamId, name: me.teamName },
      samples,
      () => this.evalClient.startSuite(request, { deadlineMs: SUITE_START_DEADLINE_MS }),
      { runs, timeoutMs: SUITE_START_DEADLINE_MS + 10_000 },
    );
    const created = requireSuiteRun(suiteRun);
    await this.audit.record({
      teamId: me.teamId,
      actor: me.actor,
      action: 'suite.start',
      target: created.id,
      detail: { model: b.model, suite: created.suite, runs: created.members.flatMap((m) => (m.run ? [m.run.id] : [])), samples },
    });
    return { suiteRun: suiteRunJson(created) };
  }

  @Get(':id')
  @Access('viewer')
  async get(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { suiteRun } = await this.evalClient.getSuite({ team: teamOf(req), id: validate(suitePathParams, params, 'path').id });
    return { suiteRun: suiteRunJson(requireSuiteRun(suiteRun)) };
  }
}

