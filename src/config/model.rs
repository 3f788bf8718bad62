//! The configuration model: every section of `layers.toml` as a typed struct with its
//! defaults, the whole [`Config`], and the findings loading reports.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::Comune;
use crate::model::AttributeType;

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
    /// Attribution shown by map clients (TileJSON); empty (the default): `© ` and the
    /// metropolitan title.
    pub attribution: String,
    /// Requests in progress at once (all workers); more wait in the queue.
    pub max_concurrent_requests: usize,
    /// Requests that may wait for a slot at once; more are answered 503 at once.
    pub max_queued_requests: usize,
    /// Longest a request waits in the queue before it is answered 503, milliseconds.
    pub queue_wait_ms: u64,
    /// Most of the `max_concurrent_requests` slots one tenant may hold at once (default: half):
    /// a flood on one comune's services leaves slots for the others.
    pub max_requests_per_tenant: Option<usize>,
    /// PostGIS source whose `navigli_api_keys` table holds API keys (besides `[[api_key]]`).
    pub api_keys_source: Option<String>,
    /// How often the database keys are re-read, seconds (revocations take effect within it).
    pub api_keys_refresh_s: u64,
    /// The capabilities' `updateSequence` (default: when the configuration, the comuni table
    /// or a style last changed, in Unix seconds). Set it when replicas must agree exactly.
    pub update_sequence: Option<u64>,
    /// PostGIS source whose `navigli_apps` tables keep the web map apps (migration V8);
    /// without it they live in the SQLite file `apps_db`.
    pub apps_source: Option<String>,
    /// The embedded app store, a SQLite file relative to the config file (created when missing).
    pub apps_db: PathBuf,
    /// Signs the builder's session cookies (HMAC-SHA256); the environment variable
    /// `NAVIGLI_SESSION_SECRET` overrides it. Unset: a random secret per process (sessions end
    /// with a restart and are not shared by replicas — set one secret for all of them).
    pub session_secret: Option<String>,
    /// How long a builder session lasts, seconds.
    pub session_ttl_s: u64,
    /// The XML namespace of the feature types (WFS, GML); empty (the default):
    /// `urn:navigli:` and the metropolitan id. Keep it stable: clients store it.
    pub namespace: String,
    /// The bundled web front end (`web/`, built by `scripts/web.sh`), relative to the config file.
    pub web_dir: PathBuf,
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
            attribution: String::new(),
            max_concurrent_requests: 256,
            max_queued_requests: 1024,
            queue_wait_ms: 2000,
            max_requests_per_tenant: None,
            api_keys_source: None,
            api_keys_refresh_s: 60,
            update_sequence: None,
            apps_source: None,
            apps_db: "data/apps.sqlite".into(),
            session_secret: None,
            session_ttl_s: 8 * 3600,
            namespace: String::new(),
            web_dir: "web/dist".into(),
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
    /// A remote OGC API – Features service (another navigli, pygeoapi, GeoServer…): its
    /// collections are layers (`table` = the collection id), read over HTTP.
    Ogcapi,
}

/// `[[source]]`: where layers read their data.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SourceConfig {
    /// Identifier layers refer to.
    pub id: String,
    /// `gpkg`, `postgis` or `ogcapi`.
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
    /// PostGIS read replicas (streaming standbys of `url`): reads go to the healthy ones,
    /// writes and change notifications to `url`. `NAVIGLI_REPLICAS_<ID>` (comma list) overrides.
    #[serde(default)]
    pub replicas: Vec<String>,
    /// A replica further behind than this (seconds) serves no reads until it catches up.
    #[serde(default = "default_max_replica_lag")]
    pub max_replica_lag_s: u64,
    /// Remote sources (`ogcapi`): the longest one HTTP request to the remote may take,
    /// milliseconds; a slower remote fails that request (the other layers are not held up).
    #[serde(default = "default_remote_timeout")]
    pub timeout_ms: u64,
    /// Remote sources: features asked per page.
    #[serde(default = "default_page_size")]
    pub page_size: u64,
    /// Remote sources: after this many failures in a row the remote is not asked again for
    /// `retry_after_s` seconds (its layers answer 503 at once), then tried again.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// Remote sources: how long an open circuit stays open, seconds.
    #[serde(default = "default_retry_after")]
    pub retry_after_s: u64,
    /// Remote sources: the environment variable whose value is sent as the `Authorization`
    /// header to this remote (and only to it: never to another origin, never logged, never in
    /// a response). The credential itself is not written in `layers.toml`.
    pub authorization_env: Option<String>,
}

fn default_remote_timeout() -> u64 {
    5_000
}
fn default_page_size() -> u64 {
    500
}
fn default_breaker_failures() -> u32 {
    3
}
fn default_retry_after() -> u64 {
    30
}

fn default_max_replica_lag() -> u64 {
    30
}

impl SourceConfig {
    /// The replica URLs to use: `NAVIGLI_REPLICAS_<ID>` (comma list, upper-case id) wins over
    /// the file.
    pub fn effective_replicas(&self) -> Vec<String> {
        let var = format!("NAVIGLI_REPLICAS_{}", self.id.to_ascii_uppercase().replace('-', "_"));
        match std::env::var(var) {
            Ok(list) => list.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect(),
            Err(_) => self.replicas.clone(),
        }
    }
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
    /// What vector tiles of low zooms keep (like a tile generator's zoom filters): at zoom `z`
    /// the first rule with `z < below_zoom` filters the features (CQL2 text over the layer's
    /// attributes), e.g. only the main roads below zoom 13. Tiles of zooms no rule covers have
    /// every feature.
    #[serde(default)]
    pub tile_filters: Vec<TileFilter>,
    /// `public` or `restricted`.
    #[serde(default)]
    pub access: Access,
    /// GetFeatureInfo allowed.
    #[serde(default = "default_true")]
    pub queryable: bool,
    /// Only tenants that list it in `extra_layers` publish it.
    #[serde(default)]
    pub extra: bool,
    /// The catalog record's extra fields (`[layer.metadata]`).
    #[serde(default)]
    pub metadata: LayerMetadata,
    /// Features may be created, changed and deleted (WFS-T, OGC API – Features Part 4) by
    /// callers whose roles grant it (`[[role]] edit`). Needs a `table`.
    #[serde(default)]
    pub editable: bool,
}

/// One rule of `tile_filters`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TileFilter {
    /// The rule holds for tiles of zooms below this one.
    pub below_zoom: u8,
    /// CQL2 text the features of those tiles must match.
    pub filter: String,
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
    /// Id of the metropolitan tenant (`cmm`, `torino`…): the service of the whole area.
    pub metro_id: String,
    /// Title of the metropolitan tenant (`Città Metropolitana di Milano`): the organisation
    /// every capabilities document, attribution and catalog record names by default.
    pub metro_title: String,
    /// Layer whose features give each comune's boundary (must expose its tenant column).
    pub boundary_layer: Option<String>,
    /// Groups every tenant publishes unless overridden.
    pub groups: Vec<String>,
    /// Default contact.
    #[serde(default)]
    pub contact: Contact,
}

pub(super) fn default_comuni() -> PathBuf {
    "data/comuni.csv".into()
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
    #[serde(default)]
    pub layers: Vec<String>,
    /// Editable layers whose features the role may create, change and delete (in its tenants;
    /// a comune's features only through that comune's service). Editing a restricted layer
    /// also lets the role see it.
    #[serde(default)]
    pub edit: Vec<String>,
    /// The role composes, publishes and deletes the web map apps of its tenants (the builder,
    /// `/{tenant}/admin/apps`).
    #[serde(default)]
    pub apps: bool,
    /// Tenants where it grants them: ids (`cmm`, ISTAT codes) or slugs; `*` for all.
    pub tenants: Vec<String>,
}

/// `[[tile_archive]]`: a static tile archive (PMTiles v3 or MBTiles, e.g. from `navigli
/// export`) served as a tile source, beside the live layers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TileArchiveConfig {
    /// Tile source name (`/{tenant}/tiles/{name}/…`): not a layer's or a group's.
    pub name: String,
    /// The archive file (relative to the config file); its format is read from its first bytes.
    pub path: PathBuf,
    /// Title for the tile index and TileJSON.
    #[serde(default)]
    pub title: Option<String>,
    /// Tenants that offer it (ids, slugs, `*`); archives hold public layers only.
    #[serde(default = "default_archive_tenants")]
    pub tenants: Vec<String>,
}

fn default_archive_tenants() -> Vec<String> {
    vec!["*".into()]
}

/// What a place search result is: decides its rank among equal matches and how a map shows it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SearchKind {
    /// A comune.
    Comune,
    /// A street (features with the same label in one comune are one result).
    Strada,
    /// A house number.
    Civico,
    /// A named service or place.
    Servizio,
}

impl SearchKind {
    /// The name used in configuration and in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Comune => "comune",
            SearchKind::Strada => "strada",
            SearchKind::Civico => "civico",
            SearchKind::Servizio => "servizio",
        }
    }
}

/// `[[search]]`: a layer whose features the place search (`/{tenant}/search`) finds.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// The layer.
    pub layer: String,
    /// What its features are.
    pub kind: SearchKind,
    /// The text shown and searched: attribute names in braces, e.g. `"{odonimo} {civico}{esponente}"`
    /// (the layer's listed attributes only; a null value is empty).
    pub label: String,
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
    /// Operators' log-in to the builder through this provider (`[oidc.login]`).
    #[serde(default)]
    pub login: Option<OidcLoginConfig>,
}

/// `[oidc.login]`: the builder's log-in through the provider, by the authorization code flow
/// with PKCE (S256) — what SPID/CIE brokers offer. The redirect URI to register with the
/// provider is `{public_url}/auth/oidc/callback`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcLoginConfig {
    /// Where browsers are sent to log in (`https://…`; `http://` only to this machine).
    pub authorization_endpoint: String,
    /// Where the server exchanges the code for tokens (same rule).
    pub token_endpoint: String,
    /// This server's client id at the provider (the ID token's `aud`).
    pub client_id: String,
    /// The client secret, when the provider wants one (`client_secret_post`); the environment
    /// variable `NAVIGLI_OIDC_CLIENT_SECRET` overrides it.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The log-in button's text.
    #[serde(default = "default_login_label")]
    pub label: String,
    /// Scopes asked for (`openid` is always among them).
    #[serde(default = "default_scopes")]
    pub scopes: String,
}

fn default_login_label() -> String {
    "SPID / CIE".into()
}
fn default_scopes() -> String {
    "openid profile".into()
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
    /// `[[tile_archive]]`.
    pub tile_archives: Vec<TileArchiveConfig>,
    /// `[[search]]`.
    pub search: Vec<SearchConfig>,
    /// `[metadata]`: the catalog's defaults for every record.
    pub metadata: MetadataDefaults,
}

/// `[metadata]`: what every catalog record (CSW, RNDT) shares unless a layer says otherwise.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetadataDefaults {
    /// The administration's code in the iPA index (`c_f205` for Milano's Città Metropolitana):
    /// RNDT identifiers are `ipa:identifier`.
    pub ipa_code: Option<String>,
    /// Licence of the data (`CC-BY 4.0`, `IODL 2.0`).
    pub licence: String,
    /// Metadata and data language (ISO 639-2/B): `ita`.
    pub language: String,
    /// Responsible party (default: `[tenants] contact`, organisation `metro_title`).
    pub responsible: Option<Contact>,
    /// The date of the metadata (`YYYY-MM-DD`; default: the day of the catalog's update sequence).
    pub date: Option<String>,
}

impl Default for MetadataDefaults {
    fn default() -> Self {
        MetadataDefaults { ipa_code: None, licence: "CC-BY 4.0".into(), language: "ita".into(), responsible: None, date: None }
    }
}

/// `[layer.metadata]`: a layer's catalog record beyond its title, abstract and keywords.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LayerMetadata {
    /// INSPIRE theme (its English name in the INSPIRE registry: `Administrative units`, `Buildings`…).
    pub inspire_theme: Option<String>,
    /// ISO 19115 topic category (`boundaries`, `structure`, `transportation`, `inlandWaters`,
    /// `planningCadastre`, `environment`, `society`, `utilitiesCommunication`…).
    pub topic_category: Option<String>,
    /// How the data came to be.
    pub lineage: Option<String>,
    /// Creation date (`YYYY-MM-DD`).
    pub created: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Last revision date.
    pub revised: Option<String>,
    /// Licence (default: `[metadata] licence`).
    pub licence: Option<String>,
    /// Responsible party (default: `[metadata] responsible`).
    pub responsible: Option<Contact>,
    /// Scale denominator of the source (`10000` for a 1:10,000 DBT).
    pub denominator: Option<u32>,
    /// Ground resolution, metres.
    pub resolution_m: Option<f64>,
    /// ISO MD_MaintenanceFrequencyCode (`continual`, `daily`, `weekly`, `monthly`, `annually`,
    /// `asNeeded`, `irregular`, `notPlanned`, `unknown`).
    pub update_frequency: Option<String>,
}
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

impl SourceConfig {
    /// The PostgreSQL URL to use: `DATABASE_URL` wins over the file.
    pub fn effective_url(&self) -> Option<String> {
        if self.url_from_cli || self.kind == SourceKind::Ogcapi {
            return self.url.clone();
        }
        std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()).or_else(|| self.url.clone())
    }
}

/// One piece of a `[[search]] label` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelPart {
    /// Text kept as written.
    Text(String),
    /// An attribute's value.
    Field(String),
}

/// Splits a label template (`"{odonimo} {civico}{esponente}"`) into text and attribute names.
pub fn label_parts(template: &str) -> Result<Vec<LabelPart>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a '}' without its '{'".into());
        }
        if open > 0 {
            parts.push(LabelPart::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("a '{' without its '}'")?;
        let name = after[..close].trim();
        if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Err(format!("'{{{name}}}' is not an attribute name"));
        }
        parts.push(LabelPart::Field(name.to_string()));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(LabelPart::Text(rest.to_string()));
    }
    if !parts.iter().any(|p| matches!(p, LabelPart::Field(_))) {
        return Err("names no attribute".into());
    }
    Ok(parts)
}

/// The attribute names of a label template.
pub fn label_fields(template: &str) -> Result<Vec<String>, String> {
    Ok(label_parts(template)?
        .into_iter()
        .filter_map(|p| match p {
            LabelPart::Field(f) => Some(f),
            LabelPart::Text(_) => None,
        })
        .collect())
}
