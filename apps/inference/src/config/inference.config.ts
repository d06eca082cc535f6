import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { z } from 'zod';

const schema = z.object({
  INFERENCE_GRPC_URL: z.string().default('127.0.0.1:50051'),
  INFERENCE_METRICS_PORT: portSchema.default(9461),
  LEMUR_MODELS_FILE: z.string().min(1, 'path of the model registry file (JSON) is required'),
  INFERENCE_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(600_000),
  INFERENCE_STREAM_IDLE_MS: z.coerce.number().int().min(100).default(60_000),
  INFERENCE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
});

/** The inference service's settings, read from the environment once at start-up. */
export interface InferenceConfig {
  grpcUrl: string;
  metricsPort: number;
  modelsFile: string;
  upstreamTimeoutMs: number;
  maxAttempts: number;
  /** A stream that sends nothing for this long is ended with an error (a stalled replica). */
  streamIdleMs: number;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
  /** Environment variables a model entry may name for its API key (`apiKeyEnv`). */
  secrets: Record<string, string | undefined>;
}

export function loadInferenceConfig(env: Record<string, string | undefined> = process.env): InferenceConfig {
  const parsed = parseEnv(schema, env, 'inference');
  return {
    grpcUrl: parsed.INFERENCE_GRPC_URL,
    metricsPort: parsed.INFERENCE_METRICS_PORT,
    modelsFile: parsed.LEMUR_MODELS_FILE,
    upstreamTimeoutMs: parsed.INFERENCE_UPSTREAM_TIMEOUT_MS,
    maxAttempts: parsed.INFERENCE_MAX_ATTEMPTS,
    streamIdleMs: parsed.INFERENCE_STREAM_IDLE_MS,
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.LEMUR_PARENT_PID ? { parentPid: parsed.LEMUR_PARENT_PID } : {}),
    secrets: env,
  };
}
