import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const buf = join(root, 'node_modules/.bin/buf');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('proto contracts', () => {
  it('pass buf lint', () => {
    expect(() => execFileSync(buf, ['lint'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('match the committed generated code (run `npm run proto` after changing a .proto)', () => {
    const out = mkdtempSync(join(tmpdir(), 'lemur-proto-'));
    try {
      const template = readFileSync(join(root, 'buf.gen.yaml'), 'utf8').replace('out: libs/proto/src/gen', `out: ${out}`);
      writeFileSync(join(out, 'buf.gen.yaml'), template);
      execFileSync(buf, ['generate', '--template', join(out, 'buf.gen.yaml')], {
        cwd: root,
        stdio: 'pipe',
        env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
      });
      const committed = join(root, 'libs/proto/src/gen');
      const expected = files(committed).map((f) => relative(committed, f)).sort();
      const generated = files(out).filter((f) => f.endsWith('.ts')).map((f) => relative(out, f)).sort();
      expect(generated).toEqual(expected);
      for (const file of expected) expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(join(committed, file), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
