//! End-to-end tests of the WFS (2.0.0 and 1.1.0, KVP GET) against the real binary over the demo
//! data: capabilities, DescribeFeatureType, GetFeature in GML 3.2 / GML 3.1.1 / GeoJSON with
//! paging, axis order, FES filters and exception reports. Expected answers never come from
//! navigli itself: they are computed independently from the demo GeoPackage with GDAL
//! (`ogr2ogr`/`ogrinfo` and their SQLite/SpatiaLite SQL), with plain Rust over GDAL's output, or
//! taken from the standards; documents are validated against the official OGC schemas
//! (`../shared/tools/ogc-validate`). Real clients (GDAL's WFS driver, OWSLib) read the service,
//! and the GeoPackage- and PostGIS-backed servers must give byte-identical answers.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{demo_server, get, ogc_validate_all, postgis_server, Server};
use serde_json::Value;

use common::PUBLIC_LAYERS as PUBLIC;
/// Milano's ISTAT code.
const MILANO: &str = "015146";
const URN_4326: &str = "urn:ogc:def:crs:EPSG::4326";
const URN_32632: &str = "urn:ogc:def:crs:EPSG::32632";
const FES_NS: &str = r#"xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2""#;

// ------------------------------------------------------------------------------------------------
// Requests
// ------------------------------------------------------------------------------------------------

/// `/{tenant}/wfs?SERVICE=WFS&…` with every value percent-encoded.
fn wfs_path(tenant: &str, params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("SERVICE", "WFS");
    for (k, v) in params {
        s.append_pair(k, v);
    }
    format!("/{tenant}/wfs?{}", s.finish())
}

/// A 200 answer: (head, body).
fn ok(server: &Server, path: &str) -> (String, String) {
    let (status, head, body) = get(server, path);
    assert_eq!(status, 200, "GET {path}:\n{}", body.chars().take(2000).collect::<String>());
    (head, body)
}

/// A GeoJSON GetFeature (OUTPUTFORMAT=application/json added).
fn geojson(server: &Server, tenant: &str, params: &[(&str, &str)]) -> Value {
    let mut p = vec![("REQUEST", "GetFeature"), ("OUTPUTFORMAT", "application/json")];
    p.extend_from_slice(params);
    let path = wfs_path(tenant, &p);
    let (head, body) = ok(server, &path);
    assert!(head.contains("content-type: application/json"), "{path}: {head}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}):\n{}", body.chars().take(2000).collect::<String>()))
}

/// The feature ids of a GeoJSON collection, all of type `layer` (`layer.N` → N).
fn json_ids(v: &Value, layer: &str) -> Vec<i64> {
    v["features"].as_array().expect("features array").iter().map(|f| type_id(f["id"].as_str().expect("string id"), layer)).collect()
}

/// `layer.N` → N, asserting the type.
fn type_id(id: &str, layer: &str) -> i64 {
    let (t, n) = id.rsplit_once('.').unwrap_or_else(|| panic!("id '{id}' is not 'type.N'"));
    assert_eq!(t, layer, "id '{id}' is not of type {layer}");
    n.parse().unwrap_or_else(|_| panic!("id '{id}' does not end in an integer"))
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    let s: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(s.len(), ids.len(), "duplicate ids in {ids:?}");
    s
}

/// numberMatched of RESULTTYPE=hits (GML 3.2).
fn hits(server: &Server, tenant: &str, params: &[(&str, &str)]) -> u64 {
    let mut p = vec![("REQUEST", "GetFeature"), ("RESULTTYPE", "hits")];
    p.extend_from_slice(params);
    let (_, body) = ok(server, &wfs_path(tenant, &p));
    assert_eq!(root_attr(&body, "numberReturned").as_deref(), Some("0"), "hits return no features");
    assert!(members(&body).is_empty(), "hits return no features");
    root_attr(&body, "numberMatched").expect("numberMatched").parse().expect("numberMatched is a number")
}

// ------------------------------------------------------------------------------------------------
// XML (our documents are small and regular: plain string scanning is enough)
// ------------------------------------------------------------------------------------------------

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// The start tag of the root element.
fn root_tag(xml: &str) -> &str {
    let mut rest = xml;
    loop {
        let i = rest.find('<').expect("an element");
        rest = &rest[i..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[rest.find('>').expect("end of declaration") + 1..];
            continue;
        }
        return &rest[..rest.find('>').expect("end of the root tag") + 1];
    }
}

/// An attribute of the root element, unescaped.
fn root_attr(xml: &str, name: &str) -> Option<String> {
    attr(root_tag(xml), name)
}

/// An attribute of a start tag, unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let len = tag[i..].find('"')?;
    Some(unescape(&tag[i..i + len]))
}

/// The text content of every `<tag>…</tag>` (unescaped).
fn texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let j = rest.find(&close).unwrap_or_else(|| panic!("unclosed {tag}"));
        out.push(unescape(&rest[..j]));
        rest = &rest[j..];
    }
    out
}

/// (type, gml:id) of each member of a WFS 2.0 (`wfs:member`) or 1.1 (`gml:featureMember`)
/// feature collection.
fn members(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for marker in ["<wfs:member>", "<gml:featureMember>"] {
        for part in xml.split(marker).skip(1) {
            let tag = &part[..part.find('>').expect("member start tag") + 1];
            let name = tag.trim_start_matches('<').split([' ', '>']).next().unwrap();
            let local = name.strip_prefix("navigli:").unwrap_or_else(|| panic!("member {name} is not in the navigli namespace"));
            out.push((local.to_string(), attr(tag, "gml:id").unwrap_or_else(|| panic!("member without gml:id: {tag}"))));
        }
    }
    out
}

/// The numbers of the first `gml:pos` or `gml:posList` of a document.
fn first_position(xml: &str) -> (f64, f64) {
    let text = [texts(xml, "gml:pos"), texts(xml, "gml:posList")].concat().into_iter().next().expect("a gml:pos or gml:posList");
    let n: Vec<f64> = text.split_whitespace().take(2).map(|t| t.parse().expect("coordinate")).collect();
    (n[0], n[1])
}

/// (exceptionCode, locator) of the first exception of a report.
fn exception_of(xml: &str) -> (String, Option<String>) {
    let i = xml.find("<ows:Exception ").unwrap_or_else(|| panic!("not an OWS exception report:\n{xml}"));
    let tag = &xml[i..i + xml[i..].find('>').unwrap() + 1];
    (attr(tag, "exceptionCode").expect("exceptionCode"), attr(tag, "locator"))
}

// ------------------------------------------------------------------------------------------------
// GDAL over the demo GeoPackage: the independent oracle
// ------------------------------------------------------------------------------------------------

fn gpkg() -> String {
    common::demo_gpkg().display().to_string()
}

/// Runs a GDAL command and returns its standard output.
fn run(mut cmd: Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e} (GDAL's gdal-bin must be installed: `scripts/deps.sh test`)"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The features of an SQL query on the demo GeoPackage (SQLite dialect with SpatiaLite
/// functions), through `ogr2ogr -f GeoJSON`; `extra` may add e.g. `-t_srs`.
fn gpkg_features(sql: &str, extra: &[&str]) -> Vec<Value> {
    let mut cmd = Command::new("ogr2ogr");
    cmd.args(["-f", "GeoJSON", "/vsistdout/", &gpkg(), "-sql", sql]).args(extra);
    let v: Value = serde_json::from_str(&run(cmd)).expect("GDAL GeoJSON");
    v["features"].as_array().cloned().unwrap_or_default()
}

/// The ids selected by `SELECT [t.]fid + 0 AS navigli_fid FROM …` on the demo GeoPackage.
fn gpkg_ids(sql: &str) -> BTreeSet<i64> {
    assert!(sql.starts_with("SELECT ") && sql.contains("fid + 0 AS navigli_fid "), "{sql}");
    gpkg_features(sql, &[]).iter().map(|f| f["properties"]["navigli_fid"].as_i64().expect("navigli_fid")).collect()
}

/// A single `SELECT count(*) AS n …`.
fn gpkg_count(sql: &str) -> u64 {
    gpkg_features(sql, &[])[0]["properties"]["n"].as_u64().expect("count")
}

/// Milano's ids of a layer with a tenant column.
fn milano_ids(layer: &str) -> BTreeSet<i64> {
    gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM {layer} WHERE cod_istat = '{MILANO}'"))
}

/// The attribute allow-list of a layer in `layers.toml`.
fn allow_list(layer: &str) -> Vec<String> {
    let l = common::config().layers.iter().find(|l| l.name == layer).unwrap_or_else(|| panic!("no layer {layer}"));
    l.attributes.iter().map(|a| a.name.clone()).collect()
}

fn has_tenant_column(layer: &str) -> bool {
    common::config().layers.iter().find(|l| l.name == layer).unwrap().tenant_column.is_some()
}

/// FES 2.0 filter document around `body`.
fn fes(body: &str) -> String {
    format!("<fes:Filter {FES_NS}>{body}</fes:Filter>")
}

fn fes_cmp(op: &str, property: &str, literal: &str) -> String {
    format!("<fes:{op}><fes:ValueReference>{property}</fes:ValueReference><fes:Literal>{literal}</fes:Literal></fes:{op}>")
}

/// An SQL-LIKE-style matcher written for the tests (wildcard, single character, escape),
/// independent of the server's own translation to SQL.
fn like(text: &str, pattern: &str, wild: char, single: char, escape: char, match_case: bool) -> bool {
    enum T {
        Any,
        One,
        Lit(char),
    }
    let fold = |c: char| if match_case { c } else { c.to_lowercase().next().unwrap_or(c) };
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(if c == escape {
            T::Lit(fold(chars.next().expect("escape at end")))
        } else if c == wild {
            T::Any
        } else if c == single {
            T::One
        } else {
            T::Lit(fold(c))
        });
    }
    let text: Vec<char> = text.chars().map(fold).collect();
    // m[i][j]: the first i tokens match the first j characters.
    let mut m = vec![vec![false; text.len() + 1]; tokens.len() + 1];
    m[0][0] = true;
    for (i, t) in tokens.iter().enumerate() {
        for j in 0..=text.len() {
            m[i + 1][j] = match t {
                T::Any => m[i][j] || (j > 0 && m[i + 1][j - 1]),
                T::One => j > 0 && m[i][j - 1],
                T::Lit(c) => j > 0 && m[i][j - 1] && text[j - 1] == *c,
            };
        }
    }
    m[tokens.len()][text.len()]
}

/// Even-odd point-in-polygon (ring without closing point needed).
fn inside(ring: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
    let mut c = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let ((xi, yi), (xj, yj)) = (ring[i], ring[j]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

// ------------------------------------------------------------------------------------------------
// 1. Capabilities
// ------------------------------------------------------------------------------------------------

/// Capabilities 2.0.0 and 1.1.0 are schema-valid and list exactly the public layers of each
/// tenant (never the restricted `servizi_sociali`); version negotiation follows OWS Common.
#[test]
fn capabilities_list_the_public_layers_of_each_tenant_and_are_schema_valid() {
    let (server, _dir) = demo_server();
    let mut docs: Vec<(String, String)> = Vec::new();
    for (tenant, key) in [("cmm", "cmm"), ("milano", "milano"), ("015146", "milano"), ("015251", "vermezzo-con-zelo")] {
        for version in ["2.0.0", "1.1.0"] {
            let path = wfs_path(tenant, &[("REQUEST", "GetCapabilities"), ("VERSION", version)]);
            let (head, body) = ok(&server, &path);
            assert!(head.contains("content-type: application/xml") || head.contains("content-type: text/xml"), "{head}");
            assert!(root_tag(&body).starts_with("<wfs:WFS_Capabilities "), "{path}: {}", root_tag(&body));
            assert_eq!(root_attr(&body, "version").as_deref(), Some(version), "{path}");
            let names = texts(&body, "wfs:Name");
            let expected: Vec<String> = PUBLIC
                .iter()
                .filter(|l| tenant != "015251" || !["falde", "tetti_rossi", "tetti_verdi"].contains(*l)) // Vermezzo con Zelo: groups sit + dbt only
                .map(|l| format!("navigli:{l}"))
                .collect();
            assert_eq!(names.iter().collect::<BTreeSet<_>>(), expected.iter().collect::<BTreeSet<_>>(), "{path}");
            assert_eq!(names.len(), expected.len(), "{path}: a type listed twice: {names:?}");
            assert!(!body.contains("servizi_sociali") && !body.to_lowercase().contains("welfare"), "{path} shows the restricted layer");
            // Operations point back at this tenant's service on this server.
            let href = format!("xlink:href=\"{}/{key}/wfs?\"", server.base());
            assert!(body.contains(&href), "{path}: no {href}");
            // Each feature type has a WGS84 box inside the metropolitan area.
            let lower = texts(&body, "ows:LowerCorner");
            let upper = texts(&body, "ows:UpperCorner");
            assert_eq!(lower.len(), expected.len(), "{path}: one WGS84BoundingBox per type");
            for (lo, hi) in lower.iter().zip(&upper) {
                let lo: Vec<f64> = lo.split_whitespace().map(|v| v.parse().unwrap()).collect();
                let hi: Vec<f64> = hi.split_whitespace().map(|v| v.parse().unwrap()).collect();
                assert!(lo[0] >= 8.6 && hi[0] <= 9.7 && lo[1] >= 45.1 && hi[1] <= 45.7 && lo[0] < hi[0] && lo[1] < hi[1], "{lo:?} {hi:?}");
            }
            docs.push((body, format!("capabilities-{tenant}-{version}")));
        }
    }
    // A comune's box is inside the metropolitan one and much smaller.
    let bbox = |doc: &str| -> [f64; 4] {
        let lo: Vec<f64> = texts(doc, "ows:LowerCorner")[0].split_whitespace().map(|v| v.parse().unwrap()).collect();
        let hi: Vec<f64> = texts(doc, "ows:UpperCorner")[0].split_whitespace().map(|v| v.parse().unwrap()).collect();
        [lo[0], lo[1], hi[0], hi[1]]
    };
    let (cmm, milano) = (bbox(&docs[0].0), bbox(&docs[2].0));
    let area = |b: [f64; 4]| (b[2] - b[0]) * (b[3] - b[1]);
    assert!(milano[0] >= cmm[0] && milano[1] >= cmm[1] && milano[2] <= cmm[2] && milano[3] <= cmm[3], "{milano:?} not in {cmm:?}");
    assert!(area(milano) < area(cmm) / 4.0, "Milano's extent {milano:?} is not much smaller than the metropolitan one {cmm:?}");

    // Version negotiation (OWS Common 1.1, 7.3.2): the first supported of ACCEPTVERSIONS.
    for (accept, want) in
        [("1.1.0", "1.1.0"), ("2.0.0", "2.0.0"), ("3.0.0,1.1.0", "1.1.0"), ("2.0.0,1.1.0", "2.0.0"), ("1.1.0,2.0.0", "1.1.0")]
    {
        let path = wfs_path("milano", &[("REQUEST", "GetCapabilities"), ("ACCEPTVERSIONS", accept)]);
        let (_, body) = ok(&server, &path);
        assert_eq!(root_attr(&body, "version").as_deref(), Some(want), "{path}");
        if accept == "1.1.0" {
            assert!(body.contains("xmlns:wfs=\"http://www.opengis.net/wfs\""), "a 1.1.0 document: {}", root_tag(&body));
            docs.push((body, "capabilities-acceptversions-110".into()));
        }
    }
    let path = wfs_path("milano", &[("REQUEST", "GetCapabilities"), ("ACCEPTVERSIONS", "3.0.0,0.9")]);
    let (status, _, body) = get(&server, &path);
    assert_eq!(status, 400, "{path}: {body}");
    assert_eq!(exception_of(&body).0, "VersionNegotiationFailed", "{body}");
    docs.push((body, "version-negotiation-failed".into()));

    let refs: Vec<(&str, &str)> = docs.iter().map(|(d, n)| (d.as_str(), n.as_str())).collect();
    ogc_validate_all(&refs);
}

/// DescribeFeatureType (KVP and by path) describes exactly the allow-list of each layer, and
/// the restricted layer does not exist for it.
#[test]
fn describe_feature_type_follows_the_allow_list() {
    let (server, _dir) = demo_server();
    for layer in PUBLIC {
        for version in ["2.0.0", "1.1.0"] {
            let kvp =
                wfs_path("milano", &[("REQUEST", "DescribeFeatureType"), ("VERSION", version), ("TYPENAMES", &format!("navigli:{layer}"))]);
            let (_, by_kvp) = ok(&server, &kvp);
            let (_, by_path) = ok(&server, &format!("/milano/wfs/schema/{version}/{layer}.xsd"));
            assert_eq!(by_kvp, by_path, "DescribeFeatureType by KVP and by path differ for {layer} {version}");
            assert!(root_tag(&by_kvp).starts_with("<xsd:schema ") || root_tag(&by_kvp).starts_with("<xs:schema "), "{by_kvp}");
            let gml = if version == "2.0.0" { "http://www.opengis.net/gml/3.2" } else { "http://www.opengis.net/gml\"" };
            assert!(by_kvp.contains(gml), "{layer} {version}: wrong GML namespace:\n{by_kvp}");
            // Element names declared inside the complex type: the geometry and the allow-list.
            let declared: Vec<String> =
                by_kvp.split("<xsd:element ").skip(1).filter_map(|e| attr(&format!(" {e}"), "name")).filter(|n| n != layer).collect();
            let mut want = vec!["geom".to_string()];
            want.extend(allow_list(layer));
            assert_eq!(declared, want, "{layer} {version}");
        }
    }
    // All types at once: every public type, nothing else.
    let (_, all) = ok(&server, &wfs_path("cmm", &[("REQUEST", "DescribeFeatureType")]));
    for layer in PUBLIC {
        assert!(all.contains(&format!("name=\"{layer}\"")), "{layer} missing from the full schema");
    }
    assert!(!all.contains("servizi_sociali"));
    let (status, _, body) =
        get(&server, &wfs_path("milano", &[("REQUEST", "DescribeFeatureType"), ("TYPENAMES", "navigli:servizi_sociali")]));
    assert_eq!((status, exception_of(&body).0.as_str()), (400, "InvalidParameterValue"), "{body}");
    let (status, _, _) = get(&server, "/milano/wfs/schema/2.0.0/servizi_sociali.xsd");
    assert!(status >= 400, "the restricted schema is served by path");
}

// ------------------------------------------------------------------------------------------------
// 2. GetFeature GML: schema validity, counters, paging
// ------------------------------------------------------------------------------------------------

/// GML 3.2 (one type, several types with STARTINDEX crossing a type boundary, reprojected,
/// projected, hits) and GML 3.1.1 (WFS 1.1.0) collections are schema-valid against the official
/// schemas plus our DescribeFeatureType (fetched by the validator through schemaLocation), and
/// their counters agree with the GeoPackage.
#[test]
fn getfeature_gml_is_schema_valid_and_counts_agree_with_the_geopackage() {
    let (server, _dir) = demo_server();
    let edifici = milano_ids("edifici");
    let idro = milano_ids("idrografia");
    let verdi = milano_ids("aree_verdi");
    let comuni = milano_ids("comuni");
    assert!(idro.len() >= 3 && verdi.len() >= 5 && comuni.len() == 1, "demo data too small for this test");
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut fetch_from = |tenant: &str, name: &str, params: &[(&str, &str)], mime: &str| -> String {
        let mut p = vec![("REQUEST", "GetFeature")];
        p.extend_from_slice(params);
        let path = wfs_path(tenant, &p);
        let (head, body) = ok(&server, &path);
        assert!(head.contains(&format!("content-type: {mime}")), "{path}: {head}");
        docs.push((body.clone(), name.to_string()));
        body
    };

    // One type.
    let body = fetch_from("milano", "edifici-5", &[("TYPENAMES", "navigli:edifici"), ("COUNT", "5")], "application/gml+xml; version=3.2");
    assert!(body.contains("xmlns:gml=\"http://www.opengis.net/gml/3.2\""));
    assert_eq!(root_attr(&body, "numberMatched"), Some(edifici.len().to_string()));
    assert_eq!(root_attr(&body, "numberReturned").as_deref(), Some("5"));
    let m = members(&body);
    assert_eq!(m.len(), 5);
    for (t, id) in &m {
        assert!(edifici.contains(&type_id(id, t)), "{id} is not a Milano building");
    }
    let next = root_attr(&body, "next").expect("a next link while more features match");
    assert!(next.starts_with(&format!("{}/milano/wfs?", server.base())) && next.to_ascii_uppercase().contains("STARTINDEX=5"), "{next}");
    assert!(root_attr(&body, "previous").is_none(), "no previous page at STARTINDEX=0");
    assert_eq!(texts(&body, "navigli:cod_istat"), vec![MILANO; 5], "features of other comuni");
    assert!(body.contains(&format!("srsName=\"{URN_32632}\"")), "native CRS by default");

    // Several types, STARTINDEX crossing from idrografia into aree_verdi.
    let start = idro.len() - 2;
    let body = fetch_from(
        "milano",
        "two-types-across-boundary",
        &[("TYPENAMES", "navigli:idrografia,navigli:aree_verdi"), ("STARTINDEX", &start.to_string()), ("COUNT", "5")],
        "application/gml+xml; version=3.2",
    );
    assert_eq!(root_attr(&body, "numberMatched"), Some((idro.len() + verdi.len()).to_string()));
    assert_eq!(root_attr(&body, "numberReturned").as_deref(), Some("5"));
    let m = members(&body);
    let types: Vec<&str> = m.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["idrografia", "idrografia", "aree_verdi", "aree_verdi", "aree_verdi"], "types in order, page across the boundary");
    for (t, id) in &m {
        let ids = if t == "idrografia" { &idro } else { &verdi };
        assert!(ids.contains(&type_id(id, t)), "{id} is not in Milano");
    }
    assert!(root_attr(&body, "previous").is_some(), "a previous page exists");

    // Three types, one of which (comuni) has a single Milano feature, reprojected to EPSG:4326.
    let body = fetch_from(
        "milano",
        "three-types-4326",
        &[("TYPENAMES", "navigli:comuni,navigli:idrografia,navigli:aree_verdi"), ("COUNT", "4"), ("SRSNAME", URN_4326)],
        "application/gml+xml; version=3.2",
    );
    let types: Vec<String> = members(&body).into_iter().map(|(t, _)| t).collect();
    assert_eq!(types, ["comuni", "idrografia", "idrografia", "idrografia"]);
    assert!(body.contains(&format!("srsName=\"{URN_4326}\"")) && !body.contains(URN_32632));

    // Other output CRS and a property subset (no geometry).
    let body = fetch_from(
        "milano",
        "aree-verdi-3857",
        &[("TYPENAMES", "navigli:aree_verdi"), ("COUNT", "2"), ("SRSNAME", "EPSG:3857")],
        "application/gml+xml",
    );
    let (x, y) = first_position(&body);
    assert!((900_000.0..1_100_000.0).contains(&x) && (5_600_000.0..5_800_000.0).contains(&y), "Web Mercator near Milan: {x} {y}");
    let body = fetch_from(
        "milano",
        "properties",
        &[("TYPENAMES", "navigli:aree_verdi,navigli:idrografia"), ("COUNT", "3"), ("PROPERTYNAME", "(nome)(nome,tipo)")],
        "application/gml+xml",
    );
    assert!(!body.contains("<gml:posList>") && !body.contains("<navigli:area_m2>"), "only the requested properties");
    assert_eq!(texts(&body, "navigli:nome").len(), 3);

    // Hits.
    let body = fetch_from("milano", "hits", &[("TYPENAMES", "navigli:edifici"), ("RESULTTYPE", "hits")], "application/gml+xml");
    assert_eq!(root_attr(&body, "numberMatched"), Some(edifici.len().to_string()));
    assert_eq!(root_attr(&body, "numberReturned").as_deref(), Some("0"));
    assert!(members(&body).is_empty() && root_attr(&body, "next").is_none());

    // WFS 1.1.0: GML 3.1.1, MAXFEATURES, numberOfFeatures.
    let body = fetch_from(
        "milano",
        "wfs110-edifici",
        &[("VERSION", "1.1.0"), ("TYPENAME", "navigli:edifici"), ("MAXFEATURES", "4")],
        "text/xml; subtype=gml/3.1.1",
    );
    assert!(body.contains("xmlns:gml=\"http://www.opengis.net/gml\"") && body.contains("xmlns:wfs=\"http://www.opengis.net/wfs\""));
    assert_eq!(root_attr(&body, "numberOfFeatures").as_deref(), Some("4"));
    assert_eq!(members(&body).len(), 4);
    let body = fetch_from(
        "milano",
        "wfs110-two-types-4326",
        &[("VERSION", "1.1.0"), ("TYPENAME", "navigli:idrografia,navigli:servizi_pubblici"), ("MAXFEATURES", "8"), ("SRSNAME", URN_4326)],
        "text/xml; subtype=gml/3.1.1",
    );
    assert_eq!(members(&body).len(), 8);

    // The metropolitan tenant, sorted: the most populous comuni first, as the GeoPackage says.
    let body =
        fetch_from("cmm", "cmm-comuni", &[("TYPENAMES", "comuni"), ("COUNT", "3"), ("SORTBY", "popolazione DESC")], "application/gml+xml");
    assert_eq!(root_attr(&body, "numberMatched").as_deref(), Some("133"));
    let top: Vec<String> = gpkg_features("SELECT nome FROM comuni ORDER BY popolazione DESC, fid LIMIT 3", &[])
        .iter()
        .map(|f| f["properties"]["nome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts(&body, "navigli:nome"), top);

    let refs: Vec<(&str, &str)> = docs.iter().map(|(d, n)| (d.as_str(), n.as_str())).collect();
    ogc_validate_all(&refs);
}

/// Follows `next` links from `first` (a path) and returns every page's body.
fn walk_gml(server: &Server, first: &str) -> Vec<String> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let (_, body) = ok(server, &path);
        let next = root_attr(&body, "next");
        pages.push(body);
        assert!(pages.len() <= 200, "more than 200 pages from {first}");
        match next {
            None => return pages,
            Some(url) => {
                path = url.strip_prefix(&server.base()).unwrap_or_else(|| panic!("next link {url} is not on this server")).to_string();
            }
        }
    }
}

/// Paging: following `next` links visits exactly numberMatched features once each (the same
/// set as the GeoPackage), numberReturned counts each page, `previous` leads back, and the
/// FILTER travels in the links; in GML across several types and in GeoJSON.
#[test]
fn next_links_page_through_every_feature_exactly_once() {
    let (server, _dir) = demo_server();
    let services = milano_ids("servizi_pubblici");

    // One type, GML 3.2.
    let first = wfs_path("milano", &[("REQUEST", "GetFeature"), ("TYPENAMES", "navigli:servizi_pubblici"), ("COUNT", "250")]);
    let pages = walk_gml(&server, &first);
    assert_eq!(pages.len(), services.len().div_ceil(250), "pages of 250");
    let mut seen = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(root_attr(page, "numberMatched"), Some(services.len().to_string()), "page {i}");
        let m = members(page);
        assert_eq!(root_attr(page, "numberReturned"), Some(m.len().to_string()), "page {i}: numberReturned vs members");
        assert_eq!(m.len(), if i + 1 < pages.len() { 250 } else { services.len() - 250 * i }, "page {i}");
        assert_eq!(root_attr(page, "previous").is_some(), i > 0, "page {i}: previous link");
        seen.extend(m.iter().map(|(t, id)| type_id(id, t)));
    }
    assert_eq!(set(&seen), services, "paging visits each Milano service once");
    // previous of the second page is the first page.
    let prev = root_attr(&pages[1], "previous").unwrap();
    let (_, back) = ok(&server, prev.strip_prefix(&server.base()).expect("previous link on this server"));
    assert_eq!(members(&back), members(&pages[0]), "previous of page 2 is page 1");

    // Several types, small pages that cross type boundaries.
    let idro = milano_ids("idrografia");
    let verdi = milano_ids("aree_verdi");
    let first = wfs_path(
        "milano",
        &[("REQUEST", "GetFeature"), ("TYPENAMES", "navigli:idrografia,navigli:comuni,navigli:aree_verdi"), ("COUNT", "7")],
    );
    let pages = walk_gml(&server, &first);
    let total = idro.len() + 1 + verdi.len();
    assert_eq!(pages.len(), total.div_ceil(7));
    let mut by_type: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut order = Vec::new();
    for page in &pages {
        assert_eq!(root_attr(page, "numberMatched"), Some(total.to_string()));
        let m = members(page);
        assert_eq!(root_attr(page, "numberReturned"), Some(m.len().to_string()));
        for (t, id) in m {
            if order.last() != Some(&t) {
                order.push(t.clone());
            }
            by_type.entry(t.clone()).or_default().push(type_id(&id, &t));
        }
    }
    assert_eq!(order, ["idrografia", "comuni", "aree_verdi"], "types in TYPENAMES order, each contiguous");
    assert_eq!(set(&by_type["idrografia"]), idro);
    assert_eq!(set(&by_type["comuni"]), milano_ids("comuni"));
    assert_eq!(set(&by_type["aree_verdi"]), verdi);

    // GeoJSON with a FILTER: the links keep the filter.
    let scuole = gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM servizi_pubblici WHERE cod_istat = '{MILANO}' AND tipo = 'scuola'"));
    let filter = fes(&fes_cmp("PropertyIsEqualTo", "tipo", "scuola"));
    let mut v = geojson(&server, "milano", &[("TYPENAMES", "navigli:servizi_pubblici"), ("COUNT", "200"), ("FILTER", &filter)]);
    let mut seen = Vec::new();
    let mut n = 0;
    loop {
        n += 1;
        assert_eq!(v["numberMatched"].as_u64(), Some(scuole.len() as u64));
        let ids = json_ids(&v, "servizi_pubblici");
        assert_eq!(v["numberReturned"].as_u64(), Some(ids.len() as u64));
        seen.extend(ids);
        let links = v["links"].as_array().cloned().unwrap_or_default();
        assert_eq!(links.iter().any(|l| l["rel"] == "previous"), n > 1, "previous link on page {n}");
        let Some(next) = links.iter().find(|l| l["rel"] == "next") else { break };
        let href = next["href"].as_str().unwrap();
        let (_, body) = ok(&server, href.strip_prefix(&server.base()).expect("next link on this server"));
        v = serde_json::from_str(&body).unwrap();
        assert!(n < 50);
    }
    assert_eq!(n, scuole.len().div_ceil(200));
    assert_eq!(set(&seen), scuole, "filtered paging visits each school once");

    // Past the end: an empty page, no next.
    let (_, body) = ok(
        &server,
        &wfs_path(
            "milano",
            &[("REQUEST", "GetFeature"), ("TYPENAMES", "navigli:servizi_pubblici"), ("STARTINDEX", &services.len().to_string())],
        ),
    );
    assert_eq!(root_attr(&body, "numberReturned").as_deref(), Some("0"));
    assert!(members(&body).is_empty() && root_attr(&body, "next").is_none());
}

// ------------------------------------------------------------------------------------------------
// 3. Axis order
// ------------------------------------------------------------------------------------------------

/// urn:ogc:def:crs:EPSG::4326 means latitude first (GML 3.2 and 3.1.1); `EPSG:4326` and GeoJSON
/// mean longitude first. The coordinates agree with GDAL's own reprojection of the GeoPackage.
#[test]
fn axis_order_follows_the_srsname_spelling() {
    let (server, _dir) = demo_server();
    for (layer, kind) in [("servizi_pubblici", "Point"), ("aree_verdi", "MultiPolygon")] {
        // GDAL's lon/lat of the first vertex of Milano's lowest-fid feature.
        let f = &gpkg_features(
            &format!("SELECT fid + 0 AS navigli_fid, geom FROM {layer} WHERE cod_istat = '{MILANO}' ORDER BY fid LIMIT 1"),
            &["-t_srs", "EPSG:4326"],
        )[0];
        let id = f["properties"]["navigli_fid"].as_i64().unwrap();
        let c = &f["geometry"]["coordinates"];
        let first = if kind == "Point" { c } else { &c[0][0][0] };
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!((8.9..9.4).contains(&lon) && (45.3..45.6).contains(&lat), "GDAL says {lon} {lat}");
        let rid = format!("{layer}.{id}");
        let close = |got: (f64, f64), want: (f64, f64), what: &str| {
            assert!((got.0 - want.0).abs() < 1e-7 && (got.1 - want.1).abs() < 1e-7, "{what}: got {got:?}, want {want:?}");
        };
        let gml = |params: &[(&str, &str)]| {
            let mut p = vec![("REQUEST", "GetFeature"), ("RESOURCEID", rid.as_str())];
            p.extend_from_slice(params);
            ok(&server, &wfs_path("milano", &p)).1
        };
        let body = gml(&[("SRSNAME", URN_4326)]);
        assert!(body.contains(&format!("srsName=\"{URN_4326}\"")));
        close(first_position(&body), (lat, lon), &format!("{rid} GML 3.2 {URN_4326}: latitude first"));
        let body = gml(&[("SRSNAME", "http://www.opengis.net/def/crs/EPSG/0/4326")]);
        close(first_position(&body), (lat, lon), &format!("{rid} GML 3.2 http URI: latitude first"));
        let body = gml(&[("SRSNAME", "EPSG:4326")]);
        close(first_position(&body), (lon, lat), &format!("{rid} GML 3.2 EPSG:4326: longitude first"));
        let body = gml(&[("VERSION", "1.1.0"), ("SRSNAME", URN_4326)]);
        close(first_position(&body), (lat, lon), &format!("{rid} GML 3.1.1 {URN_4326}: latitude first"));
        for srs in [URN_4326, "EPSG:4326"] {
            let v = geojson(&server, "milano", &[("RESOURCEID", &rid), ("SRSNAME", srs)]);
            let c = &v["features"][0]["geometry"]["coordinates"];
            let p = if kind == "Point" { c } else { &c[0][0][0] };
            close((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()), (lon, lat), &format!("{rid} GeoJSON {srs}: longitude first"));
        }
        for srs in ["CRS:84", "urn:ogc:def:crs:OGC:1.3:CRS84"] {
            let body = gml(&[("SRSNAME", srs)]);
            close(first_position(&body), (lon, lat), &format!("{rid} GML 3.2 {srs}: longitude first"));
        }
        // Native: the GeoPackage's easting/northing.
        let native = &gpkg_features(&format!("SELECT geom FROM {layer} WHERE fid = {id}"), &[])[0]["geometry"]["coordinates"];
        let p = if kind == "Point" { native } else { &native[0][0][0] };
        let (e, n) = first_position(&gml(&[]));
        let (want_e, want_n) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!((e - want_e).abs() < 1e-6 && (n - want_n).abs() < 1e-6, "{rid} native coordinates: {e} {n}, want {want_e} {want_n}");
        // EPSG:6707 (RDN2008 / UTM 32N, northing first by authority): within a metre of the
        // WGS84 UTM coordinates, swapped for the URN, not for the short code.
        let (a, b) = first_position(&gml(&[("SRSNAME", "urn:ogc:def:crs:EPSG::6707")]));
        assert!((a - want_n).abs() < 1.0 && (b - want_e).abs() < 1.0, "{rid} urn 6707: {a} {b}: northing first");
        let (a, b) = first_position(&gml(&[("SRSNAME", "EPSG:6707")]));
        assert!((a - want_e).abs() < 1.0 && (b - want_n).abs() < 1.0, "{rid} EPSG:6707: {a} {b}: easting first");
    }
}

// ------------------------------------------------------------------------------------------------
// 4. GDAL's WFS client
// ------------------------------------------------------------------------------------------------

/// The gml_id values (`layer.N` → N) of a GeoPackage written by ogr2ogr from the WFS.
fn gml_ids_in(file: &std::path::Path, layer: &str) -> Vec<i64> {
    let mut cmd = Command::new("ogr2ogr");
    cmd.args(["-f", "GeoJSON", "/vsistdout/", file.to_str().unwrap(), "-sql", &format!("SELECT gml_id FROM \"{layer}\"")]);
    let v: Value = serde_json::from_str(&run(cmd)).unwrap();
    v["features"].as_array().unwrap().iter().map(|f| type_id(f["properties"]["gml_id"].as_str().expect("gml_id"), layer)).collect()
}

/// `ogrinfo` feature ids: `gml_id (String) = layer.N` through WFS, `OGRFeature(layer):N` on
/// the GeoPackage.
fn ogrinfo_ids(output: &str, layer: &str, via_wfs: bool) -> Vec<i64> {
    output
        .lines()
        .filter_map(|l| {
            if via_wfs {
                l.trim().strip_prefix("gml_id (String) = ").map(|id| type_id(id, layer))
            } else {
                l.strip_prefix(&format!("OGRFeature({layer}):")).map(|n| n.trim().parse().unwrap())
            }
        })
        .collect()
}

/// GDAL lists the 11 public layers, copies every layer whole through paging (more features than the
/// server's per-response cap), and its filtered reads (-where, -spat → FES) select the same
/// features as the same query run on the GeoPackage itself.
#[test]
fn gdal_reads_every_layer_and_filters_like_the_geopackage() {
    let (server, dir) = demo_server();
    let url = format!("WFS:{}/milano/wfs", server.base());
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-ro", "-so", &url]);
    let listing = run(cmd);
    let listed: BTreeSet<&str> = listing
        .lines()
        .filter_map(|l| l.split_once(": ").filter(|(n, _)| n.trim().parse::<u32>().is_ok()))
        .map(|(_, rest)| rest.split(' ').next().unwrap())
        .collect();
    let want: BTreeSet<String> = PUBLIC.iter().map(|l| format!("navigli:{l}")).collect();
    assert_eq!(listed, want.iter().map(String::as_str).collect(), "ogrinfo -so:\n{listing}");

    let cap = common::config().server.max_features;
    let mut larger_than_cap = 0;
    for layer in PUBLIC {
        let matched = hits(&server, "milano", &[("TYPENAMES", &format!("navigli:{layer}"))]);
        let out = dir.path().join(format!("{layer}.gpkg"));
        let mut cmd = Command::new("ogr2ogr");
        cmd.args([
            "--config",
            "OGR_WFS_PAGE_SIZE",
            "2500",
            "-f",
            "GPKG",
            out.to_str().unwrap(),
            &url,
            &format!("navigli:{layer}"),
            "-nln",
            layer,
        ]);
        run(cmd);
        let ids = gml_ids_in(&out, layer);
        assert_eq!(ids.len() as u64, matched, "{layer}: ogr2ogr read {} features, numberMatched is {matched}", ids.len());
        let ids = set(&ids);
        if has_tenant_column(layer) {
            assert_eq!(ids, milano_ids(layer), "{layer}: the features GDAL read are not Milano's");
        } else {
            // No tenant column: the features intersecting Milano's boundary (SpatiaLite).
            let want = gpkg_ids(&format!(
                "SELECT l.fid + 0 AS navigli_fid FROM {layer} l, comuni c WHERE c.cod_istat = '{MILANO}' AND ST_Intersects(l.geom, c.geom)"
            ));
            assert_eq!(ids, want, "{layer}: features intersecting Milano");
        }
        if matched > cap {
            larger_than_cap += 1;
        }
    }
    assert!(larger_than_cap >= 1, "no layer exceeds max_features ({cap}): paging was not exercised");

    // Filtered reads: GDAL turns -where and -spat into one FES filter.
    let where_ = "piani >= 10 AND EDIFC_USO = '01'";
    for spat in [["512000", "5032000", "516000", "5036000"], ["504000", "5030000", "508500", "5034000"]] {
        let mut cmd = Command::new("ogrinfo");
        cmd.args(["-ro", "-q", "-where", where_, "-spat"]).args(spat).args([&url, "navigli:edifici"]);
        let through_wfs = set(&ogrinfo_ids(&run(cmd), "edifici", true));
        let mut cmd = Command::new("ogrinfo");
        cmd.args(["-ro", "-q", "-where", &format!("{where_} AND cod_istat = '{MILANO}'"), "-spat"]).args(spat).args([&gpkg(), "edifici"]);
        let direct = set(&ogrinfo_ids(&run(cmd), "edifici", false));
        assert!(!direct.is_empty(), "the filter selects nothing in {spat:?}: a useless comparison");
        assert_eq!(through_wfs, direct, "-where {where_:?} -spat {spat:?}");
        // The same with -sql (SpatiaLite) on the GeoPackage.
        let [x0, y0, x1, y1] = spat;
        let sql = gpkg_ids(&format!(
            "SELECT fid + 0 AS navigli_fid FROM edifici WHERE {where_} AND cod_istat = '{MILANO}' AND ST_Intersects(geom, BuildMbr({x0}, {y0}, {x1}, {y1}, 32632))"
        ));
        assert_eq!(through_wfs, sql, "-sql with ST_Intersects");
    }
}

// ------------------------------------------------------------------------------------------------
// 5. GeoJSON
// ------------------------------------------------------------------------------------------------

/// Compares a WFS property value with GDAL's reading of the same column.
fn same_value(wfs: &Value, gdal: &Value) -> bool {
    match (wfs, gdal) {
        (Value::Number(a), Value::Number(b)) => (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9,
        (Value::Bool(a), Value::Number(b)) => *a == (b.as_i64() == Some(1)),
        (a, b) => a == b,
    }
}

/// GeoJSON: parseable, numberMatched/numberReturned right, ids `layer.N` of Milano's features,
/// properties exactly the allow-list with the GeoPackage's values, PROPERTYNAME honoured.
#[test]
fn geojson_carries_ids_counts_and_only_allow_listed_properties() {
    let (server, _dir) = demo_server();
    for layer in PUBLIC {
        let v = geojson(&server, "milano", &[("TYPENAMES", &format!("navigli:{layer}")), ("COUNT", "7")]);
        assert_eq!(v["type"], "FeatureCollection");
        let matched = v["numberMatched"].as_u64().expect("numberMatched");
        if has_tenant_column(layer) {
            assert_eq!(matched, milano_ids(layer).len() as u64, "{layer}: numberMatched");
        }
        assert_eq!(matched, hits(&server, "milano", &[("TYPENAMES", &format!("navigli:{layer}"))]), "{layer}: GeoJSON vs GML hits");
        let features = v["features"].as_array().unwrap();
        assert_eq!(v["numberReturned"].as_u64(), Some(features.len() as u64), "{layer}: numberReturned");
        assert_eq!(features.len() as u64, matched.min(7), "{layer}: COUNT=7");
        let ids = json_ids(&v, layer);
        let allowed = allow_list(layer);
        let geometry_type = &common::config().layers.iter().find(|l| l.name == layer).unwrap().geometry_type;
        // GDAL's reading of the same rows.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        let columns: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        let rows = gpkg_features(
            &format!("SELECT fid + 0 AS navigli_fid, {} FROM {layer} WHERE fid IN ({})", columns.join(", "), list.join(",")),
            &[],
        );
        let rows: BTreeMap<i64, &Value> =
            rows.iter().map(|r| (r["properties"]["navigli_fid"].as_i64().unwrap(), &r["properties"])).collect();
        for (f, id) in features.iter().zip(&ids) {
            assert_eq!(f["type"], "Feature");
            assert_eq!(&f["geometry"]["type"], geometry_type.as_str(), "{layer}.{id} geometry type");
            let props = f["properties"].as_object().expect("properties object");
            let keys: Vec<&String> = props.keys().collect();
            let mut want: Vec<&String> = allowed.iter().collect();
            want.sort();
            let mut got = keys.clone();
            got.sort();
            assert_eq!(got, want, "{layer}.{id}: properties must be exactly the allow-list");
            let row = rows.get(id).unwrap_or_else(|| panic!("{layer}.{id} is not in the GeoPackage"));
            if has_tenant_column(layer) && allowed.contains(&"cod_istat".to_string()) {
                assert_eq!(props["cod_istat"], MILANO);
            }
            for a in &allowed {
                assert!(same_value(&props[a], &row[a]), "{layer}.{id}.{a}: WFS {} vs GeoPackage {}", props[a], row[a]);
            }
        }
    }
    // A PROPERTYNAME subset, and no geometry when it is not asked for.
    let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:edifici"), ("COUNT", "3"), ("PROPERTYNAME", "navigli:piani,EDIFC_USO")]);
    for f in v["features"].as_array().unwrap() {
        let mut keys: Vec<&String> = f["properties"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["EDIFC_USO", "piani"]);
        assert!(f["geometry"].is_null(), "geometry not requested: {}", f["geometry"]);
    }
    let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:edifici"), ("COUNT", "3"), ("PROPERTYNAME", "piani,geom")]);
    assert!(v["features"].as_array().unwrap().iter().all(|f| f["geometry"]["type"] == "MultiPolygon"));
    // Hits in GeoJSON: counts, no features.
    let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:edifici"), ("RESULTTYPE", "hits")]);
    assert_eq!(v["numberMatched"].as_u64(), Some(milano_ids("edifici").len() as u64));
    assert_eq!(v["numberReturned"].as_u64(), Some(0));
    assert!(v["features"].as_array().is_none_or(|f| f.is_empty()));
}

// ------------------------------------------------------------------------------------------------
// 6. FES filters (KVP FILTER)
// ------------------------------------------------------------------------------------------------

/// A Milano public service as GDAL reads it from the GeoPackage.
struct Service {
    id: i64,
    tipo: String,
    nome: String,
    indirizzo: String,
    x: f64,
    y: f64,
}

fn milano_services(extra: &[&str]) -> Vec<Service> {
    gpkg_features(
        &format!("SELECT fid + 0 AS navigli_fid, tipo, nome, indirizzo, geom FROM servizi_pubblici WHERE cod_istat = '{MILANO}'"),
        extra,
    )
    .iter()
    .map(|f| {
        let p = &f["properties"];
        let c = &f["geometry"]["coordinates"];
        Service {
            id: p["navigli_fid"].as_i64().unwrap(),
            tipo: p["tipo"].as_str().unwrap_or_default().to_string(),
            nome: p["nome"].as_str().unwrap_or_default().to_string(),
            indirizzo: p["indirizzo"].as_str().unwrap_or_default().to_string(),
            x: c[0].as_f64().unwrap(),
            y: c[1].as_f64().unwrap(),
        }
    })
    .collect()
}

/// FES 2.0 filters through KVP FILTER select exactly the features an independent evaluation
/// selects: plain Rust over GDAL's reading of the GeoPackage (services), or the same
/// predicate in SQL/SpatiaLite on the GeoPackage (buildings).
#[test]
fn fes_filters_select_what_an_independent_evaluation_selects() {
    let (server, _dir) = demo_server();
    let services = milano_services(&[]);
    assert!(services.len() > 300, "demo data too small");
    let xml_text =
        |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;");

    // A name with quotes and an apostrophe in it, to be matched literally.
    let quoted =
        services.iter().find(|s| s.nome.contains('"') && s.nome.contains('\'')).or_else(|| services.iter().find(|s| s.nome.contains('"')));
    let quoted = quoted.expect("a service name with quotes").nome.clone();
    let (cx, cy) = (514_500.0, 5_034_500.0);
    let triangle = [(510_000.0, 5_030_000.0), (518_000.0, 5_031_000.0), (513_000.0, 5_039_000.0)];
    let ring: String = triangle.iter().chain(&triangle[..1]).map(|(x, y)| format!("{x} {y}")).collect::<Vec<_>>().join(" ");
    let rids: Vec<i64> = services.iter().map(|s| s.id).step_by(97).collect();
    let elsewhere = gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM servizi_pubblici WHERE cod_istat <> '{MILANO}' LIMIT 2"));
    assert_eq!(elsewhere.len(), 2);
    let rid_xml: String =
        rids.iter().chain(&elsewhere).chain(&[9_999_999]).map(|i| format!("<fes:ResourceId rid=\"servizi_pubblici.{i}\"/>")).collect();
    let point = |srs: &str, x: f64, y: f64| format!("<gml:Point gml:id=\"p\" srsName=\"{srs}\"><gml:pos>{x} {y}</gml:pos></gml:Point>");

    type Pred<'a> = Box<dyn Fn(&Service) -> bool + 'a>;
    let cases: Vec<(&str, String, Pred)> = vec![
        ("PropertyIsEqualTo", fes_cmp("PropertyIsEqualTo", "tipo", "biblioteca"), Box::new(|s| s.tipo == "biblioteca")),
        ("PropertyIsEqualTo with quotes", fes_cmp("PropertyIsEqualTo", "nome", &xml_text(&quoted)), Box::new(|s| s.nome == quoted)),
        ("PropertyIsNotEqualTo", fes_cmp("PropertyIsNotEqualTo", "navigli:tipo", "scuola"), Box::new(|s| s.tipo != "scuola")),
        (
            "PropertyIsLike prefix",
            r#"<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>Scuola*</fes:Literal></fes:PropertyIsLike>"#.into(),
            Box::new(|s| like(&s.nome, "Scuola*", '*', '.', '!', true)),
        ),
        (
            "PropertyIsLike case-insensitive",
            r#"<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>*VERDI*</fes:Literal></fes:PropertyIsLike>"#.into(),
            Box::new(|s| like(&s.nome, "*VERDI*", '*', '.', '!', false)),
        ),
        (
            "PropertyIsLike single character and SQL wildcards as literals",
            r#"<fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\"><fes:ValueReference>indirizzo</fes:ValueReference><fes:Literal>Via ?????, 1*</fes:Literal></fes:PropertyIsLike>"#.into(),
            Box::new(|s| like(&s.indirizzo, "Via ?????, 1*", '*', '?', '\\', true)),
        ),
        (
            "And",
            format!("<fes:And>{}<fes:PropertyIsLike wildCard=\"*\" singleChar=\".\" escapeChar=\"!\"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>Liceo*</fes:Literal></fes:PropertyIsLike></fes:And>", fes_cmp("PropertyIsEqualTo", "tipo", "scuola")),
            Box::new(|s| s.tipo == "scuola" && s.nome.starts_with("Liceo")),
        ),
        (
            "Or",
            format!("<fes:Or>{}{}</fes:Or>", fes_cmp("PropertyIsEqualTo", "tipo", "biblioteca"), fes_cmp("PropertyIsEqualTo", "tipo", "sanita")),
            Box::new(|s| s.tipo == "biblioteca" || s.tipo == "sanita"),
        ),
        (
            "Not Or",
            format!("<fes:Not><fes:Or>{}{}</fes:Or></fes:Not>", fes_cmp("PropertyIsEqualTo", "tipo", "biblioteca"), fes_cmp("PropertyIsEqualTo", "tipo", "sanita")),
            Box::new(|s| !(s.tipo == "biblioteca" || s.tipo == "sanita")),
        ),
        (
            "DWithin 1000 m (URN, east-north CRS)",
            format!("<fes:DWithin><fes:ValueReference>geom</fes:ValueReference>{}<fes:Distance uom=\"m\">1000</fes:Distance></fes:DWithin>", point(URN_32632, cx, cy)),
            Box::new(move |s| (s.x - cx).hypot(s.y - cy) <= 1000.0),
        ),
        (
            "DWithin 0.75 km",
            format!("<fes:DWithin><fes:ValueReference>geom</fes:ValueReference>{}<fes:Distance uom=\"km\">0.75</fes:Distance></fes:DWithin>", point("EPSG:32632", cx + 2000.0, cy)),
            Box::new(move |s| (s.x - cx - 2000.0).hypot(s.y - cy) <= 750.0),
        ),
        (
            "Intersects polygon",
            format!("<fes:Intersects><fes:ValueReference>geom</fes:ValueReference><gml:Polygon gml:id=\"t\" srsName=\"{URN_32632}\"><gml:exterior><gml:LinearRing><gml:posList>{ring}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>"),
            Box::new(move |s| inside(&triangle, (s.x, s.y))),
        ),
        (
            "BBOX native CRS, DWithin and a comparison",
            format!(
                "<fes:And><fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName=\"{URN_32632}\"><gml:lowerCorner>511000 5031000</gml:lowerCorner><gml:upperCorner>517000 5037000</gml:upperCorner></gml:Envelope></fes:BBOX><fes:Or><fes:DWithin><fes:ValueReference>geom</fes:ValueReference>{}<fes:Distance uom=\"m\">1500</fes:Distance></fes:DWithin>{}</fes:Or></fes:And>",
                point(URN_32632, cx, cy),
                fes_cmp("PropertyIsEqualTo", "tipo", "sanita")
            ),
            Box::new(move |s| {
                (511_000.0..=517_000.0).contains(&s.x) && (5_031_000.0..=5_037_000.0).contains(&s.y) && ((s.x - cx).hypot(s.y - cy) <= 1500.0 || s.tipo == "sanita")
            }),
        ),
        ("ResourceId (other comuni's and unknown ids are not found)", rid_xml, Box::new(|s| rids.contains(&s.id))),
    ];
    for (name, body, pred) in &cases {
        let expected: BTreeSet<i64> = services.iter().filter(|s| pred(s)).map(|s| s.id).collect();
        assert!(
            !expected.is_empty() && expected.len() < services.len(),
            "{name}: not a selective filter ({} of {})",
            expected.len(),
            services.len()
        );
        let filter = fes(body);
        let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:servizi_pubblici"), ("FILTER", &filter)]);
        let got = set(&json_ids(&v, "servizi_pubblici"));
        assert_eq!(v["numberMatched"].as_u64(), Some(expected.len() as u64), "{name}: numberMatched");
        assert_eq!(got, expected, "{name}: {filter}");
    }

    // Buildings: the same predicate in SQL on the GeoPackage (GDAL's SQLite + SpatiaLite).
    let nulls = gpkg_count(&format!("SELECT count(*) AS n FROM edifici WHERE cod_istat = '{MILANO}' AND EDIFC_USO IS NULL"));
    assert_eq!(nulls, 0, "the Not case below assumes EDIFC_USO is never null");
    let between = "<fes:PropertyIsBetween><fes:ValueReference>piani</fes:ValueReference><fes:LowerBoundary><fes:Literal>5</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>7</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>";
    let cases: Vec<(String, String)> = vec![
        (between.into(), "piani BETWEEN 5 AND 7".into()),
        (format!("<fes:And>{}{}</fes:And>", fes_cmp("PropertyIsEqualTo", "EDIFC_USO", "01"), fes_cmp("PropertyIsGreaterThanOrEqualTo", "piani", "10")), "EDIFC_USO = '01' AND piani >= 10".into()),
        (format!("<fes:Not>{}</fes:Not>", fes_cmp("PropertyIsEqualTo", "EDIFC_USO", "01")), "EDIFC_USO <> '01'".into()),
        (fes_cmp("PropertyIsLessThan", "anno_costr", "1900"), "anno_costr < 1900".into()),
        (fes_cmp("PropertyIsGreaterThan", "UN_VOL_AV", "30.5"), "UN_VOL_AV > 30.5".into()),
        (fes_cmp("PropertyIsGreaterThanOrEqualTo", "data_rilievo", "2020-01-01"), "data_rilievo >= '2020-01-01'".into()),
        ("<fes:PropertyIsNull><fes:ValueReference>anno_costr</fes:ValueReference></fes:PropertyIsNull>".into(), "anno_costr IS NULL".into()),
        (
            format!("<fes:DWithin><fes:ValueReference>geom</fes:ValueReference>{}<fes:Distance uom=\"m\">300</fes:Distance></fes:DWithin>", point(URN_32632, cx, cy)),
            format!("ST_Distance(geom, MakePoint({cx}, {cy}, 32632)) <= 300"),
        ),
        (
            format!("<fes:Or><fes:And>{between}{}</fes:And><fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName=\"{URN_32632}\"><gml:lowerCorner>514000 5034000</gml:lowerCorner><gml:upperCorner>515000 5035000</gml:upperCorner></gml:Envelope></fes:BBOX></fes:Or>", fes_cmp("PropertyIsEqualTo", "EDIFC_USO", "06")),
            "(piani BETWEEN 5 AND 7 AND EDIFC_USO = '06') OR ST_Intersects(geom, BuildMbr(514000, 5034000, 515000, 5035000, 32632))".into(),
        ),
    ];
    let total = milano_ids("edifici").len();
    for (body, sql) in &cases {
        let expected = gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM edifici WHERE cod_istat = '{MILANO}' AND ({sql})"));
        assert!(!expected.is_empty() && expected.len() < total, "{sql}: not a selective filter");
        let filter = fes(body);
        let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:edifici"), ("PROPERTYNAME", "piani"), ("FILTER", &filter)]);
        assert_eq!(v["numberMatched"].as_u64(), Some(expected.len() as u64), "{sql}: numberMatched");
        assert_eq!(set(&json_ids(&v, "edifici")), expected, "{sql}: {filter}");
    }

    // Filter Encoding 1.1 with WFS 1.1.0, in GML 3.1.1.
    let filter = r#"<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo><ogc:PropertyName>tipo</ogc:PropertyName><ogc:Literal>biblioteca</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"#;
    let (_, body) = ok(
        &server,
        &wfs_path(
            "milano",
            &[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", "navigli:servizi_pubblici"), ("FILTER", filter)],
        ),
    );
    let got: Vec<i64> = members(&body).iter().map(|(t, id)| type_id(id, t)).collect();
    let want: BTreeSet<i64> = services.iter().filter(|s| s.tipo == "biblioteca").map(|s| s.id).collect();
    assert_eq!(set(&got), want, "FE 1.1 PropertyIsEqualTo");
}

/// BBOX in EPSG:4326 (KVP BBOX with the URN's latitude/longitude order, and fes:BBOX with a
/// URN envelope) selects exactly the services whose position lies in the box: FES 2.0 defines
/// BBOX as "not disjoint from the envelope", in the envelope's CRS. Positions in WGS84 come
/// from GDAL's own reprojection of the GeoPackage.
#[test]
fn bbox_in_wgs84_selects_exactly_the_features_inside_it() {
    let (server, _dir) = demo_server();
    let services = milano_services(&["-t_srs", "EPSG:4326"]);
    let (lat0, lon0, lat1, lon1) = (45.44, 9.12, 45.50, 9.22);
    let expected: BTreeSet<i64> =
        services.iter().filter(|s| (lon0..=lon1).contains(&s.x) && (lat0..=lat1).contains(&s.y)).map(|s| s.id).collect();
    assert!(expected.len() > 50 && expected.len() < services.len());
    let envelope = format!(
        "<fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName=\"{URN_4326}\"><gml:lowerCorner>{lat0} {lon0}</gml:lowerCorner><gml:upperCorner>{lat1} {lon1}</gml:upperCorner></gml:Envelope></fes:BBOX>"
    );
    let kvp = format!("{lat0},{lon0},{lat1},{lon1},{URN_4326}");
    let kvp_short = format!("{lon0},{lat0},{lon1},{lat1},EPSG:4326");
    let filter = fes(&envelope);
    let mut failures = Vec::new();
    for (name, param, value) in [
        ("KVP BBOX (URN)", "BBOX", kvp.as_str()),
        ("KVP BBOX (EPSG:4326)", "BBOX", kvp_short.as_str()),
        ("fes:BBOX", "FILTER", filter.as_str()),
    ] {
        let v = geojson(&server, "milano", &[("TYPENAMES", "navigli:servizi_pubblici"), ("SRSNAME", "EPSG:4326"), (param, value)]);
        let got = set(&json_ids(&v, "servizi_pubblici"));
        let missing: Vec<&i64> = expected.difference(&got).collect();
        let outside: Vec<String> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !expected.contains(&type_id(f["id"].as_str().unwrap(), "servizi_pubblici")))
            .map(|f| format!("{} at {}", f["id"], f["geometry"]["coordinates"]))
            .collect();
        if !missing.is_empty() {
            failures.push(format!("{name}: services inside the box not returned: {missing:?}"));
        }
        if !outside.is_empty() {
            failures.push(format!("{name}: services outside lat {lat0}..{lat1}, lon {lon0}..{lon1} returned: {outside:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// 7. Exceptions
// ------------------------------------------------------------------------------------------------

/// The exception report flavours.
#[derive(Clone, Copy, PartialEq)]
enum Report {
    /// OWS 1.1 `ExceptionReport` version 2.0.0 (WFS 2.0).
    Ows11,
    /// OWS 1.0 `ExceptionReport` version 1.0.0 (WFS 1.1.0).
    Ows10,
}

/// GETs `path`, checks the status, report flavour, code (one of `codes`) and locator
/// (case-insensitively; `None`: any) and returns the body for schema validation.
fn expect_exception(server: &Server, path: &str, status: u16, codes: &[&str], locator: Option<&str>, report: Report) -> String {
    let started = Instant::now();
    let (got, head, body) = get(server, path);
    let elapsed = started.elapsed();
    assert_eq!(got, status, "{path}:\n{body}");
    // No hang: an exception is quick even for hostile input (the bound is loose on purpose,
    // the debug build shares the machine with the other tests).
    assert!(elapsed < Duration::from_secs(20), "{path}: took {elapsed:?}");
    assert!(head.contains("content-type: application/xml") || head.contains("content-type: text/xml"), "{path}: {head}");
    let (ns, version) = match report {
        Report::Ows11 => ("xmlns:ows=\"http://www.opengis.net/ows/1.1\"", "2.0.0"),
        Report::Ows10 => ("xmlns:ows=\"http://www.opengis.net/ows\"", "1.0.0"),
    };
    assert!(root_tag(&body).starts_with("<ows:ExceptionReport ") && body.contains(ns), "{path}: wrong report flavour:\n{body}");
    assert_eq!(root_attr(&body, "version").as_deref(), Some(version), "{path}");
    let (code, loc) = exception_of(&body);
    assert!(codes.contains(&code.as_str()), "{path}: exceptionCode {code}, want one of {codes:?}\n{body}");
    if let Some(want) = locator {
        assert!(loc.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(want)), "{path}: locator {loc:?}, want {want}");
    }
    body
}

/// Wrong requests get schema-valid OWS exception reports with the code, locator and HTTP status
/// of WFS 2.0 / OWS Common (OWS 1.0 reports for WFS 1.1.0), fast, and hostile filters are
/// refused without being evaluated.
#[test]
fn wrong_requests_get_the_right_exception_reports() {
    let (server, _dir) = demo_server();
    let ipv = &["InvalidParameterValue"][..];
    // Malformed or unusable XML in FILTER: OperationParsingFailed (WFS 2.0) or InvalidParameterValue.
    let parse = &["InvalidParameterValue", "OperationParsingFailed"][..];
    let gf = |extra: &[(&str, &str)]| {
        let mut p = vec![("REQUEST", "GetFeature")];
        p.extend_from_slice(extra);
        wfs_path("milano", &p)
    };
    let t = ("TYPENAMES", "navigli:servizi_pubblici");
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut check = |name: &str, path: String, status: u16, codes: &[&str], locator: Option<&str>, report: Report| -> String {
        let body = expect_exception(&server, &path, status, codes, locator, report);
        docs.push((body.clone(), name.to_string()));
        body
    };
    check("unknown-type", gf(&[("TYPENAMES", "navigli:nessuno")]), 400, ipv, Some("typeNames"), Report::Ows11);
    check("unknown-type-other-prefix", gf(&[("TYPENAMES", "topp:edifici")]), 400, ipv, Some("typeNames"), Report::Ows11);
    check("one-unknown-of-two", gf(&[("TYPENAMES", "navigli:edifici,navigli:nessuno")]), 400, ipv, Some("typeNames"), Report::Ows11);
    check("missing-typenames", gf(&[]), 400, &["MissingParameterValue"], Some("typeNames"), Report::Ows11);
    check("count-negative", gf(&[t, ("COUNT", "-1")]), 400, ipv, Some("count"), Report::Ows11);
    check("count-text", gf(&[t, ("COUNT", "abc")]), 400, ipv, Some("count"), Report::Ows11);
    check("startindex-negative", gf(&[t, ("STARTINDEX", "-1")]), 400, ipv, Some("startIndex"), Report::Ows11);
    check("resulttype", gf(&[t, ("RESULTTYPE", "everything")]), 400, ipv, Some("resultType"), Report::Ows11);
    check("bbox-three-numbers", gf(&[t, ("BBOX", "1,2,3")]), 400, ipv, Some("bbox"), Report::Ows11);
    check("bbox-text", gf(&[t, ("BBOX", "a,b,c,d")]), 400, ipv, Some("bbox"), Report::Ows11);
    check("bbox-inverted", gf(&[t, ("BBOX", "516000,5036000,512000,5032000")]), 400, ipv, Some("bbox"), Report::Ows11);
    check("bbox-crs", gf(&[t, ("BBOX", "1,2,3,4,EPSG:99999")]), 400, ipv, Some("bbox"), Report::Ows11);
    check("srsname", gf(&[t, ("SRSNAME", "EPSG:99999")]), 400, ipv, Some("srsName"), Report::Ows11);
    check("srsname-garbage", gf(&[t, ("SRSNAME", "urn:ogc:def:crs:EPSG::banana")]), 400, ipv, Some("srsName"), Report::Ows11);
    check("outputformat", gf(&[t, ("OUTPUTFORMAT", "image/png")]), 400, ipv, Some("outputFormat"), Report::Ows11);
    check("sortby-unknown", gf(&[t, ("SORTBY", "segreto DESC")]), 400, ipv, None, Report::Ows11);
    check("propertyname-unknown", gf(&[t, ("PROPERTYNAME", "segreto")]), 400, ipv, Some("propertyName"), Report::Ows11);

    let null = fes("<fes:PropertyIsNull><fes:ValueReference>nome</fes:ValueReference></fes:PropertyIsNull>");
    check("filter-and-bbox", gf(&[t, ("FILTER", &null), ("BBOX", "512000,5032000,516000,5036000")]), 400, parse, None, Report::Ows11);
    let truncated = format!("<fes:Filter {FES_NS}><fes:PropertyIsEqualTo><fes:ValueReference>nome</fes:ValueReference>");
    check("filter-truncated", gf(&[t, ("FILTER", &truncated)]), 400, parse, Some("filter"), Report::Ows11);
    check("filter-not-xml", gf(&[t, ("FILTER", "nome = 'x'")]), 400, parse, Some("filter"), Report::Ows11);
    let mismatched =
        format!("<fes:Filter {FES_NS}><fes:PropertyIsNull><fes:ValueReference>nome</fes:PropertyIsNull></fes:ValueReference></fes:Filter>");
    check("filter-mismatched-tags", gf(&[t, ("FILTER", &mismatched)]), 400, parse, Some("filter"), Report::Ows11);
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]><fes:Filter {FES_NS}>{}</fes:Filter>",
        (1..10)
            .map(|i| format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&lol{};", if i == 1 { String::new() } else { (i - 1).to_string() }).repeat(10)
            ))
            .collect::<String>(),
        fes_cmp("PropertyIsEqualTo", "nome", "&lol9;")
    );
    let body = check("billion-laughs", gf(&[t, ("FILTER", &laughs)]), 400, parse, Some("filter"), Report::Ows11);
    assert!(!body.contains("lollol"), "entities were expanded");
    let unknown = fes(&fes_cmp("PropertyIsEqualTo", "segreto", "1"));
    check(
        "filter-unknown-property",
        gf(&[t, ("FILTER", &unknown)]),
        400,
        &["InvalidParameterValue", "OperationProcessingFailed"],
        Some("filter"),
        Report::Ows11,
    );
    let hidden = fes(&fes_cmp("PropertyIsEqualTo", "cod_istat", MILANO));
    check(
        "filter-property-not-exposed",
        gf(&[t, ("FILTER", &hidden)]),
        400,
        &["InvalidParameterValue", "OperationProcessingFailed"],
        Some("filter"),
        Report::Ows11,
    );
    let other_ns = "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsNull><ogc:PropertyName>nome</ogc:PropertyName></ogc:PropertyIsNull></ogc:Filter>";
    check("filter-wrong-version", gf(&[t, ("FILTER", other_ns)]), 400, parse, Some("filter"), Report::Ows11);
    for depth in [40, 500] {
        let deep = fes(&format!(
            "{}<fes:PropertyIsNull><fes:ValueReference>nome</fes:ValueReference></fes:PropertyIsNull>{}",
            "<fes:Not>".repeat(depth),
            "</fes:Not>".repeat(depth)
        ));
        check(
            &format!("filter-not-{depth}"),
            gf(&[t, ("FILTER", &deep)]),
            400,
            &["InvalidParameterValue", "OperationProcessingFailed", "OperationParsingFailed"],
            Some("filter"),
            Report::Ows11,
        );
    }
    // RESOURCEID with FILTER, and malformed ids.
    check("resourceid-and-filter", gf(&[("RESOURCEID", "servizi_pubblici.1"), ("FILTER", &null)]), 400, parse, None, Report::Ows11);
    check("resourceid-malformed", gf(&[("RESOURCEID", "servizi_pubblici")]), 400, ipv, Some("resourceId"), Report::Ows11);

    // WFS 1.1.0: OWS 1.0 reports.
    let v11 = |extra: &[(&str, &str)]| {
        let mut p = vec![("VERSION", "1.1.0"), ("REQUEST", "GetFeature")];
        p.extend_from_slice(extra);
        wfs_path("milano", &p)
    };
    check("wfs110-unknown-type", v11(&[("TYPENAME", "navigli:nessuno")]), 400, ipv, None, Report::Ows10);
    check("wfs110-maxfeatures", v11(&[("TYPENAME", "navigli:edifici"), ("MAXFEATURES", "abc")]), 400, ipv, None, Report::Ows10);
    check("wfs110-srsname", v11(&[("TYPENAME", "navigli:edifici"), ("SRSNAME", "EPSG:99999")]), 400, ipv, Some("srsName"), Report::Ows10);
    let fes20 = fes(&fes_cmp("PropertyIsEqualTo", "tipo", "scuola"));
    check(
        "wfs110-fes20-filter",
        v11(&[("TYPENAME", "navigli:servizi_pubblici"), ("FILTER", &fes20)]),
        400,
        parse,
        Some("filter"),
        Report::Ows10,
    );
    check(
        "wfs110-outputformat",
        v11(&[("TYPENAME", "navigli:edifici"), ("OUTPUTFORMAT", "application/gml+xml; version=9")]),
        400,
        ipv,
        Some("outputFormat"),
        Report::Ows10,
    );

    // SQL injection text is a literal: zero features (and no service has such a name).
    let injection = "' OR '1'='1";
    assert_eq!(gpkg_count(&format!("SELECT count(*) AS n FROM servizi_pubblici WHERE nome = '{}'", injection.replace('\'', "''"))), 0);
    for literal in [injection.replace('\'', "&apos;"), injection.to_string(), "x'); DROP TABLE edifici; --".to_string()] {
        let filter = fes(&fes_cmp("PropertyIsEqualTo", "nome", &literal));
        let v = geojson(&server, "milano", &[t, ("FILTER", &filter)]);
        assert_eq!((v["numberMatched"].as_u64(), v["features"].as_array().map(Vec::len)), (Some(0), Some(0)), "{literal}");
    }
    assert_eq!(hits(&server, "milano", &[("TYPENAMES", "navigli:edifici")]), milano_ids("edifici").len() as u64, "edifici still there");

    let refs: Vec<(&str, &str)> = docs.iter().map(|(d, n)| (d.as_str(), n.as_str())).collect();
    ogc_validate_all(&refs);
}

/// A response head without its `date:` line, header lines sorted (their order carries no
/// information).
fn without_date(head: &str) -> String {
    let mut lines: Vec<&str> = head.lines().filter(|l| !l.starts_with("date:")).collect();
    lines.sort();
    lines.join("\n")
}

/// The restricted layer, asked for by name in any way, answers exactly like a type that does
/// not exist (same status, headers and body but for the name): its existence does not leak.
#[test]
fn the_restricted_layer_looks_exactly_like_an_unknown_one() {
    let (server, _dir) = demo_server();
    // Same length as the restricted name, so no message can differ by padding either.
    let (secret, absent) = ("servizi_sociali", "servizi_segreti");
    assert_eq!(secret.len(), absent.len());
    let asks: Vec<Vec<(&str, String)>> = vec![
        vec![("REQUEST", "GetFeature".into()), ("TYPENAMES", "navigli:NAME".into())],
        vec![("REQUEST", "GetFeature".into()), ("TYPENAMES", "NAME".into())],
        vec![("REQUEST", "GetFeature".into()), ("TYPENAMES", "navigli:NAME".into()), ("RESULTTYPE", "hits".into())],
        vec![("REQUEST", "GetFeature".into()), ("TYPENAMES", "navigli:edifici,navigli:NAME".into())],
        vec![("REQUEST", "GetFeature".into()), ("RESOURCEID", "NAME.1".into())],
        vec![("REQUEST", "GetFeature".into()), ("TYPENAMES", "navigli:NAME".into()), ("OUTPUTFORMAT", "application/json".into())],
        vec![("REQUEST", "GetFeature".into()), ("VERSION", "1.1.0".into()), ("TYPENAME", "navigli:NAME".into())],
        vec![("REQUEST", "DescribeFeatureType".into()), ("TYPENAMES", "navigli:NAME".into())],
        vec![("REQUEST", "DescribeFeatureType".into()), ("VERSION", "1.1.0".into()), ("TYPENAME", "NAME".into())],
    ];
    let mut docs = Vec::new();
    for tenant in ["cmm", "milano"] {
        for ask in &asks {
            let path = |name: &str| {
                let p: Vec<(&str, String)> = ask.iter().map(|(k, v)| (*k, v.replace("NAME", name))).collect();
                let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
                wfs_path(tenant, &p)
            };
            let (s1, h1, b1) = get(&server, &path(secret));
            let (s2, h2, b2) = get(&server, &path(absent));
            let (h1, h2) = (without_date(&h1), without_date(&h2));
            assert_eq!(s1, 400, "{}: {b1}", path(secret));
            assert_eq!((s1, h1.replace(secret, absent), b1.replace(secret, absent)), (s2, h2.clone(), b2.clone()), "{}", path(secret));
            docs.push(b1);
        }
        for version in ["2.0.0", "1.1.0"] {
            let (s1, h1, b1) = get(&server, &format!("/{tenant}/wfs/schema/{version}/{secret}.xsd"));
            let (s2, h2, b2) = get(&server, &format!("/{tenant}/wfs/schema/{version}/{absent}.xsd"));
            let (h1, h2) = (without_date(&h1), without_date(&h2));
            assert!(s1 >= 400, "{tenant} {version}: the restricted schema is served");
            assert_eq!((s1, h1.replace(secret, absent), b1.replace(secret, absent)), (s2, h2, b2));
        }
    }
    let named: Vec<(&str, String)> = docs.iter().enumerate().map(|(i, d)| (d.as_str(), format!("restricted-{i}"))).collect();
    let refs: Vec<(&str, &str)> = named.iter().map(|(d, n)| (*d, n.as_str())).collect();
    ogc_validate_all(&refs);
}

// ------------------------------------------------------------------------------------------------
// 8. GeoPackage and PostGIS answer identically
// ------------------------------------------------------------------------------------------------

/// A body without its time stamp and with the server's own address neutralised.
fn normalised(body: &str, server: &Server) -> String {
    let mut out = body.replace(&server.base(), "http://SERVER");
    for (key, end) in [("timeStamp=\"", '"'), ("\"timeStamp\":\"", '"')] {
        while let Some(i) = out.find(key) {
            let from = i + key.len();
            let to = from + out[from..].find(end).expect("end of time stamp");
            out.replace_range(i..to + 1, "");
        }
    }
    out
}

/// The same GetFeature requests (GML 3.2, GML 3.1.1, GeoJSON; filters, sorting, paging,
/// reprojection, several types, hits, both tenants kinds) give identical bodies from the
/// GeoPackage-backed and the PostGIS-backed server, time stamps aside.
#[test]
fn geopackage_and_postgis_servers_answer_identically() {
    let Some((pg, _pg_dir)) = postgis_server() else {
        eprintln!("NOTE: NAVIGLI_TEST_DATABASE_URL not set: GeoPackage/PostGIS comparison NOT RUN (use `make test`)");
        return;
    };
    let (gp, _dir) = demo_server();
    let like = r#"<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false"><fes:ValueReference>nome</fes:ValueReference><fes:Literal>*verdi*</fes:Literal></fes:PropertyIsLike>"#;
    let dwithin = format!("<fes:DWithin><fes:ValueReference>geom</fes:ValueReference><gml:Point gml:id=\"p\" srsName=\"{URN_32632}\"><gml:pos>514500 5034500</gml:pos></gml:Point><fes:Distance uom=\"m\">400</fes:Distance></fes:DWithin>");
    let between = "<fes:PropertyIsBetween><fes:ValueReference>pendenza</fes:ValueReference><fes:LowerBoundary><fes:Literal>10</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>30</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>";
    let f_like = fes(like);
    let f_like_11 = r#"<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false"><ogc:PropertyName>nome</ogc:PropertyName><ogc:Literal>*verdi*</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>"#;
    let f_and = fes(&format!("<fes:And>{between}{dwithin}</fes:And>"));
    let f_date = fes(&format!(
        "<fes:And>{}<fes:Not>{}</fes:Not></fes:And>",
        fes_cmp("PropertyIsGreaterThanOrEqualTo", "data_rilievo", "2019-06-01"),
        fes_cmp("PropertyIsEqualTo", "EDIFC_USO", "01")
    ));
    let f_bbox4326 = fes(&format!("<fes:BBOX><fes:ValueReference>geom</fes:ValueReference><gml:Envelope srsName=\"{URN_4326}\"><gml:lowerCorner>45.45 9.15</gml:lowerCorner><gml:upperCorner>45.48 9.20</gml:upperCorner></gml:Envelope></fes:BBOX>"));
    let f_null = fes("<fes:Or><fes:PropertyIsNull><fes:ValueReference>anno_costr</fes:ValueReference></fes:PropertyIsNull><fes:PropertyIsLessThan><fes:ValueReference>anno_costr</fes:ValueReference><fes:Literal>1700</fes:Literal></fes:PropertyIsLessThan></fes:Or>");
    let requests: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("milano", vec![("TYPENAMES", "navigli:edifici"), ("COUNT", "40"), ("STARTINDEX", "100"), ("SORTBY", "anno_costr DESC,piani")]),
        (
            "milano",
            vec![
                ("TYPENAMES", "navigli:edifici"),
                ("COUNT", "60"),
                ("FILTER", &f_date),
                ("SORTBY", "UN_VOL_AV DESC"),
                ("OUTPUTFORMAT", "application/json"),
            ],
        ),
        (
            "milano",
            vec![
                ("TYPENAMES", "navigli:edifici"),
                ("FILTER", &f_null),
                ("PROPERTYNAME", "anno_costr,data_rilievo"),
                ("OUTPUTFORMAT", "application/json"),
            ],
        ),
        ("milano", vec![("VERSION", "1.1.0"), ("TYPENAME", "navigli:servizi_pubblici"), ("FILTER", f_like_11)]),
        ("milano", vec![("TYPENAMES", "navigli:servizi_pubblici"), ("FILTER", &f_like), ("SRSNAME", URN_4326)]),
        ("milano", vec![("TYPENAMES", "navigli:falde"), ("FILTER", &f_and), ("SRSNAME", URN_4326), ("COUNT", "30")]),
        (
            "milano",
            vec![("TYPENAMES", "navigli:falde"), ("FILTER", &f_and), ("SRSNAME", "EPSG:3857"), ("OUTPUTFORMAT", "application/json")],
        ),
        (
            "milano",
            vec![("TYPENAMES", "navigli:strade"), ("FILTER", &f_bbox4326), ("SRSNAME", "EPSG:3003"), ("COUNT", "25"), ("SORTBY", "nome")],
        ),
        (
            "milano",
            vec![
                ("TYPENAMES", "navigli:strade"),
                ("BBOX", "45.45,9.15,45.48,9.20,urn:ogc:def:crs:EPSG::4326"),
                ("OUTPUTFORMAT", "application/json"),
                ("COUNT", "25"),
            ],
        ),
        (
            "milano",
            vec![
                ("TYPENAMES", "navigli:idrografia,navigli:aree_verdi,navigli:zone_omogenee"),
                ("STARTINDEX", "4"),
                ("COUNT", "9"),
                ("SRSNAME", "EPSG:25832"),
            ],
        ),
        ("milano", vec![("TYPENAMES", "navigli:uso_suolo"), ("RESULTTYPE", "hits")]),
        ("milano", vec![("RESOURCEID", "servizi_pubblici.800,servizi_pubblici.1,aree_verdi.120"), ("OUTPUTFORMAT", "application/json")]),
        (
            "cmm",
            vec![
                ("TYPENAMES", "navigli:comuni"),
                ("SORTBY", "popolazione DESC"),
                ("COUNT", "5"),
                ("PROPERTYNAME", "nome,popolazione,approssimato,area_km2"),
            ],
        ),
        ("cmm", vec![("TYPENAMES", "navigli:zone_omogenee"), ("SRSNAME", "urn:ogc:def:crs:EPSG::6707")]),
        (
            "015251",
            vec![
                ("TYPENAMES", "navigli:edifici"),
                ("COUNT", "20"),
                ("SORTBY", "EDIFC_USO,anno_costr DESC"),
                ("OUTPUTFORMAT", "application/json"),
            ],
        ),
    ];
    let mut differences = Vec::new();
    for (tenant, params) in &requests {
        let mut p = vec![("REQUEST", "GetFeature")];
        p.extend_from_slice(params);
        let path = wfs_path(tenant, &p);
        let (s1, _, b1) = get(&gp, &path);
        let (s2, _, b2) = get(&pg, &path);
        assert_eq!((s1, s2), (200, 200), "{path}:\n{b1}\n{b2}");
        assert!(b1.len() > 400, "{path}: suspiciously small answer:\n{b1}");
        let (n1, n2) = (normalised(&b1, &gp), normalised(&b2, &pg));
        if n1 != n2 {
            let at = n1.bytes().zip(n2.bytes()).position(|(a, b)| a != b).unwrap_or(n1.len().min(n2.len()));
            let from = at.saturating_sub(200);
            differences.push(format!(
                "{path}\n  at byte {at}:\n  gpkg:    {}\n  postgis: {}",
                &n1[from..(at + 200).min(n1.len())],
                &n2[from..(at + 200).min(n2.len())]
            ));
        }
    }
    assert!(differences.is_empty(), "{} of {} answers differ:\n{}", differences.len(), requests.len(), differences.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// 9. OWSLib
// ------------------------------------------------------------------------------------------------

/// The Python of the test venv, with OWSLib and lxml.
fn owslib_python() -> std::path::PathBuf {
    common::pyvenv("owslib, lxml")
}

const OWSLIB_SCRIPT: &str = r#"
import json, sys
from lxml import etree
from owslib.wfs import WebFeatureService
url, report = sys.argv[1], {}
for version in ('2.0.0', '1.1.0'):
    r = report[version] = {}
    try:
        wfs = WebFeatureService(url, version=version)
        r['contents'] = sorted(wfs.contents)
        r['version'] = wfs.version
        r['crs'] = str(wfs.contents['navigli:servizi_pubblici'].crsOptions[0])
        resp = wfs.getfeature(typename=['navigli:servizi_pubblici'], maxfeatures=5)
        data = resp.read()
        doc = etree.fromstring(data if isinstance(data, bytes) else data.encode())
        r['root'] = doc.tag
        r['features'] = [e.get('{http://www.opengis.net/gml/3.2}id') or e.get('{http://www.opengis.net/gml}id')
                         for e in doc.iter('{http://navigli.cittametropolitana.mi.it/ns}servizi_pubblici')]
    except Exception as e:
        r['error'] = f'{type(e).__name__}: {e}'[:1500]
print(json.dumps(report))
"#;

/// OWSLib, the reference Python client, reads both capabilities versions and gets 5 features
/// of a layer as parseable GML with each version.
#[test]
fn owslib_reads_the_service_with_both_versions() {
    let python = owslib_python();
    let (server, dir) = demo_server();
    let script = dir.path().join("owslib_check.py");
    std::fs::write(&script, OWSLIB_SCRIPT).unwrap();
    let out = Command::new(&python).arg(&script).arg(format!("{}/milano/wfs", server.base())).output().expect("run OWSLib script");
    assert!(out.status.success(), "OWSLib script failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    let want: Vec<String> = {
        let mut w: Vec<String> = PUBLIC.iter().map(|l| format!("navigli:{l}")).collect();
        w.sort();
        w
    };
    let mut failures = Vec::new();
    for (version, root) in
        [("2.0.0", "{http://www.opengis.net/wfs/2.0}FeatureCollection"), ("1.1.0", "{http://www.opengis.net/wfs}FeatureCollection")]
    {
        let r = &report[version];
        if let Some(e) = r["error"].as_str() {
            failures.push(format!("WFS {version}: {e}"));
            continue;
        }
        assert_eq!(r["version"], version);
        let contents: Vec<String> = r["contents"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(contents, want, "WFS {version} contents");
        assert!(r["crs"].as_str().unwrap().contains("32632"), "WFS {version} default CRS: {}", r["crs"]);
        assert_eq!(r["root"], root, "WFS {version} GetFeature root");
        let ids: Vec<i64> =
            r["features"].as_array().unwrap().iter().map(|v| type_id(v.as_str().expect("gml:id"), "servizi_pubblici")).collect();
        assert_eq!(ids.len(), 5, "WFS {version}: maxfeatures=5");
        assert!(set(&ids).is_subset(&milano_ids("servizi_pubblici")), "WFS {version}: not Milano's services: {ids:?}");
    }
    assert!(failures.is_empty(), "OWSLib failed:\n{}", failures.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// More GetFeature semantics
// ------------------------------------------------------------------------------------------------

/// One FILTER per type in parentheses, RESOURCEID of other comuni, and the per-response cap
/// (the advertised CountDefault) with its next link.
#[test]
fn filter_lists_resource_ids_and_the_response_cap() {
    let (server, _dir) = demo_server();
    let f1 = fes(&fes_cmp("PropertyIsEqualTo", "tipo", "biblioteca"));
    let f2 = fes(&fes_cmp("PropertyIsGreaterThan", "area_m2", "100000"));
    let libraries =
        gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM servizi_pubblici WHERE cod_istat = '{MILANO}' AND tipo = 'biblioteca'"));
    let parks = gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM aree_verdi WHERE cod_istat = '{MILANO}' AND area_m2 > 100000"));
    assert!(!libraries.is_empty() && !parks.is_empty());
    let (_, body) = ok(
        &server,
        &wfs_path(
            "milano",
            &[
                ("REQUEST", "GetFeature"),
                ("TYPENAMES", "navigli:servizi_pubblici,navigli:aree_verdi"),
                ("FILTER", &format!("({f1})({f2})")),
            ],
        ),
    );
    let mut got: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (t, id) in members(&body) {
        got.entry(t.clone()).or_default().push(type_id(&id, &t));
    }
    assert_eq!(set(&got["servizi_pubblici"]), libraries);
    assert_eq!(set(&got["aree_verdi"]), parks);
    assert_eq!(root_attr(&body, "numberMatched"), Some((libraries.len() + parks.len()).to_string()));

    // RESOURCEID: Milano's ids are found, other comuni's are not (the tenant is a hard scope).
    let mine: Vec<i64> = milano_ids("servizi_pubblici").into_iter().take(2).collect();
    let theirs = gpkg_ids(&format!("SELECT fid + 0 AS navigli_fid FROM servizi_pubblici WHERE cod_istat <> '{MILANO}' LIMIT 2"));
    let rids: Vec<String> = mine.iter().chain(&theirs).map(|i| format!("servizi_pubblici.{i}")).collect();
    let v = geojson(&server, "milano", &[("RESOURCEID", &rids.join(","))]);
    assert_eq!(set(&json_ids(&v, "servizi_pubblici")), set(&mine));
    let v = geojson(&server, "cmm", &[("RESOURCEID", &rids.join(","))]);
    assert_eq!(set(&json_ids(&v, "servizi_pubblici")), mine.iter().chain(&theirs).copied().collect());

    // Without COUNT a response holds at most max_features (advertised as CountDefault).
    let cap = common::config().server.max_features;
    let (_, caps) = ok(&server, &wfs_path("milano", &[("REQUEST", "GetCapabilities")]));
    assert!(
        caps.contains(&format!("<ows:Constraint name=\"CountDefault\"><ows:NoValues/><ows:DefaultValue>{cap}</ows:DefaultValue>")),
        "CountDefault {cap}"
    );
    let falde = milano_ids("falde").len() as u64;
    assert!(falde > cap, "the demo has more Milano roof planes than the cap");
    for count in [None, Some("50000")] {
        let mut p = vec![("TYPENAMES", "navigli:falde"), ("PROPERTYNAME", "altezza")];
        if let Some(c) = count {
            p.push(("COUNT", c));
        }
        let v = geojson(&server, "milano", &p);
        assert_eq!(v["numberMatched"].as_u64(), Some(falde));
        assert_eq!(v["numberReturned"].as_u64(), Some(cap), "COUNT {count:?} is capped at {cap}");
        assert_eq!(v["features"].as_array().unwrap().len() as u64, cap);
        let next = v["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").expect("next link").clone();
        assert!(next["href"].as_str().unwrap().contains(&format!("STARTINDEX={cap}")), "{next}");
    }
}

/// WFS 1.1.0 (OGC 04-094, table 9a): "A `*` character can be used to indicate that all
/// properties should be retrieved" in PROPERTYNAME. OWSLib sends `PROPERTYNAME=*` on every
/// WFS 1.1.0 GetFeature.
#[test]
fn wfs_1_1_propertyname_star_means_all_properties() {
    let (server, _dir) = demo_server();
    let base = [("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", "navigli:servizi_pubblici"), ("MAXFEATURES", "5")];
    let (_, plain) = ok(&server, &wfs_path("milano", &base));
    let mut with_star = base.to_vec();
    with_star.push(("PROPERTYNAME", "*"));
    let (status, _, star) = get(&server, &wfs_path("milano", &with_star));
    assert_eq!(status, 200, "PROPERTYNAME=* refused:\n{star}");
    assert_eq!(normalised(&star, &server), normalised(&plain, &server), "PROPERTYNAME=* is not 'all properties'");
}

/// OWS Common (06-121r3 table 28; 05-008 for OWS 1.0): the locator of InvalidParameterValue /
/// MissingParameterValue is the name of the parameter at fault, in the request's own protocol
/// version (WFS 1.1.0 has TYPENAME and MAXFEATURES, not TYPENAMES and COUNT).
#[test]
fn locators_name_the_parameter_at_fault() {
    let (server, _dir) = demo_server();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("REQUEST", "GetFeature"), ("TYPENAMES", "navigli:edifici"), ("SORTBY", "segreto DESC")], "sortBy"),
        (&[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", "navigli:nessuno")], "typeName"),
        (&[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", "navigli:edifici"), ("MAXFEATURES", "abc")], "maxFeatures"),
        (&[("VERSION", "1.1.0"), ("REQUEST", "GetFeature")], "typeName"),
    ];
    let mut wrong = Vec::new();
    for (params, want) in cases {
        let path = wfs_path("milano", params);
        let (status, _, body) = get(&server, &path);
        assert_eq!(status, 400, "{path}: {body}");
        let (code, locator) = exception_of(&body);
        assert!(code == "InvalidParameterValue" || code == "MissingParameterValue", "{path}: {code}");
        if !locator.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(want)) {
            wrong.push(format!("{path}: locator {locator:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
