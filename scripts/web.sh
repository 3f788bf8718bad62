#!/usr/bin/env bash
# Builds navigli's web front end (web/ → web/dist): installs web/package-lock.json with npm ci
# when it changed (stamp web/node_modules/.lock.sha256), then bundles with esbuild. Needs Node.js
# and npm (scripts/deps.sh installs them). The server serves web/dist at /static/.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"
sum="$(cat "$web/package.json" "$web/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$web/node_modules/.lock.sha256" 2>/dev/null)" != "$sum" ] || [ ! -f "$web/node_modules/ol/package.json" ]; then
  echo "installing web/package-lock.json (ol, esbuild) into web/node_modules"
  npm ci --prefix "$web" --no-audit --no-fund --loglevel=error
  echo "$sum" >"$web/node_modules/.lock.sha256"
fi
node "$web/build.mjs"
