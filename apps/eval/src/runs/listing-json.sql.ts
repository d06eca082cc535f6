// The listings' JSON written by Postgres, in the bytes the reference listing-json.reference.test-fixture.ts writes
// (listing-json.sql.int-spec.ts compares the two on stored rows): each listed sample and run leaves the database as a
// few JSON text parts around the values the service writes (a sample's score, prompt and completion; a run's team name,
// mapped config, live summary and regression check).
// Eval then decodes a few columns per row instead of every column and only joins strings: half its CPU per page of
// 100 samples (bench/api-latency.bench.ts).

/** A timestamptz(3) column as Date#toISOString writes it. */
export const isoSql = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A text expression as JSON.stringify writes a string (Postgres escapes exactly the characters JavaScript does). */
const strSql = (expr: string) => `to_json(${expr})::text`;

/** A uuid column as a JSON string, or null (a uuid has nothing to escape). */
const idOrNullSql = (column: string) => `coalesce('"' || ${column} || '"', 'null')`;

const SAMPLE_STATUS_SQL = `CASE status WHEN 'PENDING' THEN '"pending"' WHEN 'SCORED' THEN '"scored"' WHEN 'ERRORED' THEN '"errored"'
  WHEN 'CANCELLED' THEN '"cancelled"' ELSE '"unspecified"' END`;

const RUN_STATUS_SQL = `CASE status WHEN 'QUEUED' THEN '"queued"' WHEN 'RUNNING' THEN '"running"' WHEN 'SUCCEEDED' THEN '"succeeded"'
  WHEN 'FAILED' THEN '"failed"' WHEN 'CANCELLED' THEN '"cancelled"' ELSE '"unspecified"' END`;

/**
 * A listed sample as sampleListingJson writes it, in parts around the values the service writes: its score (Postgres's
 * shortest float8 digits are not always JavaScript's: 1.2345e21 prints as 1.2344999999999999e+21, the same number but
 * not the same bytes) and its prompt and completion, sent as stored and escaped by JSON.stringify. Escaping them here
 * (to_json, a character at a time) was a fifth of Postgres's CPU per page of 100 samples, about three times what
 * JSON.stringify adds to the service's (bench/api-latency.bench.ts).
 */
export const SAMPLE_JSON_PARTS_SQL = `'{"id":"' || id || '","itemId":' || ${strSql('item_id')} ||
  ',"itemIndex":' || item_index || ',"sampleIndex":' || sample_index || ',"status":' || ${SAMPLE_STATUS_SQL} ||
  ',"score":' AS "headJson", score, ',"passed":' || CASE WHEN passed IS NULL THEN 'null' WHEN passed THEN 'true' ELSE 'false' END AS "passedJson",
  coalesce(prompt, '') AS prompt, coalesce(completion, '') AS completion,
  ',"error":' || CASE WHEN error IS NULL OR error = '' THEN 'null' ELSE ${strSql('error')} END ||
  ',"promptTokens":' || coalesce(prompt_tokens, 0) || ',"completionTokens":' || coalesce(completion_tokens, 0) ||
  ',"latencyMs":' || coalesce(latency_ms, 0) ||
  ',"detail":{"score":' || coalesce(score_detail::text, 'null') || ',"transcript":' || coalesce(transcript::text, 'null') ||
  ',"attempts":' || attempts || '}}' AS "tailJson"`;

/** Whether a run's summary is its stored one (a finished run's) rather than one computed live. */
const STORED_SUMMARY_SQL = `(status IN ('SUCCEEDED', 'FAILED') AND summary IS NOT NULL)`;

/**
 * A listed run in parts, as runListingJson writes it: `{"id":..,"team":` + team + head + config + spec + summary + tail +
 * regression + `}`; the parts written by the service are the config, a live summary and the regression check.
 */
export const RUN_JSON_PARTS_SQL = `id, ${isoSql('created_at')} AS "createdAt",
  ',"model":' || ${strSql('model_name')} || ',"benchmark":' || ${strSql('benchmark')} ||
    ',"benchmarkVersion":' || ${strSql('benchmark_version')} || ',"status":' || ${RUN_STATUS_SQL} || ',"config":' AS "headJson",
  config::text AS "configJson",
  ',"spec":' || spec::text || ',"summary":' AS "specJson",
  CASE WHEN ${STORED_SUMMARY_SQL} THEN summary::text END AS "summaryJson",
  CASE WHEN error IS NULL OR error = '' THEN '' ELSE ',"error":' || ${strSql('error')} END ||
    ',"createdAt":"' || ${isoSql('created_at')} || '","startedAt":' || coalesce('"' || ${isoSql('started_at')} || '"', 'null') ||
    ',"finishedAt":' || coalesce('"' || ${isoSql('finished_at')} || '"', 'null') ||
    ',"scheduleId":' || ${idOrNullSql('schedule_id')} || ',"sourceRunId":' || ${idOrNullSql('source_run_id')} ||
    ',"suiteRunId":' || ${idOrNullSql('suite_run_id')} || ',"regression":' AS "tailJson",
  regression::text AS "regressionJson",
  CASE WHEN NOT ${STORED_SUMMARY_SQL} THEN spec::text END AS "liveSpecJson",
  CASE WHEN NOT ${STORED_SUMMARY_SQL} THEN ${isoSql('started_at')} END AS "liveStartedAt",
  CASE WHEN NOT ${STORED_SUMMARY_SQL} THEN ${isoSql('finished_at')} END AS "liveFinishedAt"`;
