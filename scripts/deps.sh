#!/usr/bin/env bash
# Installs what navigli needs on Debian 12, only when missing.
#   scripts/deps.sh build   cmake, g++, sqlite3 (PROJ is built from source by the proj crate)
#   scripts/deps.sh test    + PostgreSQL 15 + PostGIS 3, GDAL/OGR (ogr2ogr, ogrinfo), python3-lxml
set -euo pipefail
want=(cmake g++ sqlite3)
if [ "${1:-build}" = "test" ]; then
  want+=(postgresql-15 postgresql-15-postgis-3 gdal-bin python3-lxml)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get -o Acquire::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
