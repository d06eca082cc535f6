#!/usr/bin/env bash
# Generates the Prisma client into libs/shared/database/src/generated/prisma, offline, and only when
# prisma/schema.prisma or the Prisma version changed since the last run (a hash is kept beside the output).
# Usage: scripts/prisma-generate.sh [--force]
# Example: scripts/prisma-generate.sh && npx vitest run libs/shared/database
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
schema=prisma/schema.prisma
out=libs/shared/database/src/generated/prisma
stamp=libs/shared/database/.prisma-schema.sha256

if [[ ! -x node_modules/.bin/prisma ]]; then
  echo "prisma CLI not found in node_modules: run npm ci first" >&2
  exit 1
fi
prisma_version=$(node -p 'require("prisma/package.json").version')
hash=$( { cat "$schema"; echo "prisma@$prisma_version"; } | sha256sum | cut -d' ' -f1)

if [[ "${1:-}" != "--force" && -f "$out/client.ts" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
  echo "prisma client up to date ($out)"
  exit 0
fi

# The CLI insists on a native schema engine at start-up and would download one; generation itself runs on
# WebAssembly, so any existing file satisfies the check (see NOTES.md). Never used for migrations.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$root/node_modules/prisma/package.json}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 PRISMA_DISABLE_WARNINGS=1

rm -rf "$out"
node_modules/.bin/prisma generate --schema "$schema"
echo "$hash" > "$stamp"
