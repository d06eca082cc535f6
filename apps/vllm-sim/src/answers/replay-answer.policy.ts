import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { mintTaskProbes } from '@lemur/benchmarks';
import { type AnswerPolicy, type AnswerRequest } from './answer-policy';

/** One published episode: the model's own text of each assistant turn, in order. */
export interface ReplayEpisode {
  taskPrompt: string;
  turns: string[];
  /** The published conversation (every message's content), to tell apart episodes with the same task text. */
  conversation?: string;
}

// Each environment reply of a MINT conversation is a user message starting "Observation:"; the model's turns never
// hold "\nObservation:" (it is one of MINT's stop words), so counting them after the task counts the turns taken.
const OBSERVATION = '\n\nObservation:\n';

/** The model's text of a published assistant turn (MINT prefixes "Assistant:\n" and appends "\n"). */
function modelOutput(content: string): string {
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  return body.startsWith('Assistant:\n') ? body.slice('Assistant:\n'.length) : body;
}

/**
 * Reads every `results.jsonl` under a published MINT run directory (e.g. lemur-70b-chat-v1/F=None/max5_p2+tool+cd,
 * with reasoning/<task>/ and code_generation/<task>/ below it).
 */
export function loadReplayEpisodes(runDir: string): ReplayEpisode[] {
  const episodes: ReplayEpisode[] = [];
  for (const kind of ['reasoning', 'code_generation', 'decision_making']) {
    const dir = join(runDir, kind);
    if (!existsSync(dir)) continue;
    for (const task of readdirSync(dir).sort()) {
      const file = join(dir, task, 'results.jsonl');
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const row = JSON.parse(line) as { state: { history: { role: string; content: string }[] }; task: { prompt: string } };
        const turns = row.state.history.filter((m) => m.role === 'assistant').map((m) => modelOutput(m.content));
        episodes.push({ taskPrompt: row.task.prompt, turns, conversation: row.state.history.map((m) => m.content).join('\n\n') });
      }
    }
  }
  if (episodes.length === 0) throw new Error(`${runDir} holds no published episodes (expected reasoning/<task>/results.jsonl)`);
  return episodes;
}

/**
 * Replays a published MINT run: finds the episode by the task text in the conversation's first message and answers
 * turn N with the published assistant turn N. The caller's agent loop runs for real (its sandbox, its scorer); a turn
 * the published episode never reached (it ended there, e.g. on a context error) gets an empty reply.
 */
export class ReplayAnswerPolicy implements AnswerPolicy {
  private readonly byTask = new Map<string, ReplayEpisode[]>();

  constructor(episodes: readonly ReplayEpisode[]) {
    // Identical task texts (MINT's MMLU has one duplicate; 101 of ALFWorld's 134 games share a room and task with
    // another game) keep every episode; the conversation so far picks among them.
    for (const e of episodes) {
      const key = e.taskPrompt.trim();
      this.byTask.set(key, [...(this.byTask.get(key) ?? []), e]);
    }
  }

  answer(req: AnswerRequest): string {
    for (const probe of mintTaskProbes(req.prompt)) {
      const candidates = this.byTask.get(probe.trim());
      if (candidates === undefined) continue;
      const episode = closest(candidates, req.prompt);
      const from = req.prompt.indexOf(probe);
      let turn = 0;
      for (let at = req.prompt.indexOf(OBSERVATION, from); at >= 0; at = req.prompt.indexOf(OBSERVATION, at + 1)) turn += 1;
      return episode.turns[turn] ?? '';
    }
    return '';
  }
}

/** The episode whose published conversation agrees longest with `prompt` (the first on a tie). */
function closest(candidates: readonly ReplayEpisode[], prompt: string): ReplayEpisode {
  let best = candidates[0]!;
  let bestLength = -1;
  for (const c of candidates) {
    const text = c.conversation ?? '';
    let n = 0;
    while (n < text.length && n < prompt.length && text.charCodeAt(n) === prompt.charCodeAt(n)) n += 1;
    if (n > bestLength) {
      best = c;
      bestLength = n;
    }
  }
  return best;
}
