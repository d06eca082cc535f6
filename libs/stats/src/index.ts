export { passAtK } from './pass-at-k';
export { meanWithCi, summarizeMetric, wilsonInterval, type CiMethod, type MeanCi, type MeanCiOptions, type MetricSummary } from './mean-ci';
export { createPrng } from './prng';
export { normalQuantile } from './normal-quantile';
