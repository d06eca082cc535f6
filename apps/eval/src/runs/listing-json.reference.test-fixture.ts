// The reference the listings Postgres writes (listing-json.sql.ts) are pinned to, byte for byte
// (listing-json.sql.int-spec.ts): each listed run and sample written from its stored row in JavaScript, field by field,
// as the gateway's RunJson and SampleJson show it. Only tests use it; the services list through the SQL.
import type { Pool } from 'pg';
import { configJsonOf, regressionJsonOf } from './listing-json.mapper';
import { isoSql } from './listing-json.sql';
import { runPageQuery } from './run.repository';
import type { RunFilter, RunOfTeam, SampleRow } from './run-store';
import type { RegressionCheckData, RunRecord, RunStatusName, SampleStatusName } from './run.types';
import { samplePageQuery } from './sample.repository';

/** A run as the reference lists it: JSON columns as the stored JSON text (null when absent), times as ISO text. */
export interface RunRow extends Omit<RunRecord, 'config' | 'spec' | 'summary' | 'regression' | 'createdAt' | 'startedAt' | 'finishedAt'> {
  configJson: string;
  specJson: string;
  summaryJson: string | null;
  regressionJson: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const RUN_ROW_COLUMNS = `id, team_id AS "teamId", model_name AS "modelName", benchmark, benchmark_version AS "benchmarkVersion",
  status, config::text AS "configJson", spec::text AS "specJson", total_samples AS "totalSamples", summary::text AS "summaryJson",
  error, ${isoSql('created_at')} AS "createdAt", ${isoSql('started_at')} AS "startedAt", ${isoSql('finished_at')} AS "finishedAt",
  schedule_id AS "scheduleId", regression::text AS "regressionJson", source_run_id AS "sourceRunId", suite_run_id AS "suiteRunId"`;

const SAMPLE_ROW_COLUMNS = `id, item_id AS "itemId", item_index AS "itemIndex", sample_index AS "sampleIndex", status, attempts,
  prompt, completion, score, passed, error, prompt_tokens AS "promptTokens", completion_tokens AS "completionTokens",
  latency_ms AS "latencyMs", score_detail::text AS "scoreDetailJson", transcript::text AS "transcriptJson"`;

/** The stored rows of the page of a team's runs that listJsonForTeam lists (same statement, every column); `more` when a next page exists. */
export async function runRowsOfPage(sql: Pool, teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }): Promise<{ items: RunRow[]; more: boolean }> {
  const { rows } = await sql.query<RunRow>(runPageQuery(teamId, opts, RUN_ROW_COLUMNS, 'reference-run-rows-of-team'));
  return { items: rows.slice(0, opts.limit), more: rows.length > opts.limit };
}

/** The stored rows of the page of a run's samples that pageJson lists (same statement, every column); `more` when a next page exists. */
export async function sampleRowsOfPage(
  sql: Pool,
  run: RunOfTeam,
  opts: { status?: SampleStatusName; passed?: boolean; limit: number; cursor?: string },
): Promise<{ items: SampleRow[]; more: boolean }> {
  const { rows } = await sql.query<SampleRow>(samplePageQuery(run, opts, SAMPLE_ROW_COLUMNS, 'reference-samples-of-run'));
  return { items: rows.slice(0, opts.limit), more: rows.length > opts.limit };
}

const str = JSON.stringify;
const num = (value: number | null | undefined): string => (value !== null && value !== undefined && Number.isFinite(value) ? String(value) : 'null');
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

/** A stored run row as a RunRecord (JSON parsed): what the live summary of an unfinished run is computed from. */
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
 * spliced in untouched), or null when there is none. Config and regression check are mapped by the service in both
 * paths (listing-json.mapper.ts).
 */
export function runListingJson(row: RunRow, teamName: string, summaryJson: string | null): string {
  return (
    `{"id":${str(row.id)},"team":${str(teamName)},"model":${str(row.modelName)},"benchmark":${str(row.benchmark)},` +
    `"benchmarkVersion":${str(row.benchmarkVersion)},"status":${RUN_STATUS[row.status] ?? '"unspecified"'},` +
    `"config":${configJsonOf(row.configJson)},"spec":${row.specJson},"summary":${summaryJson ?? 'null'},` +
    (row.error ? `"error":${str(row.error)},` : '') +
    `"createdAt":${isoText(row.createdAt)},"startedAt":${isoText(row.startedAt)},"finishedAt":${isoText(row.finishedAt)},` +
    `"scheduleId":${idOrNull(row.scheduleId)},"sourceRunId":${idOrNull(row.sourceRunId)},"suiteRunId":${idOrNull(row.suiteRunId)},` +
    `"regression":${regressionJsonOf(row.regressionJson)}}`
  );
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
