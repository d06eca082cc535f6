import { describe, expect, it } from 'vitest';
import { describeWebarenaAction, renderWebarenaMessages, WEBARENA_EXAMPLES, WEBARENA_INTRO } from './webarena-prompt';

const PAGE = ["[1] RootWebArea 'Tiny Shop' focused: True", "\t[11] link 'Orders'", "\t[21] textbox   'Order number' required: False"].join('\n');

describe('the WebArena prompt (p_codegen_cot_id_actree_2s_lemur, LemurCoTPromptConstructor)', () => {
  it('is the intro as system message, the two examples as user/assistant pairs, then the current state', () => {
    const messages = renderWebarenaMessages({ observation: PAGE, url: 'http://tiny.shop/', objective: 'Find it', previousAction: 'None' });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[0]!.content).toBe(WEBARENA_INTRO);
    expect(messages.slice(1, 5).map((m) => m.content)).toEqual(WEBARENA_EXAMPLES.flat());
    expect(messages[5]!.content).toBe(`OBSERVATION:\n${PAGE}\nURL: http://tiny.shop/\nOBJECTIVE: Find it\nPREVIOUS ACTION: None`);
  });

  it('teaches actions as Python calls inside ``` after the answer phrase', () => {
    expect(WEBARENA_INTRO).toContain('`click(id: int)`');
    expect(WEBARENA_INTRO).toContain('"In summary, the next action I will perform is ```click(1234)```"');
    expect(WEBARENA_EXAMPLES[1]![1]).toMatch(/```type\(164, 'restaurants near CMU', 1\)```$/);
  });
});

describe('describeWebarenaAction (the PREVIOUS ACTION line)', () => {
  it.each<[string, Parameters<typeof describeWebarenaAction>[0], string]>([
    ['a click names the element by its line of the tree', { type: 'click', elementId: '11' }, "click [11] where [11] is link 'Orders'"],
    ['whitespace in the line is collapsed', { type: 'hover', elementId: '21' }, "hover [21] where [21] is textbox 'Order number' required: False"],
    ['typing with Enter shows the newline as a space', { type: 'type', elementId: '21', text: '1042', pressEnter: true }, "type [21] [1042 ] where [21] is textbox 'Order number' required: False"],
    ['an id not on the page', { type: 'click', elementId: '99' }, 'Attempt to perfom "click" on element "[99]" but no matching element found. Please check the observation more carefully.'],
    ['scroll', { type: 'scroll', direction: 'up' }, 'scroll [up]'],
    ['a tab switch, named as action2str names it', { type: 'tab_focus', tabIndex: 2 }, 'page_focus [2]'],
    ['stop', { type: 'stop', answer: '$58.20' }, 'stop [$58.20]'],
    ['go_back', { type: 'go_back' }, 'go_back'],
  ])('%s', (_, action, line) => {
    expect(describeWebarenaAction(action, PAGE, 'the answer')).toBe(line);
  });

  it('quotes back an unparseable answer with the codegen format hint', () => {
    expect(describeWebarenaAction({ type: 'none' }, PAGE, 'I click Orders.')).toBe(
      'The previous prediction you issued was "I click Orders.". However, the format was incorrect. Ensure that the action is wrapped inside a pair of ``` and call it as a python function and enclose arguments within () as follows: ```action(param1, param2...)```.',
    );
  });
});
