import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { z } from 'zod';

const schema = z.object({
  SANDBOX_GRPC_URL: z.string().default('127.0.0.1:50052'),
  SANDBOX_METRICS_PORT: portSchema.default(9462),
  SANDBOX_STATE_DIR: z.string().optional(),
  SANDBOX_MAX_CONCURRENT: z.coerce.number().int().min(1).max(512).default(8),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
});

/** The sandbox service's settings, read from the environment once at start-up. */
export interface SandboxConfig {
  grpcUrl: string;
  metricsPort: number;
  stateDir?: string;
  /** Programs run at once; more wait their turn (the machine's cores bound useful parallelism). */
  maxConcurrent: number;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
}

export function loadSandboxConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  const p = parseEnv(schema, env, 'sandbox');
  return {
    grpcUrl: p.SANDBOX_GRPC_URL,
    metricsPort: p.SANDBOX_METRICS_PORT,
    ...(p.SANDBOX_STATE_DIR ? { stateDir: p.SANDBOX_STATE_DIR } : {}),
    maxConcurrent: p.SANDBOX_MAX_CONCURRENT,
    logLevel: p.LOG_LEVEL,
    ...(p.LEMUR_PARENT_PID ? { parentPid: p.LEMUR_PARENT_PID } : {}),
  };
}
