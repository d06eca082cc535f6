import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Logger } from 'pino';
import { type AnswerPolicy } from '../answers/answer-policy';
import { promptBlockHashes } from '../cache/prefix-cache';
import { type FaultInjector } from '../faults/fault-injector';
import { type GenerationEngine, type PlannedChoice, runGeneration } from '../generation/generation-runner';
import { completionLogprobs } from '../generation/token-logprobs';
import { truncateCompletion } from '../generation/truncation';
import { tokenize } from '../tokens/tokenizer';
import {
  type GenerationRequest,
  InvalidRequestError,
  parseChatRequest,
  parseCompletionRequest,
} from '../openai/generation-request';
import {
  completionResponse,
  errorBody,
  finishChunk,
  newResponseHeader,
  roleChunk,
  textChunk,
  usage,
  usageChunk,
} from '../openai/openai-response';
import { SSE_DONE, SSE_HEADERS, sseEvent } from '../openai/sse';

/** Everything the HTTP layer needs; built by `startSimulator`. */
export interface SimulatorRuntime {
  models: ReadonlyMap<string, AnswerPolicy>;
  engine: GenerationEngine;
  faults: FaultInjector;
  maxModelLen: number;
  /** Most log-probability alternatives a request may ask for (vLLM's --max-logprobs). */
  maxLogprobs: number;
  bodyLimitBytes: number;
  logger: Logger;
  /** Simulates the pod dying: called once, when the crash fault fires. */
  crash(): void;
}

/** The vLLM version string the simulator reports. */
export const SIMULATED_VLLM_VERSION = '0.10.1-sim';

function planChoices(req: GenerationRequest, policy: AnswerPolicy): PlannedChoice[] {
  const choices: PlannedChoice[] = [];
  req.prompts.forEach((prompt, promptIndex) => {
    for (let sample = 0; sample < req.n; sample++) {
      const full = policy.answer({
        prompt: prompt.text,
        chat: req.kind === 'chat',
        ...(prompt.lastUserMessage !== undefined ? { lastUserMessage: prompt.lastUserMessage } : {}),
        // Each of the n samples gets its own seed so seeded policies can vary them reproducibly.
        ...(req.seed !== undefined ? { seed: req.seed + sample } : {}),
        temperature: req.temperature,
      });
      choices.push({ index: promptIndex * req.n + sample, completion: truncateCompletion(full, req.stop, policy.replaysPublishedText === true ? Number.POSITIVE_INFINITY : req.maxTokens) });
    }
  });
  return choices;
}

/** Builds the fastify app serving vLLM's OpenAI-compatible API over a simulated engine. */
export function buildSimulatorServer(runtime: SimulatorRuntime): FastifyInstance {
  const app = Fastify({
    // Fastify's own info lines (one per request, "Server listening") would drown the simulator's single start-up line.
    loggerInstance: runtime.logger.child({}, { level: 'warn' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: runtime.bodyLimitBytes,
    forceCloseConnections: true,
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.code(500).send(errorBody('internal server error', 'InternalServerError', 500));
    }
    return reply.code(status).send(errorBody(err.message, 'BadRequestError', status));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(`no route ${request.method} ${request.url}`, 'NotFoundError', 404)),
  );

  app.get('/health', (_request, reply) => reply.code(200).send());
  app.get('/ping', (_request, reply) => reply.code(200).send());
  app.get('/version', () => ({ version: SIMULATED_VLLM_VERSION }));
  app.get('/metrics', async (_request, reply) =>
    reply.type(runtime.engine.metrics.registry.contentType).send(await runtime.engine.metrics.render()),
  );
  app.get('/v1/models', () => {
    const created = Math.floor(Date.now() / 1000);
    return {
      object: 'list',
      data: [...runtime.models.keys()].map((id) => ({
        id,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: id,
        parent: null,
        max_model_len: runtime.maxModelLen,
        permission: [],
      })),
    };
  });

  app.post('/v1/completions', (request, reply) =>
    generate(runtime, request, reply, () => parseCompletionRequest(request.body, runtime.maxModelLen, runtime.maxLogprobs)),
  );
  app.post('/v1/chat/completions', (request, reply) =>
    generate(runtime, request, reply, () => parseChatRequest(request.body, runtime.maxModelLen)),
  );
  return app;
}

async function generate(
  runtime: SimulatorRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  parse: () => GenerationRequest,
): Promise<unknown> {
  const arrivalMs = runtime.engine.now();
  let req: GenerationRequest;
  try {
    req = parse();
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    return reply.code(400).send(errorBody(err.message, 'BadRequestError', 400, err.param));
  }
  const policy = runtime.models.get(req.model);
  if (!policy) {
    return reply.code(404).send(errorBody(`The model \`${req.model}\` does not exist.`, 'NotFoundError', 404, 'model'));
  }

  const fault = runtime.faults.next(req.stream);
  if (fault === 'crash') {
    reply.hijack();
    runtime.logger.warn({ requests: runtime.faults.requestCount }, 'simulated crash (fault injection)');
    request.raw.socket.destroy();
    runtime.crash();
    return reply;
  }
  if (fault === 'error') {
    return reply.code(500).send(errorBody('simulated engine failure (fault injection)', 'InternalServerError', 500));
  }

  const choices = planChoices(req, policy);
  const promptTokens = req.prompts.reduce((sum, prompt) => sum + prompt.tokens, 0);
  const completionTokens = choices.reduce((sum, choice) => sum + choice.completion.pieces.length, 0);
  const totals = usage(promptTokens, completionTokens);
  const header = newResponseHeader(req.kind, req.model);

  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  const { blockSize, capacityBlocks } = runtime.engine.prefixCache;
  const blocksOf = (tokens: number): number => Math.ceil(tokens / blockSize);
  const plan = {
    model: req.model,
    promptTokens,
    prompts: req.prompts.map((prompt) => ({
      tokens: prompt.tokens,
      blockHashes: capacityBlocks > 0 ? promptBlockHashes(req.model, prompt.text, blockSize) : [],
    })),
    // The n samples of a prompt share its blocks; each sample's output needs its own.
    kvBlocks:
      req.prompts.reduce((sum, prompt) => sum + blocksOf(prompt.tokens), 0) +
      choices.reduce((sum, choice) => sum + blocksOf(choice.completion.pieces.length), 0),
    choices,
    stall: fault === 'stall',
    arrivalMs,
    signal: controller.signal,
  };

  if (!req.stream) {
    const outcome = await runGeneration(runtime.engine, plan);
    if (outcome === 'aborted') {
      reply.hijack();
      return reply;
    }
    const finished = choices.map(({ index, completion }) => {
      // With echo the prompt comes first, in the text and in the log-probabilities (choices are prompt-major).
      const prompt = req.echo ? req.prompts[Math.floor(index / req.n)]!.text : '';
      return {
        index,
        text: prompt + completion.text,
        finishReason: completion.finishReason,
        stopReason: completion.stopReason,
        ...(req.logprobs !== undefined
          ? { logprobs: completionLogprobs(completion.pieces, req.logprobs, req.echo ? { echoedPrompt: tokenize(prompt) } : {}) }
          : {}),
      };
    });
    return reply.send(completionResponse(header, finished, totals));
  }

  reply.hijack();
  const raw = reply.raw;
  const write = (payload: unknown): void => {
    if (!raw.destroyed) raw.write(sseEvent(payload));
  };
  const streamedChars = new Map<number, number>();
  const outcome = await runGeneration(runtime.engine, plan, {
    onFirstStep: () => {
      raw.writeHead(200, SSE_HEADERS);
      if (req.kind === 'chat') for (const choice of choices) write(roleChunk(header, choice.index));
    },
    onToken: (index, piece) => {
      if (req.logprobs === undefined) return write(textChunk(header, index, piece));
      const offset = streamedChars.get(index) ?? 0;
      streamedChars.set(index, offset + piece.length);
      write(textChunk(header, index, piece, completionLogprobs([piece], req.logprobs, { startOffset: offset })));
    },
  });
  if (outcome === 'aborted') {
    raw.destroy();
    return reply;
  }
  for (const { index, completion } of choices) {
    write(finishChunk(header, { index, text: '', finishReason: completion.finishReason, stopReason: completion.stopReason }));
  }
  if (req.includeUsage) write(usageChunk(header, totals));
  raw.end(SSE_DONE);
  return reply;
}
