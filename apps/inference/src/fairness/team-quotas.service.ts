import type { TeamLimits } from '@lemur/fairness';
import type { Logger } from '@lemur/shared-logging';
import { PeriodicRefresh } from '../periodic-refresh';
import type { FairAdmissionService } from './fair-admission.service';
import type { TeamQuotaRepository } from './team-quota.repository';

/** How often the teams' own quotas are read when nothing else is set (INFERENCE_TEAM_QUOTAS_REFRESH_MS's default). */
export const DEFAULT_TEAM_QUOTAS_REFRESH_MS = 5_000;

/**
 * Keeps fair admission's per-team overrides in step with the teams' own quotas in the database: read at start, then
 * every `refreshEveryMs`, so a request never waits on a query and a changed quota applies within one interval on every
 * replica. When a read fails the last quotas read stay in force (before the first, the configured limits).
 */
export class TeamQuotasService {
  private readonly refresher: PeriodicRefresh;
  private failing = false;

  constructor(
    private readonly repo: Pick<TeamQuotaRepository, 'tokensPerMinuteOverrides'>,
    private readonly admission: Pick<FairAdmissionService, 'setTeamOverrides'>,
    options: { refreshEveryMs: number },
    private readonly logger: Logger,
  ) {
    this.refresher = new PeriodicRefresh(() => this.refreshOnce(), options.refreshEveryMs);
  }

  /** Reads the quotas (settles once read, or failed: never rejects), then again every `refreshEveryMs` until {@link close}. */
  start(): Promise<void> {
    return this.refresher.start();
  }

  /** One read (joins the one running); never rejects: a failure is logged and keeps the quotas last read. */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  /** Stops refreshing; a read under way is not waited for (a hung database must not hold up a shutdown). */
  close(): void {
    this.refresher.close();
  }

  private async refreshOnce(): Promise<void> {
    try {
      const tokens = await this.repo.tokensPerMinuteOverrides();
      const overrides: Record<string, Partial<TeamLimits>> = {};
      for (const [team, tokensPerMinute] of tokens) overrides[team] = { tokensPerMinute };
      if (this.refresher.closed) return;
      this.admission.setTeamOverrides(overrides);
      if (this.failing) this.logger.info({ teams: tokens.size }, 'team quotas read again');
      this.failing = false;
    } catch (err) {
      if (!this.failing && !this.refresher.closed) this.logger.warn({ err }, 'reading the team quotas failed; the quotas last read stay in force until a read succeeds');
      this.failing = true;
    }
  }
}
