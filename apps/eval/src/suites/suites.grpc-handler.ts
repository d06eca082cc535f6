import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { runConfigMessage, runSettingsOf, toRunMessage } from '../runs/run.mapper';
import { GetSuiteUseCase, type SuiteRunView } from './get-suite.usecase';
import { StartSuiteUseCase } from './start-suite/start-suite.usecase';
import type { SuiteMemberStateName } from './suite-run.types';

const MEMBER_STATE: Record<SuiteMemberStateName, evalV1.SuiteMemberState> = {
  STARTED: evalV1.SuiteMemberState.STARTED,
  SKIPPED: evalV1.SuiteMemberState.SKIPPED,
  UNAVAILABLE: evalV1.SuiteMemberState.UNAVAILABLE,
};

function toSuiteRunMessage(view: SuiteRunView, team: string): evalV1.SuiteRun {
  const { suiteRun: s } = view;
  return create(evalV1.SuiteRunSchema, {
    id: s.id,
    team,
    suite: s.name,
    model: s.modelName,
    config: runConfigMessage(s.config),
    members: view.members.map((m) => ({
      key: m.key,
      benchmark: m.benchmark,
      feedback: m.feedback,
      state: MEMBER_STATE[m.state],
      reason: m.reason ?? '',
      ...(m.run ? { run: toRunMessage(m.run, team, m.summary ?? null) } : {}),
    })),
    axes: view.axes.map((a) => ({
      name: a.name,
      label: a.label,
      ...(a.value !== null ? { value: a.value } : {}),
      n: a.n,
      members: a.members,
      missing: a.missing,
    })),
    createdAt: timestampFromDate(s.createdAt),
  });
}

/** gRPC adapter of the suite methods of lemur.eval.v1.EvalService. */
@Controller()
export class SuitesGrpcHandler {
  constructor(
    @Inject(StartSuiteUseCase) private readonly startSuite: StartSuiteUseCase,
    @Inject(GetSuiteUseCase) private readonly getSuite: GetSuiteUseCase,
  ) {}

  @GrpcMethod('EvalService', 'StartSuite')
  async start(req: evalV1.StartSuiteRequest) {
    const suiteRun = await this.startSuite.execute({
      team: req.team,
      model: req.model,
      suite: req.suite,
      ...runSettingsOf(req.config),
    });
    return create(evalV1.StartSuiteResponseSchema, { suiteRun: toSuiteRunMessage(await this.getSuite.view(suiteRun), req.team) });
  }

  @GrpcMethod('EvalService', 'GetSuite')
  async get(req: evalV1.GetSuiteRequest) {
    return create(evalV1.GetSuiteResponseSchema, { suiteRun: toSuiteRunMessage(await this.getSuite.execute(req.team, req.id), req.team) });
  }
}
