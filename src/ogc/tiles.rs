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
    tile_answer(scope.state(), scope.tenant(), &scope.caller, &source, (z, x, y), &req).await
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
    let gzip_ok = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q_zero = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
    });
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
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({ "tenant": tenant.id, "title": tenant.title, "tiles": sources }).to_string()))
}
