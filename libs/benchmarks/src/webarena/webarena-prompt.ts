import { type ChatMessage } from '../benchmark';
import { PY_WHITESPACE_RUN, pyStrip } from '../intercode/intercode-python';
import { type WebarenaAction } from './webarena-action';

// The prompt Lemur-70B-Chat was run with on WebArena: OpenLemur/webarena@6c9d08e
// agent/prompts/raw/p_codegen_cot_id_actree_2s_lemur.py (2-shot chain of thought, accessibility tree with element ids,
// actions written as Python calls), laid out by its LemurCoTPromptConstructor: the intro as the system message, each
// example as a user/assistant pair, then the current state as the user message.

/** The phrase the answer's action follows, and what the action is wrapped in (the prompt's meta_data). */
export const WEBARENA_ANSWER_PHRASE = 'In summary, the next action I will perform is';
export const WEBARENA_ACTION_SPLITTER = '```';

/** The prompt's "intro", verbatim. */
export const WEBARENA_INTRO = [
  'You are an autonomous intelligent agent tasked with navigating a web browser. You will be given web-based tasks. These tasks will be accomplished through the use of specific actions you can issue.',
  '',
  "Here's the information you'll have:",
  "The user's objective: This is the task you're trying to complete.",
  "The current web page's accessibility tree: This is a simplified representation of the webpage, providing key information.",
  "The current web page's URL: This is the page you're currently navigating.",
  'The open tabs: These are the tabs you have open.',
  'The previous action: This is the action you just performed. It may be helpful to track your progress.',
  '',
  'The actions you can perform fall into several categories, their formats are just like python functions. You should output them like calling a python function:',
  '',
  'Page Operation Actions:',
  '`click(id: int)`: This action(function) clicks on an element with a specific id on the webpage.',
  '`type(id: int, content: str, press_enter_after: bool)`: Use this function to type the content into the field with id. By default, the "Enter" key is pressed after typing unless press_enter_after is set to False.',
  '`hover(id: int)`: Hover over an element with id.',
  '`press(key_comb: str)`:  Simulates the pressing of a key combination on the keyboard (e.g., Ctrl+v).',
  "`scroll(direction: Literal['down', 'up'])`: Scroll the page up or down.",
  '',
  'Tab Management Actions:',
  '`new_tab()`: Open a new, empty browser tab.',
  "`tab_focus(tab_index: int)`: Switch the browser's focus to a specific tab using its index.",
  '`close_tab()`: Close the currently active tab.',
  '',
  'URL Navigation Actions:',
  '`goto(url: str)`: Navigate to a specific URL.',
  '`go_back()`: Navigate to the previously viewed page.',
  "`go_forward()`: Navigate to the next page (if a previous 'go_back' action was performed).",
  '',
  'Completion Action:',
  "`stop(answer: str)`: Issue this action when you believe the task is complete. If the objective is to find a text-based answer, provide the answer in the bracket. If you believe the task is impossible to complete, provide the answer as 'N/A' in the bracket, i.e. stop('N/A')",
  '',
  'Homepage:',
  'If you want to visit other websites, check out the homepage at http://localhost:4399. It has a list of websites you can visit.',
  'http://localhost:4399/password.html lists all the account name and password for the websites. You can use them to log in to the websites.',
  '',
  'To be successful, it is very important to follow the following rules:',
  '1. You should only issue an action that is valid given the current observation',
  '2. You should only issue one action at a time.',
  '3. You should follow the examples to reason step by step and then issue the next action.',
  '4. Generate the action in the correct format. Start with a "In summary, the next action I will perform is" phrase, followed by action inside ``````. For example, "In summary, the next action I will perform is ```click(1234)```".',
  "5. Issue stop action when you think you have achieved the objective. Don't generate anything after stop.",
].join('\n');

/** The prompt's two in-context examples: (state shown, answer given), verbatim. */
export const WEBARENA_EXAMPLES: readonly (readonly [string, string])[] = [
  [
    [
      'OBSERVATION:',
      "[1744] link 'HP CB782A#ABA 640 Inkjet Fax Machine (Renewed)'",
      "\t\t[1749] StaticText '$279.49'",
      "\t\t[1757] button 'Add to Cart'",
      "\t\t[1760] button 'Add to Wish List'",
      "\t\t[1761] button 'Add to Compare'",
      'URL: http://onestopmarket.com/office-products/office-electronics.html',
      'OBJECTIVE: What is the price of HP Inkjet Fax Machine',
      'PREVIOUS ACTION: None',
    ].join('\n'),
    "Let's think step-by-step. This page list the information of HP Inkjet Fax Machine, which is the product identified in the objective. Its price is $279.49. I think I have achieved the objective. I will issue the stop action with the answer. In summary, the next action I will perform is ```stop('$279.49')```",
  ],
  [
    [
      'OBSERVATION:',
      "[164] textbox 'Search' focused: True required: False",
      "[171] button 'Go'",
      "[174] link 'Find directions between two points'",
      "[212] heading 'Search Results'",
      "[216] button 'Close'",
      'URL: http://openstreetmap.org',
      'OBJECTIVE: Show me the restaurants near CMU',
      'PREVIOUS ACTION: None',
    ].join('\n'),
    `Let's think step-by-step. This page has a search box whose ID is [164]. According to the nominatim rule of openstreetmap, I can search for the restaurants near a location by "restaurants near". I can submit my typing by pressing the Enter afterwards. In summary, the next action I will perform is \`\`\`type(164, 'restaurants near CMU', 1)\`\`\``,
  ],
];

/** The state a turn shows: the page's accessibility tree and URL, the task's intent, the last action's description. */
export interface WebarenaState {
  observation: string;
  url: string;
  objective: string;
  previousAction: string;
}

/** The prompt's "template" filled in (Python's str.format, one pass: braces in the page stay as they are). */
export function renderWebarenaState(state: WebarenaState): string {
  return `OBSERVATION:\n${state.observation}\nURL: ${state.url}\nOBJECTIVE: ${state.objective}\nPREVIOUS ACTION: ${state.previousAction}`;
}

/** LemurCoTPromptConstructor.get_lm_api_input: what one turn sends the model. */
export function renderWebarenaMessages(state: WebarenaState): ChatMessage[] {
  return [
    { role: 'system', content: WEBARENA_INTRO },
    ...WEBARENA_EXAMPLES.flatMap(([shown, answer]): ChatMessage[] => [
      { role: 'user', content: shown },
      { role: 'assistant', content: answer },
    ]),
    { role: 'user', content: renderWebarenaState(state) },
  ];
}

/**
 * get_action_description (setting "codegen"): the PREVIOUS ACTION line after `action`, taken on the page whose
 * accessibility tree is `observation`; `response` is the model's whole answer, quoted back when it did not parse.
 * Element actions name the element's line of the tree (action2str); an id not on the page gets upstream's hint.
 * The fork passes its `setting` on to action2str, whose codegen variant is not in any published revision we could
 * read; this renders the id-based form WebArena publishes (`click [1744] where [1744] is link '...'`).
 */
export function describeWebarenaAction(action: WebarenaAction, observation: string, response: string): string {
  switch (action.type) {
    case 'click':
    case 'hover':
    case 'type': {
      const node = accessibilityNode(observation, action.elementId);
      if (node === undefined) {
        return `Attempt to perfom "${action.type}" on element "[${action.elementId}]" but no matching element found. Please check the observation more carefully.`;
      }
      if (action.type !== 'type') return `${action.type} [${action.elementId}] where [${action.elementId}] is ${node}`;
      // TYPE's text holds "\n" when Enter is pressed after it; action2str shows each newline as a space.
      const text = `${action.text}${action.pressEnter ? '\n' : ''}`.replaceAll('\n', ' ');
      return `type [${action.elementId}] [${text}] where [${action.elementId}] is ${node}`;
    }
    case 'none':
      return `The previous prediction you issued was "${response}". However, the format was incorrect. Ensure that the action is wrapped inside a pair of ${WEBARENA_ACTION_SPLITTER} and call it as a python function and enclose arguments within () as follows: ${WEBARENA_ACTION_SPLITTER}action(param1, param2...)${WEBARENA_ACTION_SPLITTER}.`;
    case 'scroll':
      return `scroll [${action.direction}]`;
    case 'press':
      return `press [${action.keyComb}]`;
    case 'goto':
      return `goto [${action.url}]`;
    case 'tab_focus':
      return `page_focus [${action.tabIndex}]`;
    case 'stop':
      return `stop [${action.answer}]`;
    default:
      return action.type;
  }
}

/**
 * The element's text as obs_nodes_info holds it, minus its `[id]` and with runs of whitespace made one space (the
 * tree's line `[1757] button 'Add to Cart'` gives "button 'Add to Cart'"); undefined when no line has that id.
 */
function accessibilityNode(observation: string, elementId: string): string | undefined {
  const prefix = `[${elementId}]`;
  for (const line of observation.split('\n')) {
    const words = pyStrip(line).split(PY_WHITESPACE_RUN);
    if (words[0] === prefix) return words.slice(1).join(' ');
  }
  return undefined;
}
