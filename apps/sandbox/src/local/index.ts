export {
  DEFAULT_SANDBOX_USER,
  LocalSandboxBackend,
  SANDBOX_STATE_SUBDIR,
  type ExecRequest,
  type LocalSandboxCapabilities,
  type LocalSandboxOptions,
} from './local-sandbox.backend';
export { detectRunCgroups, type CgroupMode } from './run-cgroup.adapter';
export { type WorkspaceFile } from './run-workspace.adapter';
export type { ExecResult, SandboxLimitHit, SandboxLimits } from '@lemur/sandbox-policy';
