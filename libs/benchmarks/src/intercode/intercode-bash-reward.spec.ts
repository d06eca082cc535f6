import { describe, expect, it } from 'vitest';
import { fsChanges, intercodeBashReward, outputSimilarity, parseFsSnapshot, sameContent } from './intercode-bash-reward';

const base = parseFsSnapshot(['d\tdir1', 'd\tdir1/sub', 'f\taaa\t644\tdir1/a.txt', 'f\tbbb\t755\tdir1/run.sh', ''].join('\n'));

describe('file-system changes as `git status --short` lists them', () => {
  it('lists modified, deleted and new files, a new directory once as "dir/", and no empty directory', () => {
    const now = parseFsSnapshot(
      ['d\tdir1', 'd\tdir1/sub', 'd\tnew', 'd\tnew/deep', 'd\tempty', 'f\tzzz\t644\tdir1/a.txt', 'f\tccc\t644\tdir1/c.txt', 'f\tddd\t644\tnew/deep/d.txt', ''].join('\n'),
    );
    expect(fsChanges(base, now)).toEqual([
      ['dir1/a.txt', 'M'],
      ['dir1/c.txt', '??'],
      ['dir1/run.sh', 'D'],
      ['new/', '??'],
    ]);
  });

  it('shows a file in a folder that held no committed file under that folder, as git (which tracks no folders) does', () => {
    const now = parseFsSnapshot(['d\tdir1', 'd\tdir1/sub', 'f\taaa\t644\tdir1/a.txt', 'f\tbbb\t755\tdir1/run.sh', 'f\tccc\t644\tdir1/sub/c.txt'].join('\n'));
    expect(fsChanges(base, now)).toEqual([['dir1/sub/', '??']]);
  });

  it('skips paths with a component the .gitignore names, at any depth', () => {
    const now = parseFsSnapshot(['d\tdir1', 'f\taaa\t644\tdir1/a.txt', 'f\tccc\t644\tdir1/lib/x.so', 'f\tddd\t644\tvar/log/y', 'f\teee\t644\tdir1/library'].join('\n'));
    expect(fsChanges(base, now, new Set(['lib', 'var']))).toEqual([
      ['dir1/library', '??'],
      ['dir1/run.sh', 'D'],
    ]);
  });

  it('counts a lost executable bit as a modification (git tracks it), other mode bits not', () => {
    const chmodX = parseFsSnapshot(['d\tdir1', 'f\taaa\t644\tdir1/a.txt', 'f\tbbb\t644\tdir1/run.sh'].join('\n'));
    expect(fsChanges(base, chmodX)).toEqual([['dir1/run.sh', 'M']]);
    const chmodR = parseFsSnapshot(['d\tdir1', 'f\taaa\t600\tdir1/a.txt', 'f\tbbb\t700\tdir1/run.sh'].join('\n'));
    expect(fsChanges(base, chmodR)).toEqual([]);
  });

  it('compares the content of a new directory file by file', () => {
    const a = parseFsSnapshot('f\tx\t644\tnew/a\nf\ty\t644\tnew/b');
    expect(sameContent(a, parseFsSnapshot('f\tx\t644\tnew/a\nf\ty\t644\tnew/b'), 'new/')).toBe(true);
    expect(sameContent(a, parseFsSnapshot('f\tx\t644\tnew/a\nf\tz\t644\tnew/b'), 'new/')).toBe(false);
  });
});

describe('InterCode-Bash reward (BashEnv.get_reward)', () => {
  const reward = (o: Partial<Parameters<typeof intercodeBashReward>[0]>) =>
    intercodeBashReward({ agentChanges: [], goldChanges: [], contentMatches: () => true, agentOutput: 'x1 y2', goldOutput: 'x1 y2', ...o });

  it('is exactly 1 (0.01 + 3 × 0.33) when state and output match', () => {
    expect(reward({}).reward).toBe(1);
    expect(reward({ agentChanges: [['f.txt', '??']], goldChanges: [['f.txt', '??']] }).reward).toBe(1);
  });

  it('takes 0.33·(1 − erf(n)) for n changes only one side made: 0.05 for one, 0 for two', () => {
    expect(reward({ goldChanges: [['f.txt', '??']] })).toMatchObject({ fileDiff: 0.05, diffMiss: ['f.txt ??'] });
    expect(reward({ agentChanges: [['a', 'D'], ['b', 'M']] })).toMatchObject({ fileDiff: 0, diffExtra: ['a D', 'b M'] });
  });

  it('checks content only of added/untracked changes both made', () => {
    const r = reward({ agentChanges: [['f.txt', '??'], ['g.txt', '??']], goldChanges: [['f.txt', '??'], ['g.txt', '??']], contentMatches: (p) => p === 'f.txt' });
    expect(r.fileChanges).toBe(0.17);
    expect(r.reward).toBeLessThan(1);
    expect(reward({ agentChanges: [['f.txt', 'M']], goldChanges: [['f.txt', 'M']], contentMatches: () => false }).fileChanges).toBe(0.33);
  });

  it('a wrong output with no file changes scores 0.67 at most: never a success', () => {
    expect(reward({ agentOutput: 'lemur-wrong-answer', goldOutput: '/testbed/a.txt' }).reward).toBeCloseTo(0.67, 12);
  });
});

describe('output similarity (sklearn TfidfVectorizer cosine)', () => {
  it('is 1 for the same text and 0 for texts with no common token', () => {
    expect(outputSimilarity('Hello world hello', 'Hello world hello')).toBeCloseTo(1, 12);
    expect(outputSimilarity('alpha beta', 'gamma delta')).toBe(0);
  });

  it('ignores case and one-character tokens, and weighs shared tokens by smoothed idf', () => {
    expect(outputSimilarity('A Hello', 'hello b')).toBeCloseTo(1, 12);
    // "aa" in both (idf 1), "bb" in one (idf ln(3/2)+1): cos = 1 / sqrt(1 + (ln 1.5 + 1)^2).
    expect(outputSimilarity('aa', 'aa bb')).toBeCloseTo(1 / Math.sqrt(1 + (Math.log(1.5) + 1) ** 2), 12);
  });

  it('falls back to equality when there is no token at all (sklearn raises on an empty vocabulary)', () => {
    expect(outputSimilarity('', '')).toBe(1);
    expect(outputSimilarity('1', '2')).toBe(0);
    expect(outputSimilarity('', 'some output')).toBe(0);
  });
});
