import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../../../..');

describe('closeInheritedDescriptors', () => {
  it("closes what the launcher leaked (no close-on-exec) and keeps the process's own descriptors and the ones it is told to keep", () => {
    const script = `
      const { openSync, readdirSync } = require('node:fs');
      const { closeInheritedDescriptors } = require('./apps/sandbox/src/local/inherited-descriptors.ts');
      const own = openSync('/dev/null', 'r');
      const closed = closeInheritedDescriptors([41]);
      const open = readdirSync('/proc/self/fd').map(Number);
      console.log(JSON.stringify({ closed, own, ownOpen: open.includes(own), open40: open.includes(40), open41: open.includes(41), open42: open.includes(42) }));
    `;
    // A leaky launcher: bash opens fds 40-42 without close-on-exec, and node inherits them.
    const res = spawnSync('/bin/bash', ['-c', 'exec 40>/dev/null 41</dev/null 42> >(cat >/dev/null); exec "$@"', 'bash', process.execPath, '--import', 'tsx', '--input-type=commonjs', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(out['closed']).toEqual(expect.arrayContaining([40, 42]));
    expect(out['closed']).not.toContain(41);
    expect(out['closed']).not.toContain(out['own']);
    expect(out).toMatchObject({ ownOpen: true, open40: false, open41: true, open42: false });
  });
});
