import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError } from '../api/gateway-client';
import { exportRun } from './export-run';

// A loopback stand-in for the gateway's export route: a chunked body written in pieces, a 404, and a body cut short.
let server: Server;
let url: string;
const seen: { url: string; auth: string | undefined }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'lemur-export-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.url?.startsWith('/v1/runs/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'RUN_NOT_FOUND', message: 'run missing not found' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    let i = 0;
    const cut = req.url?.startsWith('/v1/runs/broken');
    const timer = setInterval(() => {
      res.write(`{"id":"s${i}"}\n{"id":"s${i + 1}"}\n`);
      i += 2;
      if (cut && i === 4) {
        clearInterval(timer);
        res.destroy();
      } else if (i === 10) {
        clearInterval(timer);
        res.end();
      }
    }, 5);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('exportRun', () => {
  it('streams the body to a file with the key and format, counting lines', async () => {
    const file = join(dir, 'run.jsonl');
    const result = await exportRun(new GatewayClient(url, 'lmr_key'), 'run-1', 'jsonl', { file });
    expect(result.lines).toBe(10);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `s${i}`),
    );
    expect(seen.at(-1)).toEqual({ url: '/v1/runs/run-1/export?format=jsonl', auth: 'Bearer lmr_key' });
  });

  it('writes to a stream (stdout) when no file is given', async () => {
    let text = '';
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => ((text += chunk.toString()), done()) });
    await exportRun(new GatewayClient(url), 'run-2', 'csv', { stream: sink });
    expect(text.split('\n')).toHaveLength(11);
    expect(seen.at(-1)!.url).toBe('/v1/runs/run-2/export?format=csv');
  });

  it('reports the gateway error, and leaves no file behind when the body is cut short', async () => {
    const missing = join(dir, 'missing.jsonl');
    const err = await exportRun(new GatewayClient(url), 'missing', 'jsonl', { file: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('RUN_NOT_FOUND');
    const broken = join(dir, 'broken.jsonl');
    await expect(exportRun(new GatewayClient(url), 'broken', 'jsonl', { file: broken })).rejects.toThrow();
    expect(existsSync(broken)).toBe(false);
    expect(existsSync(`${broken}.partial`)).toBe(false);
  });
});
