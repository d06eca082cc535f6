import { join } from 'node:path';
import { sandboxV1 } from '@lemur/proto';
import { createGrpcClient, type GrpcClient } from '@lemur/shared-grpc';
import type { CliEnvironment } from '../config/cli.config';
import { freePort } from '@lemur/shared-config';
import { ServiceProcess } from '../local/service-process';

/** A typed client of lemur.sandbox.v1.SandboxService. */
export type SandboxClient = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;

/** A sandbox service to talk to, and how to let go of it. */
export interface SandboxConnection {
  client: SandboxClient;
  address: string;
  close(): Promise<void>;
}

/** The admin URL given to a sandbox the CLI starts when SQL names a MySQL database and none is configured. */
export const DEFAULT_SANDBOX_MYSQL_URL = 'mysql://root@127.0.0.1:3306';
const CALL_DEADLINE_MS = 10 * 60_000;

/**
 * Connects to the sandbox at `--sandbox`/LEMUR_SANDBOX_ADDR, or starts the sandbox service alone (no database, no
 * gateway: it is the only service these commands need) and stops it on close.
 */
export async function openSandbox(opts: {
  env: CliEnvironment;
  address?: string;
  /** Give a started service a MySQL server (SANDBOX_MYSQL_URL, else 127.0.0.1:3306). */
  mysql?: boolean;
  log: (message: string) => void;
}): Promise<SandboxConnection> {
  const address = opts.address ?? opts.env.sandboxAddr;
  if (address) {
    const client = createGrpcClient(sandboxV1.SandboxService, address, {
      defaultDeadlineMs: CALL_DEADLINE_MS,
      internalToken: opts.env.passthrough.LEMUR_INTERNAL_TOKEN,
    });
    try {
      await client.getCapabilities({}, { deadlineMs: 5_000 });
    } catch (err) {
      client.close();
      throw new Error(`no sandbox service answers at ${address} (${(err as Error).message}); start one or drop --sandbox to start one here`);
    }
    return { client, address, close: async () => client.close() };
  }
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const env = opts.env.passthrough;
  const service = ServiceProcess.start({
    name: 'sandbox-cli',
    repoRoot: opts.env.repoRoot,
    entry: 'apps/sandbox/src/main.ts',
    env: {
      ...env,
      SANDBOX_GRPC_URL: `127.0.0.1:${grpcPort}`,
      SANDBOX_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      ...(opts.mysql && !env.SANDBOX_MYSQL_URL ? { SANDBOX_MYSQL_URL: DEFAULT_SANDBOX_MYSQL_URL } : {}),
    },
    logDir: join(opts.env.home, 'logs'),
  });
  try {
    await service.waitReady(`http://127.0.0.1:${metricsPort}/healthz`);
  } catch (err) {
    await service.stop();
    throw err;
  }
  const local = `127.0.0.1:${grpcPort}`;
  const client = createGrpcClient(sandboxV1.SandboxService, local, { defaultDeadlineMs: CALL_DEADLINE_MS, internalToken: env.LEMUR_INTERNAL_TOKEN });
  return {
    client,
    address: local,
    close: async () => {
      client.close();
      await service.stop();
    },
  };
}
