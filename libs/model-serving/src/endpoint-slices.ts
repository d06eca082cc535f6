import { type IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { HTTP_PORT_NAME } from './names';

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Base URLs of the ready endpoints in a Service's EndpointSlices, sorted and de-duplicated (an address may appear in
 * two slices while they are rebalanced). An endpoint counts when `ready` is not false and it is not terminating,
 * as the Kubernetes docs define readiness for consumers; the port is the slice's `http` port.
 */
export function readyEndpointUrls(slices: IEndpointSlice[]): string[] {
  const urls = new Set<string>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => p.name === HTTP_PORT_NAME)?.port ?? slice.ports?.[0]?.port;
    if (port === undefined || port === null) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
      for (const address of endpoint.addresses) urls.add(`http://${slice.addressType === 'IPv6' ? `[${address}]` : address}:${port}`);
    }
  }
  return [...urls].sort();
}
