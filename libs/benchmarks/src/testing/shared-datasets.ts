import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Benchmark, type DatasetFiles } from '../benchmark';

/** The shared datasets folder: `shared/datasets` beside the checkout, as on developer machines and in CI. */
export const SHARED_DATASETS_DIR = resolve(__dirname, '../../../../../shared/datasets');

/** A benchmark's files read from the shared datasets folder, as `Benchmark.parse` takes them. */
export function readSharedDataset(benchmark: Pick<Benchmark, 'dataset'>): DatasetFiles {
  return new Map(benchmark.dataset.files.map((f) => [f.file, readFileSync(join(SHARED_DATASETS_DIR, f.file))]));
}
