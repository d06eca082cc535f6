import { Readable } from 'node:stream';
import type { evalV1 } from '@lemur/proto';
import type { Logger } from '@lemur/shared-logging';
import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access } from '../../auth/access.decorator';
import { EVAL_CLIENT, GATEWAY_LOGGER } from '../../gateway.tokens';
import { exportQuery, runPathParams, validate } from '../run-request.schema';
import type { EvalClient } from '../runs.controller';
import { teamOf } from '../team-context';
import { encodeSamples, exportHead } from './sample-export.encoder';

// An export streams for as long as it takes; the caller going away cancels it instead.
const EXPORT_DEADLINE_MS = 6 * 3_600_000;

/**
 * GET /v1/runs/:id/export: the eval service's sample stream re-encoded batch by batch. The body is a Readable that
 * pulls the next gRPC message only when the socket has room (Fastify pipes it), and the gRPC stream pauses when its
 * read-ahead is full, so a slow client holds back the database reads rather than filling memory.
 */
@Controller('v1')
export class RunExportController {
  constructor(
    @Inject(EVAL_CLIENT) private readonly evalClient: EvalClient,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('runs/:id/export')
  @Access('viewer')
  async export(@Req() req: FastifyRequest, @Param() params: unknown, @Query() query: unknown, @Res() reply: FastifyReply) {
    const { id } = validate(runPathParams, params, 'path');
    const { format } = validate(exportQuery, query, 'query');
    const cancel = new AbortController();
    const stream = this.evalClient.exportSamples({ team: teamOf(req), runId: id }, { deadlineMs: EXPORT_DEADLINE_MS, signal: cancel.signal })[Symbol.asyncIterator]();
    // The first message (or the error: another team's run is a 404) comes before any header is sent.
    const first = await stream.next();
    const head = exportHead(format);
    const logger = this.logger;
    async function* body(): AsyncGenerator<string> {
      if (head.header) yield head.header;
      let next: IteratorResult<evalV1.ExportSamplesResponse> = first;
      let samples = 0;
      try {
        while (!next.done) {
          samples += next.value.samples.length;
          if (next.value.samples.length > 0) yield encodeSamples(format, next.value.samples, next.value.detailsJson);
          next = await stream.next();
        }
      } catch (err) {
        logger.error({ err, runId: id, samples }, 'run export failed mid-stream; the response is cut short');
        throw err;
      }
    }
    const readable = Readable.from(body(), { objectMode: false, highWaterMark: 64 * 1024 });
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    return reply
      .header('content-type', head.contentType)
      .header('content-disposition', `attachment; filename="run-${id}.${head.extension}"`)
      .header('cache-control', 'no-store')
      .send(readable);
  }
}
