import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Registry } from 'prom-client';
import { Access } from '../auth/access.decorator';
import { EVAL_CLIENT, INFERENCE_CLIENT, PLATFORM_VERSION } from '../gateway.tokens';
import { openApiDocument } from '../openapi/openapi.document';
import type { EvalClient, InferenceClient } from '../runs/runs.controller';

/** Operational endpoints: readiness, metrics and the API description. */
@Controller()
export class HealthController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(INFERENCE_CLIENT) private readonly inferenceClient: InferenceClient,
    @Inject(Registry) private readonly registry: Registry,
    @Inject(PLATFORM_VERSION) private readonly version: string,
  ) {}

  @Get('health')
  @Access('public')
  async health(@Res() reply: FastifyReply) {
    const checks = await Promise.allSettled([
      this.evalClient.listBenchmarks({}, { deadlineMs: 2_000 }),
      this.inferenceClient.listModels({}, { deadlineMs: 2_000 }),
    ]);
    const [evalOk, inferenceOk] = checks.map((c) => c.status === 'fulfilled');
    const ok = Boolean(evalOk && inferenceOk);
    await reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', eval: evalOk, inference: inferenceOk });
  }

  @Get('metrics')
  @Access('public')
  async metrics(@Res() reply: FastifyReply) {
    await reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
  }

  @Get('openapi.json')
  @Access('public')
  @Header('content-type', 'application/json')
  openapi() {
    return openApiDocument(this.version);
  }
}
