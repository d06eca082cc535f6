import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { measureWorkspace } from './workspace-files.adapter';

/** The reference figures: every entry under `root` (not root itself), as `du` would count blocks. */
function expected(root: string): { bytes: number; largestFile: number } {
  let bytes = 0;
  let largestFile = 0;
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const st = lstatSync(path);
    bytes += st.blocks * 512;
    if (st.isFile()) largestFile = Math.max(largestFile, st.size);
    else if (st.isDirectory()) {
      const inner = expected(path);
      bytes += inner.bytes;
      largestFile = Math.max(largestFile, inner.largestFile);
    }
  }
  return { bytes, largestFile };
}

describe('measureWorkspace', () => {
  const roots: string[] = [];
  const workspace = (): string => {
    const root = mkdtempSync(join(tmpdir(), 'lemur-ws-'));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('measures a small workspace without a thread-pool round trip (before the event loop turns)', async () => {
    const root = workspace();
    writeFileSync(join(root, 'a.txt'), 'x'.repeat(5000));
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'b.bin'), Buffer.alloc(12_000, 1));
    const order: string[] = [];
    const turned = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('event loop turned');
        resolve();
      }),
    );
    const measured = measureWorkspace(root).then((usage) => {
      order.push('measured');
      return usage;
    });
    const [usage] = await Promise.all([measured, turned]);
    expect(order).toEqual(['measured', 'event loop turned']);
    expect(usage).toEqual(expected(root));
    expect(usage.largestFile).toBe(12_000);
  });

  it('measures a crowded workspace past the synchronous budget exactly, nested directories included', async () => {
    const root = workspace();
    for (let d = 0; d < 3; d++) {
      const dir = join(root, `d${d}`, 'deeper');
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 60; f++) writeFileSync(join(dir, `f${f}`), 'y'.repeat(100 + d * 1000 + f));
    }
    const usage = await measureWorkspace(root);
    expect(usage).toEqual(expected(root));
    expect(usage.largestFile).toBe(100 + 2 * 1000 + 59);
  });

  it('counts nothing for a workspace that is gone', async () => {
    const root = workspace();
    rmSync(root, { recursive: true });
    await expect(measureWorkspace(root)).resolves.toEqual({ bytes: 0, largestFile: 0 });
  });
});
