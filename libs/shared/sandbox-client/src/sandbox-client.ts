import type { sandboxV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';

/** A gRPC client of the sandbox service (lemur.sandbox.v1.SandboxService). */
export type SandboxClient = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;
