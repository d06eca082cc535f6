import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import { callAbortSignal } from '@lemur/shared-grpc';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { ModelRegistry } from '../registry/model-registry';
import { GenerateService, type GenerateCommand } from './generate.service';

const MAX_TOKENS_LIMIT = 32_768;

/** Validates a GenerateRequest into a command; every rejection names the field. */
export function toGenerateCommand(req: inferenceV1.GenerateRequest): GenerateCommand {
  if (!req.model) throw PlatformError.invalid('model', 'is required');
  const hasPrompt = req.prompt.length > 0;
  const hasMessages = req.messages.length > 0;
  if (hasPrompt === hasMessages) throw PlatformError.invalid('prompt', 'give exactly one of prompt or messages');
  for (const [i, m] of req.messages.entries()) {
    if (!['system', 'user', 'assistant'].includes(m.role)) {
      throw PlatformError.invalid(`messages[${i}].role`, 'must be system, user or assistant');
    }
  }
  const s = req.sampling ?? create(inferenceV1.SamplingParamsSchema);
  const maxTokens = s.maxTokens || 512;
  if (maxTokens > MAX_TOKENS_LIMIT) throw PlatformError.invalid('sampling.max_tokens', `must be at most ${MAX_TOKENS_LIMIT}`);
  if (!(s.temperature >= 0 && s.temperature <= 2)) throw PlatformError.invalid('sampling.temperature', 'must be between 0 and 2');
  if (!(s.topP >= 0 && s.topP <= 1)) throw PlatformError.invalid('sampling.top_p', 'must be between 0 and 1');
  const n = s.n || 1;
  if (n > 64) throw PlatformError.invalid('sampling.n', 'must be at most 64');
  if (s.stop.length > 8) throw PlatformError.invalid('sampling.stop', 'at most 8 stop sequences');
  return {
    model: req.model,
    ...(hasPrompt ? { prompt: req.prompt } : { messages: req.messages.map((m) => ({ role: m.role, content: m.content })) }),
    maxTokens,
    temperature: s.temperature,
    topP: s.topP || 1,
    stop: s.stop,
    ...(s.seed !== undefined ? { seed: Number(s.seed) } : {}),
    n,
    team: req.team,
  };
}

/** gRPC adapter of lemur.inference.v1.InferenceService. */
@Controller()
export class InferenceGrpcHandler {
  constructor(
    @Inject(GenerateService) private readonly generateService: GenerateService,
    @Inject(ModelRegistry) private readonly registry: ModelRegistry,
  ) {}

  @GrpcMethod('InferenceService', 'Generate')
  async generate(req: inferenceV1.GenerateRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    const result = await this.generateService.generate(toGenerateCommand(req), callAbortSignal(call));
    return create(inferenceV1.GenerateResponseSchema, {
      model: req.model,
      choices: result.choices,
      usage: result.usage,
      endpoint: result.endpoint,
      latencyMs: result.latencyMs,
      attempts: result.attempts,
    });
  }

  @GrpcMethod('InferenceService', 'GenerateStream')
  generateStream(req: inferenceV1.GenerateStreamRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    const command = toGenerateCommand(req.request ?? create(inferenceV1.GenerateRequestSchema));
    return new Observable<inferenceV1.GenerateStreamResponse>((subscriber) => {
      const controller = new AbortController();
      const signal = AbortSignal.any([controller.signal, callAbortSignal(call)]);
      void (async () => {
        try {
          for await (const chunk of this.generateService.generateStream(command, signal)) {
            subscriber.next(
              create(inferenceV1.GenerateStreamResponseSchema, {
                index: chunk.index,
                delta: chunk.delta,
                finishReason: chunk.finishReason ?? '',
                endpoint: chunk.endpoint,
                ...(chunk.usage ? { usage: chunk.usage } : {}),
              }),
            );
          }
          subscriber.complete();
        } catch (err) {
          subscriber.error(err);
        }
      })();
      // Unsubscribing (the caller cancelled) aborts the upstream request.
      return () => controller.abort();
    });
  }

  @GrpcMethod('InferenceService', 'ListModels')
  listModels() {
    const now = Date.now();
    return create(inferenceV1.ListModelsResponseSchema, {
      models: this.registry.list().map((m) => {
        const endpoints = m.router.snapshot(now);
        return {
          name: m.name,
          kind: m.kind,
          chat: m.chat,
          endpoints: endpoints.length,
          readyEndpoints: endpoints.filter((e) => e.ready).length,
        };
      }),
    });
  }
}
