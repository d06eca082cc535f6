import { Metadata, Server, credentials, makeGenericClientConstructor, status, type Client, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { bindLoopback } from '@lemur/shared-testing';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcServerInternalAuth, internalAuthValue, INTERNAL_AUTH_METADATA_KEY } from './internal-auth';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};
const definition: ServiceDefinition = {
  Ping: {
    path: '/test.v1.PingService/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
type PingClient = Client & { Ping(req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void): void };

const TOKEN = 'a'.repeat(24) + 'internal-token-for-tests';

describe('internal gRPC authentication', () => {
  let server: Server;
  let address: string;
  let client: PingClient;
  let handled = 0;

  beforeAll(async () => {
    server = new Server({ interceptors: [grpcServerInternalAuth(TOKEN)] });
    server.addService(definition, {
      Ping: (_call: unknown, callback: (err: null, res: unknown) => void) => {
        handled += 1;
        callback(null, { ok: true });
      },
    });
    new HealthImplementation({ '': 'SERVING' }).addToServer(server);
    address = await bindLoopback(server);
    client = new (makeGenericClientConstructor(definition, 'PingService'))(address, credentials.createInsecure()) as unknown as PingClient;
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  function ping(authorization?: string): Promise<{ err: ServiceError | null }> {
    const md = new Metadata();
    if (authorization !== undefined) md.set(INTERNAL_AUTH_METADATA_KEY, authorization);
    return new Promise((resolve) => client.Ping({}, md, (err) => resolve({ err })));
  }

  it('serves a call that carries the shared token', async () => {
    const before = handled;
    expect((await ping(internalAuthValue(TOKEN))).err).toBeNull();
    expect(handled).toBe(before + 1);
  });

  it.each([
    ['no token', undefined, /send the internal token/],
    ['a wrong token', internalAuthValue('b'.repeat(48)), /wrong internal token/],
    ['the token without its scheme', TOKEN, /wrong internal token/],
    ['a prefix of the token', internalAuthValue(TOKEN.slice(0, 40)), /wrong internal token/],
  ])('refuses %s as UNAUTHENTICATED before the handler runs, echoing nothing back', async (_name, authorization, message) => {
    const before = handled;
    const { err } = await ping(authorization);
    expect(err?.code).toBe(status.UNAUTHENTICATED);
    expect(err?.details).toMatch(message);
    expect(handled).toBe(before);
    expect(err?.metadata.get(INTERNAL_AUTH_METADATA_KEY)).toEqual([]);
    expect(JSON.stringify(err?.metadata.toJSON())).not.toContain(TOKEN.slice(0, 24));
  });

  it('answers health checks without the token (kubelet gRPC probes send no metadata)', async () => {
    const health = makeGenericClientConstructor(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: () => Buffer.alloc(0),
          requestDeserialize: () => ({}),
          responseSerialize: () => Buffer.alloc(0),
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'Health',
    );
    const c = new health(address, credentials.createInsecure()) as unknown as Client & { Check(req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: Buffer) => void): void };
    const res = await new Promise<{ err: ServiceError | null; body?: Buffer }>((resolve) => c.Check({}, new Metadata(), (err, body) => resolve({ err, ...(body ? { body } : {}) })));
    c.close();
    expect(res.err).toBeNull();
    // SERVING is enum value 1 in field 1: bytes 08 01.
    expect(res.body?.toString('hex')).toBe('0801');
  });
});
