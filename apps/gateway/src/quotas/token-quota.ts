import type { InferenceClient } from '../runs/runs.controller';

/** The inference tokens per minute in force for a team (0 = unlimited), and whose limit it is. */
export interface TokenQuota {
  tokensPerMinute: number;
  /** `team`: the team's own, set with PUT /v1/quotas; `service`: the inference service's default for the team. */
  tokensPerMinuteSource: 'team' | 'service';
}

/**
 * The team's token quota: its own override when it has one, else what the inference service applies to it, asked of
 * that service (it alone holds INFERENCE_TEAM_TOKENS_PER_MINUTE and the team's INFERENCE_TEAM_LIMITS entry).
 */
export async function tokenQuotaOf(
  team: { name: string; tokensPerMinute: number | null },
  inference: Pick<InferenceClient, 'getTeamLimits'>,
): Promise<TokenQuota> {
  if (team.tokensPerMinute !== null) return { tokensPerMinute: team.tokensPerMinute, tokensPerMinuteSource: 'team' };
  const limits = await inference.getTeamLimits({ team: team.name });
  return { tokensPerMinute: limits.defaultTokensPerMinute, tokensPerMinuteSource: 'service' };
}
