import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import { grpcErrorFor, whileCallOpen, type RawServerStreamHandler } from '@lemur/shared-grpc';
import type { Logger } from '@lemur/shared-logging';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { FairAdmissionService } from '../fairness/fair-admission.service';
import { ModelRegistry } from '../registry/model-registry';
import type { ChoiceLogprobs } from '../upstream/openai-upstream';
import { GenerateService, type GenerateCommand } from './generate.service';

const MAX_TOKENS_LIMIT = 32_768;
// Replicas cap alternatives themselves (vLLM's --max-logprobs, 20 by default, answers a 400 above it); this only
// bounds what a request may carry.
const MAX_LOGPROBS = 1_000;
// OpenAI's limits, checked again here for gRPC callers that do not come through the gateway.
const MAX_LOGIT_BIAS_ENTRIES = 300;
const TOKEN_ID = /^\d{1,9}$/;

/** The penalties and logit bias of a request; zeros and an empty map are OpenAI's defaults and stay unset. */
function penaltiesOf(s: inferenceV1.SamplingParams): Pick<GenerateCommand, 'presencePenalty' | 'frequencyPenalty' | 'logitBias'> {
  for (const [field, value] of [
    ['sampling.presence_penalty', s.presencePenalty],
    ['sampling.frequency_penalty', s.frequencyPenalty],
  ] as const) {
    if (!(value >= -2 && value <= 2)) throw PlatformError.invalid(field, 'must be between -2 and 2');
  }
  const bias = Object.entries(s.logitBias);
  if (bias.length > MAX_LOGIT_BIAS_ENTRIES) throw PlatformError.invalid('sampling.logit_bias', `at most ${MAX_LOGIT_BIAS_ENTRIES} entries`);
  for (const [token, value] of bias) {
    if (!TOKEN_ID.test(token)) throw PlatformError.invalid(`sampling.logit_bias.${token}`, 'keys must be token ids (non-negative integers)');
    if (!(value >= -100 && value <= 100)) throw PlatformError.invalid(`sampling.logit_bias.${token}`, 'biases must be between -100 and 100');
  }
  return {
    ...(s.presencePenalty !== 0 ? { presencePenalty: s.presencePenalty } : {}),
    ...(s.frequencyPenalty !== 0 ? { frequencyPenalty: s.frequencyPenalty } : {}),
    ...(bias.length > 0 ? { logitBias: Object.fromEntries(bias) } : {}),
  };
}

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
  if (s.logprobs !== undefined) {
    if (s.logprobs > MAX_LOGPROBS) throw PlatformError.invalid('sampling.logprobs', `must be at most ${MAX_LOGPROBS}`);
    if (hasMessages) throw PlatformError.invalid('sampling.logprobs', 'log-probabilities are served for completion prompts only, not chat messages');
  }
  return {
    model: req.model,
    ...(hasPrompt ? { prompt: req.prompt } : { messages: req.messages.map((m) => ({ role: m.role, content: m.content })) }),
    maxTokens,
    temperature: s.temperature,
    topP: s.topP || 1,
    stop: s.stop,
    ...(s.seed !== undefined ? { seed: Number(s.seed) } : {}),
    ...(s.logprobs !== undefined ? { logprobs: s.logprobs } : {}),
    ...penaltiesOf(s),
    n,
    // Teams name the account, so an empty one shares a single anonymous budget rather than escaping the limits.
    team: req.team || 'anonymous',
    ...(req.sessionKey ? { sessionKey: req.sessionKey } : {}),
    // Unspecified is batch: interactive callers (the gateway's OpenAI API) say so, eval workers need not.
    priority: req.priority === inferenceV1.Priority.INTERACTIVE ? 'interactive' : 'batch',
    noCache: req.noCache,
  };
}

/** The wire form of a choice's log-probabilities; a missing value (vLLM's null) travels as NaN. */
function logprobsMessage(lp: ChoiceLogprobs): inferenceV1.Logprobs {
  return create(inferenceV1.LogprobsSchema, {
    tokens: lp.tokens,
    tokenLogprobs: lp.tokenLogprobs.map((v) => v ?? Number.NaN),
    topLogprobs: lp.topLogprobs.map((candidates) => ({ candidates })),
    textOffset: lp.textOffset,
  });
}

/** gRPC adapter of lemur.inference.v1.InferenceService (GenerateStream is served raw: `generateStreamHandler`). */
@Controller()
export class InferenceGrpcHandler {
  constructor(
    @Inject(GenerateService) private readonly generateService: GenerateService,
    @Inject(ModelRegistry) private readonly registry: ModelRegistry,
    @Inject(FairAdmissionService) private readonly admission: FairAdmissionService,
  ) {}

  @GrpcMethod('InferenceService', 'Generate')
  async generate(req: inferenceV1.GenerateRequest, _md: unknown, call: ServerUnaryCall<unknown, unknown>) {
    const result = await whileCallOpen(call, (signal) => this.generateService.generate(toGenerateCommand(req), signal));
    return create(inferenceV1.GenerateResponseSchema, {
      model: req.model,
      choices: result.choices.map(({ logprobs, ...choice }) => ({ ...choice, ...(logprobs ? { logprobs: logprobsMessage(logprobs) } : {}) })),
      usage: result.usage,
      endpoint: result.endpoint,
      latencyMs: result.latencyMs,
      upstreamMs: result.upstreamMs,
      attempts: result.attempts,
      cached: result.cached,
      queueMs: result.queueMs,
    });
  }

  @GrpcMethod('InferenceService', 'GetTeamLimits')
  getTeamLimits(req: inferenceV1.GetTeamLimitsRequest) {
    // The same name Generate falls back to, so the answer is the limit that team's requests meet.
    const limits = this.admission.configuredLimitsOf(req.team || 'anonymous');
    return create(inferenceV1.GetTeamLimitsResponseSchema, { defaultTokensPerMinute: limits.tokensPerMinute });
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
          routingPolicy: m.routingPolicy,
          revision: m.revision,
        };
      }),
    });
  }
}

type StreamCall = ServerWritableStream<inferenceV1.GenerateStreamRequest, inferenceV1.GenerateStreamResponse>;

/**
 * GenerateStream on grpc-js directly: every streamed token passes here, so no Nest/RxJS observable sits between the
 * generation and the call. Same contract as the Nest handlers: validation errors and failures map through
 * `grpcErrorFor`; the caller cancelling (or its deadline passing) aborts the upstream request; writes wait while the
 * caller is slower than the model (flow control), instead of queueing without bound.
 */
export function generateStreamHandler(generateService: GenerateService, logger: Logger): RawServerStreamHandler {
  const serve = async (call: StreamCall): Promise<void> => {
    // A stream that ended is not aborted afterwards: that would build an AbortError (with its stack) per request.
    const controller = new AbortController();
    let finished = false;
    let drained: (() => void) | undefined;
    const onDrain = () => {
      const resume = drained;
      drained = undefined;
      resume?.();
    };
    const cancel = () => {
      if (finished) return;
      controller.abort();
      // A write waiting for room stops waiting: the loop sees the cancellation and ends the generation.
      onDrain();
    };
    if (call.cancelled) controller.abort();
    else call.once('cancelled', cancel);
    call.on('drain', onDrain);
    // Chunks of one choice that are ready in the same turn of the event loop (several events in one read from a busy
    // replica, or a loaded service catching up) go out as one message: fewer gRPC messages exactly when CPU is short,
    // and no added delay when it is not (the flush runs before any new I/O is handled).
    let pending: inferenceV1.GenerateStreamResponse | undefined;
    let flushQueued = false;
    let writable = true;
    const flush = () => {
      flushQueued = false;
      if (!pending || call.cancelled) return;
      const message = pending;
      pending = undefined;
      if (!call.write(message)) writable = false;
    };
    try {
      const command = toGenerateCommand(call.request.request ?? create(inferenceV1.GenerateRequestSchema));
      for await (const chunk of generateService.generateStream(command, controller.signal)) {
        const merges =
          pending && !chunk.usage && !pending.usage && !pending.finishReason && pending.index === chunk.index && pending.endpoint === chunk.endpoint;
        if (pending && merges) {
          pending.delta += chunk.delta;
          pending.finishReason = chunk.finishReason ?? '';
        } else if (pending && chunk.usage && chunk.delta === '' && !pending.usage && pending.endpoint === chunk.endpoint) {
          // The usage that closes the stream rides on its last text message (usually read together): one message less.
          pending.usage = create(inferenceV1.UsageSchema, chunk.usage);
        } else {
          flush();
          // protobuf-es messages are plain objects: a literal with every field is one (and toBinary takes it) without
          // create()'s reflection over the schema for every streamed message.
          pending = {
            $typeName: 'lemur.inference.v1.GenerateStreamResponse',
            index: chunk.index,
            delta: chunk.delta,
            finishReason: chunk.finishReason ?? '',
            endpoint: chunk.endpoint,
            usage: chunk.usage ? create(inferenceV1.UsageSchema, chunk.usage) : undefined,
          } satisfies inferenceV1.GenerateStreamResponse;
        }
        if (!flushQueued) {
          flushQueued = true;
          // After the microtasks of this turn: every chunk parsed from the same read of the replica joins this message.
          process.nextTick(flush);
        }
        if (!writable) {
          // The caller reads slower than the model produces: stop pulling from the replica until it catches up.
          await new Promise<void>((resume) => (drained = resume));
          writable = true;
        }
        if (call.cancelled) break;
      }
      flush();
      finished = true;
      call.end();
    } catch (err) {
      flush();
      finished = true;
      if (!call.cancelled) call.emit('error', grpcErrorFor(err, logger));
    } finally {
      call.off('cancelled', cancel);
      call.off('drain', onDrain);
    }
  };
  return {
    service: inferenceV1.InferenceService,
    method: 'GenerateStream',
    handler: (call) => void serve(call as unknown as StreamCall),
  };
}
