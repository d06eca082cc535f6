import { resolve } from 'node:path';

/** What the CLI reads from its environment, once. */
export interface CliEnvironment {
  server: string | undefined;
  databaseUrl: string | undefined;
  modelsFile: string | undefined;
  datasetsDir: string | undefined;
  home: string;
  cwd: string;
  repoRoot: string;
  /** Variables passed through to the services the local platform starts (API keys named by models' apiKeyEnv, PATH...). */
  passthrough: Record<string, string | undefined>;
}

export function loadCliEnvironment(env: Record<string, string | undefined> = process.env): CliEnvironment {
  const repoRoot = resolve(__dirname, '../../../..');
  return {
    server: env.LEMUR_SERVER,
    databaseUrl: env.DATABASE_URL,
    modelsFile: env.LEMUR_MODELS_FILE,
    datasetsDir: env.LEMUR_DATASETS_DIR,
    home: resolve(env.LEMUR_HOME ?? resolve(repoRoot, '.lemur')),
    cwd: process.cwd(),
    repoRoot,
    passthrough: env,
  };
}
