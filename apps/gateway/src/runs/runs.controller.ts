import type { evalV1, inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { plannedSamples } from '@lemur/shared-run-admission';
import { activeSpan } from '@lemur/shared-tracing';
import type { GrpcClient } from '@lemur/shared-grpc';
import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import { Access } from '../auth/access.decorator';
import { principalOf } from '../auth/principal';
import { AUDIT_LOG, EVAL_CLIENT, INFERENCE_CLIENT, RUN_QUOTAS } from '../gateway.tokens';
import type { RunQuotas } from '../quotas/run-quotas.service';
import { modelListJson } from '../openai/openai-json.mapper';
import { benchmarkJson, comparisonJson, modelJson, runJson, runStatusName, runStatusValue, sampleJson, sampleStatusValue } from './run-json.mapper';
import { compareQuery, createRunBody, listRunsQuery, listSamplesQuery, runPathParams, samplePathParams, validate } from './run-request.schema';
import { teamOf } from './team-context';
import { runConfigOf } from './run-config.mapper';

/** The eval service always answers with a run; if it ever does not, that is our bug (500), not the client's. */
function requireRun(run: evalV1.Run | undefined): evalV1.Run {
  if (!run) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a run');
  return run;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const cursorJson = (nextPageToken: string) => (nextPageToken ? JSON.stringify(nextPageToken) : 'null');

/**
 * A listing's response body: the eval service writes each listed run or sample as the REST API's JSON object (RunJson,
 * SampleJson), so the page is spliced together here without parsing it (sent as is: the route's content type is JSON).
 * `itemsJson` is the page as one JSON array in UTF-8 (the eval service's *_json_array), or as one string per item (an
 * eval service of the previous version).
 */
function listingBody(key: 'runs' | 'samples', itemsJson: Uint8Array | string[], nextPageToken: string): Buffer | string {
  if (Array.isArray(itemsJson)) return `{"${key}":[${itemsJson.join(',')}],"nextCursor":${cursorJson(nextPageToken)}}`;
  // Bytes in, bytes out: decoding ~100 KB of text to strings and encoding it again (and the garbage) was about a third
  // of the gateway's CPU per page of 100 samples (bench/api-latency.bench.ts).
  return Buffer.concat([Buffer.from(`{"${key}":`), itemsJson, Buffer.from(`,"nextCursor":${cursorJson(nextPageToken)}}`)]);
}

export type EvalClient = GrpcClient<(typeof evalV1.EvalService)['method']>;
export type InferenceClient = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

/** REST adapter over the eval and inference services: validation here, behaviour there. */
@Controller('v1')
export class RunsController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(INFERENCE_CLIENT) private readonly inferenceClient: InferenceClient,
    @Inject(RUN_QUOTAS) private readonly quotas: RunQuotas,
    @Inject(AUDIT_LOG) private readonly audit: AuditLogRepository,
  ) {}

  @Post('runs')
  @HttpCode(201)
  @Access('runner')
  async createRun(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(createRunBody, body ?? {}, 'body');
    const me = principalOf(req);
    const { benchmarks } = await this.evalClient.listBenchmarks({});
    const samples = plannedSamples(benchmarks, b.benchmark, b.limit ?? 0, b.samples ?? 1);
    const { run } = await this.quotas.admit({ id: me.teamId, name: me.teamName }, samples, () => this.evalClient.createRun({
      team: me.teamName,
      model: b.model,
      benchmark: b.benchmark,
      config: runConfigOf(b),
    }));
    const created = requireRun(run);
    activeSpan()?.setAttribute('run.id', created.id);
    await this.audit.record({
      teamId: me.teamId,
      actor: me.actor,
      action: 'run.start',
      target: created.id,
      detail: { model: b.model, benchmark: b.benchmark, samples },
    });
    return { run: runJson(created) };
  }

  @Get('runs')
  @Access('viewer')
  @Header('content-type', JSON_CONTENT_TYPE)
  async listRuns(@Req() req: FastifyRequest, @Query() query: unknown) {
    const q = validate(listRunsQuery, query, 'query');
    const page = await this.evalClient.listRuns({
      team: teamOf(req),
      pageSize: q.limit,
      pageToken: q.cursor ?? '',
      model: q.model ?? '',
      benchmark: q.benchmark ?? '',
      status: runStatusValue(q.status),
      scheduleId: q.schedule ?? '',
      suiteRunId: q.suite ?? '',
    });
    if (page.runsJsonArray.length > 0) return listingBody('runs', page.runsJsonArray, page.nextPageToken);
    // An older eval service sends Run messages instead of the listing's JSON text.
    if (page.runs.length > 0) return { runs: page.runs.map((run, i) => runJson(run, page.specsJson[i])), nextCursor: page.nextPageToken || null };
    return listingBody('runs', page.runsJson, page.nextPageToken);
  }

  @Get('compare')
  @Access('viewer')
  async compare(@Req() req: FastifyRequest, @Query() query: unknown) {
    const q = validate(compareQuery, query, 'query');
    const { comparison } = await this.evalClient.compareRuns({ team: teamOf(req), runA: q.a, runB: q.b });
    if (!comparison) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a comparison');
    return { comparison: comparisonJson(comparison) };
  }

  @Get('runs/:id')
  @Access('viewer')
  async getRun(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { run } = await this.evalClient.getRun({ team: teamOf(req), id: validate(runPathParams, params, 'path').id });
    return { run: runJson(requireRun(run)) };
  }

  @Get('runs/:id/samples')
  @Access('viewer')
  @Header('content-type', JSON_CONTENT_TYPE)
  async listSamples(@Req() req: FastifyRequest, @Param() params: unknown, @Query() query: unknown) {
    const q = validate(listSamplesQuery, query, 'query');
    const page = await this.evalClient.listSamples({
      team: teamOf(req),
      runId: validate(runPathParams, params, 'path').id,
      status: sampleStatusValue(q.status),
      ...(q.passed !== undefined ? { passed: q.passed } : {}),
      pageSize: q.limit,
      pageToken: q.cursor ?? '',
    });
    if (page.samplesJsonArray.length > 0) return listingBody('samples', page.samplesJsonArray, page.nextPageToken);
    if (page.samples.length > 0) {
      return { samples: page.samples.map((sample, i) => sampleJson(sample, page.detailsJson[i])), nextCursor: page.nextPageToken || null };
    }
    return listingBody('samples', page.samplesJson, page.nextPageToken);
  }

  @Get('runs/:id/samples/:sampleId')
  @Access('viewer')
  async getSample(@Req() req: FastifyRequest, @Param() params: unknown) {
    const p = validate(samplePathParams, params, 'path');
    const { sample } = await this.evalClient.getSample({ team: teamOf(req), runId: p.id, sampleId: p.sampleId });
    if (!sample) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a sample');
    return { sample: sampleJson(sample) };
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  @Access('runner')
  async cancelRun(@Req() req: FastifyRequest, @Param() params: unknown) {
    const me = principalOf(req);
    const { run } = await this.evalClient.cancelRun({ team: me.teamName, id: validate(runPathParams, params, 'path').id });
    const cancelled = requireRun(run);
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'run.cancel', target: cancelled.id });
    return { run: runJson(cancelled) };
  }

  @Delete('runs/:id')
  @HttpCode(204)
  @Access('admin')
  async deleteRun(@Req() req: FastifyRequest, @Param() params: unknown): Promise<void> {
    const me = principalOf(req);
    const { run, deletedSamples } = await this.evalClient.deleteRun({ team: me.teamName, id: validate(runPathParams, params, 'path').id });
    const deleted = requireRun(run);
    // The run and its samples are gone: this entry is what is left of what it was.
    await this.audit.record({
      teamId: me.teamId,
      actor: me.actor,
      action: 'run.delete',
      target: deleted.id,
      detail: { model: deleted.model, benchmark: deleted.benchmark, status: runStatusName(deleted.status), samples: deletedSamples },
    });
  }

  @Post('runs/:id/rescore')
  @HttpCode(201)
  @Access('runner')
  async rescoreRun(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { id } = validate(runPathParams, params, 'path');
    const me = principalOf(req);
    // Another team's run is a 404 here, before any quota is looked at.
    const source = requireRun((await this.evalClient.getRun({ team: me.teamName, id })).run);
    const counts = source.summary?.counts;
    const samples = (counts?.scored ?? 0) + (counts?.errored ?? 0);
    // A run slot but no daily samples: re-scoring calls no model. Under the team's quota lock, so two re-scorings of one
    // run reach the eval service one after the other and the second is refused there while the first is in flight.
    const { run } = await this.quotas.admitRescore({ id: me.teamId, name: me.teamName }, () => this.evalClient.rescoreRun({ team: me.teamName, id }));
    const created = requireRun(run);
    activeSpan()?.setAttribute('run.id', created.id);
    await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'run.rescore', target: created.id, detail: { sourceRunId: id, samples } });
    return { run: runJson(created) };
  }

  @Post('runs/:id/retry-errors')
  @HttpCode(200)
  @Access('runner')
  async retryErrors(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { id } = validate(runPathParams, params, 'path');
    const me = principalOf(req);
    // Another team's run is a 404 here, before any quota is looked at.
    const errored = requireRun((await this.evalClient.getRun({ team: me.teamName, id })).run).summary?.counts?.errored ?? 0;
    // The retried samples call the model again: the reopened run takes a run slot and they count toward the daily samples.
    // The audit entry is the record of them the quota reads (RunQuotaRepository), so it is written under the team's lock.
    return this.quotas.admit({ id: me.teamId, name: me.teamName }, errored, async () => {
      const { run, retried } = await this.evalClient.retryErroredSamples({ team: me.teamName, id });
      const reopened = requireRun(run);
      await this.audit.record({ teamId: me.teamId, actor: me.actor, action: 'run.retry-errors', target: reopened.id, detail: { retried } });
      return { run: runJson(reopened), retried };
    });
  }

  @Get('benchmarks')
  @Access('viewer')
  async listBenchmarks() {
    const { benchmarks } = await this.evalClient.listBenchmarks({});
    return { benchmarks: benchmarks.map(benchmarkJson) };
  }

  @Get('models')
  @Access('viewer')
  async listModels() {
    const { models } = await this.inferenceClient.listModels({});
    // One route for both APIs: `models` for Lemur clients, `object`/`data` for OpenAI clients.
    return { ...modelListJson(models), models: models.map(modelJson) };
  }
}
