#!/usr/bin/env bash
# Installs what navigli needs on Debian 12, only when missing.
#   scripts/deps.sh build   cmake, g++, sqlite3 (PROJ is built from source by the proj crate),
#                           Node.js/npm, and the web bundle (scripts/web.sh: npm ci in web/, esbuild)
#   scripts/deps.sh test    + PostgreSQL 15 + PostGIS 3, GDAL/OGR (ogr2ogr, ogrinfo), python3-lxml, poppler-utils (pdftotext),
#                           QGIS 3.22's Python bindings (python3-qgis, ~930 MB, for tests/qgis.rs),
#                           OWSLib (the Python WFS client the end-to-end tests drive) and pvlib
#                           (the independent yield model tests/roofs.rs compares with) in a
#                           venv at target/pyvenv, Chromium, and the npm packages maplibre-gl,
#                           playwright-core (for tests/maplibre.rs), ol, esbuild and axe-core
#                           in target/npm; the OGC API test tools (ogctests, openapi-spec-validator,
#                           schemathesis, pyogrio with GDAL 3.12) in target/pyvenv-ogcapi
# The Python and npm packages are pinned, with all their dependencies: Python in
# tests/requirements.txt (== pins), npm in tests/js/package.json (exact versions) and
# tests/js/package-lock.json (installed with npm ci). Each is (re)installed only when its pin
# files changed, seen by a sha256 stamp kept beside the install (target/pyvenv/.requirements.sha256,
# target/npm/.lock.sha256).
set -euo pipefail
mode="${1:-build}"
want=(cmake g++ sqlite3)
# Node.js and npm (the web bundle, and the browser tests) may come from elsewhere than Debian
# (e.g. NodeSource): installed only when absent.
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
if [ "$mode" = "test" ]; then
  want+=(postgresql-15 postgresql-15-postgis-3 gdal-bin python3-gdal python3-lxml python3-venv python3-qgis chromium poppler-utils)
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
# The web front end (web/ → web/dist), for make run and make test alike.
"$(dirname "$0")/web.sh"
if [ "$mode" = "test" ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  # A venv at $1 from the pins in $2, (re)made only when the pins changed or $3 cannot import.
  pinned_venv() {
    local venv="$1" req="$2" imports="$3" sum
    sum="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$sum" ] \
       || ! "$venv/bin/python" -c "import $imports" >/dev/null 2>&1; then
      echo "installing ${req#"$root"/} ($imports) into $venv"
      /usr/bin/python3 -m venv --clear "$venv"
      "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
      echo "$sum" >"$venv/.requirements.sha256"
    fi
  }
  pinned_venv "$root/target/pyvenv" "$root/tests/requirements.txt" "owslib, lxml, pvlib, pmtiles, laspy, lazrs"
  pinned_venv "$root/target/pyvenv-ogcapi" "$root/tests/requirements-ogcapi.txt" "ogctests, openapi_spec_validator, schemathesis, pyogrio, prometheus_client"
  pinned_venv "$root/target/pyvenv-pycsw" "$root/tests/requirements-pycsw.txt" "pycsw, sqlalchemy"
  npm_dir="$root/target/npm"
  npm_sum="$(cat "$root/tests/js/package.json" "$root/tests/js/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$npm_dir/.lock.sha256" 2>/dev/null)" != "$npm_sum" ] \
     || [ ! -f "$npm_dir/node_modules/maplibre-gl/package.json" ] || [ ! -f "$npm_dir/node_modules/playwright-core/package.json" ]; then
    echo "installing tests/js/package-lock.json (maplibre-gl, playwright-core, ol, esbuild, axe-core) into $npm_dir"
    mkdir -p "$npm_dir"
    rm -f "$npm_dir/.lock.sha256"
    cp "$root/tests/js/package.json" "$root/tests/js/package-lock.json" "$npm_dir/"
    npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error
    echo "$npm_sum" >"$npm_dir/.lock.sha256"
  fi
fi
