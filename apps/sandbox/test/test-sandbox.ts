import { sandboxV1 } from '@lemur/proto';
import { createGrpcClient } from '@lemur/shared-grpc';
import type { SandboxClient } from '@lemur/shared-sandbox-client';
import { freePort } from '@lemur/shared-testing';
import { loadSandboxConfig } from '../src/config/sandbox.config';
import { startSandbox, type RunningSandbox } from '../src/sandbox.app';

/** The sandbox service started in-process on a free loopback port, with a client. */
export interface TestSandbox {
  app: RunningSandbox;
  client: SandboxClient;
  close(): Promise<void>;
}

/** Starts the sandbox service with `env` over the defaults tests share (free port, no metrics port, silent logs). */
export async function startTestSandbox(env: Record<string, string> = {}, deadlineMs = 30_000): Promise<TestSandbox> {
  const app = await startSandbox(
    loadSandboxConfig({ SANDBOX_GRPC_URL: `127.0.0.1:${await freePort()}`, SANDBOX_METRICS_PORT: '0', LOG_LEVEL: 'silent', ...env }),
  );
  const client = createGrpcClient(sandboxV1.SandboxService, app.grpcUrl, { defaultDeadlineMs: deadlineMs });
  return {
    app,
    client,
    close: async () => {
      client.close();
      await app.close();
    },
  };
}
