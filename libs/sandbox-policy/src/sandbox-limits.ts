import { PlatformError } from '@lemur/shared-errors';

/** Resource limits of one sandboxed execution. Sizes in bytes, times in milliseconds. */
export interface SandboxLimits {
  /** Hard wall-clock limit; the whole run (processes included) is SIGKILLed when it expires. */
  wallMs: number;
  /** CPU time of each process (RLIMIT_CPU, rounded up to whole seconds). */
  cpuMs: number;
  /** Memory of the whole run (cgroup limit, swap 0); also bounds each process's address space. */
  memoryBytes: number;
  /** Live processes and threads of the whole run (cgroup pids.max). */
  processes: number;
  /** Bytes kept of stdout and of stderr each; the run is killed when either goes past it. */
  outputBytes: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Size of each of the sandbox's /tmp and /dev/shm tmpfs. */
  tmpBytes: number;
  /** Bytes the workspace may hold (files, directories); checked while the program runs and after it. */
  workspaceBytes: number;
}

/** The name of one limit, as used in error messages and `limitHit`. */
export type SandboxLimitName = keyof SandboxLimits;

/** Operator policy: what a request gets when it names no limit, and the most it may ask for. */
export interface SandboxLimitPolicy {
  defaults: SandboxLimits;
  maxima: SandboxLimits;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Defaults sized for one HumanEval/MBPP-style program. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallMs: 10_000,
  cpuMs: 10_000,
  memoryBytes: 512 * MiB,
  processes: 64,
  outputBytes: 1 * MiB,
  fileSizeBytes: 16 * MiB,
  tmpBytes: 64 * MiB,
  workspaceBytes: 256 * MiB,
});

/** Operator maxima: a request above any of these is rejected, not clamped. */
export const MAX_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallMs: 300_000,
  cpuMs: 300_000,
  memoryBytes: 4 * GiB,
  processes: 1024,
  outputBytes: 16 * MiB,
  fileSizeBytes: 1 * GiB,
  tmpBytes: 1 * GiB,
  workspaceBytes: 4 * GiB,
});

/** Lowest values that still let a Python interpreter start inside the sandbox. */
export const MIN_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallMs: 100,
  cpuMs: 100,
  memoryBytes: 32 * MiB,
  processes: 4,
  outputBytes: 1,
  fileSizeBytes: 1,
  tmpBytes: 1 * MiB,
  workspaceBytes: 1 * MiB,
});

/** Default policy: DEFAULT_SANDBOX_LIMITS within MAX_SANDBOX_LIMITS. */
export const DEFAULT_SANDBOX_POLICY: Readonly<SandboxLimitPolicy> = Object.freeze({
  defaults: DEFAULT_SANDBOX_LIMITS,
  maxima: MAX_SANDBOX_LIMITS,
});

/** Every limit name, in a stable order. */
export const SANDBOX_LIMIT_NAMES: readonly SandboxLimitName[] = Object.freeze([
  'wallMs',
  'cpuMs',
  'memoryBytes',
  'processes',
  'outputBytes',
  'fileSizeBytes',
  'tmpBytes',
  'workspaceBytes',
]);

/** Checks an operator policy once at start-up: defaults within [minimum, maximum]. Throws INVALID_ARGUMENT. */
export function validateSandboxPolicy(policy: SandboxLimitPolicy): SandboxLimitPolicy {
  for (const name of SANDBOX_LIMIT_NAMES) {
    const max = policy.maxima[name];
    const def = policy.defaults[name];
    checkValue(`maxima.${name}`, max, MIN_SANDBOX_LIMITS[name], Number.MAX_SAFE_INTEGER);
    checkValue(`defaults.${name}`, def, MIN_SANDBOX_LIMITS[name], max);
  }
  return policy;
}

/**
 * Fills a request's limits from the policy defaults and rejects any value that is not a positive integer,
 * is below the floor, or is above the operator maximum (the error names the limit).
 */
export function resolveSandboxLimits(
  requested: Partial<SandboxLimits> | undefined,
  policy: SandboxLimitPolicy = DEFAULT_SANDBOX_POLICY,
): SandboxLimits {
  const out = { ...policy.defaults };
  for (const [name, value] of Object.entries(requested ?? {})) {
    if (!(SANDBOX_LIMIT_NAMES as readonly string[]).includes(name)) {
      throw PlatformError.invalid(`limits.${name}`, `unknown limit; known limits: ${SANDBOX_LIMIT_NAMES.join(', ')}`);
    }
    if (value === undefined) continue;
    const key = name as SandboxLimitName;
    checkValue(`limits.${key}`, value, MIN_SANDBOX_LIMITS[key], policy.maxima[key]);
    out[key] = value;
  }
  return out;
}

function checkValue(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw PlatformError.invalid(field, `must be an integer, got ${String(value)}`);
  }
  if (value < min) throw PlatformError.invalid(field, `${value} is below the minimum ${min}`);
  if (value > max) throw PlatformError.invalid(field, `${value} is above the operator maximum ${max}`);
}

/** Operator policy for sessions: idle timeout default and maximum, and how many sessions one team may keep open. */
export interface SandboxSessionPolicy {
  idleTimeoutMs: number;
  maxIdleTimeoutMs: number;
  maxSessionsPerTeam: number;
}

/** Default session policy: 10 minutes idle (at most 1 hour), 16 open sessions per team. */
export const DEFAULT_SESSION_POLICY: Readonly<SandboxSessionPolicy> = Object.freeze({
  idleTimeoutMs: 10 * 60_000,
  maxIdleTimeoutMs: 60 * 60_000,
  maxSessionsPerTeam: 16,
});

/** The idle timeout a session gets: the operator default when 0/absent, else the request's value (1 s .. maximum). */
export function resolveIdleTimeoutMs(requested: number | undefined, policy: SandboxSessionPolicy = DEFAULT_SESSION_POLICY): number {
  if (requested === undefined || requested === 0) return policy.idleTimeoutMs;
  checkValue('idle_timeout_ms', requested, 1_000, policy.maxIdleTimeoutMs);
  return requested;
}
