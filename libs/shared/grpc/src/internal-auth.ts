import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Metadata, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';

/** Metadata key that carries the platform's internal token on calls between services. */
export const INTERNAL_AUTH_METADATA_KEY = 'authorization';

/** Health checks (kubelet gRPC probes send no metadata) are the only calls served without the token. */
const UNAUTHENTICATED_PATH = /^\/grpc\.health\.v1\.Health\//;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The metadata value a client sends with `token`. */
export function internalAuthValue(token: string): string {
  return `Bearer ${token}`;
}

/**
 * Server side: every call but health must carry `authorization: Bearer <token>` (the shared internal token), else it
 * ends UNAUTHENTICATED before its handler runs. Compared as digests, so timing tells nothing about the token.
 */
export function grpcServerInternalAuth(token: string): ServerInterceptor {
  const expected = digest(internalAuthValue(token));
  return (methodDescriptor, call) => {
    if (UNAUTHENTICATED_PATH.test(methodDescriptor.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const sent = metadata.get(INTERNAL_AUTH_METADATA_KEY)[0];
            if (typeof sent === 'string' && timingSafeEqual(digest(sent), expected)) {
              nextMetadata(metadata);
              return;
            }
            call.sendStatus({
              code: GrpcStatus.UNAUTHENTICATED,
              details:
                sent === undefined
                  ? 'this service takes calls from the platform only: send the internal token (LEMUR_INTERNAL_TOKEN) as authorization metadata'
                  : 'wrong internal token: the caller and this service must share LEMUR_INTERNAL_TOKEN',
              metadata: new Metadata(),
            });
          },
        });
      },
    });
  };
}

/** The environment variable every service reads for the internal token (its config validates it with this shape). */
export const internalTokenEnvShape = {
  LEMUR_INTERNAL_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters; make one with `openssl rand -hex 32` and give every service the same value')
    .optional(),
};
