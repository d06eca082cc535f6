export { KubernetesSandboxBackend } from './kubernetes-sandbox.backend';
export { KubernetesSandboxMetrics } from './kubernetes.metrics';
export { PodPool, type ClaimedPod, type PodPoolOptions } from './pod-pool';
export { PodSweeper, type SweepResult } from './pod-sweeper';
