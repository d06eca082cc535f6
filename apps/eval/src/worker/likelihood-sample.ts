import type { LikelihoodProtocol, TokenLogprob } from '@lemur/benchmarks';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { SampleResult } from '../runs/run.types';
import type { InferenceClient } from './sample-processor';
import type { TeamRun } from './team-run';

/** A sample scored from log-probabilities, or why it must be generated instead. */
export type LikelihoodAttempt = { kind: 'scored'; result: SampleResult } | { kind: 'fallback'; reason: string };

/** What the worker knows of the sample it scores. */
export interface LikelihoodRequest<I> {
  run: TeamRun;
  item: I;
  prompt: string;
  deadlineMs: number;
  signal: AbortSignal;
  started: number;
}

/**
 * Asks for the first token and its top alternatives (greedy, no stop strings) and judges them with the benchmark's
 * likelihood protocol. The replica refusing the request (a 4xx, e.g. a server whose --max-logprobs is lower, or one
 * without logprobs) or answering without log-probabilities is a fallback to generation, not an error; anything else
 * (unreachable, overloaded) is thrown for the worker's usual retry.
 */
export async function scoreByLikelihood<I>(inference: InferenceClient, likelihood: LikelihoodProtocol<I>, req: LikelihoodRequest<I>): Promise<LikelihoodAttempt> {
  let response;
  try {
    response = await inference.generate(
      {
        model: req.run.modelName,
        team: req.run.teamName,
        prompt: req.prompt,
        sampling: { maxTokens: likelihood.maxTokens, temperature: 0, topP: 1, stop: [], n: 1, logprobs: likelihood.topLogprobs },
      },
      { deadlineMs: req.deadlineMs, signal: req.signal },
    );
  } catch (err) {
    if (err instanceof PlatformError && err.code === PlatformErrorCode.INVALID_ARGUMENT) return { kind: 'fallback', reason: `the endpoint refused logprobs: ${err.message}` };
    throw err;
  }
  const choice = response.choices[0];
  const first = choice?.logprobs?.topLogprobs[0];
  if (choice?.logprobs === undefined || first === undefined || choice.logprobs.tokens.length === 0) {
    return { kind: 'fallback', reason: 'the endpoint answered without logprobs' };
  }
  // The generated token is a candidate too: vLLM lists it among its alternatives, other servers may not.
  const token = choice.logprobs.tokens[0]!;
  const tokenLogprob = choice.logprobs.tokenLogprobs[0];
  const candidates: TokenLogprob[] = first.candidates.map((c) => ({ token: c.token, logprob: c.logprob }));
  if (tokenLogprob !== undefined && !candidates.some((c) => c.token === token)) candidates.push({ token, logprob: tokenLogprob });
  const verdict = likelihood.score(req.item, candidates);
  const promptTokens = response.usage?.promptTokens ?? 0;
  const completionTokens = response.usage?.completionTokens ?? 0;
  return {
    kind: 'scored',
    result: {
      status: 'SCORED',
      prompt: req.prompt,
      completion: choice.text,
      score: verdict.score,
      passed: verdict.passed,
      scoreDetail: {
        reason: verdict.reason,
        ...(verdict.extracted !== undefined ? { extracted: verdict.extracted } : {}),
        scoring: 'logprobs',
        protocol: likelihood.protocol,
        choiceLogprobs: verdict.choiceLogprobs,
        finishReason: choice.finishReason,
      },
      transcript: [
        {
          role: 'model',
          content: choice.text,
          endpoint: response.endpoint,
          attempts: response.attempts,
          promptTokens,
          completionTokens,
          latencyMs: response.latencyMs,
          // Everything the verdict was made from, so a later scorer can judge again without calling the model.
          topLogprobs: candidates,
        },
      ],
      promptTokens,
      completionTokens,
      latencyMs: Date.now() - req.started,
      error: null,
    },
  };
}
