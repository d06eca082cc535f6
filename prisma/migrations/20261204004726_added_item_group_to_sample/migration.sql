-- AlterTable
ALTER TABLE "sample" ADD COLUMN     "item_group" TEXT;
