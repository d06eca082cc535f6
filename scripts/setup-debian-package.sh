#!/usr/bin/env bash
# Makes sure a Debian package whose programs the tests run is installed: does nothing when every named program is
# there, else installs the package with apt-get (as root, or through sudo). Idempotent. setup.sh uses it for
# prometheus (promtool unit-tests helm/lemur/rules; a real Prometheus scrapes the local platform to evaluate every
# dashboard query) and chromium (the web UI's end-to-end test drives it headless through playwright-core).
# Usage: bash scripts/setup-debian-package.sh PACKAGE PROGRAM...     e.g. prometheus /usr/bin/prometheus /usr/bin/promtool
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 PACKAGE PROGRAM..." >&2
  exit 2
fi
package=$1
shift
log() { printf '[setup-%s] %s\n' "$package" "$*" >&2; }

missing=0
for program in "$@"; do
  [[ -x $program ]] || missing=1
done
if [[ $missing -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo -n "$@"; }
else
  log "$package is missing and this is not root: install it (apt-get install $package)"
  exit 1
fi
log "installing $package"
# RUNLEVEL=1 asks the package scripts not to start a packaged server.
if ! as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends "$package"; then
  log "install failed; running apt-get update and retrying"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends "$package"
fi
