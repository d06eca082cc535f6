-- AlterTable
ALTER TABLE "schedule" ADD COLUMN     "webhook_secret" TEXT;
