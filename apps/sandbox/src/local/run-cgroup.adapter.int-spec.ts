import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_LIMITS } from '@lemur/sandbox-policy';
import { detectRunCgroups, type RunCgroupDriver } from './run-cgroup.adapter';

/** Starts `sleep` and moves it into the group, as the sandbox chain does before exec. */
function sleeperIn(procsFile: string): ChildProcess {
  const child = spawn('sh', ['-c', `echo $$ > ${procsFile} && exec sleep 30`], { stdio: 'ignore' });
  return child;
}

async function waitUntilIn(procsFile: string, pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (readFileSync(procsFile, 'utf8').split('\n').includes(String(pid))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} never joined ${procsFile}`);
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

describe('pooled run cgroups', () => {
  let driver: RunCgroupDriver;

  beforeAll(async () => {
    driver = (await detectRunCgroups({ mode: 'auto', poolSize: 1 })).driver;
  });
  afterAll(async () => {
    await driver.dispose();
  });

  it('keeps a run that released its group from killing the next run that gets the recycled group', async () => {
    if (driver.mode === 'none') throw new Error('this machine has no usable cgroups; the sandbox tests need them');
    const first = await driver.acquire(DEFAULT_SANDBOX_LIMITS);
    const firstChild = sleeperIn(first!.procsFiles[0]!);
    await waitUntilIn(first!.procsFiles[0]!, firstChild.pid!);
    expect(await driver.release(first!)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(alive(firstChild)).toBe(false);

    const second = await driver.acquire(DEFAULT_SANDBOX_LIMITS);
    expect(second!.procsFiles).toEqual(first!.procsFiles);
    const secondChild = sleeperIn(second!.procsFiles[0]!);
    await waitUntilIn(second!.procsFiles[0]!, secondChild.pid!);
    // A late kill from the first run (its grace timer, an interrupt in flight) lands now.
    await first!.kill();
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(secondChild)).toBe(true);

    await second!.kill();
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(secondChild)).toBe(false);
    expect(await driver.release(second!)).toBe(true);
  });

  it('refuses to release a group twice', async () => {
    const lease = await driver.acquire(DEFAULT_SANDBOX_LIMITS);
    expect(lease).not.toBeNull();
    await driver.release(lease!);
    await expect(driver.release(lease!)).rejects.toThrow(/released twice/);
  });

  it('gives two drivers of one process different groups, so killing one run never reaches the other', async () => {
    const other = (await detectRunCgroups({ mode: 'auto', poolSize: 1 })).driver;
    try {
      const mine = await driver.acquire(DEFAULT_SANDBOX_LIMITS);
      const theirs = await other.acquire(DEFAULT_SANDBOX_LIMITS);
      expect(theirs!.procsFiles.some((f) => mine!.procsFiles.includes(f))).toBe(false);
      const child = sleeperIn(theirs!.procsFiles[0]!);
      await waitUntilIn(theirs!.procsFiles[0]!, child.pid!);
      await mine!.kill();
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(child)).toBe(true);
      await theirs!.kill();
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(child)).toBe(false);
      expect(await driver.release(mine!)).toBe(true);
      expect(await other.release(theirs!)).toBe(true);
    } finally {
      await other.dispose();
    }
  });
});
