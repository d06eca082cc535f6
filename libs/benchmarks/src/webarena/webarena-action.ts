// WebArena's id-based action space (browser_env/actions.py: ActionTypes, create_id_based_action, is_equivalent) as the
// agent side holds it, and the command text an environment server receives for each action on POST /step.

/** One browser action of WebArena's id-based action space; `none` is what an unparseable answer becomes. */
export type WebarenaAction =
  | { type: 'none' }
  | { type: 'click' | 'hover'; elementId: string }
  | { type: 'type'; elementId: string; text: string; pressEnter: boolean }
  | { type: 'press'; keyComb: string }
  | { type: 'scroll'; direction: 'up' | 'down' }
  | { type: 'new_tab' | 'close_tab' | 'go_back' | 'go_forward' }
  | { type: 'tab_focus'; tabIndex: number }
  | { type: 'goto'; url: string }
  | { type: 'stop'; answer: string };

/**
 * The /step command for an action: WebArena's own grammar (`create_id_based_action`, setting "default"), so a server
 * wrapping WebArena's ScriptBrowserEnv can hand it to that parser. Arguments are written verbatim between brackets.
 */
export function formatWebarenaCommand(action: WebarenaAction): string {
  switch (action.type) {
    case 'none':
    case 'new_tab':
    case 'close_tab':
    case 'go_back':
    case 'go_forward':
      return action.type;
    case 'click':
    case 'hover':
      return `${action.type} [${action.elementId}]`;
    case 'type':
      return `type [${action.elementId}] [${action.text}] [${action.pressEnter ? 1 : 0}]`;
    case 'press':
      return `press [${action.keyComb}]`;
    case 'scroll':
      return `scroll [${action.direction}]`;
    case 'tab_focus':
      return `tab_focus [${action.tabIndex}]`;
    case 'goto':
      return `goto [${action.url}]`;
    case 'stop':
      return `stop [${action.answer}]`;
  }
}

const BARE = new Set(['none', 'new_tab', 'close_tab', 'go_back', 'go_forward']);

/**
 * The server side of the grammar: a /step command read back into an action, or null for text that is none of them.
 * A bracketed text argument runs to the last `]` (an answer or typed text may hold brackets and newlines);
 * `stop []` is a stop without an answer, as WebArena's own parser reads it.
 */
export function parseWebarenaCommand(command: string): WebarenaAction | null {
  if (BARE.has(command)) return { type: command } as WebarenaAction;
  const typed = /^type \[([^\]]*)\] \[([\s\S]*)\] \[([01])\]$/.exec(command);
  if (typed !== null) return { type: 'type', elementId: typed[1]!, text: typed[2]!, pressEnter: typed[3] === '1' };
  const scroll = /^scroll \[(up|down)\]$/.exec(command);
  if (scroll !== null) return { type: 'scroll', direction: scroll[1] as 'up' | 'down' };
  const tab = /^tab_focus \[(-?\d+)\]$/.exec(command);
  if (tab !== null) return { type: 'tab_focus', tabIndex: Number(tab[1]) };
  const one = /^(click|hover|press|goto|stop) \[([\s\S]*)\]$/.exec(command);
  if (one === null) return null;
  const [, name, arg] = one as unknown as [string, string, string];
  switch (name) {
    case 'click':
    case 'hover':
      return { type: name, elementId: arg };
    case 'press':
      return { type: 'press', keyComb: arg };
    case 'goto':
      return { type: 'goto', url: arg };
    default:
      return { type: 'stop', answer: arg };
  }
}

/**
 * `is_equivalent`: what the repeating-action early stop compares. Element actions compare the element only (typing
 * other text into the same field is "the same typing action"), an element id that is empty matches nothing, and
 * key combinations compare as written (upstream first maps key names such as "enter" to Playwright's spelling).
 */
export function sameWebarenaAction(a: WebarenaAction, b: WebarenaAction): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'click':
    case 'hover':
    case 'type':
      return a.elementId !== '' && a.elementId === (b as { elementId: string }).elementId;
    case 'press':
      return a.keyComb === (b as { keyComb: string }).keyComb;
    case 'scroll':
      return a.direction === (b as { direction: string }).direction;
    case 'tab_focus':
      return a.tabIndex === (b as { tabIndex: number }).tabIndex;
    case 'goto':
      return a.url === (b as { url: string }).url;
    case 'stop':
      return a.answer === (b as { answer: string }).answer;
    default:
      return true;
  }
}
