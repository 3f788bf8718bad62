//! The vector tile protocol: `/{tenant}/tiles` (index), `/{tenant}/tiles/{source}.json`
//! (TileJSON 3.0.0) and `/{tenant}/tiles/{source}/{z}/{x}/{y}.mvt|.pbf`. Thin: parsing and
//! HTTP caching here, rendering and the cache in [`crate::tiles`]. Errors are JSON.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::catalog::{Caller, Tenant};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::{apikey_suffix, Live, Scope, ServiceError};
use crate::tiles::{resolve_source, vector_layer, zoom_range, TileError};

/// Media type of Mapbox Vector Tiles.
pub const MVT_MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";

fn not_found(message: impl Into<String>) -> ServiceError {
    ServiceError::new(OgcException::new(ExceptionCode::InvalidParameterValue, message).with_status(404), ReportFormat::Json)
}

fn tile_error(e: TileError) -> ServiceError {
    match e {
        TileError::NotFound(m) => not_found(m),
        TileError::Denied(d) => ServiceError::new(OgcException::from(d), ReportFormat::Json),
        TileError::Query(m) => ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, m), ReportFormat::Json),
        TileError::Source(s) => ServiceError::new(OgcException::from(s), ReportFormat::Json),
    }
}

/// Mounts the tile routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/tiles", web::get().to(index))
        .route("/{tenant}/tiles/{file}", web::get().to(tilejson))
        .route("/{tenant}/tiles/{source}/{z}/{x}/{file}", web::get().to(tile));
}

/// `GET /{tenant}/tiles/{source}/{z}/{x}/{y}.mvt` (or `.pbf`).
pub async fn tile(
    scope: Scope,
    path: web::Path<(String, String, String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let (_, source, z, x, file) = path.into_inner();
    // Parsed here, not by the router: a bad number is a JSON 404 that echoes nothing.
    let z: u8 = z.parse().map_err(|_| not_found("tiles are /{z}/{x}/{y}.mvt with whole numbers"))?;
    let x: u32 = x.parse().map_err(|_| not_found("tiles are /{z}/{x}/{y}.mvt with whole numbers"))?;
    let y: u32 = file
        .strip_suffix(".mvt")
        .or_else(|| file.strip_suffix(".pbf"))
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| not_found("tiles are /{z}/{x}/{y}.mvt or .pbf"))?;
    if let Some((_, archive, info)) = scope.state().tiles.archive(scope.tenant(), &source) {
        let max_age = scope.catalog().server.tile_max_age_s;
        return archive_answer(archive, info.clone(), (z, x, y), &req, max_age).await;
    }
    tile_answer(scope.state(), scope.tenant(), &scope.caller, &source, (z, x, y), &req).await
}

/// Whether the client takes gzip (`Accept-Encoding`, `q=0` refusing it).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q_zero = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
    })
}

/// A tile of a static archive: as stored (gzip to clients that take it, else decompressed),
/// `204` when the archive has none, `404` outside its zooms, an `ETag` of its bytes.
async fn archive_answer(
    archive: std::sync::Arc<crate::tiles::archive::TileArchive>,
    info: crate::tiles::archive::ArchiveInfo,
    (z, x, y): (u8, u32, u32),
    req: &HttpRequest,
    max_age: u64,
) -> Result<HttpResponse, ServiceError> {
    if z < info.min_zoom || z > info.max_zoom || u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
        return Err(not_found(format!("tile {z}/{x}/{y} is outside the archive (zooms {}..{})", info.min_zoom, info.max_zoom)));
    }
    let stored = tokio::task::spawn_blocking(move || archive.get(z, x, y))
        .await
        .map_err(|e| {
            ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, format!("archive read: {e}")), ReportFormat::Json)
        })?
        .map_err(|e| {
            tracing::warn!("tile archive: {e}");
            ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, "the tile archive could not be read"), ReportFormat::Json)
        })?;
    let mut r = HttpResponse::build(actix_web::http::StatusCode::OK);
    r.insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header(("X-Tile-Cache", "archive"));
    let Some(tile) = stored else {
        return Ok(HttpResponse::NoContent().insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")).finish());
    };
    let etag = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&tile.bytes);
        format!("\"{}\"", d[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    let matches =
        req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    r.insert_header((header::ETAG, etag));
    if matches {
        return Ok(r.status(actix_web::http::StatusCode::NOT_MODIFIED).finish());
    }
    r.content_type(MVT_MEDIA_TYPE);
    Ok(match (tile.gzip, accepts_gzip(req)) {
        (true, true) => r.insert_header((header::CONTENT_ENCODING, "gzip")).body(tile.bytes),
        (false, _) => r.insert_header((header::CONTENT_ENCODING, "identity")).body(tile.bytes),
        (true, false) => {
            use std::io::Read;
            let mut plain = Vec::new();
            let read = flate2::read::GzDecoder::new(&tile.bytes[..]).take(64 << 20).read_to_end(&mut plain);
            if read.is_err() {
                return Err(ServiceError::new(
                    OgcException::new(ExceptionCode::NoApplicableCode, "a tile of the archive is not valid gzip"),
                    ReportFormat::Json,
                ));
            }
            r.insert_header((header::CONTENT_ENCODING, "identity")).body(plain)
        }
    })
}

/// One tile of `source` (a layer, a group or a comma list) as an HTTP answer: the cache, the
/// `ETag` and `304`, `204` for an empty tile, gzip when accepted, `Cache-Control` by access.
/// Shared by `/{tenant}/tiles` and OGC API – Tiles, so both answer byte for byte alike.
pub(crate) async fn tile_answer(
    state: &Live,
    tenant: &Tenant,
    caller: &Caller,
    source: &str,
    (z, x, y): (u8, u32, u32),
    req: &HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let catalog = &state.catalog;
    let layers = resolve_source(catalog, tenant, caller, source).map_err(tile_error)?;
    // Tiles holding restricted layers must not be kept by shared caches.
    let private = layers.iter().any(|l| l.config.access == crate::config::Access::Restricted);
    let (tile, hit) = state.tiles.tile(tenant, &layers, z, x, y).await.map_err(tile_error)?;
    let max_age = catalog.server.tile_max_age_s;
    let response = |status| {
        let mut r = HttpResponse::build(status);
        r.insert_header((header::ETAG, tile.etag.clone()))
            .insert_header((header::CACHE_CONTROL, format!("{}, max-age={max_age}", if private { "private" } else { "public" })))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_EXPOSE_HEADERS, "ETag, X-Tile-Cache"))
            .insert_header(("X-Tile-Cache", if hit { "hit" } else { "miss" }));
        r
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tile.etag || t.trim() == "*"));
    if matches {
        return Ok(response(actix_web::http::StatusCode::NOT_MODIFIED).finish());
    }
    if tile.is_empty() {
        return Ok(response(actix_web::http::StatusCode::NO_CONTENT).finish());
    }
    let gzip_ok = accepts_gzip(req);
    let mut r = response(actix_web::http::StatusCode::OK);
    r.content_type(MVT_MEDIA_TYPE);
    Ok(if gzip_ok {
        r.insert_header((header::CONTENT_ENCODING, "gzip")).body(tile.gzip.clone())
    } else {
        r.insert_header((header::CONTENT_ENCODING, "identity")).body(tile.plain())
    })
}

/// `GET /{tenant}/tiles/{source}.json`: TileJSON 3.0.0.
pub async fn tilejson(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, file) = path.into_inner();
    let source = file.strip_suffix(".json").ok_or_else(|| not_found("TileJSON is /{tenant}/tiles/{source}.json"))?;
    let tenant = scope.tenant();
    if let Some((config, _, info)) = scope.state().tiles.archive(tenant, source) {
        let url = format!("{}/{source}/{{z}}/{{x}}/{{y}}.mvt", scope.service_url("tiles"));
        let b = info.bounds;
        let body = json!({
            "tilejson": "3.0.0",
            "name": source,
            "description": config.title.clone().unwrap_or_else(|| format!("{} — archivio statico {source}", tenant.title)),
            "attribution": scope.catalog().server.attribution,
            "scheme": "xyz",
            "tiles": [url],
            "minzoom": info.min_zoom,
            "maxzoom": info.max_zoom,
            "bounds": [b.min_x, b.min_y, b.max_x, b.max_y],
            "center": [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0, info.min_zoom],
            "vector_layers": info.vector_layers,
        });
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((header::CACHE_CONTROL, format!("public, max-age={}", scope.catalog().server.tile_max_age_s)))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(body.to_string()));
    }
    let layers = resolve_source(scope.catalog(), tenant, &scope.caller, source).map_err(tile_error)?;
    let (minzoom, maxzoom) = zoom_range(&layers);
    let b = tenant.extent_lonlat;
    // A key given as a parameter stays in the tile URLs (clients that cannot set headers).
    let url = format!("{}/{source}/{{z}}/{{x}}/{{y}}.mvt{}", scope.service_url("tiles"), apikey_suffix(&scope.kvp));
    let center_zoom = (minzoom + 2).clamp(minzoom, maxzoom);
    let body = json!({
        "tilejson": "3.0.0",
        "name": source,
        "description": format!("{} — {}", tenant.title, layers.iter().map(|l| l.config.title.as_str()).collect::<Vec<_>>().join(", ")),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": scope.catalog().server.attribution,
        "scheme": "xyz",
        "tiles": [url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": [b.min_x, b.min_y, b.max_x, b.max_y],
        "center": [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0, center_zoom],
        "vector_layers": layers.iter().map(|l| vector_layer(l)).collect::<Vec<_>>(),
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={}", scope.catalog().server.tile_max_age_s)))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body.to_string()))
}

/// `GET /{tenant}/tiles`: the tile sources of a tenant (every layer and group it offers).
pub async fn index(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let (tenant, catalog) = (scope.tenant(), scope.catalog());
    let base = scope.service_url("tiles");
    let mut sources = Vec::new();
    for group in &catalog.groups {
        let members: Vec<_> = catalog.visible_layers(tenant, &scope.caller).filter(|l| l.config.group == group.name).collect();
        if members.is_empty() {
            continue;
        }
        let (minzoom, maxzoom) = zoom_range(&members);
        sources.push(json!({
            "id": group.name, "kind": "group", "title": group.title, "minzoom": minzoom, "maxzoom": maxzoom,
            "layers": members.iter().map(|l| l.name()).collect::<Vec<_>>(),
            "tilejson": format!("{base}/{}.json", group.name),
        }));
        for l in members {
            sources.push(json!({
                "id": l.name(), "kind": "layer", "title": l.config.title, "minzoom": l.config.min_zoom,
                "maxzoom": l.config.max_zoom.min(crate::tiles::MAX_ZOOM), "tilejson": format!("{base}/{}.json", l.name()),
            }));
        }
    }
    for (a, info) in scope.state().tiles.archives(tenant) {
        sources.push(json!({
            "id": a.name, "kind": "archive", "title": a.title.clone().unwrap_or_else(|| a.name.clone()),
            "minzoom": info.min_zoom, "maxzoom": info.max_zoom, "tilejson": format!("{base}/{}.json", a.name),
        }));
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({ "tenant": tenant.id, "title": tenant.title, "tiles": sources }).to_string()))
}
