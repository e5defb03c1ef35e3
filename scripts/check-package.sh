#!/usr/bin/env bash
# Packaging checks: publint, are-the-types-wrong on the packed tarball, a smoke test that
# installs the tarball into an empty project and loads every export with import and require, and
# the edge-import check on the installed refresh-kit/storage/drizzle.
set -euo pipefail
cd "$(dirname "$0")/.."
npx publint --strict
npx attw --pack . --profile node16 --format table-flipped
work=$(mktemp -d /tmp/rk-pack.XXXXXX)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
cd "$work"
npm init -y >/dev/null
# The optional peers come from the project's own lockfile versions (offline when cached).
peers=$(node -e 'const p=require(process.argv[1]);const d=p.devDependencies||{};console.log(Object.keys(p.peerDependencies||{}).map(n=>n+"@"+(d[n]||p.peerDependencies[n])).join(" "))' "$OLDPWD/package.json")
npm install --no-audit --no-fund --prefer-offline "./$tarball" $peers >/dev/null
node "$OLDPWD/scripts/smoke-exports.mjs" refresh-kit
# The drizzle subpath as published, with its peers installed: no Node builtin among its static
# imports, so it loads on edge runtimes (docs/architecture.md).
node "$OLDPWD/scripts/check-edge-imports.mjs" node_modules/refresh-kit/dist/storage/drizzle.js
