#!/usr/bin/env bash
# Scale-out benchmark (issue "Production at metropolitan scale"), loopback only, not part of
# `make test`. A PostgreSQL primary with the demo data (SIZE=full by default) and one streaming
# standby (pg_basebackup -R) on this machine; a mixed workload — WMS GetMap 40 %, vector tiles
# 40 %, WFS / OGC API features 15 %, roof checks 5 %, over 40 tenants and random views — from
# CONNS (256) wrk connections for DURATION (60) s against:
#   (a) one navigli (2 workers) over the primary;
#   (b) two navigli (1 worker each, the standby as their read replica) behind HAProxy (round
#       robin, /ready health checks, retries and redispatch on connection errors); a third of the
#       way in the standby is killed, two thirds in one navigli (kill -9).
# Then a soak of (b), both processes back, at SOAK_CONNS (64) connections for SOAK_S (1800) s,
# the navigli RSS sampled every minute. Results go to bench/results/scale.md.
#   bench/scale.sh                        (as root on Debian 12; installs wrk and haproxy)
#   DURATION=30 SOAK_S=300 SIZE=small bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-60}
CONNS=${CONNS:-256}
SOAK_S=${SOAK_S:-1800}
SOAK_CONNS=${SOAK_CONNS:-64}
SIZE=${SIZE:-full}
BIN=/usr/lib/postgresql/15/bin
for p in wrk haproxy; do
  dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed" || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $p
done
cargo build --release --quiet
NAVIGLI=$ROOT/target/release/navigli
W=$(mktemp -d /tmp/navigli-scale.XXXXXX)
chmod 755 "$W"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGP=$(free_port); PGR=$(free_port); N1=$(free_port); N2=$(free_port); LB=$(free_port)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$BIN/pg_ctl" -D "$W/pg/standby" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$BIN/pg_ctl" -D "$W/pg/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/pg" && [ "$(id -u)" -eq 0 ] && chown postgres: "$W/pg"
pg_start() { as_pg "$BIN/pg_ctl" -D "$W/pg/$1" -l "$W/pg/$1.log" -w -o "-p $2 -k $W/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null; }
as_pg "$BIN/initdb" -D "$W/pg/primary" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
pg_start primary "$PGP"
PRIMARY="postgresql://postgres@127.0.0.1:$PGP/navigli"
REPLICA="postgresql://postgres@127.0.0.1:$PGR/navigli"
psql -q -h 127.0.0.1 -p "$PGP" -U postgres -c 'CREATE DATABASE navigli'
started=$(date +%s)
"$NAVIGLI" migrate --database-url "$PRIMARY" >/dev/null
"$NAVIGLI" demo --config layers.toml --postgis "$PRIMARY" --size "$SIZE" | tail -1
echo "demo ($SIZE) loaded in $(( $(date +%s) - started )) s"
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PGP" -U postgres -D "$W/pg/standby" -R -X stream -c fast
pg_start standby "$PGR"

config() { # $1 file, $2 workers, $3 replicas line
  sed -e "s#^kind = \"gpkg\"#kind = \"postgis\"\nurl = \"$PRIMARY\"\n$3#" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
    -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nworkers = $2\nupdate_sequence = 1#" layers.toml > "$1"
}
config "$W/one.toml" 2 ""
config "$W/pair.toml" 1 "replicas = [\"$REPLICA\"]"
serve() { # $1 config, $2 port; prints the pid
  RUST_LOG=warn "$NAVIGLI" serve --config "$1" --bind "127.0.0.1:$2" >/dev/null 2>>"$W/navigli-$2.log" &
  echo $!
}
wait_up() { for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.2; done; echo "port $1 not up" >&2; exit 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# The URL list: 40 tenants (the first comuni of the table), random views.
python3 - "$ROOT/data/comuni.csv" > "$W/urls.txt" <<'EOPY'
import csv, math, random, sys
random.seed(11)
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
tenants = [(r["istat_code"], float(r["centroid_lon"]), float(r["centroid_lat"])) for r in rows[:40]]
def tile(lo, la, z):
    n = 2 ** z
    return int((lo + 180) / 360 * n), int((1 - math.log(math.tan(math.radians(la)) + 1 / math.cos(math.radians(la))) / math.pi) / 2 * n)
urls = []
for i in range(4000):
    t, lo, la = random.choice(tenants)
    lo += random.uniform(-0.01, 0.01); la += random.uniform(-0.01, 0.01)
    r = random.random()
    if r < 0.40:
        d = random.choice([0.002, 0.005, 0.01])
        urls.append(f"/{t}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,edifici,strade&STYLES=&CRS=CRS:84&BBOX={lo-d},{la-d},{lo+d},{la+d}&WIDTH=256&HEIGHT=256&FORMAT=image/png")
    elif r < 0.80:
        z = random.choice([13, 14, 15, 16]); x, y = tile(lo, la, z)
        urls.append(f"/{t}/tiles/dbt/{z}/{x}/{y}.mvt")
    elif r < 0.95:
        d = 0.003
        if random.random() < 0.5:
            urls.append(f"/{t}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=edifici&COUNT=100&OUTPUTFORMAT=application/json&BBOX={lo-d},{la-d},{lo+d},{la+d},urn:ogc:def:crs:OGC:1.3:CRS84")
        else:
            urls.append(f"/{t}/ogcapi/collections/servizi_pubblici/items?f=json&limit=50&bbox={lo-d},{la-d},{lo+d},{la+d}")
    else:
        urls.append(f"/{t}/roofs/estimate?slope={random.choice([10, 25, 35])}&aspect={random.choice([90, 180, 270])}&area=40")
print("\n".join(urls))
EOPY
cat > "$W/mix.lua" <<'EOLUA'
local urls = {}
for line in io.lines(os.getenv("URLS")) do urls[#urls + 1] = line end
local i = 0
init = function(args) i = math.random(#urls) end
request = function()
  i = (i % #urls) + 1
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f %d\n", summary.requests, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
EOLUA
# One wrk run: prints "req/s | failed | p50 | p99" as a table row tail.
run() { # $1 port, $2 connections, $3 seconds
  local out res
  out=$(URLS="$W/urls.txt" wrk -t 2 -c "$2" -d "${3}s" --timeout 10s -s "$W/mix.lua" "http://127.0.0.1:$1" 2>&1)
  res=$(echo "$out" | grep '^RESULT')
  set -- $res
  awk -v n="$2" -v st="$3" -v sock="$4" -v to="$5" -v p50="$6" -v p99="$7" -v us="$8" \
    'BEGIN { s = us / 1e6; printf "%.0f | %d (%d status, %d socket, %d time-outs) | %.0f | %.0f", n / s, st + sock + to, st, sock, to, p50 / 1000, p99 / 1000 }'
}

# Every URL answers (200 or 204) on an idle server: what fails under load is load or faults.
A=$(serve "$W/one.toml" "$N1"); PIDS+=("$A"); wait_up "$N1"
bad=0
while read -r u; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$N1$u")
  case $code in 200|204) ;; *) bad=$((bad + 1)); echo "HTTP $code: $u" >&2;; esac
done < <(head -200 "$W/urls.txt")
[ "$bad" -eq 0 ] || { echo "$bad of the first 200 URLs fail on an idle server" >&2; exit 1; }
URLS="$W/urls.txt" wrk -t 2 -c 16 -d 10s -s "$W/mix.lua" "http://127.0.0.1:$N1" >/dev/null
ROW_A=$(run "$N1" "$CONNS" "$DURATION")
kill "$A"; wait "$A" 2>/dev/null || true

# (b) two navigli behind HAProxy.
cat > "$W/haproxy.cfg" <<EOHA
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  retry-on all-retryable-errors
frontend navigli
  bind 127.0.0.1:$LB
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /ready
  default-server inter 1s fall 2 rise 2
  server n1 127.0.0.1:$N1 check
  server n2 127.0.0.1:$N2 check
EOHA
haproxy -f "$W/haproxy.cfg" -D -p "$W/haproxy.pid"
PIDS+=("$(cat "$W/haproxy.pid")")
B1=$(serve "$W/pair.toml" "$N1"); PIDS+=("$B1"); wait_up "$N1"
B2=$(serve "$W/pair.toml" "$N2"); PIDS+=("$B2"); wait_up "$N2"
sleep 3
URLS="$W/urls.txt" wrk -t 2 -c 16 -d 10s -s "$W/mix.lua" "http://127.0.0.1:$LB" >/dev/null
ROW_B=$(run "$LB" "$CONNS" "$DURATION")
(
  sleep $((DURATION / 3)); as_pg "$BIN/pg_ctl" -D "$W/pg/standby" -m immediate stop >/dev/null
  sleep $((DURATION / 3)); kill -9 "$B2"
) &
FAULTS=$!
ROW_F=$(run "$LB" "$CONNS" "$DURATION")
wait "$FAULTS" || true

# Soak: both back, steady load, RSS every minute.
pg_start standby "$PGR"
B2=$(serve "$W/pair.toml" "$N2"); PIDS+=("$B2"); wait_up "$N2"
sleep 5
URLS="$W/urls.txt" wrk -t 2 -c "$SOAK_CONNS" -d 60s -s "$W/mix.lua" "http://127.0.0.1:$LB" >/dev/null
R1_START=$(rss_kb "$B1"); R2_START=$(rss_kb "$B2")
SAMPLES="$(date -u +%H:%M) $R1_START $R2_START"
( for _ in $(seq 1 $((SOAK_S / 60))); do sleep 60; echo "$(date -u +%H:%M) $(rss_kb "$B1") $(rss_kb "$B2")"; done ) > "$W/rss.txt" &
RSS_LOOP=$!
ROW_S=$(run "$LB" "$SOAK_CONNS" "$SOAK_S")
kill "$RSS_LOOP" 2>/dev/null || true
R1_END=$(rss_kb "$B1"); R2_END=$(rss_kb "$B2")
REPLICA_BACK=$(curl -s "http://127.0.0.1:$N2/ready")

mkdir -p bench/results
{
  echo "## Scale-out — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "Command: \`DURATION=$DURATION CONNS=$CONNS SOAK_S=$SOAK_S SIZE=$SIZE bench/scale.sh\` (release build; PostgreSQL 15 primary + one streaming standby on this machine; GetMap 40 %, tiles 40 %, WFS/OGC API 15 %, roof checks 5 % over 40 tenants; wrk 2 threads; HAProxy $(haproxy -v | head -1 | awk '{print $3}') round robin with /ready checks, retries and redispatch)."
  echo
  echo "| run | req/s | failed | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  echo "| (a) one navigli, 2 workers, primary only, $CONNS conns | $ROW_A |"
  echo "| (b) two navigli × 1 worker behind HAProxy, standby as read replica, $CONNS conns | $ROW_B |"
  echo "| (b) with the standby killed at $((DURATION / 3)) s and one navigli killed at $((2 * DURATION / 3)) s | $ROW_F |"
  echo "| soak: (b) for $SOAK_S s at $SOAK_CONNS conns | $ROW_S |"
  echo
  awk -v a="$R1_START" -v b="$R1_END" -v c="$R2_START" -v d="$R2_END" -v s="$SOAK_S" 'BEGIN {
    printf "RSS over the %d s soak: navigli 1 %.1f → %.1f MiB (%+.1f %%), navigli 2 %.1f → %.1f MiB (%+.1f %%).\n", s, a/1024, b/1024, 100*(b-a)/a, c/1024, d/1024, 100*(d-c)/c }'
  echo
  echo "RSS samples (UTC, KiB): $SAMPLES; $(tr '\n' ';' < "$W/rss.txt")"
  echo
  echo "After the soak the restarted navigli reports: \`$REPLICA_BACK\`"
  echo
} | tee -a bench/results/scale.md
