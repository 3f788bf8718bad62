#!/usr/bin/env bash
# Place search latency (issue 13: "well under 100 ms on the full demo"), side by side with the
# way Lizmap searches PostgreSQL (a `lizmap_search` table of labels, `unaccent` + `ILIKE` per word,
# ranked by `pg_trgm` similarity, trigram GIN index) over the very same entries. Not part of
# `make test`; loopback only.
#
# The full demo goes into a GeoPackage and into a private PostgreSQL; navigli builds its index
# in both (SQLite FTS5 beside the GeoPackage, PostgreSQL full text in PostGIS) and serves each
# (release build, 2 workers). The queries come from the index itself (fixed seed): comuni,
# (tenant cmm), services, streets and house numbers (their comune's tenant), each typed four ways —
# as written, lower case without accents, half typed (the last word cut to 3 letters, as a
# search box sends while typing) and with one typo (two letters swapped). One client, keep-alive,
# one request at a time: the latency a person waits for; two passes, the second timed. The
# peer's query runs from the same Python client through psycopg2 (no HTTP, no JSON), so its
# figure is a lower bound for Lizmap itself (which adds PHP and HTTP on top).
# "found" = the place the query was made from is among the first 10 results.
# Results: bench/results/search.md.
#   bench/search.sh          (as root on Debian 12; N=600 queries, SIZE=full)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-600}
SIZE=${SIZE:-full}
RESULTS=${RESULTS:-bench/results/search.md}
BIN=/usr/lib/postgresql/15/bin
scripts/deps.sh test
venv() { # dir requirements
  if [ "$(cat "$1/.sha256" 2>/dev/null)" != "$(sha256sum "$2" | cut -d' ' -f1)" ]; then
    /usr/bin/python3 -m venv --clear "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    sha256sum "$2" | cut -d' ' -f1 >"$1/.sha256"
  fi
}
venv "$ROOT/target/bench-search" bench/requirements-search.txt
if [ -n "${NAVIGLI_BIN:-}" ]; then NAVIGLI=$NAVIGLI_BIN; else cargo build --release --quiet; NAVIGLI=$ROOT/target/release/navigli; fi

W=$(mktemp -d /tmp/navigli-search-bench.XXXXXX)
chmod 755 "$W"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGP=$(free_port); P1=$(free_port); P2=$(free_port)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$BIN/pg_ctl" -D "$W/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/pg" && [ "$(id -u)" -eq 0 ] && chown postgres: "$W/pg"
as_pg "$BIN/initdb" -D "$W/pg/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/log" -w -o "-p $PGP -k $W/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
DB="postgresql://postgres@127.0.0.1:$PGP/navigli"
psql -q -h 127.0.0.1 -p "$PGP" -U postgres -c 'CREATE DATABASE navigli'

# Two configurations over the same demo: the embedded default and PostGIS (index in PostGIS too).
sed -e "s#path = \"data/demo.gpkg\"#path = \"$W/demo.gpkg\"#" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
  -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nworkers = 2\napps_db = \"$W/apps.sqlite\"#" layers.toml >"$W/gpkg.toml"
sed -e "s#^kind = \"gpkg\"#kind = \"postgis\"\nurl = \"$DB\"#" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
  -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nworkers = 2\napps_source = \"main\"#" layers.toml >"$W/postgis.toml"
started=$(date +%s)
"$NAVIGLI" demo --config "$W/gpkg.toml" --gpkg "$W/demo.gpkg" --size "$SIZE" | tail -1
"$NAVIGLI" migrate --database-url "$DB" >/dev/null
"$NAVIGLI" demo --config "$W/postgis.toml" --postgis "$DB" --size "$SIZE" | tail -1
echo "demo ($SIZE) written in $(( $(date +%s) - started )) s"
t0=$(date +%s.%N); "$NAVIGLI" search index --config "$W/gpkg.toml"; t1=$(date +%s.%N)
"$NAVIGLI" search index --config "$W/postgis.toml"; t2=$(date +%s.%N)
INDEX_S=$(python3 -c "print(f'{$t1-$t0:.1f} s (SQLite FTS5), {$t2-$t1:.1f} s (PostgreSQL)')")
echo "indexes built: $INDEX_S"

# The peer: Lizmap's way over the same entries.
psql -q -h 127.0.0.1 -p "$PGP" -U postgres -d navigli <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE FUNCTION f_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent', $1) $$;
CREATE TABLE lizmap_search AS
  SELECT layer AS item_layer, label AS item_label, scope AS item_filter, fid,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
  FROM navigli_search;
CREATE INDEX lizmap_search_label_trgm ON lizmap_search USING gin (lower(f_unaccent(item_label)) gin_trgm_ops);
CREATE INDEX lizmap_search_filter ON lizmap_search (item_filter);
ANALYZE lizmap_search;
SQL

serve() { # config port
  RUST_LOG=warn "$NAVIGLI" serve --config "$1" --bind "127.0.0.1:$2" >/dev/null 2>>"$W/navigli-$2.log" &
  PIDS+=($!)
}
serve "$W/gpkg.toml" "$P1"
serve "$W/postgis.toml" "$P2"
for p in "$P1" "$P2"; do
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.2; done
done

"$ROOT/target/bench-search/bin/python" bench/search_bench.py "$DB" "$P1" "$P2" "$N" "$W/report.md"

{
  echo "# Place search latency on the $SIZE demo"
  echo
  echo "Command: \`N=$N SIZE=$SIZE bench/search.sh\` — $(date -u +%Y-%m-%d), $(nproc) cores; navigli release build, 2 workers, one keep-alive client, one request at a time, second of two passes timed; the peer's SQL through psycopg2 $("$ROOT/target/bench-search/bin/pip" show psycopg2-binary 2>/dev/null | awk '/^Version/ {print $2}') on PostgreSQL $(psql -tA -h 127.0.0.1 -p "$PGP" -U postgres -c 'SHOW server_version' | cut -d' ' -f1) in the same database. Index build: $INDEX_S."
  echo
  cat "$W/report.md"
} >"$RESULTS"
echo "results in $RESULTS"
