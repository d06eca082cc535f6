import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatasetFile } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { gsm8kBenchmark } from '../gsm8k/gsm8k.benchmark';
import { humanEvalBenchmark } from '../humaneval/humaneval.benchmark';
import { SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { DatasetResolver, type DatasetDownloadProgress } from './dataset-resolver';
import { loadBenchmarkItems } from './load-benchmark-items';

const GOOD = Buffer.from('{"id":"a"}\n{"id":"b"}\n'.repeat(2000));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function thrown(p: Promise<unknown>): Promise<BenchmarkException> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BenchmarkException) return err;
    throw err;
  }
  throw new Error('expected a BenchmarkException');
}

describe('DatasetResolver', () => {
  let server: Server;
  let base: string;
  let tmp: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/good.jsonl') {
        res.writeHead(200, { 'content-length': GOOD.length });
        res.end(GOOD);
      } else if (req.url === '/HumanEval.jsonl.gz') {
        res.end(readFileSync(join(SHARED_DATASETS_DIR, humanEvalBenchmark.dataset.name)));
      } else if (req.url === '/corrupt.jsonl') {
        const bad = Buffer.from(GOOD);
        bad[100] = 0x21;
        res.end(bad);
      } else {
        res.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'lemur-datasets-'));
    requests.length = 0;
  });

  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const spec = (path: string, overrides: Partial<DatasetFile> = {}): DatasetFile => ({
    file: 'fixture/data.jsonl',
    url: `${base}${path}`,
    sha256: sha(GOOD),
    ...overrides,
  });

  const put = (dir: string, file: string, bytes: Buffer): void => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), bytes);
  };

  it('finds the real shared copies and their recorded sha256', async () => {
    const resolver = new DatasetResolver({ sharedDirs: [SHARED_DATASETS_DIR], online: false });
    for (const benchmark of [humanEvalBenchmark, gsm8kBenchmark]) {
      const [file] = benchmark.dataset.files;
      const found = await resolver.resolve(file!);
      expect(found.source).toBe('shared');
      expect(found.sha256).toBe(file!.sha256);
    }
  });

  it('searches explicit, then shared, then cache', async () => {
    const [explicit, shared, cache] = ['explicit', 'shared', 'cache'].map((d) => join(tmp, d)) as [string, string, string];
    put(cache, 'fixture/data.jsonl', GOOD);
    const resolver = new DatasetResolver({ datasetsDir: explicit, sharedDirs: [join(tmp, 'missing'), shared], cacheDir: cache, online: false });
    expect((await resolver.resolve(spec('/good.jsonl'))).source).toBe('cache');
    put(shared, 'fixture/data.jsonl', GOOD);
    expect((await resolver.resolve(spec('/good.jsonl'))).path).toBe(join(shared, 'fixture/data.jsonl'));
    put(explicit, 'fixture/data.jsonl', GOOD);
    expect(await resolver.resolve(spec('/good.jsonl'))).toMatchObject({ source: 'explicit', path: join(explicit, 'fixture/data.jsonl'), sha256: sha(GOOD) });
    expect(requests).toEqual([]);
  });

  it('refuses a local file with the wrong bytes, naming both hashes', async () => {
    const shared = join(tmp, 'shared');
    put(shared, 'fixture/data.jsonl', Buffer.from('something else'));
    const err = await thrown(new DatasetResolver({ sharedDirs: [shared], online: true, cacheDir: join(tmp, 'cache') }).resolve(spec('/good.jsonl')));
    expect(err.code).toBe(BenchmarkErrorCode.DATASET_CHECKSUM_MISMATCH);
    expect(err.message).toContain(join(shared, 'fixture/data.jsonl'));
    expect(err.message).toContain(sha(GOOD));
    expect(err.message).toContain(sha(Buffer.from('something else')));
    expect(requests).toEqual([]);
  });

  it('offline with nothing found names the file, the folders and the URL', async () => {
    const dirs = [join(tmp, 'a'), join(tmp, 'b')];
    const err = await thrown(new DatasetResolver({ datasetsDir: dirs[0], sharedDirs: [dirs[1] as string], cacheDir: join(tmp, 'c'), online: false }).resolve(spec('/good.jsonl')));
    expect(err.code).toBe(BenchmarkErrorCode.DATASET_NOT_FOUND);
    expect(err.details).toEqual({ file: 'fixture/data.jsonl', searched: [...dirs, join(tmp, 'c')], url: `${base}/good.jsonl` });
    for (const part of ['fixture/data.jsonl', ...dirs, `${base}/good.jsonl`, 'offline']) expect(err.message).toContain(part);
  });

  it('downloads into the cache with progress, then serves the cached copy', async () => {
    const cache = join(tmp, 'cache');
    const progress: DatasetDownloadProgress[] = [];
    const resolver = new DatasetResolver({ cacheDir: cache, online: true, fetch, onProgress: (p) => progress.push(p) });
    const got = await resolver.resolve(spec('/good.jsonl'));
    expect(got).toMatchObject({ source: 'download', path: join(cache, 'fixture/data.jsonl'), sha256: sha(GOOD) });
    expect(got.bytes.equals(GOOD)).toBe(true);
    expect(readFileSync(join(cache, 'fixture/data.jsonl')).equals(GOOD)).toBe(true);
    expect(readdirSync(join(cache, 'fixture'))).toEqual(['data.jsonl']);
    expect(progress.at(-1)).toMatchObject({ receivedBytes: GOOD.length, totalBytes: GOOD.length });
    expect((await resolver.resolve(spec('/good.jsonl'))).source).toBe('cache');
    expect(requests).toEqual(['/good.jsonl']);
  });

  it('deletes a corrupted download and names the expected and actual hash', async () => {
    const cache = join(tmp, 'cache');
    const err = await thrown(new DatasetResolver({ cacheDir: cache, online: true, fetch }).resolve(spec('/corrupt.jsonl')));
    expect(err.code).toBe(BenchmarkErrorCode.DATASET_CHECKSUM_MISMATCH);
    expect(err.details).toMatchObject({ file: 'fixture/data.jsonl', expectedSha256: sha(GOOD) });
    expect(err.details['actualSha256']).not.toBe(sha(GOOD));
    expect(err.message).toContain(String(err.details['actualSha256']));
    expect(readdirSync(join(cache, 'fixture'))).toEqual([]);
  });

  it('reports an HTTP error as a failed download and keeps nothing', async () => {
    const cache = join(tmp, 'cache');
    const err = await thrown(new DatasetResolver({ cacheDir: cache, online: true, fetch }).resolve(spec('/missing.jsonl')));
    expect(err.code).toBe(BenchmarkErrorCode.DATASET_DOWNLOAD_FAILED);
    expect(err.message).toContain('HTTP 404');
    expect(existsSync(join(cache, 'fixture/data.jsonl'))).toBe(false);
  });

  it('reports a refused connection as a failed download', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await thrown(
      new DatasetResolver({ cacheDir: join(tmp, 'cache'), online: true, fetch }).resolve(spec('/good.jsonl', { url: `http://127.0.0.1:${port}/good.jsonl` })),
    );
    expect(err.code).toBe(BenchmarkErrorCode.DATASET_DOWNLOAD_FAILED);
    expect(err.cause).toBeDefined();
  });

  it('downloads and parses a real benchmark file with the spec as registered', async () => {
    const benchmark = humanEvalBenchmark;
    const resolver = new DatasetResolver({ cacheDir: join(tmp, 'cache'), online: true, fetch: (_url, init) => fetch(`${base}/HumanEval.jsonl.gz`, init) });
    const loaded = await loadBenchmarkItems(benchmark, resolver);
    expect(loaded).toMatchObject({ source: 'download', datasetSha256: benchmark.dataset.files[0]!.sha256, path: join(tmp, 'cache', 'humaneval/HumanEval.jsonl.gz') });
    expect(loaded.items).toHaveLength(164);
  });

  it('loads a benchmark with its dataset hash', async () => {
    const loaded = await loadBenchmarkItems(gsm8kBenchmark, new DatasetResolver({ sharedDirs: [SHARED_DATASETS_DIR], online: false }));
    expect(loaded.items).toHaveLength(1319);
    expect(loaded.datasetSha256).toBe(gsm8kBenchmark.dataset.files[0]!.sha256);
    expect(loaded.source).toBe('shared');
  });
});
