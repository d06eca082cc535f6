import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile, chown, mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SandboxLimits } from '@lemur/sandbox-policy';

/** Which cgroup hierarchy bounds the runs. */
export type CgroupMode = 'v2' | 'v1' | 'none';

/** Counters read before and after a run; their difference tells which cgroup limit fired. */
export interface CgroupCounters {
  oomKills: number;
  pidsMaxEvents: number;
  /** CPU time used by the group's processes so far, in nanoseconds (0 when not accounted). */
  cpuNs: number;
}

/** One cgroup (v2) or pair of cgroups (v1 memory + pids) that one run at a time lives in. */
export interface RunCgroup {
  /** cgroup.procs files the child writes its pid to before exec. */
  readonly procsFiles: readonly string[];
  counters(): Promise<CgroupCounters>;
  /** SIGKILLs every process in the cgroup, forks in flight included. */
  kill(): Promise<void>;
}

/** Creates, limits, recycles and removes per-run cgroups. */
export interface RunCgroupDriver {
  readonly mode: CgroupMode;
  acquire(limits: SandboxLimits): Promise<RunCgroup | null>;
  /** Kills what is left in the cgroup and keeps it for the next run; false if processes would not die. */
  release(cgroup: RunCgroup): Promise<boolean>;
  dispose(): Promise<void>;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const GROUP_PREFIX = 'lemur-sbx-';

/** Own cgroup path per hierarchy, from /proc/self/cgroup: key is the controller list ('' for v2). */
async function ownCgroupPaths(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await readFile('/proc/self/cgroup', 'utf8')).split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const ctrl of (m[1] ?? '').split(',')) out.set(ctrl, m[2] ?? '/');
  }
  return out;
}

// Counter files are tiny kernel pseudo-files: a synchronous read costs microseconds, four thread-pool hops cost more.
async function readCounter(file: string, key: string): Promise<number> {
  try {
    const text = readFileSync(file, 'utf8');
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function readNumber(file: string): Promise<number> {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

// Read after every run (three groups, often twice): synchronous for the same reason as the counters above.
async function readPids(procsFile: string): Promise<number[]> {
  try {
    return readFileSync(procsFile, 'utf8')
      .split('\n')
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills until the cgroup is empty: a fork can land between reading cgroup.procs and the kill, hence the loop. */
async function killUntilEmpty(procsFile: string, attempts = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const pids = await readPids(procsFile);
    if (pids.length === 0) return true;
    killAll(pids);
    await sleep(i < 5 ? 1 : 10);
  }
  return (await readPids(procsFile)).length === 0;
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= 50) throw err;
      await sleep(10);
    }
  }
}

/** Removes this service's groups left behind by processes that no longer exist (a crashed earlier run). */
async function sweepStale(parents: string[], childrenOf: (groupDir: string) => Promise<string[]>): Promise<void> {
  for (const parent of parents) {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(GROUP_PREFIX)) continue;
      const pid = Number(name.slice(GROUP_PREFIX.length));
      if (!Number.isInteger(pid) || existsSync(`/proc/${pid}`)) continue;
      const groupDir = join(parent, name);
      try {
        for (const child of await childrenOf(groupDir)) {
          await killUntilEmpty(join(child, 'cgroup.procs'));
          await rmdirRetry(child);
        }
        await rmdirRetry(groupDir);
      } catch {
        // best effort: another process may be sweeping the same group
      }
    }
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/**
 * One run's hold on a pooled group. Groups are recycled, so a kill that arrives after the run released its group
 * (a timer or an interrupt still in flight) would otherwise SIGKILL the group's next run: once revoked, it does nothing.
 */
class CgroupLease implements RunCgroup {
  private revoked = false;
  readonly procsFiles: readonly string[];

  constructor(private readonly group: PooledGroup) {
    this.procsFiles = group.procsFiles;
  }

  revoke(): void {
    this.revoked = true;
  }

  counters(): Promise<CgroupCounters> {
    return this.revoked ? Promise.resolve({ oomKills: 0, pidsMaxEvents: 0, cpuNs: 0 }) : this.group.counters();
  }

  async kill(): Promise<void> {
    if (!this.revoked) await this.group.kill(() => this.revoked);
  }
}

// Drivers made by this process so far: every driver names its groups apart, since all of a process's drivers share
// its parent group (two backends in one process must never lease the same group).
let driversMade = 0;

abstract class PooledDriver<G extends PooledGroup> implements RunCgroupDriver {
  abstract readonly mode: CgroupMode;
  private readonly idle: G[] = [];
  private readonly all = new Set<G>();
  private readonly leases = new Map<CgroupLease, G>();
  private readonly namePrefix = `d${driversMade++}-run-`;
  private nextId = 0;

  constructor(private readonly poolSize: number) {}

  protected abstract create(name: string): Promise<G>;
  protected abstract applyLimits(group: G, limits: SandboxLimits): Promise<void>;
  protected abstract remove(group: G): Promise<void>;

  async acquire(limits: SandboxLimits): Promise<RunCgroup> {
    const group = this.idle.pop() ?? (await this.create(`${this.namePrefix}${this.nextId++}`));
    this.all.add(group);
    try {
      await this.applyLimits(group, limits);
    } catch (err) {
      await this.discard(group);
      throw err;
    }
    const lease = new CgroupLease(group);
    this.leases.set(lease, group);
    return lease;
  }

  async release(cgroup: RunCgroup): Promise<boolean> {
    const group = this.leases.get(cgroup as CgroupLease);
    if (group === undefined) throw new Error('release of a cgroup this driver did not hand out, or released twice');
    this.leases.delete(cgroup as CgroupLease);
    // From here on the run's late kills (a grace timer, an interrupt still in flight) must not reach the group's next run.
    (cgroup as CgroupLease).revoke();
    const empty = await this.emptyOut(group);
    if (!empty) {
      this.all.delete(group);
      return false;
    }
    if (this.idle.length < this.poolSize) this.idle.push(group);
    else await this.discard(group);
    return true;
  }

  async dispose(): Promise<void> {
    const groups = [...this.all];
    this.idle.length = 0;
    for (const g of groups) {
      await this.emptyOut(g);
      await this.discard(g);
    }
    await this.removeParents();
  }

  protected abstract emptyOut(group: G): Promise<boolean>;
  protected abstract removeParents(): Promise<void>;

  private async discard(group: G): Promise<void> {
    this.all.delete(group);
    await this.remove(group);
  }
}

/** A pooled group: its kill takes a check so that a lease revoked mid-kill stops before its next signal. */
interface PooledGroup extends Omit<RunCgroup, 'kill'> {
  kill(revoked?: () => boolean): Promise<void>;
}

interface V1Group extends PooledGroup {
  memoryDir: string;
  pidsDir: string;
  cpuacctDir: string | null;
  limitsKey: string;
}

/** cgroup v1: one memory and one pids group per run, nested under this process's own groups. */
class CgroupV1Driver extends PooledDriver<V1Group> {
  readonly mode = 'v1' as const;
  private readonly hasMemsw: boolean;

  constructor(
    private readonly memoryParent: string,
    private readonly pidsParent: string,
    /** cpuacct parent, when that controller is mounted: it only measures CPU time, it limits nothing. */
    private readonly cpuacctParent: string | null,
    poolSize: number,
    private readonly procsOwner: { uid: number; gid: number } | null,
  ) {
    super(poolSize);
    this.hasMemsw = existsSync(join(memoryParent, 'memory.memsw.limit_in_bytes'));
  }

  protected async create(name: string): Promise<V1Group> {
    const memoryDir = join(this.memoryParent, name);
    const pidsDir = join(this.pidsParent, name);
    await mkdir(memoryDir, { recursive: true });
    await mkdir(pidsDir, { recursive: true });
    const cpuacctDir = this.cpuacctParent !== null ? join(this.cpuacctParent, name) : null;
    if (cpuacctDir !== null) await mkdir(cpuacctDir, { recursive: true });
    const memoryProcs = join(memoryDir, 'cgroup.procs');
    const pidsProcs = join(pidsDir, 'cgroup.procs');
    const procsFiles = [memoryProcs, pidsProcs, ...(cpuacctDir !== null ? [join(cpuacctDir, 'cgroup.procs')] : [])];
    if (this.procsOwner) {
      // v1 lets a process move itself into a group whose cgroup.procs it may write, so the chain can start as the
      // sandbox user (no setpriv hop). cgroupfs is not mounted inside the sandbox, so the program cannot use this.
      for (const f of procsFiles) await chown(f, this.procsOwner.uid, this.procsOwner.gid);
    }
    return {
      memoryDir,
      pidsDir,
      cpuacctDir,
      limitsKey: '',
      procsFiles,
      counters: async () => ({
        oomKills: await readCounter(join(memoryDir, 'memory.oom_control'), 'oom_kill'),
        pidsMaxEvents: await readCounter(join(pidsDir, 'pids.events'), 'max'),
        cpuNs: cpuacctDir !== null ? await readNumber(join(cpuacctDir, 'cpuacct.usage')) : 0,
      }),
      kill: async (revoked = () => false) => {
        // v1 has no cgroup.kill: SIGKILL whatever is listed, then again for anything forked meanwhile.
        const pids = [...(await readPids(pidsProcs)), ...(await readPids(memoryProcs))];
        if (!revoked()) killAll(pids);
      },
    };
  }

  protected async applyLimits(g: V1Group, limits: SandboxLimits): Promise<void> {
    const key = `${limits.memoryBytes}/${limits.processes}`;
    if (g.limitsKey === key) return;
    const mem = String(limits.memoryBytes);
    // memsw must stay >= limit_in_bytes, so the write order depends on the direction of the change.
    const memFile = join(g.memoryDir, 'memory.limit_in_bytes');
    const swFile = join(g.memoryDir, 'memory.memsw.limit_in_bytes');
    if (this.hasMemsw) {
      try {
        await writeFile(memFile, mem);
        await writeFile(swFile, mem);
      } catch {
        await writeFile(swFile, mem);
        await writeFile(memFile, mem);
      }
    } else {
      await writeFile(memFile, mem);
      await writeFile(join(g.memoryDir, 'memory.swappiness'), '0').catch(() => undefined);
    }
    await writeFile(join(g.pidsDir, 'pids.max'), String(limits.processes));
    g.limitsKey = key;
  }

  protected async emptyOut(g: V1Group): Promise<boolean> {
    const pids = await killUntilEmpty(join(g.pidsDir, 'cgroup.procs'));
    const mem = await killUntilEmpty(join(g.memoryDir, 'cgroup.procs'));
    const cpu = g.cpuacctDir !== null ? await killUntilEmpty(join(g.cpuacctDir, 'cgroup.procs')) : true;
    return pids && mem && cpu;
  }

  protected async remove(g: V1Group): Promise<void> {
    await rmdirRetry(g.memoryDir);
    await rmdirRetry(g.pidsDir);
    if (g.cpuacctDir !== null) await rmdirRetry(g.cpuacctDir);
  }

  protected async removeParents(): Promise<void> {
    await rmdirRetry(this.memoryParent).catch(() => undefined);
    await rmdirRetry(this.pidsParent).catch(() => undefined);
    if (this.cpuacctParent !== null) await rmdirRetry(this.cpuacctParent).catch(() => undefined);
  }
}

interface V2Group extends PooledGroup {
  dir: string;
  limitsKey: string;
}

/** cgroup v2: one group per run with memory.max, memory.swap.max=0 and pids.max; killed with cgroup.kill. */
class CgroupV2Driver extends PooledDriver<V2Group> {
  readonly mode = 'v2' as const;

  constructor(
    private readonly parent: string,
    poolSize: number,
  ) {
    super(poolSize);
  }

  protected async create(name: string): Promise<V2Group> {
    const dir = join(this.parent, name);
    await mkdir(dir, { recursive: true });
    const procs = join(dir, 'cgroup.procs');
    return {
      dir,
      limitsKey: '',
      procsFiles: [procs],
      counters: async () => ({
        oomKills: await readCounter(join(dir, 'memory.events'), 'oom_kill'),
        pidsMaxEvents: await readCounter(join(dir, 'pids.events'), 'max'),
        cpuNs: (await readCounter(join(dir, 'cpu.stat'), 'usage_usec')) * 1000,
      }),
      kill: async (revoked = () => false) => {
        if (revoked()) return;
        try {
          // Synchronous, so nothing can revoke the lease between the check and the write.
          writeFileSync(join(dir, 'cgroup.kill'), '1');
        } catch {
          const pids = await readPids(procs);
          if (!revoked()) killAll(pids);
        }
      },
    };
  }

  protected async applyLimits(g: V2Group, limits: SandboxLimits): Promise<void> {
    const key = `${limits.memoryBytes}/${limits.processes}`;
    if (g.limitsKey === key) return;
    await writeFile(join(g.dir, 'memory.max'), String(limits.memoryBytes));
    await writeFile(join(g.dir, 'memory.swap.max'), '0').catch(() => undefined);
    await writeFile(join(g.dir, 'pids.max'), String(limits.processes));
    g.limitsKey = key;
  }

  protected async emptyOut(g: V2Group): Promise<boolean> {
    await g.kill();
    return killUntilEmpty(join(g.dir, 'cgroup.procs'));
  }

  protected async remove(g: V2Group): Promise<void> {
    await rmdirRetry(g.dir);
  }

  protected async removeParents(): Promise<void> {
    await rmdirRetry(this.parent).catch(() => undefined);
  }
}

class NoCgroupDriver implements RunCgroupDriver {
  readonly mode = 'none' as const;
  async acquire(): Promise<null> {
    return null;
  }
  async release(): Promise<boolean> {
    return true;
  }
  async dispose(): Promise<void> {}
}

/** Options for cgroup detection. */
export interface CgroupDetectOptions {
  /** Force a mode; 'auto' tries v2, then v1, then none. */
  mode?: CgroupMode | 'auto';
  /** Idle per-run groups kept for reuse (creating and removing a group costs milliseconds per run). */
  poolSize?: number;
  /** v1 only: let this uid/gid join the per-run groups itself (see CgroupV1Driver). */
  procsOwner?: { uid: number; gid: number } | null;
}

/** Result of detection: the driver, and why a better mode was not usable. */
export interface CgroupDetection {
  driver: RunCgroupDriver;
  reasons: string[];
}

async function tryV2(poolSize: number, reasons: string[]): Promise<RunCgroupDriver | null> {
  const mount = existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))
    ? CGROUP_ROOT
    : existsSync(join(CGROUP_ROOT, 'unified', 'cgroup.controllers'))
      ? join(CGROUP_ROOT, 'unified')
      : null;
  if (mount === null) {
    reasons.push('v2: no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified');
    return null;
  }
  const own = (await ownCgroupPaths()).get('') ?? '/';
  const ownDir = join(mount, own);
  const controllers = (await readFile(join(ownDir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  if (!controllers.includes('memory') || !controllers.includes('pids')) {
    reasons.push(`v2: memory/pids controllers not available in ${ownDir} (have: ${controllers.join(' ') || 'none'})`);
    return null;
  }
  const parent = join(ownDir, `${GROUP_PREFIX}${process.pid}`);
  try {
    await sweepStale([ownDir], subdirs);
    // The no-internal-process rule: controllers can be enabled only for children of a group without processes
    // (or the root). A service under systemd gets such a subtree with Delegate=yes.
    await appendFile(join(ownDir, 'cgroup.subtree_control'), '+memory +pids');
    await mkdir(parent, { recursive: true });
    await appendFile(join(parent, 'cgroup.subtree_control'), '+memory +pids');
    return new CgroupV2Driver(parent, poolSize);
  } catch (err) {
    await rmdir(parent).catch(() => undefined);
    reasons.push(`v2: cannot delegate memory+pids under ${ownDir}: ${(err as Error).message}`);
    return null;
  }
}

async function tryV1(poolSize: number, procsOwner: { uid: number; gid: number } | null, reasons: string[]): Promise<RunCgroupDriver | null> {
  const memRoot = join(CGROUP_ROOT, 'memory');
  const pidsRoot = join(CGROUP_ROOT, 'pids');
  if (!existsSync(join(memRoot, 'memory.limit_in_bytes')) || !existsSync(join(pidsRoot, 'cgroup.procs'))) {
    reasons.push('v1: /sys/fs/cgroup/memory or /sys/fs/cgroup/pids is not mounted');
    return null;
  }
  const own = await ownCgroupPaths();
  // Nest under our own groups so the runs stay inside whatever limits this service itself runs under.
  const memOwn = join(memRoot, own.get('memory') ?? '/');
  const pidsOwn = join(pidsRoot, own.get('pids') ?? '/');
  const name = `${GROUP_PREFIX}${process.pid}`;
  const cpuRoot = join(CGROUP_ROOT, 'cpuacct');
  const cpuOwn = existsSync(join(cpuRoot, 'cpuacct.usage')) ? join(cpuRoot, own.get('cpuacct') ?? '/') : null;
  try {
    await sweepStale(cpuOwn !== null ? [memOwn, pidsOwn, cpuOwn] : [memOwn, pidsOwn], subdirs);
    await mkdir(join(memOwn, name), { recursive: true });
    await mkdir(join(pidsOwn, name), { recursive: true });
    // CPU accounting is a nicety: without it the runs are still bounded, only cpu_ms reads 0.
    const cpuParent =
      cpuOwn !== null ? await mkdir(join(cpuOwn, name), { recursive: true }).then(() => join(cpuOwn, name), () => null) : null;
    return new CgroupV1Driver(join(memOwn, name), join(pidsOwn, name), cpuParent, poolSize, procsOwner);
  } catch (err) {
    await rmdir(join(memOwn, name)).catch(() => undefined);
    await rmdir(join(pidsOwn, name)).catch(() => undefined);
    reasons.push(`v1: cannot create groups under ${memOwn} and ${pidsOwn}: ${(err as Error).message}`);
    return null;
  }
}

/** Finds the best usable cgroup hierarchy: v2, then v1 (hybrid hosts), then none. */
export async function detectRunCgroups(opts: CgroupDetectOptions = {}): Promise<CgroupDetection> {
  const mode = opts.mode ?? 'auto';
  const poolSize = opts.poolSize ?? 8;
  const reasons: string[] = [];
  if (mode === 'auto' || mode === 'v2') {
    const d = await tryV2(poolSize, reasons);
    if (d) return { driver: d, reasons };
  }
  if (mode === 'auto' || mode === 'v1') {
    const d = await tryV1(poolSize, opts.procsOwner ?? null, reasons);
    if (d) return { driver: d, reasons };
  }
  if (mode === 'none') reasons.push('cgroups disabled by configuration');
  return { driver: new NoCgroupDriver(), reasons };
}
