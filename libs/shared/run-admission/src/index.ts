export { AuditEntryRepository, type AuditAction } from './audit-entry.repository';
export { plannedSamples, type BenchmarkSize } from './planned-samples';
export type { QuotaLimit, QuotaLimits, QuotaRefusal } from './run-quota-policy';
export { RunQuotaRepository, type QuotaReader, type TeamQuotaOverrides, type TeamQuotaSettings } from './run-quota.repository';
export { teamQuotaDefaultsFrom, teamQuotaEnvShape } from './team-quota-env';
export { TeamRunQuotas, type Admission, type QuotaUsage } from './team-run-quotas';
