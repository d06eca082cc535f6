export {
  DEFAULT_SANDBOX_USER,
  LocalSandboxBackend,
  SANDBOX_STATE_SUBDIR,
  type ExecPoolOptions,
  type ExecRequest,
  type LocalSandboxCapabilities,
  type LocalSandboxOptions,
} from './local-sandbox.backend';
export { detectRunCgroups, type CgroupMode } from './run-cgroup.adapter';
export { type WorkspaceFile } from './run-workspace.adapter';
export { LocalSandboxSession } from './local-session';
export { MAX_READ_BACK_BYTES, readWorkspaceFiles, writeWorkspaceFiles } from './workspace-files.adapter';
export type { ExecResult, SandboxLimitHit, SandboxLimits } from '@lemur/sandbox-policy';
export { ExecPoolMetrics } from './exec-pool.metrics';
export { WarmSandbox } from './warm-sandbox';
