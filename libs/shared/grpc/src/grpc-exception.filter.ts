import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { PlatformError } from '@lemur/shared-errors';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';
import { toGrpcError } from './grpc-status.mapper';

/** Maps domain errors to gRPC statuses; anything else becomes INTERNAL with an errorId, its cause logged, never sent. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof PlatformError) {
      if (exception.cause) this.logger.debug({ err: exception, code: exception.code }, 'request failed');
      return throwError(() => toGrpcError(exception));
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unhandled error in gRPC handler');
    return throwError(() => ({ code: GrpcStatus.INTERNAL, details: `internal error (errorId ${errorId})` }));
  }
}
