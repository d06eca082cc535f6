import { create } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { RunFinalizer } from './run-finalizer';
import { toRunMessage } from './run.mapper';
import { RetryErroredUseCase } from './retry-errored/retry-errored.usecase';
import { RescoreRunUseCase } from './rescore-run/rescore-run.usecase';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkRequest(req: { team: string; id: string }): void {
  if (!req.team) throw PlatformError.invalid('team', 'is required');
  if (!UUID.test(req.id)) throw PlatformError.invalid('id', 'must be a run id (UUID)');
}

/** gRPC adapter of the EvalService methods that rework a finished run: re-score it, retry its errored samples. */
@Controller()
export class RunReworkGrpcHandler {
  constructor(
    @Inject(RescoreRunUseCase) private readonly rescoreRun: RescoreRunUseCase,
    @Inject(RetryErroredUseCase) private readonly retryErrored: RetryErroredUseCase,
    @Inject(RunFinalizer) private readonly finalizer: RunFinalizer,
  ) {}

  @GrpcMethod('EvalService', 'RescoreRun')
  async rescore(req: evalV1.RescoreRunRequest) {
    checkRequest(req);
    const run = await this.rescoreRun.execute({ team: req.team, runId: req.id });
    return create(evalV1.RescoreRunResponseSchema, { run: toRunMessage(run, req.team, await this.finalizer.liveSummary(run)) });
  }

  @GrpcMethod('EvalService', 'RetryErroredSamples')
  async retry(req: evalV1.RetryErroredSamplesRequest) {
    checkRequest(req);
    const { run, retried } = await this.retryErrored.execute({ team: req.team, runId: req.id });
    return create(evalV1.RetryErroredSamplesResponseSchema, { run: toRunMessage(run, req.team, await this.finalizer.liveSummary(run)), retried });
  }
}
