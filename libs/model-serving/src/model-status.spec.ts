import { type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { type IPod } from 'kubernetes-models/v1/Pod';
import { describe, expect, it } from 'vitest';
import { type LemurModel } from './lemur-model';
import { computeStatus } from './model-status';

const model: LemurModel = { metadata: { name: 'm', generation: 3 }, spec: { modelName: 'm', source: { huggingFace: { repo: 'a/b', revision: 'r' } }, engine: { image: 'i:v1', tensorParallelSize: 1 } } };
const deployment = (ready: number, replicas = ready): IDeployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { generation: 2 },
  spec: { selector: {}, template: {} },
  status: { observedGeneration: 2, replicas, updatedReplicas: replicas, readyReplicas: ready },
});
const pod = (status: IPod['status']): IPod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'm-abc' }, status });
const byType = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions?.find((c) => c.type === type);
const NOW = '2026-01-01T00:00:00Z';

describe('computeStatus', () => {
  it('is Available and not Progressing once every desired replica is ready and serving', () => {
    const s = computeStatus(model, { deployment: deployment(2), pods: [], endpoints: 2, desiredReplicas: 2 }, NOW);
    expect(s).toMatchObject({ observedGeneration: 3, readyReplicas: 2, endpoints: 2 });
    expect(byType(s, 'Available')).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
    expect(byType(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(byType(s, 'Degraded')).toMatchObject({ status: 'False' });
  });

  it.each([
    [{ containerStatuses: [{ name: 'vllm', image: 'vllm:bad', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] }, 'ImagePullBackOff'],
    [{ containerStatuses: [{ name: 'vllm', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] }, 'OOMKilled'],
    [{ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes have enough nvidia.com/gpu' }] }, 'Unschedulable'],
  ] as [IPod['status'], string][])('reports Degraded with reason %#: %s', (status, reason) => {
    const s = computeStatus(model, { deployment: deployment(0, 1), pods: [pod(status)], endpoints: 0, desiredReplicas: 1 }, NOW);
    expect(byType(s, 'Degraded')).toMatchObject({ status: 'True', reason });
    expect(byType(s, 'Available')).toMatchObject({ status: 'False', reason: 'NoReadyReplicas' });
    expect(byType(s, 'Progressing')).toMatchObject({ status: 'True' });
  });

  it('prefers the blocking reason when pods fail differently', () => {
    const oom = pod({ containerStatuses: [{ name: 'vllm', image: 'i', imageID: '', ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] });
    const pull = pod({ containerStatuses: [{ name: 'vllm', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] });
    expect(byType(computeStatus(model, { deployment: deployment(0, 2), pods: [oom, pull], endpoints: 0, desiredReplicas: 2 }, NOW), 'Degraded')?.reason).toBe('ImagePullBackOff');
  });

  it('says ScaledToZero at zero replicas, and keeps lastTransitionTime while a status holds', () => {
    const first = computeStatus(model, { deployment: deployment(0, 0), pods: [], endpoints: 0, desiredReplicas: 0 }, NOW);
    expect(byType(first, 'Available')).toMatchObject({ status: 'False', reason: 'ScaledToZero' });
    const later = computeStatus({ ...model, status: first }, { deployment: deployment(0, 0), pods: [], endpoints: 0, desiredReplicas: 0 }, '2026-01-01T01:00:00Z');
    expect(byType(later, 'Available')?.lastTransitionTime).toBe(NOW);
    const up = computeStatus({ ...model, status: later }, { deployment: deployment(1), pods: [], endpoints: 1, desiredReplicas: 1 }, '2026-01-01T02:00:00Z');
    expect(byType(up, 'Available')?.lastTransitionTime).toBe('2026-01-01T02:00:00Z');
  });

  it('reports a spec problem as Degraded without claiming progress', () => {
    const s = computeStatus(model, { deployment: undefined, pods: [], endpoints: 0, desiredReplicas: 0, specProblem: { reason: 'InvalidSpec', message: 'minReplicas exceeds maxReplicas' } }, NOW);
    expect(byType(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(byType(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });
});
