import { randomBytes } from 'node:crypto';
import { createKubeConfig, KubeClient } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { Registry } from 'prom-client';
import type { InferenceConfig } from '../config/inference.config';
import type { ModelRegistry } from '../registry/model-registry';
import { KubernetesMetrics } from './kubernetes.metrics';
import { LeaderElector } from './leader.elector';
import { type ColdStart, LemurModelController } from './lemur-model.controller';
import { ModelActivityTracker, type RequestActivity } from './model-activity.tracker';
import { ReplicaLoadReader } from './replica-load.reader';

/** The Lease in the models namespace that the inference replicas compete for; its holder runs the controller's writes. */
export const CONTROLLER_LEASE_NAME = 'lemur-inference-controller';

/** The running controller: its scale-from-zero hook and request tracking for GenerateService, and how to stop it. */
export interface RunningModelController {
  coldStart: ColdStart;
  activity: RequestActivity;
  controller: LemurModelController;
  close(): Promise<void>;
}

/**
 * Connects to the API server named by the config, starts watching LemurModels in `models` (every replica routes), and
 * competes for the controller lease (only its holder reconciles and autoscales).
 */
export async function startModelController(
  config: NonNullable<InferenceConfig['kubernetes']>,
  models: ModelRegistry,
  registry: Registry,
  logger: Logger,
): Promise<RunningModelController> {
  const kubeConfig = createKubeConfig(config.server ? { server: config.server } : config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : { inCluster: true });
  const client = new KubeClient(kubeConfig);
  const loads = new ReplicaLoadReader(2_000);
  const activity = new ModelActivityTracker();
  const metrics = new KubernetesMetrics(registry);
  const controller = new LemurModelController(
    client,
    models,
    loads,
    {
      namespace: config.namespace,
      autoscaleIntervalMs: config.autoscaleIntervalMs,
      coldStartTimeoutMs: config.coldStartTimeoutMs,
      activityPublishIntervalMs: config.activityPublishIntervalMs,
    },
    logger.child({ context: 'LemurModelController' }),
    metrics,
    activity,
  );
  await controller.start();
  metrics.leader.set(0);
  const elector = new LeaderElector(
    client,
    {
      namespace: config.namespace,
      leaseName: CONTROLLER_LEASE_NAME,
      // A restarted pod keeps its name; the suffix keeps it from renewing a lease its previous process held.
      identity: `${config.leaderElection.podName}-${randomBytes(4).toString('hex')}`,
      leaseDurationSeconds: config.leaderElection.leaseDurationSeconds,
    },
    {
      onStartedLeading: () => {
        metrics.leader.set(1);
        metrics.leaderTransitions.inc({ direction: 'started' });
        controller.setLeading(true);
      },
      onStoppedLeading: () => {
        metrics.leader.set(0);
        metrics.leaderTransitions.inc({ direction: 'stopped' });
        controller.setLeading(false);
      },
    },
    logger.child({ context: 'LeaderElector' }),
  );
  elector.start();
  return {
    coldStart: controller,
    activity,
    controller,
    close: async () => {
      // The controller stops writing before the lease is released, so the next leader never overlaps with it.
      await controller.stop();
      await elector.stop();
      await loads.close();
    },
  };
}
