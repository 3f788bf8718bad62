//! `layers.toml`: the deployment's server settings, sources, groups, layers and tenants.
//!
//! Loading never stops at the first problem: [`load`] parses the document, deserializes each
//! section entry on its own, flags every unknown key, then validates cross references, and
//! returns all findings with their location (`layers.toml:42 [[layer]] #3 (edifici)`).

pub mod comuni;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::crs::Crs;
use crate::model::AttributeType;
pub use comuni::{parse_comuni, Comune};

/// `[server]`: network and limits.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: String,
    /// Public base URL used in capabilities links (default: `http://{bind}`).
    pub public_url: Option<String>,
    /// Most features one WFS response may hold.
    pub max_features: u64,
    /// Largest accepted request body (POST), bytes.
    pub max_body_bytes: usize,
    /// Longest a request may run, seconds.
    pub request_timeout_s: u64,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Directory of the SLD files (`<style>.sld`), relative to the config file.
    pub styles_dir: PathBuf,
    /// Vector tile grid size.
    pub tile_extent: u32,
    /// Vector tile clip buffer, tile units.
    pub tile_buffer: u32,
    /// Tile cache size, MiB of compressed tiles (0: no cache).
    pub tile_cache_mb: u64,
    /// Longest a cached tile lives, seconds (data changes evict sooner).
    pub tile_cache_ttl_s: u64,
    /// `Cache-Control: max-age` of tiles, seconds.
    pub tile_max_age_s: u64,
    /// Most features of one layer in one tile.
    pub tile_max_features: u64,
    /// Attribution shown by map clients (TileJSON).
    pub attribution: String,
    /// Requests in progress at once (all workers); more are answered 503 at once.
    pub max_concurrent_requests: usize,
    /// PostGIS source whose `navigli_api_keys` table holds API keys (besides `[[api_key]]`).
    pub api_keys_source: Option<String>,
    /// How often the database keys are re-read, seconds (revocations take effect within it).
    pub api_keys_refresh_s: u64,
    /// The capabilities' `updateSequence` (default: when the configuration, the comuni table
    /// or a style last changed, in Unix seconds). Set it when replicas must agree exactly.
    pub update_sequence: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            max_features: 10_000,
            max_body_bytes: 1 << 20,
            request_timeout_s: 30,
            workers: None,
            styles_dir: "styles".into(),
            tile_extent: 4096,
            tile_buffer: 64,
            tile_cache_mb: 256,
            tile_cache_ttl_s: 3600,
            tile_max_age_s: 60,
            tile_max_features: 200_000,
            attribution: "© Città Metropolitana di Milano".into(),
            max_concurrent_requests: 256,
            api_keys_source: None,
            api_keys_refresh_s: 60,
            update_sequence: None,
        }
    }
}

impl ServerConfig {
    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }
}

/// Backend kind of a source.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A GeoPackage file.
    Gpkg,
    /// A PostGIS database.
    Postgis,
}

/// `[[source]]`: where layers read their data.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SourceConfig {
    /// Identifier layers refer to.
    pub id: String,
    /// `gpkg` or `postgis`.
    pub kind: SourceKind,
    /// GeoPackage file (relative to the config file).
    pub path: Option<PathBuf>,
    /// PostgreSQL URL; the environment variable `DATABASE_URL` overrides it.
    pub url: Option<String>,
    /// Most concurrent connections.
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// Statement timeout, milliseconds (PostGIS).
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout_ms: u64,
    /// The URL came from the command line (`serve --source`): it wins over `DATABASE_URL`.
    #[serde(skip)]
    pub url_from_cli: bool,
}

fn default_pool_size() -> usize {
    8
}
fn default_statement_timeout() -> u64 {
    15_000
}

/// `[[group]]`: a theme layers belong to (`sit`, `dbt`, `tetti`, `welfare`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct GroupConfig {
    /// Identifier.
    pub name: String,
    /// Title for capabilities.
    pub title: String,
    /// Description.
    #[serde(default, rename = "abstract")]
    pub abstract_: String,
}

/// Who may see a layer.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Everyone.
    #[default]
    Public,
    /// Only authorised callers (until authentication exists: nobody).
    Restricted,
}

/// One exposed attribute: the allow-list entry.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AttributeConfig {
    /// Column (and property) name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// Human title.
    pub title: Option<String>,
}

/// `[[layer]]`: one published feature type / map layer.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct LayerConfig {
    /// Public name (an XML NCName).
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, rename = "abstract")]
    pub abstract_: String,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Group (theme).
    pub group: String,
    /// Source id.
    pub source: String,
    /// Table or view (`schema.table` allowed).
    pub table: Option<String>,
    /// A SELECT used instead of a table.
    pub sql: Option<String>,
    /// Geometry column.
    #[serde(default = "default_geometry_column")]
    pub geometry_column: String,
    /// Geometry type (`Point`, `MultiPolygon`…).
    pub geometry_type: String,
    /// Integer id column.
    #[serde(default = "default_id_column")]
    pub id_column: String,
    /// Stored CRS.
    #[serde(default = "default_crs")]
    pub crs: String,
    /// Exposed attributes (allow-list).
    #[serde(default)]
    pub attributes: Vec<AttributeConfig>,
    /// Column with the ISTAT code of each feature's comune.
    pub tenant_column: Option<String>,
    /// Default style (file `styles/<style>.sld`).
    pub style: Option<String>,
    /// Minimum scale denominator at which the layer is drawn.
    pub min_scale: Option<f64>,
    /// Maximum scale denominator at which the layer is drawn.
    pub max_scale: Option<f64>,
    /// Lowest vector tile zoom.
    #[serde(default)]
    pub min_zoom: u8,
    /// Highest vector tile zoom.
    #[serde(default = "default_max_zoom")]
    pub max_zoom: u8,
    /// `public` or `restricted`.
    #[serde(default)]
    pub access: Access,
    /// GetFeatureInfo allowed.
    #[serde(default = "default_true")]
    pub queryable: bool,
    /// Only tenants that list it in `extra_layers` publish it.
    #[serde(default)]
    pub extra: bool,
}

fn default_geometry_column() -> String {
    "geom".into()
}
fn default_id_column() -> String {
    "fid".into()
}
fn default_crs() -> String {
    "EPSG:32632".into()
}
fn default_max_zoom() -> u8 {
    22
}
fn default_true() -> bool {
    true
}

/// A contact for capabilities documents.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Person.
    pub person: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

/// `[tenants]`: the metropolitan tenant and defaults for the comuni.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TenantsConfig {
    /// The comuni table (relative to the config file).
    #[serde(default = "default_comuni")]
    pub comuni: PathBuf,
    /// Id of the metropolitan tenant.
    #[serde(default = "default_metro_id")]
    pub metro_id: String,
    /// Title of the metropolitan tenant.
    #[serde(default = "default_metro_title")]
    pub metro_title: String,
    /// Layer whose features give each comune's boundary (must expose its tenant column).
    pub boundary_layer: Option<String>,
    /// Groups every tenant publishes unless overridden.
    pub groups: Vec<String>,
    /// Default contact.
    #[serde(default)]
    pub contact: Contact,
}

fn default_comuni() -> PathBuf {
    "data/comuni.csv".into()
}
fn default_metro_id() -> String {
    "cmm".into()
}
fn default_metro_title() -> String {
    "Città Metropolitana di Milano".into()
}

/// `[[tenant]]`: overrides for one comune (or the metropolitan tenant).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TenantOverride {
    /// ISTAT code or slug (or the metro id).
    pub id: String,
    /// Service title.
    pub title: Option<String>,
    /// Contact.
    pub contact: Option<Contact>,
    /// Groups published (replaces the default list).
    pub groups: Option<Vec<String>>,
    /// Extra layers (those with `extra = true`).
    #[serde(default)]
    pub extra_layers: Vec<String>,
}

/// `[[role]]`: what a role may see beyond the public layers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RoleConfig {
    /// Role name (as in API keys and in the tokens' roles claim).
    pub name: String,
    /// Restricted layers the role grants.
    pub layers: Vec<String>,
    /// Tenants where it grants them: ids (`cmm`, ISTAT codes) or slugs; `*` for all.
    pub tenants: Vec<String>,
}

/// `[[api_key]]`: a key, stored as the hex SHA-256 of the key text, and its roles.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ApiKeyConfig {
    /// Who holds it (for logs; never the key).
    pub name: String,
    /// Lower-case hex SHA-256 of the key (`printf %s KEY | sha256sum`).
    pub sha256: String,
    /// Roles granted.
    pub roles: Vec<String>,
}

/// `[oidc]`: bearer JWTs from an OpenID Connect provider (SPID/CIE brokers issue such tokens).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`.
    pub audience: String,
    /// JWKS file with the provider's public keys (RS256 / ES256), relative to the config.
    pub jwks_file: Option<PathBuf>,
    /// Or the provider's JWKS URL (`https://…`; plain `http://` only to a loopback address),
    /// fetched at start and every `jwks_refresh_s`.
    pub jwks_url: Option<String>,
    /// How often the JWKS URL is fetched again, seconds (key rotation).
    #[serde(default = "default_jwks_refresh")]
    pub jwks_refresh_s: u64,
    /// Claim holding the role names (an array of strings).
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Clock skew allowed on `exp`/`nbf`, seconds.
    #[serde(default = "default_leeway")]
    pub leeway_s: u64,
}

fn default_roles_claim() -> String {
    "roles".into()
}
fn default_leeway() -> u64 {
    30
}
fn default_jwks_refresh() -> u64 {
    300
}

/// Whether a JWKS URL may be fetched: HTTPS, or plain HTTP to this machine only.
pub fn jwks_url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host =
        if host.starts_with('[') { host.split(']').next().map(|h| &h[1..]).unwrap_or("") } else { host.split(':').next().unwrap_or("") };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Directory of the config file: relative paths are resolved against it.
    pub base_dir: PathBuf,
    /// When the config file was last modified (Unix seconds), when read from a file.
    pub modified: Option<u64>,
    /// `[server]`.
    pub server: ServerConfig,
    /// `[[source]]`.
    pub sources: Vec<SourceConfig>,
    /// `[[group]]`.
    pub groups: Vec<GroupConfig>,
    /// `[[layer]]`.
    pub layers: Vec<LayerConfig>,
    /// `[tenants]`.
    pub tenants: TenantsConfig,
    /// `[[tenant]]`.
    pub tenant_overrides: Vec<TenantOverride>,
    /// Rows of the comuni table.
    pub comuni: Vec<Comune>,
    /// `[[role]]`.
    pub roles: Vec<RoleConfig>,
    /// `[[api_key]]`.
    pub api_keys: Vec<ApiKeyConfig>,
    /// `[oidc]`.
    pub oidc: Option<OidcConfig>,
    /// `[roofs]`: the roof suitability model's parameters.
    pub roofs: crate::roofs::RoofsConfig,
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The config cannot be used.
    Error,
    /// Usable, but probably not what was meant.
    Warning,
}

/// One finding of [`load`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Where: file, line and section entry.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s}: {}: {}", self.location, self.message)
    }
}

/// Every finding of a failed load.
#[derive(Debug, thiserror::Error)]
#[error("{} error(s) in configuration:\n{}", .0.iter().filter(|f| f.severity == Severity::Error).count(), .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<Finding>);

struct Collector<'a> {
    file: String,
    text: &'a str,
    findings: Vec<Finding>,
    contents: Option<ContentCheck>,
}

/// What a [`ContentCheck`] reads: a file the configuration names, whose format another module
/// owns (configuration imports no renderer and no authenticator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// An SLD/SE style (`styles/<name>.sld`); its images are in `dir`.
    Style,
    /// A JWKS document (`[oidc] jwks_file`).
    Jwks,
}

/// Checks the content of a file the configuration names, given its text and folder: the
/// problems found, each an error or a warning. The catalog supplies the real one
/// (`catalog::check_content`); without it only the configuration's own rules are checked.
pub type ContentCheck = fn(Content, &str, &Path) -> Vec<(Severity, String)>;

impl Collector<'_> {
    /// Location of the `index`-th `[[section]]` (or `[section]`) header, with its line.
    fn locate(&self, section: &str, index: Option<usize>, label: Option<&str>) -> String {
        let header = match index {
            Some(_) => format!("[[{section}]]"),
            None => format!("[{section}]"),
        };
        let line =
            self.text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with(&header)).nth(index.unwrap_or(0)).map(|(n, _)| n + 1);
        let mut loc = match line {
            Some(n) => format!("{}:{n} {header}", self.file),
            None => format!("{} {header}", self.file),
        };
        if let Some(i) = index {
            loc.push_str(&format!(" #{}", i + 1));
        }
        if let Some(l) = label {
            loc.push_str(&format!(" ({l})"));
        }
        loc
    }

    fn push(&mut self, severity: Severity, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity, location, message: message.into() });
    }

    fn error(&mut self, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Error, location, message: message.into() });
    }

    fn warning(&mut self, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Warning, location, message: message.into() });
    }

    /// Deserializes one section entry, recording unknown keys and type errors.
    fn entry<T: DeserializeOwned>(&mut self, section: &str, index: Option<usize>, value: toml::Value) -> Option<T> {
        let label = value.get("name").or_else(|| value.get("id")).and_then(|v| v.as_str()).map(str::to_string);
        let location = self.locate(section, index, label.as_deref());
        let mut unknown = Vec::new();
        let result: Result<T, _> = serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
        for key in unknown {
            self.error(location.clone(), format!("unknown key '{key}'"));
        }
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(location, e.to_string().trim().to_string());
                None
            }
        }
    }
}

/// Loads and validates `path` by the configuration's own rules; all errors come back
/// together. [`load_with`] also checks the files it names.
pub fn load(path: &Path) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    load_with(path, None)
}

/// Loads and validates `path`, checking the content of the style and JWKS files it names with
/// `contents`; all errors come back together.
pub fn load_with(path: &Path, contents: Option<ContentCheck>) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![Finding {
            severity: Severity::Error,
            location: path.display().to_string(),
            message: format!("cannot read: {e}"),
        }])
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base_dir = if base_dir.as_os_str().is_empty() { PathBuf::from(".") } else { base_dir };
    let (mut config, findings) = load_str_with(&text, &path.display().to_string(), &base_dir, contents)?;
    config.modified = modified_secs(path);
    Ok((config, findings))
}

/// When a file was last modified, in Unix seconds.
pub fn modified_secs(path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    modified.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Loads a configuration from text; `file` names it in messages, `base_dir` resolves paths.
pub fn load_str(text: &str, file: &str, base_dir: &Path) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    load_str_with(text, file, base_dir, None)
}

/// [`load_str`], checking named files with `contents` (see [`load_with`]).
pub fn load_str_with(
    text: &str,
    file: &str,
    base_dir: &Path,
    contents: Option<ContentCheck>,
) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    let mut c = Collector { file: file.to_string(), text, findings: Vec::new(), contents };
    let doc: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string().replace('\n', " ");
            return Err(ConfigErrors(vec![Finding {
                severity: Severity::Error,
                location: file.to_string(),
                message: format!("TOML syntax: {msg}"),
            }]));
        }
    };
    let mut server = ServerConfig::default();
    let mut sources = Vec::new();
    let mut groups = Vec::new();
    let mut layers = Vec::new();
    let mut tenants = None;
    let mut overrides = Vec::new();
    let mut roles = Vec::new();
    let mut api_keys = Vec::new();
    let mut oidc = None;
    let mut roofs = crate::roofs::RoofsConfig::default();
    for (key, value) in doc {
        match key.as_str() {
            "server" => server = c.entry("server", None, value).unwrap_or_default(),
            "oidc" => oidc = c.entry::<OidcConfig>("oidc", None, value),
            "roofs" => roofs = c.entry("roofs", None, value).unwrap_or_default(),
            "tenants" => tenants = c.entry::<TenantsConfig>("tenants", None, value),
            "source" | "group" | "layer" | "tenant" | "role" | "api_key" => {
                let Some(items) = value.as_array().cloned() else {
                    let loc = c.locate(&key, None, None);
                    c.error(loc, format!("'{key}' must be an array of tables: [[{key}]]"));
                    continue;
                };
                for (i, item) in items.into_iter().enumerate() {
                    match key.as_str() {
                        "source" => sources.extend(c.entry::<SourceConfig>("source", Some(i), item)),
                        "group" => groups.extend(c.entry::<GroupConfig>("group", Some(i), item)),
                        "layer" => layers.extend(c.entry::<LayerConfig>("layer", Some(i), item)),
                        "role" => roles.extend(c.entry::<RoleConfig>("role", Some(i), item)),
                        "api_key" => api_keys.extend(c.entry::<ApiKeyConfig>("api_key", Some(i), item)),
                        _ => overrides.extend(c.entry::<TenantOverride>("tenant", Some(i), item)),
                    }
                }
            }
            other => c.error(
                file.to_string(),
                format!("unknown section '{other}' (expected server, source, group, layer, tenants, tenant, role, api_key, oidc, roofs)"),
            ),
        }
    }
    let tenants = match tenants {
        Some(t) => t,
        None => {
            c.error(file.to_string(), "missing [tenants] section");
            TenantsConfig {
                comuni: default_comuni(),
                metro_id: default_metro_id(),
                metro_title: default_metro_title(),
                boundary_layer: None,
                groups: vec![],
                contact: Contact::default(),
            }
        }
    };
    let comuni_path = base_dir.join(&tenants.comuni);
    let comuni = match std::fs::read_to_string(&comuni_path) {
        Ok(t) => parse_comuni(&t).unwrap_or_else(|errs| {
            for e in errs {
                c.error(comuni_path.display().to_string(), e);
            }
            vec![]
        }),
        Err(e) => {
            let loc = c.locate("tenants", None, None);
            c.error(loc, format!("cannot read comuni table {}: {e}", comuni_path.display()));
            vec![]
        }
    };
    let config = Config {
        base_dir: base_dir.to_path_buf(),
        modified: None,
        server,
        sources,
        groups,
        layers,
        tenants,
        tenant_overrides: overrides,
        comuni,
        roles,
        api_keys,
        oidc,
        roofs,
    };
    validate(&config, &mut c);
    let findings = c.findings;
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Err(ConfigErrors(findings))
    } else {
        Ok((config, findings))
    }
}

/// An XML NCName of ASCII letters, digits, `_`, `-`, `.` not starting with a digit, `-` or `.`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

const GEOMETRY_TYPES: &[&str] = &["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Geometry"];

/// Roles name restricted layers and known tenants; keys are hashes and name known roles.
fn validate_auth(cfg: &Config, c: &mut Collector<'_>) {
    let role_names: Vec<&str> = cfg.roles.iter().map(|r| r.name.as_str()).collect();
    for (i, r) in cfg.roles.iter().enumerate() {
        let loc = c.locate("role", Some(i), Some(&r.name));
        if role_names.iter().filter(|n| **n == r.name).count() > 1 {
            c.error(loc.clone(), format!("role '{}' is defined more than once", r.name));
        }
        for l in &r.layers {
            match cfg.layers.iter().find(|x| x.name == *l) {
                None => c.error(loc.clone(), format!("role '{}' grants unknown layer '{l}'", r.name)),
                Some(x) if x.access == Access::Public => {
                    c.warning(loc.clone(), format!("role '{}' grants '{l}', which is public anyway", r.name))
                }
                Some(_) => {}
            }
        }
        for t in &r.tenants {
            let known = t == "*" || *t == cfg.tenants.metro_id || cfg.comuni.iter().any(|k| k.istat_code == *t || k.slug == *t);
            if !known {
                c.error(loc.clone(), format!("role '{}' names unknown tenant '{t}'", r.name));
            }
        }
    }
    for (i, k) in cfg.api_keys.iter().enumerate() {
        let loc = c.locate("api_key", Some(i), Some(&k.name));
        if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            c.error(loc.clone(), "sha256 must be 64 lower-case hex digits (printf %s KEY | sha256sum)");
        }
        for r in &k.roles {
            if !role_names.contains(&r.as_str()) {
                c.error(loc.clone(), format!("api_key '{}' names unknown role '{r}'", k.name));
            }
        }
    }
    if let Some(o) = &cfg.oidc {
        let loc = c.locate("oidc", None, None);
        match (&o.jwks_file, &o.jwks_url) {
            (Some(file), None) => {
                let path = cfg.base_dir.join(file);
                match std::fs::read_to_string(&path) {
                    Err(e) => c.error(loc, format!("jwks_file {}: {e}", path.display())),
                    Ok(text) => {
                        let dir = path.parent().unwrap_or(&cfg.base_dir).to_path_buf();
                        for (severity, problem) in c.contents.map(|check| check(Content::Jwks, &text, &dir)).unwrap_or_default() {
                            c.push(severity, loc.clone(), format!("jwks_file {}: {problem}", path.display()));
                        }
                    }
                }
            }
            (None, Some(url)) => {
                if !jwks_url_allowed(url) {
                    c.error(loc.clone(), "jwks_url must be https:// (plain http:// only to 127.0.0.1, localhost or ::1)");
                }
                if o.jwks_refresh_s < 10 && !url.starts_with("http://") {
                    c.error(loc, "jwks_refresh_s below 10 s would hammer the identity provider");
                }
            }
            _ => c.error(loc, "set exactly one of jwks_file and jwks_url"),
        }
    }
    if let Some(id) = &cfg.server.api_keys_source {
        let loc = c.locate("server", None, None);
        match cfg.sources.iter().find(|s| &s.id == id) {
            None => c.error(loc, format!("api_keys_source: no source '{id}'")),
            Some(s) if s.kind != SourceKind::Postgis => c.warning(
                loc,
                format!("api_keys_source: source '{id}' is not PostGIS here (keys live in a navigli_api_keys table): serve needs --source {id}=postgresql://…"),
            ),
            Some(_) => {}
        }
        if cfg.server.api_keys_refresh_s == 0 {
            let loc = c.locate("server", None, None);
            c.error(loc, "api_keys_refresh_s must be at least 1");
        }
    }
    let problems = cfg.roofs.problems();
    if !problems.is_empty() {
        let loc = c.locate("roofs", None, None);
        for p in problems {
            c.error(loc.clone(), format!("roofs: {p}"));
        }
    }
}

fn validate(cfg: &Config, c: &mut Collector<'_>) {
    let server_loc = c.locate("server", None, None);
    if cfg.server.bind.parse::<std::net::SocketAddr>().is_err() {
        c.error(server_loc.clone(), format!("bind '{}' is not an address like 127.0.0.1:8080", cfg.server.bind));
    }
    if let Some(u) = &cfg.server.public_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            c.error(server_loc.clone(), format!("public_url '{u}' must start with http:// or https://"));
        }
    }
    if cfg.server.max_features == 0 {
        c.error(server_loc, "max_features must be at least 1");
    }

    let mut source_ids = HashSet::new();
    for (i, s) in cfg.sources.iter().enumerate() {
        let loc = c.locate("source", Some(i), Some(&s.id));
        if !source_ids.insert(s.id.as_str()) {
            c.error(loc.clone(), format!("duplicate source id '{}'", s.id));
        }
        match s.kind {
            SourceKind::Gpkg => match &s.path {
                None => c.error(loc, "a gpkg source needs 'path'"),
                Some(p) if !cfg.base_dir.join(p).exists() => {
                    c.warning(loc, format!("{} does not exist yet (create it with `navigli demo`)", cfg.base_dir.join(p).display()))
                }
                Some(_) => {}
            },
            SourceKind::Postgis => {
                if s.url.is_none() && std::env::var_os("DATABASE_URL").is_none() {
                    c.error(loc, "a postgis source needs 'url' (or the DATABASE_URL environment variable)");
                }
            }
        }
    }

    let mut group_names = HashSet::new();
    for (i, g) in cfg.groups.iter().enumerate() {
        if !is_ncname(&g.name) || !group_names.insert(g.name.as_str()) {
            let loc = c.locate("group", Some(i), Some(&g.name));
            c.error(loc, format!("group name '{}' is duplicate or not a valid name", g.name));
        }
    }

    let mut layer_names = HashSet::new();
    for (i, l) in cfg.layers.iter().enumerate() {
        let loc = c.locate("layer", Some(i), Some(&l.name));
        if !is_ncname(&l.name) {
            c.error(loc.clone(), format!("layer name '{}' must be an XML name (letters, digits, _ - .)", l.name));
        }
        if !layer_names.insert(l.name.as_str()) {
            c.error(loc.clone(), format!("duplicate layer name '{}'", l.name));
        }
        if group_names.contains(l.name.as_str()) {
            c.error(loc.clone(), format!("layer name '{}' is also a group name", l.name));
        }
        if !group_names.contains(l.group.as_str()) {
            c.error(loc.clone(), format!("unknown group '{}'", l.group));
        }
        if !source_ids.contains(l.source.as_str()) {
            c.error(loc.clone(), format!("unknown source '{}'", l.source));
        }
        match (&l.table, &l.sql) {
            (Some(_), Some(_)) => c.error(loc.clone(), "give either 'table' or 'sql', not both"),
            (None, None) => c.error(loc.clone(), "give 'table' or 'sql'"),
            _ => {}
        }
        if Crs::parse(&l.crs).is_none() {
            c.error(
                loc.clone(),
                format!("unsupported crs '{}' (supported: {})", l.crs, Crs::all().map(|c| c.code()).collect::<Vec<_>>().join(", ")),
            );
        }
        if !GEOMETRY_TYPES.contains(&l.geometry_type.as_str()) {
            c.error(loc.clone(), format!("geometry_type '{}' is not one of {}", l.geometry_type, GEOMETRY_TYPES.join(", ")));
        }
        let mut attrs = HashSet::new();
        for a in &l.attributes {
            if !is_ncname(&a.name) || !attrs.insert(a.name.as_str()) {
                c.error(loc.clone(), format!("attribute '{}' is duplicate or not a valid name", a.name));
            }
            if a.name == l.geometry_column || a.name == l.id_column {
                c.error(loc.clone(), format!("attribute '{}' repeats the geometry or id column", a.name));
            }
        }
        if l.min_zoom > l.max_zoom || l.max_zoom > 24 {
            c.error(loc.clone(), format!("zoom range {}..{} must satisfy min ≤ max ≤ 24", l.min_zoom, l.max_zoom));
        }
        if let (Some(a), Some(b)) = (l.min_scale, l.max_scale) {
            if a >= b {
                c.error(loc.clone(), format!("min_scale {a} must be below max_scale {b}"));
            }
        }
        if let Some(style) = &l.style {
            let path = cfg.base_dir.join(&cfg.server.styles_dir).join(format!("{style}.sld"));
            match std::fs::read_to_string(&path) {
                Err(_) => c.error(loc.clone(), format!("style '{style}' has no file {}", path.display())),
                Ok(text) => {
                    let dir = cfg.base_dir.join(&cfg.server.styles_dir);
                    for (severity, problem) in c.contents.map(|check| check(Content::Style, &text, &dir)).unwrap_or_default() {
                        c.push(severity, loc.clone(), format!("style '{style}': {problem}"));
                    }
                }
            }
        }
    }

    validate_auth(cfg, c);

    let tenants_loc = c.locate("tenants", None, None);
    if let Some(clash) = cfg.comuni.iter().find(|k| k.slug == cfg.tenants.metro_id || k.istat_code == cfg.tenants.metro_id) {
        c.error(tenants_loc.clone(), format!("metro_id '{}' collides with the comune {}", cfg.tenants.metro_id, clash.name));
    }
    if !is_ncname(&cfg.tenants.metro_id) || cfg.tenants.metro_id.bytes().all(|b| b.is_ascii_digit()) {
        c.error(tenants_loc.clone(), format!("metro_id '{}' must be a name", cfg.tenants.metro_id));
    }
    for g in &cfg.tenants.groups {
        if !group_names.contains(g.as_str()) {
            c.error(tenants_loc.clone(), format!("unknown group '{g}'"));
        }
    }
    if let Some(b) = &cfg.tenants.boundary_layer {
        match cfg.layers.iter().find(|l| &l.name == b) {
            None => c.error(tenants_loc.clone(), format!("boundary_layer '{b}' is not a layer")),
            Some(l) => match &l.tenant_column {
                Some(tc) if l.attributes.iter().any(|a| &a.name == tc) => {}
                _ => c.error(
                    tenants_loc.clone(),
                    format!("boundary_layer '{b}' must have a tenant_column that is also one of its attributes"),
                ),
            },
        }
    }
    let mut overridden = HashSet::new();
    for (i, o) in cfg.tenant_overrides.iter().enumerate() {
        let loc = c.locate("tenant", Some(i), Some(&o.id));
        let known = o.id == cfg.tenants.metro_id || cfg.comuni.iter().any(|k| k.istat_code == o.id || k.slug == o.id);
        if !known && !cfg.comuni.is_empty() {
            c.error(loc.clone(), format!("'{}' is neither the metro id nor an ISTAT code or slug of the comuni table", o.id));
        }
        let key = cfg.comuni.iter().find(|k| k.slug == o.id).map(|k| k.istat_code.clone()).unwrap_or_else(|| o.id.clone());
        if !overridden.insert(key) {
            c.error(loc.clone(), format!("tenant '{}' is overridden twice", o.id));
        }
        for g in o.groups.iter().flatten() {
            if !group_names.contains(g.as_str()) {
                c.error(loc.clone(), format!("unknown group '{g}'"));
            }
        }
        for l in &o.extra_layers {
            match cfg.layers.iter().find(|x| &x.name == l) {
                None => c.error(loc.clone(), format!("unknown extra layer '{l}'")),
                Some(x) if !x.extra => c.warning(loc.clone(), format!("layer '{l}' is not marked extra = true; it is published anyway")),
                Some(_) => {}
            }
        }
    }
}

impl SourceConfig {
    /// The PostgreSQL URL to use: `DATABASE_URL` wins over the file.
    pub fn effective_url(&self) -> Option<String> {
        if self.url_from_cli {
            return self.url.clone();
        }
        std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()).or_else(|| self.url.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn shipped_config_is_valid() {
        let (cfg, findings) = load(&base().join("layers.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert!(findings.iter().all(|f| f.severity == Severity::Warning), "{findings:?}");
        assert_eq!(cfg.comuni.len(), 133);
        assert!(cfg.layers.iter().any(|l| l.name == "edifici"));
    }

    #[test]
    fn reports_every_error_with_its_location() {
        let text = r#"
[server]
bind = "nowhere"
colour = "blue"

[[source]]
id = "demo"
kind = "gpkg"
path = "data/demo.gpkg"

[[group]]
name = "sit"
title = "SIT"

[[layer]]
name = "comuni"
title = "Comuni"
group = "sit"
source = "demo"
table = "comuni"
geometry_type = "MultiPolygon"
crs = "EPSG:9999"

[[layer]]
name = "comuni"
title = "Again"
group = "nope"
source = "missing"
geometry_type = "Blob"
titel = "typo"
attributes = [{ name = "x", type = "complex" }]

[tenants]
groups = ["sit", "ghost"]

[[tenant]]
id = "atlantide"
"#;
        let errors = load_str(text, "test.toml", &base()).unwrap_err().0;
        let messages: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        let expect = [
            "bind 'nowhere'",
            "unknown key 'colour'",
            "unsupported crs 'EPSG:9999'",
            "unknown variant `complex`",
            "'atlantide' is neither",
            "unknown group 'ghost'",
        ];
        for e in expect {
            assert!(messages.iter().any(|m| m.contains(e)), "missing '{e}' in {messages:#?}");
        }
        assert!(messages.iter().any(|m| m.contains("test.toml:3 [server]") || m.contains("test.toml:2 [server]")), "{messages:#?}");
        assert!(messages.iter().any(|m| m.contains("[[tenant]] #1 (atlantide)")), "{messages:#?}");
    }

    #[test]
    fn second_layer_errors_are_all_reported() {
        let text = r#"
[[source]]
id = "demo"
kind = "gpkg"
path = "x.gpkg"
[[group]]
name = "sit"
title = "SIT"
[[layer]]
name = "a"
title = "A"
group = "nope"
source = "missing"
geometry_type = "Blob"
titel = "typo"
[tenants]
groups = ["sit"]
"#;
        let errors = load_str(text, "t.toml", &base()).unwrap_err().0;
        let messages: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        for e in
            ["unknown key 'titel'", "unknown group 'nope'", "unknown source 'missing'", "geometry_type 'Blob'", "give 'table' or 'sql'"]
        {
            assert!(messages.iter().any(|m| m.contains(e)), "missing '{e}' in {messages:#?}");
        }
        assert!(messages.iter().any(|m| m.starts_with("error: t.toml:9 [[layer]] #1 (a)")), "{messages:#?}");
    }
}
