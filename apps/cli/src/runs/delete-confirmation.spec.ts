import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirm, requireAnswerable, runDescription } from './delete-confirmation';

/** A terminal as far as the prompt can tell: input typed ahead (or none, then end of input), output collected. */
function terminal(typed: string | null, isTTY = true) {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
  if (typed === null) input.end();
  else input.write(typed);
  return { streams: { input, output }, shown: () => shown };
}

describe('requireAnswerable', () => {
  it('refuses without --yes when stdin is not a terminal, saying what to pass', () => {
    expect(() => requireAnswerable('4f1a', false, terminal('y\n', false).streams)).toThrow(
      'not deleting run 4f1a: stdin is not a terminal to confirm on; pass --yes to delete it without asking',
    );
  });

  it('lets --yes through anywhere, and a terminal without it (the question comes next)', () => {
    expect(() => requireAnswerable('4f1a', true, terminal(null, false).streams)).not.toThrow();
    expect(() => requireAnswerable('4f1a', false, terminal(null, true).streams)).not.toThrow();
  });
});

describe('confirm', () => {
  it.each([
    ['y\n', true],
    ['YES\n', true],
    ['  yes  \n', true],
    ['n\n', false],
    ['\n', false],
    ['yep\n', false],
  ])('answers %j as %s', async (typed, expected) => {
    const t = terminal(typed);
    expect(await confirm('delete run 4f1a?', t.streams)).toBe(expected);
    expect(t.shown()).toBe('delete run 4f1a? [y/N] ');
  });

  it('takes the end of input (Ctrl-D) as a no', async () => {
    expect(await confirm('delete run 4f1a?', terminal(null).streams)).toBe(false);
  });
});

describe('runDescription', () => {
  it('names the run, what it evaluated, its state and its samples', () => {
    const run = { id: '4f1a', model: 'sim:oracle', benchmark: 'gsm8k', benchmarkVersion: '1.0.0', status: 'succeeded' };
    expect(runDescription(run)).toBe('run 4f1a (sim:oracle on gsm8k, succeeded)');
    const counts = { total: 6, pending: 0, scored: 6, errored: 0, cancelled: 0 };
    expect(runDescription({ ...run, summary: { metrics: [], counts, promptTokens: 0, completionTokens: 0, elapsedSeconds: 1, completionTokensPerSecond: 0 } })).toBe(
      'run 4f1a (sim:oracle on gsm8k, succeeded, 6 samples)',
    );
  });
});
