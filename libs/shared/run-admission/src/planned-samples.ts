/** A benchmark as far as pricing a run needs it: its name, version and item count. */
export interface BenchmarkSize {
  name: string;
  version: string;
  items: number;
}

/**
 * Samples a run will create (items × samples per item), what the daily quota charges; 0 when the benchmark is unknown
 * (starting the run then fails and says so). `requested` is `name` or `name@version`; `limit` 0 means every item.
 */
export function plannedSamples(benchmarks: readonly BenchmarkSize[], requested: string, limit: number, samplesPerItem: number): number {
  const [name, version] = requested.split('@');
  const benchmark = benchmarks.find((b) => b.name === name && (version === undefined || b.version === version));
  if (!benchmark) return 0;
  const items = limit > 0 ? Math.min(limit, benchmark.items) : benchmark.items;
  return items * samplesPerItem;
}
