import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import { RUN_STORE, SCHEDULE_REPOSITORY } from '../eval.tokens';
import type { RunStore } from '../runs/run-store';
import { runConfigMessage, runSettingsOf } from '../runs/run.mapper';
import { CronSchedule } from './cron-schedule';
import type { ScheduleRepository } from './schedule.repository';
import type { ScheduleRecord, ScheduleRunConfig } from './schedule.types';
import { generateWebhookSecret } from './webhook-signature';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MAX_BENCHMARKS = 20;

/** The wire form of a schedule. */
export function toScheduleMessage(s: ScheduleRecord): evalV1.Schedule {
  return create(evalV1.ScheduleSchema, {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    model: s.modelName,
    benchmarks: s.benchmarks,
    config: runConfigMessage(s.config),
    baseline: s.baseline,
    enabled: s.enabled,
    webhookUrl: s.webhookUrl ?? '',
    nextRunAt: timestampFromDate(s.nextRunAt),
    ...(s.lastRunAt ? { lastRunAt: timestampFromDate(s.lastRunAt) } : {}),
    ...(s.lastSuccessAt ? { lastSuccessAt: timestampFromDate(s.lastSuccessAt) } : {}),
    createdAt: timestampFromDate(s.createdAt),
    lastSkipReason: s.lastSkipReason ?? '',
  });
}

function runConfig(c: evalV1.RunConfig | undefined): ScheduleRunConfig {
  // A schedule always starts at least one sample per item.
  return { ...runSettingsOf(c), samplesPerItem: c?.samplesPerItem || 1 };
}

function webhookUrl(raw: string): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw PlatformError.invalid('webhook_url', `"${raw}" is not a URL; give an http(s) URL or leave it empty`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw PlatformError.invalid('webhook_url', 'must be an http(s) URL');
  if (url.username || url.password) throw PlatformError.invalid('webhook_url', 'must not carry credentials (user:password@); deliveries are signed instead');
  return url.toString();
}

/** gRPC adapter of the schedule methods of lemur.eval.v1.EvalService; a schedule of another team is NOT_FOUND. */
@Controller()
export class SchedulesGrpcHandler {
  constructor(
    @Inject(SCHEDULE_REPOSITORY) private readonly schedules: ScheduleRepository,
    @Inject(RUN_STORE) private readonly runs: RunStore,
    @Inject(BenchmarkCatalog) private readonly catalog: BenchmarkCatalog,
  ) {}

  @GrpcMethod('EvalService', 'CreateSchedule')
  async createSchedule(req: evalV1.CreateScheduleRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    if (!NAME.test(req.name)) throw PlatformError.invalid('name', 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
    const cron = CronSchedule.parse(req.cron, req.timezone || 'UTC');
    if (!req.model) throw PlatformError.invalid('model', 'is required');
    if (req.benchmarks.length === 0) throw PlatformError.invalid('benchmarks', 'name at least one benchmark, e.g. ["gsm8k"]');
    if (req.benchmarks.length > MAX_BENCHMARKS) throw PlatformError.invalid('benchmarks', `at most ${MAX_BENCHMARKS}`);
    for (const benchmark of req.benchmarks) this.catalog.get(benchmark.split('@')[0] ?? benchmark);
    const teamId = await this.runs.ensureTeam(req.team);
    const baseline = req.baseline || 'previous';
    if (baseline !== 'previous') {
      if (!UUID.test(baseline)) throw PlatformError.invalid('baseline', 'must be "previous" or a run id (UUID)');
      if (!(await this.runs.findForTeam(teamId, baseline))) {
        throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `baseline run ${baseline} not found`, { field: 'baseline' });
      }
    }
    const url = webhookUrl(req.webhookUrl);
    // Shown in this response only: the receiver stores it to verify deliveries; no read of a schedule returns it.
    const webhookSecret = url ? generateWebhookSecret() : null;
    const schedule = await this.schedules.create({
      teamId,
      name: req.name,
      cron: cron.expression,
      timezone: cron.timezone,
      modelName: req.model,
      benchmarks: [...new Set(req.benchmarks)],
      config: runConfig(req.config),
      baseline,
      enabled: req.enabled,
      webhookUrl: url,
      webhookSecret,
      nextRunAt: cron.nextAfter(new Date()),
    });
    return create(evalV1.CreateScheduleResponseSchema, { schedule: toScheduleMessage(schedule), webhookSecret: webhookSecret ?? '' });
  }

  @GrpcMethod('EvalService', 'ListSchedules')
  async listSchedules(req: evalV1.ListSchedulesRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    const list = await this.schedules.listForTeam(await this.runs.ensureTeam(req.team));
    return create(evalV1.ListSchedulesResponseSchema, { schedules: list.map(toScheduleMessage) });
  }

  @GrpcMethod('EvalService', 'DeleteSchedule')
  async deleteSchedule(req: evalV1.DeleteScheduleRequest) {
    if (!req.team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(req.id)) throw PlatformError.invalid('id', 'must be a schedule id (UUID)');
    const teamId = await this.runs.ensureTeam(req.team);
    const schedule = await this.schedules.findForTeam(teamId, req.id);
    if (!schedule || !(await this.schedules.deleteForTeam(teamId, req.id))) {
      throw new PlatformError(PlatformErrorCode.SCHEDULE_NOT_FOUND, `schedule ${req.id} not found`, { field: 'id' });
    }
    return create(evalV1.DeleteScheduleResponseSchema, { schedule: toScheduleMessage(schedule) });
  }
}
