import type { ServerWritableStream } from '@grpc/grpc-js';
import { evalV1 } from '@lemur/proto';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { grpcErrorFor, type RawServerStreamHandler } from '@lemur/shared-grpc';
import type { Logger } from '@lemur/shared-logging';
import type { RunStore } from '../run-store';
import { toSampleWire } from '../run.mapper';
import type { ExportPosition, ExportRow, SampleExportSource } from './sample-export.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rows read from the database per query, and samples per gRPC message. */
export interface ExportPaging {
  pageRows: number;
  messageSamples: number;
}

type ExportCall = ServerWritableStream<evalV1.ExportSamplesRequest, evalV1.ExportSamplesResponse>;

/**
 * ExportSamples on grpc-js directly: pages of `pageRows` are read by keyset (the next page is read while the current one
 * is written), written in messages of `messageSamples`, and writing waits for the caller to drain (flow control), so
 * memory holds at most two pages whatever the run's size. Another team's run is NOT_FOUND, like a missing one.
 */
export function exportSamplesHandler(
  runs: RunStore,
  source: SampleExportSource,
  logger: Logger,
  paging: ExportPaging = { pageRows: 1000, messageSamples: 100 },
): RawServerStreamHandler {
  const serve = async (call: ExportCall): Promise<void> => {
    let drained: (() => void) | undefined;
    const wake = () => {
      const resume = drained;
      drained = undefined;
      resume?.();
    };
    call.on('drain', wake);
    call.once('cancelled', wake);
    const write = async (rows: ExportRow[]) => {
      const message: evalV1.ExportSamplesResponse = { $typeName: 'lemur.eval.v1.ExportSamplesResponse', samples: [], detailsJson: [] };
      for (const row of rows) {
        const { sample, detailJson } = toSampleWire(row);
        message.samples.push(sample);
        message.detailsJson.push(detailJson);
      }
      if (!call.write(message) && !call.cancelled) await new Promise<void>((resume) => (drained = resume));
    };
    try {
      const { team, runId } = call.request;
      if (!team) throw PlatformError.invalid('team', 'is required');
      if (!UUID.test(runId)) throw PlatformError.invalid('run_id', 'must be a run id (UUID)');
      const run = await runs.findForTeam(await runs.ensureTeam(team), runId);
      if (!run) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${runId} not found`, { field: 'run_id' });
      let next: Promise<ExportRow[]> | null = source.pageAfter(run.id, null, paging.pageRows);
      let exported = 0;
      while (next && !call.cancelled) {
        const rows: ExportRow[] = await next;
        const last = rows[rows.length - 1];
        const after: ExportPosition | null = last ? { itemIndex: last.itemIndex, sampleIndex: last.sampleIndex } : null;
        next = rows.length === paging.pageRows && after ? source.pageAfter(run.id, after, paging.pageRows) : null;
        for (let i = 0; i < rows.length && !call.cancelled; i += paging.messageSamples) {
          await write(rows.slice(i, i + paging.messageSamples));
        }
        exported += rows.length;
      }
      // A page read ahead for a caller that went away is settled, so its rejection is not unhandled.
      next?.catch(() => undefined);
      if (call.cancelled) {
        logger.info({ runId, exported }, 'export cancelled by the caller');
        return;
      }
      call.end();
    } catch (err) {
      if (!call.cancelled) call.emit('error', grpcErrorFor(err, logger));
    } finally {
      call.off('drain', wake);
      call.off('cancelled', wake);
    }
  };
  return {
    service: evalV1.EvalService,
    method: 'ExportSamples',
    handler: (call) => void serve(call as unknown as ExportCall),
  };
}
