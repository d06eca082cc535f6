import { Module, type DynamicModule } from '@nestjs/common';
import { ExecuteService } from './execute/execute.service';
import { SandboxGrpcHandler } from './execute/sandbox.grpc-handler';
import { LocalSandboxBackend } from './local';

/** The sandbox service: runs untrusted code on the configured backend. */
@Module({})
export class SandboxModule {
  static forRoot(deps: { backend: LocalSandboxBackend; execute: ExecuteService }): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [SandboxGrpcHandler],
      providers: [
        { provide: LocalSandboxBackend, useValue: deps.backend },
        { provide: ExecuteService, useValue: deps.execute },
      ],
    };
  }
}
