import { promptText, type CodeExecutor } from '@lemur/benchmarks';
import { type inferenceV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { GrpcClient } from '@lemur/shared-grpc';
import type { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import type { RunRecord, SampleRecord, SampleResult } from '../runs/run.types';
import type { EpisodeRunner } from './episode-runner';
import { scoreByLikelihood } from './likelihood-sample';
import type { SampleRescorer } from './sample-rescorer';
import { teamRunOf, type ForTeam } from './team-run';

/** Errors worth another attempt: the replica or sandbox may be back, the deadline may have been bad luck. */
const TRANSIENT = new Set<PlatformErrorCode>([
  PlatformErrorCode.UPSTREAM_FAILED,
  PlatformErrorCode.NO_READY_ENDPOINT,
  PlatformErrorCode.SANDBOX_UNAVAILABLE,
  PlatformErrorCode.DEADLINE_EXCEEDED,
  PlatformErrorCode.RESOURCE_EXHAUSTED,
]);

export type InferenceClient = Pick<GrpcClient<(typeof inferenceV1.InferenceService)['method']>, 'generate'>;

/** What happened to one sample: scored or errored (final), or to be tried again. */
export type SampleOutcome = { kind: 'result'; result: SampleResult } | { kind: 'retry'; reason: string; error?: PlatformError };

/**
 * Turns one pending sample into a result: build the prompt, call the model, score the answer (in the sandbox for code).
 * Every call is made for the run's team (see teamRunOf), so the executor is built per team.
 */
export class SampleProcessor {
  constructor(
    private readonly catalog: BenchmarkCatalog,
    private readonly inference: InferenceClient,
    private readonly executorFor: ForTeam<CodeExecutor>,
    private readonly opts: { sampleTimeoutMs: number; maxAttempts: number },
    private readonly episodes?: EpisodeRunner,
    private readonly rescorer?: SampleRescorer,
  ) {}

  async process(record: RunRecord, sample: SampleRecord, attempt: number, signal: AbortSignal): Promise<SampleOutcome> {
    const started = Date.now();
    let prompt: string | null = null;
    try {
      const run = teamRunOf(record);
      const { benchmark, loaded } = await this.catalog.load(`${run.benchmark}@${run.benchmarkVersion}`);
      const item = loaded.items[sample.itemIndex];
      if (!item || item.id !== sample.itemId) {
        throw new PlatformError(PlatformErrorCode.INTERNAL, `item ${sample.itemIndex} of ${run.benchmark} is not ${sample.itemId}`);
      }
      // A re-scoring run judges its source's stored output again; it never calls the model.
      if (run.spec.rescore !== undefined) {
        if (this.rescorer === undefined) throw new PlatformError(PlatformErrorCode.INTERNAL, `run ${run.id} re-scores run ${run.spec.rescore.sourceRunId} and this worker re-scores nothing`);
        return { kind: 'result', result: await this.rescorer.rescore(run, run.spec.rescore, benchmark, item, sample) };
      }
      if (benchmark.agent !== undefined) {
        if (this.episodes === undefined) throw new PlatformError(PlatformErrorCode.INTERNAL, `${run.benchmark} is an agent benchmark and this worker runs no episodes`);
        return { kind: 'result', result: await this.episodes.run(run, benchmark, item, signal) };
      }
      const built = benchmark.buildPrompt(item, { chat: run.config.chat });
      prompt = promptText(built);
      // Benchmarks the harness scores by likelihood (MMLU): log-probabilities when the run's manifest says so, and
      // generation (recorded with its reason) when the run is chat-only or the endpoint will not give them.
      let fallback: string | undefined;
      if (benchmark.likelihood !== undefined) {
        const scoring = run.spec.choiceScoring;
        if (scoring?.method === 'logprobs' && built.kind === 'completion') {
          const attempt = await scoreByLikelihood(this.inference, benchmark.likelihood, {
            run,
            item,
            prompt: built.text,
            deadlineMs: this.opts.sampleTimeoutMs,
            signal,
            started,
          });
          if (attempt.kind === 'scored') return { kind: 'result', result: attempt.result };
          fallback = attempt.reason;
        } else {
          fallback = scoring?.method === 'generation' ? scoring.reason : 'the run records no logprobs protocol';
        }
      }
      const sampling = run.spec.sampling;
      const seed = sampling.seed === undefined ? undefined : BigInt(sampling.seed + sample.sampleIndex);
      const response = await this.inference.generate(
        {
          model: run.modelName,
          team: run.teamName,
          ...(built.kind === 'completion' ? { prompt: built.text } : { messages: built.messages }),
          sampling: {
            maxTokens: sampling.maxTokens,
            temperature: sampling.temperature,
            topP: sampling.topP,
            stop: sampling.stop,
            n: 1,
            ...(seed === undefined ? {} : { seed }),
          },
        },
        { deadlineMs: this.opts.sampleTimeoutMs, signal },
      );
      const completion = response.choices[0]?.text ?? '';
      const latencyMs = Date.now() - started;
      const verdict = await benchmark.score(item, completion, { executor: this.executorFor(run.teamName) });
      return {
        kind: 'result',
        result: {
          status: 'SCORED',
          prompt,
          completion,
          score: verdict.score,
          passed: verdict.passed,
          scoreDetail: {
            reason: verdict.reason,
            ...(verdict.extracted !== undefined ? { extracted: verdict.extracted } : {}),
            ...(verdict.execution ? { execution: verdict.execution } : {}),
            finishReason: response.choices[0]?.finishReason ?? '',
            ...(fallback !== undefined ? { scoring: 'generation', fallback } : {}),
          },
          // The prompt is stored once, in its own column; the transcript holds the turns that followed it.
          transcript: [
            {
              role: 'model',
              content: completion,
              endpoint: response.endpoint,
              attempts: response.attempts,
              promptTokens: response.usage?.promptTokens ?? 0,
              completionTokens: response.usage?.completionTokens ?? 0,
              latencyMs: response.latencyMs,
            },
          ],
          promptTokens: response.usage?.promptTokens ?? 0,
          completionTokens: response.usage?.completionTokens ?? 0,
          latencyMs,
          error: null,
        },
      };
    } catch (err) {
      const error = err instanceof PlatformError ? err : new PlatformError(PlatformErrorCode.INTERNAL, String(err), { cause: err });
      if (TRANSIENT.has(error.code) && attempt < this.opts.maxAttempts && !signal.aborted) {
        return { kind: 'retry', reason: `${error.code}: ${error.message}`, error };
      }
      return {
        kind: 'result',
        result: {
          status: 'ERRORED',
          prompt,
          completion: null,
          score: null,
          passed: null,
          scoreDetail: null,
          transcript: null,
          promptTokens: null,
          completionTokens: null,
          latencyMs: Date.now() - started,
          error: `${error.code}: ${error.message}`,
        },
      };
    }
  }
}
