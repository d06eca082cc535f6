import type { evalV1, inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { GrpcClient } from '@lemur/shared-grpc';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EVAL_CLIENT, INFERENCE_CLIENT } from '../gateway.tokens';
import { benchmarkJson, modelJson, runJson, sampleJson, sampleStatusValue } from './run-json.mapper';
import { createRunBody, listRunsQuery, listSamplesQuery, runPathParams, validate } from './run-request.schema';
import { teamOf } from './team-context';

/** The eval service always answers with a run; if it ever does not, that is our bug (500), not the client's. */
function requireRun(run: evalV1.Run | undefined): evalV1.Run {
  if (!run) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the eval service answered without a run');
  return run;
}

export type EvalClient = GrpcClient<(typeof evalV1.EvalService)['method']>;
export type InferenceClient = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

/** REST adapter over the eval and inference services: validation here, behaviour there. */
@Controller('v1')
export class RunsController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(INFERENCE_CLIENT) private readonly inferenceClient: InferenceClient,
  ) {}

  @Post('runs')
  @HttpCode(201)
  async createRun(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = validate(createRunBody, body ?? {}, 'body');
    const { run } = await this.evalClient.createRun({
      team: teamOf(req),
      model: b.model,
      benchmark: b.benchmark,
      config: {
        limit: b.limit ?? 0,
        samplesPerItem: b.samples ?? 1,
        concurrency: b.concurrency ?? 0,
        chat: b.chat ?? false,
        ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
        ...(b.maxTokens !== undefined ? { maxTokens: b.maxTokens } : {}),
        ...(b.topP !== undefined ? { topP: b.topP } : {}),
        ...(b.seed !== undefined ? { seed: BigInt(b.seed) } : {}),
      },
    });
    return { run: runJson(requireRun(run)) };
  }

  @Get('runs')
  async listRuns(@Req() req: FastifyRequest, @Query() query: unknown) {
    const q = validate(listRunsQuery, query, 'query');
    const page = await this.evalClient.listRuns({ team: teamOf(req), pageSize: q.limit, pageToken: q.cursor ?? '' });
    return { runs: page.runs.map(runJson), nextCursor: page.nextPageToken || null };
  }

  @Get('runs/:id')
  async getRun(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { run } = await this.evalClient.getRun({ team: teamOf(req), id: validate(runPathParams, params, 'path').id });
    return { run: runJson(requireRun(run)) };
  }

  @Get('runs/:id/samples')
  async listSamples(@Req() req: FastifyRequest, @Param() params: unknown, @Query() query: unknown) {
    const q = validate(listSamplesQuery, query, 'query');
    const page = await this.evalClient.listSamples({
      team: teamOf(req),
      runId: validate(runPathParams, params, 'path').id,
      status: sampleStatusValue(q.status),
      pageSize: q.limit,
      pageToken: q.cursor ?? '',
    });
    return { samples: page.samples.map(sampleJson), nextCursor: page.nextPageToken || null };
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  async cancelRun(@Req() req: FastifyRequest, @Param() params: unknown) {
    const { run } = await this.evalClient.cancelRun({ team: teamOf(req), id: validate(runPathParams, params, 'path').id });
    return { run: runJson(requireRun(run)) };
  }

  @Get('benchmarks')
  async listBenchmarks() {
    const { benchmarks } = await this.evalClient.listBenchmarks({});
    return { benchmarks: benchmarks.map(benchmarkJson) };
  }

  @Get('models')
  async listModels() {
    const { models } = await this.inferenceClient.listModels({});
    return { models: models.map(modelJson) };
  }
}
