//! Authentication and authorisation end to end, over the real binary, with `[[role]]`,
//! `[[api_key]]` and `[oidc]` sections added to the shipped configuration:
//!
//! 1. the restricted layer `servizi_sociali` (group `welfare`) through every protocol and
//!    operation (WMS, WFS KVP and XML POST, stored queries, tiles, TileJSON, landing pages) for
//!    anonymous callers (it answers exactly like a layer that does not exist), for credentials
//!    whose grants do not cover the tenant (listings omit it, asking for it by name is 403) and
//!    for authorised callers (listed, features, maps and tiles with its features);
//! 2. tenant isolation: a Milano key reads Milano's features only, whatever the parameters;
//! 3. credentials: header, `Bearer` and `apikey` spellings, bad keys and schemes (401 with
//!    `WWW-Authenticate`), oversized credentials, private caching, and no key in the log;
//! 4. OIDC bearer tokens (RS256, ES256; keys made with the `openssl` CLI, JWKS written here)
//!    and every token that must be refused;
//! 5. API keys kept in PostGIS (`navigli apikey add/revoke`, expiry) and a JWKS fetched from a
//!    URL and re-fetched when the provider rotates its keys.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The restricted layer, and a name of the same length that no tenant has.
const SECRET: &str = "servizi_sociali";
const ABSENT: &str = "servizi_segreti";
/// Its group, and a group name of the same length that does not exist.
const GROUP: &str = "welfare";
const NO_GROUP: &str = "welfarz";
const MILANO: &str = "015146";
const SEGRATE: &str = "015205";

/// API keys (only their SHA-256 goes into the configuration).
const KEY_MILANO: &str = "mi-welfare-4c1d8e2f7a9b3c5d6e0f1a2b"; // welfare in "milano" (slug)
const KEY_ISTAT: &str = "mi-istat-9d8c7b6a5f4e3d2c1b0a9f8e7d"; // welfare in "015146" (ISTAT code)
const KEY_CMM: &str = "cmm-only-1a2b3c4d5e6f7a8b9c0d1e2f3a"; // welfare in "cmm" only
const KEY_ALL: &str = "all-tenants-7e6d5c4b3a2f1e0d9c8b7a6f"; // welfare in "*"
const KEY_NONE: &str = "no-grants-0f9e8d7c6b5a4f3e2d1c0b9a8f"; // a role that grants nothing
const KEY_WRONG: &str = "not-a-key-5a4b3c2d1e0f9a8b7c6d5e4f3a";

const ISSUER: &str = "https://login.example.invalid/realms/cmm";
const AUDIENCE: &str = "navigli";

/// Web Mercator half-width, metres.
const WORLD: f64 = 20_037_508.342_789_244;

// ------------------------------------------------------------------------------------------------
// Server and configuration
// ------------------------------------------------------------------------------------------------

/// A running `navigli serve` whose output (the log goes to stdout) is kept in a file.
struct Srv {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server over the demo GeoPackage with the test roles, keys and (optionally) OIDC.
struct Setup {
    srv: Srv,
    oidc: Option<Oidc>,
    _dir: tempfile::TempDir,
}

fn sha256_hex(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The `[[role]]`, `[[api_key]]` and `[oidc]` sections appended to the shipped layers.toml.
fn auth_sections(oidc: bool) -> String {
    let mut t = String::from("\n# --- tests/auth.rs ---\n");
    for (name, tenants) in
        [("welfare_milano", "\"milano\""), ("welfare_istat", "\"015146\""), ("welfare_cmm", "\"cmm\""), ("welfare_all", "\"*\"")]
    {
        t += &format!("[[role]]\nname = \"{name}\"\nlayers = [\"{SECRET}\"]\ntenants = [{tenants}]\n\n");
    }
    t += "[[role]]\nname = \"reader\"\nlayers = []\ntenants = [\"*\"]\n\n";
    for (name, key, role) in [
        ("milano", KEY_MILANO, "welfare_milano"),
        ("milano-istat", KEY_ISTAT, "welfare_istat"),
        ("cmm", KEY_CMM, "welfare_cmm"),
        ("all", KEY_ALL, "welfare_all"),
        ("none", KEY_NONE, "reader"),
    ] {
        t += &format!("[[api_key]]\nname = \"{name}\"\nsha256 = \"{}\"\nroles = [\"{role}\"]\n\n", sha256_hex(key));
    }
    if oidc {
        t += &format!("[oidc]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\njwks_file = \"jwks.json\"\n");
    }
    t
}

fn setup(oidc: bool, rust_log: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let keys = oidc.then(|| Oidc::generate(dir.path()));
    let mut text = std::fs::read_to_string(&config).unwrap();
    text += &auth_sections(oidc);
    std::fs::write(&config, text).unwrap();
    let srv = start(&config, &dir.path().join("server.log"), rust_log);
    Setup { srv, oidc: keys, _dir: dir }
}

/// Starts the binary (`common::server::spawn_server`) with its stdout and stderr in `log`.
fn start(config: &Path, log: &Path, rust_log: &str) -> Srv {
    start_with(config, log, rust_log, &[])
}

/// [`start`] with extra arguments for `navigli serve`.
fn start_with(config: &Path, log: &Path, rust_log: &str, extra: &[&str]) -> Srv {
    let (child, port, _) = common::server::spawn_server(config, extra, rust_log, Some(log));
    Srv { child, port, log: log.to_path_buf() }
}

// ------------------------------------------------------------------------------------------------
// HTTP
// ------------------------------------------------------------------------------------------------

/// An answer: status, lower-cased head, body bytes.
struct Resp {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
    }

    /// Status, head without `date:` (lines sorted) and body, with `from` replaced by `to`.
    fn normalised(&self, from: &str, to: &str) -> (u16, String, String) {
        let mut lines: Vec<&str> = self.head.lines().filter(|l| !l.starts_with("date:")).collect();
        lines.sort();
        (self.status, lines.join("\n").replace(from, to), self.text().replace(from, to))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.short()))
    }

    fn short(&self) -> String {
        format!("{} {}", self.status, self.text().chars().take(600).collect::<String>())
    }
}

use common::oidc::{b64url, Oidc};
use common::server::dechunk;

/// One request with extra headers (and a body for POST); `None` when the server closed the
/// connection without answering.
fn try_send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Option<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    if method == "POST" {
        req += &format!("Content-Type: application/xml\r\nContent-Length: {}\r\n", body.len());
    }
    req += "\r\n";
    req += body;
    let _ = s.write_all(req.as_bytes());
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&raw[..split]).trim_end().to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(Resp { status, head, body })
}

impl Srv {
    fn send(&self, method: &str, auth: Option<&str>, path: &str, body: &str) -> Resp {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        try_send(self.port, method, path, &headers, body).unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }

    fn get(&self, auth: Option<&str>, path: &str) -> Resp {
        self.send("GET", auth, path, "")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn api(key: &str) -> String {
    format!("ApiKey {key}")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `/{tenant}/{service}?SERVICE=…&…`, values percent-encoded.
fn kvp(tenant: &str, service: &str, params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if service != "ows" {
        s.append_pair("SERVICE", &service.to_ascii_uppercase());
    }
    for (k, v) in params {
        s.append_pair(k, v);
    }
    format!("/{tenant}/{service}?{}", s.finish())
}

fn wfs(tenant: &str, params: &[(&str, &str)]) -> String {
    kvp(tenant, "wfs", params)
}

fn wms(tenant: &str, params: &[(&str, &str)]) -> String {
    kvp(tenant, "wms", params)
}

// ------------------------------------------------------------------------------------------------
// Ground truth from the GeoPackage, and decoders
// ------------------------------------------------------------------------------------------------

fn gpkg() -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(common::demo_gpkg(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open the demo gpkg")
}

/// Feature ids of `servizi_sociali` in a comune (all of them for `None`).
fn social_ids(istat: Option<&str>) -> BTreeSet<i64> {
    let db = gpkg();
    let mut stmt = db.prepare("SELECT fid FROM servizi_sociali WHERE ?1 IS NULL OR cod_istat = ?1").unwrap();
    stmt.query_map([istat], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// The ISTAT code a tenant key stands for (`None` for the metropolitan area).
fn istat_of(tenant: &str) -> Option<&'static str> {
    match tenant {
        "cmm" => None,
        "milano" | MILANO => Some(MILANO),
        SEGRATE | "segrate" => Some(SEGRATE),
        other => panic!("no ISTAT code for {other}"),
    }
}

/// A feature of the restricted layer, with a name found nowhere else (in no other comune's
/// social services, and in no public service), and its position in EPSG:3857.
#[derive(Clone, Debug)]
struct Spot {
    fid: i64,
    nome: String,
    x: f64,
    y: f64,
}

impl Spot {
    fn lon_lat(&self) -> (f64, f64) {
        let r = 6_378_137.0;
        ((self.x / r).to_degrees(), (2.0 * (self.y / r).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees())
    }

    /// The tile holding the point at zoom `z`.
    fn tile(&self, z: u8) -> (u8, u32, u32) {
        let n = f64::from(1u32 << z);
        (z, ((self.x + WORLD) / (2.0 * WORLD) * n) as u32, ((WORLD - self.y) / (2.0 * WORLD) * n) as u32)
    }

    /// `minx,miny,maxx,maxy` in EPSG:3857, `half` metres around the point.
    fn bbox(&self, half: f64) -> String {
        format!("{},{},{},{}", self.x - half, self.y - half, self.x + half, self.y + half)
    }
}

/// Candidate spots of a comune (id and unique plain-text name), from the GeoPackage.
fn spot_candidates(istat: &str) -> Vec<(i64, String)> {
    let db = gpkg();
    let mut stmt = db
        .prepare(
            "SELECT fid, nome FROM servizi_sociali s WHERE cod_istat = ?1 AND nome NOT GLOB '*[^ A-Za-z0-9]*' \
             AND nome NOT IN (SELECT nome FROM servizi_pubblici) \
             AND nome NOT IN (SELECT nome FROM servizi_sociali o WHERE o.fid <> s.fid) ORDER BY fid",
        )
        .unwrap();
    let out: Vec<(i64, String)> = stmt.query_map([istat], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(!out.is_empty(), "no social service of {istat} with a unique plain name in the demo data");
    out
}

/// Where a feature is (EPSG:3857), asked of the server with the all-tenants key.
fn locate(srv: &Srv, fid: i64, nome: String) -> Spot {
    let r = srv.get(
        Some(&api(KEY_ALL)),
        &wfs(
            "cmm",
            &[
                ("REQUEST", "GetFeature"),
                ("RESOURCEID", &format!("{SECRET}.{fid}")),
                ("SRSNAME", "EPSG:3857"),
                ("OUTPUTFORMAT", "application/json"),
            ],
        ),
    );
    assert_eq!(r.status, 200, "{}", r.short());
    let v = r.json();
    let c = &v["features"][0]["geometry"]["coordinates"];
    let (x, y) = (c[0].as_f64().expect("x"), c[1].as_f64().expect("y"));
    assert!((900_000.0..1_100_000.0).contains(&x) && (5_600_000.0..5_800_000.0).contains(&y), "not EPSG:3857 Lombardy: {x} {y}");
    Spot { fid, nome, x, y }
}

fn first_spot(srv: &Srv, istat: &str) -> Spot {
    let (fid, nome) = spot_candidates(istat).remove(0);
    locate(srv, fid, nome)
}

/// The GeoJSON features of a response, as (layer, id) pairs.
fn geojson_ids(r: &Resp) -> Vec<(String, i64)> {
    assert_eq!(r.status, 200, "{}", r.short());
    r.json()["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let id = f["id"].as_str().expect("string id");
            let (t, n) = id.rsplit_once('.').expect("type.N");
            (t.to_string(), n.parse().expect("numeric id"))
        })
        .collect()
}

fn ids_of(found: &[(String, i64)], layer: &str) -> BTreeSet<i64> {
    found.iter().filter(|(t, _)| t == layer).map(|(_, n)| *n).collect()
}

/// Pixels with some opacity in a PNG.
fn opaque_pixels(png_bytes: &[u8]) -> usize {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let buf = &buf[..info.buffer_size()];
    match info.color_type {
        png::ColorType::Rgba => buf.chunks(4).filter(|p| p[3] > 0).count(),
        png::ColorType::GrayscaleAlpha => buf.chunks(2).filter(|p| p[1] > 0).count(),
        _ => (info.width * info.height) as usize,
    }
}

/// The layers of a Mapbox Vector Tile and their feature ids (protobuf read by hand: Tile.layers
/// = 3; Layer.name = 1, Layer.features = 2; Feature.id = 1).
fn mvt_layers(tile: &[u8]) -> BTreeMap<String, BTreeSet<u64>> {
    enum F<'a> {
        Int(u64),
        Bytes(&'a [u8]),
    }
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[*i];
            *i += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    fn fields(b: &[u8]) -> Vec<(u64, F<'_>)> {
        let (mut out, mut i) = (Vec::new(), 0);
        while i < b.len() {
            let key = varint(b, &mut i);
            match key & 7 {
                0 => out.push((key >> 3, F::Int(varint(b, &mut i)))),
                2 => {
                    let n = varint(b, &mut i) as usize;
                    out.push((key >> 3, F::Bytes(&b[i..i + n])));
                    i += n;
                }
                1 => i += 8,
                5 => i += 4,
                w => panic!("MVT: wire type {w}"),
            }
        }
        out
    }
    let mut out = BTreeMap::new();
    for (_, layer) in fields(tile).into_iter().filter(|(n, _)| *n == 3) {
        let F::Bytes(layer) = layer else { panic!("MVT: layer is not a message") };
        let (mut name, mut ids) = (String::new(), BTreeSet::new());
        for (n, f) in fields(layer) {
            match (n, f) {
                (1, F::Bytes(b)) => name = String::from_utf8(b.to_vec()).expect("UTF-8 layer name"),
                (2, F::Bytes(feature)) => {
                    for (m, g) in fields(feature) {
                        if let (1, F::Int(id)) = (m, g) {
                            ids.insert(id);
                        }
                    }
                }
                _ => {}
            }
        }
        out.insert(name, ids);
    }
    out
}

/// The MVT layers of a 200 tile answer (a 204 is an empty tile).
fn tile_layers(r: &Resp) -> BTreeMap<String, BTreeSet<u64>> {
    match r.status {
        204 => BTreeMap::new(),
        200 => {
            assert_eq!(r.header("content-type"), Some("application/vnd.mapbox-vector-tile"), "{}", r.head);
            mvt_layers(&r.body)
        }
        _ => panic!("tile: {}", r.short()),
    }
}

// ------------------------------------------------------------------------------------------------
// The probes: every protocol and operation, asking for the restricted layer or listing layers
// ------------------------------------------------------------------------------------------------

/// Placeholders (unreserved characters, so they survive percent-encoding).
const L: &str = "XLAYERX";
const G: &str = "XGROUPX";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Does not name the layer: the answer is 200 for everyone; only authorised callers find it.
    Listing,
    /// Names the layer (`L`): like an unknown layer to anonymous callers, 403 to credentials
    /// without a grant.
    Named,
    /// Names the group (`G`): like an unknown group to whoever may not see any of its layers.
    Group,
}

/// What an authorised caller must get.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// The layer name is in the document.
    Listed,
    /// The spot's name is in the document.
    Nome,
    /// `numberMatched` is the tenant's number of social services.
    Hits,
    /// GeoJSON with exactly the tenant's social services.
    GeoJson,
    /// A PNG with some opaque pixels.
    Map,
    /// A PNG.
    Legend,
    /// A schema with the layer's attributes.
    Schema,
    /// A tile whose `servizi_sociali` layer holds the spot.
    Tile,
    /// TileJSON describing the layer.
    TileJson,
}

struct Probe {
    label: String,
    kind: Kind,
    check: Check,
    path: String,
    /// XML POST body (`None` for GET).
    post: Option<String>,
}

impl Probe {
    fn request(&self, srv: &Srv, auth: Option<&str>, layer: &str, group: &str) -> Resp {
        let fill = |s: &str| s.replace(L, layer).replace(G, group);
        match &self.post {
            None => srv.get(auth, &fill(&self.path)),
            Some(body) => srv.send("POST", auth, &fill(&self.path), &fill(body)),
        }
    }
}

fn probes(tenant: &str, spot: &Spot) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut add = |label: &str, kind: Kind, check: Check, path: String| {
        out.push(Probe { label: label.to_string(), kind, check, path, post: None });
    };
    let rid = format!("{L}.{}", spot.fid);
    let typename = format!("navigli:{L}");
    let bbox = spot.bbox(300.0);
    let map = |layers: &str, extra: &[(&str, &str)]| {
        let mut p = vec![
            ("VERSION", "1.3.0"),
            ("REQUEST", "GetMap"),
            ("LAYERS", layers),
            ("STYLES", ""),
            ("CRS", "EPSG:3857"),
            ("BBOX", &bbox),
            ("WIDTH", "128"),
            ("HEIGHT", "128"),
            ("FORMAT", "image/png"),
            ("TRANSPARENT", "TRUE"),
        ];
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend_from_slice(extra);
        wms(tenant, &p)
    };
    let info = &[("QUERY_LAYERS", L), ("I", "64"), ("J", "64"), ("INFO_FORMAT", "application/json"), ("FEATURE_COUNT", "10")];
    let (lon, lat) = spot.lon_lat();
    let (z, x, y) = spot.tile(15);

    // WMS
    add("WMS 1.3.0 GetCapabilities", Kind::Listing, Check::Listed, wms(tenant, &[("REQUEST", "GetCapabilities")]));
    add("WMS 1.1.1 GetCapabilities", Kind::Listing, Check::Listed, wms(tenant, &[("VERSION", "1.1.1"), ("REQUEST", "GetCapabilities")]));
    add("OWS WMS GetCapabilities", Kind::Listing, Check::Listed, kvp(tenant, "ows", &[("SERVICE", "WMS"), ("REQUEST", "GetCapabilities")]));
    add("WMS GetMap layer", Kind::Named, Check::Map, map(L, &[]));
    add("WMS GetMap group", Kind::Group, Check::Map, map(G, &[]));
    add("WMS GetMap public + layer", Kind::Named, Check::Map, map(&format!("comuni,{L}"), &[("STYLES", ",")]));
    add("WMS GetMap 8-bit", Kind::Named, Check::Map, map(L, &[("FORMAT", "image/png; mode=8bit")]));
    add("WMS GetFeatureInfo", Kind::Named, Check::Nome, map(L, info).replace("REQUEST=GetMap", "REQUEST=GetFeatureInfo"));
    add(
        "WMS GetFeatureInfo group",
        Kind::Group,
        Check::Nome,
        map(G, &[("QUERY_LAYERS", G), ("I", "64"), ("J", "64"), ("INFO_FORMAT", "text/plain")])
            .replace("REQUEST=GetMap", "REQUEST=GetFeatureInfo"),
    );
    add(
        "WMS 1.1.1 GetFeatureInfo",
        Kind::Named,
        Check::Nome,
        wms(
            tenant,
            &[
                ("VERSION", "1.1.1"),
                ("REQUEST", "GetFeatureInfo"),
                ("LAYERS", L),
                ("QUERY_LAYERS", L),
                ("STYLES", ""),
                ("SRS", "EPSG:3857"),
                ("BBOX", &bbox),
                ("WIDTH", "128"),
                ("HEIGHT", "128"),
                ("FORMAT", "image/png"),
                ("X", "64"),
                ("Y", "64"),
                ("INFO_FORMAT", "text/html"),
            ],
        ),
    );
    let sld = format!(
        "<StyledLayerDescriptor version=\"1.0.0\" xmlns=\"http://www.opengis.net/sld\" xmlns:ogc=\"http://www.opengis.net/ogc\">\
         <NamedLayer><Name>{L}</Name><UserStyle><FeatureTypeStyle><Rule><PointSymbolizer><Graphic><Mark>\
         <WellKnownName>circle</WellKnownName>\
         <Fill><CssParameter name=\"fill\">#ff0000</CssParameter></Fill></Mark><Size>12</Size></Graphic></PointSymbolizer></Rule>\
         </FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    );
    add(
        "WMS GetMap SLD_BODY without LAYERS",
        Kind::Named,
        Check::Map,
        wms(
            tenant,
            &[
                ("VERSION", "1.3.0"),
                ("REQUEST", "GetMap"),
                ("SLD_BODY", &sld),
                ("CRS", "EPSG:3857"),
                ("BBOX", &bbox),
                ("WIDTH", "128"),
                ("HEIGHT", "128"),
                ("FORMAT", "image/png"),
                ("TRANSPARENT", "TRUE"),
            ],
        ),
    );
    add(
        "WMS GetLegendGraphic",
        Kind::Named,
        Check::Legend,
        wms(tenant, &[("VERSION", "1.3.0"), ("REQUEST", "GetLegendGraphic"), ("LAYER", L), ("FORMAT", "image/png")]),
    );

    // WFS
    add("WFS 2.0.0 GetCapabilities", Kind::Listing, Check::Listed, wfs(tenant, &[("REQUEST", "GetCapabilities")]));
    add("WFS 1.1.0 GetCapabilities", Kind::Listing, Check::Listed, wfs(tenant, &[("VERSION", "1.1.0"), ("REQUEST", "GetCapabilities")]));
    add("WFS DescribeFeatureType (all)", Kind::Listing, Check::Listed, wfs(tenant, &[("REQUEST", "DescribeFeatureType")]));
    add(
        "WFS 1.1.0 DescribeFeatureType (all)",
        Kind::Listing,
        Check::Listed,
        wfs(tenant, &[("VERSION", "1.1.0"), ("REQUEST", "DescribeFeatureType")]),
    );
    add(
        "WFS DescribeFeatureType",
        Kind::Named,
        Check::Schema,
        wfs(tenant, &[("VERSION", "2.0.0"), ("REQUEST", "DescribeFeatureType"), ("TYPENAMES", &typename)]),
    );
    add(
        "WFS 1.1.0 DescribeFeatureType",
        Kind::Named,
        Check::Schema,
        wfs(tenant, &[("VERSION", "1.1.0"), ("REQUEST", "DescribeFeatureType"), ("TYPENAME", L)]),
    );
    add("WFS schema path 2.0.0", Kind::Named, Check::Schema, format!("/{tenant}/wfs/schema/2.0.0/{L}.xsd"));
    add("WFS schema path 1.1.0", Kind::Named, Check::Schema, format!("/{tenant}/wfs/schema/1.1.0/{L}.xsd"));
    add("WFS GetFeature TYPENAMES", Kind::Named, Check::Nome, wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", &typename)]));
    add(
        "WFS GetFeature two types",
        Kind::Named,
        Check::Nome,
        wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", &format!("navigli:servizi_pubblici,{typename}")), ("COUNT", "10000")]),
    );
    add("WFS GetFeature RESOURCEID", Kind::Named, Check::Nome, wfs(tenant, &[("REQUEST", "GetFeature"), ("RESOURCEID", &rid)]));
    add(
        "WFS GetFeature bound prefix",
        Kind::Named,
        Check::Nome,
        wfs(
            tenant,
            &[
                ("REQUEST", "GetFeature"),
                ("NAMESPACES", "xmlns(w,http://navigli.cittametropolitana.mi.it/ns)"),
                ("TYPENAMES", &format!("w:{L}")),
                (
                    "FILTER",
                    &format!("<fes:Filter xmlns:fes=\"http://www.opengis.net/fes/2.0\"><fes:ResourceId rid=\"{rid}\"/></fes:Filter>"),
                ),
            ],
        ),
    );
    add(
        "WFS 1.1.0 GetFeature FEATUREID",
        Kind::Named,
        Check::Nome,
        wfs(tenant, &[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("FEATUREID", &rid)]),
    );
    add(
        "WFS GetFeature hits",
        Kind::Named,
        Check::Hits,
        wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", &typename), ("RESULTTYPE", "hits")]),
    );
    add(
        "WFS GetFeature GeoJSON",
        Kind::Named,
        Check::GeoJson,
        wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", L), ("OUTPUTFORMAT", "application/json")]),
    );
    add(
        "WFS 1.1.0 GetFeature",
        Kind::Named,
        Check::Nome,
        wfs(tenant, &[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", &typename)]),
    );
    add(
        "OWS WFS GetFeature",
        Kind::Named,
        Check::Nome,
        kvp(tenant, "ows", &[("SERVICE", "WFS"), ("REQUEST", "GetFeature"), ("RESOURCEID", &rid)]),
    );
    add(
        "WFS GetPropertyValue",
        Kind::Named,
        Check::Nome,
        wfs(tenant, &[("REQUEST", "GetPropertyValue"), ("TYPENAMES", &typename), ("VALUEREFERENCE", "nome")]),
    );
    add(
        "WFS GetFeatureById",
        Kind::Named,
        Check::Nome,
        wfs(tenant, &[("REQUEST", "GetFeature"), ("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", &rid)]),
    );
    add(
        "WFS ServicesNearPoint",
        Kind::Listing,
        Check::Nome,
        wfs(
            tenant,
            &[
                ("REQUEST", "GetFeature"),
                ("STOREDQUERY_ID", "urn:navigli:query:ServicesNearPoint"),
                ("LON", &lon.to_string()),
                ("LAT", &lat.to_string()),
                ("DISTANCE", "50"),
            ],
        ),
    );
    add("WFS ListStoredQueries", Kind::Listing, Check::Listed, wfs(tenant, &[("REQUEST", "ListStoredQueries")]));
    add("WFS DescribeStoredQueries", Kind::Listing, Check::Listed, wfs(tenant, &[("REQUEST", "DescribeStoredQueries")]));

    // Tiles
    add("tile layer", Kind::Named, Check::Tile, format!("/{tenant}/tiles/{L}/{z}/{x}/{y}.mvt"));
    add("tile group", Kind::Group, Check::Tile, format!("/{tenant}/tiles/{G}/{z}/{x}/{y}.pbf"));
    add("tile comma list", Kind::Named, Check::Tile, format!("/{tenant}/tiles/servizi_pubblici,{L}/{z}/{x}/{y}.mvt"));
    add("TileJSON layer", Kind::Named, Check::TileJson, format!("/{tenant}/tiles/{L}.json"));
    add("TileJSON group", Kind::Group, Check::TileJson, format!("/{tenant}/tiles/{G}.json"));
    add("TileJSON comma list", Kind::Named, Check::TileJson, format!("/{tenant}/tiles/comuni,{L}.json"));
    add("tiles index", Kind::Listing, Check::Listed, format!("/{tenant}/tiles"));

    // Landing page of the tenant
    add("tenant page HTML", Kind::Listing, Check::Listed, format!("/{tenant}"));
    add("tenant page JSON", Kind::Listing, Check::Listed, format!("/{tenant}?f=json"));

    // WFS XML POST
    let ns = concat!(
        r#"service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0" "#,
        r#"xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:navigli="http://navigli.cittametropolitana.mi.it/ns""#
    );
    out.push(Probe {
        label: "WFS POST GetCapabilities".into(),
        kind: Kind::Listing,
        check: Check::Listed,
        path: format!("/{tenant}/wfs"),
        post: Some(format!("<wfs:GetCapabilities {ns}/>")),
    });
    out.push(Probe {
        label: "WFS POST GetFeature".into(),
        kind: Kind::Named,
        check: Check::Nome,
        path: format!("/{tenant}/wfs"),
        post: Some(format!(
            "<wfs:GetFeature {ns}><wfs:Query typeNames=\"{typename}\"><fes:Filter><fes:ResourceId rid=\"{rid}\"/></fes:Filter>\
             </wfs:Query></wfs:GetFeature>"
        )),
    });
    out.push(Probe {
        label: "WFS POST GetFeature hits".into(),
        kind: Kind::Named,
        check: Check::Hits,
        path: format!("/{tenant}/wfs"),
        post: Some(format!("<wfs:GetFeature {ns} resultType=\"hits\"><wfs:Query typeNames=\"{typename}\"/></wfs:GetFeature>")),
    });
    out.push(Probe {
        label: "WFS POST DescribeFeatureType".into(),
        kind: Kind::Named,
        check: Check::Schema,
        path: format!("/{tenant}/wfs"),
        post: Some(format!("<wfs:DescribeFeatureType {ns}><wfs:TypeName>{typename}</wfs:TypeName></wfs:DescribeFeatureType>")),
    });
    out
}

/// Strings that only the restricted layer's data or schema contain.
fn markers(spots: &[&Spot]) -> Vec<String> {
    let mut m: Vec<String> = ["gestore", "consultorio familiare", "comunità alloggio", "centro di aggregazione", "RSA, centri diurni"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    m.extend(spots.iter().map(|s| s.nome.clone()));
    m
}

fn assert_nothing_of_it(what: &str, r: &Resp, markers: &[String], named: bool) {
    let text = r.text();
    // A request that names the layer may see its name echoed in the error message, nothing more.
    if named {
        assert!(!r.body.starts_with(b"\x89PNG"), "{what}: an image instead of an exception");
    } else {
        assert!(!text.contains(SECRET), "{what}: the body names {SECRET}: {}", r.short());
    }
    for m in markers {
        assert!(!text.contains(m.as_str()), "{what}: the body holds '{m}' of {SECRET}: {}", r.short());
    }
}

/// Who asks, and where.
struct View<'a> {
    who: &'a str,
    auth: Option<String>,
    tenant: &'a str,
    spot: &'a Spot,
}

/// Every probe for a caller who must not see the layer in this tenant. Returns the number of
/// requests made.
fn assert_hidden(srv: &Srv, view: &View<'_>, markers: &[String]) -> usize {
    let auth = view.auth.as_deref();
    let mut requests = 0;
    for p in probes(view.tenant, view.spot) {
        let what = format!("{} at /{}: {}", view.who, view.tenant, p.label);
        let r = p.request(srv, auth, SECRET, GROUP);
        requests += 1;
        if auth.is_some() {
            assert!(r.header("cache-control").is_some_and(|c| c.contains("private")), "{what}: not private: {}", r.head);
        }
        match p.kind {
            Kind::Listing => {
                assert_eq!(r.status, 200, "{what}: {}", r.short());
                assert_nothing_of_it(&what, &r, markers, false);
                if p.label.starts_with("WMS") || p.label.starts_with("OWS WMS") {
                    assert!(!r.text().contains(&format!("<Name>{GROUP}</Name>")), "{what}: the empty group {GROUP} is listed");
                }
            }
            Kind::Named if auth.is_none() => {
                // Exactly like a layer that does not exist, but for the name.
                let other = p.request(srv, auth, ABSENT, GROUP);
                requests += 1;
                assert!(r.status >= 400, "{what}: {}", r.short());
                assert_eq!(r.normalised(SECRET, ABSENT), other.normalised(SECRET, ABSENT), "{what}: differs from an unknown layer");
                assert_nothing_of_it(&what, &r, markers, true);
            }
            Kind::Named => {
                assert_eq!(r.status, 403, "{what}: {}", r.short());
                assert_nothing_of_it(&what, &r, markers, true);
            }
            Kind::Group => {
                // No member visible: the group does not exist for this caller.
                let other = p.request(srv, auth, SECRET, NO_GROUP);
                requests += 1;
                assert!(r.status >= 400, "{what}: {}", r.short());
                assert_eq!(r.normalised(GROUP, NO_GROUP), other.normalised(GROUP, NO_GROUP), "{what}: differs from an unknown group");
                assert_nothing_of_it(&what, &r, markers, false);
            }
        }
    }
    requests
}

/// Every probe for a caller who may see the layer in this tenant. Returns the number of
/// requests made.
fn assert_granted(srv: &Srv, view: &View<'_>) -> usize {
    let auth = view.auth.as_deref();
    let spot = view.spot;
    let expected = social_ids(istat_of(view.tenant));
    let mut requests = 0;
    for p in probes(view.tenant, spot) {
        let what = format!("{} at /{}: {}", view.who, view.tenant, p.label);
        let r = p.request(srv, auth, SECRET, GROUP);
        requests += 1;
        assert_eq!(r.status, 200, "{what}: {}", r.short());
        assert!(r.header("cache-control").is_some_and(|c| c.contains("private")), "{what}: not private: {}", r.head);
        let text = r.text();
        match p.check {
            Check::Listed => assert!(text.contains(SECRET), "{what}: {SECRET} not listed: {}", r.short()),
            Check::Nome => assert!(text.contains(&spot.nome), "{what}: '{}' not found: {}", spot.nome, r.short()),
            Check::Hits => {
                assert!(
                    text.contains(&format!("numberMatched=\"{}\"", expected.len())),
                    "{what}: not {} hits: {}",
                    expected.len(),
                    r.short()
                )
            }
            Check::GeoJson => {
                let found = geojson_ids(&r);
                assert!(found.iter().all(|(t, _)| t == SECRET), "{what}: other types");
                assert_eq!(ids_of(&found, SECRET), expected, "{what}: not the tenant's features");
            }
            Check::Map => {
                assert!(r.header("content-type").is_some_and(|c| c.starts_with("image/png")), "{what}: {}", r.short());
                assert!(opaque_pixels(&r.body) > 0, "{what}: the map is empty");
            }
            Check::Legend => assert_eq!(r.header("content-type"), Some("image/png"), "{what}: {}", r.short()),
            Check::Schema => assert!(text.contains("gestore") && text.contains(SECRET), "{what}: {}", r.short()),
            Check::Tile => {
                let layers = tile_layers(&r);
                let ids = layers.get(SECRET).unwrap_or_else(|| panic!("{what}: no {SECRET} layer in the tile: {layers:?}"));
                assert!(ids.contains(&(spot.fid as u64)), "{what}: feature {} not in the tile", spot.fid);
                assert!(ids.iter().all(|id| expected.contains(&(*id as i64))), "{what}: features of other comuni in the tile");
            }
            Check::TileJson => {
                let v = r.json();
                let ids: Vec<&str> =
                    v["vector_layers"].as_array().expect("vector_layers").iter().filter_map(|l| l["id"].as_str()).collect();
                assert!(ids.contains(&SECRET), "{what}: {ids:?}");
            }
        }
    }
    requests
}

/// GetMap of the layer with `EXCEPTIONS=BLANK` / `INIMAGE` (errors as images): a caller who
/// may not see it gets the same as for an unknown layer (anonymous) or no feature drawn.
/// Returns the number of requests.
fn assert_no_map_in_error_images(srv: &Srv, auth: Option<&str>, tenant: &str, spot: &Spot) -> usize {
    let path = |layer: &str, exceptions: &str| {
        wms(
            tenant,
            &[
                ("VERSION", "1.3.0"),
                ("REQUEST", "GetMap"),
                ("LAYERS", layer),
                ("STYLES", ""),
                ("CRS", "EPSG:3857"),
                ("BBOX", &spot.bbox(300.0)),
                ("WIDTH", "128"),
                ("HEIGHT", "128"),
                ("FORMAT", "image/png"),
                ("TRANSPARENT", "TRUE"),
                ("EXCEPTIONS", exceptions),
            ],
        )
    };
    let blank = srv.get(auth, &path(SECRET, "BLANK"));
    let other = srv.get(auth, &path(ABSENT, "BLANK"));
    let what = format!("{tenant} EXCEPTIONS=BLANK ({})", if auth.is_some() { "credentials" } else { "anonymous" });
    if auth.is_none() {
        assert_eq!(blank.normalised(SECRET, ABSENT), other.normalised(SECRET, ABSENT), "{what}: differs from an unknown layer");
    } else {
        assert!([200, 403].contains(&blank.status), "{what}: {}", blank.short());
    }
    if blank.body.starts_with(b"\x89PNG") {
        assert_eq!(opaque_pixels(&blank.body), 0, "{what}: something is drawn");
    }
    let image = srv.get(auth, &path(SECRET, "INIMAGE"));
    let other = srv.get(auth, &path(ABSENT, "INIMAGE"));
    if auth.is_none() {
        assert_eq!((image.status, image.header("content-type")), (other.status, other.header("content-type")), "{tenant} INIMAGE");
        // The message names the layer asked for: the two differ in a few glyphs, not more.
        let (a, b) = (opaque_pixels(&image.body), opaque_pixels(&other.body));
        assert!(a.abs_diff(b) < 200, "{tenant} INIMAGE: {a} vs {b} opaque pixels");
    } else {
        assert!([200, 403].contains(&image.status), "{tenant} INIMAGE: {}", image.short());
    }
    4
}

// ------------------------------------------------------------------------------------------------
// 1. Leaks, by caller
// ------------------------------------------------------------------------------------------------

/// Anonymous callers: every listing omits the layer, every request naming it (or its group)
/// answers exactly like one naming a layer (group) that does not exist.
#[test]
fn anonymous_callers_never_see_the_restricted_layer() {
    let s = setup(false, "warn");
    let milano = first_spot(&s.srv, MILANO);
    let segrate = first_spot(&s.srv, SEGRATE);
    let markers = markers(&[&milano, &segrate]);
    let mut n = 0;
    for (tenant, spot) in [("cmm", &milano), ("milano", &milano), (SEGRATE, &segrate)] {
        // Tiles and TileJSON already rendered and cached for an authorised caller first.
        for p in probes(tenant, spot).iter().filter(|p| p.label.starts_with("tile") || p.label.starts_with("TileJSON")) {
            assert_eq!(p.request(&s.srv, Some(&api(KEY_ALL)), SECRET, GROUP).status, 200, "{}", p.label);
            n += 1;
        }
        n += assert_hidden(&s.srv, &View { who: "anonymous", auth: None, tenant, spot }, &markers);
        n += assert_no_map_in_error_images(&s.srv, None, tenant, spot);
        // A conditional request does not skip the check.
        let (z, x, y) = spot.tile(15);
        for inm in ["*", "\"x\""] {
            let r =
                try_send(s.srv.port, "GET", &format!("/{tenant}/tiles/{SECRET}/{z}/{x}/{y}.mvt"), &[("If-None-Match", inm)], "").unwrap();
            n += 1;
            assert_eq!(r.status, 404, "If-None-Match {inm}: {}", r.short());
        }
    }
    for path in ["/", "/?f=json"] {
        let r = s.srv.get(None, path);
        n += 1;
        assert_eq!(r.status, 200, "{path}");
        assert_nothing_of_it(path, &r, &markers, false);
    }
    eprintln!("anonymous: {n} requests");
}

/// Valid credentials whose roles do not cover the tenant (a Milano key at the metropolitan
/// tenant and at Segrate, a key without grants, a `cmm` grant at Milano): listings omit the
/// layer, naming it is 403, naming its group is like an unknown group.
#[test]
fn credentials_without_a_grant_for_the_tenant_see_nothing_of_it() {
    let s = setup(false, "warn");
    let milano = first_spot(&s.srv, MILANO);
    let segrate = first_spot(&s.srv, SEGRATE);
    let markers = markers(&[&milano, &segrate]);
    let mut n = 0;
    for (who, key, tenant, spot) in [
        ("Milano key", KEY_MILANO, "cmm", &milano),
        ("Milano key", KEY_MILANO, SEGRATE, &segrate),
        ("Milano key", KEY_MILANO, "segrate", &segrate),
        ("key without grants", KEY_NONE, "milano", &milano),
        ("cmm-only key", KEY_CMM, "milano", &milano),
        ("cmm-only key", KEY_CMM, MILANO, &milano),
    ] {
        n += assert_hidden(&s.srv, &View { who, auth: Some(api(key)), tenant, spot }, &markers);
        n += assert_no_map_in_error_images(&s.srv, Some(&api(key)), tenant, spot);
    }

    // The landing page: the Milano key sees the layer under Milano only.
    let html = s.srv.get(Some(&api(KEY_MILANO)), "/");
    assert_eq!(html.status, 200);
    assert!(!html.text().contains(SECRET), "/ lists the metropolitan layers: {SECRET} is not one for this key");
    let v = s.srv.get(Some(&api(KEY_MILANO)), "/?f=json").json();
    n += 2;
    assert!(!v["layers"].to_string().contains(SECRET), "/?f=json metropolitan layers");
    let listing: Vec<&str> = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["layers"].as_array().unwrap().iter().any(|l| l == SECRET))
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(listing, [MILANO], "tenants listing {SECRET} for the Milano key");
    for path in ["/", "/?f=json"] {
        let r = s.srv.get(Some(&api(KEY_NONE)), path);
        n += 1;
        assert_eq!(r.status, 200, "{path}");
        assert_nothing_of_it(&format!("{path}, key without grants"), &r, &markers, false);
    }
    eprintln!("credentials without a grant: {n} requests");
}

/// Callers granted the layer in the tenant (by slug, by ISTAT code, for `cmm`, for `*`) find it
/// everywhere: listed, features, maps, legends, schemas, tiles.
#[test]
fn granted_callers_get_the_restricted_layer_everywhere() {
    let s = setup(false, "warn");
    let milano = first_spot(&s.srv, MILANO);
    let segrate = first_spot(&s.srv, SEGRATE);
    let mut n = 0;
    for (who, key, tenant, spot) in [
        ("Milano key", KEY_MILANO, "milano", &milano),
        ("Milano key", KEY_MILANO, MILANO, &milano),
        ("ISTAT-granted key", KEY_ISTAT, "milano", &milano),
        ("cmm-only key", KEY_CMM, "cmm", &milano),
        ("all-tenants key", KEY_ALL, "cmm", &milano),
        ("all-tenants key", KEY_ALL, SEGRATE, &segrate),
    ] {
        n += assert_granted(&s.srv, &View { who, auth: Some(api(key)), tenant, spot });
    }
    let v = s.srv.get(Some(&api(KEY_ALL)), "/?f=json").json();
    let html = s.srv.get(Some(&api(KEY_ALL)), "/");
    n += 2;
    assert!(v["layers"].to_string().contains(SECRET) && html.text().contains(SECRET), "/ lists {SECRET} for the all-tenants key");
    let without: Vec<&str> = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["groups"].as_array().unwrap().iter().any(|g| g == GROUP))
        .filter(|t| !t["layers"].as_array().unwrap().iter().any(|l| l == SECRET))
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(without.is_empty(), "tenants publishing {GROUP} without {SECRET} for the all-tenants key: {without:?}");
    eprintln!("granted: {n} requests");
}

// ------------------------------------------------------------------------------------------------
// 2. Tenant isolation of a comune's key
// ------------------------------------------------------------------------------------------------

/// A Milano key reads Milano's social services and nothing else: not through a box, ids, a
/// filter, a stored query, a map, a click or a tile over another comune, not through another
/// tenant's URL, and not by adding a better key as a parameter.
#[test]
fn a_milano_key_reads_only_milano_features() {
    let s = setup(false, "warn");
    let srv = &s.srv;
    let (mi, all) = (api(KEY_MILANO), api(KEY_ALL));
    let milano_ids = social_ids(Some(MILANO));
    let milano = first_spot(srv, MILANO);
    // A Segrate service with no Milano service within 400 m (so a map around it must be empty).
    let segrate = spot_candidates(SEGRATE)
        .into_iter()
        .map(|(fid, nome)| locate(srv, fid, nome))
        .find(|spot| {
            let r = srv.get(
                Some(&all),
                &wfs(
                    "cmm",
                    &[
                        ("REQUEST", "GetFeature"),
                        ("TYPENAMES", SECRET),
                        ("BBOX", &format!("{},EPSG:3857", spot.bbox(400.0))),
                        ("OUTPUTFORMAT", "application/json"),
                    ],
                ),
            );
            ids_of(&geojson_ids(&r), SECRET).is_disjoint(&milano_ids)
        })
        .expect("a Segrate social service away from Milano's");
    let mut n = 0;
    let mut get = |auth: &str, path: &str| {
        n += 1;
        srv.get(Some(auth), path)
    };
    let json = |extra: &[(&str, &str)]| {
        let mut p = vec![("REQUEST", "GetFeature"), ("OUTPUTFORMAT", "application/json")];
        p.extend_from_slice(extra);
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()
    };
    let path = |tenant: &str, p: &[(String, String)]| {
        let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        wfs(tenant, &p)
    };
    let seg_rid = format!("{SECRET}.{}", segrate.fid);
    let mil_rid = format!("{SECRET}.{}", milano.fid);
    let near_box = format!("{},EPSG:3857", segrate.bbox(2000.0));

    // GetFeature: all of Milano's, exactly, under both spellings of the tenant.
    for tenant in ["milano", MILANO] {
        let found = geojson_ids(&get(&mi, &path(tenant, &json(&[("TYPENAMES", SECRET)]))));
        assert_eq!(ids_of(&found, SECRET), milano_ids, "/{tenant}: Milano's social services");
        let r = get(&mi, &wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("RESULTTYPE", "hits")]));
        assert!(r.text().contains(&format!("numberMatched=\"{}\"", milano_ids.len())), "/{tenant} hits: {}", r.short());
    }
    // A box around Segrate: the all-tenants key at cmm finds the Segrate service, the Milano
    // key at milano only Milano's.
    let at_cmm = ids_of(&geojson_ids(&get(&all, &path("cmm", &json(&[("TYPENAMES", SECRET), ("BBOX", &near_box)])))), SECRET);
    assert!(at_cmm.contains(&segrate.fid), "the box holds the Segrate service");
    let at_milano = ids_of(&geojson_ids(&get(&mi, &path("milano", &json(&[("TYPENAMES", SECRET), ("BBOX", &near_box)])))), SECRET);
    assert!(at_milano.is_subset(&milano_ids), "BBOX over Segrate at /milano: {at_milano:?}");
    // Ids and filters naming the Segrate feature.
    let both = format!("{seg_rid},{mil_rid}");
    let found = ids_of(&geojson_ids(&get(&mi, &path("milano", &json(&[("RESOURCEID", &both)])))), SECRET);
    assert_eq!(found, BTreeSet::from([milano.fid]), "RESOURCEID at /milano");
    let filter = format!(
        "<fes:Filter xmlns:fes=\"http://www.opengis.net/fes/2.0\">\
         <fes:ResourceId rid=\"{seg_rid}\"/><fes:ResourceId rid=\"{mil_rid}\"/></fes:Filter>"
    );
    let found = ids_of(&geojson_ids(&get(&mi, &path("milano", &json(&[("TYPENAMES", SECRET), ("FILTER", &filter)])))), SECRET);
    assert_eq!(found, BTreeSet::from([milano.fid]), "FILTER ResourceId at /milano");
    let r = get(
        &mi,
        &wfs("milano", &[("REQUEST", "GetFeature"), ("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"), ("ID", &seg_rid)]),
    );
    assert_eq!(r.status, 404, "GetFeatureById of a Segrate feature at /milano: {}", r.short());
    assert!(!r.text().contains(&segrate.nome));
    let r = get(
        &mi,
        &wfs("milano", &[("REQUEST", "GetPropertyValue"), ("TYPENAMES", SECRET), ("VALUEREFERENCE", "nome"), ("FILTER", &filter)]),
    );
    assert!(r.status == 200 && r.text().contains(&milano.nome) && !r.text().contains(&segrate.nome), "GetPropertyValue: {}", r.short());
    // The stored query around the Segrate service.
    let (lon, lat) = segrate.lon_lat();
    let near = json(&[
        ("STOREDQUERY_ID", "urn:navigli:query:ServicesNearPoint"),
        ("LON", &lon.to_string()),
        ("LAT", &lat.to_string()),
        ("DISTANCE", "3000"),
    ]);
    assert!(ids_of(&geojson_ids(&get(&all, &path(SEGRATE, &near))), SECRET).contains(&segrate.fid), "ServicesNearPoint at Segrate");
    let found = ids_of(&geojson_ids(&get(&mi, &path("milano", &near))), SECRET);
    assert!(found.is_subset(&milano_ids), "ServicesNearPoint at /milano: {found:?}");

    // WMS over the Segrate service: an empty map and no feature at /milano.
    let map = |tenant: &str, request: &str| {
        wms(
            tenant,
            &[
                ("VERSION", "1.3.0"),
                ("REQUEST", request),
                ("LAYERS", SECRET),
                ("QUERY_LAYERS", SECRET),
                ("STYLES", ""),
                ("CRS", "EPSG:3857"),
                ("BBOX", &segrate.bbox(150.0)),
                ("WIDTH", "64"),
                ("HEIGHT", "64"),
                ("FORMAT", "image/png"),
                ("TRANSPARENT", "TRUE"),
                ("I", "32"),
                ("J", "32"),
                ("INFO_FORMAT", "application/json"),
                ("FEATURE_COUNT", "50"),
            ],
        )
    };
    assert!(opaque_pixels(&get(&all, &map("cmm", "GetMap")).body) > 0, "the map at cmm shows the Segrate service");
    let r = get(&mi, &map("milano", "GetMap"));
    assert_eq!(r.header("content-type"), Some("image/png"), "{}", r.short());
    assert_eq!(opaque_pixels(&r.body), 0, "GetMap over Segrate at /milano draws something");
    assert!(get(&all, &map("cmm", "GetFeatureInfo")).text().contains(&segrate.nome), "GetFeatureInfo at cmm finds the Segrate service");
    let r = get(&mi, &map("milano", "GetFeatureInfo"));
    assert_eq!(r.status, 200, "{}", r.short());
    assert!(r.json()["features"].as_array().is_some_and(Vec::is_empty), "GetFeatureInfo over Segrate at /milano: {}", r.short());

    // Tiles over the Segrate service.
    for z in [13u8, 15] {
        let (z, x, y) = segrate.tile(z);
        for source in [SECRET, GROUP, "servizi_pubblici,servizi_sociali"] {
            let cmm = tile_layers(&get(&all, &format!("/cmm/tiles/{source}/{z}/{x}/{y}.mvt")));
            assert!(cmm[SECRET].contains(&(segrate.fid as u64)), "the cmm tile {z}/{x}/{y} holds the Segrate service");
            let mil = tile_layers(&get(&mi, &format!("/milano/tiles/{source}/{z}/{x}/{y}.mvt")));
            let ids: BTreeSet<i64> = mil.get(SECRET).into_iter().flatten().map(|&i| i as i64).collect();
            assert!(ids.is_subset(&milano_ids), "/milano tile {source} {z}/{x}/{y}: {ids:?}");
        }
    }

    // Other tenants' URLs: 403 by name. A better key as a parameter does not override the
    // header (nor does a second spelling of the parameter).
    for tenant in ["cmm", SEGRATE, "segrate"] {
        for p in [
            wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET)]),
            format!("{}&apikey={KEY_ALL}", wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET)])),
            format!("{}&APIKEY={KEY_ALL}&ApiKey={KEY_ALL}", wfs(tenant, &[("REQUEST", "GetFeature"), ("RESOURCEID", &seg_rid)])),
            format!("/{tenant}/tiles/{SECRET}/{}/{}/{}.mvt?apikey={KEY_ALL}", segrate.tile(15).0, segrate.tile(15).1, segrate.tile(15).2),
            format!("{}&apikey={KEY_ALL}", map(tenant, "GetMap")),
        ] {
            let r = get(&mi, &p);
            assert_eq!(r.status, 403, "Milano key at {p}: {}", r.short());
            assert!(!r.text().contains(&segrate.nome) && !r.text().contains(&milano.nome), "{p}: {}", r.short());
        }
    }
    eprintln!("tenant isolation: {n} requests");
}

// ------------------------------------------------------------------------------------------------
// 3. Credentials
// ------------------------------------------------------------------------------------------------

/// A document without its time stamps (`timeStamp="…"`, `"timeStamp":"…"`).
fn without_stamps(body: &str) -> String {
    let mut out = body.to_string();
    for key in ["timeStamp=\"", "\"timeStamp\":\""] {
        while let Some(i) = out.find(key) {
            let from = i + key.len();
            let to = from + out[from..].find('"').expect("end of time stamp");
            out.replace_range(i..=to, "");
        }
    }
    out
}

/// The exception flavour of a 401 body.
fn assert_401(what: &str, r: &Resp, flavour: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.short());
    let challenge = r.header("www-authenticate").unwrap_or_else(|| panic!("{what}: no WWW-Authenticate: {}", r.head));
    assert!(challenge.contains("bearer") && challenge.contains("apikey"), "{what}: {challenge}");
    assert!(r.header("cache-control").is_some_and(|c| c.contains("no-store")), "{what}: {}", r.head);
    let text = r.text();
    match flavour {
        "json" => {
            let _ = r.json();
        }
        flavour => assert!(text.contains(flavour), "{what}: not a {flavour}: {}", r.short()),
    }
    assert!(!text.contains(SECRET), "{what}: {}", r.short());
}

/// Header, `Bearer` and parameter spellings of a key are equivalent; wrong keys, unknown
/// schemes and oversized credentials are 401 with a challenge and an OGC exception in the
/// protocol's flavour; credentialed answers are private.
#[test]
fn credentials_spellings_rejections_and_private_caching() {
    let s = setup(false, "warn");
    let srv = &s.srv;
    let mut n = 0;
    let spot = first_spot(srv, MILANO);
    let (z, x, y) = spot.tile(15);

    // Equivalent spellings: identical documents, all with the layer.
    let caps = wfs("milano", &[("REQUEST", "GetCapabilities")]);
    let features = wfs("milano", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("OUTPUTFORMAT", "application/json")]);
    let anonymous = srv.get(None, &caps);
    assert!(!anonymous.text().contains(SECRET));
    for path in [&caps, &features] {
        let reference = srv.get(Some(&api(KEY_MILANO)), path);
        n += 1;
        assert_eq!(reference.status, 200, "{}", reference.short());
        assert!(reference.text().contains(SECRET));
        let want = without_stamps(&reference.text());
        for (label, auth, query) in [
            ("Bearer KEY", Some(bearer(KEY_MILANO)), ""),
            ("apikey KEY (lower-case scheme)", Some(format!("apikey {KEY_MILANO}")), ""),
            ("APIKEY  KEY (extra blanks)", Some(format!("APIKEY   {KEY_MILANO}  ")), ""),
            ("apikey parameter", None, "apikey"),
            ("APIKEY parameter", None, "APIKEY"),
        ] {
            let p = if query.is_empty() { path.clone() } else { format!("{path}&{query}={KEY_MILANO}") };
            let r = srv.get(auth.as_deref(), &p);
            n += 1;
            assert_eq!(r.status, 200, "{label}: {}", r.short());
            // A key given as a parameter stays in the capabilities' operation addresses (so
            // clients that cannot set headers keep it when they follow them); nothing else differs.
            let text = r.text();
            if !query.is_empty() && path == &caps {
                assert!(
                    text.contains(&format!("Post xlink:href=\"http://127.0.0.1:{}/milano/wfs?apikey={KEY_MILANO}\"", srv.port)),
                    "{label}"
                );
            }
            let text = text.replace(&format!("?apikey={KEY_MILANO}&amp;"), "?").replace(&format!("?apikey={KEY_MILANO}\""), "\"");
            assert_eq!(without_stamps(&text), want, "{label} answers differently from ApiKey KEY");
            assert!(r.header("cache-control").is_some_and(|c| c.contains("private") && c.contains("no-store")), "{label}: {}", r.head);
        }
    }
    // The same map whatever the spelling.
    let map = wms(
        "milano",
        &[
            ("REQUEST", "GetMap"),
            ("LAYERS", SECRET),
            ("STYLES", ""),
            ("CRS", "EPSG:3857"),
            ("BBOX", &spot.bbox(300.0)),
            ("WIDTH", "64"),
            ("HEIGHT", "64"),
            ("FORMAT", "image/png"),
            ("TRANSPARENT", "TRUE"),
        ],
    );
    let a = srv.get(Some(&api(KEY_MILANO)), &map);
    let b = srv.get(Some(&bearer(KEY_MILANO)), &map);
    let c = srv.get(None, &format!("{map}&apikey={KEY_MILANO}"));
    n += 3;
    assert!(a.status == 200 && opaque_pixels(&a.body) > 0, "{}", a.short());
    assert!(a.body == b.body && a.body == c.body, "the map differs with the spelling of the key");

    // Wrong keys and unknown schemes, in every protocol: 401, challenge, the protocol's report.
    let tile = format!("/milano/tiles/{SECRET}/{z}/{x}/{y}.mvt");
    let endpoints: Vec<(String, &str, Option<&str>)> = vec![
        (caps.clone(), "ows/1.1", None),
        (wfs("milano", &[("VERSION", "1.1.0"), ("REQUEST", "GetFeature"), ("TYPENAME", SECRET)]), "ExceptionReport", None),
        (wms("milano", &[("REQUEST", "GetCapabilities")]), "ServiceExceptionReport", None),
        (wms("milano", &[("VERSION", "1.1.1"), ("REQUEST", "GetCapabilities")]), "ServiceExceptionReport", None),
        (map.clone(), "ServiceExceptionReport", None),
        (format!("/milano/wfs/schema/2.0.0/{SECRET}.xsd"), "ExceptionReport", None),
        (tile.clone(), "json", None),
        (format!("/milano/tiles/{SECRET}.json"), "json", None),
        ("/milano/tiles".to_string(), "json", None),
        ("/milano".to_string(), "json", None),
        ("/".to_string(), "json", None),
        (
            "/milano/wfs".to_string(),
            "ExceptionReport",
            Some(concat!(
                "<wfs:GetFeature service=\"WFS\" version=\"2.0.0\" xmlns:wfs=\"http://www.opengis.net/wfs/2.0\">",
                "<wfs:Query typeNames=\"servizi_sociali\"/></wfs:GetFeature>"
            )),
        ),
    ];
    let bad_headers = [
        api(KEY_WRONG),
        bearer(KEY_WRONG),
        bearer("aaaa.bbbb.cccc"),
        format!("ApiKey {}", &KEY_MILANO[..KEY_MILANO.len() - 1]),
        format!("ApiKey {KEY_MILANO}x"),
        format!("Basic {}", "bWlsYW5vOnNlZ3JldG8="),
        "Digest username=\"milano\", realm=\"navigli\"".to_string(),
        format!("Token {KEY_MILANO}"),
        KEY_MILANO.to_string(),
        "ApiKey".to_string(),
        format!("ApiKey {}", "k".repeat(9000)),
        format!("Bearer {}.{}.{}", "a".repeat(3000), "b".repeat(3000), "c".repeat(3000)),
    ];
    for (path, flavour, body) in &endpoints {
        for h in &bad_headers {
            let what = format!("{path} with Authorization: {}", h.chars().take(40).collect::<String>());
            let r = match body {
                None => srv.get(Some(h), path),
                Some(b) => srv.send("POST", Some(h), path, b),
            };
            n += 1;
            assert_401(&what, &r, flavour);
        }
        if body.is_none() {
            let sep = if path.contains('?') { '&' } else { '?' };
            for key in [KEY_WRONG.to_string(), String::new(), "k".repeat(9000)] {
                let p = format!("{path}{sep}apikey={key}");
                let r = srv.get(None, &p);
                n += 1;
                assert_401(&format!("{path} with apikey={}", key.chars().take(20).collect::<String>()), &r, flavour);
            }
        }
    }
    // A header beyond what the server reads at all: refused, never a server error.
    for size in [20_000usize, 70_000] {
        let h = format!("ApiKey {}", "k".repeat(size));
        let r = try_send(srv.port, "GET", &caps, &[("Authorization", &h)], "");
        n += 1;
        if let Some(r) = r {
            assert!((400..500).contains(&r.status), "{size}-byte Authorization: {}", r.short());
        }
    }
    // A wrong key is refused even where the request needs no credentials.
    assert_eq!(srv.get(Some(&api(KEY_WRONG)), "/milano/tiles/comuni.json").status, 401);
    // An empty header is no credential at all.
    let r = srv.get(Some(""), &caps);
    n += 2;
    assert_eq!((r.status, r.text().contains(SECRET)), (200, false), "empty Authorization: {}", r.short());

    // Private caching of credentialed answers: 200, 403, 404, tiles, TileJSON, landing pages.
    for (label, auth, path) in [
        ("capabilities", Some(api(KEY_MILANO)), caps.clone()),
        ("403", Some(api(KEY_MILANO)), wfs("cmm", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET)])),
        ("404 tile source", Some(api(KEY_MILANO)), "/milano/tiles/nessuno.json".into()),
        ("tile", Some(api(KEY_MILANO)), tile.clone()),
        ("public tile", Some(api(KEY_MILANO)), format!("/milano/tiles/comuni/{z}/{x}/{y}.mvt")),
        ("TileJSON", Some(api(KEY_MILANO)), format!("/milano/tiles/{SECRET}.json")),
        ("public TileJSON, key as parameter", None, format!("/milano/tiles/comuni.json?apikey={KEY_MILANO}")),
        ("landing", Some(bearer(KEY_ALL)), "/?f=json".into()),
        ("GetMap", None, format!("{map}&apikey={KEY_MILANO}")),
    ] {
        let r = srv.get(auth.as_deref(), &path);
        n += 1;
        assert!(r.status < 500, "{label}: {}", r.short());
        let cc = r.header("cache-control").unwrap_or_default();
        assert!(cc.contains("private") && cc.contains("no-store") && !cc.contains("public"), "{label}: Cache-Control '{cc}'");
    }
    let r = srv.get(None, &format!("/milano/tiles/comuni/{z}/{x}/{y}.mvt"));
    n += 1;
    assert!(r.header("cache-control").is_some_and(|c| c.starts_with("public")), "anonymous public tile: {}", r.head);
    eprintln!("credentials: {n} requests");
}

/// The server's log without ANSI colours.
fn plain_log(srv: &Srv) -> String {
    let raw = srv.log();
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Asserts that no 12-character piece of `secret` is in the log.
fn assert_not_logged(log: &str, secret: &str, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(12) {
        let piece: String = w.iter().collect();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(&piece)).take(3).collect();
        assert!(lines.is_empty(), "{what}: the log holds '{piece}' of the credential:\n{}", lines.join("\n"));
    }
}

/// Requests carrying `authorization` (and the same credential as `apikey` parameter, when
/// given) to every kind of endpoint and outcome. Returns the number of requests.
fn credential_everywhere(srv: &Srv, authorization: &str, param: Option<&str>) -> usize {
    let (z, x, y) = (15, 17220, 11730); // a tile of central Milano
    let paths = [
        wfs("milano", &[("REQUEST", "GetCapabilities")]),
        wfs("milano", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("COUNT", "1")]),
        wfs("cmm", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET)]),
        wfs("milano", &[("REQUEST", "GetFeature"), ("TYPENAMES", "nessuno")]),
        wfs("milano", &[("REQUEST", "Boh")]),
        wms("milano", &[("REQUEST", "GetMap"), ("LAYERS", SECRET)]),
        format!("/milano/tiles/{SECRET}/{z}/{x}/{y}.mvt"),
        format!("/milano/tiles/{SECRET}/99/0/0.mvt"),
        format!("/milano/wfs/schema/2.0.0/{SECRET}.xsd"),
        "/nessuno/wfs?SERVICE=WFS&REQUEST=GetCapabilities".to_string(),
        "/milano?f=json".to_string(),
        "/milano/nulla".to_string(),
    ];
    let mut n = 0;
    for p in &paths {
        srv.get(Some(authorization), p);
        n += 1;
        if let Some(secret) = param {
            let sep = if p.contains('?') { '&' } else { '?' };
            srv.get(None, &format!("{p}{sep}apikey={secret}"));
            n += 1;
        }
    }
    let post = "<wfs:GetFeature xmlns:wfs=\"http://www.opengis.net/wfs/2.0\"><wfs:Query typeNames=\"servizi_sociali\"/></wfs:GetFeature>";
    srv.send("POST", Some(authorization), "/milano/wfs", post);
    n + 1
}

/// Keys and tokens, valid or not, in headers or parameters, never reach the server's log
/// (navigli's own events at every level, other crates at the default `info`).
#[test]
fn keys_and_tokens_never_reach_the_log() {
    let s = setup(true, "info,navigli=trace");
    let srv = &s.srv;
    let oidc = s.oidc.as_ref().unwrap();
    let good_token = oidc.rs256(&claims(&["welfare_milano"]), Some("rsa-1"));
    let bad_token = oidc.rs256(&json!({"iss": ISSUER, "aud": "someone-else", "sub": "x", "exp": now() + 600}), Some("rsa-1"));
    let mut n = 0;
    for key in [KEY_MILANO, KEY_WRONG] {
        n += credential_everywhere(srv, &api(key), Some(key));
        n += credential_everywhere(srv, &bearer(key), None);
    }
    for token in [&good_token, &bad_token] {
        n += credential_everywhere(srv, &bearer(token), Some(token));
    }
    std::thread::sleep(Duration::from_millis(300));
    let log = plain_log(srv);
    assert!(log.contains("status=401") && log.contains("status=403"), "the access log is not on:\n{log}");
    for (what, secret) in [("Milano key", KEY_MILANO), ("wrong key", KEY_WRONG), ("token", &good_token), ("refused token", &bad_token)] {
        assert_not_logged(&log, secret, what);
    }
    eprintln!("log: {n} requests, {} log lines", log.lines().count());
}

/// FINDING: a key sent without a scheme (`Authorization: KEY`, or `ApiKey=KEY`) is refused,
/// but the refusal is logged at INFO (the default level) with the first 20 characters of the
/// header (src/auth.rs, `Authenticator::caller`: "unsupported authorization scheme '{scheme}'",
/// where the scheme is everything before the first blank; logged by src/web/mod.rs
/// `AppState::caller`). A key of 20 characters or fewer is logged whole.
#[test]
fn a_key_sent_without_a_scheme_is_not_logged() {
    let s = setup(false, "info");
    let srv = &s.srv;
    let short_key = "k20-chars-exactly-ab";
    for authorization in [KEY_MILANO.to_string(), format!("ApiKey={KEY_MILANO}"), format!("ApiKey:{KEY_MILANO}"), short_key.to_string()] {
        let r = srv.get(Some(&authorization), &wfs("milano", &[("REQUEST", "GetCapabilities")]));
        assert_eq!(r.status, 401, "{authorization}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let log = plain_log(srv);
    assert_not_logged(&log, KEY_MILANO, "Authorization: KEY");
    assert!(!log.contains(short_key), "a 20-character key is logged whole");
}

// ------------------------------------------------------------------------------------------------
// 4. OIDC bearer tokens
// ------------------------------------------------------------------------------------------------

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(roles: &[&str]) -> Value {
    let now = now();
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "utente-42", "iat": now, "nbf": now - 5, "exp": now + 600, "roles": roles })
}

/// A token with its header replaced (signature kept).
fn with_header(token: &str, header: &Value) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    format!("{}.{rest}", b64url(header.to_string().as_bytes()))
}

/// A token with its payload replaced (signature kept).
fn with_payload(token: &str, payload: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64url(payload.to_string().as_bytes()), parts[2])
}

#[test]
fn oidc_bearer_tokens_are_verified() {
    let s = setup(true, "warn");
    let srv = &s.srv;
    let oidc = s.oidc.as_ref().unwrap();
    let mut n = 0;
    let hits = |tenant: &str| wfs(tenant, &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("RESULTTYPE", "hits")]);
    let caps = |tenant: &str| wfs(tenant, &[("REQUEST", "GetCapabilities")]);
    let total = social_ids(None).len();
    let in_milano = social_ids(Some(MILANO)).len();

    // Valid tokens: RS256 and ES256, with and without kid, lower-case scheme.
    for (label, token, tenant, count) in [
        ("RS256 all", oidc.rs256(&claims(&["welfare_all"]), Some("rsa-1")), "cmm", total),
        ("RS256 no kid", oidc.rs256(&claims(&["welfare_all"]), None), "cmm", total),
        ("ES256 milano", oidc.es256(&claims(&["welfare_milano"]), Some("ec-1")), "milano", in_milano),
        ("ES256 istat, no kid", oidc.es256(&claims(&["reader", "welfare_istat"]), None), "milano", in_milano),
    ] {
        for auth in [bearer(&token), format!("bearer {token}")] {
            let r = srv.get(Some(&auth), &hits(tenant));
            let c = srv.get(Some(&auth), &caps(tenant));
            n += 2;
            assert_eq!(r.status, 200, "{label}: {}", r.short());
            assert!(r.text().contains(&format!("numberMatched=\"{count}\"")), "{label}: {}", r.short());
            assert!(c.text().contains(SECRET), "{label}: capabilities without {SECRET}");
            assert!(r.header("cache-control").is_some_and(|c| c.contains("private")), "{label}: {}", r.head);
        }
    }
    // Valid tokens whose roles do not grant the layer here: 403 by name, absent from listings.
    for (label, token, tenant) in [
        ("ES256 milano at cmm", oidc.es256(&claims(&["welfare_milano"]), Some("ec-1")), "cmm"),
        ("RS256 milano at Segrate", oidc.rs256(&claims(&["welfare_milano"]), Some("rsa-1")), SEGRATE),
        ("reader", oidc.rs256(&claims(&["reader"]), Some("rsa-1")), "milano"),
        ("unknown role", oidc.rs256(&claims(&["admin", "superuser"]), Some("rsa-1")), "milano"),
        ("no roles claim", oidc.rs256(&json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now() + 600}), Some("rsa-1")), "milano"),
        (
            "roles not an array",
            oidc.rs256(&json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now() + 600, "roles": "welfare_all"}), Some("rsa-1")),
            "milano",
        ),
    ] {
        let r = srv.get(Some(&bearer(&token)), &hits(tenant));
        let c = srv.get(Some(&bearer(&token)), &caps(tenant));
        let t = srv.get(Some(&bearer(&token)), &format!("/{tenant}/tiles/{SECRET}.json"));
        n += 3;
        assert_eq!(r.status, 403, "{label}: {}", r.short());
        assert_eq!(t.status, 403, "{label} TileJSON: {}", t.short());
        assert!(c.status == 200 && !c.text().contains(SECRET), "{label}: capabilities list {SECRET}");
    }

    // Tokens to refuse: 401.
    let now = now();
    let base = |extra: Value| {
        let mut c = claims(&["welfare_all"]);
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let good = oidc.rs256(&base(json!({})), Some("rsa-1"));
    let none_header = json!({"alg": "none", "typ": "JWT"});
    let refused: Vec<(&str, String)> = vec![
        ("expired", oidc.rs256(&base(json!({"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200})), Some("rsa-1"))),
        ("expired beyond the leeway", oidc.es256(&base(json!({"exp": now - 120})), Some("ec-1"))),
        ("not yet valid", oidc.rs256(&base(json!({"nbf": now + 3600})), Some("rsa-1"))),
        ("wrong issuer", oidc.rs256(&base(json!({"iss": "https://evil.example.invalid/realms/cmm"})), Some("rsa-1"))),
        ("wrong audience", oidc.es256(&base(json!({"aud": "another-service"})), Some("ec-1"))),
        ("no exp", oidc.rs256(&base(json!({"exp": null})), Some("rsa-1"))),
        ("no iss", oidc.rs256(&base(json!({"iss": null})), Some("rsa-1"))),
        ("no aud", oidc.rs256(&base(json!({"aud": null})), Some("rsa-1"))),
        ("no sub", oidc.rs256(&base(json!({"sub": null})), Some("rsa-1"))),
        ("signed by another key", Oidc::sign(Algorithm::ES256, &oidc.other_ec, &base(json!({})), Some("ec-1"))),
        ("another key, no kid", Oidc::sign(Algorithm::ES256, &oidc.other_ec, &base(json!({})), None)),
        ("unknown kid", oidc.rs256(&base(json!({})), Some("rsa-2"))),
        ("RS256 signature, kid of the EC key", oidc.rs256(&base(json!({})), Some("ec-1"))),
        ("payload changed after signing", with_payload(&good, &base(json!({"roles": ["welfare_all", "admin"]})))),
        ("alg none", format!("{}.{}.", b64url(none_header.to_string().as_bytes()), b64url(base(json!({})).to_string().as_bytes()))),
        ("alg none, signature kept", with_header(&good, &none_header)),
        ("alg switched to ES256", with_header(&good, &json!({"alg": "ES256", "typ": "JWT", "kid": "rsa-1"}))),
        (
            "HS256 with the RSA public key",
            Oidc::sign(Algorithm::HS256, &EncodingKey::from_secret(&oidc.rsa_public_pem), &base(json!({})), Some("rsa-1")),
        ),
        ("HS256 with a secret", Oidc::sign(Algorithm::HS256, &EncodingKey::from_secret(b"segreto"), &base(json!({})), None)),
        ("RS512", Oidc::sign(Algorithm::RS512, &oidc.rsa, &base(json!({})), Some("rsa-1"))),
        ("truncated signature", good[..good.len() - 10].to_string()),
        ("garbage", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln".to_string()),
    ];
    for (label, token) in &refused {
        for path in [hits("cmm"), caps("milano"), format!("/milano/tiles/{SECRET}.json"), "/?f=json".to_string()] {
            let r = srv.get(Some(&bearer(token)), &path);
            n += 1;
            assert_401(&format!("{label} at {path}"), &r, if path.contains("/wfs") { "ExceptionReport" } else { "json" });
        }
    }
    // Tokens are bearer credentials only: not an API key, neither in the header nor as a parameter.
    let r = srv.get(Some(&api(&good)), &caps("milano"));
    let p = srv.get(None, &format!("{}&apikey={good}", caps("milano")));
    n += 2;
    assert_401("token as ApiKey", &r, "ExceptionReport");
    assert_401("token as apikey parameter", &p, "ExceptionReport");
    // The good one still works (the refusals did not poison anything).
    let r = srv.get(Some(&bearer(&good)), &hits("cmm"));
    n += 1;
    assert!(r.status == 200 && r.text().contains(&format!("numberMatched=\"{total}\"")), "{}", r.short());
    eprintln!("oidc: {n} requests, {} refused tokens", refused.len());
}

// ------------------------------------------------------------------------------------------------
// Findings
// ------------------------------------------------------------------------------------------------

/// FINDING (no leak): GetFeatureById of the restricted layer with credentials that do not
/// grant it in the tenant answers 404 "no feature with id" instead of the 403 every other
/// operation gives: src/ogc/wfs/stored.rs `select` maps any error of `ctx.layer` (including
/// its 403) to NotFound.
#[test]
fn get_feature_by_id_of_an_ungranted_layer_is_403() {
    let s = setup(false, "warn");
    let milano = first_spot(&s.srv, MILANO);
    let r = s.srv.get(
        Some(&api(KEY_MILANO)),
        &wfs(
            "cmm",
            &[
                ("REQUEST", "GetFeature"),
                ("STOREDQUERY_ID", "urn:ogc:def:query:OGC-WFS::GetFeatureById"),
                ("ID", &format!("{SECRET}.{}", milano.fid)),
            ],
        ),
    );
    assert_eq!(r.status, 403, "{}", r.short());
}

// ------------------------------------------------------------------------------------------------
// Keys in the database, JWKS by URL
// ------------------------------------------------------------------------------------------------

/// Polls `f` every 100 ms for up to `secs` seconds; true once it holds.
fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn navigli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(args).output().expect("run navigli");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn api_keys_in_the_database_are_accepted_and_revoked_without_a_restart() {
    let Some(url) = common::demo_postgis() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replacen("[server]\n", "[server]\napi_keys_source = \"main\"\napi_keys_refresh_s = 1\n", 1);
    text += &auth_sections(false);
    std::fs::write(&config, text).unwrap();

    let pid = std::process::id();
    let (name, expired) = (format!("test-db-key-{pid}"), format!("test-expired-key-{pid}"));
    let (ok, key, err) = navigli(&["apikey", "add", "--database-url", url, "--name", &name, "--roles", "welfare_all,reader"]);
    assert!(ok, "{err}");
    let key = key.trim().to_string();
    assert!(key.starts_with("nvg_") && key.len() == 52, "{key}");
    let (ok, old, err) =
        navigli(&["apikey", "add", "--database-url", url, "--name", &expired, "--roles", "welfare_all", "--expires", "2001-01-01"]);
    assert!(ok, "{err}");
    let old = old.trim().to_string();
    // A second key under the same name is refused (names are unique).
    assert!(!navigli(&["apikey", "add", "--database-url", url, "--name", &name, "--roles", "reader"]).0);
    let (ok, listing, _) = navigli(&["apikey", "list", "--database-url", url]);
    assert!(ok && listing.contains(&name) && listing.contains("welfare_all,reader"), "{listing}");
    assert!(!listing.contains(&key) && !listing.contains(&sha256_hex(&key)), "the listing shows the key or its digest");

    let srv = start_with(&config, &dir.path().join("server.log"), "warn", &["--source", &format!("main={url}")]);
    let hits = wfs("cmm", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("RESULTTYPE", "hits")]);
    let total = social_ids(None).len();
    assert!(
        eventually(10, || srv.get(Some(&api(&key)), &hits).status == 200),
        "the database key is not accepted: {}",
        srv.get(Some(&api(&key)), &hits).short()
    );
    let r = srv.get(Some(&api(&key)), &hits);
    assert!(r.text().contains(&format!("numberMatched=\"{total}\"")), "{}", r.short());
    // The same key as a query parameter (QGIS), and the config keys still work beside it.
    assert_eq!(srv.get(None, &format!("{hits}&apikey={key}")).status, 200);
    assert_eq!(srv.get(Some(&api(KEY_ALL)), &hits).status, 200);
    // An expired key never works.
    assert_eq!(srv.get(Some(&api(&old)), &hits).status, 401);
    // Revoked: refused within the refresh interval, without a restart.
    let (ok, _, err) = navigli(&["apikey", "revoke", "--database-url", url, "--name", &name]);
    assert!(ok, "{err}");
    let revoked = Instant::now();
    assert!(eventually(10, || srv.get(Some(&api(&key)), &hits).status == 401), "still accepted after revocation");
    eprintln!("revocation took effect after {:.1} s", revoked.elapsed().as_secs_f64());
    assert!(!navigli(&["apikey", "revoke", "--database-url", url, "--name", &name]).0, "revoking twice must fail");
    navigli(&["apikey", "revoke", "--database-url", url, "--name", &expired]);
    assert!(!srv.log().contains(&key), "the key reached the log");
}

/// Serves `body` (replaceable) at any path on 127.0.0.1, counting requests.
struct JwksServer {
    port: u16,
    body: std::sync::Arc<std::sync::Mutex<String>>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JwksServer {
    fn start(body: String) -> JwksServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = std::sync::Arc::new(std::sync::Mutex::new(body));
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (b, h) = (body.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = stream.read(&mut buf);
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let text = b.lock().unwrap().clone();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        JwksServer { port, body, hits }
    }
}

#[test]
fn jwks_from_a_url_is_fetched_and_follows_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let first = Oidc::generate(dir.path());
    let first_jwks = std::fs::read_to_string(dir.path().join("jwks.json")).unwrap();
    let rotated_dir = tempfile::tempdir().unwrap();
    let second = Oidc::generate(rotated_dir.path());
    let second_jwks = std::fs::read_to_string(rotated_dir.path().join("jwks.json")).unwrap();
    let idp = JwksServer::start(first_jwks);

    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text += &auth_sections(false);
    text += &format!(
        "[oidc]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\njwks_url = \"http://127.0.0.1:{}/realms/cmm/certs\"\njwks_refresh_s = 1\n",
        idp.port
    );
    std::fs::write(&config, &text).unwrap();
    let srv = start(&config, &dir.path().join("server.log"), "warn");
    let hits = wfs("cmm", &[("REQUEST", "GetFeature"), ("TYPENAMES", SECRET), ("RESULTTYPE", "hits")]);
    let old_token = first.rs256(&claims(&["welfare_all"]), Some("rsa-1"));
    let new_token = second.rs256(&claims(&["welfare_all"]), Some("rsa-1"));
    assert!(eventually(10, || srv.get(Some(&bearer(&old_token)), &hits).status == 200), "token refused: keys not fetched");
    assert!(first.es256(&claims(&["welfare_all"]), Some("ec-1")).len() > 10);
    assert_eq!(srv.get(Some(&bearer(&new_token)), &hits).status, 401, "a key the provider has not published yet");

    // The provider rotates its keys: the new ones are accepted, the old ones no longer.
    *idp.body.lock().unwrap() = second_jwks;
    assert!(eventually(10, || srv.get(Some(&bearer(&new_token)), &hits).status == 200), "rotated key not picked up");
    assert_eq!(srv.get(Some(&bearer(&old_token)), &hits).status, 401);
    // A provider that answers garbage leaves the last good keys in place.
    *idp.body.lock().unwrap() = "<html>maintenance</html>".into();
    let seen = idp.hits.load(std::sync::atomic::Ordering::SeqCst);
    assert!(eventually(10, || idp.hits.load(std::sync::atomic::Ordering::SeqCst) >= seen + 2));
    assert_eq!(srv.get(Some(&bearer(&new_token)), &hits).status, 200);

    // Only HTTPS, or plain HTTP to this machine; and exactly one of jwks_file / jwks_url.
    for (bad, message) in [
        ("jwks_url = \"http://idp.example.org/certs\"", "jwks_url must be https://"),
        ("jwks_url = \"ftp://127.0.0.1/certs\"", "jwks_url must be https://"),
        ("jwks_url = \"https://idp.example.org/certs\"\njwks_file = \"jwks.json\"", "exactly one of jwks_file and jwks_url"),
    ] {
        let start = text.find("\njwks_url =").unwrap() + 1; // the real line, not the commented example
        let end = text[start..].find('\n').unwrap() + start;
        std::fs::write(&config, format!("{}{bad}{}", &text[..start], &text[end..])).unwrap();
        let (ok, out, err) = navigli(&["check", "--config", config.to_str().unwrap()]);
        assert!(!ok && (out + &err).contains(message), "{bad}: {err}");
    }
}

/// OGC API – Features and Tiles apply the same grants: a Milano welfare key sees the restricted
/// collection in Milano (listed, its items, its tiles, in the OpenAPI document), with its key
/// kept in the links; the key gets 403 elsewhere; anonymous callers get 404 everywhere.
#[test]
fn ogc_api_applies_the_same_grants() {
    let s = setup(false, "warn");
    let srv = &s.srv;
    let collections = srv.get(None, &format!("/milano/ogcapi/collections?apikey={KEY_MILANO}"));
    assert_eq!(collections.status, 200, "{}", collections.short());
    let ids: Vec<String> =
        collections.json()["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.contains(&SECRET.to_string()), "{ids:?}");
    assert_eq!(collections.header("cache-control"), Some("private, no-store"));
    let items = srv.get(None, &format!("/milano/ogcapi/collections/{SECRET}/items?limit=5&apikey={KEY_MILANO}"));
    assert_eq!(items.status, 200, "{}", items.short());
    let page = items.json();
    assert!(page["numberReturned"].as_u64().unwrap() > 0);
    let next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").expect("next link");
    assert!(next["href"].as_str().unwrap().contains(&format!("apikey={KEY_MILANO}")), "the key stays in the links: {next}");
    let with_header = srv.get(Some(&api(KEY_MILANO)), &format!("/milano/ogcapi/collections/{SECRET}/items?limit=5"));
    assert_eq!(with_header.json()["features"], page["features"]);
    let openapi = srv.get(None, &format!("/milano/ogcapi/api?apikey={KEY_MILANO}"));
    assert!(openapi.text().contains(&format!("/collections/{SECRET}/items")));
    let tileset = srv.get(None, &format!("/milano/ogcapi/collections/{SECRET}/tiles/WebMercatorQuad?apikey={KEY_MILANO}"));
    assert_eq!(tileset.status, 200, "{}", tileset.short());
    assert!(tileset.text().contains(&format!("apikey={KEY_MILANO}")), "the tile template keeps the key");
    for path in [
        format!("/cmm/ogcapi/collections/{SECRET}?apikey={KEY_MILANO}"),
        format!("/{SEGRATE}/ogcapi/collections/{SECRET}/items?apikey={KEY_MILANO}"),
        format!("/cmm/ogcapi/collections/{SECRET}/tiles?apikey={KEY_MILANO}"),
    ] {
        assert_eq!(srv.get(None, &path).status, 403, "{path}");
    }
    for path in [format!("/milano/ogcapi/collections/{SECRET}/items"), format!("/milano/ogcapi/collections/{SECRET}/queryables")] {
        assert_eq!(srv.get(None, &path).status, 404, "{path}");
    }
    let anonymous = srv.get(None, "/milano/ogcapi/api");
    assert!(!anonymous.text().contains(SECRET));
    assert_eq!(srv.get(None, &format!("/milano/ogcapi/collections?apikey={KEY_WRONG}")).status, 401);
}
