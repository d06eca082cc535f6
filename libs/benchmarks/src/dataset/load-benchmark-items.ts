import { type Benchmark } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetDigest } from './dataset-files';
import { type DatasetResolver, type DatasetSource } from './dataset-resolver';

/** A benchmark's parsed items with the provenance a run records. */
export interface LoadedBenchmarkItems<I> {
  items: I[];
  /** The file's sha256, or for a many-file dataset the digest of all files' hashes (see `datasetDigest`). */
  datasetSha256: string;
  /** The first file's path. */
  path: string;
  /** Where the files were found (the first file's source). */
  source: DatasetSource;
}

/** Resolves, verifies and parses a benchmark's dataset files. */
export async function loadBenchmarkItems<I extends { id: string }>(benchmark: Benchmark<I>, resolver: DatasetResolver): Promise<LoadedBenchmarkItems<I>> {
  const { dataset } = benchmark;
  const resolved = await Promise.all(dataset.files.map((f) => resolver.resolve(f)));
  const items = benchmark.parse(new Map(dataset.files.map((f, i) => [f.file, resolved[i]!.bytes])));
  if (items.length !== dataset.items) {
    throw new BenchmarkException(
      BenchmarkErrorCode.DATASET_INVALID,
      `${dataset.name} parsed to ${items.length} items, expected ${dataset.items}`,
      { file: dataset.name, items: items.length, expected: dataset.items },
    );
  }
  const first = resolved[0]!;
  return { items, datasetSha256: datasetDigest(dataset.files), path: first.path, source: first.source };
}
