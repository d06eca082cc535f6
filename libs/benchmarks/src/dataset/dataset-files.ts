import { type DatasetFile, type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';

/** A dataset made of one file; its name is the file's path. */
export function singleFileDataset(file: DatasetFile, meta: { license: string; items: number }): DatasetSpec {
  return { name: file.file, files: [file], ...meta };
}

/** The bytes of one of the dataset's files; a missing file is a DATASET_INVALID error naming it. */
export function datasetFile(files: DatasetFiles, file: string): Buffer {
  const bytes = files.get(file);
  if (bytes === undefined) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `dataset file ${file} was not provided`, { file });
  }
  return bytes;
}

/**
 * The digest a run records for its data: the file's own sha256 for a one-file dataset (so it matches `sha256sum`),
 * else the sha256 of the sorted "sha256  path" lines (the output of `sha256sum` over the files, sorted by path).
 */
export function datasetDigest(files: readonly DatasetFile[]): string {
  if (files.length === 1) return files[0]!.sha256;
  const lines = [...files].sort((a, b) => a.file.localeCompare(b.file)).map((f) => `${f.sha256}  ${f.file}\n`);
  return sha256Hex(lines.join(''));
}
