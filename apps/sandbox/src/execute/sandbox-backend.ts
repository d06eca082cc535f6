import type { ExecResult, SandboxLimits } from '@lemur/sandbox-policy';
import type { ExecRequest } from '../local';

/** How a backend isolates code, as GetCapabilities reports it. */
export interface SandboxBackendDescription {
  backend: string;
  cgroup: string;
  seccomp: boolean;
  user: string;
  isolation: string;
}

/** What Execute needs from a backend (local bubblewrap, in-pod runner, or Kubernetes pods). */
export interface ExecBackend {
  readonly name: string;
  /** Fills defaults and rejects values above the operator maxima. */
  resolveLimits(requested?: Partial<SandboxLimits>): SandboxLimits;
  execute(req: ExecRequest): Promise<ExecResult>;
  describe(): SandboxBackendDescription;
}

/** Nest token of the configured ExecBackend. */
export const EXEC_BACKEND = Symbol('EXEC_BACKEND');
