#!/usr/bin/env bash
# Installs what navigli needs on Debian 12, only when missing.
#   scripts/deps.sh build   cmake, g++, sqlite3 (PROJ is built from source by the proj crate)
#   scripts/deps.sh test    + PostgreSQL 15 + PostGIS 3, GDAL/OGR (ogr2ogr, ogrinfo), python3-lxml,
#                           QGIS 3.22's Python bindings (python3-qgis, ~930 MB, for tests/qgis.rs),
#                           OWSLib (the Python WFS client the end-to-end tests drive) and pvlib
#                           (the independent yield model tests/roofs.rs compares with) in a
#                           venv at target/pyvenv, Chromium, and the npm packages maplibre-gl
#                           and playwright-core in target/npm (for tests/maplibre.rs)
set -euo pipefail
mode="${1:-build}"
want=(cmake g++ sqlite3)
if [ "$mode" = "test" ]; then
  want+=(postgresql-15 postgresql-15-postgis-3 gdal-bin python3-lxml python3-venv python3-qgis chromium)
  # Node.js and npm may come from elsewhere than Debian (e.g. NodeSource): only when absent.
  command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o Acquire::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$mode" = "test" ]; then
  venv="$(cd "$(dirname "$0")/.." && pwd)/target/pyvenv"
  if ! "$venv/bin/python" -c 'import owslib, lxml, pvlib' >/dev/null 2>&1; then
    echo "installing OWSLib and pvlib into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check owslib lxml pvlib
  fi
  npm_dir="$(cd "$(dirname "$0")/.." && pwd)/target/npm"
  if [ ! -f "$npm_dir/node_modules/maplibre-gl/package.json" ] || [ ! -f "$npm_dir/node_modules/playwright-core/package.json" ]; then
    echo "installing maplibre-gl and playwright-core into $npm_dir"
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error maplibre-gl playwright-core
  fi
fi
