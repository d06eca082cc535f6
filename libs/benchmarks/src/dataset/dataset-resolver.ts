import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type DatasetFile } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';

/** Where a dataset file was found. */
export type DatasetSource = 'explicit' | 'shared' | 'cache' | 'download';

/** Download progress, reported per chunk received. */
export interface DatasetDownloadProgress {
  file: string;
  url: string;
  receivedBytes: number;
  /** From Content-Length, when the server sent it. */
  totalBytes?: number;
}

/** Where to look for dataset files and whether the network may be used. */
export interface DatasetResolverOptions {
  /** An explicitly configured datasets folder (LEMUR_DATASETS_DIR); searched first. */
  datasetsDir?: string;
  /** Shared read-only copies (e.g. `../shared/datasets`), searched in order after the explicit folder. */
  sharedDirs?: readonly string[];
  /** A writable cache; searched last, and where downloads land. */
  cacheDir?: string;
  /** Whether a missing file may be downloaded from its upstream URL. */
  online: boolean;
  /** Injected for tests and proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Abort a download after this long; default 120 000 ms. */
  downloadTimeoutMs?: number;
  onProgress?: (progress: DatasetDownloadProgress) => void;
}

/** A dataset file whose bytes matched the spec's sha256. */
export interface ResolvedDataset {
  path: string;
  bytes: Buffer;
  sha256: string;
  source: DatasetSource;
}

/** Finds a benchmark's dataset file locally (explicit, shared, cache) or downloads it into the cache, verifying sha256. */
export class DatasetResolver {
  constructor(private readonly options: DatasetResolverOptions) {}

  /** The folders searched, in order, with the source each stands for. */
  searchOrder(): { dir: string; source: DatasetSource }[] {
    const { datasetsDir, sharedDirs = [], cacheDir } = this.options;
    return [
      ...(datasetsDir === undefined ? [] : [{ dir: resolve(datasetsDir), source: 'explicit' as const }]),
      ...sharedDirs.map((dir) => ({ dir: resolve(dir), source: 'shared' as const })),
      ...(cacheDir === undefined ? [] : [{ dir: resolve(cacheDir), source: 'cache' as const }]),
    ];
  }

  /** The verified bytes of `spec.file`; throws DATASET_NOT_FOUND, DATASET_CHECKSUM_MISMATCH or DATASET_DOWNLOAD_FAILED. */
  async resolve(spec: DatasetFile): Promise<ResolvedDataset> {
    const order = this.searchOrder();
    for (const { dir, source } of order) {
      const path = join(dir, spec.file);
      const bytes = await readIfExists(path);
      if (bytes === undefined) continue;
      const actual = sha256Hex(bytes);
      if (actual !== spec.sha256) throw checksumMismatch(spec, path, actual, 'delete or replace it with the published file');
      return { path, bytes, sha256: actual, source };
    }
    const { cacheDir, online } = this.options;
    if (!online || cacheDir === undefined) {
      const searched = order.map((o) => o.dir);
      const why = online ? 'no cache folder is configured to download into' : 'downloads are disabled (offline)';
      throw new BenchmarkException(
        BenchmarkErrorCode.DATASET_NOT_FOUND,
        `dataset file ${spec.file} not found in ${searched.length === 0 ? '(no folders configured)' : searched.join(', ')} and ${why}; ` +
          `download it from ${spec.url} (sha256 ${spec.sha256}) to <datasets dir>/${spec.file}, or set LEMUR_DATASETS_DIR to a folder holding it`,
        { file: spec.file, searched, url: spec.url },
      );
    }
    return this.download(spec, join(resolve(cacheDir), spec.file));
  }

  private async download(spec: DatasetFile, target: string): Promise<ResolvedDataset> {
    const doFetch = this.options.fetch ?? fetch;
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target and renamed into place, so a reader never sees a half-written or unverified file.
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.part`;
    const failed = (message: string, cause?: unknown): BenchmarkException =>
      new BenchmarkException(BenchmarkErrorCode.DATASET_DOWNLOAD_FAILED, `downloading ${spec.file} from ${spec.url} failed: ${message}`, { file: spec.file, url: spec.url }, { cause });
    try {
      let response: Response;
      try {
        response = await doFetch(spec.url, { signal: AbortSignal.timeout(this.options.downloadTimeoutMs ?? 120_000), redirect: 'follow' });
      } catch (cause) {
        throw failed(cause instanceof Error ? cause.message : String(cause), cause);
      }
      if (!response.ok || response.body === null) throw failed(`HTTP ${response.status} ${response.statusText}`.trim());
      const total = Number(response.headers.get('content-length') ?? Number.NaN);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let received = 0;
      const file = await open(temp, 'wx');
      try {
        for await (const chunk of response.body) {
          const buf = Buffer.from(chunk);
          hash.update(buf);
          chunks.push(buf);
          await file.write(buf);
          received += buf.length;
          this.options.onProgress?.({ file: spec.file, url: spec.url, receivedBytes: received, ...(Number.isFinite(total) ? { totalBytes: total } : {}) });
        }
        await file.sync();
      } catch (cause) {
        throw failed(cause instanceof Error ? cause.message : String(cause), cause);
      } finally {
        await file.close();
      }
      const actual = hash.digest('hex');
      if (actual !== spec.sha256) throw checksumMismatch(spec, spec.url, actual, 'the upstream file changed or the download was corrupted; nothing was kept');
      await rename(temp, target);
      return { path: target, bytes: Buffer.concat(chunks), sha256: actual, source: 'download' };
    } finally {
      await rm(temp, { force: true });
    }
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function checksumMismatch(spec: DatasetFile, where: string, actual: string, advice: string): BenchmarkException {
  return new BenchmarkException(
    BenchmarkErrorCode.DATASET_CHECKSUM_MISMATCH,
    `dataset file ${spec.file} at ${where} has sha256 ${actual}, expected ${spec.sha256}: ${advice}`,
    { file: spec.file, where, expectedSha256: spec.sha256, actualSha256: actual },
  );
}
