export type { SandboxSession, SessionBackend, SessionCellRequest, SessionCellResult, SessionFile } from './sandbox-session';
export { SessionPool } from './session-pool';
export { SessionGrpcHandler } from './session.grpc-handler';
export { SessionMetrics } from './session.metrics';
export { SessionService, type CreateSessionCommand } from './session.service';
