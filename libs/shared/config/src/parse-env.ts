import { z } from 'zod';

/** Parses an app's environment once at start-up; fails with every bad variable named, so the operator can fix them all. */
export function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>, app: string): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${app}: invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** A TCP port from the environment (0 lets the OS choose). */
export const portSchema = z.coerce.number().int().min(0).max(65535);

/** A log level pino understands. */
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
