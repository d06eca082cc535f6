import 'reflect-metadata';
import { evalV1, inferenceV1, sandboxV1 } from '@lemur/proto';
import { createPrismaClient } from '@lemur/shared-database';
import { createGrpcClient, listenHostOf, startGrpcApp } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry, startMetricsServer } from '@lemur/shared-metrics';
import { AuditEntryRepository, RunQuotaRepository, TeamRunQuotas } from '@lemur/shared-run-admission';
import { SandboxExecutor } from '@lemur/shared-sandbox-client';
import { BenchmarkCatalog } from './benchmarks/benchmark-catalog';
import type { EvalConfig } from './config/eval.config';
import { EvalModule } from './eval.module';
import { InferenceModelDirectory } from './models/inference-model-directory';
import { SampleQueue } from './queue/sample-queue';
import { RunFinalizer } from './runs/run-finalizer';
import { RunRepository } from './runs/run.repository';
import { SampleRepository } from './runs/sample.repository';
import { BacklogMetrics } from './runs/backlog.metrics';
import { CompareRunsUseCase } from './runs/compare-runs/compare-runs.usecase';
import { DeleteRunUseCase } from './runs/delete-run/delete-run.usecase';
import { StartRunUseCase } from './runs/start-run/start-run.usecase';
import { RescoreRunUseCase } from './runs/rescore-run/rescore-run.usecase';
import { RetryErroredUseCase } from './runs/retry-errored/retry-errored.usecase';
import { exportSamplesHandler } from './runs/export-samples/export-samples.grpc-handler';
import { SampleExportRepository } from './runs/export-samples/sample-export.repository';
import { CheckRegressionUseCase } from './schedules/check-regression.usecase';
import { RegressionWebhook } from './schedules/regression-webhook';
import { RegressionMetrics } from './schedules/regression.metrics';
import { RunScheduler } from './schedules/run-scheduler.service';
import { ScheduleAdmissionMetrics } from './schedules/schedule-admission.metrics';
import { ScheduleMetrics } from './schedules/schedule.metrics';
import { ScheduleRepository } from './schedules/schedule.repository';
import { WebhookDeliveryMetrics } from './schedules/webhook-delivery.metrics';
import { GrpcSandboxDirectory } from './sandbox/sandbox-directory';
import { GetSuiteUseCase } from './suites/get-suite.usecase';
import { StartSuiteUseCase } from './suites/start-suite/start-suite.usecase';
import { SuiteRunRepository } from './suites/suite-run.repository';
import { SandboxSessionClient } from './sandbox/sandbox-session-client';
import { OfflineStubToolProvider } from './worker/agent-tool-provider';
import { PublishedWikipediaToolProvider } from './worker/published-wikipedia-tool-provider';
import { EpisodeRunner } from './worker/episode-runner';
import { HttpEnvironmentClient } from './environment/environment-client';
import { EvalMetrics } from './worker/eval.metrics';
import { SampleProcessor } from './worker/sample-processor';
import { SampleRescorer } from './worker/sample-rescorer';
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
  const inference = createGrpcClient(inferenceV1.InferenceService, config.inferenceAddr, { defaultDeadlineMs: config.sampleTimeoutMs, internalToken: config.internalToken });
  const sandbox = createGrpcClient(sandboxV1.SandboxService, config.sandboxAddr, { defaultDeadlineMs: 120_000, internalToken: config.internalToken });
  const catalog = new BenchmarkCatalog(config.datasets);
  const benchmarkNames = catalog.list().map((b) => b.name);
  const regressionMetrics = new RegressionMetrics(registry);
  const schedules = new ScheduleRepository(prisma);
  const webhook = new RegressionWebhook(logger.child({ context: 'RegressionWebhook' }), {
    allowPrivate: config.webhook.allowPrivate,
    metrics: new WebhookDeliveryMetrics(registry),
  });
  const checkRegression = new CheckRegressionUseCase(
    runs,
    samples,
    schedules,
    webhook,
    logger.child({ context: 'CheckRegressionUseCase' }),
    (c, schedule) => regressionMetrics.record(c, schedule),
  );
  const finalizer = new RunFinalizer(
    runs,
    samples,
    queue,
    logger.child({ context: 'RunFinalizer' }),
    (status) => metrics.runsFinished.inc({ status }),
    (runId) => checkRegression.execute(runId),
  );

  let worker: SampleWorker | undefined;
  if (config.workers) {
    // Code and sessions run as each run's team (its name), so every team has its own sandbox session cap.
    const executorFor = (team: string) => new SandboxExecutor(sandbox, team);
    // Agent benchmarks (MINT): each turn gets the per-request deadline; tools answer as EVAL_TOOL_PROVIDER says.
    const tools =
      config.toolProvider.name === 'published-wikipedia-cache'
        ? PublishedWikipediaToolProvider.fromOutputsDir(config.toolProvider.outputsDir)
        : new OfflineStubToolProvider();
    logger.info({ toolProvider: tools.name }, 'agent tool provider ready');
    const episodes = new EpisodeRunner(inference, (team) => new SandboxSessionClient(sandbox, team), executorFor, tools, {
      turnTimeoutMs: config.sampleTimeoutMs,
      onTurnOverhead: (benchmark, seconds) => metrics.agentTurnOverhead.observe({ benchmark }, seconds),
      logger: logger.child({ context: 'EpisodeRunner' }),
      ...(config.environmentUrl ? { environment: new HttpEnvironmentClient(config.environmentUrl) } : {}),
    });
    const processor = new SampleProcessor(
      catalog,
      inference,
      executorFor,
      { sampleTimeoutMs: config.sampleTimeoutMs, maxAttempts: config.sampleMaxAttempts },
      episodes,
      new SampleRescorer(samples, executorFor),
    );
    worker = new SampleWorker(queue, runs, samples, processor, finalizer, metrics, logger.child({ context: 'SampleWorker' }), {
      concurrency: config.workerConcurrency,
      initialModelConcurrency: config.initialModelConcurrency,
    });
    worker.start();
  }

  let closeApi: () => Promise<void> = async () => undefined;
  let grpcUrl: string | null = null;
  let metricsUrl: string;
  if (config.serveApi) {
    new BacklogMetrics(registry, benchmarkNames, () => samples.pendingByBenchmark());
    new ScheduleMetrics(registry, () => schedules.listAll());
    const startRun = new StartRunUseCase(runs, catalog, new InferenceModelDirectory(inference), queue, logger.child({ context: 'StartRunUseCase' }), {
      platformVersion: config.platformVersion,
      defaultConcurrency: config.defaultRunConcurrency,
      toolProvider: config.toolProvider.name,
      ...(config.environmentUrl ? { environmentUrl: config.environmentUrl } : {}),
      sandbox: new GrpcSandboxDirectory(sandbox),
    });
    const suiteRuns = new SuiteRunRepository(prisma);
    const app = await startGrpcApp({
      module: EvalModule.forRoot({
        runs,
        samples,
        catalog,
        finalizer,
        startRun,
        compareRuns: new CompareRunsUseCase(runs, samples),
        deleteRun: new DeleteRunUseCase(runs, queue, logger.child({ context: 'DeleteRunUseCase' })),
        rescoreRun: new RescoreRunUseCase(runs, samples, catalog, queue, logger.child({ context: 'RescoreRunUseCase' }), {
          platformVersion: config.platformVersion,
        }),
        retryErrored: new RetryErroredUseCase(runs, queue, logger.child({ context: 'RetryErroredUseCase' })),
        schedules,
        startSuite: new StartSuiteUseCase(suiteRuns, runs, catalog, new InferenceModelDirectory(inference), startRun, logger.child({ context: 'StartSuiteUseCase' })),
        getSuite: new GetSuiteUseCase(suiteRuns, runs, finalizer),
      }),
      services: [evalV1.EvalService],
      rawHandlers: [exportSamplesHandler(runs, new SampleExportRepository(prisma), logger.child({ context: 'ExportSamples' }))],
      url: config.grpcUrl,
      logger,
      registry,
      metricsPort: config.metricsPort,
      ...(config.internalToken !== undefined ? { internalToken: config.internalToken } : {}),
    });
    if (config.scheduler.enabled) {
      // Scheduled runs meet the same team quotas as API starts, under the same lock, and are audited like them.
      const admission = {
        quotas: new TeamRunQuotas(new RunQuotaRepository(prisma), config.teamDefaults, 120_000),
        audit: new AuditEntryRepository(prisma),
        benchmarks: catalog.list().map((b) => ({ name: b.name, version: b.version, items: b.dataset.items })),
        metrics: new ScheduleAdmissionMetrics(registry),
      };
      const scheduler = new RunScheduler(schedules, startRun, admission, logger.child({ context: 'RunScheduler' }), { pollMs: config.scheduler.pollMs });
      scheduler.start();
      closeApi = async () => {
        await scheduler.stop();
        await app.close();
      };
    } else {
      closeApi = app.close;
    }
    grpcUrl = app.grpcUrl;
    metricsUrl = app.metricsUrl;
  } else {
    const server = await startMetricsServer(registry, config.metricsPort, listenHostOf(config.grpcUrl));
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
      await webhook.close();
      await prisma.$disconnect();
    },
  };
}
