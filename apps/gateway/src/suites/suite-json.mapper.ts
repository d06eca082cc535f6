import { timestampDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import { runJson } from '../runs/run-json.mapper';
import type { SuiteRunJson } from './suite-response.schema';

function stateName(state: evalV1.SuiteMemberState): SuiteRunJson['members'][number]['state'] {
  switch (state) {
    case evalV1.SuiteMemberState.STARTED:
      return 'started';
    case evalV1.SuiteMemberState.SKIPPED:
      return 'skipped';
    case evalV1.SuiteMemberState.UNAVAILABLE:
      return 'unavailable';
    default:
      return 'unspecified';
  }
}

/** A suite run as the REST API shows it. */
export function suiteRunJson(s: evalV1.SuiteRun): SuiteRunJson {
  return {
    id: s.id,
    team: s.team,
    suite: s.suite,
    model: s.model,
    feedbackModel: s.config?.feedbackModel || null,
    limit: s.config?.limit ?? 0,
    members: s.members.map((m) => ({
      key: m.key,
      benchmark: m.benchmark,
      feedback: m.feedback,
      state: stateName(m.state),
      reason: m.reason || null,
      run: m.run ? runJson(m.run) : null,
    })),
    axes: s.axes.map((a) => ({ name: a.name, label: a.label, value: a.value ?? null, n: a.n, members: a.members, missing: a.missing })),
    createdAt: s.createdAt ? timestampDate(s.createdAt).toISOString() : null,
  };
}
