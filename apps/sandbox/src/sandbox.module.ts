import { Module, type DynamicModule } from '@nestjs/common';
import { ExecuteService } from './execute/execute.service';
import { EXEC_BACKEND, type ExecBackend } from './execute/sandbox-backend';
import { SandboxGrpcHandler } from './execute/sandbox.grpc-handler';
import { SessionGrpcHandler, SessionService } from './session';

/** The sandbox service: runs untrusted code on the configured backend. */
@Module({})
export class SandboxModule {
  static forRoot(deps: { backend: ExecBackend; execute: ExecuteService; sessions: SessionService }): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [SandboxGrpcHandler, SessionGrpcHandler],
      providers: [
        { provide: EXEC_BACKEND, useValue: deps.backend },
        { provide: ExecuteService, useValue: deps.execute },
        { provide: SessionService, useValue: deps.sessions },
      ],
    };
  }
}
