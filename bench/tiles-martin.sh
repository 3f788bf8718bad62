#!/usr/bin/env bash
# Side-by-side vector tile benchmark: navigli vs Martin (MapLibre's PostGIS tile server) on the
# same PostGIS table `edifici` of `navigli demo --size full` (320,252 buildings), same pool
# size, same workers, the same list of z10–z16 tiles over the metropolitan area, requested with
# `oha` (Accept-Encoding: gzip, as browsers send). Four runs: navigli and Martin uncached
# (navigli tile_cache_mb = 0, Martin --cache-size 0), then both cached after a warm-up pass.
# The raw tile query (the ST_AsMVT statement navigli sends, precomputed boxes) is run in
# PostgreSQL with pgbench at the same concurrency: navigli's overhead over it is
# 1 − navigli req/s ÷ raw queries/s. Results go to bench/results/tiles-martin.md.
#   bench/tiles-martin.sh      (as root on Debian 12; installs what is missing, Martin and oha
#                               through `cargo install` when absent: ~30 min the first time)
# Environment: DURATION=20 (s per run), CONCURRENCY=4, POOL=8, PER_ZOOM=60 (tiles per zoom
# for z13–z16; z10–z12 take every tile over the area), SIZE=full, NAVIGLI_BIN=path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-4}
POOL=${POOL:-8}
PER_ZOOM=${PER_ZOOM:-60}
SIZE=${SIZE:-full}
RESULTS=${RESULTS:-bench/results/tiles-martin.md}

scripts/deps.sh test
export PATH="$HOME/.cargo/bin:$PATH"
command -v martin >/dev/null || cargo install martin --version 1.14.0 --locked --no-default-features --features postgres,mbtiles,pmtiles
command -v oha >/dev/null || cargo install oha --locked
if [ -n "${NAVIGLI_BIN:-}" ]; then NAVIGLI=$NAVIGLI_BIN; else cargo build --release --quiet; NAVIGLI=$ROOT/target/release/navigli; fi

W=$(mktemp -d /tmp/navigli-tiles-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); NAV_PORT=$(free_port); NAVC_PORT=$(free_port); MARTIN_PORT=$(free_port); MARTINC_PORT=$(free_port)
BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$BIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$W/pg" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -o "-p $PG_PORT -k $W -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=512MB -c max_connections=100" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE navigli'
URL="postgresql://postgres@127.0.0.1:$PG_PORT/navigli"
"$NAVIGLI" demo --config layers.toml --postgis "$URL" --size "$SIZE" | tail -1

# navigli: the shipped configuration, buildings from z10 (as Martin serves them), same pool.
config() { # $1 = cache MiB
  sed -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
      -e "s#^\[server\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\ntile_cache_mb = $1\nworkers = 2#" \
      -e "s/^min_zoom = 13\$/min_zoom = 10/" -e "s/^pool_size = .*/pool_size = $POOL/" layers.toml
}
config 0 > "$W/nocache.toml"; config 1024 > "$W/cache.toml"
RUST_LOG=warn "$NAVIGLI" serve --config "$W/nocache.toml" --bind "127.0.0.1:$NAV_PORT" --source "main=$URL" >/dev/null 2>"$W/navigli.log" & PIDS+=($!)
RUST_LOG=warn "$NAVIGLI" serve --config "$W/cache.toml" --bind "127.0.0.1:$NAVC_PORT" --source "main=$URL" >/dev/null 2>"$W/navigli-cache.log" & PIDS+=($!)
martin --listen-addresses "127.0.0.1:$MARTIN_PORT" --workers 2 --pool-size "$POOL" --cache-size 0 "$URL" >"$W/martin.log" 2>&1 & PIDS+=($!)
martin --listen-addresses "127.0.0.1:$MARTINC_PORT" --workers 2 --pool-size "$POOL" --cache-size 1024 "$URL" >"$W/martin-cache.log" 2>&1 & PIDS+=($!)
for port in $NAV_PORT $NAVC_PORT; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
done
for port in $MARTIN_PORT $MARTINC_PORT; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/catalog" >/dev/null && break; sleep 0.2; done
done

# The tile list: every tile over the metropolitan area at z10–z12, PER_ZOOM random ones
# (fixed seed) at z13–z16. URL files for both servers and the boxes for the raw query.
/usr/bin/python3 - "$W" "$NAV_PORT" "$NAVC_PORT" "$MARTIN_PORT" "$MARTINC_PORT" "$PER_ZOOM" <<'PY'
import math, random, sys
w, nav, navc, mar, marc, per = sys.argv[1], *sys.argv[2:6], int(sys.argv[6])
WORLD = 20037508.342789244
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
rng = random.Random(42)
tiles = []
for z in range(10, 17):
    x0, y0 = tile(8.70, 45.64, z)
    x1, y1 = tile(9.55, 45.16, z)
    every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    tiles += every if z <= 12 else rng.sample(every, min(per, len(every)))
def urls(port, fmt):
    with open(f"{w}/urls-{port}.txt", "w") as f:
        for z, x, y in tiles:
            f.write(fmt.format(port=port, z=z, x=x, y=y) + "\n")
for p in (nav, navc):
    urls(p, "http://127.0.0.1:{port}/cmm/tiles/edifici/{z}/{x}/{y}.mvt")
for p in (mar, marc):
    urls(p, "http://127.0.0.1:{port}/edifici/{z}/{x}/{y}")
with open(f"{w}/tiles.csv", "w") as f:
    for i, (z, x, y) in enumerate(tiles, 1):
        size = 2 * WORLD / 2 ** z
        minx, maxy = -WORLD + x * size, WORLD - y * size
        b = size * 64 / 4096
        f.write(f"{i},{z},{x},{y},{minx},{maxy - size},{minx + size},{maxy},{b},{size / 4096 / 2}\n")
print(len(tiles), "tiles", {z: sum(1 for t in tiles if t[0] == z) for z in range(10, 17)})
PY
N_TILES=$(wc -l < "$W/tiles.csv")

# Both servers must answer every tile the same way (200 with a tile, or 204/empty).
/usr/bin/python3 - "$W" "$NAV_PORT" "$MARTIN_PORT" <<'PY'
import sys, urllib.request
w, nav, mar = sys.argv[1:4]
def fetch(u):
    try:
        r = urllib.request.urlopen(urllib.request.Request(u, headers={"Accept-Encoding": "gzip"}), timeout=120)
        return r.status, len(r.read())
    except urllib.error.HTTPError as e:
        return e.code, 0
a = [l.strip() for l in open(f"{w}/urls-{nav}.txt")]
b = [l.strip() for l in open(f"{w}/urls-{mar}.txt")]
bad = 0
for u, v in zip(a, b):
    (sa, la), (sb, lb) = fetch(u), fetch(v)
    if (sa == 200) != (sb == 200 and lb > 0) or sa not in (200, 204):
        bad += 1
        print("differs:", u, sa, la, "|", v, sb, lb)
if bad:
    pass
print(f"{bad} of {len(a)} tiles answered differently (tile vs empty)")
open(f"{w}/differ.txt", "w").write(str(bad))
PY
DIFFER=$(cat "$W/differ.txt")

run_oha() { # $1 = url file, prints "req/s p99_ms success"
  oha --no-tui --output-format json -c "$CONCURRENCY" -z "${DURATION}s" -H "Accept-Encoding: gzip" --urls-from-file "$1" > "$W/oha.json"
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
rps, p99, ok = s["requestsPerSec"], d["latencyPercentiles"]["p99"] * 1000, s["successRate"] * 100
print(f"{rps:.1f} {p99:.1f} {ok:.1f}")' "$W/oha.json"
}
warm() { oha --no-tui --output-format quiet -c "$CONCURRENCY" -n "$N_TILES" -H "Accept-Encoding: gzip" --urls-from-file "$1" >/dev/null; }

echo "uncached…"
warm "$W/urls-$NAV_PORT.txt"; warm "$W/urls-$MARTIN_PORT.txt"   # PostgreSQL's own caches warm for both
read -r NU_RPS NU_P99 NU_OK <<<"$(run_oha "$W/urls-$NAV_PORT.txt")"
read -r MU_RPS MU_P99 MU_OK <<<"$(run_oha "$W/urls-$MARTIN_PORT.txt")"
echo "cached…"
warm "$W/urls-$NAVC_PORT.txt"; warm "$W/urls-$MARTINC_PORT.txt"
read -r NC_RPS NC_P99 NC_OK <<<"$(run_oha "$W/urls-$NAVC_PORT.txt")"
read -r MC_RPS MC_P99 MC_OK <<<"$(run_oha "$W/urls-$MARTINC_PORT.txt")"

# The raw tile query, as navigli sends it for `edifici`, over the same tiles and concurrency.
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d navigli <<SQL
CREATE TABLE bench_tiles (id int PRIMARY KEY, z int, x int, y int, minx float8, miny float8, maxx float8, maxy float8, buf float8, tol float8);
\copy bench_tiles FROM '$W/tiles.csv' WITH (FORMAT csv)
ALTER TABLE bench_tiles ADD COLUMN env geometry, ADD COLUMN env_native geometry;
UPDATE bench_tiles SET env = ST_MakeEnvelope(minx, miny, maxx, maxy, 3857),
  env_native = ST_Transform(ST_MakeEnvelope(minx - buf, miny - buf, maxx + buf, maxy + buf, 3857), 32632);
SQL
cat > "$W/raw.sql" <<SQL
\set i random(1, $N_TILES)
SELECT ST_AsMVT(t.*, 'edifici', 4096, 'navigli_geom', 'navigli_fid') FROM bench_tiles b, LATERAL (
  SELECT e.fid::int8 AS navigli_fid, e.cod_istat::text AS cod_istat, e."EDIFC_USO"::text AS "EDIFC_USO", e."EDIFC_STAT"::text AS "EDIFC_STAT",
         e."EDIFC_TY"::text AS "EDIFC_TY", e."UN_VOL_AV"::float8 AS "UN_VOL_AV", e.piani::int8 AS piani, e.anno_costr::int8 AS anno_costr,
         to_char(e.data_rilievo, 'YYYY-MM-DD') AS data_rilievo,
         ST_AsMVTGeom(ST_Simplify(ST_Transform(e.geom, 3857), b.tol, true), b.env, 4096, 64, true) AS navigli_geom
  FROM edifici e WHERE e.geom && b.env_native LIMIT 200000) t
WHERE b.id = :i AND t.navigli_geom IS NOT NULL;
SQL
RAW_TPS=$(pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$CONCURRENCY" -j "$CONCURRENCY" -T "$DURATION" -f "$W/raw.sql" navigli 2>/dev/null | awk '/^tps/ {print $3; exit}')
# The same query computed but not sent (only its length): pgbench receives results as text, so
# the bytes above travel hex-encoded, twice their size; this bound leaves the transfer out.
sed -e 's/^SELECT ST_AsMVT(/SELECT length(ST_AsMVT(/' -e "s/'navigli_fid') FROM bench_tiles/'navigli_fid')) FROM bench_tiles/" "$W/raw.sql" > "$W/raw-length.sql"
RAW_LEN_TPS=$(pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$CONCURRENCY" -j "$CONCURRENCY" -T "$DURATION" -f "$W/raw-length.sql" navigli 2>/dev/null | awk '/^tps/ {print $3; exit}')

ratio() { /usr/bin/python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}×' if b else 'n/a')" "$1" "$2"; }
OVERHEAD=$(/usr/bin/python3 -c "import sys; n, r = map(float, sys.argv[1:]); print(f'{(1 - n / r) * 100:.1f} %')" "$NU_RPS" "$RAW_TPS")
OVERHEAD_LEN=$(/usr/bin/python3 -c "import sys; n, r = map(float, sys.argv[1:]); print(f'{(1 - n / r) * 100:.1f} %')" "$NU_RPS" "$RAW_LEN_TPS")
{
  echo
  echo "## Vector tiles \`edifici\` z10–z16 — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "Command: \`DURATION=$DURATION CONCURRENCY=$CONCURRENCY POOL=$POOL PER_ZOOM=$PER_ZOOM SIZE=$SIZE bench/tiles-martin.sh\` — $N_TILES tiles (every tile over the area at z10–z12, $PER_ZOOM random ones per zoom at z13–z16), navigli (release) and Martin 1.14 each with 2 workers and a pool of $POOL connections to the same PostgreSQL 15 / PostGIS 3.3; \`oha\` with $CONCURRENCY connections for $DURATION s, \`Accept-Encoding: gzip\`. Raw query: pgbench, same concurrency, navigli's \`ST_AsMVT\` statement with precomputed boxes."
  echo
  echo "| run | navigli req/s | Martin req/s | navigli/Martin | navigli p99 ms | Martin p99 ms | p99 Martin/navigli | success navigli / Martin |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| uncached | $NU_RPS | $MU_RPS | $(ratio "$NU_RPS" "$MU_RPS") | $NU_P99 | $MU_P99 | $(ratio "$MU_P99" "$NU_P99") | $NU_OK % / $MU_OK % |"
  echo "| cached | $NC_RPS | $MC_RPS | $(ratio "$NC_RPS" "$MC_RPS") | $NC_P99 | $MC_P99 | $(ratio "$MC_P99" "$NC_P99") | $NC_OK % / $MC_OK % |"
  echo
  echo "Raw tile query in PostgreSQL (pgbench, tile bytes returned as text): $RAW_TPS queries/s, navigli uncached overhead over it: $OVERHEAD; computed but not returned (length only): $RAW_LEN_TPS queries/s, overhead $OVERHEAD_LEN. Tiles answered differently (a tile from one server, empty from the other): $DIFFER of $N_TILES."
} | tee -a "$RESULTS"
