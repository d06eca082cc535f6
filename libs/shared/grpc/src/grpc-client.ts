import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  Metadata,
  credentials,
  makeGenericClientConstructor,
  status as GrpcStatus,
  type Channel,
  type Client,
  type ClientReadableStream,
  type MethodDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { grpcClientTracing, tracingActive } from '@lemur/shared-tracing';
import { fromGrpcError } from './grpc-status.mapper';
import { INTERNAL_AUTH_METADATA_KEY, internalAuthValue } from './internal-auth';
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

function toMetadata(values: Record<string, string> | undefined, authorization: string | undefined): Metadata {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set(INTERNAL_AUTH_METADATA_KEY, authorization);
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}

// Messages read ahead of the consumer before the stream is paused (flow control then holds the server back).
const READ_AHEAD = 64;

/**
 * The messages of a server stream as an async iterator, fed by the stream's events. Cheaper than `for await` over the
 * Readable inside an async generator (two promise layers per message): every streamed token passes through here.
 * Aborting `signal` or stopping early (`return`) cancels the call; a failure is thrown as a PlatformError.
 */
function streamIterator<T>(stream: ClientReadableStream<T>, signal: AbortSignal | undefined): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let head = 0;
  let ended = false;
  let failure: unknown;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  const onAbort = () => stream.cancel();
  const finish = () => {
    signal?.removeEventListener('abort', onAbort);
    stream.cancel();
  };
  const settle = () => {
    const w = waiter;
    if (!w) return;
    waiter = undefined;
    if (head < queue.length) w.resolve({ value: take(), done: false });
    else if (ended) w.resolve({ value: undefined, done: true });
    else if (failure !== undefined) w.reject(failure);
    else waiter = w;
  };
  const take = (): T => {
    const value = queue[head]!;
    queue[head++] = undefined as T;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    if (stream.isPaused() && queue.length - head < READ_AHEAD / 2) stream.resume();
    return value;
  };
  stream.on('data', (message: T) => {
    queue.push(message);
    if (queue.length - head >= READ_AHEAD) stream.pause();
    settle();
  });
  stream.on('end', () => {
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    settle();
  });
  stream.on('error', (error: ServiceError) => {
    failure = fromGrpcError(error);
    finish();
    settle();
  });
  if (signal?.aborted) stream.cancel();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (head < queue.length) return Promise.resolve({ value: take(), done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return: () => {
      // A call that already ended or failed has nothing left to cancel.
      if (!ended && failure === undefined) finish();
      ended = true;
      queue.length = 0;
      head = 0;
      settle();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** The ServiceError grpc-js builds for a call that ended with a non-OK status. */
function serviceError(status: StatusObject): ServiceError {
  return Object.assign(new Error(`${status.code} ${GrpcStatus[status.code]}: ${status.details}`), status);
}

/**
 * A server stream on the channel's call directly, without the client's Readable, interceptor chain and per-call
 * caller-stack Error: every streamed message (a token, on the OpenAI path) takes a Readable push, its ticks and an
 * interceptor layer otherwise. Same contract as `streamIterator` over `makeServerStreamRequest`: messages are read one
 * at a time while fewer than READ_AHEAD wait (gRPC flow control holds the server back beyond), a non-OK status is
 * thrown as a PlatformError after the messages that came before it, aborting `signal` or stopping early cancels.
 * Used while no tracing interceptor has to see the call.
 */
function directServerStream<T>(
  client: Client,
  definition: MethodDefinition<unknown, unknown>,
  request: unknown,
  metadata: Metadata,
  deadline: Date,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let head = 0;
  let ended = false;
  let failure: unknown;
  let reading = false;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  const call = client.getChannel().createCall(definition.path, deadline, undefined, null, undefined);
  const cancel = () => call.cancelWithStatus(GrpcStatus.CANCELLED, 'Cancelled on client');
  const settle = () => {
    const w = waiter;
    if (!w) return;
    waiter = undefined;
    if (head < queue.length) w.resolve({ value: take(), done: false });
    else if (ended) w.resolve({ value: undefined, done: true });
    else if (failure !== undefined) w.reject(failure);
    else waiter = w;
  };
  const read = () => {
    if (reading || ended || failure !== undefined || queue.length - head >= READ_AHEAD) return;
    reading = true;
    call.startRead();
  };
  const take = (): T => {
    const value = queue[head]!;
    queue[head++] = undefined as T;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    read();
    return value;
  };
  let readError: StatusObject | undefined;
  call.start(metadata, {
    onReceiveMetadata: () => undefined,
    onReceiveMessage: (bytes: Buffer) => {
      reading = false;
      let message: T;
      try {
        message = definition.responseDeserialize(bytes) as T;
      } catch (err) {
        readError = { code: GrpcStatus.INTERNAL, details: `Response message parsing error: ${(err as Error).message}`, metadata: new Metadata() };
        call.cancelWithStatus(readError.code, readError.details);
        return;
      }
      queue.push(message);
      settle();
      read();
    },
    onReceiveStatus: (received: StatusObject) => {
      if (ended || failure !== undefined) return;
      const status = readError ?? received;
      signal?.removeEventListener('abort', cancel);
      if (status.code === GrpcStatus.OK) ended = true;
      else failure = fromGrpcError(serviceError(status));
      settle();
    },
  });
  sendRequest(call, definition, request);
  read();
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (head < queue.length) return Promise.resolve({ value: take(), done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return: () => {
      // A call that already ended or failed has nothing left to cancel.
      if (!ended && failure === undefined) {
        signal?.removeEventListener('abort', cancel);
        cancel();
      }
      ended = true;
      queue.length = 0;
      head = 0;
      settle();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** Sends a direct call's one request and half-closes; a request that cannot be serialized fails the call (INTERNAL). */
function sendRequest(call: ReturnType<Channel['createCall']>, definition: MethodDefinition<unknown, unknown>, request: unknown): void {
  let serialized: Buffer;
  try {
    serialized = definition.requestSerialize(request);
  } catch (err) {
    call.cancelWithStatus(GrpcStatus.INTERNAL, `Request message serialization failure: ${(err as Error).message}`);
    serialized = Buffer.alloc(0);
  }
  call.sendMessageWithContext({}, serialized);
  call.halfClose();
}

/**
 * A unary call on the channel's call directly, without the client's call emitter, interceptor chain and per-call
 * caller-stack Error: the eval worker's model and code calls pay those on every turn. Same contract as the client's
 * `makeUnaryRequest`: the one response message, or a non-OK status (also for none or several messages, and for a
 * response that cannot be parsed) thrown as a PlatformError; aborting `signal` cancels. Used while no tracing
 * interceptor has to see the call.
 */
function directUnary(
  client: Client,
  definition: MethodDefinition<unknown, unknown>,
  request: unknown,
  metadata: Metadata,
  deadline: Date,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = client.getChannel().createCall(definition.path, deadline, undefined, null, undefined);
    const cancel = () => call.cancelWithStatus(GrpcStatus.CANCELLED, 'Cancelled on client');
    let response: unknown;
    let received = false;
    let readError: StatusObject | undefined;
    let done = false;
    call.start(metadata, {
      onReceiveMetadata: () => undefined,
      onReceiveMessage: (bytes: Buffer) => {
        if (received) {
          call.cancelWithStatus(GrpcStatus.UNIMPLEMENTED, 'Too many responses received');
          return;
        }
        received = true;
        try {
          response = definition.responseDeserialize(bytes);
        } catch (err) {
          readError = { code: GrpcStatus.INTERNAL, details: `Response message parsing error: ${(err as Error).message}`, metadata: new Metadata() };
          call.cancelWithStatus(readError.code, readError.details);
        }
      },
      onReceiveStatus: (statusReceived: StatusObject) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', cancel);
        const status = readError ?? statusReceived;
        if (status.code !== GrpcStatus.OK) reject(fromGrpcError(serviceError(status)));
        else if (!received) reject(fromGrpcError(serviceError({ code: GrpcStatus.UNIMPLEMENTED, details: 'No message received', metadata: status.metadata })));
        else resolve(response);
      },
    });
    sendRequest(call, definition, request);
    call.startRead();
    if (signal !== undefined) signal.addEventListener('abort', cancel, { once: true });
  });
}

/**
 * Connects to `address` (host:port) and returns a typed, traced client; `defaultDeadlineMs` applies to calls that give
 * none, and `internalToken` (the platform's LEMUR_INTERNAL_TOKEN) goes with every call.
 */
export function createGrpcClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string,
  opts: { defaultDeadlineMs: number; internalToken?: string | undefined },
): GrpcClient<T> {
  const authorization = opts.internalToken !== undefined ? internalAuthValue(opts.internalToken) : undefined;
  const definition = grpcServiceDefinition(service);
  const Ctor = makeGenericClientConstructor(definition, service.name);
  const client = new Ctor(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    // Every call carries the caller's trace (traceparent) and is a CLIENT span of it.
    interceptors: [grpcClientTracing],
  }) as Client & Record<string, (...args: unknown[]) => unknown>;
  const result: Record<string, unknown> = { close: () => client.close() };

  for (const method of service.methods) {
    const call = client[method.name]!.bind(client);
    const deadlineFor = (options?: CallOptions) => new Date(Date.now() + (options?.deadlineMs ?? opts.defaultDeadlineMs));
    if (method.methodKind === 'unary') {
      const methodDefinition = definition[method.name]!;
      result[method.localName] = (request: unknown, options?: CallOptions) => {
        if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
        if (!tracingActive()) {
          return directUnary(client, methodDefinition, request, toMetadata(options?.metadata, authorization), deadlineFor(options), options?.signal);
        }
        return new Promise((resolve, reject) => {
          const onAbort = () => pending.cancel();
          const pending = call(
            request,
            toMetadata(options?.metadata, authorization),
            { deadline: deadlineFor(options) },
            (error: ServiceError | null, response: unknown) => {
              options?.signal?.removeEventListener('abort', onAbort);
              if (error) reject(fromGrpcError(error));
              else resolve(response);
            },
          ) as { cancel(): void };
          options?.signal?.addEventListener('abort', onAbort, { once: true });
        });
      };
    } else if (method.methodKind === 'server_streaming') {
      const methodDefinition = definition[method.name]!;
      result[method.localName] = (request: unknown, options?: CallOptions): AsyncIterable<unknown> => ({
        [Symbol.asyncIterator]: () =>
          tracingActive()
            ? streamIterator(call(request, toMetadata(options?.metadata, authorization), { deadline: deadlineFor(options) }) as ClientReadableStream<unknown>, options?.signal)
            : directServerStream(client, methodDefinition, request, toMetadata(options?.metadata, authorization), deadlineFor(options), options?.signal),
      });
    }
  }
  return result as GrpcClient<T>;
}
