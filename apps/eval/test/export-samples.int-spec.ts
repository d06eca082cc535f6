// ExportSamples over real gRPC against real Postgres: every sample in order, in keyset pages; another team's run is
// NOT_FOUND; a slow reader holds the database reads back; a caller that goes away stops the export.
import { randomUUID } from 'node:crypto';
import { Server } from '@grpc/grpc-js';
import { evalV1 } from '@lemur/proto';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { createGrpcClient, grpcServiceDefinition, type GrpcClient } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { bindLoopback, createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSamplesHandler } from '../src/runs/export-samples/export-samples.grpc-handler';
import { SampleExportRepository, type ExportPosition, type SampleExportSource } from '../src/runs/export-samples/sample-export.repository';
import { RunRepository } from '../src/runs/run.repository';

const TOTAL_ITEMS = 1_251;
const PER_ITEM = 2;
const PAGE_ROWS = 100;
const BIG = 'x'.repeat(4_000);

let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let client: GrpcClient<(typeof evalV1.EvalService)['method']>;
let runId: string;
const pagesRead: ExportPosition[] = [];

/** The real repository, counting the pages it is asked for. */
class CountingSource implements SampleExportSource {
  constructor(private readonly inner: SampleExportSource) {}
  pageAfter(run: string, after: ExportPosition | null, limit: number) {
    pagesRead.push(after ?? { itemIndex: -1, sampleIndex: -1 });
    return this.inner.pageAfter(run, after, limit);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

const details: string[] = [];

async function drain(iterable: AsyncIterable<evalV1.ExportSamplesResponse>): Promise<evalV1.Sample[]> {
  const all: evalV1.Sample[] = [];
  details.length = 0;
  for await (const message of iterable) {
    expect(message.detailsJson).toHaveLength(message.samples.length);
    all.push(...message.samples);
    details.push(...message.detailsJson);
  }
  return all;
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  const runs = new RunRepository(prisma);
  const teamId = await runs.ensureTeam('exporter');
  const run = await prisma.run.create({
    data: { teamId, modelName: 'sim:oracle', benchmark: 'gsm8k', benchmarkVersion: '1.0.0', config: {}, spec: {}, totalSamples: TOTAL_ITEMS * PER_ITEM, status: 'SUCCEEDED' },
  });
  runId = run.id;
  // Inserted out of order, so the export's order comes from its query, not from insertion.
  const rows = [];
  for (let item = TOTAL_ITEMS - 1; item >= 0; item--) {
    for (let s = 0; s < PER_ITEM; s++) {
      rows.push({
        id: randomUUID(),
        runId,
        itemId: `gsm8k/${item}`,
        itemIndex: item,
        sampleIndex: s,
        status: item % 10 === 0 ? ('ERRORED' as const) : ('SCORED' as const),
        prompt: `${item}:${s}:${BIG}`,
        completion: 'The answer is 42.',
        score: item % 10 === 0 ? null : item % 2,
        error: item % 10 === 0 ? 'timeout' : null,
        ...(item % 10 === 0 ? {} : { scoreDetail: { extracted: String(item), target: 'x,"y"' } }),
      });
    }
  }
  await prisma.sample.createMany({ data: rows });

  server = new Server();
  const handler = exportSamplesHandler(runs, new CountingSource(new SampleExportRepository(prisma)), createLogger('eval', 'silent'), {
    pageRows: PAGE_ROWS,
    messageSamples: 10,
  });
  const definition = grpcServiceDefinition(evalV1.EvalService)['ExportSamples']!;
  server.register(definition.path, handler.handler, definition.responseSerialize, definition.requestDeserialize, 'serverStream');
  client = createGrpcClient(evalV1.EvalService, await bindLoopback(server), { defaultDeadlineMs: 60_000 });
});

afterAll(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await prisma?.$disconnect();
  await db?.drop();
});

describe('ExportSamples', () => {
  it('streams every sample once, in item and sample order, a page at a time', async () => {
    pagesRead.length = 0;
    const all = await drain(client.exportSamples({ team: 'exporter', runId }));
    expect(all).toHaveLength(TOTAL_ITEMS * PER_ITEM);
    expect(all.map((s) => `${s.itemIndex}:${s.sampleIndex}`)).toEqual(
      Array.from({ length: TOTAL_ITEMS * PER_ITEM }, (_, i) => `${Math.floor(i / PER_ITEM)}:${i % PER_ITEM}`),
    );
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    expect(all[0]).toMatchObject({ itemId: 'gsm8k/0', status: evalV1.SampleStatus.ERRORED, error: 'timeout' });
    expect(all[0]!.score).toBeUndefined();
    expect(all[3]).toMatchObject({ itemId: 'gsm8k/1', score: 1, completion: 'The answer is 42.' });
    expect(all[5]!.prompt.startsWith('2:1:xxx')).toBe(true);
    expect(JSON.parse(details[0]!)).toEqual({ score: null, transcript: null, attempts: 0 });
    expect(JSON.parse(details[3]!)).toEqual({ score: { extracted: '1', target: 'x,"y"' }, transcript: null, attempts: 0 });
    expect(pagesRead).toHaveLength(Math.ceil((TOTAL_ITEMS * PER_ITEM) / PAGE_ROWS));
  });

  it("answers NOT_FOUND for another team's run and a missing one, and names a malformed id", async () => {
    expect(await codeOf(drain(client.exportSamples({ team: 'intruder', runId })))).toBe(PlatformErrorCode.RUN_NOT_FOUND);
    expect(await codeOf(drain(client.exportSamples({ team: 'exporter', runId: randomUUID() })))).toBe(PlatformErrorCode.RUN_NOT_FOUND);
    expect(await codeOf(drain(client.exportSamples({ team: 'exporter', runId: 'nope' })))).toBe(PlatformErrorCode.INVALID_ARGUMENT);
  });

  it('reads no further ahead than flow control allows while the caller does not read, and stops when it leaves', async () => {
    pagesRead.length = 0;
    const abort = new AbortController();
    const iterator = client.exportSamples({ team: 'exporter', runId }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const whilePaused = pagesRead.length;
    // 26 pages of ~0.8 MB: a reader that stopped after one message must not have made the server read them all.
    expect(whilePaused).toBeLessThan(Math.ceil((TOTAL_ITEMS * PER_ITEM) / PAGE_ROWS) / 2);
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pagesRead.length).toBeLessThanOrEqual(whilePaused + 1);
  });
});
