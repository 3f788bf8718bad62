#!/usr/bin/env bash
# "Il mio tetto" on the full demo (issue 14: search to card ≤ 1 s on this machine): a release
# navigli over the full demo GeoPackage (roofs computed, search index built beforehand, as
# `make run` does), and the browser script of the end-to-end test (tests/fixtures/tetti_check.mjs)
# in headless Chromium for RUNS house numbers of Milano whose building has two or more planes:
# typing the address (10 ms a key) until the suggestions show, Enter until the card is drawn,
# and the whole. No peer: no other tool offers this page. Results: bench/results/tetti.md.
#   bench/tetti.sh           (as root on Debian 12; RUNS=5, NAVIGLI_BIN=path)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
RESULTS=${RESULTS:-bench/results/tetti.md}
scripts/deps.sh test
if [ -n "${NAVIGLI_BIN:-}" ]; then NAVIGLI=$NAVIGLI_BIN; else cargo build --release --quiet; NAVIGLI=$ROOT/target/release/navigli; fi
W=$(mktemp -d /tmp/navigli-tetti-bench.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

sed -e "s#path = \"data/demo.gpkg\"#path = \"$W/demo.gpkg\"#" -e "s#comuni = \"data/comuni.csv\"#comuni = \"$ROOT/data/comuni.csv\"#" \
  -e "s#^\\[server\\]\$#[server]\nstyles_dir = \"$ROOT/styles\"\nweb_dir = \"$ROOT/web/dist\"\napps_db = \"$W/apps.sqlite\"\nworkers = 2#" layers.toml >"$W/layers.toml"
"$NAVIGLI" demo --config "$W/layers.toml" --gpkg "$W/demo.gpkg" --size full 2>/dev/null | tail -1
t0=$(date +%s); "$NAVIGLI" roofs compute --config "$W/layers.toml" 2>/dev/null | tail -1; echo "roofs computed in $(( $(date +%s) - t0 )) s"
"$NAVIGLI" search index --config "$W/layers.toml" 2>/dev/null | tail -1
RUST_LOG=warn "$NAVIGLI" serve --config "$W/layers.toml" --bind 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
PID=$!
for _ in $(seq 300); do grep -q "listening on" "$W/serve.out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$W/serve.out" | head -1)
echo "navigli at $BASE"

# House numbers of Milano (without exponent) whose building, within 30 m, has two planes or more.
python3 - "$BASE" "$RUNS" >"$W/addresses.txt" <<'PY'
import json, sys, urllib.parse, urllib.request
base, runs = sys.argv[1], int(sys.argv[2])
get = lambda p: json.load(urllib.request.urlopen(base + p))
found = []
for start in range(0, 200000, 7919):
    fc = get(f"/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=civici&COUNT=20&STARTINDEX={start}"
             "&OUTPUTFORMAT=application/json&SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84")
    if not fc["features"]:
        break
    for c in fc["features"]:
        if c["properties"]["esponente"] is not None:
            continue
        lon, lat = c["geometry"]["coordinates"]
        try:
            r = get(f"/milano/roofs/at?lon={lon:.6f}&lat={lat:.6f}")
        except Exception:
            continue
        if len(r["planes"]) >= 2:
            found.append(f'{c["properties"]["odonimo"]} {c["properties"]["civico"]}')
            break
    if len(found) == runs:
        break
print("\n".join(found))
PY
rows=()
while IFS= read -r address; do
  curl -sf -o /dev/null "$BASE/milano/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$address")"
  out=$(node tests/fixtures/tetti_check.mjs "$BASE" "$ROOT/target/npm" "$W" /milano/tetti "$address" 9.0 45.0)
  row=$(printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("error"): sys.exit("browser script failed: " + r["error"])
print("|", sys.argv[1], "|", r["typed_to_results_ms"], "|", r["choice_to_card_ms"], "|", r["search_to_card_ms"], "|")' "$address")
  echo "$row"
  rows+=("$row")
done <"$W/addresses.txt"
{
  echo "# Il mio tetto on the full demo"
  echo
  echo "\`RUNS=$RUNS bench/tetti.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, navigli release build with 2 workers over the full demo GeoPackage, Chromium $(chromium --version 2>/dev/null | awk '{print $2}') headless with software rendering; each address typed at 10 ms a key in a fresh browser context)."
  echo
  echo "| address | typed → suggestions (ms) | Enter → card (ms) | first key → card drawn (ms) |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} >"$RESULTS"
cat "$RESULTS"
