import { type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { type IPod } from 'kubernetes-models/v1/Pod';
import { type Condition, type ConditionType, type LemurModel, type LemurModelStatus } from './lemur-model';

/** What the controller observed about one LemurModel's workload. */
export interface ObservedWorkload {
  deployment: IDeployment | undefined;
  pods: IPod[];
  /** Ready endpoints the router has for the model. */
  endpoints: number;
  desiredReplicas: number;
  /** Set when the spec cannot be served (reason, message). */
  specProblem?: { reason: string; message: string };
  lastScaleTime?: string;
}

interface PodProblem {
  reason: string;
  message: string;
}

/** Most actionable first: a bad image or no GPU node blocks every replica; OOM or crashes may be load-dependent. */
const PROBLEM_PRIORITY = ['ImagePullBackOff', 'Unschedulable', 'OOMKilled', 'CrashLoopBackOff', 'CreateContainerConfigError', 'ProgressDeadlineExceeded'];

/** Why a pod cannot serve, read from its status as the kubelet and scheduler report it. */
export function podProblem(pod: IPod): PodProblem | undefined {
  const name = pod.metadata?.name ?? '?';
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    return { reason: 'Unschedulable', message: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'no node fits'}` };
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = cs.state?.waiting?.reason;
    if (waiting === 'ImagePullBackOff' || waiting === 'ErrImagePull' || waiting === 'InvalidImageName')
      return { reason: 'ImagePullBackOff', message: `pod ${name}: cannot pull image ${cs.image}: ${cs.state?.waiting?.message ?? waiting}` };
    const terminated = cs.state?.terminated?.reason ?? cs.lastState?.terminated?.reason;
    if (terminated === 'OOMKilled')
      return { reason: 'OOMKilled', message: `pod ${name}: container ${cs.name} was killed for exceeding its memory limit (restarts: ${cs.restartCount}); raise engine.resources.memory or lower maxModelLen` };
    if (waiting === 'CrashLoopBackOff') return { reason: 'CrashLoopBackOff', message: `pod ${name}: container ${cs.name} keeps crashing (restarts: ${cs.restartCount})` };
    if (waiting === 'CreateContainerConfigError') return { reason: 'CreateContainerConfigError', message: `pod ${name}: ${cs.state?.waiting?.message ?? waiting}` };
  }
  return undefined;
}

function condition(type: ConditionType, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/**
 * The LemurModel status for what was observed: replica counts and the Progressing / Available / Degraded conditions
 * (Degraded names the first blocking reason: ImagePullBackOff, Unschedulable, OOMKilled …). Pure; a condition keeps
 * its lastTransitionTime while its status does not change.
 */
export function computeStatus(model: LemurModel, observed: ObservedWorkload, now: string): LemurModelStatus {
  const generation = model.metadata?.generation;
  const dep = observed.deployment;
  const ready = dep?.status?.readyReplicas ?? 0;
  const replicas = dep?.status?.replicas ?? 0;
  const problems: PodProblem[] = observed.pods.map(podProblem).filter((p): p is PodProblem => p !== undefined);
  const stalled = dep?.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stalled) problems.push({ reason: 'ProgressDeadlineExceeded', message: stalled.message ?? 'the rollout did not finish in time' });
  problems.sort((a, b) => PROBLEM_PRIORITY.indexOf(a.reason) - PROBLEM_PRIORITY.indexOf(b.reason));
  const problem = observed.specProblem ?? problems[0];

  const rolledOut =
    dep !== undefined &&
    (dep.status?.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0) &&
    (dep.status?.updatedReplicas ?? 0) >= observed.desiredReplicas &&
    ready >= observed.desiredReplicas &&
    replicas <= observed.desiredReplicas;

  const conditions: Condition[] = [
    observed.specProblem
      ? condition('Progressing', false, observed.specProblem.reason, observed.specProblem.message)
      : rolledOut
        ? condition('Progressing', false, 'RolloutComplete', `${ready} of ${observed.desiredReplicas} replicas ready`)
        : condition('Progressing', true, dep ? 'RollingOut' : 'Creating', `${ready} of ${observed.desiredReplicas} replicas ready`),
    ready > 0 && observed.endpoints > 0
      ? condition('Available', true, 'ReplicasReady', `${observed.endpoints} endpoint(s) serving`)
      : observed.desiredReplicas === 0 && !observed.specProblem
        ? condition('Available', false, 'ScaledToZero', 'no replicas while idle; the next request starts one')
        : condition('Available', false, 'NoReadyReplicas', problem ? problem.message : 'waiting for a replica to load the model and pass its readiness probe'),
    problem ? condition('Degraded', true, problem.reason, problem.message) : condition('Degraded', false, 'AsExpected', 'no problems seen'),
  ];
  const previous = model.status?.conditions ?? [];
  const stamped = conditions.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return { ...c, observedGeneration: generation, lastTransitionTime: before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now };
  });
  return {
    observedGeneration: generation,
    desiredReplicas: observed.desiredReplicas,
    replicas,
    readyReplicas: ready,
    endpoints: observed.endpoints,
    ...(observed.lastScaleTime ? { lastScaleTime: observed.lastScaleTime } : {}),
    conditions: stamped,
  };
}
