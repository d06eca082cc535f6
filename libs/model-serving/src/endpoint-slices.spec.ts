import { type IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { describe, expect, it } from 'vitest';
import { readyEndpointUrls } from './endpoint-slices';

const slice = (addressType: 'IPv4' | 'IPv6', endpoints: IEndpointSlice['endpoints'], port = 8000): IEndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 's' },
  addressType,
  ports: [{ name: 'metrics', port: 9000 }, { name: 'http', port }],
  endpoints,
});

describe('readyEndpointUrls', () => {
  it('keeps ready, non-terminating endpoints on the http port, across slices, without duplicates', () => {
    const urls = readyEndpointUrls([
      slice('IPv4', [
        { addresses: ['10.0.0.2'], conditions: { ready: true } },
        { addresses: ['10.0.0.3'], conditions: { ready: false } },
        { addresses: ['10.0.0.4'], conditions: { ready: true, terminating: true } },
        { addresses: ['10.0.0.5'] },
      ]),
      slice('IPv4', [{ addresses: ['10.0.0.2'], conditions: { ready: true } }]),
      slice('IPv6', [{ addresses: ['fd00::7'], conditions: { ready: true } }]),
    ]);
    expect(urls).toEqual(['http://10.0.0.2:8000', 'http://10.0.0.5:8000', 'http://[fd00::7]:8000']);
  });
});
