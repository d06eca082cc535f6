import { randomUUID } from 'node:crypto';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access } from '../auth/access.decorator';
import { GATEWAY_LOGGER, INFERENCE_CLIENT } from '../gateway.tokens';
import { errorHeaders, errorResponse } from '../http/http-exception.filter';
import { HOT_PATH } from '../http/http-tracing';
import type { InferenceClient } from '../runs/runs.controller';
import { teamOf } from '../runs/team-context';
import { chatCompletionJson, completionJson, openAiErrorJson, usageChunkJson, usageJson } from './openai-json.mapper';
import { SseChunkEncoder, type StreamMeta } from './openai-sse.encoder';
import { chatCompletionBody, completionBody, validateOpenAi, type ChatCompletionBody, type CompletionBody } from './openai-request.schema';

type Kind = 'chat' | 'completion';
type GenerateRequestInit = MessageInitShape<typeof inferenceV1.GenerateRequestSchema>;

interface Prepared {
  request: GenerateRequestInit;
  stream: boolean;
  includeUsage: boolean;
}

function sampling(b: ChatCompletionBody | CompletionBody, maxTokens: number | null | undefined): GenerateRequestInit['sampling'] {
  return {
    maxTokens: maxTokens ?? 0,
    // OpenAI's defaults, not the proto's zeros: an omitted temperature means 1 (sampling), not greedy decoding.
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    n: b.n ?? 1,
    stop: typeof b.stop === 'string' ? [b.stop] : (b.stop ?? []),
    ...(b.seed != null ? { seed: BigInt(b.seed) } : {}),
    // OpenAI's defaults are the proto's zeros here: an omitted penalty is no penalty.
    presencePenalty: b.presence_penalty ?? 0,
    frequencyPenalty: b.frequency_penalty ?? 0,
    logitBias: b.logit_bias ?? {},
  };
}

function common(req: FastifyRequest, b: ChatCompletionBody | CompletionBody) {
  return {
    model: b.model,
    team: teamOf(req),
    priority: inferenceV1.Priority.INTERACTIVE,
    // OpenAI has no session field: its `user` (one end user's conversation) is what session-affinity routing keys on.
    sessionKey: b.user ?? '',
    // The HTTP way to ask for a fresh answer.
    noCache: /\bno-cache\b/i.test(String(req.headers['cache-control'] ?? '')),
  };
}

/**
 * OpenAI-compatible API over the inference service, so existing OpenAI clients work unchanged: chat and text
 * completions (streamed as server-sent events ending in `data: [DONE]`) and, through RunsController, the model list.
 * Errors use OpenAI's body shape; a client that disconnects cancels the gRPC call and with it the upstream request.
 */
@Controller('v1')
export class OpenAiController {
  constructor(
    @Inject(INFERENCE_CLIENT) private readonly inference: InferenceClient,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @Access('runner')
  @RouteConfig(HOT_PATH)
  async chatCompletions(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.serve('chat', req, reply, () => {
      const b = validateOpenAi(chatCompletionBody, body);
      return {
        request: {
          ...common(req, b),
          messages: b.messages.map((m) => ({
            role: m.role === 'developer' ? 'system' : m.role,
            content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
          })),
          sampling: sampling(b, b.max_completion_tokens ?? b.max_tokens),
        },
        stream: b.stream ?? false,
        includeUsage: b.stream_options?.include_usage ?? false,
      };
    });
  }

  @Post('completions')
  @HttpCode(200)
  @Access('runner')
  @RouteConfig(HOT_PATH)
  async completions(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.serve('completion', req, reply, () => {
      const b = validateOpenAi(completionBody, body);
      if (b.logprobs != null && b.stream) throw PlatformError.invalid('logprobs', 'log-probabilities are returned without stream only');
      return {
        request: {
          ...common(req, b),
          prompt: b.prompt,
          sampling: { ...sampling(b, b.max_tokens), ...(b.logprobs != null ? { logprobs: b.logprobs } : {}) },
        },
        stream: b.stream ?? false,
        includeUsage: b.stream_options?.include_usage ?? false,
      };
    });
  }

  private async serve(kind: Kind, req: FastifyRequest, reply: FastifyReply, prepare: () => Prepared): Promise<void> {
    const cancel = new AbortController();
    // 'close' before the answer was fully written means the client went away: stop generating for it.
    const onClose = () => {
      if (!reply.raw.writableFinished) cancel.abort();
    };
    reply.raw.on('close', onClose);
    const meta = { id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: '' };
    try {
      const { request, stream, includeUsage } = prepare();
      meta.model = request.model ?? '';
      if (!stream) {
        const res = await this.inference.generate(request, { signal: cancel.signal });
        void reply
          .header('x-lemur-cached', String(res.cached))
          .header('x-lemur-queue-ms', String(res.queueMs))
          .send(kind === 'chat' ? chatCompletionJson(meta.id, meta.created, res) : completionJson(meta.id, meta.created, res));
        return;
      }
      const chunks = this.inference.generateStream({ request }, { signal: cancel.signal })[Symbol.asyncIterator]();
      // Wait for the first chunk so that a failure before any output (unknown model, queue full) is a proper HTTP error.
      const first = await chunks.next();
      await this.writeEvents(reply, new SseChunkEncoder(kind, meta), { kind, meta, includeUsage }, first, chunks, cancel.signal);
    } catch (err) {
      if (cancel.signal.aborted) return;
      const { status, body } = errorResponse(err, this.logger);
      void reply.code(status).headers(errorHeaders(err, status)).send(openAiErrorJson(status, body));
    }
  }

  /**
   * Writes the server-sent events of one streamed completion straight to the socket (every token passes here: no
   * stream object in between); a failure mid-stream ends with an error event and no [DONE]. Writes of one turn of the
   * event loop leave in one syscall (Node corks the socket per turn), the last message (which carries the usage) is
   * sent with the closing events in one write, and reading from the gRPC stream waits while the client is slower
   * than the model.
   */
  private async writeEvents(
    reply: FastifyReply,
    encoder: SseChunkEncoder,
    opts: { kind: Kind; meta: StreamMeta; includeUsage: boolean },
    first: IteratorResult<inferenceV1.GenerateStreamResponse>,
    rest: AsyncIterator<inferenceV1.GenerateStreamResponse>,
    signal: AbortSignal,
  ): Promise<void> {
    const res = reply.raw;
    // Raw writes: Fastify sends nothing for this reply, so headers set on it so far (hooks, guards) are passed on here.
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    let resume: (() => void) | undefined;
    const wake = () => {
      const r = resume;
      resume = undefined;
      r?.();
    };
    res.on('drain', wake);
    res.on('close', wake);
    let usage: inferenceV1.Usage | undefined;
    let tail = '';
    try {
      for (let next = first; !next.done; next = await rest.next()) {
        if (res.destroyed) break;
        const chunk = next.value;
        const event = chunk.delta !== '' || chunk.finishReason ? encoder.event(chunk) : '';
        if (chunk.usage) {
          // The final message: its text leaves with the closing events.
          usage = chunk.usage;
          tail += event;
        } else if (event !== '' && !res.write(event)) {
          await new Promise<void>((r) => (resume = r));
        }
      }
    } catch (err) {
      if (!signal.aborted && !res.destroyed) {
        const { status, body } = errorResponse(err, this.logger);
        res.end(`${tail}data: ${JSON.stringify(openAiErrorJson(status, body))}\n\n`);
      }
      return;
    } finally {
      res.off('drain', wake);
      res.off('close', wake);
    }
    if (res.destroyed) {
      // The client left: stop the gRPC call (and with it the upstream request).
      void rest.return?.();
      return;
    }
    if (opts.includeUsage) tail += `data: ${JSON.stringify(usageChunkJson(opts.kind, opts.meta, usageJson(usage)))}\n\n`;
    res.end(`${tail}data: [DONE]\n\n`);
  }
}
