import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  Metadata,
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { fromGrpcError } from './grpc-status.mapper';
import { grpcServiceDefinition } from './service-definition';

/** Per-call options: every call has a deadline (the client's default when not given). */
export interface CallOptions {
  deadlineMs?: number;
  signal?: AbortSignal;
  metadata?: Record<string, string>;
}

type UnaryFn<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;
type StreamFn<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/** A promise/async-iterator client for a protobuf-es service, with deadlines and AbortSignal cancellation. */
export type GrpcClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary'
    ? UnaryFn<T[K]['input'], T[K]['output']>
    : T[K]['methodKind'] extends 'server_streaming'
      ? StreamFn<T[K]['input'], T[K]['output']>
      : never;
} & { close(): void };

function toMetadata(values: Record<string, string> | undefined): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}

/** Connects to `address` (host:port) and returns a typed client; `defaultDeadlineMs` applies to calls that give none. */
export function createGrpcClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string,
  opts: { defaultDeadlineMs: number },
): GrpcClient<T> {
  const Ctor = makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
  const client = new Ctor(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  }) as Client & Record<string, (...args: unknown[]) => unknown>;
  const result: Record<string, unknown> = { close: () => client.close() };

  for (const method of service.methods) {
    const call = client[method.name]!.bind(client);
    const deadlineFor = (options?: CallOptions) => new Date(Date.now() + (options?.deadlineMs ?? opts.defaultDeadlineMs));
    if (method.methodKind === 'unary') {
      result[method.localName] = (request: unknown, options?: CallOptions) =>
        new Promise((resolve, reject) => {
          if (options?.signal?.aborted) return reject(options.signal.reason);
          const onAbort = () => pending.cancel();
          const pending = call(
            request,
            toMetadata(options?.metadata),
            { deadline: deadlineFor(options) },
            (error: ServiceError | null, response: unknown) => {
              options?.signal?.removeEventListener('abort', onAbort);
              if (error) reject(fromGrpcError(error));
              else resolve(response);
            },
          ) as { cancel(): void };
          options?.signal?.addEventListener('abort', onAbort, { once: true });
        });
    } else if (method.methodKind === 'server_streaming') {
      result[method.localName] = (request: unknown, options?: CallOptions) =>
        (async function* () {
          const stream = call(request, toMetadata(options?.metadata), {
            deadline: deadlineFor(options),
          }) as ClientReadableStream<unknown>;
          const onAbort = () => stream.cancel();
          options?.signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const message of stream) yield message;
          } catch (error) {
            throw fromGrpcError(error as ServiceError);
          } finally {
            options?.signal?.removeEventListener('abort', onAbort);
            stream.cancel();
          }
        })();
    }
  }
  return result as GrpcClient<T>;
}
