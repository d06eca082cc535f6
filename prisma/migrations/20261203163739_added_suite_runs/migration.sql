-- AlterTable
ALTER TABLE "run" ADD COLUMN     "suite_run_id" UUID;

-- CreateTable
CREATE TABLE "suite_run" (
    "config" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "id" UUID NOT NULL,
    "members" JSONB NOT NULL,
    "model_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "team_id" UUID NOT NULL,

    CONSTRAINT "suite_run_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "suite_run_team_id_created_at_idx" ON "suite_run"("team_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "run_suite_run_id_idx" ON "run"("suite_run_id");

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_suite_run_id_fkey" FOREIGN KEY ("suite_run_id") REFERENCES "suite_run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suite_run" ADD CONSTRAINT "suite_run_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
