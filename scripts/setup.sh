#!/usr/bin/env bash
# One-time (and idempotent) machine and checkout setup that `npm test` and `npm run demo` run first:
# the sandbox's Debian packages, user and seccomp filter; the generated Prisma client.
# Usage: bash scripts/setup.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [[ ! -d node_modules ]]; then
  echo "[setup] node_modules is missing: run npm ci first" >&2
  exit 1
fi
bash scripts/setup-sandbox.sh
bash scripts/prisma-generate.sh >&2
