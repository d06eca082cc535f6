import { type ChatMessage } from '../benchmark';
import { EnvironmentErrorCode, EnvironmentException, type StepResponse } from '../environment/environment-protocol';
import { parseMintTurn } from '../mint/mint-episode';
import { alfworldTaskType, type AlfworldTaskType } from './alfworld-tasks';
import { processAlfworldObservation } from './alfworld-tools';

/** One published ALFWorld episode (a row of MINT's results.jsonl). */
export interface PublishedAlfworldEpisode {
  gamefile: string;
  taskType: AlfworldTaskType;
  /** The environment's first observation (task.prompt without MINT's "Interact with a household..." line). */
  resetObservation: string;
  history: ChatMessage[];
  success: boolean;
  terminateReason: string;
  /** The output of each `<execute>` turn, in order; the turn that won the game has none (MINT logs no observation then). */
  cellOutputs: (string | null)[];
}

const PROMPT_PREFIX = 'Interact with a household to solve a task. \n';

/** Reads one results.jsonl row; throws on a row that is not an ALFWorld episode. */
export function parsePublishedAlfworldRow(row: unknown): PublishedAlfworldEpisode {
  const r = row as { state?: { history?: ChatMessage[]; success?: boolean; terminate_reason?: string }; task?: { task_id?: string; prompt?: string } };
  const gamefile = r.task?.task_id;
  const prompt = r.task?.prompt;
  const history = r.state?.history;
  if (typeof gamefile !== 'string' || typeof prompt !== 'string' || !Array.isArray(history) || !prompt.startsWith(PROMPT_PREFIX)) {
    throw new Error('not a published MINT ALFWorld row (want task.task_id, task.prompt starting "Interact with a household", state.history)');
  }
  const cellOutputs: (string | null)[] = [];
  history.forEach((m, i) => {
    if (m.role !== 'assistant' || parseMintTurn(modelText(m)).action !== 'execute') return;
    const next = history[i + 1];
    cellOutputs.push(next?.role === 'user' ? observationOf(next.content) : null);
  });
  return {
    gamefile,
    taskType: alfworldTaskType(gamefile),
    resetObservation: prompt.slice(PROMPT_PREFIX.length),
    history,
    success: r.state?.success === true,
    terminateReason: r.state?.terminate_reason ?? '',
    cellOutputs,
  };
}

/** The model's own text of a published assistant turn (MINT prefixes "Assistant:\n" and appends "\n"). */
export function modelText(turn: ChatMessage): string {
  const body = turn.content.endsWith('\n') ? turn.content.slice(0, -1) : turn.content;
  return body.startsWith('Assistant:\n') ? body.slice('Assistant:\n'.length) : body;
}

function observationOf(content: string): string | null {
  const m = /^Observation:\n([\s\S]*?)You have \d+ steps left and \d+ chances to propose solution left\.\n/.exec(content);
  return m === null ? null : m[1]!;
}

/** An ALFWorld command reduced to a comparable key ("go to fridge 1"), or null when it is not one of the eleven. */
export function alfworldActionKey(action: string): string | null {
  const a = action.trim().replace(/\s+/g, ' ').toLowerCase();
  return /^(go to|open|close|take|put|toggle|clean|heat|cool|use|examine|look|inventory)\b/.test(a) ? a : null;
}

// Each ALFWorld observation shape names the command that produced it.
const SHAPES: readonly { re: RegExp; key: (m: RegExpExecArray) => string }[] = [
  { re: /^On the (.+?), you see /, key: (m) => `go to ${m[1]}` },
  { re: /^The (.+?) is (?:closed|open)\./, key: (m) => `go to ${m[1]}` },
  { re: /^You open the (.+?)\. /, key: (m) => `open ${m[1]}` },
  { re: /^You close the (.+?)\./, key: (m) => `close ${m[1]}` },
  { re: /^You pick up the (.+?) from the (.+?)\./, key: (m) => `take ${m[1]} from ${m[2]}` },
  { re: /^You put the (.+?) in\/on the (.+?)\./, key: (m) => `put ${m[1]} in/on ${m[2]}` },
  { re: /^You (clean|heat|cool) the (.+?) using the (.+?)\./, key: (m) => `${m[1]} ${m[2]} with ${m[3]}` },
  { re: /^You turn on the (.+?)\./, key: (m) => `use ${m[1]}` },
  { re: /^You are (?:in the middle of a room|facing the)/, key: () => 'look' },
];

/** The command an observation line answers, by its shape; 'nothing' for "Nothing happens."; null for other text. */
export function observationActionKey(line: string): string | null {
  if (line.startsWith('Nothing happens.')) return 'nothing';
  for (const s of SHAPES) {
    const m = s.re.exec(line);
    if (m !== null) return s.key(m).toLowerCase();
  }
  return null;
}

// "use X" and "toggle X" both turn a lamp on.
function sameCommand(a: string, b: string): boolean {
  return a === b || a.replace(/^toggle /, 'use ') === b.replace(/^toggle /, 'use ');
}

/** The goal of a game, read from its task line ("Your task is to: put a cool lettuce in countertop."). */
export interface AlfworldGoal {
  object: string;
  /** Receptacle type for put tasks; the lamp for examine tasks. */
  target: string;
  examine: boolean;
}

/** Reads the goal of a reset observation; null when the task line has no known shape. */
export function alfworldGoal(resetObservation: string): AlfworldGoal | null {
  const task = /Your task is to: (.*?)\.?\s*$/m.exec(resetObservation)?.[1]?.toLowerCase();
  if (task === undefined) return null;
  const examine = /^(?:look at|examine) (?:the |a |some )?(\w+) (?:under|with) the (\w+)$/.exec(task);
  if (examine !== null) return { object: examine[1]!, target: examine[2]!, examine: true };
  const put =
    /^put (?:a |an |some |two )?(?:clean |hot |cool )?(\w+) (?:in|on|in\/on) (?:the )?(\w+)$/.exec(task) ??
    /^(?:clean|heat|cool|find two) (?:a |an |some |the )?(\w+) and put (?:it|them) (?:in|on|in\/on) (?:the )?(\w+)$/.exec(task);
  if (put !== null) return { object: put[1]!, target: put[2]!, examine: false };
  return null;
}

function isGoalAction(goal: AlfworldGoal, key: string): boolean {
  if (goal.examine) return new RegExp(`^(?:use|toggle) ${goal.target}\\b`).test(key);
  const m = /^put (.+?) in\/on (.+)$/.exec(key);
  return m !== null && m[1]!.startsWith(goal.object) && m[2]!.startsWith(goal.target);
}

/** What a recorded server answers for a command nobody recorded. */
export function unrecordedObservation(action: string): string {
  return `Unrecorded action: "${action}" was never observed in the published trajectories of this game.`;
}

interface RecordedLine {
  text: string;
  key: string;
}

/**
 * A recorded ALFWorld game for one published episode, replayed command by command. ALFWorld (TextWorld) cannot run
 * here, so the answers come from what was published:
 * 1. the episode's own cell outputs, in order: a command gets the next recorded observation of its shape (lines the
 *    agent's code printed itself are skipped);
 * 2. otherwise what the episode's own recording, then any published run of the same game, recorded or implied for
 *    that command (`others`, see episodeObservations);
 * 3. otherwise an "Unrecorded action" observation.
 * The turn that won a game has no published output, so for a published success `done` (won, reward 1) is reported at
 * the first command of the game's goal shape (put the goal object in the goal receptacle; use the lamp) issued once
 * the episode's own recording is used up. A published failure never reports done.
 */
export class RecordedAlfworldGame {
  private readonly lines: RecordedLine[];
  private cursor = 0;
  private done = false;
  private readonly goal: AlfworldGoal | null;

  constructor(
    readonly episode: PublishedAlfworldEpisode,
    private readonly others: ReadonlyMap<string, string>,
  ) {
    this.lines = episode.cellOutputs.flatMap((out) =>
      (out ?? '').split('\n').flatMap((text) => {
        const key = observationActionKey(text);
        return key === null ? [] : [{ text, key }];
      }),
    );
    this.goal = alfworldGoal(episode.resetObservation);
  }

  step(action: string): StepResponse {
    const key = alfworldActionKey(action);
    let observation: string;
    let source: 'episode' | 'game' | 'unrecorded';
    const own = key === null ? -1 : this.findOwn(key);
    if (own >= 0) {
      observation = this.lines[own]!.text;
      this.cursor = own + 1;
      source = 'episode';
    } else if (key !== null && this.others.has(key)) {
      observation = this.others.get(key)!;
      source = 'game';
    } else if (key !== null && !namesInstances(key)) {
      // ALFWorld only accepts exact names ("knife 1"); anything else does nothing.
      observation = 'Nothing happens.';
      source = 'game';
    } else {
      observation = key === null ? 'Nothing happens.' : unrecordedObservation(action);
      source = 'unrecorded';
    }
    const pastRecording = own < 0 || this.cursor >= this.lines.length;
    if (!this.done && this.episode.success && pastRecording && key !== null && this.goal !== null && isGoalAction(this.goal, key)) {
      this.done = true;
      if (source !== 'episode') observation = goalObservation(key);
    }
    return { observation: processAlfworldObservation(observation), reward: this.done ? 1 : 0, done: this.done, info: { won: this.done, source } };
  }

  private findOwn(key: string): number {
    // "Nothing happens." answers any command, but only as the very next recorded observation.
    if (this.lines[this.cursor]?.key === 'nothing') return this.cursor;
    for (let i = this.cursor; i < this.lines.length; i += 1) if (sameCommand(this.lines[i]!.key, key)) return i;
    return -1;
  }
}

// Every object and receptacle of an ALFWorld game is named with its number ("cabinet 3").
function namesInstances(key: string): boolean {
  const m =
    /^(?:go to|open|close|use|toggle|examine) (.+)$/.exec(key) ?? /^(?:take) (.+) from (.+)$/.exec(key) ?? /^put (.+) in\/on (.+)$/.exec(key) ?? /^(?:clean|heat|cool) (.+) with (.+)$/.exec(key);
  if (m === null) return true;
  return m.slice(1).every((name) => /^[a-z]+ \d+$/.test(name));
}

function goalObservation(key: string): string {
  const put = /^put (.+?) in\/on (.+)$/.exec(key);
  if (put !== null) return `You put the ${put[1]} in/on the ${put[2]}.`;
  return `You turn on the ${key.replace(/^(?:use|toggle) /, '')}.`;
}

/**
 * What one episode's recording says about its game, command by command: each observation under the command its shape
 * names, and what follows from it ("You open the X" means going to X first showed "The X is closed.", since ALFWorld
 * opens only closed receptacles).
 */
export function episodeObservations(episode: PublishedAlfworldEpisode): Map<string, string> {
  const seen = new Map<string, string>();
  const derived = new Map<string, string>();
  for (const out of episode.cellOutputs) {
    for (const text of (out ?? '').split('\n')) {
      const key = observationActionKey(text);
      if (key === null || key === 'nothing') continue;
      if (!seen.has(key)) seen.set(key, text);
      const opened = /^open (.+)$/.exec(key);
      if (opened !== null) derived.set(`go to ${opened[1]}`, `The ${opened[1]} is closed.`);
    }
  }
  for (const [key, text] of derived) if (!seen.has(key)) seen.set(key, text);
  return seen;
}

/** Per game: the first observation any published episode recorded (or implied) for each command. */
export function gameObservationIndex(episodes: readonly PublishedAlfworldEpisode[]): Map<string, Map<string, string>> {
  const index = new Map<string, Map<string, string>>();
  for (const e of episodes) {
    const game = index.get(e.gamefile) ?? new Map<string, string>();
    index.set(e.gamefile, game);
    for (const [key, text] of episodeObservations(e)) if (!game.has(key)) game.set(key, text);
  }
  return index;
}

/** A recorded game for each published episode of one run, keyed by gamefile; reset of an unknown game is TASK_NOT_FOUND. */
export class RecordedAlfworldRun {
  private readonly byGame: Map<string, PublishedAlfworldEpisode>;
  private readonly index: Map<string, Map<string, string>>;

  constructor(run: readonly PublishedAlfworldEpisode[], allPublished: readonly PublishedAlfworldEpisode[] = run) {
    this.byGame = new Map(run.map((e) => [e.gamefile, e]));
    this.index = gameObservationIndex(allPublished);
  }

  get size(): number {
    return this.byGame.size;
  }

  reset(taskId: string): { game: RecordedAlfworldGame; observation: string } {
    const episode = this.byGame.get(taskId);
    if (episode === undefined) throw new EnvironmentException(EnvironmentErrorCode.TASK_NOT_FOUND, `no published episode of game ${taskId} in this recording`);
    const fallback = new Map([...(this.index.get(taskId) ?? new Map<string, string>()), ...episodeObservations(episode)]);
    return { game: new RecordedAlfworldGame(episode, fallback), observation: episode.resetObservation };
  }
}
