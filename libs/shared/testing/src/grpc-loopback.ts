import { ServerCredentials, type Server } from '@grpc/grpc-js';

/** Binds a test's gRPC server to a free loopback port (tests talk only to loopback) and returns its `127.0.0.1:port`. */
export function bindLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))),
  );
}
