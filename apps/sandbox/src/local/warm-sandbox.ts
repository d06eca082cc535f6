import type { Duplex } from 'node:stream';
import type { ChainProcess } from './chain-launcher';
import type { SandboxLanguage, SandboxLimits } from '@lemur/sandbox-policy';
import type { WarmPoolItem } from '../warm-pool/warm-pool';
import type { CgroupCounters, RunCgroup } from './run-cgroup.adapter';

/** How a sandbox chain ended. */
export interface ChainExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The host resources of a pre-started sandbox, and how to give them back. */
export interface WarmSandboxParts {
  language: SandboxLanguage;
  limits: SandboxLimits;
  child: ChainProcess;
  /** Parent end of the control descriptor: the start message goes here. */
  control: Duplex;
  /** Settles when the chain has exited and its pipes are closed; rejects when it could not be spawned. */
  exited: Promise<ChainExit>;
  workspace: string;
  entryDir: string;
  cgroup: RunCgroup | null;
  /** cgroup counters read before the chain started, so a run's figures include its start-up as a cold run's do. */
  before: CgroupCounters | null;
  /** Kills what is left, frees the workspace, entry directory and cgroup. */
  release(): Promise<void>;
}

const EXIT_WAIT_MS = 5_000;

/**
 * An empty one-shot sandbox, started ahead of time: the whole chain is up and the interpreter waits for the start
 * message. It runs exactly one program (the backend claims it) and is then destroyed, never reused.
 */
export class WarmSandbox implements WarmPoolItem {
  private exit: ChainExit | null = null;
  private readonly listeners: (() => void)[] = [];
  private claimed = false;
  private released: Promise<void> | null = null;

  constructor(readonly parts: WarmSandboxParts) {
    void parts.exited.then(
      (e) => this.onExit(e),
      () => this.onExit({ code: null, signal: null }),
    );
  }

  get language(): SandboxLanguage {
    return this.parts.language;
  }

  get ended(): boolean {
    return this.exit !== null || this.released !== null;
  }

  onEnded(listener: () => void): void {
    if (this.ended) listener();
    else this.listeners.push(listener);
  }

  /** Takes the sandbox for one run; false when it has died, been closed or was claimed before. */
  claim(): boolean {
    if (this.claimed || this.ended) return false;
    this.claimed = true;
    return true;
  }

  /** Kills the chain (its process group and cgroup), waits for it to go, and frees everything it held. */
  async close(): Promise<void> {
    if (this.released === null) {
      this.kill();
      this.released = Promise.race([this.parts.exited.catch(() => undefined), new Promise((r) => setTimeout(r, EXIT_WAIT_MS).unref())]).then(() =>
        this.parts.release(),
      );
      for (const l of this.listeners.splice(0)) l();
    }
    await this.released;
  }

  // Once the chain has exited there is nothing left to kill: bwrap's init took its namespace's processes with it, and
  // release() empties the cgroup. Killing a gone process group only costs a thrown ESRCH per run.
  private kill(): void {
    this.parts.control.destroy();
    if (this.exit !== null) return;
    if (this.parts.child.pid !== undefined) {
      try {
        process.kill(-this.parts.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    void this.parts.cgroup?.kill();
  }

  private onExit(e: ChainExit): void {
    this.exit = e;
    for (const l of this.listeners.splice(0)) l();
  }
}
