#!/usr/bin/env bash
# `make test`: installs what is missing, starts a private PostgreSQL/PostGIS on a free local
# port, runs every test (unit, backend suite on GeoPackage and PostGIS, end-to-end with the
# real binary and GDAL), then stops the database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

BIN=/usr/lib/postgresql/15/bin
PGDIR=$(mktemp -d /tmp/navigli-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
cleanup() {
  as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
psql -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'CREATE DATABASE navigli' >/dev/null
# PostGIS in the database before any test: unit tests make private schemas that use its types
# whatever order the tests run in (the V1 migration creates it too, for real deployments).
psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d navigli -c 'CREATE EXTENSION postgis' >/dev/null
echo "PostgreSQL/PostGIS on 127.0.0.1:$PORT"

export NAVIGLI_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/navigli"
export NAVIGLI_REQUIRE_POSTGIS=1
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast --status-level fail --final-status-level slow
  cargo test --doc --quiet
else
  cargo test --no-fail-fast
fi
