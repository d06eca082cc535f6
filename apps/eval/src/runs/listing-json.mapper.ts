// ListRuns and ListSamples send each listed run or sample as the JSON object the REST API lists (the gateway's RunJson
// and SampleJson), written here by concatenation with the stored JSON columns spliced in as the text Postgres returned:
// a protobuf message per row, decoded again and re-serialized by the gateway, cost more CPU than the query itself
// (bench/api-latency.bench.ts). The gateway's run-json.mapper.ts maps the same fields from the messages (GetRun,
// GetSample); listing-json.mapper.spec.ts pins the shapes. ListRuns and ListSamples now have Postgres write most of
// each object (listing-json.sql.ts) and join the parts here (runJsonOf, sampleJsonOf); runListingJson and
// sampleListingJson stay the reference the SQL is tested against.
import type { LiveRun } from './run-finalizer';
import type { RunJsonRow, RunRow, SampleJsonRow, SampleRow } from './run-store';
import type { RegressionCheckData, RunConfigData, RunRecord, RunStatusName, SampleStatusName } from './run.types';

const str = JSON.stringify;

/** A JSON number; NaN and infinities are not JSON, they read as null (as JSON.stringify writes them). */
const num = (value: number | null | undefined): string => (value !== null && value !== undefined && Number.isFinite(value) ? String(value) : 'null');
const iso = (at: Date | null): string => (at ? `"${at.toISOString()}"` : 'null');
/** A time the row already holds as ISO text (digits and punctuation: nothing to escape). */
const isoText = (at: string | null): string => (at ? `"${at}"` : 'null');
const idOrNull = (id: string | null | undefined): string => (id ? str(id) : 'null');

const RUN_STATUS: Record<RunStatusName, string> = {
  QUEUED: '"queued"',
  RUNNING: '"running"',
  SUCCEEDED: '"succeeded"',
  FAILED: '"failed"',
  CANCELLED: '"cancelled"',
};

const SAMPLE_STATUS: Record<SampleStatusName, string> = {
  PENDING: '"pending"',
  SCORED: '"scored"',
  ERRORED: '"errored"',
  CANCELLED: '"cancelled"',
};

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

function cachedConfigJson(text: string): string {
  let json = configs.get(text);
  if (json === undefined) {
    json = configJson(JSON.parse(text) as RunConfigData);
    if (configs.size >= 1_000) configs.clear();
    configs.set(text, json);
  }
  return json;
}

function regressionJson(text: string | null): string {
  if (text === null) return 'null';
  const r = JSON.parse(text) as Partial<RegressionCheckData>;
  return `{"baselineRunId":${idOrNull(r.baselineRunId)},"regressed":${r.regressed === true},"delta":${num(r.delta ?? 0)},"ci":[${num(r.ci?.[0] ?? 0)},${num(r.ci?.[1] ?? 0)}],"pValue":${num(r.pValue ?? 0)},"significant":${r.significant === true},"comparable":${r.comparable === true},"regressedItems":${num(r.regressedItems ?? 0)},"note":${str(r.note ?? '')},"checkedAt":${r.checkedAt ? iso(new Date(r.checkedAt)) : 'null'}}`;
}

/** The stored row of a listed run as a RunRecord (JSON parsed): for the runs whose summary is computed live. */
export function runRecordOf(row: RunRow): RunRecord {
  const { configJson: config, specJson: spec, summaryJson: summary, regressionJson: regression, createdAt, startedAt, finishedAt, ...rest } = row;
  return {
    ...rest,
    createdAt: new Date(createdAt),
    startedAt: startedAt === null ? null : new Date(startedAt),
    finishedAt: finishedAt === null ? null : new Date(finishedAt),
    config: JSON.parse(config) as RunRecord['config'],
    spec: JSON.parse(spec) as RunRecord['spec'],
    summary: summary === null ? null : (JSON.parse(summary) as unknown),
    regression: regression === null ? null : (JSON.parse(regression) as RegressionCheckData),
  };
}

/**
 * A listed run as the REST API shows it. `summaryJson` is the summary as JSON text (the stored one of a finished run,
 * spliced in untouched; its shape, RunSummaryData, is the REST one), or null when there is none.
 */
export function runListingJson(row: RunRow, teamName: string, summaryJson: string | null): string {
  return (
    `{"id":${str(row.id)},"team":${str(teamName)},"model":${str(row.modelName)},"benchmark":${str(row.benchmark)},` +
    `"benchmarkVersion":${str(row.benchmarkVersion)},"status":${RUN_STATUS[row.status] ?? '"unspecified"'},` +
    `"config":${cachedConfigJson(row.configJson)},"spec":${row.specJson},"summary":${summaryJson ?? 'null'},` +
    (row.error ? `"error":${str(row.error)},` : '') +
    `"createdAt":${isoText(row.createdAt)},"startedAt":${isoText(row.startedAt)},"finishedAt":${isoText(row.finishedAt)},` +
    `"scheduleId":${idOrNull(row.scheduleId)},"sourceRunId":${idOrNull(row.sourceRunId)},"suiteRunId":${idOrNull(row.suiteRunId)},` +
    `"regression":${regressionJson(row.regressionJson)}}`
  );
}

/**
 * A listed run as runListingJson writes it, from the parts Postgres wrote (listing-json.sql.ts): `teamJson` is the team's
 * name as a JSON string, `summaryJson` the row's stored summary or the live one.
 */
export function runJsonOf(row: RunJsonRow, teamJson: string, summaryJson: string | null): string {
  return (
    `{"id":"${row.id}","team":${teamJson}${row.headJson}${cachedConfigJson(row.configJson)}${row.specJson}${summaryJson ?? 'null'}` +
    `${row.tailJson}${regressionJson(row.regressionJson)}}`
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

/** A listed sample as the REST API shows it, its stored score detail and transcript spliced in untouched. */
export function sampleListingJson(row: SampleRow): string {
  return (
    `{"id":${str(row.id)},"itemId":${str(row.itemId)},"itemIndex":${num(row.itemIndex)},"sampleIndex":${num(row.sampleIndex)},` +
    `"status":${SAMPLE_STATUS[row.status] ?? '"unspecified"'},"score":${num(row.score)},"passed":${row.passed === null ? 'null' : row.passed},` +
    `"prompt":${str(row.prompt ?? '')},"completion":${str(row.completion ?? '')},"error":${row.error ? str(row.error) : 'null'},` +
    `"promptTokens":${num(row.promptTokens ?? 0)},"completionTokens":${num(row.completionTokens ?? 0)},"latencyMs":${num(row.latencyMs ?? 0)},` +
    `"detail":{"score":${row.scoreDetailJson ?? 'null'},"transcript":${row.transcriptJson ?? 'null'},"attempts":${num(row.attempts)}}}`
  );
}

/** A listed sample as sampleListingJson writes it, from the parts Postgres wrote (listing-json.sql.ts). */
export function sampleJsonOf(row: SampleJsonRow): string {
  return row.headJson + num(row.score) + row.tailJson;
}
