// ListRuns and ListSamples send each listed run or sample as the JSON object the REST API lists (the gateway's RunJson
// and SampleJson), written here by concatenation with the stored JSON columns spliced in as the text Postgres returned:
// a protobuf message per row, decoded again and re-serialized by the gateway, cost more CPU than the query itself
// (bench/api-latency.bench.ts). The gateway's run-json.mapper.ts maps the same fields from the messages (GetRun,
// GetSample). ListRuns and ListSamples have Postgres write most of each object (listing-json.sql.ts) and join the parts
// here (runJsonOf, sampleJsonOf); listing-json.reference.test-fixture.ts holds the field-by-field reference the SQL is
// pinned to, and its spec pins the shapes.
import type { LiveRun } from './run-finalizer';
import type { RunJsonRow, SampleJsonRow } from './run-store';
import type { RegressionCheckData, RunConfigData, RunRecord } from './run.types';

const str = JSON.stringify;

/** A JSON number; NaN and infinities are not JSON, they read as null (as JSON.stringify writes them). */
const num = (value: number | null | undefined): string => (value !== null && value !== undefined && Number.isFinite(value) ? String(value) : 'null');
const iso = (at: Date | null): string => (at ? `"${at.toISOString()}"` : 'null');
const idOrNull = (id: string | null | undefined): string => (id ? str(id) : 'null');

/** A stored run config as the REST API shows it (`samplesPerItem` is `samples` there; unset options stay absent). */
function configJson(stored: RunConfigData): string {
  const c: Record<string, unknown> = {
    limit: stored.limit ?? 0,
    samples: stored.samplesPerItem ?? 0,
    concurrency: stored.concurrency ?? 0,
    chat: stored.chat ?? false,
  };
  if (stored.temperature !== undefined && stored.temperature !== null) c.temperature = stored.temperature;
  if (stored.maxTokens !== undefined && stored.maxTokens !== null) c.maxTokens = stored.maxTokens;
  if (stored.topP !== undefined && stored.topP !== null) c.topP = stored.topP;
  if (stored.seed !== undefined && stored.seed !== null) c.seed = stored.seed;
  if (stored.feedbackModel) c.feedbackModel = stored.feedbackModel;
  return str(c);
}

// A team's runs mostly share a handful of configs: each distinct stored text is mapped once.
const configs = new Map<string, string>();

/** A run's stored config text as the REST API shows the config (see configJson). */
export function configJsonOf(text: string): string {
  let json = configs.get(text);
  if (json === undefined) {
    json = configJson(JSON.parse(text) as RunConfigData);
    if (configs.size >= 1_000) configs.clear();
    configs.set(text, json);
  }
  return json;
}

/** A run's stored regression check text as the REST API shows it, or `null`. */
export function regressionJsonOf(text: string | null): string {
  if (text === null) return 'null';
  const r = JSON.parse(text) as Partial<RegressionCheckData>;
  return `{"baselineRunId":${idOrNull(r.baselineRunId)},"regressed":${r.regressed === true},"delta":${num(r.delta ?? 0)},"ci":[${num(r.ci?.[0] ?? 0)},${num(r.ci?.[1] ?? 0)}],"pValue":${num(r.pValue ?? 0)},"significant":${r.significant === true},"comparable":${r.comparable === true},"regressedItems":${num(r.regressedItems ?? 0)},"note":${str(r.note ?? '')},"checkedAt":${r.checkedAt ? iso(new Date(r.checkedAt)) : 'null'}}`;
}

/**
 * A listed run as the REST API shows it, from the parts Postgres wrote (listing-json.sql.ts): `teamJson` is the team's
 * name as a JSON string, `summaryJson` the row's stored summary or the live one.
 */
export function runJsonOf(row: RunJsonRow, teamJson: string, summaryJson: string | null): string {
  return (
    `{"id":"${row.id}","team":${teamJson}${row.headJson}${configJsonOf(row.configJson)}${row.specJson}${summaryJson ?? 'null'}` +
    `${row.tailJson}${regressionJsonOf(row.regressionJson)}}`
  );
}

/** What the live summary of a listed run needs, for the rows whose summary is not stored (liveSpecJson set). */
export function liveRunOf(row: RunJsonRow): LiveRun {
  return {
    id: row.id,
    config: JSON.parse(row.configJson) as RunRecord['config'],
    spec: JSON.parse(row.liveSpecJson ?? 'null') as RunRecord['spec'],
    startedAt: row.liveStartedAt === null ? null : new Date(row.liveStartedAt),
    finishedAt: row.liveFinishedAt === null ? null : new Date(row.liveFinishedAt),
  };
}

/** A listed sample as the REST API shows it, from the parts Postgres wrote (listing-json.sql.ts). */
export function sampleJsonOf(row: SampleJsonRow): string {
  return `${row.headJson}${num(row.score)}${row.passedJson},"prompt":${str(row.prompt)},"completion":${str(row.completion)}${row.tailJson}`;
}
