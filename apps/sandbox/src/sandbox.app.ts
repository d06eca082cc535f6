import 'reflect-metadata';
import { sandboxV1 } from '@lemur/proto';
import { startGrpcApp, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createLogger, type Logger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import type { Registry } from 'prom-client';
import type { SandboxConfig } from './config/sandbox.config';
import { ExecuteService } from './execute/execute.service';
import { SandboxMetrics } from './execute/sandbox.metrics';
import { KubernetesSandboxBackend, KubernetesSandboxMetrics } from './kubernetes';
import { ExecPoolMetrics, LocalSandboxBackend } from './local';
import { SandboxModule } from './sandbox.module';
import { SessionMetrics, SessionPool, SessionService } from './session';
import { SqlExecuteService, findSpiderDump } from './sql';

/** The configured backend: local bubblewrap, the in-pod runner (SANDBOX_MODE=runner), or Kubernetes pods. */
async function startBackend(config: SandboxConfig, registry: Registry, logger: Logger): Promise<LocalSandboxBackend | KubernetesSandboxBackend> {
  if (config.mode === 'service' && config.kubernetes) {
    return KubernetesSandboxBackend.start({
      config: config.kubernetes,
      policy: config.limitPolicy,
      metrics: new KubernetesSandboxMetrics(registry),
      logger: logger.child({ context: 'KubernetesSandboxBackend' }),
    });
  }
  return LocalSandboxBackend.detect({
    ...(config.stateDir ? { stateDir: config.stateDir } : {}),
    ...(config.workspaceRoot ? { workspaceRoot: config.workspaceRoot } : {}),
    // A runner's scratch directories are its pod's emptyDirs, mounted already.
    scratchDirs: config.mode === 'runner' ? [] : config.scratchDirs,
    logger: logger.child({ context: 'LocalSandboxBackend' }),
    policy: config.limitPolicy,
    isolation: config.mode === 'runner' ? 'pod' : 'bwrap',
  });
}

/** The running sandbox service. */
export interface RunningSandbox extends RunningGrpcApp {
  /** Resolves once the local backend's one-shot warm pool is full with no start in flight (at once without a pool). */
  execPoolFull(): Promise<void>;
}

/** Starts the sandbox service on its backend; fails fast, with the fix, when the host or cluster is not set up. */
export async function startSandbox(config: SandboxConfig): Promise<RunningSandbox> {
  const logger = createLogger('sandbox', config.logLevel);
  const registry = createMetricsRegistry('sandbox');
  const backend = await startBackend(config, registry, logger);
  logger.info({ capabilities: backend.describe() }, 'sandbox backend ready');
  const mysqlDumpFile = config.mysqlDumpFile ?? (config.mysqlUrl ? findSpiderDump() : null);
  const sql = await SqlExecuteService.start({
    backend,
    logger,
    ...(config.mysqlUrl ? { mysqlUrl: config.mysqlUrl } : {}),
    ...(mysqlDumpFile ? { mysqlDumpFile } : {}),
    mysqlDatabasePrefix: config.mysqlDatabasePrefix,
  });
  const runMetrics = new SandboxMetrics(registry);
  const execute = new ExecuteService(backend, runMetrics, { maxConcurrent: config.maxConcurrent, sql, poolQuietMs: config.execPool.quietMs });
  // Kubernetes keeps warm pods instead; the in-pod runner (SANDBOX_MODE=runner) has no bwrap chain to pre-start.
  if (backend instanceof LocalSandboxBackend) {
    backend.startExecPool({
      size: config.execPool.size,
      parallelStarts: config.execPool.parallelStarts,
      metrics: new ExecPoolMetrics(registry),
      // Pre-starts use only the run slots left idle, never the cores the runs are using.
      gate: execute.idle,
    });
  }
  const sessionMetrics = new SessionMetrics(registry);
  const sessionLogger = logger.child({ context: 'SessionService' });
  // Kubernetes keeps its own warm pool of pods; pre-starting sessions there would only hold pods claimed.
  const pool = new SessionPool(backend, backend instanceof KubernetesSandboxBackend ? 0 : config.sessions.poolSize, ['python', 'bash'], sessionMetrics, sessionLogger);
  const sessions = new SessionService(backend, pool, config.sessions.policy, sessionMetrics, runMetrics, sessionLogger);
  pool.start();
  const app = await startGrpcApp({
    module: SandboxModule.forRoot({ backend, execute, sessions }),
    services: [sandboxV1.SandboxService],
    url: config.grpcUrl,
    logger,
    registry,
    metricsPort: config.metricsPort,
    ...(config.internalToken !== undefined ? { internalToken: config.internalToken } : {}),
  });
  return {
    ...app,
    execPoolFull: () => (backend instanceof LocalSandboxBackend ? backend.execPoolFull() : Promise.resolve()),
    close: async () => {
      await app.close();
      execute.idle.dispose();
      await sessions.dispose();
      await backend.dispose();
      await sql.close();
    },
  };
}
