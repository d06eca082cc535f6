import { hostname } from 'node:os';
import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { internalTokenEnvShape } from '@lemur/shared-grpc';
import { tracingConfigFrom, tracingEnvShape, type TracingConfig } from '@lemur/shared-tracing';
import type { FairnessPolicy } from '@lemur/fairness';
import { z } from 'zod';
import { DEFAULT_KEYS_REFRESH_MS } from '../cache/stored-keys.service';
import { DEFAULT_TEAM_QUOTAS_REFRESH_MS } from '../fairness/team-quotas.service';
import { endpointUrlProblem } from '../registry/endpoint-url';

const teamLimitsSchema = z.strictObject({
  maxConcurrent: z.int().min(1).optional(),
  tokensPerMinute: z.int().min(0).optional(),
  maxQueued: z.int().min(0).optional(),
  maxQueueWaitMs: z.int().min(1).optional(),
  weight: z.number().positive().optional(),
});
const teamOverridesSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"team-a":{"maxConcurrent":8,"tokensPerMinute":200000}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), teamLimitsSchema));

/**
 * A URL of a server inference calls, refused when it carries a credential (userinfo, query or fragment): the URL is
 * printed in logs and errors. `credentialsBelongIn` is where the refusal sends the operator instead. (The trace
 * collector's URL is the shared tracing config's: it takes userinfo and strips it before printing, in every service.)
 */
function serverUrl<T extends z.ZodType<string | undefined>>(schema: T, credentialsBelongIn: string): T {
  return schema.superRefine((url, ctx) => {
    // A value the URL check already refused gets that one message, not a second one.
    if (url === undefined || ctx.issues.length > 0) return;
    const problem = endpointUrlProblem(url, credentialsBelongIn);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

const schema = z.object({
  INFERENCE_GRPC_URL: z.string().default('127.0.0.1:50051'),
  INFERENCE_METRICS_PORT: portSchema.default(9461),
  LEMUR_MODELS_FILE: z.string().min(1, 'path of the model registry file (JSON) is required'),
  INFERENCE_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(600_000),
  // Above a 70B engine's queue and prefill under load, and what undici used to apply unasked (its 300 s headersTimeout).
  INFERENCE_FIRST_BYTE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
  INFERENCE_STREAM_IDLE_MS: z.coerce.number().int().min(100).default(60_000),
  INFERENCE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  INFERENCE_ENGINE_SCRAPE_MS: z.coerce.number().int().min(0).default(1_000),
  INFERENCE_EJECT_AFTER_FAILURES: z.coerce.number().int().min(1).default(3),
  INFERENCE_EJECT_MS: z.coerce.number().int().min(1).default(5_000),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
  ...tracingEnvShape,
  ...internalTokenEnvShape,
  INFERENCE_MAX_CONCURRENT: z.coerce.number().int().min(1).default(4096),
  INFERENCE_TEAM_MAX_CONCURRENT: z.coerce.number().int().min(1).default(512),
  INFERENCE_TEAM_TOKENS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  INFERENCE_TEAM_MAX_QUEUED: z.coerce.number().int().min(0).default(4096),
  INFERENCE_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1).default(120_000),
  INFERENCE_TEAM_LIMITS: teamOverridesSchema.default({}),
  // How often each replica reads the teams' own quotas (PUT /v1/quotas): the longest a changed quota waits to apply.
  INFERENCE_TEAM_QUOTAS_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_TEAM_QUOTAS_REFRESH_MS),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL').optional(),
  INFERENCE_CACHE: z.enum(['on', 'off']).default('on'),
  INFERENCE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(7 * 24 * 3600),
  INFERENCE_CACHE_MEMORY_ENTRIES: z.coerce.number().int().min(0).default(10_000),
  INFERENCE_CACHE_MAX_ROWS: z.coerce.number().int().min(1).default(1_000_000),
  // How often each replica reads the keys others stored: the longest another replica's answer goes unused here.
  INFERENCE_CACHE_KEYS_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_KEYS_REFRESH_MS),
  INFERENCE_KUBERNETES: z.enum(['true', 'false']).default('false'),
  INFERENCE_KUBERNETES_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').default('default'),
  INFERENCE_KUBERNETES_SERVER: serverUrl(
    z.url({ protocol: /^https?$/ }).optional(),
    'a kubeconfig file named by INFERENCE_KUBECONFIG (and leave INFERENCE_KUBERNETES_SERVER unset)',
  ),
  INFERENCE_KUBECONFIG: z.string().min(1).optional(),
  INFERENCE_AUTOSCALE_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  INFERENCE_COLD_START_TIMEOUT_MS: z.coerce.number().int().min(1).default(900_000),
  // The pod's name from the downward API: the leader lease names its holder by it (else the hostname).
  POD_NAME: z.string().min(1).optional(),
  // How long the controller's leader lease holds without renewal: the longest a crashed leader leaves models unmanaged.
  INFERENCE_LEADER_LEASE_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  // Least time between two writes of a model's last-request annotation by one replica (the leader's idle clock).
  INFERENCE_ACTIVITY_PUBLISH_MS: z.coerce.number().int().min(100).default(30_000),
});

/** The environment, with the settings that bound each other checked together. */
const schemaWithLimits = schema.superRefine((env, ctx) => {
  // At or above the whole call's limit, that limit always ends the call first: a replica that never answers is not retried.
  if (env.INFERENCE_FIRST_BYTE_TIMEOUT_MS >= env.INFERENCE_UPSTREAM_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['INFERENCE_FIRST_BYTE_TIMEOUT_MS'],
      message: `must be below INFERENCE_UPSTREAM_TIMEOUT_MS (${env.INFERENCE_UPSTREAM_TIMEOUT_MS}): lower it or raise INFERENCE_UPSTREAM_TIMEOUT_MS`,
    });
  }
});

/** The inference service's settings, read from the environment once at start-up. */
export interface InferenceConfig {
  grpcUrl: string;
  metricsPort: number;
  modelsFile: string;
  /** One call to a replica, from sending the request to its last byte; running out is DEADLINE_EXCEEDED. */
  upstreamTimeoutMs: number;
  /**
   * Longest wait for a replica's first byte (a stream's first event, a non-streamed call's whole answer); running out
   * fails that replica (towards ejection) and the request is retried on another one.
   */
  firstByteTimeoutMs: number;
  maxAttempts: number;
  /** A stream that, once its answer began, sends nothing for this long is ended with an error (a stalled replica). */
  streamIdleMs: number;
  /**
   * Replica routing: how often engine metrics are scraped (0 = never), and how many consecutive failures eject a
   * replica for how long (the back-off doubles with each failed probe).
   */
  routing: { scrapeIntervalMs: number; ejectAfterFailures: number; ejectForMs: number };
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
  /** OpenTelemetry: spans always made (trace ids in logs), exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing?: TracingConfig;
  /** The platform's shared token for gRPC calls between services (LEMUR_INTERNAL_TOKEN); unset: no check. */
  internalToken?: string;
  /**
   * Per-team concurrency/token limits and queueing (INFERENCE_TEAM_* defaults, INFERENCE_TEAM_LIMITS overrides); a
   * team's own tokens per minute in the database (`teamQuotas`) takes precedence over both.
   */
  fairness: FairnessPolicy;
  /** The teams' own quotas, read from PostgreSQL every `refreshEveryMs`; only when DATABASE_URL is given. */
  teamQuotas?: { databaseUrl: string; refreshEveryMs: number };
  /** Response cache in PostgreSQL with an in-memory LRU in front; only when DATABASE_URL is given and INFERENCE_CACHE is on. */
  cache?: { databaseUrl: string; ttlMs: number; memoryEntries: number; maxRows: number; refreshKeysEveryMs: number };
  /**
   * Cluster mode (INFERENCE_KUBERNETES=true): watch LemurModels in `namespace` and serve them; the API server is
   * `server`, else the `kubeconfigPath` file, else the pod's service account.
   */
  kubernetes?: {
    namespace: string;
    server?: string;
    kubeconfigPath?: string;
    autoscaleIntervalMs: number;
    coldStartTimeoutMs: number;
    /** Leader election among the inference replicas: only the leader reconciles and autoscales. */
    leaderElection: { podName: string; leaseDurationSeconds: number };
    activityPublishIntervalMs: number;
  };
  /** Environment variables a model entry may name for its API key (`apiKeyEnv`). */
  secrets: Record<string, string | undefined>;
}

export function loadInferenceConfig(env: Record<string, string | undefined> = process.env): InferenceConfig {
  const parsed = parseEnv(schemaWithLimits, env, 'inference');
  return {
    grpcUrl: parsed.INFERENCE_GRPC_URL,
    metricsPort: parsed.INFERENCE_METRICS_PORT,
    modelsFile: parsed.LEMUR_MODELS_FILE,
    upstreamTimeoutMs: parsed.INFERENCE_UPSTREAM_TIMEOUT_MS,
    firstByteTimeoutMs: parsed.INFERENCE_FIRST_BYTE_TIMEOUT_MS,
    maxAttempts: parsed.INFERENCE_MAX_ATTEMPTS,
    streamIdleMs: parsed.INFERENCE_STREAM_IDLE_MS,
    routing: {
      scrapeIntervalMs: parsed.INFERENCE_ENGINE_SCRAPE_MS,
      ejectAfterFailures: parsed.INFERENCE_EJECT_AFTER_FAILURES,
      ejectForMs: parsed.INFERENCE_EJECT_MS,
    },
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.LEMUR_PARENT_PID ? { parentPid: parsed.LEMUR_PARENT_PID } : {}),
    tracing: tracingConfigFrom(parsed),
    ...(parsed.LEMUR_INTERNAL_TOKEN !== undefined ? { internalToken: parsed.LEMUR_INTERNAL_TOKEN } : {}),
    fairness: {
      maxConcurrent: parsed.INFERENCE_MAX_CONCURRENT,
      defaults: {
        maxConcurrent: parsed.INFERENCE_TEAM_MAX_CONCURRENT,
        tokensPerMinute: parsed.INFERENCE_TEAM_TOKENS_PER_MINUTE,
        maxQueued: parsed.INFERENCE_TEAM_MAX_QUEUED,
        maxQueueWaitMs: parsed.INFERENCE_QUEUE_TIMEOUT_MS,
        weight: 1,
      },
      teams: parsed.INFERENCE_TEAM_LIMITS,
    },
    ...(parsed.DATABASE_URL ? { teamQuotas: { databaseUrl: parsed.DATABASE_URL, refreshEveryMs: parsed.INFERENCE_TEAM_QUOTAS_REFRESH_MS } } : {}),
    ...(parsed.DATABASE_URL && parsed.INFERENCE_CACHE === 'on'
      ? {
          cache: {
            databaseUrl: parsed.DATABASE_URL,
            ttlMs: parsed.INFERENCE_CACHE_TTL_SECONDS * 1000,
            memoryEntries: parsed.INFERENCE_CACHE_MEMORY_ENTRIES,
            maxRows: parsed.INFERENCE_CACHE_MAX_ROWS,
            refreshKeysEveryMs: parsed.INFERENCE_CACHE_KEYS_REFRESH_MS,
          },
        }
      : {}),
    ...(parsed.INFERENCE_KUBERNETES === 'true'
      ? {
          kubernetes: {
            namespace: parsed.INFERENCE_KUBERNETES_NAMESPACE,
            ...(parsed.INFERENCE_KUBERNETES_SERVER ? { server: parsed.INFERENCE_KUBERNETES_SERVER } : {}),
            ...(parsed.INFERENCE_KUBECONFIG ? { kubeconfigPath: parsed.INFERENCE_KUBECONFIG } : {}),
            autoscaleIntervalMs: parsed.INFERENCE_AUTOSCALE_INTERVAL_MS,
            coldStartTimeoutMs: parsed.INFERENCE_COLD_START_TIMEOUT_MS,
            leaderElection: { podName: parsed.POD_NAME ?? hostname(), leaseDurationSeconds: parsed.INFERENCE_LEADER_LEASE_SECONDS },
            activityPublishIntervalMs: parsed.INFERENCE_ACTIVITY_PUBLISH_MS,
          },
        }
      : {}),
    secrets: env,
  };
}
