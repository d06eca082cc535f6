/** Client-side adapters of the sandbox service, shared by its callers (the eval worker) and its own integration tests. */
export { type SandboxClient } from './sandbox-client';
export { SandboxExecutor } from './sandbox-executor';
export { toExecutionResult } from './execution-result.mapper';
