import { describe, expect, it } from 'vitest';
import { EnvironmentErrorCode } from './environment-protocol';
import { TINY_HOUSEHOLD_TASKS, TinyHousehold } from './tiny-household';

function play(task: string, actions: string[]): { observations: string[]; done: boolean } {
  const game = new TinyHousehold(task);
  const steps = actions.map((a) => game.step(a));
  return { observations: steps.map((s) => s.observation), done: steps.at(-1)?.done ?? false };
}

describe('TinyHousehold', () => {
  it('serves three tasks and describes the room as ALFWorld does', () => {
    expect(TINY_HOUSEHOLD_TASKS).toEqual(['tiny/put-apple', 'tiny/cool-lettuce', 'tiny/examine-mug']);
    expect(new TinyHousehold('tiny/put-apple').intro()).toBe(
      'You are in the middle of a room. Looking quickly around you, you see a fridge 1, a diningtable 1, a desk 1, a countertop 1, and a cabinet 1.\nYour task is to: put some apple in cabinet.',
    );
    expect(() => new TinyHousehold('tiny/nope')).toThrow(expect.objectContaining({ code: EnvironmentErrorCode.TASK_NOT_FOUND }));
  });

  it('is won by cooling the lettuce before putting it on the dining table, not by putting it there warm', () => {
    const warm = play('tiny/cool-lettuce', ['go to fridge 1', 'open fridge 1', 'take lettuce 1 from fridge 1', 'go to diningtable 1', 'put lettuce 1 in/on diningtable 1']);
    expect(warm.done).toBe(false);
    const cool = play('tiny/cool-lettuce', ['go to fridge 1', 'open fridge 1', 'take lettuce 1 from fridge 1', 'cool lettuce 1 with fridge 1', 'go to diningtable 1', 'put lettuce 1 in/on diningtable 1']);
    expect(cool.observations).toEqual([
      'The fridge 1 is closed.',
      'You open the fridge 1. The fridge 1 is open. In it, you see a lettuce 1.',
      'You pick up the lettuce 1 from the fridge 1.',
      'You cool the lettuce 1 using the fridge 1.',
      'On the diningtable 1, you see nothing.',
      'You put the lettuce 1 in/on the diningtable 1.',
    ]);
    expect(cool.done).toBe(true);
  });

  it.each([
    ['take apple 1 from countertop 1', 'Nothing happens.'],
    ['open countertop 1', 'Nothing happens.'],
    ['go to garage 1', 'Nothing happens.'],
    ['use desklamp 1', 'Nothing happens.'],
    ['dance', 'Nothing happens.'],
    ['inventory', 'You are not carrying anything.'],
    ['look', 'You are in the middle of a room. Looking quickly around you, you see a fridge 1, a diningtable 1, a desk 1, a countertop 1, and a cabinet 1.'],
  ])('answers "%s" from the start with "%s"', (action, observation) => {
    expect(new TinyHousehold('tiny/put-apple').step(action)).toEqual({ observation, reward: 0, done: false, info: { won: false } });
  });

  it('is won by turning on the desk lamp while holding the mug', () => {
    const r = play('tiny/examine-mug', ['go to countertop 1', 'take mug 1 from countertop 1', 'go to desk 1', 'use desklamp 1']);
    expect(r.observations.at(-1)).toBe('You turn on the desklamp 1.');
    expect(r.done).toBe(true);
  });
});
