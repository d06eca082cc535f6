import { type Benchmark } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { type DatasetResolver, type DatasetSource } from './dataset-resolver';

/** A benchmark's parsed items with the provenance a run records. */
export interface LoadedBenchmarkItems<I> {
  items: I[];
  datasetSha256: string;
  path: string;
  source: DatasetSource;
}

/** Resolves, verifies and parses a benchmark's dataset. */
export async function loadBenchmarkItems<I extends { id: string }>(benchmark: Benchmark<I>, resolver: DatasetResolver): Promise<LoadedBenchmarkItems<I>> {
  const resolved = await resolver.resolve(benchmark.dataset);
  const items = benchmark.parse(resolved.bytes);
  if (items.length !== benchmark.dataset.items) {
    throw new BenchmarkException(
      BenchmarkErrorCode.DATASET_INVALID,
      `${benchmark.dataset.file} parsed to ${items.length} items, expected ${benchmark.dataset.items}`,
      { file: benchmark.dataset.file, items: items.length, expected: benchmark.dataset.items },
    );
  }
  return { items, datasetSha256: resolved.sha256, path: resolved.path, source: resolved.source };
}
