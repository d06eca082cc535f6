import { createWriteStream } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GatewayClient } from '../api/gateway-client';

/** Counts the records passing through (newlines; CSV fields may hold quoted newlines, so CSV counts are approximate). */
class LineCounter extends Transform {
  lines = 0;
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    done(null, chunk);
  }
}

/**
 * Streams a run's export to `output` (a file, written to `<file>.partial` and renamed only when complete) or to
 * `stdout`, without holding it in memory; `progress` is called about once a second with the lines and bytes so far.
 */
export async function exportRun(
  client: GatewayClient,
  id: string,
  format: 'jsonl' | 'csv',
  output: { file: string } | { stream: Writable },
  progress: (lines: number, bytes: number) => void = () => undefined,
): Promise<{ lines: number; bytes: number }> {
  const body = await client.exportRun(id, format);
  const counter = new LineCounter();
  const timer = setInterval(() => progress(counter.lines, counter.bytes), 1_000);
  try {
    if ('file' in output) {
      const { rename, rm } = await import('node:fs/promises');
      const partial = `${output.file}.partial`;
      try {
        await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), counter, createWriteStream(partial));
        await rename(partial, output.file);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    } else {
      // stdout is not ended: the process may still print after the export.
      await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), counter, output.stream, { end: false });
    }
  } finally {
    clearInterval(timer);
  }
  return { lines: counter.lines, bytes: counter.bytes };
}
