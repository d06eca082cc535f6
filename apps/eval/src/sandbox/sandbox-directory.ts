import type { sandboxV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';
import type { SandboxDirectory } from '../runs/start-run/start-run.usecase';

/** The sandbox's GetCapabilities, as a run start asks it which MySQL databases it serves. */
export class GrpcSandboxDirectory implements SandboxDirectory {
  constructor(private readonly client: Pick<GrpcClient<(typeof sandboxV1.SandboxService)['method']>, 'getCapabilities'>) {}

  async mysqlDatabases(): Promise<string[]> {
    return (await this.client.getCapabilities({}, { deadlineMs: 10_000 })).mysqlDatabases;
  }
}
