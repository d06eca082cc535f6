import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageInitShape } from '@bufbuild/protobuf';
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

// protobuf-es encodes each string with TextEncoder into a fresh array; node's Buffer.from writes small strings into a
// shared pool, about a third less CPU for messages that are mostly text (a page of samples, a stream of tokens). Same
// bytes, lone surrogates included (both write U+FFFD). Set once per process, for every protobuf-es message.
configureTextEncoding({ ...getTextEncoding(), encodeUtf8: (text: string) => Buffer.from(text, 'utf8') });

function serializer(schema: DescMessage) {
  return (value: MessageInitShape<DescMessage>): Buffer => {
    const bytes = toBinary(schema, create(schema, value));
    // A view, not a copy: this runs for every streamed message.
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}

/**
 * A grpc-js service definition for a protobuf-es service descriptor: protobuf-es generates descriptors, not grpc-js
 * definitions (bufbuild/protobuf-es#252), so this bridges them with toBinary/fromBinary serializers.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    } as MethodDefinition<unknown, unknown>;
  }
  return definition as ServiceDefinition;
}

/** A grpc-js package definition (as `@grpc/proto-loader` would produce) serving the given services. */
export function grpcPackageDefinition(...services: DescService[]): Record<string, ServiceDefinition> {
  return Object.fromEntries(services.map((service) => [service.typeName, grpcServiceDefinition(service)]));
}
