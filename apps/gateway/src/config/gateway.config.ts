import { logLevelSchema, parseEnv, portSchema } from '@lemur/shared-config';
import { z } from 'zod';

const schema = z.object({
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: portSchema.default(8080),
  EVAL_ADDR: z.string().default('127.0.0.1:50053'),
  INFERENCE_ADDR: z.string().default('127.0.0.1:50051'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  GATEWAY_RPC_DEADLINE_MS: z.coerce.number().int().min(100).default(120_000),
  LOG_LEVEL: logLevelSchema,
  LEMUR_PARENT_PID: z.coerce.number().int().positive().optional(),
});

/** The gateway's settings, read from the environment once at start-up. */
export interface GatewayConfig {
  host: string;
  port: number;
  evalAddr: string;
  inferenceAddr: string;
  bodyLimitBytes: number;
  rpcDeadlineMs: number;
  logLevel: string;
  /** Set by a launcher (`lemur up`): close when that process is gone. */
  parentPid?: number;
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
    logLevel: p.LOG_LEVEL,
    ...(p.LEMUR_PARENT_PID ? { parentPid: p.LEMUR_PARENT_PID } : {}),
  };
}
