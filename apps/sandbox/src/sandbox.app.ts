import 'reflect-metadata';
import { sandboxV1 } from '@lemur/proto';
import { startGrpcApp, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import type { SandboxConfig } from './config/sandbox.config';
import { ExecuteService } from './execute/execute.service';
import { SandboxMetrics } from './execute/sandbox.metrics';
import { LocalSandboxBackend } from './local';
import { SandboxModule } from './sandbox.module';

/** Starts the sandbox service on the local backend; fails fast, with the fix, when the host is not set up. */
export async function startSandbox(config: SandboxConfig): Promise<RunningGrpcApp> {
  const logger = createLogger('sandbox', config.logLevel);
  const registry = createMetricsRegistry('sandbox');
  const backend = await LocalSandboxBackend.detect({
    ...(config.stateDir ? { stateDir: config.stateDir } : {}),
    logger: logger.child({ context: 'LocalSandboxBackend' }),
  });
  logger.info({ capabilities: backend.capabilities() }, 'local sandbox backend ready');
  const execute = new ExecuteService(backend, new SandboxMetrics(registry), config.maxConcurrent);
  const app = await startGrpcApp({
    module: SandboxModule.forRoot({ backend, execute }),
    services: [sandboxV1.SandboxService],
    url: config.grpcUrl,
    logger,
    registry,
    metricsPort: config.metricsPort,
  });
  return {
    ...app,
    close: async () => {
      await app.close();
      await backend.dispose();
    },
  };
}
