//! Vector tiles (WebMercatorQuad, MVT 2.1) per tenant: a tile source is a layer, a group or a
//! comma list of them; each member layer becomes one MVT layer within its zoom range, with its
//! allow-listed attributes, restricted to the tenant. Tiles are cached gzip-compressed in a
//! moka cache weighted by bytes, keyed by tenant, layers and z/x/y; data changes evict exactly
//! the tiles they touch ([`watch`]), a TTL bounds everything else.

pub mod archive;
pub mod export;
pub mod mvt;
pub mod pmtiles;
pub mod seed;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use crate::catalog::{Caller, Catalog, Layer, Tenant};
use crate::crs::{Bbox, Crs};
use crate::source::sql::MvtParams;
use crate::source::{FeatureQuery, SourceError};

/// Half the side of the Web Mercator square, metres.
pub const WORLD: f64 = 20_037_508.342_789_244;
/// Highest zoom served.
pub const MAX_ZOOM: u8 = 24;
/// Most layers in one tile source.
pub const MAX_SOURCE_LAYERS: usize = 16;

/// The EPSG:3857 square of tile z/x/y.
pub fn tile_bbox(z: u8, x: u32, y: u32) -> Bbox {
    let size = 2.0 * WORLD / f64::from(1u32 << z);
    let min_x = -WORLD + f64::from(x) * size;
    let max_y = WORLD - f64::from(y) * size;
    Bbox { min_x, min_y: max_y - size, max_x: min_x + size, max_y }
}

/// Web Mercator metres of a WGS84 position (latitude clamped to the square).
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78);
    let x = lon.to_radians() * 6_378_137.0;
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln() * 6_378_137.0;
    (x, y)
}

/// The tiles (inclusive ranges x0..=x1, y0..=y1) covering a WGS84 box at zoom `z`.
pub fn tile_range(lonlat: &Bbox, z: u8) -> (u32, u32, u32, u32) {
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let (x0, y0) = lonlat_to_mercator(lonlat.min_x, lonlat.max_y);
    let (x1, y1) = lonlat_to_mercator(lonlat.max_x, lonlat.min_y);
    let col = |x: f64| (((x + WORLD) / (2.0 * WORLD) * n).floor().max(0.0) as u32).min(max);
    let row = |y: f64| (((WORLD - y) / (2.0 * WORLD) * n).floor().max(0.0) as u32).min(max);
    (col(x0), row(y0), col(x1), row(y1))
}

/// A layer's TileJSON `vector_layers` entry: id, description, zooms and its allow-listed
/// attributes as TileJSON field types (the TileJSON documents and exported archives share it).
pub fn vector_layer(layer: &Layer) -> serde_json::Value {
    use crate::model::AttributeType;
    let field_type = |kind: AttributeType| match kind {
        AttributeType::Int | AttributeType::Float => "Number",
        AttributeType::Bool => "Boolean",
        AttributeType::Text | AttributeType::Date => "String",
    };
    let fields: serde_json::Map<String, serde_json::Value> =
        layer.schema.attributes.iter().map(|a| (a.name.clone(), field_type(a.kind).into())).collect();
    serde_json::json!({
        "id": layer.name(),
        "description": layer.config.title,
        "minzoom": layer.config.min_zoom,
        "maxzoom": layer.config.max_zoom.min(MAX_ZOOM),
        "fields": fields,
    })
}

/// A tile request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// No such source, zoom or tile.
    #[error("{0}")]
    NotFound(String),
    /// The source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A layer's query could not be built.
    #[error("{0}")]
    Query(String),
    /// The caller may not see a layer.
    #[error("{0}")]
    Denied(crate::catalog::Denial),
}

fn offers(archive: &crate::config::TileArchiveConfig, tenant: &Tenant) -> bool {
    archive.tenants.iter().any(|t| t == "*" || *t == tenant.id || tenant.slug.as_deref() == Some(t.as_str()))
}

/// The layers of a tile source visible to a caller in a tenant: a layer, a group or a comma
/// list of them, in order, without repeats.
pub fn resolve_source<'a>(
    catalog: &'a Catalog,
    tenant: &'a Tenant,
    caller: &'a Caller,
    source: &str,
) -> Result<Vec<&'a Arc<Layer>>, TileError> {
    let mut out: Vec<&Arc<Layer>> = Vec::new();
    for name in source.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(TileError::NotFound("empty name in the tile source".into()));
        }
        let members: Vec<&Arc<Layer>> = match catalog.layer(tenant, caller, name) {
            Some(l) => vec![l],
            None => catalog.visible_layers(tenant, caller).filter(|l| l.config.group == name).collect(),
        };
        if members.is_empty() {
            if let Some(denial) = catalog.denied(tenant, caller, name) {
                return Err(TileError::Denied(denial));
            }
            return Err(TileError::NotFound(format!("no tile source '{}'", name.chars().take(64).collect::<String>())));
        }
        for m in members {
            if !out.iter().any(|l| Arc::ptr_eq(l, m)) {
                out.push(m);
            }
        }
        if out.len() > MAX_SOURCE_LAYERS {
            return Err(TileError::NotFound(format!("at most {MAX_SOURCE_LAYERS} layers per tile source")));
        }
    }
    Ok(out)
}

/// Zoom range of a set of layers (the union of theirs).
pub fn zoom_range(layers: &[&Arc<Layer>]) -> (u8, u8) {
    let min = layers.iter().map(|l| l.config.min_zoom).min().unwrap_or(0);
    let max = layers.iter().map(|l| l.config.max_zoom.min(MAX_ZOOM)).max().unwrap_or(0);
    (min, max)
}

/// A cached tile's identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Tenant id.
    pub tenant: Arc<str>,
    /// Member layer names, in order.
    pub layers: Arc<[Arc<str>]>,
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// A rendered tile: gzip-compressed bytes (empty for an empty tile) and its ETag.
#[derive(Debug)]
pub struct CachedTile {
    /// The tile, gzip-compressed; empty when the tile has no feature.
    pub gzip: actix_web::web::Bytes,
    /// The tile as encoded, for clients that do not accept gzip (kept beside the gzip bytes:
    /// decompressing on every such request cost more than the memory).
    pub raw: actix_web::web::Bytes,
    /// Strong ETag (quoted), from the uncompressed bytes.
    pub etag: String,
}

impl CachedTile {
    /// Whether the tile has no feature.
    pub fn is_empty(&self) -> bool {
        self.gzip.is_empty()
    }

    /// The uncompressed tile.
    pub fn plain(&self) -> actix_web::web::Bytes {
        self.raw.clone()
    }
}

fn etag_of(bytes: &[u8]) -> String {
    // FNV-1a 64: stable across processes and replicas (same bytes, same tag).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{h:016x}-{:x}\"", bytes.len())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2 + 64), flate2::Compression::fast());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// Renders and caches tiles.
pub struct TileService {
    cache: moka::future::Cache<TileKey, Arc<CachedTile>>,
    /// Grid size.
    pub extent: u32,
    /// Clip buffer, tile units.
    pub buffer: u32,
    max_features: u64,
    /// Static tile archives by name, with the tenants that offer them.
    archives: Vec<(crate::config::TileArchiveConfig, Arc<archive::TileArchive>, archive::ArchiveInfo)>,
}

impl std::fmt::Debug for TileService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileService").field("entries", &self.cache.entry_count()).field("bytes", &self.cache.weighted_size()).finish()
    }
}

impl TileService {
    /// A service with the `[server]` tile settings of `catalog`.
    pub fn new(catalog: &Catalog) -> TileService {
        let s = &catalog.server;
        let cache = moka::future::Cache::builder()
            .max_capacity(s.tile_cache_mb.saturating_mul(1 << 20))
            .weigher(|k: &TileKey, v: &Arc<CachedTile>| {
                let bytes = v.gzip.len() + v.raw.len() + v.etag.len() + 64 + k.layers.iter().map(|l| l.len()).sum::<usize>();
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .time_to_live(Duration::from_secs(s.tile_cache_ttl_s.max(1)))
            .support_invalidation_closures()
            .build();
        TileService {
            cache,
            extent: s.tile_extent.clamp(256, 16384),
            buffer: s.tile_buffer.min(1024),
            max_features: s.tile_max_features.max(1),
            archives: catalog
                .tile_archives
                .iter()
                .filter_map(|a| match archive::TileArchive::open(&a.path) {
                    Ok(opened) => {
                        let info = opened.info();
                        Some((a.clone(), Arc::new(opened), info))
                    }
                    Err(e) => {
                        tracing::error!("tile archive {} not served: {e}", a.name);
                        None
                    }
                })
                .collect(),
        }
    }

    /// The static tile archive `name` if `tenant` offers it: its configuration, the open
    /// archive and what it says of itself.
    pub fn archive(
        &self,
        tenant: &Tenant,
        name: &str,
    ) -> Option<(&crate::config::TileArchiveConfig, Arc<archive::TileArchive>, &archive::ArchiveInfo)> {
        self.archives.iter().find(|(c, _, _)| c.name == name && offers(c, tenant)).map(|(c, a, i)| (c, Arc::clone(a), i))
    }

    /// The archives `tenant` offers.
    pub fn archives<'a>(
        &'a self,
        tenant: &'a Tenant,
    ) -> impl Iterator<Item = (&'a crate::config::TileArchiveConfig, &'a archive::ArchiveInfo)> + 'a {
        self.archives.iter().filter(move |(c, _, _)| offers(c, tenant)).map(|(c, _, i)| (c, i))
    }

    /// Cached tiles and their weight in bytes (after pending maintenance).
    pub async fn stats(&self) -> (u64, u64) {
        self.cache.run_pending_tasks().await;
        (self.cache.entry_count(), self.cache.weighted_size())
    }

    /// The tile z/x/y of `layers` for `tenant`, from the cache or rendered once (concurrent
    /// requests for the same tile wait for one rendering).
    pub async fn tile(&self, tenant: &Tenant, layers: &[&Arc<Layer>], z: u8, x: u32, y: u32) -> Result<(Arc<CachedTile>, bool), TileError> {
        let (min, max) = zoom_range(layers);
        if z > MAX_ZOOM || z < min || z > max {
            return Err(TileError::NotFound(format!("zoom {z} is outside {min}..{max}")));
        }
        if u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
            return Err(TileError::NotFound(format!("tile {z}/{x}/{y} does not exist")));
        }
        let key = TileKey { tenant: Arc::from(tenant.id.as_str()), layers: layers.iter().map(|l| Arc::from(l.name())).collect(), z, x, y };
        if let Some(hit) = self.cache.get(&key).await {
            return Ok((hit, true));
        }
        let rendered = self.cache.try_get_with(key, async { self.render(tenant, layers, z, x, y).await.map(Arc::new) }).await.map_err(
            |e: Arc<TileError>| match &*e {
                TileError::NotFound(m) => TileError::NotFound(m.clone()),
                TileError::Denied(d) => TileError::Denied(d.clone()),
                TileError::Query(m) => TileError::Query(m.clone()),
                // Unavailable and timed-out sources stay what they are (503, like WMS and WFS).
                TileError::Source(s) => TileError::Source(s.shared()),
            },
        )?;
        Ok((rendered, false))
    }

    /// Renders a tile: one MVT layer per member layer in range, concatenated.
    pub async fn render(&self, tenant: &Tenant, layers: &[&Arc<Layer>], z: u8, x: u32, y: u32) -> Result<CachedTile, TileError> {
        let bbox = tile_bbox(z, x, y);
        let mut tile = Vec::new();
        // Nothing of the tenant in this tile: empty, without asking the sources.
        let (x0, y0, x1, y1) = tile_range(&tenant.extent_lonlat, z);
        if x >= x0 && x <= x1 && y >= y0 && y <= y1 {
            let frame = mvt::TileFrame { bbox, extent: self.extent, buffer: self.buffer };
            for layer in layers.iter().filter(|l| (l.config.min_zoom..=l.config.max_zoom).contains(&z)) {
                let query = FeatureQuery {
                    envelope: Some((frame.buffered_bbox(), Crs::WEB_MERCATOR)),
                    output_crs: Some(Crs::WEB_MERCATOR),
                    tenant: tenant.scope(),
                    limit: Some(self.max_features),
                    filter: layer.tile_filter(z).cloned(),
                    ..Default::default()
                };
                let resolved = query.resolve(&layer.schema, self.max_features).map_err(|e| TileError::Query(e.to_string()))?;
                // Simplify to half a tile unit below the layer's highest zoom (lossless on screen).
                let tolerance = if z < layer.config.max_zoom { frame.unit() / 2.0 } else { 0.0 };
                let params = MvtParams { name: layer.name().to_string(), bbox, extent: self.extent, buffer: self.buffer, tolerance };
                let bytes = match layer.source.native_mvt(layer.schema.clone(), resolved.clone(), &params).await? {
                    Some(bytes) => bytes,
                    // The generic path: the source's rows, encoded here.
                    None => {
                        mvt::encode_layer(
                            layer.source.query(layer.schema.clone(), resolved.clone()).await?,
                            layer.schema.clone(),
                            resolved,
                            params,
                        )
                        .await?
                    }
                };
                tile.extend(bytes);
            }
        }
        if tile.is_empty() {
            return Ok(CachedTile { gzip: actix_web::web::Bytes::new(), raw: actix_web::web::Bytes::new(), etag: etag_of(&tile) });
        }
        // Compression off the async workers too.
        tokio::task::spawn_blocking(move || CachedTile { etag: etag_of(&tile), gzip: gzip(&tile).into(), raw: tile.into() })
            .await
            .map_err(|e| TileError::Query(format!("tile compression: {e}")))
    }

    /// Evicts every cached tile holding one of `layers` (all tenants, all zooms) whose square
    /// meets `bbox` (EPSG:3857), or every such tile when `bbox` is `None`.
    pub fn invalidate(&self, layers: Vec<String>, bbox: Option<Bbox>) {
        let result = self.cache.invalidate_entries_if(move |k: &TileKey, _| {
            if !k.layers.iter().any(|l| layers.iter().any(|n| n.as_str() == &**l)) {
                return false;
            }
            match &bbox {
                None => true,
                Some(b) => {
                    let t = tile_bbox(k.z, k.x, k.y);
                    t.min_x <= b.max_x && t.max_x >= b.min_x && t.min_y <= b.max_y && t.max_y >= b.min_y
                }
            }
        });
        if let Err(e) = result {
            tracing::warn!("tile cache invalidation failed, clearing it: {e}");
            self.cache.invalidate_all();
        }
    }

    /// Evicts everything.
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_math_matches_the_web_mercator_grid() {
        let world = tile_bbox(0, 0, 0);
        assert!((world.min_x + WORLD).abs() < 1e-6 && (world.max_y - WORLD).abs() < 1e-6);
        // The Duomo of Milano (9.1919, 45.4642) is in z14 tile 8610/5863.
        let duomo = Bbox { min_x: 9.1919, min_y: 45.4642, max_x: 9.1919, max_y: 45.4642 };
        assert_eq!(tile_range(&duomo, 14), (8610, 5863, 8610, 5863));
        let t = tile_bbox(14, 8610, 5863);
        let (mx, my) = lonlat_to_mercator(9.1919, 45.4642);
        assert!(t.min_x <= mx && mx <= t.max_x && t.min_y <= my && my <= t.max_y);
        assert_eq!(etag_of(b"abc"), etag_of(b"abc"));
        assert_ne!(etag_of(b"abc"), etag_of(b"abd"));
    }
}
