import type { AgentProtocol, Benchmark, CodeExecutor, LikelihoodProtocol, TokenLogprob } from '@lemur/benchmarks';
import type { SampleStore, SampleView } from '../runs/run-store';
import type { RescoreSpec, SampleRecord, SampleResult } from '../runs/run.types';
import type { EpisodeEvent } from './episode-runner';
import { rescoreEpisode } from './episode-rescore';
import type { ForTeam, TeamRun } from './team-run';

/**
 * Scores one sample of a re-scoring run from its source sample's stored output with the run's (current) benchmark:
 * no model is called; code is run in the sandbox again. A sample that cannot be re-scored (the source errored, or an
 * agent episode whose verdict the transcript cannot tell) is ERRORED with the reason, never a silent 0.
 */
export class SampleRescorer {
  constructor(
    private readonly samples: Pick<SampleStore, 'findAt'>,
    private readonly executorFor: ForTeam<CodeExecutor>,
  ) {}

  async rescore(run: Pick<TeamRun, 'spec' | 'teamName'>, rescore: RescoreSpec, benchmark: Benchmark, item: { id: string }, sample: SampleRecord): Promise<SampleResult> {
    const started = Date.now();
    // The code runs again for the re-scoring run's team, under that team's sandbox limits.
    const executor = this.executorFor(run.teamName);
    const source = await this.samples.findAt(rescore.sourceRunId, sample.itemIndex, sample.sampleIndex);
    const cannot = (why: string, from?: SampleView): SampleResult => ({
      status: 'ERRORED',
      prompt: from?.prompt ?? null,
      completion: from?.completion ?? null,
      score: null,
      passed: null,
      scoreDetail: from ? { rescoredFrom: origin(rescore, from) } : null,
      transcript: (from?.transcript as Record<string, unknown>[] | null | undefined) ?? null,
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: Date.now() - started,
      error: `cannot re-score: ${why}`,
    });
    if (source === null) return cannot(`sample ${sample.itemIndex}/${sample.sampleIndex} of run ${rescore.sourceRunId} is gone`);
    if (source.itemId !== item.id) return cannot(`the source sample is of item ${source.itemId}, not ${item.id}`, source);
    if (source.status !== 'SCORED' || source.completion === null) {
      return cannot(`the source sample ${source.status.toLowerCase()}${source.error ? ` (${source.error})` : ''} and stored no output; retry the source run's errors (lemur runs retry ${rescore.sourceRunId}), then re-score it again`, source);
    }
    const scored = (score: number, passed: boolean, detail: Record<string, unknown>): SampleResult => ({
      status: 'SCORED',
      prompt: source.prompt,
      completion: source.completion,
      score,
      passed,
      scoreDetail: { ...detail, scorer: rescore.scorerRef, rescoredFrom: origin(rescore, source) },
      transcript: source.transcript as Record<string, unknown>[] | null,
      // This run made no model call: the tokens were spent (and are counted) by the source run.
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: Date.now() - started,
      error: null,
    });

    const likelihood = benchmark.likelihood as LikelihoodProtocol<{ id: string }> | undefined;
    const sourceDetail = (source.scoreDetail ?? {}) as Record<string, unknown>;
    if (likelihood !== undefined && sourceDetail['scoring'] === 'logprobs') {
      // Judged from the stored top log-probabilities, as the source was: the completion text alone is only the top token.
      const candidates = storedCandidates(source.transcript);
      if (candidates === null) return cannot('the source sample was scored from logprobs but stored no candidates to judge again', source);
      const verdict = likelihood.score(item, candidates);
      return scored(verdict.score, verdict.passed, {
        reason: verdict.reason,
        ...(verdict.extracted !== undefined ? { extracted: verdict.extracted } : {}),
        scoring: 'logprobs',
        protocol: likelihood.protocol,
        choiceLogprobs: verdict.choiceLogprobs,
      });
    }
    const agent = benchmark.agent as AgentProtocol<{ id: string }> | undefined;
    if (agent === undefined) {
      const verdict = await benchmark.score(item, source.completion, { executor });
      return scored(verdict.score, verdict.passed, {
        reason: verdict.reason,
        ...(verdict.extracted !== undefined ? { extracted: verdict.extracted } : {}),
        ...(verdict.execution ? { execution: verdict.execution } : {}),
      });
    }
    if (agent.environmentServer !== undefined || agent.environment === 'bash') {
      return cannot(
        `${benchmark.name}'s judge reads the episode's live ${agent.environmentServer !== undefined ? 'environment server' : 'shell session'}, which the stored transcript does not hold; start a fresh run to score it with ${rescore.scorerRef}`,
        source,
      );
    }
    const events = Array.isArray(source.transcript) ? (source.transcript as EpisodeEvent[]) : [];
    const budget = run.spec.agent ?? agent.budget;
    const outcome = await rescoreEpisode(events, (solution) => agent.judge(item, solution, { executor }), budget);
    if (outcome.kind === 'unknowable') return cannot(outcome.reason, source);
    return scored(outcome.success ? 1 : 0, outcome.success, {
      reason: outcome.reason,
      terminateReason: outcome.terminateReason,
      protocol: agent.protocol,
      scoringRules: agent.scoringRules,
      proposals: outcome.proposals,
    });
  }
}

/** The candidates a logprob-scored sample stored in its first transcript turn, or null when there are none. */
function storedCandidates(transcript: unknown): TokenLogprob[] | null {
  const first = Array.isArray(transcript) ? (transcript[0] as { topLogprobs?: unknown } | undefined) : undefined;
  const list = first?.topLogprobs;
  if (!Array.isArray(list) || list.length === 0) return null;
  const valid = list.filter((c): c is TokenLogprob => typeof (c as TokenLogprob).token === 'string' && typeof (c as TokenLogprob).logprob === 'number');
  return valid.length === list.length ? valid : null;
}

function origin(rescore: RescoreSpec, source: SampleView): Record<string, unknown> {
  return { runId: rescore.sourceRunId, sampleId: source.id, score: source.score, passed: source.passed, scorer: rescore.sourceBenchmarkRef };
}
