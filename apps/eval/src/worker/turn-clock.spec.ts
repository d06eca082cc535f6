import { describe, expect, it } from 'vitest';
import { TurnClock } from './turn-clock';

describe('TurnClock', () => {
  it.each([
    // [kind, clock time, reported ms]: a call runs from `call` to `done`, its service reporting the given time.
    { name: 'one turn, nothing excluded', steps: [['begin', 0], ['end', 4]], expected: [4], calls: [0] },
    { name: 'model and code time are taken out', steps: [['begin', 0], ['call', 1], ['done', 32, 30], ['call', 32], ['done', 42, 10], ['end', 43]], expected: [3], calls: [41] },
    { name: 'each model turn closes the previous one', steps: [['begin', 0], ['call', 0], ['done', 5, 5], ['begin', 7], ['call', 7], ['done', 9, 1], ['end', 10]], expected: [2, 2], calls: [5, 2] },
    { name: 'reported times above the measured one clamp to 0', steps: [['begin', 0], ['call', 0], ['done', 5, 6], ['end', 5]], expected: [0], calls: [5] },
    { name: 'nothing before the first turn is counted', steps: [['call', 0], ['done', 50, 50], ['end', 60]], expected: [], calls: [] },
  ] as { name: string; steps: [string, number, number?][]; expected: number[]; calls: number[] }[])('$name', ({ steps, expected, calls }) => {
    let t = 0;
    const observed: number[] = [];
    const clock = new TurnClock((s) => observed.push(s), () => t);
    let done: ((reportedMs: number) => void) | undefined;
    for (const [kind, at, reported] of steps) {
      t = at;
      if (kind === 'begin') clock.beginTurn();
      else if (kind === 'end') clock.end();
      else if (kind === 'call') done = clock.call('model');
      else done!(reported ?? 0);
    }
    expect(clock.turns.map((turn) => turn.overheadMs)).toEqual(expected);
    expect(clock.turns.map((turn) => turn.callsMs)).toEqual(calls);
    expect(observed).toEqual(expected.map((ms) => ms / 1000));
  });
});
