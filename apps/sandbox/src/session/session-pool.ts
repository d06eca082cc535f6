import type { SandboxLanguage, SandboxLimitName } from '@lemur/sandbox-policy';
import type { Logger } from '@lemur/shared-logging';
import { WarmPool } from '../warm-pool/warm-pool';
import type { SandboxSession, SessionBackend } from './sandbox-session';
import type { SessionMetrics } from './session.metrics';

// The limits fixed when an interpreter starts; per-cell limits (wall time, output) are applied per cell.
const SESSION_WIDE: readonly SandboxLimitName[] = ['memoryBytes', 'processes', 'fileSizeBytes', 'tmpBytes', 'workspaceBytes'];

/**
 * Keeps `size` interpreters per language started with the operator's default limits, so CreateSession need not pay
 * the start-up. A pooled interpreter is handed out once and never returns to the pool; refills run in the background.
 */
export class SessionPool extends WarmPool<SandboxSession> {
  constructor(backend: SessionBackend, size: number, languages: readonly SandboxLanguage[], metrics: SessionMetrics, logger: Logger) {
    super({
      size,
      languages,
      limits: backend.resolveLimits({}),
      fixed: SESSION_WIDE,
      start: (language, limits) => backend.startSession({ language, limits }),
      ready: metrics.poolReady,
      logger,
      what: 'session interpreter',
    });
  }
}
