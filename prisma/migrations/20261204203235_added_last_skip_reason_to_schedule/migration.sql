-- AlterTable
ALTER TABLE "schedule" ADD COLUMN     "last_skip_reason" TEXT;
