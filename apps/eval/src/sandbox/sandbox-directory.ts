import type { SandboxClient } from '@lemur/shared-sandbox-client';
import type { SandboxDirectory } from '../runs/start-run/start-run.usecase';

/** The sandbox's GetCapabilities, as a run start asks it which MySQL databases it serves. */
export class GrpcSandboxDirectory implements SandboxDirectory {
  constructor(private readonly client: Pick<SandboxClient, 'getCapabilities'>) {}

  async mysqlDatabases(): Promise<string[]> {
    return (await this.client.getCapabilities({}, { deadlineMs: 10_000 })).mysqlDatabases;
  }
}
