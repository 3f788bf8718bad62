#!/usr/bin/env bash
# Side-by-side WFS GetFeature benchmark: navigli vs MapServer 8 (FastCGI behind nginx), both
# reading the same PostGIS table `edifici` of `navigli demo --size full`, 100,000 features per
# request, GML 3.2 and GeoJSON. Records wall time (median of RUNS), throughput ratio and peak
# RSS of each server into bench/results/wfs-mapserver.md.
#   bench/wfs-mapserver.sh            (as root on Debian 12; installs what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
COUNT=${COUNT:-100000}
scripts/deps.sh test
for p in mapserver-bin cgi-mapserver spawn-fcgi nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "$p"
done
cargo build --release --quiet
NAVIGLI=$ROOT/target/release/navigli

W=$(mktemp -d /tmp/navigli-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); NAV_PORT=$(free_port); MS_PORT=$(free_port); FCGI_PORT=$(free_port)
BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$W"
cleanup() {
  [ -n "${NAV_PID:-}" ] && kill "$NAV_PID" 2>/dev/null || true
  [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
  pkill -9 -f "spawn-fcgi.*$FCGI_PORT" 2>/dev/null || true
  for pid in $(pgrep -f /usr/lib/cgi-bin/mapserv || true); do kill -9 "$pid" 2>/dev/null || true; done
  as_pg "$BIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$W/pg" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -o "-p $PG_PORT -k $W -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=512MB" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE navigli'
URL="postgresql://postgres@127.0.0.1:$PG_PORT/navigli"
"$NAVIGLI" demo --config layers.toml --postgis "$URL" --size full | tail -1

# navigli: the shipped config, a larger response cap, the PostGIS source.
sed -e "s/^max_features = .*/max_features = 1000000/" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"#" layers.toml > "$W/layers.toml"
RUST_LOG=warn "$NAVIGLI" serve --config "$W/layers.toml" --bind "127.0.0.1:$NAV_PORT" --source "main=$URL" >/dev/null 2>"$W/navigli.log" &
NAV_PID=$!

# MapServer: one PostGIS layer, WFS with GML 3.2 and GeoJSON (OGR) output.
cat > "$W/navigli.map" <<EOMAP
MAP
  NAME "navigli_bench"
  EXTENT 450000 4990000 560000 5070000
  PROJECTION "init=epsg:32632" END
  WEB
    METADATA
      "wfs_title" "navigli bench"
      "wfs_onlineresource" "http://127.0.0.1:$MS_PORT/mapserv?"
      "wfs_srs" "EPSG:32632"
      "wfs_enable_request" "*"
      "wfs_maxfeatures" "1000000"
      "wfs_getfeature_formatlist" "geojson"
    END
  END
  OUTPUTFORMAT
    NAME "geojson"
    DRIVER "OGR/GEOJSON"
    MIMETYPE "application/json"
    FORMATOPTION "STORAGE=stream"
    FORMATOPTION "FORM=SIMPLE"
  END
  LAYER
    NAME "edifici"
    TYPE POLYGON
    CONNECTIONTYPE POSTGIS
    CONNECTION "host=127.0.0.1 port=$PG_PORT user=postgres dbname=navigli"
    DATA "geom from edifici using unique fid using srid=32632"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:32632" END
    METADATA
      "wfs_title" "edifici"
      "gml_include_items" "all"
      "gml_featureid" "fid"
      "gml_types" "auto"
    END
  END
END
EOMAP
cat > "$W/mapserver.conf" <<CONF
CONFIG
  ENV
    MS_MAP_PATTERN "^/tmp/"
    MS_MAPFILE "$W/navigli.map"
  END
END
CONF
MAPSERVER_CONFIG_FILE="$W/mapserver.conf" spawn-fcgi -a 127.0.0.1 -p "$FCGI_PORT" -F 2 -- /usr/lib/cgi-bin/mapserv >/dev/null
mkdir -p "$W/nginx"
cat > "$W/nginx.conf" <<NGINX
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $W/nginx; fastcgi_temp_path $W/nginx; proxy_temp_path $W/nginx; uwsgi_temp_path $W/nginx; scgi_temp_path $W/nginx;
  server {
    listen 127.0.0.1:$MS_PORT;
    location /mapserv { include /etc/nginx/fastcgi_params; fastcgi_pass 127.0.0.1:$FCGI_PORT; fastcgi_buffering off; }
  }
}
NGINX
nginx -c "$W/nginx.conf"

for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$NAV_PORT/health" >/dev/null && break; sleep 0.1; done

NAV="http://127.0.0.1:$NAV_PORT/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=navigli:edifici&COUNT=$COUNT"
MS="http://127.0.0.1:$MS_PORT/mapserv?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=edifici&COUNT=$COUNT"
peak_rss_kb() { awk '/VmHWM/ {s+=$2} END {print s+0}' "$@" 2>/dev/null; }
ms_pids() { pgrep -f /usr/lib/cgi-bin/mapserv | sed 's#^#/proc/#; s#$#/status#'; }

measure() { # name url -> median seconds, bytes, features
  local name=$1 url=$2 out="$W/$1.out" times=()
  curl -s "$url" -o "$out"   # warm-up (also checks the answer)
  for _ in $(seq 1 "$RUNS"); do times+=("$(curl -s -o "$out" -w '%{time_total}' "$url")"); done
  local bytes features
  bytes=$(stat -c %s "$out")
  features=$(grep -o '"type": *"Feature"' "$out" | wc -l)
  [ "$features" -eq 0 ] && features=$( (grep -o '<wfs:member>' "$out" || true) | wc -l)
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name $median $bytes $features"
}

R1=$(measure navigli-gml "$NAV")
R2=$(measure mapserver-gml "$MS")
R3=$(measure navigli-geojson "$NAV&OUTPUTFORMAT=application/json")
R4=$(measure mapserver-geojson "$MS&OUTPUTFORMAT=geojson")
# One million features (edifici + falde) in one GML 3.2 response: time to first byte, total,
# and navigli's peak RSS before/after (flat memory means the peak does not grow with size).
RSS_BEFORE=$(peak_rss_kb /proc/$NAV_PID/status)
BIG=$(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}' "http://127.0.0.1:$NAV_PORT/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=navigli:edifici,navigli:falde&COUNT=1000000")
NAV_RSS=$(peak_rss_kb /proc/$NAV_PID/status)
MS_RSS=$(peak_rss_kb $(ms_pids))

mkdir -p bench/results
{
  echo "## WFS GetFeature, $COUNT buildings — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "Command: \`RUNS=$RUNS COUNT=$COUNT bench/wfs-mapserver.sh\` (navigli release build, MapServer $(mapserv -v 2>/dev/null | head -1 | awk '{print $3}') FastCGI ×2 behind nginx; same PostGIS table \`edifici\` of \`navigli demo --size full\`)."
  echo
  echo "| server / format | median s | MB | features | features/s |"
  echo "|---|---|---|---|---|"
  for r in "$R1" "$R2" "$R3" "$R4"; do
    set -- $r
    awk -v n="$1" -v t="$2" -v b="$3" -v f="$4" 'BEGIN { printf "| %s | %.3f | %.1f | %d | %.0f |\n", n, t, b/1048576, f, (t>0? f/t : 0) }'
  done
  set -- $R1; T1=$2; set -- $R2; T2=$2; set -- $R3; T3=$2; set -- $R4; T4=$2
  awk -v a="$T1" -v b="$T2" -v c="$T3" -v d="$T4" 'BEGIN { printf "\nThroughput ratio navigli/MapServer: GML 3.2 %.2f×, GeoJSON %.2f×\n", b/a, d/c }'
  echo
  echo "Peak RSS: navigli $((NAV_RSS / 1024)) MiB (one process, all requests); MapServer $((MS_RSS / 1024)) MiB (sum over its FastCGI processes)."
  echo
  set -- $BIG
  awk -v a="$1" -v b="$2" -v c="$3" -v r0="$RSS_BEFORE" -v r1="$NAV_RSS" 'BEGIN { printf "navigli, 1,000,000 features (edifici + falde, GML 3.2) in one response: first byte after %.0f ms, complete in %.1f s, %.0f MB; peak RSS %d MiB before it, %d MiB after.\n", a*1000, b, c/1048576, r0/1024, r1/1024 }'
  echo
} | tee -a bench/results/wfs-mapserver.md
