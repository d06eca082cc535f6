import { gunzipSync } from 'node:zlib';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';

/** Parses JSON Lines from a dataset file's bytes, gunzipping first when the bytes carry the gzip magic number. */
export function parseJsonLines(file: string, bytes: Buffer): unknown[] {
  const raw = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const rows: unknown[] = [];
  for (const [index, line] of raw.toString('utf8').split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch (cause) {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: line ${index + 1} is not valid JSON`, { file, line: index + 1 }, { cause });
    }
  }
  return rows;
}

/** Reads a required string field of a dataset row, failing with the file and row named. */
export function requireString(file: string, row: unknown, index: number, field: string): string {
  const value = typeof row === 'object' && row !== null ? (row as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} has no string field "${field}"`, { file, row: index + 1, field });
  }
  return value;
}
