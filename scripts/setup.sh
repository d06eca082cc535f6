#!/usr/bin/env bash
# One-time (and idempotent) machine and checkout setup that `npm test` and `npm run demo` run first:
# the sandbox's Debian packages, user and seccomp filter; MariaDB for SQL; Prometheus and promtool (observability
# tests); Chromium (the web UI's browser test); the generated Prisma client; helm and kubectl (for the chart's tests) in .tools/bin.
# Usage: bash scripts/setup.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [[ ! -d node_modules ]]; then
  echo "[setup] node_modules is missing: run npm ci first" >&2
  exit 1
fi
bash scripts/setup-sandbox.sh
bash scripts/setup-mariadb.sh
bash scripts/setup-debian-package.sh prometheus /usr/bin/prometheus /usr/bin/promtool
bash scripts/setup-debian-package.sh chromium /usr/bin/chromium
bash scripts/prisma-generate.sh >&2
node scripts/setup-kube-tools.mjs
