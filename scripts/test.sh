#!/usr/bin/env bash
# `npm test`: setup, then lint, typecheck and every project's tests through Nx; ends with one summary line.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh || exit 1
rm -rf tmp/test-results
npx nx run-many -t lint typecheck test --parallel=2 --outputStyle=stream
status=$?
# bench/ and scripts/ are not Nx projects (they use every app); check them here.
npx eslint bench scripts eslint.config.mjs vitest.config.mts && npx tsc -p bench/tsconfig.json || status=1
node scripts/test-summary.mjs tmp/test-results || status=1
exit $status
