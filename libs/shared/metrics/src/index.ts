export { createMetricsRegistry, startMetricsServer } from './metrics-server';
