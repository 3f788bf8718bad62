#!/usr/bin/env bash
# Side-by-side WMS GetMap benchmark: navigli vs MapServer 8 (FastCGI behind nginx), both drawing
# the layers comuni (outlines + name labels), edifici (filled by use class) and strade (roads by
# class) from the same PostGIS tables of `navigli demo`, with the shipped SLD styles on navigli's
# side and an equivalent mapfile on MapServer's. PNG at 256×256 and 1024×768 over the whole
# metropolitan area, a comune-level view and a neighbourhood of central Milan (EPSG:32632), plus
# two EPSG:3857 web-map tiles. Each case: both answers checked (HTTP 200, image/png, exact size),
# one sample PNG per server kept, a warm-up, then `wrk` for DURATION seconds at CONCURRENCY
# connections. Records req/s of each server and the ratio into bench/results/wms-mapserver.md.
#   bench/wms-mapserver.sh            (as root on Debian 12; installs what is missing)
# Environment: SIZE=full|small (demo dataset), DURATION=10 (s per server and case), WARMUP=2 (s),
# CONCURRENCY=2 (wrk connections), MS_PROCS=nproc (MapServer FastCGI processes), LABELS=1
# (0 drops MapServer's labels), NAVIGLI_BIN=path (skip `cargo build`, use this binary),
# RESULTS=bench/results/wms-mapserver.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZE=${SIZE:-full}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-2}
MS_PROCS=${MS_PROCS:-$(nproc)}
LABELS=${LABELS:-1}
RESULTS=${RESULTS:-bench/results/wms-mapserver.md}

missing=()
for p in postgresql-15 postgresql-15-postgis-3 python3-gdal mapserver-bin cgi-mapserver spawn-fcgi nginx-light fonts-dejavu-core wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get -o Acquire::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ -n "${NAVIGLI_BIN:-}" ]; then
  NAVIGLI=$NAVIGLI_BIN
  BUILD_NOTE="navigli binary $NAVIGLI_BIN, given by NAVIGLI_BIN"
else
  cargo build --release --quiet
  NAVIGLI=$ROOT/target/release/navigli
  BUILD_NOTE="navigli release build"
fi
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

W=$(mktemp -d /tmp/navigli-bench.XXXXXX)
SAMPLES=$(mktemp -d /tmp/navigli-wms-samples.XXXXXX)   # kept after the run, for a human to look at
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); NAV_PORT=$(free_port); MS_PORT=$(free_port); FCGI_PORT=$(free_port)
BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$W"
die() { echo "wms-mapserver: $*" >&2; exit 1; }
cleanup() {
  if [ -n "${NAV_PID:-}" ]; then kill "$NAV_PID" 2>/dev/null || true; fi
  if [ -f "$W/nginx.pid" ]; then kill "$(cat "$W/nginx.pid")" 2>/dev/null || true; fi
  # MapServer's FastCGI children ignore SIGTERM; spawn-fcgi wrote their pids (no final newline).
  if [ -f "$W/fcgi.pids" ]; then
    while read -r pid || [ -n "$pid" ]; do kill -9 "$pid" 2>/dev/null || true; done < "$W/fcgi.pids"
  fi
  as_pg "$BIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$W/pg" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -o "-p $PG_PORT -k $W -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=512MB" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE navigli'
URL="postgresql://postgres@127.0.0.1:$PG_PORT/navigli"
"$NAVIGLI" demo --config layers.toml --postgis "$URL" --size "$SIZE" | tail -1
sql() { psql -qAtX -F ' ' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d navigli -c "$1"; }
# The metropolitan extent, and the centre of Milan (piazza del Duomo).
read -r EXT_MINX EXT_MINY EXT_MAXX EXT_MAXY < <(sql "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM comuni) s")
read -r DUOMO_X DUOMO_Y < <(sql "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(9.1919, 45.4641), 4326), 32632) p) s")
N_EDIFICI=$(sql "SELECT count(*) FROM edifici"); N_STRADE=$(sql "SELECT count(*) FROM strade")

# navigli: the shipped config and styles (styles/ next to the config), the PostGIS source.
sed -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" layers.toml > "$W/layers.toml"
ln -s "$ROOT/styles" "$W/styles"
RUST_LOG=warn "$NAVIGLI" serve --config "$W/layers.toml" --bind "127.0.0.1:$NAV_PORT" --source "main=$URL" >/dev/null 2>"$W/navigli.log" &
NAV_PID=$!

# MapServer: the same three layers and styles (styles/comuni.sld, edifici.sld, strade.sld) as a
# mapfile. RESOLUTION = DEFRESOLUTION = 90.714 dpi makes its scale denominators the OGC ones
# (0.28 mm pixels) without rescaling widths, so the SLD scale ranges and pixel widths carry over.
echo "dejavu $FONT" > "$W/fonts.txt"
PG_CONN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=navigli"
# Labels as in the SLD TextSymbolizers: comuni names (11 px) below 1:300,000, road names (9 px,
# along the line) below 1:6,000. MapServer's SIZE is in points at 96 dpi: 11 px = 8.25.
COMUNI_LABEL=""
ROAD_LABEL=""
if [ "$LABELS" = 1 ]; then
  COMUNI_LABEL='LABEL
        MAXSCALEDENOM 300000
        FONT "dejavu"
        SIZE 8.25
        COLOR "#262626"
        OUTLINECOLOR "#ffffffd9"
        OUTLINEWIDTH 2
        POSITION CC
        PARTIALS FALSE
      END'
  ROAD_LABEL='      LABEL
        MAXSCALEDENOM 6000
        FONT "dejavu"
        SIZE 6.75
        COLOR "#333333"
        OUTLINECOLOR "#ffffffe6"
        OUTLINEWIDTH 2
        ANGLE FOLLOW
        PARTIALS FALSE
      END'
fi
edifici_class() { # use-code colour
  cat <<EOC
    CLASS
      NAME "uso_$1"
      EXPRESSION ("[EDIFC_USO]" = "$1")
      STYLE COLOR "$2" OUTLINECOLOR "#8a8073" WIDTH 0.5 LINEJOIN miter END
    END
EOC
}
road_class() { # name, classe, min scale, max scale, labelled (0/1), then "colour width" per style (casing first)
  local name=$1 classe=$2 min=$3 max=$4 label=$5
  shift 5
  echo "    CLASS"
  echo "      NAME \"$name\""
  echo "      EXPRESSION (\"[classe]\" = \"$classe\")"
  [ "$min" != - ] && echo "      MINSCALEDENOM $min"
  [ "$max" != - ] && echo "      MAXSCALEDENOM $max"
  while [ $# -gt 0 ]; do
    echo "      STYLE COLOR \"$1\" WIDTH $2 LINECAP round LINEJOIN round END"
    shift 2
  done
  if [ "$label" = 1 ] && [ -n "$ROAD_LABEL" ]; then echo "$ROAD_LABEL"; fi
  echo "    END"
}
{
cat <<EOMAP
MAP
  NAME "navigli_wms_bench"
  EXTENT $EXT_MINX $EXT_MINY $EXT_MAXX $EXT_MAXY
  SIZE 256 256
  MAXSIZE 4096
  UNITS METERS
  RESOLUTION 90.714
  DEFRESOLUTION 90.714
  IMAGECOLOR 255 255 255
  FONTSET "$W/fonts.txt"
  PROJECTION "init=epsg:32632" END
  OUTPUTFORMAT
    NAME "png"
    DRIVER AGG/PNG
    MIMETYPE "image/png"
    IMAGEMODE RGB
    EXTENSION "png"
  END
  WEB
    METADATA
      "wms_title" "navigli bench"
      "wms_onlineresource" "http://127.0.0.1:$MS_PORT/mapserv?"
      "wms_srs" "EPSG:32632 EPSG:3857"
      "wms_enable_request" "*"
    END
  END
  LAYER
    NAME "comuni"
    TYPE POLYGON
    CONNECTIONTYPE POSTGIS
    CONNECTION "$PG_CONN"
    DATA "geom from comuni using unique fid using srid=32632"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:32632" END
    METADATA "wms_title" "comuni" END
    LABELITEM "nome"
    CLASS
      NAME "confine"
      STYLE OUTLINECOLOR "#4d4d4d" WIDTH 1.2 LINEJOIN round END
      $COMUNI_LABEL
    END
  END
  LAYER
    NAME "edifici"
    TYPE POLYGON
    MAXSCALEDENOM 25000
    CONNECTIONTYPE POSTGIS
    CONNECTION "$PG_CONN"
    DATA "geom from edifici using unique fid using srid=32632"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    # SLD semantics: the use-class fill and the under-construction outline (a second
    # FeatureTypeStyle) both apply.
    PROCESSING "RENDERMODE=ALL_MATCHING_CLASSES"
    PROJECTION "init=epsg:32632" END
    METADATA "wms_title" "edifici" END
EOMAP
edifici_class 01 "#ddd3c4"
edifici_class 02 "#c9b3d9"
edifici_class 03 "#f0b4a0"
edifici_class 05 "#e6cf7e"
edifici_class 06 "#f4a46e"
edifici_class 07 "#b5b8cc"
edifici_class 08 "#d9c89a"
edifici_class 09 "#a9d6a3"
edifici_class 10 "#a7b9cf"
cat <<EOMAP
    CLASS
      NAME "uso_altro"
      EXPRESSION (NOT ("[EDIFC_USO]" ~ "^(01|02|03|05|06|07|08|09|10)\$"))
      STYLE COLOR "#cfcfcf" OUTLINECOLOR "#8a8073" WIDTH 0.5 END
    END
    CLASS
      NAME "in_costruzione"
      EXPRESSION ("[EDIFC_STAT]" = "02")
      STYLE OUTLINECOLOR "#4d4d4d" WIDTH 1 PATTERN 4 2 END END
    END
  END
  LAYER
    NAME "strade"
    TYPE LINE
    MAXSCALEDENOM 100000
    CONNECTIONTYPE POSTGIS
    CONNECTION "$PG_CONN"
    DATA "geom from strade using unique fid using srid=32632"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:32632" END
    METADATA "wms_title" "strade" END
    LABELITEM "nome"
EOMAP
road_class autostrada autostrada - 40000 0 "#a3520c" 8 "#f7941d" 5.6
road_class autostrada_lontano autostrada 40000 - 0 "#a3520c" 5 "#f7941d" 3.2
road_class extraurbana extraurbana - 40000 0 "#a0853a" 6 "#ffd166" 4
road_class extraurbana_lontano extraurbana 40000 - 0 "#a0853a" 3.6 "#ffd166" 2
road_class urbana_principale "urbana principale" - 25000 1 "#9a9a9a" 5 "#ffffff" 3.4
road_class urbana_principale_lontano "urbana principale" 25000 - 0 "#8c8c8c" 1
road_class locale locale - 10000 1 "#b4b4b4" 3.6 "#ffffff" 2.2
road_class locale_lontano locale 10000 50000 0 "#b4b4b4" 0.6
echo "  END"
echo "END"
} > "$W/navigli.map"
cat > "$W/mapserver.conf" <<CONF
CONFIG
  ENV
    MS_MAP_PATTERN "^/tmp/"
    MS_MAPFILE "$W/navigli.map"
    MS_ERRORFILE "$W/mapserver-errors.log"
  END
END
CONF
MAPSERVER_CONFIG_FILE="$W/mapserver.conf" spawn-fcgi -a 127.0.0.1 -p "$FCGI_PORT" -F "$MS_PROCS" -P "$W/fcgi.pids" -- /usr/lib/cgi-bin/mapserv >/dev/null
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
    location /mapserv { include /etc/nginx/fastcgi_params; fastcgi_pass 127.0.0.1:$FCGI_PORT; }
  }
}
NGINX
nginx -c "$W/nginx.conf"

up() { for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
up "http://127.0.0.1:$NAV_PORT/health" || { cat "$W/navigli.log" >&2; die "navigli did not start"; }
up "http://127.0.0.1:$MS_PORT/mapserv?SERVICE=WMS&REQUEST=GetCapabilities" || die "MapServer did not answer"

# Checks both PNGs (exact size) and prints the fraction of drawn (non-white) pixels of each and
# the overlap (intersection over union) of the two drawn masks.
cat > "$W/pngstat.py" <<'PY'
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
w, h = int(sys.argv[1]), int(sys.argv[2])
masks = []
for path in sys.argv[3:]:
    ds = gdal.Open(path)
    if (ds.RasterXSize, ds.RasterYSize) != (w, h):
        sys.exit(f"{path}: {ds.RasterXSize}x{ds.RasterYSize}, expected {w}x{h}")
    if ds.GetRasterBand(1).GetColorTable() is not None:
        ds = gdal.Translate("/vsimem/rgba.tif", ds, rgbExpand="rgba")
    a = ds.ReadAsArray().reshape(ds.RasterCount, h, w)
    rgb = a[:3] if ds.RasterCount >= 3 else a[:1]
    alpha = a[3] if ds.RasterCount == 4 else (a[1] if ds.RasterCount == 2 else np.full((h, w), 255))
    masks.append((rgb != 255).any(axis=0) & (alpha > 0))
union = (masks[0] | masks[1]).sum()
iou = (masks[0] & masks[1]).sum() / union if union else 1.0
print(f"{masks[0].mean():.4f} {masks[1].mean():.4f} {iou:.4f}")
PY

fetch() { # url file -> checks HTTP 200 image/png
  local meta
  meta=$(curl -s -o "$2" -w '%{http_code} %{content_type}' "$1")
  case "$meta" in
    "200 image/png"*) ;;
    *) echo "--- $1 answered: $meta" >&2; head -c 600 "$2" >&2; echo >&2; die "not a PNG (see above)";;
  esac
}
bench() { # url -> "req/s p50_ms"
  local out rps p50 bad
  wrk -t1 -c"$CONCURRENCY" -d"${WARMUP}s" --timeout 60s "$1" >/dev/null
  out=$(wrk -t1 -c"$CONCURRENCY" -d"${DURATION}s" --timeout 60s --latency "$1")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$bad" ] || { echo "$out" >&2; die "$bad non-2xx answers from $1"; }
  grep -q 'Socket errors' <<<"$out" && echo "warning: $(grep 'Socket errors' <<<"$out") for $1" >&2
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" { v = $2; if (v ~ /us$/) m = v / 1000; else if (v ~ /ms$/) m = v + 0; else if (v ~ /m$/) m = v * 60000; else m = v * 1000; printf "%.1f", m }' <<<"$out")
  echo "${rps:-0} ${p50:-0}"
}

# Cases: name, CRS, width, height, centre x, centre y, scale denominator (0.28 mm pixels).
# The metropolitan view fits the whole extent (with a 2% margin); the 3857 cases are the
# web-map tiles (z14, z16) that contain the Duomo.
metro_scale() { awk -v dx="$(awk -v a="$EXT_MINX" -v b="$EXT_MAXX" 'BEGIN{print b-a}')" -v dy="$(awk -v a="$EXT_MINY" -v b="$EXT_MAXY" 'BEGIN{print b-a}')" -v w="$1" -v h="$2" 'BEGIN { s = dx / w; if (dy / h > s) s = dy / h; printf "%.0f", s / 0.00028 * 1.02 }'; }
CX=$(awk -v a="$EXT_MINX" -v b="$EXT_MAXX" 'BEGIN{printf "%.3f", (a+b)/2}')
CY=$(awk -v a="$EXT_MINY" -v b="$EXT_MAXY" 'BEGIN{printf "%.3f", (a+b)/2}')
tile_bbox() { # z -> minx miny maxx maxy (EPSG:3857) of the tile containing the Duomo
  awk -v z="$1" -v lon=9.1919 -v lat=45.4641 'BEGIN {
    pi = atan2(0, -1); n = 2 ^ z; r = lat * pi / 180
    x = int((lon + 180) / 360 * n); y = int((1 - log(sin(r) / cos(r) + 1 / cos(r)) / pi) / 2 * n)
    o = 20037508.342789244; s = 2 * o / n
    printf "%.6f %.6f %.6f %.6f", -o + x * s, o - (y + 1) * s, -o + (x + 1) * s, o - y * s }'
}
CASES=(
  "metropolitana EPSG:32632 256 256 $CX $CY $(metro_scale 256 256)"
  "metropolitana EPSG:32632 1024 768 $CX $CY $(metro_scale 1024 768)"
  "comune EPSG:32632 256 256 $DUOMO_X $DUOMO_Y 45000"
  "comune EPSG:32632 1024 768 $DUOMO_X $DUOMO_Y 45000"
  "quartiere EPSG:32632 256 256 $DUOMO_X $DUOMO_Y 5000"
  "quartiere EPSG:32632 1024 768 $DUOMO_X $DUOMO_Y 5000"
  "tile-z14 EPSG:3857 256 256 tile 14 -"
  "tile-z16 EPSG:3857 256 256 tile 16 -"
)

ROWS=()
for c in "${CASES[@]}"; do
  read -r name crs w h cx cy scale <<<"$c"
  if [ "$cx" = tile ]; then
    read -r minx miny maxx maxy <<<"$(tile_bbox "$cy")"
    scale=$(awk -v a="$minx" -v b="$maxx" -v w="$w" 'BEGIN{printf "%.0f", (b-a)/w/0.00028}')
  else
    read -r minx miny maxx maxy <<<"$(awk -v x="$cx" -v y="$cy" -v s="$scale" -v w="$w" -v h="$h" 'BEGIN {
      hw = s * 0.00028 * w / 2; hh = s * 0.00028 * h / 2
      printf "%.3f %.3f %.3f %.3f", x - hw, y - hh, x + hw, y + hh }')"
  fi
  Q="SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,edifici,strade&STYLES=&CRS=$crs&BBOX=$minx,$miny,$maxx,$maxy&WIDTH=$w&HEIGHT=$h&FORMAT=image/png"
  NAV="http://127.0.0.1:$NAV_PORT/cmm/wms?$Q"
  MS="http://127.0.0.1:$MS_PORT/mapserv?$Q"
  tag="$name-${w}x$h-${crs#EPSG:}"
  fetch "$NAV" "$SAMPLES/$tag-navigli.png"
  fetch "$MS" "$SAMPLES/$tag-mapserver.png"
  stats=$(/usr/bin/python3 "$W/pngstat.py" "$w" "$h" "$SAMPLES/$tag-navigli.png" "$SAMPLES/$tag-mapserver.png") || die "wrong image size for $tag"
  read -r nav_rps nav_p50 <<<"$(bench "$NAV")"
  read -r ms_rps ms_p50 <<<"$(bench "$MS")"
  row=$(awk -v n="$name" -v c="$crs" -v w="$w" -v h="$h" -v s="$scale" -v a="$nav_rps" -v b="$ms_rps" -v pa="$nav_p50" -v pb="$ms_p50" -v st="$stats" 'BEGIN {
    split(st, f, " ")
    printf "| %s | %s | %d×%d | 1:%d | %.1f | %.1f | %s | %.0f / %.0f | %.1f%% / %.1f%% | %.0f%% |", n, c, w, h, s, a, b, (b > 0 ? sprintf("%.2f×", a / b) : "n/a"), pa, pb, f[1] * 100, f[2] * 100, f[3] * 100 }')
  echo "$row"
  ROWS+=("$row")
done

MS_ERRORS=""
if [ -s "$W/mapserver-errors.log" ]; then
  cp "$W/mapserver-errors.log" "$SAMPLES/"
  MS_ERRORS="$(wc -l < "$W/mapserver-errors.log") lines in $SAMPLES/mapserver-errors.log"
  echo "MapServer logged errors:" >&2
  tail -5 "$W/mapserver-errors.log" >&2
fi

mkdir -p "$(dirname "$RESULTS")"
{
  echo "## WMS GetMap comuni,edifici,strade — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
  echo
  echo "Command: \`SIZE=$SIZE DURATION=$DURATION WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY MS_PROCS=$MS_PROCS LABELS=$LABELS bench/wms-mapserver.sh\` ($BUILD_NOTE; MapServer $(mapserv -v 2>/dev/null | head -1 | awk '{print $3}') FastCGI ×$MS_PROCS behind nginx, AGG/PNG RGB; same PostGIS tables of \`navigli demo --size $SIZE\`: $N_EDIFICI buildings, $N_STRADE road elements). \`wrk\` with $CONCURRENCY connections for $DURATION s per server and case after a $WARMUP s warm-up; load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| view | CRS | size | scale | navigli req/s | MapServer req/s | navigli/MapServer | p50 ms navigli / MapServer | drawn pixels navigli / MapServer | drawn overlap |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Drawn pixels: share of non-white pixels; overlap: intersection over union of the two drawn masks.${MS_ERRORS:+ MapServer errors: $MS_ERRORS.}"
  echo
} | tee -a "$RESULTS"
echo "Sample PNGs (one per server and case): $SAMPLES"
