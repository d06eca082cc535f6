import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { internalTokenEnvShape } from '@lemur/shared-grpc';
import { tracingConfigFrom, tracingEnvShape, type TracingConfig } from '@lemur/shared-tracing';
import {
  DEFAULT_SANDBOX_POLICY,
  DEFAULT_SESSION_POLICY,
  SANDBOX_LIMIT_NAMES,
  parseScratchDirs,
  validateSandboxPolicy,
  DEFAULT_SANDBOX_POD_TEMPLATE,
  validateSandboxPodTemplate,
  type SandboxLimitName,
  type SandboxPodTemplate,
  type SandboxLimitPolicy,
  type SandboxSessionPolicy,
} from '@lemur/sandbox-policy';
import { hostname } from 'node:os';
import { z } from 'zod';

// Operator limits as JSON, e.g. SANDBOX_LIMIT_DEFAULTS='{"wallMs":5000}'; names as in SandboxLimits.
const limitsJson = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text === '') return {};
    try {
      return z.partialRecord(z.enum(SANDBOX_LIMIT_NAMES as [SandboxLimitName, ...SandboxLimitName[]]), z.number().int().positive()).parse(JSON.parse(text));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON object of limits (${SANDBOX_LIMIT_NAMES.join(', ')}): ${(err as Error).message}` });
      return z.NEVER;
    }
  });

// Pod template overrides as JSON, e.g. SANDBOX_K8S_TEMPLATE='{"image":"registry/runner:1","runtimeClassName":""}'.
const templateJson = z
  .string()
  .optional()
  .transform((text, ctx): SandboxPodTemplate => {
    try {
      const overrides = z
        .strictObject({
          name: z.string(),
          image: z.string(),
          imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
          runtimeClassName: z.string(),
          cpu: z.string(),
          memory: z.string(),
          ephemeralStorage: z.string(),
          workspaceSize: z.string(),
          tmpSize: z.string(),
          runAsUser: z.number().int(),
          runnerPort: z.number().int(),
          poolTtlSeconds: z.number().int(),
        })
        .partial()
        .parse(text === undefined || text === '' ? {} : JSON.parse(text));
      return validateSandboxPodTemplate({ ...DEFAULT_SANDBOX_POD_TEMPLATE, ...overrides });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON object of valid pod template fields (${Object.keys(DEFAULT_SANDBOX_POD_TEMPLATE).join(', ')}): ${(err as Error).message}` });
      return z.NEVER;
    }
  });

// `key=value,key=value`, as in a label selector of equalities.
const labelList = z.string().transform((text, ctx) => {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [key, value, extra] = part.split('=');
    if (!key || value === undefined || extra !== undefined) {
      ctx.addIssue({ code: 'custom', message: `must be key=value pairs separated by commas, got ${JSON.stringify(part)}` });
      return z.NEVER;
    }
    labels[key.trim()] = value.trim();
  }
  return labels;
});

// Absolute paths with a tmpfs of their own in every sandbox, e.g. SANDBOX_SCRATCH_DIRS=/testbed,/system,/backup.
const scratchDirList = z.string().transform((text, ctx) => {
  try {
    return parseScratchDirs(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `must be absolute, normalised paths outside the system directories, separated by commas: ${(err as Error).message}` });
    return z.NEVER;
  }
});

// Kinds that can own sandbox pods, with their API groups (the sweeper looks owners up by kind).
const OWNER_API_VERSIONS: Record<string, string> = { Pod: 'v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1', ReplicaSet: 'apps/v1' };

const schema = z.object({
  SANDBOX_MODE: z.enum(['service', 'runner']).default('service'),
  SANDBOX_BACKEND: z.enum(['local', 'kubernetes']).default('local'),
  SANDBOX_WORKSPACE_ROOT: z.string().optional(),
  SANDBOX_SCRATCH_DIRS: scratchDirList.default([]),
  SANDBOX_K8S_SERVER: z.url().optional(),
  SANDBOX_K8S_TOKEN: z.string().optional(),
  SANDBOX_K8S_KUBECONFIG: z.string().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  SANDBOX_K8S_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('default'),
  SANDBOX_K8S_POOL: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/).default('default'),
  SANDBOX_K8S_POOL_SIZE: z.coerce.number().int().min(0).max(256).default(2),
  SANDBOX_K8S_TEMPLATE: templateJson,
  SANDBOX_K8S_OWNER: z
    .string()
    .regex(new RegExp(`^(${Object.keys(OWNER_API_VERSIONS).join('|')})/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$`), `must be Kind/name with Kind one of ${Object.keys(OWNER_API_VERSIONS).join(', ')}`)
    .optional(),
  SANDBOX_K8S_REPLICA: z.string().min(1).default(hostname()),
  SANDBOX_K8S_CLAIM_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  SANDBOX_K8S_CLAIM_TTL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  SANDBOX_K8S_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  SANDBOX_K8S_SERVICE_LABELS: labelList.default({ 'app.kubernetes.io/name': 'lemur-sandbox-service' }),
  SANDBOX_K8S_SERVICE_NAMESPACE: z.string().optional(),
  SANDBOX_GRPC_URL: z.string().default('127.0.0.1:50052'),
  SANDBOX_METRICS_PORT: portSchema.default(9462),
  SANDBOX_STATE_DIR: z.string().optional(),
  SANDBOX_MAX_CONCURRENT: z.coerce.number().int().min(1).max(512).default(8),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
  ...tracingEnvShape,
  ...internalTokenEnvShape,
  /** Set by Node when a parent forked this process with an IPC channel: that descriptor is Node's own. */
  NODE_CHANNEL_FD: z.coerce.number().int().min(0).optional(),
  SANDBOX_MYSQL_URL: z.url({ protocol: /^mysql$/ }).optional(),
  SANDBOX_MYSQL_DUMP: z.string().optional(),
  SANDBOX_MYSQL_DB_PREFIX: z.string().regex(/^[A-Za-z0-9_]{0,32}$/).default(''),
  SANDBOX_SESSION_POOL_SIZE: z.coerce.number().int().min(0).max(64).default(1),
  SANDBOX_EXEC_POOL_SIZE: z.coerce.number().int().min(0).max(64).default(4),
  SANDBOX_EXEC_POOL_STARTS: z.coerce.number().int().min(1).max(16).default(2),
  SANDBOX_EXEC_POOL_QUIET_MS: z.coerce.number().int().min(0).max(60_000).default(10),
  SANDBOX_SESSION_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(DEFAULT_SESSION_POLICY.idleTimeoutMs),
  SANDBOX_SESSION_MAX_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(DEFAULT_SESSION_POLICY.maxIdleTimeoutMs),
  SANDBOX_SESSIONS_PER_TEAM: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_SESSION_POLICY.maxSessionsPerTeam),
  SANDBOX_LIMIT_DEFAULTS: limitsJson,
  SANDBOX_LIMIT_MAXIMA: limitsJson,
});

/** Settings of the Kubernetes backend (SANDBOX_BACKEND=kubernetes). */
export interface KubernetesBackendConfig {
  /** API server URL; without it the kubeconfig file, then the in-cluster service account, then ~/.kube/config. */
  server?: string;
  token?: string;
  kubeconfigPath?: string;
  inCluster: boolean;
  namespace: string;
  /** Pool id shared by the replicas of one service (a label value). */
  pool: string;
  /** Ready pods kept warm. */
  poolSize: number;
  template: SandboxPodTemplate;
  /** The object owning the pods (usually the service's Deployment), so orphans are garbage-collected. */
  owner?: { apiVersion: string; kind: string; name: string };
  /** This replica's name (annotated on the pods it claims). */
  replica: string;
  /** How long a claim waits for a Ready pod before failing. */
  claimTimeoutMs: number;
  /** How long a claimed pod may live before the sweeper deletes it (a crashed replica's claims). */
  claimTtlMs: number;
  sweepIntervalMs: number;
  /** Labels and namespace of the service's pods: the only ingress the NetworkPolicy admits. */
  serviceLabels: Record<string, string>;
  serviceNamespace?: string;
  /** Absolute paths mounted as memory-backed emptyDirs in every pod (SANDBOX_SCRATCH_DIRS). */
  scratchDirs?: readonly string[];
}

/** The sandbox service's settings, read from the environment once at start-up. */
export interface SandboxConfig {
  /** `runner`: the in-pod runner of a sandbox pod (no bwrap; the pod is the boundary). */
  mode: 'service' | 'runner';
  backend: 'local' | 'kubernetes';
  /** Parent of the per-run workspaces (the pod's workspace emptyDir in runner mode). */
  workspaceRoot?: string;
  /**
   * SANDBOX_SCRATCH_DIRS: absolute paths where every sandbox gets an empty, sized, writable tmpfs of its own (the
   * file systems InterCode-Bash's tasks were written for); empty: none.
   */
  scratchDirs: readonly string[];
  /** Set when backend is kubernetes. */
  kubernetes?: KubernetesBackendConfig;
  grpcUrl: string;
  metricsPort: number;
  stateDir?: string;
  /** Programs run at once; more wait their turn (the machine's cores bound useful parallelism). */
  maxConcurrent: number;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
  /** OpenTelemetry: spans always made (trace ids in logs), exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing?: TracingConfig;
  /** The platform's shared token for gRPC calls between services (LEMUR_INTERNAL_TOKEN); unset: no check. */
  internalToken?: string;
  /** Node's IPC channel descriptor, when a parent forked the service with one (kept open at start-up). */
  ipcChannelFd?: number;
  /** Admin URL of the MySQL/MariaDB server for SQL against mysql_database (mysql://root@127.0.0.1:3306); unset: SQLite only. */
  mysqlUrl?: string;
  /** MySQL dump loaded once at start-up; default: the InterCode-SQL/Spider dump under shared/datasets, when found. */
  mysqlDumpFile?: string;
  /** Prefix of the loaded databases on a shared server; requests still name them without it. */
  mysqlDatabasePrefix: string;
  /** Operator defaults and maxima of every run limit (validated at start-up). */
  limitPolicy: SandboxLimitPolicy;
  /** The local backend's one-shot warm pool: empty sandboxes pre-started for Execute. */
  execPool: {
    /** Sandboxes kept ready per language (0 disables the pool: every run starts its sandbox cold). */
    size: number;
    /** Sandboxes being started at once per language while the pool refills. */
    parallelStarts: number;
    /**
     * A refill starts only after no run has started or ended for this long, so that a client keeping every slot busy
     * does not have pre-starts slipped into the moment between a result and its next request.
     */
    quietMs: number;
  };
  sessions: {
    /** Pre-started interpreters kept ready per language (0 disables the warm pool). */
    poolSize: number;
    policy: SandboxSessionPolicy;
  };
}

export function loadSandboxConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  const p = parseEnv(schema, env, 'sandbox');
  const [ownerKind, ownerName] = p.SANDBOX_K8S_OWNER?.split('/') ?? [];
  return {
    mode: p.SANDBOX_MODE,
    backend: p.SANDBOX_BACKEND,
    ...(p.SANDBOX_WORKSPACE_ROOT ? { workspaceRoot: p.SANDBOX_WORKSPACE_ROOT } : {}),
    scratchDirs: p.SANDBOX_SCRATCH_DIRS,
    ...(p.SANDBOX_BACKEND === 'kubernetes'
      ? {
          kubernetes: {
            ...(p.SANDBOX_K8S_SERVER ? { server: p.SANDBOX_K8S_SERVER } : {}),
            ...(p.SANDBOX_K8S_TOKEN ? { token: p.SANDBOX_K8S_TOKEN } : {}),
            ...(p.SANDBOX_K8S_KUBECONFIG ? { kubeconfigPath: p.SANDBOX_K8S_KUBECONFIG } : {}),
            inCluster: p.KUBERNETES_SERVICE_HOST !== undefined,
            namespace: p.SANDBOX_K8S_NAMESPACE,
            pool: p.SANDBOX_K8S_POOL,
            poolSize: p.SANDBOX_K8S_POOL_SIZE,
            template: p.SANDBOX_K8S_TEMPLATE,
            ...(ownerKind && ownerName ? { owner: { apiVersion: OWNER_API_VERSIONS[ownerKind] ?? 'v1', kind: ownerKind, name: ownerName } } : {}),
            replica: p.SANDBOX_K8S_REPLICA,
            claimTimeoutMs: p.SANDBOX_K8S_CLAIM_TIMEOUT_MS,
            claimTtlMs: p.SANDBOX_K8S_CLAIM_TTL_MS,
            sweepIntervalMs: p.SANDBOX_K8S_SWEEP_INTERVAL_MS,
            serviceLabels: p.SANDBOX_K8S_SERVICE_LABELS,
            ...(p.SANDBOX_K8S_SERVICE_NAMESPACE ? { serviceNamespace: p.SANDBOX_K8S_SERVICE_NAMESPACE } : {}),
            scratchDirs: p.SANDBOX_SCRATCH_DIRS,
          },
        }
      : {}),
    grpcUrl: p.SANDBOX_GRPC_URL,
    metricsPort: p.SANDBOX_METRICS_PORT,
    ...(p.SANDBOX_STATE_DIR ? { stateDir: p.SANDBOX_STATE_DIR } : {}),
    maxConcurrent: p.SANDBOX_MAX_CONCURRENT,
    logLevel: p.LOG_LEVEL,
    ...(p.LEMUR_PARENT_PID ? { parentPid: p.LEMUR_PARENT_PID } : {}),
    tracing: tracingConfigFrom(p),
    ...(p.LEMUR_INTERNAL_TOKEN !== undefined ? { internalToken: p.LEMUR_INTERNAL_TOKEN } : {}),
    ...(p.NODE_CHANNEL_FD !== undefined ? { ipcChannelFd: p.NODE_CHANNEL_FD } : {}),
    ...(p.SANDBOX_MYSQL_URL ? { mysqlUrl: p.SANDBOX_MYSQL_URL } : {}),
    ...(p.SANDBOX_MYSQL_DUMP ? { mysqlDumpFile: p.SANDBOX_MYSQL_DUMP } : {}),
    mysqlDatabasePrefix: p.SANDBOX_MYSQL_DB_PREFIX,
    limitPolicy: validateSandboxPolicy({
      defaults: { ...DEFAULT_SANDBOX_POLICY.defaults, ...p.SANDBOX_LIMIT_DEFAULTS },
      maxima: { ...DEFAULT_SANDBOX_POLICY.maxima, ...p.SANDBOX_LIMIT_MAXIMA },
    }),
    execPool: { size: p.SANDBOX_EXEC_POOL_SIZE, parallelStarts: p.SANDBOX_EXEC_POOL_STARTS, quietMs: p.SANDBOX_EXEC_POOL_QUIET_MS },
    sessions: {
      poolSize: p.SANDBOX_SESSION_POOL_SIZE,
      policy: {
        idleTimeoutMs: p.SANDBOX_SESSION_IDLE_TIMEOUT_MS,
        maxIdleTimeoutMs: Math.max(p.SANDBOX_SESSION_MAX_IDLE_TIMEOUT_MS, p.SANDBOX_SESSION_IDLE_TIMEOUT_MS),
        maxSessionsPerTeam: p.SANDBOX_SESSIONS_PER_TEAM,
      },
    },
  };
}
