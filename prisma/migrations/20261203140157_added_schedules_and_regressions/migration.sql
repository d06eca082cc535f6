-- AlterTable
ALTER TABLE "run" ADD COLUMN     "regression" JSONB,
ADD COLUMN     "schedule_id" UUID;

-- CreateTable
CREATE TABLE "schedule" (
    "baseline" TEXT NOT NULL,
    "benchmarks" TEXT[],
    "config" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cron" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "id" UUID NOT NULL,
    "last_run_at" TIMESTAMPTZ(3),
    "last_success_at" TIMESTAMPTZ(3),
    "model_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "next_run_at" TIMESTAMPTZ(3) NOT NULL,
    "team_id" UUID NOT NULL,
    "timezone" TEXT NOT NULL,
    "webhook_url" TEXT,

    CONSTRAINT "schedule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "schedule_enabled_next_run_at_idx" ON "schedule"("enabled", "next_run_at");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_team_id_name_key" ON "schedule"("team_id", "name");

-- CreateIndex
CREATE INDEX "run_schedule_id_benchmark_created_at_idx" ON "run"("schedule_id", "benchmark", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule" ADD CONSTRAINT "schedule_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
