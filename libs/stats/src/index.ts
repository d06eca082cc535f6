export { passAtK } from './pass-at-k';
export { meanWithCi, summarizeMetric, wilsonInterval, type CiMethod, type MeanCi, type MeanCiOptions, type MetricSummary } from './mean-ci';
export { createPrng } from './prng';
export { normalQuantile } from './normal-quantile';
export { comparePaired, mcnemarExact, type McNemarResult, type PairedComparison, type PairedComparisonOptions, type PairedScore } from './paired-comparison';
export { instanceWeightedMean, type WeightedPart } from './instance-weighted';
