import { createKubeConfig, KubeClient } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { Registry } from 'prom-client';
import type { InferenceConfig } from '../config/inference.config';
import type { ModelRegistry } from '../registry/model-registry';
import { KubernetesMetrics } from './kubernetes.metrics';
import { type ColdStart, LemurModelController } from './lemur-model.controller';
import { ModelActivityTracker, type RequestActivity } from './model-activity.tracker';
import { ReplicaLoadReader } from './replica-load.reader';

/** The running controller: its scale-from-zero hook and request tracking for GenerateService, and how to stop it. */
export interface RunningModelController {
  coldStart: ColdStart;
  activity: RequestActivity;
  controller: LemurModelController;
  close(): Promise<void>;
}

/** Connects to the API server named by the config and starts reconciling LemurModels into `models`. */
export async function startModelController(
  config: NonNullable<InferenceConfig['kubernetes']>,
  models: ModelRegistry,
  registry: Registry,
  logger: Logger,
): Promise<RunningModelController> {
  const kubeConfig = createKubeConfig(config.server ? { server: config.server } : config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : { inCluster: true });
  const loads = new ReplicaLoadReader(2_000);
  const activity = new ModelActivityTracker();
  const controller = new LemurModelController(
    new KubeClient(kubeConfig),
    models,
    loads,
    { namespace: config.namespace, autoscaleIntervalMs: config.autoscaleIntervalMs, coldStartTimeoutMs: config.coldStartTimeoutMs },
    logger.child({ context: 'LemurModelController' }),
    new KubernetesMetrics(registry),
    activity,
  );
  await controller.start();
  return {
    coldStart: controller,
    activity,
    controller,
    close: async () => {
      await controller.stop();
      await loads.close();
    },
  };
}
