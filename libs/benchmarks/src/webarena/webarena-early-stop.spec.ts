import { describe, expect, it } from 'vitest';
import { type WebarenaAction } from './webarena-action';
import { webarenaEarlyStop } from './webarena-early-stop';

const none: WebarenaAction = { type: 'none' };
const click = (id: string): WebarenaAction => ({ type: 'click', elementId: id });
const type = (id: string, text: string): WebarenaAction => ({ type: 'type', elementId: id, text, pressEnter: true });
const scroll = (direction: 'up' | 'down'): WebarenaAction => ({ type: 'scroll', direction });

describe('webarenaEarlyStop (run.py early_stop with its default thresholds)', () => {
  it.each<[string, WebarenaAction[], string | null]>([
    ['nothing done yet', [], null],
    ['two unparseable answers', [none, none], null],
    ['three unparseable answers in a row', [click('1'), none, none, none], 'Failed to parse actions for 3 times'],
    ['three unparseable answers, not in a row', [none, none, click('1'), none], null],
    ['the same click three times', [click('7'), click('7'), click('7')], 'Same action for 3 times'],
    ['the same click twice', [click('1'), click('7'), click('7')], null],
    ['the same scroll three times', [scroll('down'), scroll('down'), scroll('down')], 'Same action for 3 times'],
    ['typing into the same field three times anywhere', [type('5', 'a'), click('1'), type('5', 'b'), scroll('down'), type('5', 'c')], 'Same typing action for 3 times'],
    ['typing into two fields', [type('5', 'a'), type('6', 'b'), type('5', 'c')], null],
    ['29 actions', Array.from({ length: 29 }, (_, i) => scroll(i % 2 === 0 ? 'down' : 'up')), null],
    ['30 actions', Array.from({ length: 30 }, (_, i) => scroll(i % 2 === 0 ? 'down' : 'up')), 'Reach max steps 30'],
  ])('%s', (_, actions, info) => {
    expect(webarenaEarlyStop(actions)?.info ?? null).toBe(info);
  });

  it('checks the step limit first, then parsing failures, then repetition', () => {
    expect(webarenaEarlyStop([none, none, none], { maxSteps: 3, parsingFailure: 3, repeatingAction: 3 })?.rule).toBe('max_steps');
    expect(webarenaEarlyStop([none, none, none])?.rule).toBe('parsing_failure');
  });
});
