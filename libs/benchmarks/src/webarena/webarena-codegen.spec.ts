import { describe, expect, it } from 'vitest';
import { type WebarenaAction } from './webarena-action';
import { extractWebarenaAction, parseWebarenaAnswer } from './webarena-codegen';

const SAY = "Let's think step-by-step. The Orders link leads to the order search. In summary, the next action I will perform is";
const NONE: WebarenaAction = { type: 'none' };

describe('parseWebarenaAnswer (the codegen agent reading a model answer)', () => {
  // What create_id_based_action(action_str, "codegen") makes of each answer, worked out against upstream's eval.
  it.each<[string, string, WebarenaAction]>([
    ['the prompt\'s own form', `${SAY} \`\`\`click(1234)\`\`\``, { type: 'click', elementId: '1234' }],
    ['text after the action', `${SAY} \`\`\`click(1234)\`\`\` and then I will read the total.`, { type: 'click', elementId: '1234' }],
    ['two actions: the first is taken', `${SAY} \`\`\`click(12)\`\`\`\nThen \`\`\`stop('x')\`\`\``, { type: 'click', elementId: '12' }],
    ['newlines inside the backticks', `${SAY}\n\`\`\`\nclick(1234)\n\`\`\``, { type: 'click', elementId: '1234' }],
    ['a space before the parenthesis', '```click (1234)```', { type: 'click', elementId: '1234' }],
    ['a trailing comment', "```click(1234)  # the 'Orders' link```", { type: 'click', elementId: '1234' }],
    ['the id as a string', "```click('1234')```", { type: 'click', elementId: '1234' }],
    ['the id as a float keeps Python\'s str()', '```click(1234.0)```', { type: 'click', elementId: '1234.0' }],
    ['a keyword argument', '```hover(id=77)```', { type: 'hover', elementId: '77' }],
    ['type, Enter pressed', "```type(164, 'restaurants near CMU', 1)```", { type: 'type', elementId: '164', text: 'restaurants near CMU', pressEnter: true }],
    ['type, Enter not pressed', "```type(164, 'restaurants near CMU', False)```", { type: 'type', elementId: '164', text: 'restaurants near CMU', pressEnter: false }],
    ['type with keywords and a quote inside', `\`\`\`type(id=21, content="it's 1042", press_enter_after=0)\`\`\``, { type: 'type', elementId: '21', text: "it's 1042", pressEnter: false }],
    ['type whose text holds a comma and parentheses', "```type(21, 'a, (b)', 'yes')```", { type: 'type', elementId: '21', text: 'a, (b)', pressEnter: true }],
    ['scroll', "```scroll('down')```", { type: 'scroll', direction: 'down' }],
    ['press', "```press('Ctrl+v')```", { type: 'press', keyComb: 'Ctrl+v' }],
    ['goto', "```goto('http://onestopmarket.com/sales/order/')```", { type: 'goto', url: 'http://onestopmarket.com/sales/order/' }],
    ['tab_focus', '```tab_focus(1)```', { type: 'tab_focus', tabIndex: 1 }],
    ['go_back is read from its name alone', '```go_back```', { type: 'go_back' }],
    ['go_forward ignores its arguments', '```go_forward(2)```', { type: 'go_forward' }],
    ['new_tab', '```new_tab()```', { type: 'new_tab' }],
    ['close_tab', '```close_tab()```', { type: 'close_tab' }],
    ['stop with an answer', "```stop('$58.20')```", { type: 'stop', answer: '$58.20' }],
    ['stop with double quotes', '```stop("$279.49")```', { type: 'stop', answer: '$279.49' }],
    ['stop N/A as the prompt asks', "```stop('N/A')```", { type: 'stop', answer: 'N/A' }],
    ['stop [N/A] in the brackets of the other grammar: a stop without its answer', '```stop [N/A]```', { type: 'stop', answer: '' }],
    ['stop with a number: a stop without its answer', '```stop(279.49)```', { type: 'stop', answer: '' }],
    ['stop with no argument: a stop without its answer', '```stop()```', { type: 'stop', answer: '' }],
  ])('%s', (_, answer, action) => {
    expect(parseWebarenaAnswer(answer).action).toEqual(action);
  });

  // Every one of these is ActionParsingError upstream, so the agent takes the no-op `none`.
  it.each<[string, string]>([
    ['missing backticks', `${SAY} click(1234)`],
    ['single backticks', `${SAY} \`click(1234)\``],
    ['an unclosed span', `${SAY} \`\`\`click(1234)`],
    ['the id without brackets or parentheses', '```click 1234```'],
    ['the bracket grammar of the default setting', '```click [1234]```'],
    ['a language tag', '```python\nclick(1234)\n```'],
    ['an empty span', '``````'],
    ['upper case', '```CLICK(1234)```'],
    ['an unknown action', '```select(12)```'],
    ['a missing argument', "```type(164, 'restaurants near CMU')```"],
    ['too many arguments', '```click(1234, 5)```'],
    ['an unknown keyword', '```click(element=1234)```'],
    ['two calls in one span', "```click(1234)\nstop('x')```"],
    ['a name as an argument', '```scroll(down)```'],
    ['a direction that is not up or down', "```scroll('left')```"],
    ['text that is not a string', '```type(164, 1042, 1)```'],
    ['a tab index that is not an int', "```tab_focus('1')```"],
    ['an unterminated string', "```goto('http://x.com)```"],
  ])('%s becomes none', (_, answer) => {
    const parsed = parseWebarenaAnswer(answer);
    expect(parsed.action).toEqual(NONE);
    expect(parsed.problem).toBeTruthy();
  });

  it('records what it extracted, and null when no ``` pair holds the action', () => {
    expect(parseWebarenaAnswer(`${SAY} \`\`\` click(1) \`\`\``).extracted).toBe('click(1)');
    expect(parseWebarenaAnswer(`${SAY} click(1)`)).toEqual({ extracted: null, action: NONE, problem: 'no action between a pair of ```' });
    expect(extractWebarenaAction('a ```b``` c ```d```')).toBe('b');
  });
});
