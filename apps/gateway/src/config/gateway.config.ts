import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { internalTokenEnvShape } from '@lemur/shared-grpc';
import { teamQuotaDefaultsFrom, teamQuotaEnvShape, type QuotaLimits } from '@lemur/shared-run-admission';
import { tracingConfigFrom, tracingEnvShape, type TracingConfig } from '@lemur/shared-tracing';
import { z } from 'zod';

const schema = z.object({
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: portSchema.default(8080),
  EVAL_ADDR: z.string().default('127.0.0.1:50053'),
  INFERENCE_ADDR: z.string().default('127.0.0.1:50051'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  GATEWAY_RPC_DEADLINE_MS: z.coerce.number().int().min(100).default(120_000),
  // Inference may wait up to 15 min for a model scaled to zero (INFERENCE_COLD_START_TIMEOUT_MS), then 10 min for one
  // call to a replica (INFERENCE_UPSTREAM_TIMEOUT_MS), after up to 2 min in its team's queue: 30 min covers all three.
  GATEWAY_INFERENCE_DEADLINE_MS: z.coerce.number().int().min(100).max(86_400_000).default(1_800_000),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
  ...tracingEnvShape,
  ...internalTokenEnvShape,
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL (API keys, audit log and quotas live there)'),
  // Read exactly as the eval service reads them for scheduled runs: a team meets one limit whichever way a run starts.
  ...teamQuotaEnvShape,
  GATEWAY_BOOTSTRAP_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_BOOTSTRAP_TEAM: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase team name (a-z, 0-9, -)').default('local'),
});

/** The gateway's settings, read from the environment once at start-up. */
export interface GatewayConfig {
  host: string;
  port: number;
  evalAddr: string;
  inferenceAddr: string;
  bodyLimitBytes: number;
  rpcDeadlineMs: number;
  /** Deadline of a generation (the OpenAI routes' calls to inference, streams included); other calls have `rpcDeadlineMs`. */
  inferenceDeadlineMs: number;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
  /** OpenTelemetry: spans always made (trace ids in logs), exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing?: TracingConfig;
  /** The platform's shared token for gRPC calls between services (LEMUR_INTERNAL_TOKEN); unset: no check. */
  internalToken?: string;
  /** Where API keys, members, the audit log and quota overrides are kept. */
  databaseUrl: string;
  /** Quotas of a team that has none of its own. */
  teamDefaults: QuotaLimits;
  /** Local mode: make sure this team has an admin key, kept in this file (created 0600 if missing or no longer valid). */
  bootstrap?: { keyFile: string; team: string };
}

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const p = parseEnv(schema, env, 'gateway');
  return {
    host: p.GATEWAY_HOST,
    port: p.GATEWAY_PORT,
    evalAddr: p.EVAL_ADDR,
    inferenceAddr: p.INFERENCE_ADDR,
    bodyLimitBytes: p.GATEWAY_BODY_LIMIT_BYTES,
    rpcDeadlineMs: p.GATEWAY_RPC_DEADLINE_MS,
    inferenceDeadlineMs: p.GATEWAY_INFERENCE_DEADLINE_MS,
    logLevel: p.LOG_LEVEL,
    ...(p.LEMUR_PARENT_PID ? { parentPid: p.LEMUR_PARENT_PID } : {}),
    tracing: tracingConfigFrom(p),
    ...(p.LEMUR_INTERNAL_TOKEN !== undefined ? { internalToken: p.LEMUR_INTERNAL_TOKEN } : {}),
    databaseUrl: p.DATABASE_URL,
    teamDefaults: teamQuotaDefaultsFrom(p),
    ...(p.GATEWAY_BOOTSTRAP_KEY_FILE ? { bootstrap: { keyFile: p.GATEWAY_BOOTSTRAP_KEY_FILE, team: p.GATEWAY_BOOTSTRAP_TEAM } } : {}),
  };
}
