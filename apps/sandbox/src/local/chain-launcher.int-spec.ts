import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SANDBOX_LIMITS, type ChainSetup } from '@lemur/sandbox-policy';
import { createLogger } from '@lemur/shared-logging';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainLauncher, type LaunchedChain } from './chain-launcher';
import { detectRunCgroups } from './run-cgroup.adapter';

const logger = createLogger('chain-launcher-test', 'warn');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

function finish(chain: LaunchedChain): Promise<Finished> {
  let stdout = '';
  chain.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  chain.stderr?.resume();
  return new Promise((resolve) => {
    if (chain.closeStatus) resolve({ ...chain.closeStatus, stdout });
    else chain.once('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}

const PROBE = [
  'import json, os, sys',
  'fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))',
  'seccomp = os.read(9, 100) if 9 in fds else b""',
  'code = os.read(10, 100) if 10 in fds else b""',
  'print(json.dumps({"fds": fds, "env": dict(os.environ), "sid": os.getsid(0) == os.getpid(),',
  '  "groups": os.getgroups(), "seccomp": seccomp.decode(), "code": code.decode(), "stdin": sys.stdin.read()}))',
].join('\n');

describe('ChainLauncher', () => {
  const launcher = new ChainLauncher(Buffer.from('BPF'), null, logger);
  afterAll(() => launcher.close());

  it('gives the chain exactly its descriptors, an empty environment, default signals and a session of its own', async () => {
    const chain = await launcher.spawn({
      file: '/usr/bin/python3',
      args: ['-I', '-c', PROBE],
      stdin: true,
      seccompFd: 9,
      code: { fd: 10, data: Buffer.from('print("é")', 'utf8') },
    });
    chain.stdin?.end('from the service');
    const r = await finish(chain);
    expect(r).toMatchObject({ code: 0, signal: null });
    const probe = JSON.parse(r.stdout) as Record<string, unknown>;
    // 3 is the listing's own descriptor.
    expect(probe).toMatchObject({ fds: [0, 1, 2, 3, 9, 10], env: {}, sid: true, seccomp: 'BPF', code: 'print("é")', stdin: 'from the service' });
    expect(chain.pid).toBeGreaterThan(0);

    // The launcher is python, which ignores SIGPIPE and SIGXFSZ: a chain must start with no signal blocked and none of
    // 1-31 ignored (glibc's posix_spawn leaves its own two internal real-time signals, 32 and 33, ignored).
    const signals = await finish(await launcher.spawn({ file: '/bin/grep', args: ['-E', '^Sig(Ign|Blk)', '/proc/self/status'], stdin: false }));
    const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s+([0-9a-f]+)$`, 'm').exec(signals.stdout)?.[1] ?? 'ffff'}`);
    expect(mask('SigBlk')).toBe(0n);
    expect(mask('SigIgn') & 0x7fffffffn).toBe(0n);
  });

  it('puts a control pipe at its number and reports the exit status and the signal that ended a chain', async () => {
    const control = await launcher.spawn({ file: '/bin/sh', args: ['-c', 'read x <&8; echo "got $x" >&8; exit 3'], stdin: false, controlFd: 8 });
    const replies: string[] = [];
    control.stdio[8]?.on('data', (c: Buffer) => replies.push(c.toString()));
    control.stdio[8]?.write('ping\n');
    expect(await finish(control)).toMatchObject({ code: 3, signal: null });
    expect(replies.join('')).toBe('got ping\n');

    const killed = await launcher.spawn({ file: '/bin/sleep', args: ['30'], stdin: false });
    process.kill(-(killed.pid ?? 0), 'SIGKILL');
    expect(await finish(killed)).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('rejects with the errno of a chain that cannot be executed', async () => {
    await expect(launcher.spawn({ file: '/nonexistent/sh', args: [], stdin: false })).rejects.toMatchObject({ code: 'ENOENT' });
    // The launcher is still serving.
    expect(await finish(await launcher.spawn({ file: '/bin/true', args: [], stdin: false }))).toMatchObject({ code: 0 });
  });

  describe('a bwrap chain held until its cgroups and rlimits are set', () => {
    const workspace = mkdtempSync(join('/dev/shm', 'lemur-launcher-test-'));
    afterAll(() => rmSync(workspace, { recursive: true, force: true }));
    // The program says where it runs and under which limits, and leaves a mark in the workspace.
    const program = [
      'import json, resource',
      'open("/workspace/ran", "w").close()',
      'print(json.dumps({"cgroup": open("/proc/self/cgroup").read(), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),',
      '  "cpu": resource.getrlimit(resource.RLIMIT_CPU), "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)}))',
    ].join('\n');
    const bwrap = (setup: ChainSetup) => ({
      file: '/usr/bin/bwrap',
      args: [
        ...['--unshare-all', '--unshare-user', '--die-with-parent', '--new-session', '--clearenv', '--ro-bind', '/usr', '/usr'],
        ...['--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--bind', workspace, '/workspace'],
        ...['--info-fd', String(setup.infoFd), '--block-fd', String(setup.blockFd), '--', '/usr/bin/python3', '-I', '-c', program],
      ],
      stdin: false,
      setup,
    });
    const rlimits: ChainSetup['rlimits'] = [
      { resource: 'nofile', soft: 100, hard: 100 },
      { resource: 'cpu', soft: 7, hard: 8 },
      { resource: 'fsize', soft: 123456, hard: 123456 },
    ];

    it('starts the program inside the run cgroup and under the rlimits', async () => {
      const { driver } = await detectRunCgroups({ mode: 'auto', poolSize: 1 });
      try {
        const group = await driver.acquire(DEFAULT_SANDBOX_LIMITS);
        if (group === null) throw new Error('this machine has no usable cgroups; the sandbox tests need them');
        const r = await finish(await launcher.spawn(bwrap({ infoFd: 11, blockFd: 12, cgroupProcsFiles: group.procsFiles, rlimits })));
        expect(r).toMatchObject({ code: 0, signal: null });
        const seen = JSON.parse(r.stdout) as { cgroup: string; nofile: number[]; cpu: number[]; fsize: number[] };
        expect(seen).toMatchObject({ nofile: [100, 100], cpu: [7, 8], fsize: [123456, 123456] });
        // Every hierarchy the group spans: /proc/self/cgroup names the group's directory in each.
        const name = group.procsFiles[0]!.split('/').slice(-2, -1)[0]!;
        expect(seen.cgroup.split('\n').filter((l) => l.endsWith(`/${name}`)).length).toBe(group.procsFiles.length);
        await driver.release(group);
      } finally {
        await driver.dispose();
      }
    });

    it('fails the spawn, saying why, and kills the sandbox before its program ran when a cgroup cannot be joined', async () => {
      rmSync(join(workspace, 'ran'), { force: true });
      const setup = { infoFd: 11, blockFd: 12, cgroupProcsFiles: ['/sys/fs/cgroup/lemur-no-such-group/cgroup.procs'], rlimits };
      await expect(launcher.spawn(bwrap(setup))).rejects.toThrow(/cannot join cgroup \/sys\/fs\/cgroup\/lemur-no-such-group\/cgroup.procs/);
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(join(workspace, 'ran'))).toBe(false);
      // The launcher is still serving.
      expect(await finish(await launcher.spawn({ file: '/bin/true', args: [], stdin: false }))).toMatchObject({ code: 0 });
    });

    it('reports bwrap that fails before its sandbox starts as a chain that ran and exited, with bwrap\'s reason', async () => {
      const chain = await launcher.spawn({ ...bwrap({ infoFd: 11, blockFd: 12, cgroupProcsFiles: [], rlimits }), args: ['--ro-bind', '/no/such/dir', '/x', '--info-fd', '11', '--block-fd', '12', '--', '/usr/bin/true'] });
      let stderr = '';
      chain.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const r = await finish(chain);
      expect(r.code).not.toBe(0);
      expect(stderr).toMatch(/no\/such\/dir/);
    });
  });

  it('takes its chains down with it when closed, and starts afresh on the next spawn', async () => {
    const other = new ChainLauncher(null, null, logger);
    const chain = await other.spawn({ file: '/bin/sleep', args: ['30'], stdin: false });
    const pid = chain.pid ?? 0;
    const ended = finish(chain);
    other.close();
    expect((await ended).signal).toBe('SIGKILL');
    // Gone, or a zombie waiting for init to reap it: not running either way.
    await new Promise((r) => setTimeout(r, 100));
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z', 'X']).toContain(state);
    expect(await finish(await other.spawn({ file: '/bin/true', args: [], stdin: false }))).toMatchObject({ code: 0 });
    other.close();
  });
});
