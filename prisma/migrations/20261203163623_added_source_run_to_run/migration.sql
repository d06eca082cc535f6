-- AlterTable
ALTER TABLE "run" ADD COLUMN     "source_run_id" UUID;

-- CreateIndex
CREATE INDEX "run_source_run_id_idx" ON "run"("source_run_id");

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_source_run_id_fkey" FOREIGN KEY ("source_run_id") REFERENCES "run"("id") ON DELETE SET NULL ON UPDATE CASCADE;
