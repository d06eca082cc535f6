import { describe, expect, it } from 'vitest';
import { publishedAlfworldRun } from './alfworld-published.testing';
import { alfworldActionKey, alfworldGoal, observationActionKey, RecordedAlfworldGame, RecordedAlfworldRun, type PublishedAlfworldEpisode } from './alfworld-recording';
import { EnvironmentErrorCode } from '../environment/environment-protocol';

const ROOM = 'You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, and a fridge 1.\nYour task is to: put a cool lettuce in countertop.';

function episode(over: Partial<PublishedAlfworldEpisode>): PublishedAlfworldEpisode {
  return {
    gamefile: 'pick_cool_then_place_in_recep-Lettuce-None-CounterTop-1/trial_T1',
    taskType: 'cool',
    resetObservation: ROOM,
    history: [],
    success: false,
    terminateReason: 'max_steps',
    cellOutputs: [],
    ...over,
  };
}

describe('observation shapes', () => {
  it.each([
    ['On the countertop 1, you see a apple 1, and a lettuce 1.', 'go to countertop 1'],
    ['The fridge 1 is closed.', 'go to fridge 1'],
    ['The fridge 1 is open. In it, you see nothing.', 'go to fridge 1'],
    ['You open the fridge 1. The fridge 1 is open. In it, you see a egg 1.', 'open fridge 1'],
    ['You close the fridge 1.', 'close fridge 1'],
    ['You pick up the lettuce 1 from the countertop 1.', 'take lettuce 1 from countertop 1'],
    ['You put the lettuce 1 in/on the countertop 1.', 'put lettuce 1 in/on countertop 1'],
    ['You cool the lettuce 1 using the fridge 1.', 'cool lettuce 1 with fridge 1'],
    ['You clean the cloth 2 using the sinkbasin 1.', 'clean cloth 2 with sinkbasin 1'],
    ['You turn on the desklamp 1.', 'use desklamp 1'],
    ['You are facing the desk 1. Next to it, you see nothing.', 'look'],
    ['Nothing happens.', 'nothing'],
    ['Found a lettuce in countertop 1.', null],
    ['[Executed Successfully with No Output]', null],
  ])('%s -> %s', (line, key) => {
    expect(observationActionKey(line)).toBe(key);
  });

  it('reduces commands to comparable keys and rejects text that is no command', () => {
    expect(alfworldActionKey('  Go to   Fridge 1 ')).toBe('go to fridge 1');
    expect(alfworldActionKey('dance')).toBeNull();
  });

  it("reads the goal of every published game's task line", () => {
    const games = publishedAlfworldRun('lemur-70b-chat-v1');
    expect(games).toHaveLength(134);
    for (const g of games) expect(alfworldGoal(g.resetObservation), g.resetObservation.split('\n')[1]).not.toBeNull();
    expect(alfworldGoal(ROOM)).toEqual({ object: 'lettuce', target: 'countertop', examine: false });
    expect(alfworldGoal('x\nYour task is to: look at bowl under the desklamp.')).toEqual({ object: 'bowl', target: 'desklamp', examine: true });
    expect(alfworldGoal('x\nYour task is to: find two pillow and put them in sofa.')).toEqual({ object: 'pillow', target: 'sofa', examine: false });
  });
});

describe('RecordedAlfworldGame', () => {
  const recorded = ['The fridge 1 is closed.', 'You open the fridge 1. The fridge 1 is open. In it, you see a egg 1.', 'Found nothing.', 'On the countertop 1, you see a lettuce 1.'].join('\n');

  it("answers from the episode's own cell outputs in order, skipping what the code printed itself", () => {
    const game = new RecordedAlfworldGame(episode({ cellOutputs: [recorded] }), new Map());
    expect(game.step('go to fridge 1')).toMatchObject({ observation: 'The fridge 1 is closed.', done: false, reward: 0, info: { source: 'episode' } });
    expect(game.step('open fridge 1').observation).toMatch(/^You open the fridge 1/);
    expect(game.step('go to countertop 1').observation).toBe('On the countertop 1, you see a lettuce 1.');
  });

  it('falls back to what other runs of the game saw, then "Nothing happens." for unnamed objects, then says unrecorded', () => {
    const game = new RecordedAlfworldGame(episode({}), new Map([['go to cabinet 1', 'The cabinet 1 is closed.']]));
    expect(game.step('go to cabinet 1')).toMatchObject({ observation: 'The cabinet 1 is closed.', info: { source: 'game' } });
    expect(game.step('take lettuce from countertop 1')).toMatchObject({ observation: 'Nothing happens.' });
    expect(game.step('go to sofa 9')).toMatchObject({ observation: 'Unrecorded action: "go to sofa 9" was never observed in the published trajectories of this game.', info: { source: 'unrecorded' } });
  });

  it('reports done only for a published success, at the goal command once the recording is used up', () => {
    const won = new RecordedAlfworldGame(episode({ success: true, cellOutputs: [recorded, null] }), new Map());
    for (const a of ['go to fridge 1', 'open fridge 1', 'go to countertop 1']) expect(won.step(a).done).toBe(false);
    expect(won.step('put egg 1 in/on countertop 1').done).toBe(false);
    expect(won.step('put lettuce 1 in/on countertop 1')).toEqual({ observation: 'You put the lettuce 1 in/on the countertop 1.', reward: 1, done: true, info: { won: true, source: 'unrecorded' } });
    // A game stays won, as TextWorld's does.
    expect(won.step('look').done).toBe(true);

    const lost = new RecordedAlfworldGame(episode({ success: false, cellOutputs: [recorded] }), new Map());
    for (const a of ['go to fridge 1', 'open fridge 1', 'go to countertop 1', 'put lettuce 1 in/on countertop 1']) expect(lost.step(a).done).toBe(false);
  });

  it('resets by game id and refuses an unknown game with TASK_NOT_FOUND', () => {
    const run = new RecordedAlfworldRun([episode({})]);
    expect(run.reset('pick_cool_then_place_in_recep-Lettuce-None-CounterTop-1/trial_T1').observation).toBe(ROOM);
    expect(() => run.reset('nope')).toThrow(expect.objectContaining({ code: EnvironmentErrorCode.TASK_NOT_FOUND }));
  });
});
