import type { CliEnvironment } from './config/cli.config';
import { defaultServer, resolveApiKey } from './config/credentials';
import { GatewayClient } from './api/gateway-client';
import { LocalPlatform, gatewayAlive } from './local/local-platform';
import type { SimModel } from './models/sim-models';

/** Where commands send their requests: a running gateway, or a local platform started just for this command. */
export interface PlatformSession {
  client: GatewayClient;
  gatewayUrl: string;
  local: LocalPlatform | null;
  close(): Promise<void>;
}

/**
 * Uses the gateway at `--server`/LEMUR_SERVER when it answers; otherwise (and always with `forceLocal`) starts the local
 * platform for the duration of the command.
 */
export async function openSession(opts: {
  env: CliEnvironment;
  server?: string;
  forceLocal?: boolean;
  simModels?: SimModel[];
  /** A local platform also starts MariaDB for InterCode-SQL (see LocalPlatformOptions.mysql). */
  mysql?: boolean;
  log: (message: string) => void;
}): Promise<PlatformSession> {
  const explicit = opts.server ?? defaultServer(opts.env);
  const url = (explicit ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  // A server the user named gets time to answer (a busy gateway is still the one they meant); the default is a quick probe.
  if (!opts.forceLocal && (opts.simModels?.length ?? 0) === 0 && (await gatewayAlive(url, explicit ? 15_000 : 1_000))) {
    return { client: new GatewayClient(url, resolveApiKey(opts.env, url)), gatewayUrl: url, local: null, close: async () => undefined };
  }
  if (explicit && !opts.forceLocal) {
    throw new Error(`no Lemur gateway answers at ${url}; start one with \`lemur up\` or drop --server to run locally`);
  }
  const local = await LocalPlatform.start({
    env: opts.env,
    gatewayPort: 0,
    ...(opts.simModels ? { extraSimModels: opts.simModels } : {}),
    ...(opts.mysql ? { mysql: true } : {}),
    log: opts.log,
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= local.stop());
  return { client: new GatewayClient(local.gatewayUrl, local.apiKey), gatewayUrl: local.gatewayUrl, local, close };
}
