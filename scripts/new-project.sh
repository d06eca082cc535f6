#!/usr/bin/env bash
# Usage: scripts/new-project.sh <root e.g. libs/stats> <name e.g. stats> <tag e.g. type:pure>
set -euo pipefail
root=$1 name=$2 tag=$3
mkdir -p "$root/src"
depth=$(echo "$root" | tr -cd '/' | wc -c); up=$(printf '../%.0s' $(seq 0 "$depth"))
cat > "$root/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "${up}node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$root/src",
  "projectType": "$( [[ $root == apps/* ]] && echo application || echo library )",
  "tags": ["$tag"],
  "targets": {
    "lint": { "command": "eslint $root" },
    "typecheck": { "command": "tsc -p $root/tsconfig.json" },
    "test": { "command": "vitest run $root --passWithNoTests" }
  }
}
JSON
cat > "$root/tsconfig.json" <<JSON
{
  "extends": "${up}tsconfig.base.json",
  "include": ["src/**/*.ts", "test/**/*.ts"]
}
JSON
