export {
  DEFAULT_SANDBOX_LIMITS,
  DEFAULT_SANDBOX_POLICY,
  MAX_SANDBOX_LIMITS,
  MIN_SANDBOX_LIMITS,
  SANDBOX_LIMIT_NAMES,
  resolveSandboxLimits,
  validateSandboxPolicy,
  type SandboxLimitName,
  type SandboxLimitPolicy,
  type SandboxLimits,
} from './sandbox-limits';
export {
  DEFAULT_SANDBOX_BINARIES,
  SANDBOX_ENTRY_DIR,
  SANDBOX_LANGUAGES,
  SANDBOX_NOFILE,
  addressSpaceBytes,
  buildSandboxCommand,
  cpuSeconds,
  interpreterArgv,
  sandboxEntryPath,
  wrapperScript,
  type SandboxBinaries,
  type SandboxCommand,
  type SandboxCommandSpec,
  type SandboxLanguage,
} from './sandbox-command';
export { interpretExecObservation, signalName, type ExecObservation, type ExecResult, type SandboxLimitHit } from './exec-result';
export { MAX_WORKSPACE_FILES, workspacePathSegments } from './workspace-path';
