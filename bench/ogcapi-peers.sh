#!/usr/bin/env bash
# Side-by-side OGC API – Features benchmark: navigli vs tipg and vs pygeoapi (each from PyPI in
# its own venv, pinned in bench/requirements-*.txt), all three reading the same PostGIS table
# `edifici` of `navigli demo --size full`, two workers each. Cases: `/items` pages of 1,000
# (req/s with wrk, 4 connections), a bbox over central Milano (1,000 a page), a CQL2 attribute
# filter, and the time to stream 100,000 features in one page. Every server's answers are
# checked (same numberReturned) before they are timed. Results with peak RSS go to
# bench/results/ogcapi-peers.md.
#   bench/ogcapi-peers.sh            (as root on Debian 12; installs what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
scripts/deps.sh test
for p in wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "$p"
done
venv() { # dir requirements
  if [ "$(cat "$1/.sha256" 2>/dev/null)" != "$(sha256sum "$2" | cut -d' ' -f1)" ]; then
    /usr/bin/python3 -m venv --clear "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    sha256sum "$2" | cut -d' ' -f1 >"$1/.sha256"
  fi
}
venv "$ROOT/target/bench-tipg" bench/requirements-tipg.txt
venv "$ROOT/target/bench-pygeoapi" bench/requirements-pygeoapi.txt
cargo build --release --quiet
NAVIGLI=$ROOT/target/release/navigli

W=$(mktemp -d /tmp/navigli-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); NAV_PORT=$(free_port); TIPG_PORT=$(free_port); PGA_PORT=$(free_port)
BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$W" && chmod 755 "$W"
cleanup() {
  for pid in ${NAV_PID:-} ${TIPG_PID:-} ${PGA_PID:-}; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  as_pg "$BIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$W/pg" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -o "-p $PG_PORT -k $W -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=512MB -c max_connections=200" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE navigli'
URL="postgresql://postgres@127.0.0.1:$PG_PORT/navigli"
"$NAVIGLI" demo --config layers.toml --postgis "$URL" --size full | tail -1
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d navigli -c 'VACUUM ANALYZE edifici'
ROWS=$(psql -tA -h 127.0.0.1 -p "$PG_PORT" -U postgres -d navigli -c 'SELECT count(*) FROM edifici')

# navigli: the shipped configuration, pages up to 100,000, the PostGIS source, 2 workers.
sed -e "s/^max_features = .*/max_features = 100000/" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nworkers = 2#" layers.toml > "$W/layers.toml"
RUST_LOG=warn "$NAVIGLI" serve --config "$W/layers.toml" --bind "127.0.0.1:$NAV_PORT" --source "main=$URL" >/dev/null 2>"$W/navigli.log" &
NAV_PID=$!

# tipg: the public schema, pages up to 100,000, 2 uvicorn workers.
DATABASE_URL="$URL" TIPG_DB_SCHEMAS='["public"]' TIPG_MAX_FEATURES_PER_QUERY=100000 TIPG_DEFAULT_FEATURES_LIMIT=10 \
  "$ROOT/target/bench-tipg/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port "$TIPG_PORT" --workers 2 --log-level warning >"$W/tipg.log" 2>&1 &
TIPG_PID=$!

# pygeoapi: one PostgreSQL collection, pages up to 100,000, 2 gunicorn workers.
cat > "$W/pygeoapi.yml" <<EOYML
server:
  bind: {host: 127.0.0.1, port: $PGA_PORT}
  url: http://127.0.0.1:$PGA_PORT
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 100000}
  map: {url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: 'OSM'}
logging: {level: ERROR}
metadata:
  identification:
    title: navigli bench
    description: bench
    keywords: [bench]
    keywords_type: theme
    terms_of_service: https://example.org
    url: https://example.org
  license: {name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}
  provider: {name: bench, url: https://example.org}
  contact: {name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: https://example.org, hours: x, instructions: x, role: pointOfContact}
resources:
  edifici:
    type: collection
    title: edifici
    description: edifici
    keywords: [edifici]
    extents:
      spatial: {bbox: [8.7, 45.1, 9.6, 45.7], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}
    providers:
      - type: feature
        name: PostgreSQL
        data: {host: 127.0.0.1, port: $PG_PORT, dbname: navigli, user: postgres, password: '', search_path: [public]}
        id_field: fid
        table: edifici
        geom_field: geom
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/32632
EOYML
export PYGEOAPI_CONFIG="$W/pygeoapi.yml" PYGEOAPI_OPENAPI="$W/pygeoapi-openapi.yml"
"$ROOT/target/bench-pygeoapi/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >/dev/null
"$ROOT/target/bench-pygeoapi/bin/gunicorn" pygeoapi.flask_app:APP -w 2 -b "127.0.0.1:$PGA_PORT" --log-level warning >"$W/pygeoapi.log" 2>&1 &
PGA_PID=$!

wait_up() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; cat "$W"/*.log >&2; exit 1; }
wait_up "http://127.0.0.1:$NAV_PORT/health"
wait_up "http://127.0.0.1:$TIPG_PORT/collections"
wait_up "http://127.0.0.1:$PGA_PORT/collections"

declare -A BASE=(
  [navigli]="http://127.0.0.1:$NAV_PORT/cmm/ogcapi/collections/edifici/items"
  [tipg]="http://127.0.0.1:$TIPG_PORT/collections/public.edifici/items"
  [pygeoapi]="http://127.0.0.1:$PGA_PORT/collections/edifici/items"
)
# The same request for each server (pygeoapi names the output format f=json and takes only
# cql-text or cql-json as filter-lang: the filters go with the default language, CQL2 text).
q_page="limit=1000&offset=50000"
q_bbox="limit=1000&bbox=9.17,45.455,9.21,45.475"
q_cql="limit=1000&filter=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("piani >= 6 AND anno_costr < 1960"))')"
q_big="limit=100000"
fmt() { case $1 in pygeoapi) echo "&f=json";; navigli) echo "&f=geojson";; *) echo "&f=geojson";; esac; }

returned() { # url -> numberReturned (or the number of features)
  curl -s "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("numberReturned", len(d.get("features", []))))'
}
rps() { # url -> requests/s over DURATION with 4 connections
  wrk -t 2 -c 4 -d "${DURATION}s" --latency "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
}
stream_s() { # url -> median seconds of RUNS full downloads
  local t=()
  for _ in $(seq 1 "$RUNS"); do t+=("$(curl -s -o /dev/null -w '%{time_total}' "$1")"); done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
peak_rss_mib() { # pids… -> summed VmHWM of the processes and their children, MiB
  local all=() p
  for p in "$@"; do all+=("$p"); all+=($(pgrep -P "$p" || true)); done
  for p in "${all[@]}"; do cat "/proc/$p/status" 2>/dev/null; done | awk '/VmHWM/ {s+=$2} END {printf "%d", s/1024}'
}

declare -A R
for s in navigli tipg pygeoapi; do
  f=$(fmt $s)
  for c in page bbox cql big; do
    var="q_$c"; url="${BASE[$s]}?${!var}$f"
    R[$s,$c,n]=$(returned "$url")
  done
done
for c in page bbox cql big; do
  if [ "${R[navigli,$c,n]}" != "${R[tipg,$c,n]}" ] || [ "${R[navigli,$c,n]}" != "${R[pygeoapi,$c,n]}" ]; then
    echo "WARNING: $c returns navigli ${R[navigli,$c,n]}, tipg ${R[tipg,$c,n]}, pygeoapi ${R[pygeoapi,$c,n]} features" >&2
  fi
done
for s in navigli tipg pygeoapi; do
  f=$(fmt $s)
  for c in page bbox cql; do var="q_$c"; R[$s,$c]=$(rps "${BASE[$s]}?${!var}$f"); done
  R[$s,big]=$(stream_s "${BASE[$s]}?${q_big}$f")
done
R[navigli,rss]=$(peak_rss_mib $NAV_PID); R[tipg,rss]=$(peak_rss_mib $TIPG_PID); R[pygeoapi,rss]=$(peak_rss_mib $PGA_PID)

mkdir -p bench/results
{
  echo "## OGC API – Features /items — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, edifici = $ROWS rows"
  echo
  echo "Command: \`DURATION=$DURATION RUNS=$RUNS bench/ogcapi-peers.sh\` (navigli release build; tipg $("$ROOT/target/bench-tipg/bin/pip" show tipg 2>/dev/null | awk '/^Version/ {print $2}') under uvicorn ×2; pygeoapi $("$ROOT/target/bench-pygeoapi/bin/pip" show pygeoapi 2>/dev/null | awk '/^Version/ {print $2}') under gunicorn ×2; the same PostGIS table; wrk 2 threads × 4 connections for ${DURATION} s)."
  echo
  echo "| case | features | navigli | tipg | pygeoapi | navigli ÷ faster peer |"
  echo "|---|---|---|---|---|---|"
  for c in page bbox cql; do
    case $c in page) label="page of 1,000 (offset 50,000), req/s";; bbox) label="bbox over central Milano, 1,000 a page, req/s";; cql) label="CQL2 \`piani >= 6 AND anno_costr < 1960\`, req/s";; esac
    awk -v l="$label" -v n="${R[navigli,$c,n]}" -v a="${R[navigli,$c]}" -v b="${R[tipg,$c]}" -v c="${R[pygeoapi,$c]}" \
      'BEGIN { m = (b > c ? b : c); printf "| %s | %s | %.1f | %.1f | %.1f | %.2f× |\n", l, n, a, b, c, (m > 0 ? a / m : 0) }'
  done
  awk -v n="${R[navigli,big,n]}" -v a="${R[navigli,big]}" -v b="${R[tipg,big]}" -v c="${R[pygeoapi,big]}" \
    'BEGIN { m = (b < c ? b : c); printf "| 100,000 features in one page, median s | %s | %.2f | %.2f | %.2f | %.2f× |\n", n, a, b, c, (a > 0 ? m / a : 0) }'
  echo
  echo "Peak RSS after all cases: navigli ${R[navigli,rss]} MiB, tipg ${R[tipg,rss]} MiB, pygeoapi ${R[pygeoapi,rss]} MiB (summed over each server's processes)."
  echo
} | tee -a bench/results/ogcapi-peers.md
