-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "run_status" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "sample_status" AS ENUM ('PENDING', 'SCORED', 'ERRORED', 'CANCELLED');

-- CreateTable
CREATE TABLE "team" (
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model" (
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "team_id" UUID,

    CONSTRAINT "model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run" (
    "benchmark" TEXT NOT NULL,
    "benchmark_version" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "error" TEXT,
    "finished_at" TIMESTAMPTZ(3),
    "id" UUID NOT NULL,
    "model_name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "status" "run_status" NOT NULL DEFAULT 'QUEUED',
    "summary" JSONB,
    "team_id" UUID NOT NULL,
    "total_samples" INTEGER NOT NULL,

    CONSTRAINT "run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sample" (
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "completion" TEXT,
    "completion_tokens" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "error" TEXT,
    "finished_at" TIMESTAMPTZ(3),
    "id" UUID NOT NULL,
    "item_id" TEXT NOT NULL,
    "item_index" INTEGER NOT NULL,
    "latency_ms" INTEGER,
    "passed" BOOLEAN,
    "prompt" TEXT,
    "prompt_tokens" INTEGER,
    "run_id" UUID NOT NULL,
    "sample_index" INTEGER NOT NULL,
    "score" DOUBLE PRECISION,
    "score_detail" JSONB,
    "started_at" TIMESTAMPTZ(3),
    "status" "sample_status" NOT NULL DEFAULT 'PENDING',
    "transcript" JSONB,

    CONSTRAINT "sample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "team_name_key" ON "team"("name");

-- CreateIndex
CREATE INDEX "model_name_idx" ON "model"("name");

-- CreateIndex
CREATE UNIQUE INDEX "model_team_id_name_key" ON "model"("team_id", "name");

-- CreateIndex
CREATE INDEX "run_team_id_created_at_id_idx" ON "run"("team_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "run_status_idx" ON "run"("status");

-- CreateIndex
CREATE INDEX "sample_run_id_status_idx" ON "sample"("run_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "sample_run_id_item_index_sample_index_key" ON "sample"("run_id", "item_index", "sample_index");

-- AddForeignKey
ALTER TABLE "model" ADD CONSTRAINT "model_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sample" ADD CONSTRAINT "sample_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateView
-- Dashboards (Grafana) read this stable view instead of the raw tables. Prisma does not manage views,
-- so later schema diffs leave it alone. Change it only in a new migration (CREATE OR REPLACE VIEW).
CREATE VIEW "run_summary_v" AS
SELECT
    r."id" AS "run_id",
    r."team_id",
    t."name" AS "team_name",
    r."model_name",
    r."benchmark",
    r."benchmark_version",
    r."status",
    r."total_samples",
    r."created_at",
    r."started_at",
    r."finished_at",
    EXTRACT(EPOCH FROM (r."finished_at" - r."started_at"))::DOUBLE PRECISION AS "duration_seconds",
    (COUNT(s."id") FILTER (WHERE s."status" = 'PENDING'))::INTEGER AS "pending_samples",
    (COUNT(s."id") FILTER (WHERE s."status" = 'SCORED'))::INTEGER AS "scored_samples",
    (COUNT(s."id") FILTER (WHERE s."status" = 'ERRORED'))::INTEGER AS "errored_samples",
    (COUNT(s."id") FILTER (WHERE s."status" = 'CANCELLED'))::INTEGER AS "cancelled_samples",
    (COUNT(s."id") FILTER (WHERE s."passed"))::INTEGER AS "passed_samples",
    -- AVG skips NULL scores: an unscored sample is excluded, never counted as 0.
    AVG(s."score") FILTER (WHERE s."status" = 'SCORED') AS "mean_score",
    COALESCE(SUM(s."prompt_tokens"), 0)::BIGINT AS "prompt_tokens",
    COALESCE(SUM(s."completion_tokens"), 0)::BIGINT AS "completion_tokens",
    AVG(s."latency_ms")::DOUBLE PRECISION AS "mean_latency_ms"
FROM "run" r
JOIN "team" t ON t."id" = r."team_id"
LEFT JOIN "sample" s ON s."run_id" = r."id"
GROUP BY r."id", t."name";
