import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** What the CLI reads from its environment, once. */
export interface CliEnvironment {
  server: string | undefined;
  /** LEMUR_API_KEY: the key sent to the gateway, over any profile. */
  apiKey: string | undefined;
  /** The profiles file `lemur login` writes (LEMUR_CONFIG, default ~/.config/lemur/config.json). */
  configFile: string;
  /** LEMUR_PROFILE: which profile of the config file to use (default: the file's `current`). */
  profile: string | undefined;
  /** A running sandbox service (host:port) for `lemur sandbox`; unset: the command starts one for itself. */
  sandboxAddr: string | undefined;
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
    apiKey: env.LEMUR_API_KEY,
    configFile: resolve(env.LEMUR_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lemur', 'config.json')),
    profile: env.LEMUR_PROFILE,
    sandboxAddr: env.LEMUR_SANDBOX_ADDR,
    databaseUrl: env.DATABASE_URL,
    modelsFile: env.LEMUR_MODELS_FILE,
    datasetsDir: env.LEMUR_DATASETS_DIR,
    home: resolve(env.LEMUR_HOME ?? resolve(repoRoot, '.lemur')),
    cwd: process.cwd(),
    repoRoot,
    passthrough: env,
  };
}
