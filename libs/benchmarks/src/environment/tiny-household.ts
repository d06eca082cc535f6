import { EnvironmentErrorCode, EnvironmentException, type StepResponse } from './environment-protocol';

// A deterministic household with ALFWorld's command grammar and observation wording, small enough to reason about in
// tests: the agent side (tools, relay, episode) is exercised against a live game, not only recordings.

interface Receptacle {
  name: string;
  openable: boolean;
  open: boolean;
  objects: string[];
}

interface TinyTask {
  goal: string;
  won(state: TinyHousehold): boolean;
}

const TASKS: Readonly<Record<string, TinyTask>> = {
  'tiny/put-apple': { goal: 'put some apple in cabinet', won: (s) => s.contents('cabinet 1').some((o) => o.startsWith('apple')) },
  'tiny/cool-lettuce': {
    goal: 'put a cool lettuce in diningtable',
    won: (s) => s.contents('diningtable 1').some((o) => o.startsWith('lettuce') && s.isCool(o)),
  },
  'tiny/examine-mug': { goal: 'look at mug under the desklamp', won: (s) => s.holding?.startsWith('mug') === true && s.lampOn },
};

/** The task ids the tiny household serves. */
export const TINY_HOUSEHOLD_TASKS: readonly string[] = Object.keys(TASKS);

/** One game of the tiny household; `step` takes ALFWorld commands ("go to fridge 1", "take apple 1 from countertop 1"). */
export class TinyHousehold {
  holding: string | null = null;
  lampOn = false;
  private location: string | null = null;
  private readonly cooled = new Set<string>();
  private readonly receptacles: Receptacle[] = [
    { name: 'cabinet 1', openable: true, open: false, objects: [] },
    { name: 'countertop 1', openable: false, open: true, objects: ['apple 1', 'mug 1'] },
    { name: 'desk 1', openable: false, open: true, objects: ['desklamp 1'] },
    { name: 'diningtable 1', openable: false, open: true, objects: [] },
    { name: 'fridge 1', openable: true, open: false, objects: ['lettuce 1'] },
  ];
  private won = false;
  private readonly task: TinyTask;

  constructor(readonly taskId: string) {
    const task = TASKS[taskId];
    if (task === undefined) throw new EnvironmentException(EnvironmentErrorCode.TASK_NOT_FOUND, `unknown task ${taskId}; the tiny household has ${TINY_HOUSEHOLD_TASKS.join(', ')}`);
    this.task = task;
  }

  /** The first observation, in ALFWorld's words. */
  intro(): string {
    const all = [...this.receptacles].reverse().map((r) => `a ${r.name}`);
    return `You are in the middle of a room. Looking quickly around you, you see ${all.slice(0, -1).join(', ')}, and ${all.at(-1)}.\nYour task is to: ${this.task.goal}.`;
  }

  contents(name: string): string[] {
    return this.receptacles.find((r) => r.name === name)?.objects ?? [];
  }

  isCool(object: string): boolean {
    return this.cooled.has(object);
  }

  step(action: string): StepResponse {
    const observation = this.apply(action.trim().replace(/\s+/g, ' ').toLowerCase());
    if (!this.won && this.task.won(this)) this.won = true;
    return { observation, reward: this.won ? 1 : 0, done: this.won, info: { won: this.won } };
  }

  private apply(a: string): string {
    let m: RegExpExecArray | null;
    if ((m = /^go to (.+)$/.exec(a))) {
      const r = this.find(m[1]!);
      if (r === undefined) return 'Nothing happens.';
      this.location = r.name;
      if (!r.open) return `The ${r.name} is closed.`;
      return r.openable ? `The ${r.name} is open. In it, you see ${list(r.objects)}.` : `On the ${r.name}, you see ${list(r.objects)}.`;
    }
    if ((m = /^open (.+)$/.exec(a))) {
      const r = this.here(m[1]!);
      if (r === undefined || !r.openable || r.open) return 'Nothing happens.';
      r.open = true;
      return `You open the ${r.name}. The ${r.name} is open. In it, you see ${list(r.objects)}.`;
    }
    if ((m = /^close (.+)$/.exec(a))) {
      const r = this.here(m[1]!);
      if (r === undefined || !r.openable || !r.open) return 'Nothing happens.';
      r.open = false;
      return `You close the ${r.name}.`;
    }
    if ((m = /^take (.+) from (.+)$/.exec(a))) {
      const r = this.here(m[2]!);
      const object = m[1]!;
      if (r === undefined || !r.open || this.holding !== null || !r.objects.includes(object) || object.startsWith('desklamp')) return 'Nothing happens.';
      r.objects = r.objects.filter((o) => o !== object);
      this.holding = object;
      return `You pick up the ${object} from the ${r.name}.`;
    }
    if ((m = /^put (.+) in\/on (.+)$/.exec(a))) {
      const r = this.here(m[2]!);
      if (r === undefined || !r.open || this.holding !== m[1]) return 'Nothing happens.';
      r.objects.push(this.holding);
      this.holding = null;
      return `You put the ${m[1]} in/on the ${r.name}.`;
    }
    if ((m = /^cool (.+) with (.+)$/.exec(a))) {
      const r = this.here(m[2]!);
      if (r === undefined || !r.name.startsWith('fridge') || this.holding !== m[1]) return 'Nothing happens.';
      this.cooled.add(m[1]!);
      return `You cool the ${m[1]} using the ${r.name}.`;
    }
    if ((m = /^(?:use|toggle) (.+)$/.exec(a))) {
      if (m[1] !== 'desklamp 1' || this.location !== 'desk 1') return 'Nothing happens.';
      this.lampOn = true;
      return 'You turn on the desklamp 1.';
    }
    if (a === 'look') {
      return this.location === null ? this.intro().split('\n')[0]! : `You are facing the ${this.location}. Next to it, you see nothing.`;
    }
    if (a === 'inventory') return this.holding === null ? 'You are not carrying anything.' : `You are carrying: a ${this.holding}.`;
    return 'Nothing happens.';
  }

  private find(name: string): Receptacle | undefined {
    return this.receptacles.find((r) => r.name === name);
  }

  // ALFWorld acts only on the receptacle the agent stands at.
  private here(name: string): Receptacle | undefined {
    return this.location === name ? this.find(name) : undefined;
  }
}

function list(objects: readonly string[]): string {
  if (objects.length === 0) return 'nothing';
  const named = objects.map((o) => `a ${o}`);
  return named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')}, and ${named.at(-1)}`;
}
