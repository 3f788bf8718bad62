#!/usr/bin/env bash
# `make fuzz`: coverage-guided fuzzing (cargo-fuzz / libFuzzer) of the request and style parsers.
# Not part of `make test`.
#
#   scripts/fuzz.sh [--fast] [SECONDS_PER_TARGET | --runs N] [TARGET...]
#
# Targets (fuzz/fuzz_targets/*.rs): kvp (Kvp::parse), fes (parse_filter, FES 2.0 and 1.1),
# sld (parse_sld), wfs_post (xml_to_kvp). Default: every target for 300 seconds.
# Builds are optimised with debug assertions and overflow checks, and AddressSanitizer plus
# comparison tracing; --fast drops those two (5-15x the executions per second; a separate
# build in fuzz/target/lean) for long runs on a corpus the full build has grown.
# Installs cargo-fuzz when missing, writes the seed corpora (fuzz/corpus/<target>/seed-*),
# builds with the nightly toolchain, then runs each target at the lowest CPU priority and
# prints executions, exec/s, corpus size and the result. Crash inputs land in
# fuzz/artifacts/<target>/, full logs in fuzz/logs/<target>.log. Exits 1 if any target failed.
# Reproduce a crash: cargo +nightly fuzz run -O -a <target> fuzz/artifacts/<target>/crash-…
# Minimise it:       cargo +nightly fuzz tmin -O -a <target> fuzz/artifacts/<target>/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ALL_TARGETS=(kvp fes sld wfs_post)
declare -A MAX_LEN=([kvp]=8192 [fes]=65536 [sld]=65536 [wfs_post]=16384)

limit=(-max_total_time=300)
FLAGS=(-O -a) # optimised, with debug assertions and overflow checks (and ASan, cargo-fuzz's default)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) limit=("-runs=${2:?--runs needs a number}"); shift 2 ;;
    --fast) FLAGS+=(-s none --no-trace-compares --target-dir fuzz/target/lean); shift ;;
    -h | --help) sed -n 2,17p "$0"; exit 0 ;;
    -* | '') echo "usage: $0 [--fast] [SECONDS_PER_TARGET | --runs N] [TARGET...]" >&2; exit 2 ;;
    *[!0-9]*) targets+=("$1"); shift ;;
    *) limit=("-max_total_time=$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_targets/$t.rs" ] || { echo "unknown target: $t (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

# Toolchain and tool.
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  nice -n 19 cargo install cargo-fuzz --locked
fi

# Seed corpora: real inputs from this repository (styles/, the parsers' tests, README examples).
seed() { # seed TARGET NAME < content
  mkdir -p "fuzz/corpus/$1"
  cat >"fuzz/corpus/$1/seed-$2"
}
for f in styles/*.sld; do
  mkdir -p fuzz/corpus/sld
  cp "$f" "fuzz/corpus/sld/seed-$(basename "$f")"
done
seed sld bare-userstyle <<'EOF'
<UserStyle xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc"><Name>s</Name><FeatureTypeStyle><Rule><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>tipo</ogc:PropertyName><ogc:Literal>scuola</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter><MaxScaleDenominator>50000</MaxScaleDenominator><PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></Mark><Size>8</Size></Graphic></PointSymbolizer><TextSymbolizer><Label><ogc:PropertyName>nome</ogc:PropertyName></Label><Font><CssParameter name="font-size">10</CssParameter></Font><Halo><Radius>1</Radius></Halo></TextSymbolizer></Rule><Rule><ElseFilter/><LineSymbolizer><Stroke><CssParameter name="stroke-dasharray">4 2</CssParameter></Stroke></LineSymbolizer></Rule></FeatureTypeStyle></UserStyle>
EOF
seed sld se-feature-type-style <<'EOF'
<se:FeatureTypeStyle xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc"><se:Rule><se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">#33a02c</se:SvgParameter><se:SvgParameter name="fill-opacity">0.5</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name="stroke">#000000</se:SvgParameter><se:SvgParameter name="stroke-width">0.26</se:SvgParameter></se:Stroke></se:PolygonSymbolizer></se:Rule></se:FeatureTypeStyle>
EOF

FES='xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"'
OGC='xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml"'
fes2() { printf '<fes:Filter %s>%s</fes:Filter>' "$FES" "$2" | seed fes "$1"; }
fes11() { printf '<ogc:Filter %s>%s</ogc:Filter>' "$OGC" "$2" | seed fes "$1"; }
fes2 eq '<fes:PropertyIsEqualTo><fes:ValueReference>piani</fes:ValueReference><fes:Literal>3</fes:Literal></fes:PropertyIsEqualTo>'
fes11 eq11 '<ogc:PropertyIsEqualTo><ogc:PropertyName>tipo</ogc:PropertyName><ogc:Literal>biblioteca</ogc:Literal></ogc:PropertyIsEqualTo>'
fes2 between '<fes:PropertyIsBetween><fes:ValueReference>anno</fes:ValueReference><fes:LowerBoundary><fes:Literal>1900</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>2000</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>'
fes2 like '<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>Via *_100%!*!.!!x</fes:Literal></fes:PropertyIsLike>'
fes11 like11 '<ogc:PropertyIsLike wildCard="%" singleChar="_" escape="\" matchCase="false"><ogc:PropertyName>nome</ogc:PropertyName><ogc:Literal>a\%b%c_\\</ogc:Literal></ogc:PropertyIsLike>'
fes2 nil '<fes:PropertyIsNil nilReason="missing"><fes:ValueReference>nome</fes:ValueReference></fes:PropertyIsNil>'
fes2 logic '<fes:And><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull><fes:Or><fes:PropertyIsLessThan><fes:ValueReference>a</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsLessThan><fes:PropertyIsGreaterThanOrEqualTo><fes:ValueReference>b</fes:ValueReference><fes:Literal>2.5</fes:Literal></fes:PropertyIsGreaterThanOrEqualTo></fes:Or><fes:Not><fes:PropertyIsNotEqualTo matchCase="false"><fes:ValueReference>edifici/nome</fes:ValueReference><fes:Literal>Duomo</fes:Literal></fes:PropertyIsNotEqualTo></fes:Not></fes:And>'
fes2 ids '<fes:ResourceId rid="edifici.12"/><fes:ResourceId rid="strade.3"/><fes:ResourceId rid="edifici.40"/>'
fes11 ids11 '<ogc:GmlObjectId gml:id="edifici.7"/><ogc:FeatureId fid="edifici.8"/>'
fes2 bbox '<fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>45.4 9.1</gml:lowerCorner><gml:upperCorner>45.5 9.3</gml:upperCorner></gml:Envelope></fes:BBOX>'
fes2 intersects '<fes:Intersects><fes:ValueReference>geom</fes:ValueReference><gml:Polygon gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>45 9 45 10 46 10 46 9 45 9</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:pos>45.2 9.2</gml:pos><gml:pos>45.4 9.2</gml:pos><gml:pos>45.4 9.4</gml:pos><gml:pos>45.2 9.2</gml:pos></gml:LinearRing></gml:interior></gml:Polygon></fes:Intersects>'
fes11 within11 '<ogc:Within><ogc:PropertyName>geom</ogc:PropertyName><gml:Polygon srsName="EPSG:32632"><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 10,0 10,10 0,10 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs><gml:innerBoundaryIs><gml:LinearRing><gml:coordinates decimal="," cs=";" ts=" ">1,5;1 2;1 2;2 1,5;1</gml:coordinates></gml:LinearRing></gml:innerBoundaryIs></gml:Polygon></ogc:Within>'
fes2 multipoint '<fes:Intersects><gml:MultiPoint srsName="urn:ogc:def:crs:EPSG::4326"><gml:pointMember><gml:Point><gml:pos>45 9</gml:pos></gml:Point></gml:pointMember><gml:pointMembers><gml:Point><gml:pos>46 10</gml:pos></gml:Point><gml:Point srsName="EPSG:4326"><gml:pos>11 47</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint></fes:Intersects>'
fes2 multisurface '<fes:Intersects><gml:MultiSurface srsName="EPSG:32632"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></fes:Intersects>'
fes11 multipolygon11 '<ogc:Intersects><gml:MultiPolygon srsName="EPSG:32632"><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon></ogc:Intersects>'
fes2 linestring3d '<fes:Intersects><gml:LineString srsName="EPSG:32632" srsDimension="3"><gml:posList>1 2 3 4 5 6</gml:posList></gml:LineString></fes:Intersects>'
fes2 dwithin '<fes:DWithin><fes:ValueReference>geom</fes:ValueReference><gml:Point srsName="EPSG:4326"><gml:pos>9.19 45.46</gml:pos></gml:Point><fes:Distance uom="m">800</fes:Distance></fes:DWithin>'
fes2 beyond '<fes:Beyond><gml:Point><gml:pos>514000 5034000</gml:pos></gml:Point><fes:Distance uom="urn:ogc:def:uom:EPSG::9001">20</fes:Distance></fes:Beyond>'
fes2 literal-envelope '<fes:Within><fes:Literal><gml:Envelope srsName="EPSG:32632"><gml:lowerCorner>0 0</gml:lowerCorner><gml:upperCorner>2 1</gml:upperCorner></gml:Envelope></fes:Literal></fes:Within>'
printf '<Filter><PropertyIsNull><PropertyName>nome</PropertyName></PropertyIsNull></Filter>' | seed fes bare

q() { printf '%s' "$2" | seed kvp "$1"; }
q wfs-getfeature 'SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=navigli:servizi_pubblici&COUNT=5&OUTPUTFORMAT=application/json'
q wfs-stored 'SERVICE=WFS&REQUEST=GetFeature&STOREDQUERY_ID=urn:navigli:query:ServicesNearPoint&LON=9.19&LAT=45.46&DISTANCE=800&TIPO=scuola'
q wfs-byid 'service=wfs&request=GetFeature&storedquery_id=urn%3Aogc%3Adef%3Aquery%3AOGC-WFS%3A%3AGetFeatureById&ID=edifici.12'
q wfs-filter 'SERVICE=WFS&request=GetFeature&TypeNames=edifici&FILTER=%3CFilter%3E%3C%2FFilter%3E&bbox=9%2C45,9.1,45.1&empty=&SORTBY=piani+DESC&PROPERTYNAME=nome,piani'
q wms-getmap 'SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=uso_suolo,strade,edifici&STYLES=&CRS=EPSG:32632&BBOX=514000,5034000,515000,5035000&WIDTH=400&HEIGHT=300&FORMAT=image/png%3B%20mode%3D8bit&TRANSPARENT=TRUE'
q wms-info 'service=WMS&version=1.1.1&request=GetFeatureInfo&layers=edifici&query_layers=edifici&srs=EPSG:4326&bbox=9.1,45.4,9.3,45.5&width=256&height=256&x=10&y=20&info_format=text/html&feature_count=3'

post() { printf '%s' "$2" | seed wfs_post "$1"; }
post getfeature '<?xml version="1.0"?>
<wfs:GetFeature service="WFS" version="2.0.0" count="5" startIndex="10" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0">
  <wfs:Query typeNames="navigli:edifici" srsName="urn:ogc:def:crs:EPSG::4326">
    <wfs:PropertyName>piani</wfs:PropertyName>
    <fes:Filter><fes:PropertyIsEqualTo><fes:ValueReference>piani</fes:ValueReference><fes:Literal>3 &amp; 4</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>
    <fes:SortBy><fes:SortProperty><fes:ValueReference>piani</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
  </wfs:Query>
</wfs:GetFeature>'
post stored '<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0"><wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::GetFeatureById"><wfs:Parameter name="ID">edifici.3</wfs:Parameter></wfs:StoredQuery></wfs:GetFeature>'
post describe '<DescribeFeatureType service="WFS" version="2.0.0"><TypeName>a</TypeName><TypeName>b</TypeName></DescribeFeatureType>'
post capabilities '<GetCapabilities service="WFS"><AcceptVersions><Version>2.0.0</Version><Version>1.1.0</Version></AcceptVersions></GetCapabilities>'
post wfs11 '<wfs:GetFeature service="WFS" version="1.1.0" maxFeatures="3" xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc"><wfs:Query typeName="edifici"><ogc:Filter><ogc:GmlObjectId gml:id="edifici.7" xmlns:gml="http://www.opengis.net/gml"/></ogc:Filter></wfs:Query></wfs:GetFeature>'
post propertyvalue '<wfs:GetPropertyValue service="WFS" version="2.0.0" valueReference="nome" xmlns:wfs="http://www.opengis.net/wfs/2.0"><wfs:Query typeNames="edifici"/></wfs:GetPropertyValue>'

# Build once (the first build compiles PROJ from source: slow), then run each target.
export CARGO_TERM_COLOR=never
mkdir -p fuzz/logs
echo "== building the fuzz targets (log: fuzz/logs/build.log; the first build takes 10+ minutes)"
if ! nice -n 19 cargo +nightly fuzz build "${FLAGS[@]}" >fuzz/logs/build.log 2>&1; then
  tail -40 fuzz/logs/build.log
  exit 1
fi
status=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="$ROOT/fuzz/logs/$t.log"
  echo "== $t (${FLAGS[*]} ${limit[*]}, -max_len=${MAX_LEN[$t]}) log: fuzz/logs/$t.log"
  rc=0
  nice -n 19 cargo +nightly fuzz run "${FLAGS[@]}" "$t" -- \
    "${limit[@]}" -max_len="${MAX_LEN[$t]}" -rss_limit_mb=2048 -timeout=10 \
    -dict="$ROOT/fuzz/dict/$t.dict" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  corpus=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | grep -o '[0-9]*$' || true) # libFuzzer's live corpus
  files=$(find "fuzz/corpus/$t" -type f | wc -l)                                  # files kept on disk
  if [ "$rc" -eq 0 ]; then
    result="ok"
  elif grep -q 'libFuzzer: run interrupted' "$log"; then
    status=1
    result="interrupted"
  else
    status=1
    kind=$(grep -oE "panicked at [^ ]+|has overflowed its stack|ERROR: (libFuzzer|AddressSanitizer): [a-z -]+" "$log" | head -1 || true)
    artifact=$(grep -oE "fuzz/artifacts/$t/[a-z]+-[0-9a-f]+" "$log" | tail -1 || true)
    result="FAILED rc=$rc ${kind:-see log} ${artifact}"
  fi
  line=$(printf '%-9s execs=%-10s exec/s=%-7s corpus=%-6s files=%-6s %s' "$t" "${execs:-?}" "${speed:-?}" "${corpus:-?}" "$files" "$result")
  echo "$line"
  summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
