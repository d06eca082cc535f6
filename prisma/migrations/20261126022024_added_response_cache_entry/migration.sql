-- CreateTable
CREATE TABLE "response_cache_entry" (
    "choices" JSONB NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "key" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "revision" TEXT NOT NULL,

    CONSTRAINT "response_cache_entry_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "response_cache_entry_expires_at_idx" ON "response_cache_entry"("expires_at");

-- CreateIndex
CREATE INDEX "response_cache_entry_created_at_idx" ON "response_cache_entry"("created_at");
