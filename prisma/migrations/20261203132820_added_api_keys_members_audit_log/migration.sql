-- CreateEnum
CREATE TYPE "role" AS ENUM ('VIEWER', 'RUNNER', 'ADMIN');

-- AlterTable
ALTER TABLE "team" ADD COLUMN     "max_concurrent_runs" INTEGER,
ADD COLUMN     "max_samples_per_day" INTEGER;

-- CreateTable
CREATE TABLE "member" (
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "email" TEXT NOT NULL,
    "id" UUID NOT NULL,
    "role" "role" NOT NULL,
    "team_id" UUID NOT NULL,

    CONSTRAINT "member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "id" UUID NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "member_id" UUID,
    "name" TEXT NOT NULL,
    "public_id" TEXT NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "role" "role" NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "team_id" UUID NOT NULL,

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "detail" JSONB,
    "id" UUID NOT NULL,
    "target" TEXT NOT NULL,
    "team_id" UUID NOT NULL,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "member_team_id_email_key" ON "member"("team_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_public_id_key" ON "api_key"("public_id");

-- CreateIndex
CREATE INDEX "api_key_team_id_created_at_idx" ON "api_key"("team_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_team_id_created_at_id_idx" ON "audit_log"("team_id", "created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "member" ADD CONSTRAINT "member_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE CASCADE;
