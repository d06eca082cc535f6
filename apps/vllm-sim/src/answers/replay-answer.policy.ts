import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { MINT_FEEDBACK_PROMPT_TEMPLATE, mintTaskProbes } from '@lemur/benchmarks';
import { type AnswerPolicy, type AnswerRequest } from './answer-policy';

/** One published episode: the model's own text of each assistant turn, in order, and the feedback each turn got. */
export interface ReplayEpisode {
  taskPrompt: string;
  turns: string[];
  /** The expert feedback given after turn N (runs with a feedback model); '' where the turn got none. */
  feedback?: string[];
  /** The published conversation (every message's content, in order), to tell apart episodes with the same task text. */
  history?: string[];
}

// Each environment reply of a MINT conversation is a user message starting "Observation:"; the model's turns never
// hold "\nObservation:" (it is one of MINT's stop words), so counting them after the task counts the turns taken.
const OBSERVATION = '\n\nObservation:\n';

// The feedback model's prompt (OpenAIFeedbackAgent) opens with the template's first line; an agent turn's prompt opens
// with the tool-use template. After the in-context example comes a separator, the tool description and the trajectory
// from "Task:" on, in which messages are joined by single newlines.
const FEEDBACK_HEADER = MINT_FEEDBACK_PROMPT_TEMPLATE.slice(0, MINT_FEEDBACK_PROMPT_TEMPLATE.indexOf('\n'));
const AFTER_EXAMPLE = MINT_FEEDBACK_PROMPT_TEMPLATE.split('{in_context_example}')[1]!;
const EXAMPLE_END = AFTER_EXAMPLE.slice(0, AFTER_EXAMPLE.indexOf('{tool_desc}'));
const TRAJECTORY_TASK = 'Task:\n';
// The task text ends where the first model turn starts (MINT prefixes "Assistant:\n"), or, when that turn was empty,
// where the first observation does.
const TASK_ENDS = ['\n\nAssistant:\n', OBSERVATION];

// The rendered user turn (StepOutput.to_str): the turn info line, then the expert feedback and a final newline.
const FEEDBACK_IN_TURN = /You have \d+ steps left and \d+ chances to propose solution left\.\n(?:You should take the last step to propose a solution\.\n)?\nExpert feedback:\n([\s\S]*)\n$/;

/** The model's text of a published assistant turn (MINT prefixes "Assistant:\n" and appends "\n"). */
function modelOutput(content: string): string {
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  return body.startsWith('Assistant:\n') ? body.slice('Assistant:\n'.length) : body;
}

/** The published episode's turns and, from the user turn after each, the feedback that turn got. */
export function replayEpisodeOf(taskPrompt: string, history: readonly { role: string; content: string }[]): ReplayEpisode {
  const turns: string[] = [];
  const feedback: string[] = [];
  history.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    turns.push(modelOutput(m.content));
    const reply = history[i + 1];
    feedback.push(reply?.role === 'user' ? (FEEDBACK_IN_TURN.exec(reply.content)?.[1] ?? '') : '');
  });
  return { taskPrompt, turns, feedback, history: history.map((m) => m.content) };
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
        episodes.push(replayEpisodeOf(row.task.prompt, row.state.history));
      }
    }
  }
  if (episodes.length === 0) throw new Error(`${runDir} holds no published episodes (expected reasoning/<task>/results.jsonl)`);
  return episodes;
}

/**
 * Replays a published MINT run: finds the episode by the task text in the conversation's first message and answers
 * turn N with the published assistant turn N. The caller's agent loop runs for real (its sandbox, its scorer); a turn
 * the published episode never reached (it ended there, e.g. on a context error) gets an empty reply. Serving as the
 * feedback model too, it answers MINT's feedback prompt after turn N with the published expert feedback of turn N.
 */
export class ReplayAnswerPolicy implements AnswerPolicy {
  // Lemur's turns were cut at 512 of Llama's tokens, GPT-4's feedback at 1,024 of its own: some exceed those limits in
  // the simulator's tokenizer, and a second cut would drop a closing </solution> the published run had.
  readonly replaysPublishedText = true;
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
    // The feedback prompt is one user message; reading the last one keeps working if a system message comes first.
    const last = req.lastUserMessage ?? req.prompt;
    return last.startsWith(FEEDBACK_HEADER) ? this.feedback(last) : this.modelTurn(req.prompt);
  }

  private modelTurn(prompt: string): string {
    for (const probe of mintTaskProbes(prompt)) {
      const candidates = this.byTask.get(probe.trim());
      if (candidates === undefined) continue;
      const episode = closest(candidates, prompt, (e) => (e.history ?? []).join('\n\n'));
      return episode.turns[observationsAfter(prompt, prompt.indexOf(probe))] ?? '';
    }
    return '';
  }

  /** The published feedback on the trajectory's last turn: the prompt holds N+1 observations after turn N. */
  private feedback(prompt: string): string {
    const separator = prompt.indexOf(EXAMPLE_END, FEEDBACK_HEADER.length);
    const at = separator < 0 ? -1 : prompt.indexOf(TRAJECTORY_TASK, separator + EXAMPLE_END.length);
    if (at < 0) return '';
    const trajectory = prompt.slice(at);
    const ends = TASK_ENDS.map((end) => trajectory.indexOf(end)).filter((i) => i >= 0);
    if (ends.length === 0) return '';
    const candidates = this.byTask.get(trajectory.slice(TRAJECTORY_TASK.length, Math.min(...ends)).trim());
    if (candidates === undefined) return '';
    // The feedback prompt renders the trajectory as "Task:\n<task>\n" plus every later message, newline-joined.
    const episode = closest(candidates, trajectory, (e) => [`${TRAJECTORY_TASK}${e.taskPrompt}\n`, ...(e.history ?? []).slice(1)].join('\n'));
    return episode.feedback?.[observationsAfter(trajectory, 0) - 1] ?? '';
  }
}

function observationsAfter(prompt: string, from: number): number {
  let n = 0;
  for (let at = prompt.indexOf(OBSERVATION, from); at >= 0; at = prompt.indexOf(OBSERVATION, at + 1)) n += 1;
  return n;
}

/** The episode whose published conversation (as `render` writes it) agrees longest with `text` (the first on a tie). */
function closest(candidates: readonly ReplayEpisode[], text: string, render: (e: ReplayEpisode) => string): ReplayEpisode {
  if (candidates.length === 1) return candidates[0]!;
  let best = candidates[0]!;
  let bestLength = -1;
  for (const c of candidates) {
    const published = render(c);
    let n = 0;
    while (n < published.length && n < text.length && published.charCodeAt(n) === text.charCodeAt(n)) n += 1;
    if (n > bestLength) {
      best = c;
      bestLength = n;
    }
  }
  return best;
}
