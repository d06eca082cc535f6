import { type KubeObject } from '@lemur/shared-testing';

type Json = Record<string, unknown>;

function selects(selector: Json | undefined, labels: Record<string, string>): boolean {
  const match = (selector?.['matchLabels'] as Record<string, string> | undefined) ?? {};
  if (selector?.['matchExpressions']) throw new Error('matchExpressions are not evaluated by this test helper');
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** The NetworkPolicies of `namespace` that select a pod with `labels` for the given direction. */
export function policiesFor(policies: KubeObject[], namespace: string, labels: Record<string, string>, direction: 'Ingress' | 'Egress', releaseNamespace: string): KubeObject[] {
  return policies.filter((p) => {
    const spec = p['spec'] as Json;
    return (p.metadata?.namespace ?? releaseNamespace) === namespace && ((spec['policyTypes'] as string[]) ?? []).includes(direction) && selects(spec['podSelector'] as Json, labels);
  });
}

/** True when some egress rule of the policies selecting the pod admits TCP to `port` on a peer `peerOk` accepts. */
function egressAllows(policies: KubeObject[], namespace: string, labels: Record<string, string>, port: number, releaseNamespace: string, peerOk: (peer: Json) => boolean): boolean {
  const selecting = policiesFor(policies, namespace, labels, 'Egress', releaseNamespace);
  // No policy selecting the pod for egress: Kubernetes allows everything.
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (((p['spec'] as Json)['egress'] as Json[] | undefined) ?? []).some((rule) => {
      const ports = rule['ports'] as Json[] | undefined;
      const to = rule['to'] as Json[] | undefined;
      // No ports: every port; no peers: every destination.
      return (!ports || ports.length === 0 || ports.some((q) => q['port'] === port)) && (!to || to.length === 0 || to.some(peerOk));
    }),
  );
}

/**
 * True when some egress rule admits TCP to `port` on an address outside the cluster's pods (an ipBlock, or any
 * destination): how a pod could reach a database given as an address.
 */
export function egressAllowsAddressPort(policies: KubeObject[], namespace: string, labels: Record<string, string>, port: number, releaseNamespace: string): boolean {
  return egressAllows(policies, namespace, labels, port, releaseNamespace, (peer) => peer['ipBlock'] !== undefined);
}

/**
 * True when some egress rule admits TCP to `port` on pods with `target.labels` in `target.namespace` (a podSelector
 * peer, in the policy's namespace unless a namespaceSelector names another), an ipBlock, or any destination.
 */
export function egressAllowsPodPort(
  policies: KubeObject[],
  namespace: string,
  labels: Record<string, string>,
  port: number,
  target: { labels: Record<string, string>; namespace: string },
  releaseNamespace: string,
): boolean {
  return egressAllows(policies, namespace, labels, port, releaseNamespace, (peer) => {
    if (peer['ipBlock'] !== undefined) return true;
    const nsSelector = peer['namespaceSelector'] as Json | undefined;
    const nsOk = nsSelector === undefined ? target.namespace === namespace : selects(nsSelector, { 'kubernetes.io/metadata.name': target.namespace });
    return nsOk && selects(peer['podSelector'] as Json | undefined, target.labels);
  });
}

/** Every egress rule of the policies selecting a pod (empty: the pod may open no connection, when some policy selects it). */
export function egressRules(policies: KubeObject[], namespace: string, labels: Record<string, string>, releaseNamespace: string): Json[] {
  return policiesFor(policies, namespace, labels, 'Egress', releaseNamespace).flatMap((p) => ((p['spec'] as Json)['egress'] as Json[] | undefined) ?? []);
}
