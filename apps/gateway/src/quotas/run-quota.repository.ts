// The quota lock and reads live in @lemur/shared-run-admission, where the eval service's scheduler takes the same lock.
export { RunQuotaRepository, type QuotaReader, type TeamQuotaOverrides, type TeamQuotaSettings } from '@lemur/shared-run-admission';
