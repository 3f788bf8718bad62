//! The runtime catalog: sources opened, layers bound to them, and the tenants (the
//! metropolitan area plus the 133 comuni) with their groups, layers and extents. Built once at
//! start-up from the validated configuration; read-only afterwards.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

pub use crate::auth::{Caller, Grant};
use crate::config::{Access, Comune, Config, Contact, GroupConfig, LayerConfig, ServerConfig, SourceConfig, SourceKind};
use crate::crs::{Bbox, Crs};
use crate::filter::GeometryLiteral;
use crate::source::gpkg::GpkgSource;
use crate::source::postgis::{PostgisOptions, PostgisSource};
use crate::source::{Attribute, FeatureQuery, FeatureSource, Relation, SourceError, SourceLayer, TenantScope};

/// Checks the content of a file the configuration names (see [`crate::config::ContentCheck`]):
/// styles parse and their images load (what is not rendered is a warning); JWKS documents
/// parse.
pub fn check_content(kind: crate::config::Content, text: &str, dir: &std::path::Path) -> Vec<(crate::config::Severity, String)> {
    use crate::config::{Content, Severity};
    match kind {
        Content::Jwks => crate::auth::parse_jwks(text).err().map(|e| (Severity::Error, e)).into_iter().collect(),
        Content::Style => match crate::render::sld::parse_sld(text) {
            Err(e) => vec![(Severity::Error, e.to_string())],
            Ok(report) => {
                let mut out: Vec<(Severity, String)> =
                    report.unsupported.iter().map(|item| (Severity::Warning, format!("not rendered: {item}"))).collect();
                for mut style in report.styles {
                    out.extend(crate::render::map::load_graphics(&mut style, dir).into_iter().map(|p| (Severity::Error, p.to_string())));
                }
                out
            }
        },
    }
}

/// Loads `layers.toml` with every check: the configuration's own rules and the content of the
/// style and JWKS files it names ([`check_content`]).
pub fn load_config(path: &std::path::Path) -> Result<(Config, Vec<crate::config::Finding>), crate::config::ConfigErrors> {
    crate::config::load_with(path, Some(check_content))
}

/// How a server's catalog is made, kept so that a reload makes it again the same way: the
/// configuration file, the `--source` overrides and the address the server listens on (the
/// service URLs carry it).
#[derive(Clone, Debug)]
pub struct CatalogSpec {
    /// `layers.toml`.
    pub config: std::path::PathBuf,
    /// `--source id=URL` overrides, applied in order.
    pub sources: Vec<String>,
    /// The bound address (`server.bind`).
    pub bind: Option<String>,
}

impl CatalogSpec {
    /// Reads, overrides and validates the configuration; every problem is in the error text.
    pub fn config(&self) -> Result<Config, String> {
        let (mut cfg, findings) = load_config(&self.config).map_err(|e| e.to_string())?;
        for f in findings {
            tracing::warn!("{}: {f}", self.config.display());
        }
        for spec in &self.sources {
            apply_source_override(&mut cfg, spec).map_err(|e| e.to_string())?;
        }
        if let Some(b) = &self.bind {
            cfg.server.bind = b.clone();
        }
        Ok(cfg)
    }

    /// The configuration's catalog, built (sources opened and checked).
    pub async fn build(&self) -> Result<Catalog, String> {
        let cfg = self.config()?;
        Catalog::build(&cfg).await.map_err(|e| e.to_string())
    }
}

/// A published layer bound to its source.
#[derive(Debug)]
pub struct Layer {
    /// Its configuration.
    pub config: LayerConfig,
    /// What the backend needs to query it.
    pub schema: Arc<SourceLayer>,
    /// The source it reads from.
    pub source: Arc<dyn FeatureSource>,
    /// Feature counts of recent queries (see [`CountCache`]).
    pub counts: CountCache,
    /// The layer's extent in WGS 84 lon/lat, when last read (see [`Layer::extent_lonlat`]).
    pub extent: std::sync::Mutex<Option<(std::time::Instant, Bbox)>>,
    /// `tile_filters`, parsed: (below this zoom, the filter), lowest zoom first.
    pub tile_filters: Vec<(u8, crate::filter::Filter)>,
}

/// A layer's `tile_filters` parsed as CQL2 text against its attributes, each checked by the
/// allow-list as a query would be; lowest zoom first.
fn tile_filters(config: &LayerConfig, schema: &SourceLayer) -> Result<Vec<(u8, crate::filter::Filter)>, CatalogError> {
    use crate::filter::cql2::{parse, Cql2Context, Cql2Lang};
    let attributes: Vec<(String, crate::source::AttributeType)> = schema.attributes.iter().map(|a| (a.name.clone(), a.kind)).collect();
    let ctx = Cql2Context { geometry: &config.geometry_column, attributes: &attributes, crs: Crs::CRS84 };
    let mut out = Vec::new();
    for (i, rule) in config.tile_filters.iter().enumerate() {
        let bad = |e: String| CatalogError::TileFilter(format!("layer {}: tile_filters[{i}] ({}): {e}", config.name, rule.filter));
        let filter = parse(&rule.filter, Cql2Lang::Text, &ctx).map_err(|e| bad(e.to_string()))?;
        FeatureQuery { filter: Some(filter.clone()), ..Default::default() }.resolve(schema, 1).map_err(|e| bad(e.to_string()))?;
        out.push((rule.below_zoom, filter));
    }
    out.sort_by_key(|(z, _)| *z);
    Ok(out)
}

impl Layer {
    /// The filter of the layer's vector tiles at zoom `z` (`tile_filters`), if any.
    pub fn tile_filter(&self, z: u8) -> Option<&crate::filter::Filter> {
        self.tile_filters.iter().find(|(below, _)| z < *below).map(|(_, f)| f)
    }
}

impl Layer {
    /// How long a read extent is reused (edits may grow it; a catalog record may lag this much).
    const EXTENT_TTL: Duration = Duration::from_secs(600);

    /// The layer's extent in WGS 84 lon/lat (the source asked at most every ten minutes, for at
    /// most three seconds); `None` when empty or unreadable now (a failure is not remembered).
    pub async fn extent_lonlat(&self) -> Option<Bbox> {
        if let Some((at, b)) = *self.extent.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < Self::EXTENT_TTL {
                return Some(b);
            }
        }
        let native = tokio::time::timeout(Duration::from_secs(3), self.source.extent(self.schema.clone())).await.ok()?.ok()??;
        let b = crate::crs::transform_bbox(self.schema.crs, Crs::CRS84, &native).ok()?;
        *self.extent.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), b));
        Some(b)
    }
}

/// Counts of a layer's recent queries (by their resolved predicate), so that a client paging
/// through a filter (GDAL, QGIS, an HTML pager) does not have the whole selection counted
/// again for every page. Emptied when the source reports a change of the layer's table (the
/// tile cache's invalidation feed, `tiles::watch`), and entries expire after a minute anyway.
///
/// Keys are SHA-256 digests of the query's predicate; at most two counts of a layer run in the
/// background at once (see [`CountCache::background`]).
#[derive(Debug, Clone)]
pub struct CountCache(moka::future::Cache<[u8; 32], u64>, Arc<tokio::sync::Semaphore>);

impl Default for CountCache {
    fn default() -> Self {
        CountCache(
            moka::future::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(60)).build(),
            Arc::new(tokio::sync::Semaphore::new(2)),
        )
    }
}

impl CountCache {
    /// The key of a query's predicate text.
    pub fn key(predicate: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(predicate.as_bytes()).into()
    }

    /// The count of a query, by its key.
    pub async fn get(&self, key: &[u8; 32]) -> Option<u64> {
        self.0.get(key).await
    }

    /// Remembers a count.
    pub async fn insert(&self, key: [u8; 32], count: u64) {
        self.0.insert(key, count).await;
    }

    /// A slot to count in (`None` when two counts of the layer already run: the answer then
    /// goes without `numberMatched` rather than queue more work on the source).
    pub fn background(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.1.clone().try_acquire_owned().ok()
    }

    /// Forgets every count (the data changed).
    pub fn clear(&self) {
        self.0.invalidate_all();
    }
}

impl Layer {
    /// Public name.
    pub fn name(&self) -> &str {
        &self.config.name
    }
}

/// What kind of tenant.
#[derive(Clone, Debug, PartialEq)]
pub enum TenantKind {
    /// The whole metropolitan area.
    Metro,
    /// One comune.
    Comune(Comune),
}

/// A virtual service: its own title, contact, layers and extent.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// `cmm` or the ISTAT code.
    pub id: String,
    /// URL alias (comuni only).
    pub slug: Option<String>,
    /// Service title.
    pub title: String,
    /// Contact.
    pub contact: Contact,
    /// Metro or comune.
    pub kind: TenantKind,
    /// Published groups.
    pub groups: Vec<String>,
    /// Indexes into [`Catalog::layers`] (all access levels).
    pub layer_indexes: Vec<usize>,
    /// Extent in WGS84 lon/lat.
    pub extent_lonlat: Bbox,
    /// The extent is an estimate (boundary layer unavailable at start-up).
    pub extent_estimated: bool,
    /// The comune's boundary, when the boundary layer had it.
    pub boundary: Option<Arc<GeometryLiteral>>,
}

impl Tenant {
    /// The key of the tenant in URLs: the slug of a comune (`milano`), else the id (`cmm`).
    pub fn url_key(&self) -> &str {
        self.slug.as_deref().unwrap_or(&self.id)
    }

    /// The restriction to apply to queries (none for the metropolitan tenant).
    pub fn scope(&self) -> Option<TenantScope> {
        match &self.kind {
            TenantKind::Metro => None,
            TenantKind::Comune(c) => {
                Some(TenantScope { istat_code: c.istat_code.clone(), extent_lonlat: self.extent_lonlat, boundary: self.boundary.clone() })
            }
        }
    }
}

impl Layer {
    /// Whether `caller` may see this layer of `tenant` at all (listing, maps, features, tiles):
    /// the one authorisation check of every protocol. Public layers are seen by everyone;
    /// restricted ones only by callers whose grants cover this layer in this tenant.
    pub fn visible_to(&self, caller: &Caller, tenant: &Tenant) -> bool {
        match self.config.access {
            Access::Public => true,
            Access::Restricted => caller.granted(&self.config.name, &tenant.id, tenant.slug.as_deref()),
        }
    }
}

/// Why the catalog refuses a caller something that exists (the HTTP layer answers 403).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// Valid credentials whose grants do not cover it.
    #[error("{0}")]
    Forbidden(String),
}

/// The resolved runtime catalog.
#[derive(Debug)]
pub struct Catalog {
    /// Server settings.
    pub server: ServerConfig,
    /// Groups (themes) in config order.
    pub groups: Vec<GroupConfig>,
    /// Layers in config order.
    pub layers: Vec<Arc<Layer>>,
    /// Tenants: the metropolitan one first, then the comuni by ISTAT code.
    pub tenants: Vec<Tenant>,
    /// Distinct sources.
    pub sources: Vec<Arc<dyn FeatureSource>>,
    /// Parsed styles by name (`styles/<name>.sld`).
    pub styles: HashMap<String, Arc<crate::render::style::Style>>,
    /// The styles folder (SLD files and the images they name).
    pub styles_dir: std::path::PathBuf,
    /// Checks credentials (API keys, bearer tokens).
    pub auth: Arc<crate::auth::Authenticator>,
    /// The roof suitability model (`[roofs]`).
    pub roofs: Arc<crate::roofs::Roofs>,
    /// The capabilities' `updateSequence`: see [`update_sequence`].
    pub update_sequence: u64,
    /// Static tile archives served as tile sources (`[[tile_archive]]`, paths resolved).
    pub tile_archives: Vec<crate::config::TileArchiveConfig>,
    /// The place search's layers (`[[search]]`).
    pub search: Vec<crate::config::SearchConfig>,
    /// The administration the deployment serves (`[tenants] metro_title`): named by default as
    /// the organisation of every service.
    pub organisation: String,
    /// The catalog records' defaults (`[metadata]`).
    pub metadata: crate::config::MetadataDefaults,
    keys: HashMap<String, usize>,
}

/// The capabilities' `updateSequence`: `server.update_sequence` when set, else when the
/// configuration, the comuni table or a file of the styles folder last changed (Unix seconds).
/// Capabilities change only with those, so the value only grows while they are edited.
pub fn update_sequence(config: &Config) -> u64 {
    if let Some(n) = config.server.update_sequence {
        return n;
    }
    let styles = config.base_dir.join(&config.server.styles_dir);
    let style_files = std::fs::read_dir(&styles).into_iter().flatten().filter_map(|e| e.ok()).map(|e| e.path());
    let newest = std::iter::once(config.base_dir.join(&config.tenants.comuni))
        .chain(style_files)
        .filter_map(|p| crate::config::modified_secs(&p))
        .chain(config.modified)
        .max();
    newest.unwrap_or(1)
}

/// Start-up failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A source could not be opened.
    #[error("source {id}: {error}")]
    Source {
        /// Source id.
        id: String,
        /// Why.
        #[source]
        error: SourceError,
    },
    /// Bad `--source` override.
    #[error("{0}")]
    Override(String),
    /// A style file cannot be read or parsed.
    #[error("style {0}")]
    Style(String),
    /// A layer's table does not match its configuration.
    #[error("{0}")]
    Layer(SourceError),
    /// The authentication settings cannot be used.
    #[error("authentication: {0}")]
    Auth(String),
    /// A layer's `tile_filters` rule is not a filter over its attributes.
    #[error("{0}")]
    TileFilter(String),
}

/// Replaces a source by a PostGIS one: `id=postgresql://…` (from `navigli serve --source`).
pub fn apply_source_override(config: &mut Config, spec: &str) -> Result<(), CatalogError> {
    let (id, url) = spec.split_once('=').ok_or_else(|| CatalogError::Override(format!("--source expects ID=URL, got '{spec}'")))?;
    let source = config
        .sources
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| CatalogError::Override(format!("--source: no source '{id}' in the configuration")))?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        source.kind = SourceKind::Postgis;
        source.url = Some(url.to_string());
        source.url_from_cli = true;
    } else {
        source.kind = SourceKind::Gpkg;
        source.path = Some(url.into());
    }
    Ok(())
}

fn open_source(config: &Config, s: &SourceConfig) -> Result<Arc<dyn FeatureSource>, CatalogError> {
    let err = |error| CatalogError::Source { id: s.id.clone(), error };
    Ok(match s.kind {
        SourceKind::Gpkg => {
            let path = config.base_dir.join(s.path.as_deref().unwrap_or_else(|| std::path::Path::new("")));
            if !path.exists() {
                return Err(err(SourceError::Unavailable {
                    source_id: s.id.clone(),
                    message: format!("{} does not exist (run `navigli demo` or `make run`)", path.display()),
                }));
            }
            Arc::new(GpkgSource::open(&s.id, &path, s.pool_size).map_err(err)?)
        }
        SourceKind::Postgis => {
            let options = PostgisOptions {
                url: s.effective_url().unwrap_or_default(),
                pool_size: s.pool_size,
                statement_timeout: Duration::from_millis(s.statement_timeout_ms),
                connect_timeout: Duration::from_secs(5),
                replicas: s.effective_replicas(),
                max_replica_lag: Duration::from_secs(s.max_replica_lag_s),
            };
            Arc::new(PostgisSource::new(&s.id, &options).map_err(err)?)
        }
        SourceKind::Ogcapi => {
            let options = crate::source::remote::RemoteOptions {
                url: s.url.clone().unwrap_or_default(),
                timeout: Duration::from_millis(s.timeout_ms),
                page_size: s.page_size,
                breaker_failures: s.breaker_failures.max(1),
                retry_after: Duration::from_secs(s.retry_after_s),
                authorization: s.authorization_env.as_ref().and_then(|v| std::env::var(v).ok()).filter(|v| !v.is_empty()),
            };
            Arc::new(crate::source::remote::OgcApiSource::new(&s.id, options))
        }
    })
}

/// The backend view of a layer configuration.
pub fn source_layer(l: &LayerConfig) -> SourceLayer {
    SourceLayer {
        name: l.name.clone(),
        relation: match (&l.table, &l.sql) {
            (Some(t), _) => Relation::Table(t.clone()),
            (None, Some(s)) => Relation::Sql(s.clone()),
            (None, None) => Relation::Table(l.name.clone()),
        },
        geometry_column: l.geometry_column.clone(),
        id_column: l.id_column.clone(),
        crs: Crs::parse(&l.crs).map(|c| c.0).unwrap_or(Crs::UTM32N),
        attributes: l.attributes.iter().map(|a| Attribute { name: a.name.clone(), kind: a.kind }).collect(),
        tenant_column: l.tenant_column.clone(),
    }
}

/// Estimated extent of a comune from its centroid and area (a square of twice its area).
fn estimated_extent(c: &Comune) -> Bbox {
    let half_km = (c.area_km2.max(1.0) * 2.0).sqrt() / 2.0;
    let dlat = half_km / 111.2;
    let dlon = half_km / (111.2 * c.centroid_lat.to_radians().cos());
    Bbox { min_x: c.centroid_lon - dlon, min_y: c.centroid_lat - dlat, max_x: c.centroid_lon + dlon, max_y: c.centroid_lat + dlat }
}

/// Parses `styles/<name>.sld` for every style a layer names.
fn load_styles(config: &Config) -> Result<HashMap<String, Arc<crate::render::style::Style>>, CatalogError> {
    let mut styles = HashMap::new();
    for name in config.layers.iter().filter_map(|l| l.style.as_ref()) {
        if styles.contains_key(name) {
            continue;
        }
        let path = config.base_dir.join(&config.server.styles_dir).join(format!("{name}.sld"));
        let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::Style(format!("{}: {e}", path.display())))?;
        let report = crate::render::sld::parse_sld(&text).map_err(|e| CatalogError::Style(format!("{}: {e}", path.display())))?;
        for item in &report.unsupported {
            tracing::warn!("style {name}: not rendered: {item}");
        }
        let mut style = report
            .styles
            .iter()
            .find(|s| s.name == *name)
            .or(report.styles.first())
            .cloned()
            .ok_or_else(|| CatalogError::Style(format!("{}: no UserStyle", path.display())))?;
        let dir = config.base_dir.join(&config.server.styles_dir);
        if let Some(problem) = crate::render::map::load_graphics(&mut style, &dir).into_iter().next() {
            return Err(CatalogError::Style(format!("{}: {problem}", path.display())));
        }
        styles.insert(name.clone(), Arc::new(style));
    }
    Ok(styles)
}

/// A comune's boundary as read from the boundary layer.
struct Boundary {
    extent_lonlat: Bbox,
    geometry: Arc<GeometryLiteral>,
}

/// Reads each comune's boundary (native CRS) and extent (lon/lat) from the boundary layer.
async fn read_boundaries(layer: &Layer) -> Result<HashMap<String, Boundary>, String> {
    use geozero::ToGeo;
    let column = layer.schema.tenant_column.clone().ok_or("boundary layer has no tenant_column")?;
    let query = FeatureQuery { properties: Some(vec![column]), ..Default::default() };
    let resolved = query.resolve(&layer.schema, u64::MAX).map_err(|e| e.to_string())?;
    let mut stream = layer.source.query(layer.schema.clone(), resolved).await.map_err(|e| e.to_string())?;
    let mut parts: BTreeMap<String, Vec<geo::Polygon<f64>>> = BTreeMap::new();
    while let Some(feature) = stream.next().await {
        let feature = feature.map_err(|e| e.to_string())?;
        let (Some(wkb), Some(code)) = (feature.wkb, feature.values.first()) else { continue };
        let polygons = parts.entry(code.to_string()).or_default();
        match geozero::wkb::Wkb(wkb).to_geo().map_err(|e| e.to_string())? {
            geo::Geometry::Polygon(p) => polygons.push(p),
            geo::Geometry::MultiPolygon(mp) => polygons.extend(mp.0),
            _ => return Err(format!("boundary of {code} is not a polygon")),
        }
    }
    let crs = layer.schema.crs;
    let mut out = HashMap::new();
    for (code, polygons) in parts {
        let geometry = geo::Geometry::MultiPolygon(geo::MultiPolygon(polygons));
        let Some(native) = Bbox::of_geometry(&geometry) else { continue };
        let extent_lonlat = crate::crs::transform_bbox(crs, Crs::CRS84, &native).map_err(|e| e.to_string())?;
        out.insert(code, Boundary { extent_lonlat, geometry: Arc::new(GeometryLiteral { geometry, crs }) });
    }
    Ok(out)
}

impl Catalog {
    /// Opens the sources and resolves layers and tenants. A boundary layer that cannot be
    /// read leaves estimated comune extents (logged), so the server can start while a
    /// database is still coming up.
    pub async fn build(config: &Config) -> Result<Catalog, CatalogError> {
        let mut sources: BTreeMap<String, Arc<dyn FeatureSource>> = BTreeMap::new();
        for s in &config.sources {
            if config.layers.iter().any(|l| l.source == s.id) {
                sources.insert(s.id.clone(), open_source(config, s)?);
            }
        }
        let layers: Vec<Arc<Layer>> = config
            .layers
            .iter()
            .map(|l| {
                let schema = source_layer(l);
                Ok(Arc::new(Layer {
                    config: l.clone(),
                    tile_filters: tile_filters(l, &schema)?,
                    schema: Arc::new(schema),
                    source: sources[&l.source].clone(),
                    counts: CountCache::default(),
                    extent: std::sync::Mutex::new(None),
                }))
            })
            .collect::<Result<_, CatalogError>>()?;

        // Fail fast on a layer whose table or columns do not match the configuration; a source
        // that is not reachable yet is only logged (see /ready).
        for layer in &layers {
            match layer.source.check_layer(layer.schema.clone()).await {
                Ok(()) => {}
                Err(e @ SourceError::Schema { .. }) => return Err(CatalogError::Layer(e)),
                Err(e) => tracing::warn!("layer {} not checked: {e}", layer.name()),
            }
        }

        let mut extents = match config.tenants.boundary_layer.as_ref().and_then(|b| layers.iter().find(|l| l.name() == b.as_str())) {
            Some(layer) => match read_boundaries(layer).await {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("boundary layer {} unreadable, using estimated comune extents: {e}", layer.name());
                    HashMap::new()
                }
            },
            None => HashMap::new(),
        };

        let overrides: HashMap<String, &crate::config::TenantOverride> = config
            .tenant_overrides
            .iter()
            .map(|o| {
                let key = config.comuni.iter().find(|c| c.slug == o.id).map(|c| c.istat_code.clone()).unwrap_or_else(|| o.id.clone());
                (key, o)
            })
            .collect();
        let layers_for = |groups: &[String], extra: &[String]| -> Vec<usize> {
            layers
                .iter()
                .enumerate()
                .filter(|(_, l)| (groups.contains(&l.config.group) && !l.config.extra) || extra.contains(&l.config.name))
                .map(|(i, _)| i)
                .collect()
        };
        let make = |id: &str, slug: Option<String>, default_title: String, kind: TenantKind, extent: Bbox, estimated: bool| {
            let o = overrides.get(id);
            let groups = o.and_then(|o| o.groups.clone()).unwrap_or_else(|| config.tenants.groups.clone());
            let extra = o.map(|o| o.extra_layers.clone()).unwrap_or_default();
            Tenant {
                id: id.to_string(),
                slug,
                title: o.and_then(|o| o.title.clone()).unwrap_or(default_title),
                contact: o.and_then(|o| o.contact.clone()).unwrap_or_else(|| config.tenants.contact.clone()),
                kind,
                layer_indexes: layers_for(&groups, &extra),
                groups,
                extent_lonlat: extent,
                extent_estimated: estimated,
                boundary: None,
            }
        };

        let mut comune_tenants = Vec::with_capacity(config.comuni.len());
        for c in &config.comuni {
            let (extent, boundary) = match extents.remove(&c.istat_code) {
                Some(b) => (b.extent_lonlat, Some(b.geometry)),
                None => (estimated_extent(c), None),
            };
            let title = format!("Comune di {}", c.name);
            let mut tenant = make(&c.istat_code, Some(c.slug.clone()), title, TenantKind::Comune(c.clone()), extent, boundary.is_none());
            tenant.boundary = boundary;
            comune_tenants.push(tenant);
        }
        let metro_extent = comune_tenants.iter().map(|t| t.extent_lonlat).reduce(|a, b| a.union(&b)).unwrap_or(Bbox {
            min_x: -180.0,
            min_y: -90.0,
            max_x: 180.0,
            max_y: 90.0,
        });
        let metro_estimated = comune_tenants.iter().any(|t| t.extent_estimated);
        let mut tenants = vec![make(
            &config.tenants.metro_id,
            None,
            config.tenants.metro_title.clone(),
            TenantKind::Metro,
            metro_extent,
            metro_estimated,
        )];
        tenants.extend(comune_tenants);

        let mut keys = HashMap::new();
        for (i, t) in tenants.iter().enumerate() {
            keys.insert(t.id.clone(), i);
            if let Some(s) = &t.slug {
                keys.insert(s.clone(), i);
            }
        }
        Ok(Catalog {
            // Paths the server reads at run time, resolved against the configuration's folder.
            server: crate::config::ServerConfig {
                web_dir: config.base_dir.join(&config.server.web_dir),
                apps_db: config.base_dir.join(&config.server.apps_db),
                ..config.server.clone()
            },
            groups: config.groups.clone(),
            layers,
            tenants,
            sources: sources.into_values().collect(),
            styles: load_styles(config)?,
            styles_dir: config.base_dir.join(&config.server.styles_dir),
            auth: Arc::new(crate::auth::Authenticator::new(config).map_err(CatalogError::Auth)?),
            roofs: Arc::new(crate::roofs::Roofs::new(&config.roofs)),
            update_sequence: update_sequence(config),
            tile_archives: config
                .tile_archives
                .iter()
                .map(|a| crate::config::TileArchiveConfig { path: config.base_dir.join(&a.path), ..a.clone() })
                .collect(),
            search: config.search.clone(),
            organisation: config.tenants.metro_title.clone(),
            metadata: config.metadata.clone(),
            keys,
        })
    }

    /// A tenant by id (`cmm`, ISTAT code) or slug (case-insensitive).
    pub fn tenant(&self, key: &str) -> Option<&Tenant> {
        self.tenant_index(key).map(|i| &self.tenants[i])
    }

    /// The index in [`Catalog::tenants`] of a tenant by id or slug (case-insensitive).
    pub fn tenant_index(&self, key: &str) -> Option<usize> {
        self.keys.get(key).or_else(|| self.keys.get(&key.to_ascii_lowercase())).copied()
    }

    /// The layers a data change touches: those on the changed table of its source (a layer
    /// defined by SQL may read any table: it is touched by every change of its source), or all
    /// layers of the source when the change does not say which table.
    pub fn layers_of_change(&self, change: &crate::source::Change) -> Vec<&Arc<Layer>> {
        use crate::source::Change;
        let bare = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
        match change {
            Change::All { source } => self.layers.iter().filter(|l| l.config.source == *source).collect(),
            Change::Table { source, table, .. } => self
                .layers
                .iter()
                .filter(|l| l.config.source == *source)
                .filter(|l| match &l.schema.relation {
                    Relation::Table(t) => t == table || bare(t) == bare(table) && (!t.contains('.') || !table.contains('.')),
                    Relation::Sql(_) => true,
                })
                .collect(),
        }
    }

    /// The layers of `tenant` that `caller` may see, in config order.
    pub fn visible_layers<'a>(&'a self, tenant: &'a Tenant, caller: &'a Caller) -> impl Iterator<Item = &'a Arc<Layer>> + 'a {
        tenant.layer_indexes.iter().map(|&i| &self.layers[i]).filter(move |l| l.visible_to(caller, tenant))
    }

    /// One layer of `tenant` visible to `caller`, by name.
    pub fn layer(&self, tenant: &Tenant, caller: &Caller, name: &str) -> Option<&Arc<Layer>> {
        tenant.layer_indexes.iter().map(|&i| &self.layers[i]).find(|l| l.name() == name && l.visible_to(caller, tenant))
    }

    /// When an authenticated caller names a layer `tenant` offers but the caller's grants do
    /// not cover: a [`Denial`]. Anonymous callers get `None`: to them a restricted layer is
    /// indistinguishable from one that does not exist.
    pub fn denied(&self, tenant: &Tenant, caller: &Caller, name: &str) -> Option<Denial> {
        if !caller.is_authenticated() {
            return None;
        }
        let layer = tenant.layer_indexes.iter().map(|&i| &self.layers[i]).find(|l| l.name() == name)?;
        (!layer.visible_to(caller, tenant)).then(|| Denial::Forbidden(format!("layer {name} is not granted to these credentials")))
    }

    /// The parsed style of a layer, when it has one.
    pub fn style(&self, layer: &Layer) -> Option<Arc<crate::render::style::Style>> {
        layer.config.style.as_ref().and_then(|s| self.styles.get(s)).cloned()
    }

    /// Pings every source, each with a timeout.
    pub async fn readiness(&self) -> Vec<(String, Result<(), String>)> {
        let mut out = Vec::new();
        for s in &self.sources {
            let r = match tokio::time::timeout(Duration::from_secs(3), s.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".to_string()),
            };
            out.push((s.id().to_string(), r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strade() -> LayerConfig {
        let (config, _) = crate::config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layers.toml")).unwrap();
        config.layers.into_iter().find(|l| l.name == "strade").unwrap()
    }

    #[test]
    fn tile_filters_parse_against_the_layer_and_the_lowest_zoom_comes_first() {
        let mut l = strade();
        l.tile_filters.reverse();
        let parsed = tile_filters(&l, &source_layer(&l)).unwrap();
        assert_eq!(parsed.iter().map(|(z, _)| *z).collect::<Vec<_>>(), [11, 13]);
        for (filter, why) in [("nope = 1", "nope"), ("classe = ", "not valid"), ("EL_STR_TY LIKE 3 AND", "not valid")] {
            l.tile_filters[0].filter = filter.to_string();
            let e = tile_filters(&l, &source_layer(&l)).unwrap_err().to_string();
            let (head, reason) = e.split_once(&format!("({filter}): ")).unwrap_or_else(|| panic!("{e}"));
            assert!(head == "layer strade: tile_filters[0] " && reason.contains(why), "{filter}: {e}");
        }
    }
}
