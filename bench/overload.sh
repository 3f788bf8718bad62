#!/usr/bin/env bash
# Overload benchmark: navigli (release build, 2 workers) over the embedded full demo GeoPackage,
# a mixed URL list — vector tiles 40 %, WMS GetMap 40 %, WFS GetFeature 15 %, roof checks 5 % —
# over 40 tenants, driven by wrk at 64, 256, 512 and 1024 connections. Reports req/s, the
# share answered 503, goodput (non-503 answers per second) and p50/p99 latency into
# bench/results/overload.md. Not part of `make test`; loopback only.
#   bench/overload.sh            (as root on Debian 12; installs wrk when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-15}
dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q "install ok installed" || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends wrk
cargo build --release --quiet
NAVIGLI=$ROOT/target/release/navigli
W=$(mktemp -d /tmp/navigli-overload.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
GPKG=$ROOT/target/bench-full-demo.gpkg
[ -f "$GPKG" ] || "$NAVIGLI" demo --config layers.toml --gpkg "$GPKG" --size full | tail -1
sed -e "s#path = \"data/demo.gpkg\"#path = \"$GPKG\"#" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
  -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nworkers = 2${MAX_CONCURRENT:+\nmax_concurrent_requests = $MAX_CONCURRENT}#" layers.toml > "$W/layers.toml"
RUST_LOG=error "$NAVIGLI" serve --config "$W/layers.toml" --bind "127.0.0.1:$PORT" >/dev/null 2>"$W/navigli.log" &
PID=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

# The URL list: 40 tenants (Milano and the first comuni of the table), random views.
python3 - "$ROOT/data/comuni.csv" > "$W/urls.txt" <<'EOPY'
import csv, math, random, sys
random.seed(7)
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
key, lon, lat = "istat_code", "centroid_lon", "centroid_lat"
tenants = [(r[key], float(r[lon]), float(r[lat])) for r in rows[:40]]
def tile(lo, la, z):
    n = 2 ** z
    x = int((lo + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(la)) + 1 / math.cos(math.radians(la))) / math.pi) / 2 * n)
    return x, y
urls = []
for i in range(2000):
    t, lo, la = random.choice(tenants)
    lo += random.uniform(-0.01, 0.01); la += random.uniform(-0.01, 0.01)
    r = random.random()
    if r < 0.40:
        z = random.choice([13, 14, 15, 16]); x, y = tile(lo, la, z)
        urls.append(f"/{t}/tiles/dbt/{z}/{x}/{y}.mvt")
    elif r < 0.80:
        d = random.choice([0.002, 0.005, 0.01])
        urls.append(f"/{t}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,edifici,strade&STYLES=&CRS=CRS:84&BBOX={lo-d},{la-d},{lo+d},{la+d}&WIDTH=256&HEIGHT=256&FORMAT=image/png")
    elif r < 0.95:
        d = 0.003
        urls.append(f"/{t}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=edifici&COUNT=100&OUTPUTFORMAT=application/json&BBOX={lo-d},{la-d},{lo+d},{la+d},urn:ogc:def:crs:OGC:1.3:CRS84")
    else:
        urls.append(f"/{t}/roofs/estimate?slope=30&aspect=180&area=40")
print("\n".join(urls))
EOPY
cat > "$W/mix.lua" <<'EOLUA'
local urls = {}
for line in io.lines(os.getenv("URLS")) do urls[#urls + 1] = line end
local i = 0
request = function()
  i = (i % #urls) + 1
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.0f %.0f %d\n", summary.requests, summary.errors.status, latency:percentile(50), latency:percentile(99), summary.duration))
end
EOLUA
# Every URL of the list answers (200 or 204) on an idle server: the errors counted under load
# are refusals (503) or time-outs, not bad URLs.
bad=0
while read -r u; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$u")
  case $code in 200|204) ;; *) bad=$((bad + 1)); echo "HTTP $code: $u" >&2;; esac
done < <(head -200 "$W/urls.txt")
[ "$bad" -eq 0 ] || { echo "$bad of the first 200 URLs fail on an idle server" >&2; exit 1; }
# Warm-up (the page cache, the tile cache's first tiles).
URLS="$W/urls.txt" wrk -t 2 -c 16 -d 10s -s "$W/mix.lua" "http://127.0.0.1:$PORT" >/dev/null

mkdir -p bench/results
{
  echo "## Overload — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "Command: \`DURATION=$DURATION bench/overload.sh\` (release build, 2 workers, embedded full demo; tiles 40 %, GetMap 40 %, WFS 15 %, roof checks 5 % over 40 tenants; wrk 2 threads; max_concurrent_requests ${MAX_CONCURRENT:-256 (default)}, max_queued_requests 1024, queue_wait_ms 2000)."
  echo
  echo "| connections | req/s | refused (503) or failed | goodput (answered/s) | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|"
  for c in 64 256 512 1024; do
    out=$(URLS="$W/urls.txt" wrk -t 2 -c "$c" -d "${DURATION}s" --timeout 10s -s "$W/mix.lua" "http://127.0.0.1:$PORT" 2>&1)
    res=$(echo "$out" | grep '^RESULT')
    timeouts=$(echo "$out" | sed -n 's/.*timeout \([0-9]*\).*/\1/p' | head -1)
    set -- $res
    awk -v c="$c" -v n="$2" -v bad="$(( $3 + ${timeouts:-0} ))" -v p50="$4" -v p99="$5" -v us="$6" \
      'BEGIN { s = us / 1e6; printf "| %d | %.0f | %.1f %% | %.0f | %.0f | %.0f |\n", c, n / s, (n > 0 ? 100 * bad / n : 0), (n - bad) / s, p50 / 1000, p99 / 1000 }'
  done
  echo
} | tee -a bench/results/overload.md
