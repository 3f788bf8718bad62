//! `navigli init`: a new deployment — another Città Metropolitana, a province, any set of
//! comuni — from its boundaries alone. It reads a GeoJSON of the comuni (WGS 84 lon/lat, one
//! feature per comune or per part, an ISTAT code and a name in the properties) and, optionally,
//! a CSV of facts (population, zona omogenea, slug), and writes a working starting point:
//!
//! - `data/comuni.csv`: the comuni table (ISTAT code, name, slug, zona, population, area and
//!   centroid computed from the boundaries) that defines the tenants;
//! - `data/<id>.gpkg`: the `comuni` layer, the boundaries stored in the WGS 84 / UTM zone of
//!   the area (32N or 33N in Italy);
//! - `layers.toml`: one source, the `sit` group with the `comuni` layer as the boundary layer,
//!   the metropolitan tenant `<id>`, with comments saying what to add next.
//!
//! Nothing is assumed of the area beyond what the files say.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use geo::{Area, Centroid, Geometry, MultiPolygon};
use serde_json::Value as Json;

use crate::config::Comune;
use crate::crs::Crs;

/// What to initialise.
#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// Id of the metropolitan tenant (`cmto`): lowercase letters, digits, `-`, `_`. Best not a
    /// comune's slug: a comune whose slug it is gets its ISTAT code appended (`torino-001272`).
    pub id: String,
    /// The administration's name (`Città metropolitana di Torino`).
    pub title: String,
    /// The boundaries: a GeoJSON FeatureCollection in WGS 84 lon/lat.
    pub boundaries: PathBuf,
    /// Facts per comune: a CSV (`,` or `;`) with a header naming an ISTAT code column and any
    /// of name, slug, zona code, zona name, population.
    pub facts: Option<PathBuf>,
    /// The property holding the ISTAT code (default: the first of the usual names present).
    pub code_field: Option<String>,
    /// The property holding the name.
    pub name_field: Option<String>,
    /// The contact e-mail of the services.
    pub email: Option<String>,
    /// The folder to write into (created when missing).
    pub out: PathBuf,
    /// Overwrite an existing `layers.toml`.
    pub force: bool,
}

/// What was written.
#[derive(Clone, Debug, PartialEq)]
pub struct InitReport {
    /// Comuni (tenants) written.
    pub comuni: usize,
    /// The UTM zone the boundaries are stored in.
    pub utm_zone: u32,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// Things the operator should know (facts missing, comuni without facts…).
    pub notes: Vec<String>,
}

/// Initialisation failed; nothing usable was written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// An input file is not usable: the file, where in it, and why.
    #[error("{0}")]
    Input(String),
    /// `layers.toml` exists (use `--force`).
    #[error("{0} exists: pass --force to overwrite it")]
    Exists(PathBuf),
    /// The GeoPackage could not be written.
    #[error(transparent)]
    Write(#[from] crate::demo::DemoError),
    /// A reprojection failed.
    #[error(transparent)]
    Transform(#[from] crate::crs::TransformError),
}

/// Property names tried for the ISTAT code, in order.
const CODE_FIELDS: &[&str] = &["com_istat_code", "pro_com_t", "cod_istat", "codice_istat", "istat", "pro_com", "com_istat_code_num"];
/// Property names tried for the name, in order.
const NAME_FIELDS: &[&str] = &["name", "nome", "comune", "denominazione", "comune_nome", "denominazione_ita"];
/// Most positions in one comune's boundary.
const MAX_POSITIONS: usize = 5_000_000;
/// Largest boundaries file read.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// One comune as read from the boundaries.
struct Read {
    name: String,
    parts: MultiPolygon<f64>,
}

/// Runs `navigli init`.
pub fn init(opts: &InitOptions) -> Result<InitReport, InitError> {
    check_id(&opts.id)?;
    if opts.title.trim().is_empty() {
        return Err(InitError::Input("--title: the administration's name is needed (e.g. \"Città metropolitana di Torino\")".into()));
    }
    let toml_path = opts.out.join("layers.toml");
    if toml_path.exists() && !opts.force {
        return Err(InitError::Exists(toml_path));
    }
    let mut notes = Vec::new();
    let read = read_boundaries(opts)?;
    let facts = match &opts.facts {
        Some(p) => read_facts(p)?,
        None => BTreeMap::new(),
    };
    let zone = utm_zone(&read)?;
    let utm = Crs::from_srid(32600 + zone).ok_or_else(|| InitError::Input(format!("EPSG:{} is not in the registry", 32600 + zone)))?;

    let mut comuni: Vec<(Comune, MultiPolygon<f64>)> = Vec::with_capacity(read.len());
    let mut slugs = std::collections::HashSet::new();
    for (code, r) in &read {
        let f = facts.get(code);
        let mut g = Geometry::MultiPolygon(r.parts.clone());
        crate::crs::transform_geometry(Crs::CRS84, utm, &mut g)?;
        let Geometry::MultiPolygon(projected) = g else { unreachable!("a transform keeps the geometry type") };
        let area_km2 = projected.unsigned_area() / 1e6;
        let c = projected.centroid().ok_or_else(|| InitError::Input(format!("comune {code}: empty boundary")))?;
        let (lon, lat) = crate::crs::transform_point(utm, Crs::CRS84, c.x(), c.y())?;
        let name = f.and_then(|f| f.name.clone()).unwrap_or_else(|| r.name.clone());
        if name.contains(',') {
            return Err(InitError::Input(format!("comune {code}: the name '{name}' has a comma, which the comuni table cannot hold")));
        }
        let mut slug = f.and_then(|f| f.slug.clone()).unwrap_or_else(|| slugify(&name));
        if slug.is_empty() || slug == opts.id || !slugs.insert(slug.clone()) {
            slug = format!("{}-{code}", if slug.is_empty() { "comune" } else { &slug });
            slugs.insert(slug.clone());
        }
        comuni.push((
            Comune {
                istat_code: code.clone(),
                name,
                slug,
                zona_code: f.and_then(|f| f.zona_code.clone()).unwrap_or_default(),
                zona_name: f.and_then(|f| f.zona_name.clone()).unwrap_or_default(),
                population: f.and_then(|f| f.population).unwrap_or(0),
                area_km2: (area_km2 * 1000.0).round() / 1000.0,
                centroid_lon: (lon * 1e5).round() / 1e5,
                centroid_lat: (lat * 1e5).round() / 1e5,
            },
            projected,
        ));
    }
    let without_facts = comuni.iter().filter(|(c, _)| !facts.contains_key(&c.istat_code)).count();
    match &opts.facts {
        None => notes.push("no --facts: population 0 and no zona omogenea for every comune (edit data/comuni.csv)".to_string()),
        Some(p) if without_facts > 0 => notes.push(format!("{without_facts} comuni have no row in {}", p.display())),
        Some(_) => {}
    }
    let unused = facts.keys().filter(|k| !read.contains_key(*k)).count();
    if unused > 0 {
        notes.push(format!("{unused} rows of the facts have no boundary and were left out"));
    }

    let data = opts.out.join("data");
    std::fs::create_dir_all(&data).map_err(|error| InitError::Io { path: data.clone(), error })?;
    let csv_path = data.join("comuni.csv");
    write_file(&csv_path, &comuni_csv(comuni.iter().map(|(c, _)| c)))?;
    let gpkg_path = data.join(format!("{}.gpkg", opts.id));
    crate::demo::write_boundaries_gpkg(&gpkg_path, &comuni, zone)?;
    let source_name = opts.boundaries.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    write_file(&toml_path, &layers_toml(opts, comuni.len(), zone, &source_name))?;
    Ok(InitReport { comuni: comuni.len(), utm_zone: zone, files: vec![toml_path, csv_path, gpkg_path], notes })
}

fn check_id(id: &str) -> Result<(), InitError> {
    let ok = id.len() <= 40
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InitError::Input(format!(
            "--id '{id}': a short name in lowercase letters, digits, '-' or '_', starting with a letter (e.g. torino)"
        )))
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), InitError> {
    std::fs::write(path, text).map_err(|error| InitError::Io { path: path.to_path_buf(), error })
}

/// Reads the boundaries: comuni by ISTAT code, parts of one code joined.
fn read_boundaries(opts: &InitOptions) -> Result<BTreeMap<String, Read>, InitError> {
    let path = &opts.boundaries;
    let io = |error| InitError::Io { path: path.clone(), error };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(InitError::Input(format!("{}: larger than {} MiB", path.display(), MAX_FILE_BYTES >> 20)));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let at = |pointer: &str, message: &str| InitError::Input(format!("{} at {pointer}: {message}", path.display()));
    let doc: Json = serde_json::from_str(&text).map_err(|e| InitError::Input(format!("{}: not JSON: {e}", path.display())))?;
    if doc.get("type").and_then(Json::as_str) != Some("FeatureCollection") {
        return Err(at("/type", "expected a GeoJSON FeatureCollection"));
    }
    if let Some(name) = doc.pointer("/crs/properties/name").and_then(Json::as_str) {
        if !matches!(Crs::parse(name), Some((c, _)) if c.srid() == 4326) {
            return Err(at(
                "/crs",
                &format!("the boundaries are in {name}: give them in WGS 84 lon/lat (RFC 7946), e.g. ogr2ogr -t_srs EPSG:4326"),
            ));
        }
    }
    let features = doc.get("features").and_then(Json::as_array).ok_or_else(|| at("/features", "expected an array of features"))?;
    if features.is_empty() {
        return Err(at("/features", "no features"));
    }
    let props0 = features[0].get("properties").and_then(Json::as_object);
    let pick = |given: &Option<String>, tried: &[&str], what: &str| -> Result<String, InitError> {
        if let Some(g) = given {
            return Ok(g.clone());
        }
        let keys: Vec<&String> = props0.map(|p| p.keys().collect()).unwrap_or_default();
        tried.iter().find_map(|t| keys.iter().find(|k| k.eq_ignore_ascii_case(t)).map(|k| k.to_string())).ok_or_else(|| {
            at("/features/0/properties", &format!("no {what} property (tried {}); name it with --{what}-field", tried.join(", ")))
        })
    };
    let code_field = pick(&opts.code_field, CODE_FIELDS, "code")?;
    let name_field = pick(&opts.name_field, NAME_FIELDS, "name")?;
    let reader = crate::geojson::Reader { swap: false, drop_z: true, max_positions: MAX_POSITIONS };
    let mut out: BTreeMap<String, Read> = BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        let prop = |name: &str| f.get("properties").and_then(|p| p.get(name));
        let code = prop(&code_field)
            .and_then(istat_code)
            .ok_or_else(|| at(&format!("/features/{i}/properties/{code_field}"), "expected an ISTAT code (six digits)"))?;
        let name = prop(&name_field)
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| at(&format!("/features/{i}/properties/{name_field}"), "expected the comune's name"))?;
        let g = f.get("geometry").filter(|g| !g.is_null()).ok_or_else(|| at(&format!("/features/{i}/geometry"), "no geometry"))?;
        let parts = match reader.geometry(g, &format!("/features/{i}/geometry")).map_err(|p| at(&p.pointer, &p.message))? {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(m) => m,
            _ => return Err(at(&format!("/features/{i}/geometry/type"), "a comune's boundary is a Polygon or a MultiPolygon")),
        };
        if parts.0.iter().flat_map(|p| p.exterior().0.iter()).any(|c| c.x.abs() > 180.0 || c.y.abs() > 90.0) {
            return Err(at(&format!("/features/{i}/geometry"), "coordinates out of lon/lat range: the file must be in WGS 84 lon/lat"));
        }
        let entry = out.entry(code).or_insert_with(|| Read { name: name.to_string(), parts: MultiPolygon(vec![]) });
        entry.parts.0.extend(parts.0);
    }
    Ok(out)
}

/// A six-digit ISTAT code from a string or a number (leading zeros restored).
fn istat_code(v: &Json) -> Option<String> {
    let digits = match v {
        Json::String(s) => s.trim().to_string(),
        Json::Number(n) => n.as_u64()?.to_string(),
        _ => return None,
    };
    (!digits.is_empty() && digits.len() <= 6 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| format!("{digits:0>6}"))
}

/// The WGS 84 / UTM north zone of the boundaries' middle longitude (32 or 33 in Italy).
fn utm_zone(read: &BTreeMap<String, Read>) -> Result<u32, InitError> {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in read.values().flat_map(|r| r.parts.0.iter()).flat_map(|p| p.exterior().0.iter()) {
        min = min.min(c.x);
        max = max.max(c.x);
    }
    let zone = (((min + max) / 2.0 + 180.0) / 6.0).floor() as u32 + 1;
    match Crs::from_srid(32600 + zone) {
        Some(_) => Ok(zone),
        None => Err(InitError::Input(format!(
            "the boundaries lie in UTM zone {zone}, which navigli's CRS registry does not have (zones 32 and 33)"
        ))),
    }
}

/// One comune's facts from the CSV.
#[derive(Clone, Debug, Default, PartialEq)]
struct Facts {
    name: Option<String>,
    slug: Option<String>,
    zona_code: Option<String>,
    zona_name: Option<String>,
    population: Option<u64>,
}

/// Reads the facts CSV, by ISTAT code.
fn read_facts(path: &Path) -> Result<BTreeMap<String, Facts>, InitError> {
    let text = std::fs::read_to_string(path).map_err(|error| InitError::Io { path: path.to_path_buf(), error })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| InitError::Input(format!("{}: empty", path.display())))?;
    let delimiter = if header.contains(';') && !header.contains(',') { ';' } else { ',' };
    let names: Vec<String> = split_csv(header, delimiter).into_iter().map(|h| h.to_lowercase().replace([' ', '-'], "_")).collect();
    let col = |tried: &[&str]| tried.iter().find_map(|t| names.iter().position(|n| n == t));
    let code = col(&["istat_code", "cod_istat", "codice_istat", "pro_com_t", "com_istat_code", "istat", "pro_com"])
        .ok_or_else(|| InitError::Input(format!("{}: line 1: no ISTAT code column (istat_code, cod_istat, pro_com_t…)", path.display())))?;
    let name = col(&["name", "nome", "comune", "denominazione"]);
    let slug = col(&["slug"]);
    let zona_code = col(&["zona_code", "cod_zona", "zona_omogenea_code"]);
    let zona_name = col(&["zona_name", "zona", "zona_omogenea"]);
    let population = col(&["population", "popolazione", "residenti", "pop"]);
    let mut out = BTreeMap::new();
    for (n, line) in lines {
        let f = split_csv(line, delimiter);
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let bad = |what: &str| InitError::Input(format!("{}: line {}: {what}", path.display(), n + 1));
        let key = get(Some(code)).and_then(|c| istat_code(&Json::String(c))).ok_or_else(|| bad("the ISTAT code is not six digits"))?;
        let population = match get(population) {
            Some(p) => Some(p.replace(['.', ' '], "").parse::<u64>().map_err(|_| bad("the population is not a whole number"))?),
            None => None,
        };
        let slug = get(slug);
        if let Some(s) = &slug {
            if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(bad("a slug is lowercase letters, digits and '-'"));
            }
        }
        let facts = Facts { name: get(name), slug, zona_code: get(zona_code), zona_name: get(zona_name), population };
        if out.insert(key.clone(), facts).is_some() {
            return Err(bad(&format!("ISTAT code {key} appears twice")));
        }
    }
    Ok(out)
}

/// Splits one CSV line (fields may be double-quoted, `""` inside quotes is a quote).
fn split_csv(line: &str, delimiter: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// A URL slug of a comune's name: lowercase ASCII letters and digits, words joined by `-`
/// (accents dropped, apostrophes and spaces are separators): `Sant'Ambrogio di Torino` →
/// `sant-ambrogio-di-torino`.
pub fn slugify(name: &str) -> String {
    // The place search's normalisation (lower case, accents and apostrophes gone), ASCII only.
    let words: Vec<String> = crate::search::words(name)
        .into_iter()
        .map(|w| w.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

/// The comuni table in navigli's format.
fn comuni_csv<'c>(comuni: impl Iterator<Item = &'c Comune>) -> String {
    let mut out = String::from("istat_code,name,slug,zona_code,zona_name,population,area_km2,centroid_lon,centroid_lat\n");
    for c in comuni {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            c.istat_code, c.name, c.slug, c.zona_code, c.zona_name, c.population, c.area_km2, c.centroid_lon, c.centroid_lat
        );
    }
    out
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The starter `layers.toml`.
fn layers_toml(opts: &InitOptions, comuni: usize, zone: u32, source_name: &str) -> String {
    let id = &opts.id;
    let title = quoted(&opts.title);
    let email = quoted(opts.email.as_deref().unwrap_or("sit@example.invalid"));
    let abstract_ = quoted(&format!("Confini dei {comuni} comuni ({source_name})."));
    let lineage = quoted(&format!("Confini dal file {source_name}, caricati con navigli init."));
    format!(
        r#"# navigli — {plain_title}: written by `navigli init`.
# Reference: README.md ("Set up navigli for another Città Metropolitana", "Configuration").
# Check it with `navigli check --config layers.toml`; serve it with `navigli serve`.

[server]
bind = "127.0.0.1:8080"
# public_url = "https://sit.example.it/navigli"   # the URL clients see (capabilities links)

# The boundaries written by `navigli init`. Add your own GeoPackages or a PostGIS database
# (kind = "postgis", url = "postgresql://…") as further sources.
[[source]]
id = "main"
kind = "gpkg"
path = "data/{id}.gpkg"

[[group]]
name = "sit"
title = "Sistema Informativo Territoriale"
abstract = "Confini comunali."

[[layer]]
name = "comuni"
title = "Comuni"
abstract = {abstract_}
keywords = ["confini", "comuni", "ISTAT"]
group = "sit"
source = "main"
table = "comuni"
geometry_type = "MultiPolygon"
crs = "EPSG:326{zone}"
tenant_column = "cod_istat"
attributes = [
  {{ name = "cod_istat", type = "text", title = "Codice ISTAT" }},
  {{ name = "nome", type = "text" }},
  {{ name = "slug", type = "text" }},
  {{ name = "zona_code", type = "text" }},
  {{ name = "zona", type = "text", title = "Zona omogenea" }},
  {{ name = "popolazione", type = "int" }},
  {{ name = "area_km2", type = "float" }},
]

[layer.metadata]
topic_category = "boundaries"
inspire_theme = "Administrative units"
lineage = {lineage}
update_frequency = "asNeeded"

# The catalog (CSW at /{id}/csw, the GeoPortale at /{id}/geoportale): the RNDT profile wants
# the administration's iPA code in every record identifier.
[metadata]
# ipa_code = "…"
licence = "CC-BY 4.0"

# Next: your layers ([[layer]] with its source, table, geometry_type, crs, attributes and,
# when each feature belongs to one comune, tenant_column), restricted layers and [[role]]s,
# remote layers of other administrations (kind = "ogcapi" sources), metadata.

[tenants]
comuni = "data/comuni.csv"
metro_id = "{id}"
metro_title = {title}
boundary_layer = "comuni"
groups = ["sit"]
contact = {{ organization = {title}, email = {email} }}
"#,
        plain_title = opts.title.replace('\n', " "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_words() {
        assert_eq!(slugify("Sant'Ambrogio di Torino"), "sant-ambrogio-di-torino");
        assert_eq!(slugify("Castelnuovo Nigra"), "castelnuovo-nigra");
        assert_eq!(slugify("Cinisello Balsamo"), "cinisello-balsamo");
        assert_eq!(slugify("Città di Castello"), "citta-di-castello");
        assert_eq!(slugify("  Ceresole Reale "), "ceresole-reale");
        assert_eq!(slugify("Gérmagnano"), "germagnano");
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(istat_code(&Json::from(1272)), Some("001272".into()));
        assert_eq!(istat_code(&Json::from("015146")), Some("015146".into()));
        assert_eq!(istat_code(&Json::from("15146")), Some("015146".into()));
        assert_eq!(istat_code(&Json::from("A15146")), None);
        assert_eq!(istat_code(&Json::from(1_234_567)), None);
    }

    #[test]
    fn csv_fields_split_with_quotes_and_either_delimiter() {
        assert_eq!(split_csv("a,\"b, c\",\"d\"\"e\"", ','), vec!["a", "b, c", "d\"e"]);
        assert_eq!(split_csv("001272;Torino;848885", ';'), vec!["001272", "Torino", "848885"]);
    }

    fn square(lon: f64, lat: f64, code: &str, name: &str) -> Json {
        let d = 0.05;
        serde_json::json!({"type": "Feature", "properties": {"PRO_COM_T": code, "COMUNE": name},
            "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]}})
    }

    #[test]
    fn a_deployment_is_written_from_boundaries_and_facts() {
        let dir = tempfile::tempdir().unwrap();
        let fc = serde_json::json!({"type": "FeatureCollection", "features": [
            square(12.40, 41.80, "058091", "Roma"), square(12.50, 41.80, "058047", "Fiumicino"), square(12.60, 41.80, "058047", "Fiumicino")]});
        let boundaries = dir.path().join("b.geojson");
        std::fs::write(&boundaries, fc.to_string()).unwrap();
        let facts = dir.path().join("f.csv");
        std::fs::write(&facts, "PRO_COM_T;Denominazione;Residenti;Zona\n058091;Roma;2.755.309;Roma Capitale\n099999;Altrove;1;X\n")
            .unwrap();
        let out = dir.path().join("roma");
        let opts = InitOptions {
            id: "roma".into(),
            title: "Città metropolitana di Roma Capitale".into(),
            boundaries,
            facts: Some(facts),
            out: out.clone(),
            ..InitOptions::default()
        };
        let report = init(&opts).unwrap();
        assert_eq!((report.comuni, report.utm_zone), (2, 33));
        assert!(report.notes.iter().any(|n| n.contains("1 comuni have no row")), "{:?}", report.notes);
        assert!(report.notes.iter().any(|n| n.contains("1 rows of the facts")), "{:?}", report.notes);
        let comuni = crate::config::parse_comuni(&std::fs::read_to_string(out.join("data/comuni.csv")).unwrap()).unwrap();
        let roma = comuni.iter().find(|c| c.istat_code == "058091").unwrap();
        assert_eq!((roma.slug.as_str(), roma.population, roma.zona_name.as_str()), ("roma-058091", 2_755_309, "Roma Capitale"));
        // …the slug `roma` is the metropolitan tenant's id: the comune's slug gets its code.
        // A 0.05° square at 41.8°N: about 5.56 km × 4.15 km.
        assert!((roma.area_km2 - 23.0).abs() < 0.5, "{}", roma.area_km2);
        assert!((roma.centroid_lon - 12.425).abs() < 1e-3 && (roma.centroid_lat - 41.825).abs() < 1e-3);
        let fiumicino = comuni.iter().find(|c| c.istat_code == "058047").unwrap();
        assert!((fiumicino.area_km2 - 2.0 * roma.area_km2).abs() < 0.5, "two parts joined: {}", fiumicino.area_km2);
        let (cfg, _) = crate::config::load(&out.join("layers.toml")).unwrap();
        assert_eq!((cfg.tenants.metro_id.as_str(), cfg.comuni.len()), ("roma", 2));
        assert_eq!(cfg.layers[0].crs, "EPSG:32633");
        assert!(matches!(init(&opts), Err(InitError::Exists(_))), "layers.toml is not overwritten without --force");
        assert!(init(&InitOptions { force: true, ..opts.clone() }).is_ok());
    }

    #[test]
    fn bad_inputs_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let boundaries = dir.path().join("b.geojson");
        let opts = InitOptions {
            id: "x".into(),
            title: "X".into(),
            boundaries: boundaries.clone(),
            out: dir.path().join("o"),
            ..InitOptions::default()
        };
        let err = |fc: Json| {
            std::fs::write(&boundaries, fc.to_string()).unwrap();
            init(&opts).unwrap_err().to_string()
        };
        let mut f = square(7.6, 45.0, "001272", "Torino");
        f["properties"]["PRO_COM_T"] = Json::from("TO");
        assert!(err(serde_json::json!({"type": "FeatureCollection", "features": [f]})).contains("/features/0/properties/PRO_COM_T"));
        let mut f = square(7.6, 45.0, "001272", "Torino");
        f["geometry"]["coordinates"][0][1] = serde_json::json!([1]);
        assert!(err(serde_json::json!({"type": "FeatureCollection", "features": [f]})).contains("/features/0/geometry/coordinates/0/1"));
        let f = square(400_000.0, 5_000_000.0, "001272", "Torino");
        assert!(err(serde_json::json!({"type": "FeatureCollection", "features": [f]})).contains("lon/lat"));
        assert!(err(serde_json::json!({"type": "Feature"})).contains("FeatureCollection"));
        assert!(init(&InitOptions { id: "Torino!".into(), ..opts.clone() }).unwrap_err().to_string().contains("--id"));
    }
}
