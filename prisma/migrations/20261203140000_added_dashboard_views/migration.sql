-- CreateView
-- Stable views the Evaluation dashboard (helm/lemur/dashboards/evaluation.json, built by libs/observability) reads.
-- Prisma does not manage views, so schema diffs leave them alone. Their columns are a contract with the dashboard:
-- add columns freely, but rename or drop one only together with the dashboard (CREATE OR REPLACE VIEW in a new
-- migration), and recreate them in any migration that changes a column they read.

-- One row per succeeded run: its headline metric (pass@1 or accuracy) with the 95% CI the API reports, as stored in
-- run.summary when the run finished (Wilson interval for 0/1 scores, bootstrap otherwise).
CREATE VIEW "v_run_scores" AS
SELECT
    r."id" AS "run_id",
    t."name" AS "team",
    r."model_name" AS "model",
    r."benchmark",
    r."benchmark_version",
    r."created_at",
    r."finished_at",
    r."summary" -> 'metrics' -> 0 ->> 'name' AS "metric",
    (r."summary" -> 'metrics' -> 0 ->> 'value')::DOUBLE PRECISION AS "score",
    (r."summary" -> 'metrics' -> 0 -> 'ci' ->> 0)::DOUBLE PRECISION AS "ci_low",
    (r."summary" -> 'metrics' -> 0 -> 'ci' ->> 1)::DOUBLE PRECISION AS "ci_high",
    (r."summary" -> 'metrics' -> 0 ->> 'n')::INTEGER AS "n",
    (r."summary" -> 'counts' ->> 'scored')::INTEGER AS "scored_samples",
    (r."summary" -> 'counts' ->> 'errored')::INTEGER AS "errored_samples"
FROM "run" r
JOIN "team" t ON t."id" = r."team_id"
WHERE r."status" = 'SUCCEEDED'
  AND r."finished_at" IS NOT NULL
  AND jsonb_typeof(r."summary" -> 'metrics' -> 0) = 'object';

-- One row per finished run (any final status): how long it queued and ran, and its pace.
CREATE VIEW "v_run_durations" AS
SELECT
    r."id" AS "run_id",
    t."name" AS "team",
    r."model_name" AS "model",
    r."benchmark",
    r."status"::TEXT AS "status",
    r."total_samples",
    r."created_at",
    r."started_at",
    r."finished_at",
    EXTRACT(EPOCH FROM (COALESCE(r."started_at", r."finished_at") - r."created_at"))::DOUBLE PRECISION AS "queued_seconds",
    EXTRACT(EPOCH FROM (r."finished_at" - COALESCE(r."started_at", r."created_at")))::DOUBLE PRECISION AS "duration_seconds",
    (r."total_samples" / NULLIF(EXTRACT(EPOCH FROM (r."finished_at" - COALESCE(r."started_at", r."created_at"))), 0))::DOUBLE PRECISION
        AS "samples_per_second"
FROM "run" r
JOIN "team" t ON t."id" = r."team_id"
WHERE r."status" IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
  AND r."finished_at" IS NOT NULL;

-- Each scored run next to the previous succeeded run of the same team, model and benchmark version. "regressed" flags
-- a drop larger than the two CIs allow (difference of two independent estimates, each CI half-width taken as 1.96
-- standard errors). lemur compare --fail-on-regression gives the exact paired test. is_latest marks the newest run of each series.
CREATE VIEW "v_regressions" AS
WITH ordered AS (
    SELECT
        s.*,
        LAG(s."run_id") OVER w AS "previous_run_id",
        LAG(s."score") OVER w AS "previous_score",
        LAG(s."ci_low") OVER w AS "previous_ci_low",
        LAG(s."ci_high") OVER w AS "previous_ci_high",
        LAG(s."finished_at") OVER w AS "previous_finished_at",
        ROW_NUMBER() OVER (PARTITION BY s."team", s."model", s."benchmark", s."benchmark_version", s."metric"
                           ORDER BY s."finished_at" DESC, s."run_id" DESC) AS "recency"
    FROM "v_run_scores" s
    WINDOW w AS (PARTITION BY s."team", s."model", s."benchmark", s."benchmark_version", s."metric"
                 ORDER BY s."finished_at", s."run_id")
)
SELECT
    o."run_id",
    o."team",
    o."model",
    o."benchmark",
    o."benchmark_version",
    o."metric",
    o."finished_at",
    o."score",
    o."ci_low",
    o."ci_high",
    o."previous_run_id",
    o."previous_finished_at",
    o."previous_score",
    o."score" - o."previous_score" AS "delta",
    (o."previous_score" - o."score") > SQRT(
        POWER((o."ci_high" - o."ci_low") / 2, 2) + POWER((o."previous_ci_high" - o."previous_ci_low") / 2, 2)
    ) AS "regressed",
    o."recency" = 1 AS "is_latest"
FROM ordered o
WHERE o."previous_run_id" IS NOT NULL;
