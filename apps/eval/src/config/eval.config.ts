import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { internalTokenEnvShape } from '@lemur/shared-grpc';
import { teamQuotaDefaultsFrom, teamQuotaEnvShape, type QuotaLimits } from '@lemur/shared-run-admission';
import { tracingConfigFrom, tracingEnvShape, type TracingConfig } from '@lemur/shared-tracing';
import { z } from 'zod';
import { DEFAULT_INITIAL_MODEL_CONCURRENCY } from '../worker/adaptive-concurrency';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  EVAL_GRPC_URL: z.string().default('127.0.0.1:50053'),
  EVAL_METRICS_PORT: portSchema.default(9463),
  INFERENCE_ADDR: z.string().default('127.0.0.1:50051'),
  SANDBOX_ADDR: z.string().default('127.0.0.1:50052'),
  LEMUR_DATASETS_DIR: z.string().optional(),
  LEMUR_DATASETS_CACHE: z.string().optional(),
  LEMUR_OFFLINE: flag.default(false),
  EVAL_SERVE_API: flag.default(true),
  EVAL_WORKERS: flag.default(true),
  EVAL_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  EVAL_DEFAULT_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
  // Where each model's adaptive limit starts; it grows from there up to the runs' concurrency until the endpoint refuses.
  EVAL_INITIAL_MODEL_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(DEFAULT_INITIAL_MODEL_CONCURRENCY),
  // The deadline of each Generate call to the inference service. Inference may wait up to 15 min for a model scaled to
  // zero (INFERENCE_COLD_START_TIMEOUT_MS), then 10 min for one call to a replica (INFERENCE_UPSTREAM_TIMEOUT_MS):
  // 30 min covers both, so the first sample of a cold model waits for it rather than failing on its own deadline.
  EVAL_SAMPLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(1_800_000),
  // The inference service's INFERENCE_COLD_START_TIMEOUT_MS (set it to the same value; 0 where inference does not run
  // models on Kubernetes and never scales one from zero): EVAL_SAMPLE_TIMEOUT_MS must exceed it.
  EVAL_INFERENCE_COLD_START_MS: z.coerce.number().int().min(0).default(900_000),
  // How long a worker holds a sample's queue job before another worker may take it (a worker that died). Unset, it is
  // the Generate deadline plus a minute, so a sample waiting out a cold start is never handed to a second worker.
  EVAL_JOB_EXPIRE_SECONDS: z.coerce.number().int().min(1).optional(),
  EVAL_QUEUE_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).default(30),
  EVAL_SAMPLE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  EVAL_SCHEDULER: flag.default(true),
  EVAL_SCHEDULER_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  // Lets regression webhooks reach loopback and private addresses: only where the platform's own network holds nothing
  // to protect (`lemur up`, where every service is on loopback).
  EVAL_WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
  ...tracingEnvShape,
  ...internalTokenEnvShape,
  ...teamQuotaEnvShape,
  // What MINT's wikipedia_search answers in agent sessions; the provider's name is recorded with every run.
  EVAL_TOOL_PROVIDER: z.enum(['offline-stub', 'published-wikipedia-cache']).default('offline-stub'),
  LEMUR_ENVIRONMENT_URL: z.string().url('must be an http(s) URL of an environment server (docs/environment-protocol.md)').optional(),
});

/** The environment, with the settings that bound each other checked together. */
const schemaWithLimits = schema.superRefine((env, ctx) => {
  // A Generate deadline at or below the cold-start wait fails every sample that finds its model scaled to zero.
  if (env.EVAL_SAMPLE_TIMEOUT_MS <= env.EVAL_INFERENCE_COLD_START_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['EVAL_SAMPLE_TIMEOUT_MS'],
      message: `must exceed EVAL_INFERENCE_COLD_START_MS (${env.EVAL_INFERENCE_COLD_START_MS}), inference's wait for a model scaled to zero, by a generation's time: raise it`,
    });
  }
});

/** The eval service's settings, read from the environment once at start-up. */
export interface EvalConfig {
  databaseUrl: string;
  grpcUrl: string;
  metricsPort: number;
  inferenceAddr: string;
  sandboxAddr: string;
  datasets: { datasetsDir?: string; sharedDirs: string[]; cacheDir: string; online: boolean };
  serveApi: boolean;
  workers: boolean;
  workerConcurrency: number;
  defaultRunConcurrency: number;
  /** Each (model, team)'s first limit of samples in flight on a worker, before the adaptive limit has learned the endpoint. */
  initialModelConcurrency: number;
  /** Deadline of each Generate call (a sample's, an agent turn's); above the inference service's cold-start wait. */
  sampleTimeoutMs: number;
  jobExpireSeconds: number;
  queueMaintenanceSeconds: number;
  sampleMaxAttempts: number;
  /** Create the runs of due schedules (API replicas only; several may, each tick is claimed once). */
  scheduler: { enabled: boolean; pollMs: number };
  /** Regression webhooks: `allowPrivate` lifts the guard that keeps deliveries off loopback, private and link-local addresses. */
  webhook: { allowPrivate: boolean };
  /** Quotas of a team that has none of its own, the gateway's (GATEWAY_TEAM_*): scheduled runs are admitted by them too. */
  teamDefaults: QuotaLimits;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
  /** OpenTelemetry: spans always made (trace ids in logs), exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing?: TracingConfig;
  /** The platform's shared token for gRPC calls between services (LEMUR_INTERNAL_TOKEN); unset: no check. */
  internalToken?: string;
  /** The platform's version (root package.json), recorded with every run. */
  platformVersion: string;
  /** The environment server agent benchmarks with one (mint-alfworld, webarena) step in; recorded with each sample. */
  environmentUrl?: string;
  /** The agent tool provider (EVAL_TOOL_PROVIDER); the published cache names the folder of MINT's published outputs. */
  toolProvider: { name: 'offline-stub' } | { name: 'published-wikipedia-cache'; outputsDir: string };
}

/** `../shared/datasets` next to the checkout, when present (the project's machines keep benchmark data there). */
function sharedDatasetDirs(cwd: string): string[] {
  return [resolve(cwd, '../shared/datasets'), resolve(cwd, '../../shared/datasets')].filter((dir) => existsSync(dir));
}

const MINT_OUTPUTS = 'mint-bench/data/outputs';

/** The first datasets folder holding MINT's published outputs; start-up stops here rather than at the first episode. */
function mintOutputsDir(dirs: readonly string[]): string {
  const found = dirs.map((dir) => join(dir, MINT_OUTPUTS)).find((dir) => existsSync(dir));
  if (found !== undefined) return found;
  const looked = dirs.length === 0 ? 'no datasets folder is configured' : `looked in ${dirs.map((dir) => join(dir, MINT_OUTPUTS)).join(', ')}`;
  throw new Error(
    `eval: EVAL_TOOL_PROVIDER=published-wikipedia-cache reads MINT's published trajectories from <datasets dir>/${MINT_OUTPUTS}, but ${looked}: ` +
      `copy mint-bench's data/outputs there (see the datasets folder's mint-bench/SOURCE.md), set LEMUR_DATASETS_DIR to a folder holding it, or use EVAL_TOOL_PROVIDER=offline-stub`,
  );
}

export function loadEvalConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): EvalConfig {
  const p = parseEnv(schemaWithLimits, env, 'eval');
  const sharedDirs = sharedDatasetDirs(cwd);
  return {
    databaseUrl: p.DATABASE_URL,
    grpcUrl: p.EVAL_GRPC_URL,
    metricsPort: p.EVAL_METRICS_PORT,
    inferenceAddr: p.INFERENCE_ADDR,
    sandboxAddr: p.SANDBOX_ADDR,
    datasets: {
      ...(p.LEMUR_DATASETS_DIR ? { datasetsDir: p.LEMUR_DATASETS_DIR } : {}),
      sharedDirs,
      cacheDir: p.LEMUR_DATASETS_CACHE ?? resolve(cwd, '.lemur/datasets'),
      online: !p.LEMUR_OFFLINE,
    },
    serveApi: p.EVAL_SERVE_API,
    workers: p.EVAL_WORKERS,
    workerConcurrency: p.EVAL_WORKER_CONCURRENCY,
    defaultRunConcurrency: p.EVAL_DEFAULT_RUN_CONCURRENCY,
    initialModelConcurrency: p.EVAL_INITIAL_MODEL_CONCURRENCY,
    sampleTimeoutMs: p.EVAL_SAMPLE_TIMEOUT_MS,
    jobExpireSeconds: p.EVAL_JOB_EXPIRE_SECONDS ?? Math.ceil(p.EVAL_SAMPLE_TIMEOUT_MS / 1000) + 60,
    queueMaintenanceSeconds: p.EVAL_QUEUE_MAINTENANCE_SECONDS,
    sampleMaxAttempts: p.EVAL_SAMPLE_MAX_ATTEMPTS,
    scheduler: { enabled: p.EVAL_SCHEDULER, pollMs: p.EVAL_SCHEDULER_POLL_MS },
    webhook: { allowPrivate: p.EVAL_WEBHOOK_ALLOW_PRIVATE },
    teamDefaults: teamQuotaDefaultsFrom(p),
    logLevel: p.LOG_LEVEL,
    ...(p.LEMUR_PARENT_PID ? { parentPid: p.LEMUR_PARENT_PID } : {}),
    tracing: tracingConfigFrom(p),
    ...(p.LEMUR_INTERNAL_TOKEN !== undefined ? { internalToken: p.LEMUR_INTERNAL_TOKEN } : {}),
    ...(p.LEMUR_ENVIRONMENT_URL ? { environmentUrl: p.LEMUR_ENVIRONMENT_URL } : {}),
    toolProvider:
      p.EVAL_TOOL_PROVIDER === 'offline-stub'
        ? { name: p.EVAL_TOOL_PROVIDER }
        : { name: p.EVAL_TOOL_PROVIDER, outputsDir: mintOutputsDir([...(p.LEMUR_DATASETS_DIR ? [p.LEMUR_DATASETS_DIR] : []), ...sharedDirs]) },
    platformVersion: (JSON.parse(readFileSync(resolve(__dirname, '../../../../package.json'), 'utf8')) as { version: string }).version,
  };
}
