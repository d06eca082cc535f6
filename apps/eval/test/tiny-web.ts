import { EnvironmentErrorCode, EnvironmentException, parseWebarenaCommand, type StepResponse, type WebarenaItem } from '@lemur/benchmarks';
import type { EnvironmentBackend, EnvironmentGame } from '../src/environment/environment-server';

// A WebArena-like site for the tests: three pages given as accessibility trees with element ids, WebArena's /step
// command grammar, and an evaluator that judges the final answer by string match as WebArena's StringEvaluator does.
// Deterministic and in memory, served over HTTP by the real EnvironmentServer.

const ORIGIN = 'http://tiny.shop';

/** The tasks: the intent is the OBJECTIVE, the reference what the stop's answer is matched against. */
export const TINY_WEB_TASKS: readonly { taskId: string; intent: string; reference: { exactMatch: string } | { mustInclude: string } }[] = [
  { taskId: 'tiny-web/order-total', intent: 'What is the total of order #1042?', reference: { exactMatch: '$58.20' } },
  { taskId: 'tiny-web/order-status', intent: 'What is the status of order #1042?', reference: { mustInclude: 'shipped' } },
];

/** A task as the benchmark's item for it. */
export function tinyWebItem(taskId: string): WebarenaItem {
  const task = TINY_WEB_TASKS.find((t) => t.taskId === taskId);
  return { id: `webarena/${taskId}`, taskId, intent: task?.intent ?? 'unknown task', sites: ['shopping'], evalTypes: ['string_match'] };
}

const PAGES: Record<string, (state: { searched: string }) => string> = {
  '/': () => ["[1] RootWebArea 'Tiny Shop' focused: True", "\t[11] link 'Orders'", "\t[12] link 'Products'", "\t[13] StaticText 'Welcome to Tiny Shop'"].join('\n'),
  '/orders': ({ searched }) =>
    [
      "[2] RootWebArea 'Orders' focused: True",
      "\t[21] textbox 'Order number' required: False",
      "\t[22] button 'Search'",
      "\t[23] link 'Home'",
      ...(searched === '' ? [] : [`\t[24] StaticText 'No order ${searched}'`]),
    ].join('\n'),
  '/orders/1042': () =>
    [
      "[3] RootWebArea 'Order #1042' focused: True",
      "\t[31] heading 'Order #1042'",
      "\t\t[32] StaticText 'Status: Shipped'",
      "\t\t[33] StaticText 'Total: $58.20'",
      "\t[34] link 'Orders'",
    ].join('\n'),
};

const LINKS: Record<string, string> = { '11': '/orders', '23': '/', '34': '/orders' };

/** StringEvaluator.clean_answer: stripped, one pair of surrounding quotes removed, lower-cased. */
function cleanAnswer(answer: string): string {
  let a = answer.trim();
  if ((a.startsWith("'") && a.endsWith("'")) || (a.startsWith('"') && a.endsWith('"'))) a = a.slice(1, -1);
  return a.toLowerCase();
}

/** One browser session on the tiny site. */
export class TinyWebSession implements EnvironmentGame {
  private path = '/';
  private readonly back: string[] = [];
  private typed = '';
  private searched = '';
  private finished: StepResponse | undefined;

  constructor(private readonly task: (typeof TINY_WEB_TASKS)[number]) {}

  page(): { observation: string; info: { url: string } } {
    return { observation: PAGES[this.path]!({ searched: this.searched }), info: { url: `${ORIGIN}${this.path}` } };
  }

  step(command: string): StepResponse {
    if (this.finished !== undefined) return this.finished;
    const action = parseWebarenaCommand(command);
    if (action === null) throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `"${command.slice(0, 80)}" is not a WebArena command`);
    switch (action.type) {
      case 'stop': {
        const { reference } = this.task;
        const answer = cleanAnswer(action.answer);
        const reward = 'exactMatch' in reference ? Number(answer === cleanAnswer(reference.exactMatch)) : Number(answer.includes(cleanAnswer(reference.mustInclude)));
        this.finished = { ...this.page(), reward, done: true };
        return this.finished;
      }
      case 'click': {
        const target = LINKS[action.elementId];
        if (target !== undefined && PAGES[this.path]!({ searched: this.searched }).includes(`[${action.elementId}]`)) this.go(target);
        else if (action.elementId === '22' && this.path === '/orders') this.search();
        else return { ...this.page(), reward: 0, done: false, info: { ...this.page().info, fail_error: `no element [${action.elementId}] to click` } };
        break;
      }
      case 'type':
        if (action.elementId !== '21' || this.path !== '/orders') return { ...this.page(), reward: 0, done: false, info: { ...this.page().info, fail_error: `no field [${action.elementId}]` } };
        this.typed = action.text;
        if (action.pressEnter) this.search();
        break;
      case 'go_back':
        if (this.back.length > 0) this.path = this.back.pop()!;
        break;
      case 'goto': {
        const path = action.url.startsWith(ORIGIN) ? action.url.slice(ORIGIN.length) || '/' : undefined;
        if (path !== undefined && PAGES[path] !== undefined) this.go(path);
        break;
      }
      default:
        // none, scroll, hover, press and tab actions leave this one-tab, one-screen site as it is.
        break;
    }
    return { ...this.page(), reward: 0, done: false };
  }

  private go(path: string): void {
    this.back.push(this.path);
    this.path = path;
  }

  private search(): void {
    const number = this.typed.trim().replace(/^#/, '');
    this.searched = number === '1042' ? '' : number;
    if (number === '1042') this.go('/orders/1042');
  }
}

/** The tiny site as an environment-server backend. */
export function tinyWebBackend(): EnvironmentBackend {
  return {
    name: 'tiny-web',
    tasks: TINY_WEB_TASKS.length,
    reset: (taskId) => {
      const task = TINY_WEB_TASKS.find((t) => t.taskId === taskId);
      if (task === undefined) {
        throw new EnvironmentException(EnvironmentErrorCode.TASK_NOT_FOUND, `no task ${taskId}; this server has ${TINY_WEB_TASKS.map((t) => t.taskId).join(', ')}`);
      }
      const game = new TinyWebSession(task);
      return { ...game.page(), game };
    },
  };
}
