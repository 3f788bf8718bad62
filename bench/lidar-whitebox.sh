#!/usr/bin/env bash
# Roof planes from a laser survey, side by side: navigli vs WhiteboxTools'
# lidar_rooftop_analysis (whitebox-workflows, pinned in bench/requirements-whitebox.txt) on the
# same synthetic survey (the 8 roof shapes × SEEDS of `demo::lidar`, σz 5 cm, at DENSITY
# pts/m², one LAZ) and the same footprints; both scored against the same truth (faces ≥ 10 m²,
# matched by overlap). Speed: navigli end to end (LAZ decoding, points to buildings, faces) on
# THREADS threads vs the Whitebox tool's own run; LAZ decoding alone vs lazrs (laspy). Results
# go to bench/results/lidar-whitebox.md.
#   bench/lidar-whitebox.sh     (Debian 12; needs GDAL's ogr2ogr, installs the pinned wheels)
# Environment: DENSITY=10, SEEDS=10, THREADS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export DENSITY=${DENSITY:-10} SEEDS=${SEEDS:-10} THREADS=${THREADS:-1}
RESULTS=${RESULTS:-bench/results/lidar-whitebox.md}
scripts/deps.sh test
W=$(mktemp -d /tmp/navigli-lidar-bench.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT   # KEEP=1 leaves the files (printed) for a look
export NAVIGLI_BENCH_DIR=$W
echo "work folder: $W"
VENV=$ROOT/target/pyvenv-whitebox
if ! "$VENV/bin/python" -c "import whitebox_workflows" 2>/dev/null; then
  /usr/bin/python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-whitebox.txt
fi

echo "navigli: the suite and its faces (release build)"
cargo test --release --quiet --test lidar_bench -- --ignored --exact export --nocapture | grep '^{' >"$W/navigli.json"
ogr2ogr -f "ESRI Shapefile" "$W/footprints.shp" "$W/footprints.geojson" -a_srs EPSG:32632
echo "WhiteboxTools lidar_rooftop_analysis"
"$VENV/bin/python" bench/lidar_whitebox.py "$W" >"$W/whitebox.json"
ogr2ogr -f GeoJSON "$W/whitebox.geojson" "$W/whitebox.shp"
echo "lazrs (laspy) decoding the same LAZ"
LAZRS=$(target/pyvenv/bin/python - "$W/suite.laz" <<'PY'
import sys, time, laspy
# One thread, as navigli's decoder here (laspy prefers lazrs' parallel decoder when it has it).
t0 = time.perf_counter(); las = laspy.read(sys.argv[1], laz_backend=laspy.LazBackend.Lazrs); x = las.x; t = time.perf_counter() - t0
t0 = time.perf_counter(); las = laspy.read(sys.argv[1], laz_backend=laspy.LazBackend.LazrsParallel); x = las.x; tp = time.perf_counter() - t0
print(f'{{"points": {len(x)}, "seconds": {t}, "parallel_seconds": {tp}}}')
PY
)
echo "$LAZRS" >"$W/lazrs.json"
cargo test --release --quiet --test lidar_bench -- --ignored --exact compare --nocapture | grep '^\[' >"$W/compare.json"

python3 - "$W" "$RESULTS" <<'PY'
import json, os, sys, datetime
w, out = sys.argv[1], sys.argv[2]
nav = json.load(open(f"{w}/navigli.json")); wbt = json.load(open(f"{w}/whitebox.json"))
lazrs = json.load(open(f"{w}/lazrs.json")); cmp = json.load(open(f"{w}/compare.json"))
lines = [
    "# Roof planes from a laser survey: navigli vs WhiteboxTools",
    "",
    f"`bench/lidar-whitebox.sh` (DENSITY={os.environ['DENSITY']}, SEEDS={os.environ['SEEDS']}, THREADS={os.environ['THREADS']}), "
    f"{datetime.date.today()}: {nav['buildings']} synthetic buildings (the 8 shapes of `demo::lidar`), {nav['points']:,} points, "
    "σz 5 cm, 5 cm planimetric noise, outliers, overhanging trees; the same LAZ and footprints for both.",
    "",
    "| | navigli | WhiteboxTools |",
    "|---|---|---|",
]
n, b = cmp[0], cmp[1]
for key, label, fmt in [("completeness", "detection completeness", "{:.3f}"), ("correctness", "detection correctness", "{:.3f}"),
                        ("slope_rmse", "slope RMSE (°)", "{:.2f}"), ("slope_max", "slope max error (°)", "{:.2f}"),
                        ("aspect_rmse", "aspect RMSE, slopes ≥ 10° (°)", "{:.2f}"), ("area_median", "sloped area error, median", "{:.3f}"),
                        ("area_p95", "sloped area error, p95", "{:.3f}"), ("area_mean_signed", "sloped area error, mean signed", "{:+.3f}"),
                        ("lenient_found", "faces found, lenient (a measured face half inside a true one)", "{:.3f}"),
                        ("lenient_slope_rmse", "slope RMSE, lenient (°)", "{:.2f}"), ("lenient_aspect_rmse", "aspect RMSE, lenient (°)", "{:.2f}"),
                        ("lenient_area_median", "sloped area error median, lenient", "{:.3f}")]:
    lines.append(f"| {label} | {fmt.format(n[key])} | {fmt.format(b[key])} |")
ratio = wbt["seconds"] / nav["seconds"]
lines += [
    f"| time (s) | {nav['seconds']:.2f} end to end (LAZ decoding included) | {wbt['seconds']:.2f} (the tool's run, reading excluded) |",
    f"| points/s | {nav['points_per_second']:,.0f} | {nav['points'] / wbt['seconds']:,.0f} |",
    "",
    f"navigli is **{ratio:.1f}×** WhiteboxTools' speed on {nav['threads']} thread(s); median {nav['building_ms_median']:.1f} ms per building "
    f"(p95 {nav['building_ms_p95']:.1f} ms) at {nav['density']:g} pts/m². LAZ decoding: navigli {nav['decode_points_per_second']:,.0f} pts/s, "
    f"lazrs (laspy 2.7.0, one thread) {lazrs['points'] / lazrs['seconds']:,.0f} pts/s (ratio {nav['decode_points_per_second'] / (lazrs['points'] / lazrs['seconds']):.2f}; "
    f"lazrs' parallel decoder {lazrs['points'] / lazrs['parallel_seconds']:,.0f} pts/s).",
    "",
    "Faces ≥ 10 m² scored; a true and a measured face match when each covers half of the other. WhiteboxTools' areas are its "
    "polygons' planimetric areas divided by the cosine of its slope, as navigli's. The lenient rows accept a measured face that covers "
    "only part of its true face (WhiteboxTools' outlines cover part of each roof plane: its areas run low, see the signed mean); "
    "WhiteboxTools reports slope and aspect as whole degrees, which alone adds ≈ 0.29° RMSE.",
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
