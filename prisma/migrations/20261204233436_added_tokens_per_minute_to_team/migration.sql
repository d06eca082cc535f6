-- AlterTable
ALTER TABLE "team" ADD COLUMN     "tokens_per_minute" INTEGER;
