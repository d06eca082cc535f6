import 'reflect-metadata';
import { evalV1, inferenceV1, sandboxV1 } from '@lemur/proto';
import { createPrismaClient } from '@lemur/shared-database';
import { createGrpcClient, startGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry, startMetricsServer } from '@lemur/shared-metrics';
import { BenchmarkCatalog } from './benchmarks/benchmark-catalog';
import type { EvalConfig } from './config/eval.config';
import { EvalModule } from './eval.module';
import { InferenceModelDirectory } from './models/inference-model-directory';
import { SampleQueue } from './queue/sample-queue';
import { RunFinalizer } from './runs/run-finalizer';
import { RunRepository } from './runs/run.repository';
import { SampleRepository } from './runs/sample.repository';
import { StartRunUseCase } from './runs/start-run/start-run.usecase';
import { SandboxExecutor } from './sandbox/sandbox-executor';
import { EvalMetrics } from './worker/eval.metrics';
import { SampleProcessor } from './worker/sample-processor';
import { SampleWorker } from './worker/sample-worker';

/** A running eval service: its addresses and a graceful stop (workers finish their samples first). */
export interface RunningEval {
  grpcUrl: string | null;
  metricsUrl: string;
  close(): Promise<void>;
}

/** The composition root of the eval service: API and/or workers, per configuration. */
export async function startEval(config: EvalConfig): Promise<RunningEval> {
  const logger = createLogger('eval', config.logLevel);
  const registry = createMetricsRegistry('eval');
  const prisma = createPrismaClient(config.databaseUrl);
  const runs = new RunRepository(prisma);
  const samples = new SampleRepository(prisma);
  const queue = new SampleQueue(
    config.databaseUrl,
    {
      expireInSeconds: config.jobExpireSeconds,
      maintenanceSeconds: config.queueMaintenanceSeconds,
      retryLimit: config.sampleMaxAttempts + 2,
    },
    logger.child({ context: 'SampleQueue' }),
  );
  await queue.start();
  const metrics = new EvalMetrics(registry);
  const inference = createGrpcClient(inferenceV1.InferenceService, config.inferenceAddr, { defaultDeadlineMs: config.sampleTimeoutMs });
  const sandbox = createGrpcClient(sandboxV1.SandboxService, config.sandboxAddr, { defaultDeadlineMs: 120_000 });
  const catalog = new BenchmarkCatalog(config.datasets);
  const finalizer = new RunFinalizer(runs, samples, queue, logger.child({ context: 'RunFinalizer' }), (status) =>
    metrics.runsFinished.inc({ status }),
  );

  let worker: SampleWorker | undefined;
  if (config.workers) {
    const processor = new SampleProcessor(catalog, inference, new SandboxExecutor(sandbox, 'eval'), {
      sampleTimeoutMs: config.sampleTimeoutMs,
      maxAttempts: config.sampleMaxAttempts,
    });
    worker = new SampleWorker(queue, runs, samples, processor, finalizer, metrics, logger.child({ context: 'SampleWorker' }), {
      concurrency: config.workerConcurrency,
    });
    worker.start();
  }

  let closeApi: () => Promise<void> = async () => undefined;
  let grpcUrl: string | null = null;
  let metricsUrl: string;
  if (config.serveApi) {
    const startRun = new StartRunUseCase(runs, catalog, new InferenceModelDirectory(inference), queue, logger.child({ context: 'StartRunUseCase' }), {
      platformVersion: config.platformVersion,
      defaultConcurrency: config.defaultRunConcurrency,
    });
    const app = await startGrpcApp({
      module: EvalModule.forRoot({ runs, samples, catalog, finalizer, startRun }),
      services: [evalV1.EvalService],
      url: config.grpcUrl,
      logger,
      registry,
      metricsPort: config.metricsPort,
    });
    closeApi = app.close;
    grpcUrl = app.grpcUrl;
    metricsUrl = app.metricsUrl;
  } else {
    const server = await startMetricsServer(registry, config.metricsPort);
    closeApi = server.close;
    metricsUrl = server.url;
    logger.info({ metrics: metricsUrl }, 'eval worker started');
  }

  return {
    grpcUrl,
    metricsUrl,
    close: async () => {
      await worker?.stop();
      await closeApi();
      await queue.stop();
      inference.close();
      sandbox.close();
      await prisma.$disconnect();
    },
  };
}
