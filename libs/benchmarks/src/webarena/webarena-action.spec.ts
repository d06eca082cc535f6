import { describe, expect, it } from 'vitest';
import { formatWebarenaCommand, parseWebarenaCommand, sameWebarenaAction, type WebarenaAction } from './webarena-action';

describe('the /step command grammar', () => {
  const cases: [WebarenaAction, string][] = [
    [{ type: 'click', elementId: '1234' }, 'click [1234]'],
    [{ type: 'hover', elementId: '77' }, 'hover [77]'],
    [{ type: 'type', elementId: '164', text: 'restaurants near CMU', pressEnter: true }, 'type [164] [restaurants near CMU] [1]'],
    [{ type: 'type', elementId: '21', text: 'a [b]\nc', pressEnter: false }, 'type [21] [a [b]\nc] [0]'],
    [{ type: 'press', keyComb: 'Ctrl+v' }, 'press [Ctrl+v]'],
    [{ type: 'scroll', direction: 'down' }, 'scroll [down]'],
    [{ type: 'new_tab' }, 'new_tab'],
    [{ type: 'close_tab' }, 'close_tab'],
    [{ type: 'go_back' }, 'go_back'],
    [{ type: 'go_forward' }, 'go_forward'],
    [{ type: 'tab_focus', tabIndex: -1 }, 'tab_focus [-1]'],
    [{ type: 'goto', url: 'http://onestopmarket.com/a?b=[1]' }, 'goto [http://onestopmarket.com/a?b=[1]]'],
    [{ type: 'stop', answer: '$58.20' }, 'stop [$58.20]'],
    [{ type: 'stop', answer: '' }, 'stop []'],
    [{ type: 'stop', answer: 'Early stop: Failed to parse actions for 3 times' }, 'stop [Early stop: Failed to parse actions for 3 times]'],
    [{ type: 'none' }, 'none'],
  ];

  it.each(cases)('%j is sent as %j and read back the same', (action, command) => {
    expect(formatWebarenaCommand(action)).toBe(command);
    expect(parseWebarenaCommand(command)).toEqual(action);
  });

  it.each(['click 1234', 'click(1234)', 'type [1] [x]', 'type [1] [x] [2]', 'scroll [left]', 'tab_focus [one]', 'stop', 'look', ''])('rejects %j', (command) => {
    expect(parseWebarenaCommand(command)).toBeNull();
  });
});

describe('sameWebarenaAction (is_equivalent)', () => {
  it.each<[WebarenaAction, WebarenaAction, boolean]>([
    [{ type: 'click', elementId: '1' }, { type: 'click', elementId: '1' }, true],
    [{ type: 'click', elementId: '1' }, { type: 'click', elementId: '2' }, false],
    [{ type: 'click', elementId: '1' }, { type: 'hover', elementId: '1' }, false],
    [{ type: 'click', elementId: '' }, { type: 'click', elementId: '' }, false],
    // Typing compares the field only.
    [{ type: 'type', elementId: '5', text: 'a', pressEnter: true }, { type: 'type', elementId: '5', text: 'b', pressEnter: false }, true],
    [{ type: 'scroll', direction: 'down' }, { type: 'scroll', direction: 'up' }, false],
    [{ type: 'go_back' }, { type: 'go_back' }, true],
    [{ type: 'none' }, { type: 'none' }, true],
    [{ type: 'goto', url: 'a' }, { type: 'goto', url: 'b' }, false],
    [{ type: 'tab_focus', tabIndex: 1 }, { type: 'tab_focus', tabIndex: 1 }, true],
  ])('%j vs %j: %s', (a, b, same) => {
    expect(sameWebarenaAction(a, b)).toBe(same);
  });
});
