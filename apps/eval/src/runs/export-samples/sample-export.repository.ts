// Reads a run's samples for export in keyset pages over the (run_id, item_index, sample_index) unique index, so the
// export of a run of any size holds one page at a time. Raw SQL: JSON columns come back as text (passed on as is, never
// parsed) and the rows skip the query builder, about three times faster than findMany for this.
import { Prisma, type PrismaClient } from '@lemur/shared-database';
import type { SampleRow } from '../run-store';

/** Where the previous page ended. */
export interface ExportPosition {
  itemIndex: number;
  sampleIndex: number;
}

/** A sample as the export needs it: JSON columns as JSON text (null when absent). */
export type ExportRow = SampleRow;

/** A source of a run's samples in (item, sample) order, one page after another. */
export interface SampleExportSource {
  pageAfter(runId: string, after: ExportPosition | null, limit: number): Promise<ExportRow[]>;
}

export class SampleExportRepository implements SampleExportSource {
  constructor(private readonly prisma: PrismaClient) {}

  async pageAfter(runId: string, after: ExportPosition | null, limit: number): Promise<ExportRow[]> {
    const [item, sample] = after ? [after.itemIndex, after.sampleIndex] : [-1, -1];
    return this.prisma.$queryRaw<ExportRow[]>(Prisma.sql`
      SELECT id::text AS "id", item_id AS "itemId", item_index AS "itemIndex", sample_index AS "sampleIndex",
             status::text AS "status", attempts, prompt, completion, score, passed, error,
             prompt_tokens AS "promptTokens", completion_tokens AS "completionTokens", latency_ms AS "latencyMs",
             score_detail::text AS "scoreDetailJson", transcript::text AS "transcriptJson"
      FROM sample
      WHERE run_id = ${runId}::uuid AND (item_index, sample_index) > (${item}, ${sample})
      ORDER BY item_index, sample_index
      LIMIT ${limit}`);
  }
}
