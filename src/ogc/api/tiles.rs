//! OGC API – Tiles (vector tiles) over the existing tile machinery: the WebMercatorQuad tile
//! matrix set, tileset lists and metadata for the dataset (all the tenant's layers), for each
//! group and for each collection, and the tiles themselves — answered by
//! [`crate::ogc::tiles::tile_answer`], so they share the cache, `ETag`s, invalidation and
//! access control with `/{tenant}/tiles`.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};

use super::params::{Op, JSON, MVT};
use super::{answer, layer_of, Api, OgcApi};
use crate::catalog::Layer;
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::{Scope, ServiceError};
use crate::tiles::{tile_range, zoom_range, MAX_ZOOM};

/// The only tile matrix set.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const TILING_SCHEME_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
/// Half the side of the Web Mercator square, metres.
const HALF: f64 = 20_037_508.342_789_244;

fn not_found(scope: &Scope<OgcApi>, text: String, locator: &str) -> ServiceError {
    scope.error(OgcException::new(ExceptionCode::NotFound, text).at(locator))
}

fn check_tms(scope: &Scope<OgcApi>, id: &str) -> Result<(), ServiceError> {
    if id == WEB_MERCATOR_QUAD {
        return Ok(());
    }
    let shown: String = id.chars().take(64).collect();
    Err(not_found(scope, format!("no tile matrix set '{shown}'; WebMercatorQuad is offered"), "tileMatrixSetId"))
}

/// The WebMercatorQuad definition (OGC Two Dimensional Tile Matrix Set 2.0, JSON).
fn tile_matrix_set() -> Json {
    let matrices: Vec<Json> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            let cell = 2.0 * HALF / 256.0 / n as f64;
            json!({
                "id": z.to_string(),
                "scaleDenominator": cell / 0.000_28,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "tileWidth": 256, "tileHeight": 256,
                "matrixWidth": n, "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    })
}

/// `GET /tileMatrixSets`.
pub async fn tile_matrix_sets(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::TileMatrixSets, None)?;
    let doc = json!({
        "tileMatrixSets": [{
            "id": WEB_MERCATOR_QUAD, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
            "links": [{ "rel": "self", "type": JSON, "href": api.href("/tileMatrixSets/WebMercatorQuad", None) }],
        }],
        "links": api.self_links("/tileMatrixSets", JSON),
    });
    Ok(answer(&api, doc, JSON, |d| super::html::json_page(&api, d, "Schemi di tassellatura", "/tileMatrixSets")))
}

/// `GET /tileMatrixSets/{id}`.
pub async fn tile_matrix_set_doc(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    check_tms(&scope, &id)?;
    let api = Api::new(scope, &req, Op::TileMatrixSet, None)?;
    Ok(answer(&api, tile_matrix_set(), JSON, |d| super::html::json_page(&api, d, WEB_MERCATOR_QUAD, "/tileMatrixSets/WebMercatorQuad")))
}

/// What a tileset is made of: its name in `/{tenant}/tiles` terms, its title, its layers, and
/// the path of its metadata below the API root.
struct Tileset<'a> {
    source: String,
    title: String,
    layers: Vec<&'a Arc<Layer>>,
    path: String,
}

fn tileset_doc(api: &Api, t: &Tileset<'_>) -> Json {
    let (min, max) = zoom_range(&t.layers);
    let b = api.scope.tenant().extent_lonlat;
    let limits: Vec<Json> = (min..=max)
        .map(|z| {
            let (c0, r0, c1, r1) = tile_range(&b, z);
            json!({ "tileMatrix": z.to_string(), "minTileRow": r0, "maxTileRow": r1, "minTileCol": c0, "maxTileCol": c1 })
        })
        .collect();
    let layers: Vec<Json> = t
        .layers
        .iter()
        .map(|l| {
            json!({
                "id": l.name(), "title": l.config.title, "dataType": "vector",
                "minTileMatrix": l.config.min_zoom.to_string(), "maxTileMatrix": l.config.max_zoom.min(MAX_ZOOM).to_string(),
                "geometryType": l.config.geometry_type.to_ascii_lowercase(),
            })
        })
        .collect();
    let template = format!("{}{}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", api.base, t.path);
    let template = match api.query.get("apikey") {
        Some(k) => format!("{template}?apikey={}", form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()),
        None => template,
    };
    json!({
        "title": t.title,
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": limits,
        "layers": layers,
        "links": [
            { "rel": "self", "type": JSON, "href": api.href(&t.path, None) },
            { "rel": TILING_SCHEME_REL, "type": JSON, "href": api.href("/tileMatrixSets/WebMercatorQuad", None) },
            { "rel": "item", "type": MVT, "templated": true, "href": template },
            { "rel": "alternate", "type": "application/vnd.mapbox.tile+json", "title": "TileJSON",
              "href": format!("{}/{}.json", api.scope.service_url("tiles"), t.source) },
        ],
    })
}

fn tileset_entry(api: &Api, t: &Tileset<'_>) -> Json {
    json!({
        "title": t.title,
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            { "rel": "self", "type": JSON, "href": api.href(&t.path, None) },
            { "rel": TILING_SCHEME_REL, "type": JSON, "href": api.href("/tileMatrixSets/WebMercatorQuad", None) },
        ],
    })
}

/// The dataset tileset (every layer the caller sees, at most the tile service's layer cap)
/// and one per group.
fn dataset_tilesets(api: &Api) -> Vec<Tileset<'_>> {
    let (catalog, tenant) = (api.scope.catalog(), api.scope.tenant());
    let all: Vec<&Arc<Layer>> = catalog.visible_layers(tenant, &api.scope.caller).collect();
    let mut out = Vec::new();
    if !all.is_empty() && all.len() <= crate::tiles::MAX_SOURCE_LAYERS {
        let source = catalog
            .groups
            .iter()
            .filter(|g| all.iter().any(|l| l.config.group == g.name))
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        out.push(Tileset { source, title: tenant.title.clone(), layers: all.clone(), path: "/tiles/WebMercatorQuad".into() });
    }
    for g in &catalog.groups {
        let layers: Vec<&Arc<Layer>> = all.iter().copied().filter(|l| l.config.group == g.name).collect();
        if !layers.is_empty() {
            out.push(Tileset {
                source: g.name.clone(),
                title: g.title.clone(),
                layers,
                path: format!("/tiles/{}/WebMercatorQuad", g.name),
            });
        }
    }
    out
}

/// The dataset tileset (`group` none) or a group's, among those the caller may see.
fn find_tileset<'a>(api: &'a Api, group: Option<&str>) -> Option<Tileset<'a>> {
    let wanted = match group {
        Some(g) => format!("/tiles/{g}/WebMercatorQuad"),
        None => "/tiles/WebMercatorQuad".into(),
    };
    dataset_tilesets(api).into_iter().find(|t| t.path == wanted)
}

/// `GET /tiles`.
pub async fn dataset_tilesets_list(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::DatasetTilesets, None)?;
    let list: Vec<Json> = dataset_tilesets(&api).iter().map(|t| tileset_entry(&api, t)).collect();
    let doc = json!({ "tilesets": list, "links": api.self_links("/tiles", JSON) });
    Ok(answer(&api, doc, JSON, |d| super::html::json_page(&api, d, "Tasselli vettoriali", "/tiles")))
}

/// `GET /tiles/{tms}` and `GET /tiles/{group}/{tms}`.
pub async fn dataset_tileset(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<Vec<String>>) -> Result<HttpResponse, ServiceError> {
    let segments = path.into_inner();
    let (group, tms) = match &segments[..] {
        [_, tms] => (None, tms.clone()),
        [_, group, tms] => (Some(group.clone()), tms.clone()),
        _ => return Err(not_found(&scope, "no such tileset".into(), "tileset")),
    };
    check_tms(&scope, &tms)?;
    let op = if group.is_some() { Op::GroupTileset } else { Op::DatasetTileset };
    let api = Api::new(scope, &req, op, None)?;
    let Some(t) = find_tileset(&api, group.as_deref()) else {
        let shown: String = group.unwrap_or_default().chars().take(64).collect();
        return Err(not_found(&api.scope, format!("no tileset '{shown}'; see /tiles"), "groupId"));
    };
    let doc = tileset_doc(&api, &t);
    Ok(answer(&api, doc, JSON, |d| super::html::json_page(&api, d, &t.title, &t.path)))
}

/// A tile is MVT only: `f` may be absent or `mvt`.
fn check_tile_format(api: &Api) -> Result<(), ServiceError> {
    match api.query.get("f") {
        None | Some("mvt") => Ok(()),
        Some(_) => Err(api.scope.error(super::items::invalid("f", "tiles are Mapbox Vector Tiles: f=mvt"))),
    }
}

/// `/{tileMatrix}/{tileRow}/{tileCol}` as numbers (a 404 when not).
fn tile_numbers(scope: &Scope<OgcApi>, z: &str, row: &str, col: &str) -> Result<(u8, u32, u32), ServiceError> {
    let bad = || not_found(scope, "tiles are /{tileMatrix}/{tileRow}/{tileCol} with whole numbers".into(), "tileMatrix");
    Ok((z.parse().map_err(|_| bad())?, col.parse().map_err(|_| bad())?, row.parse().map_err(|_| bad())?))
}

/// `GET /tiles/{tms}/{z}/{row}/{col}` and `GET /tiles/{group}/{tms}/{z}/{row}/{col}`.
pub async fn dataset_tile(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<Vec<String>>) -> Result<HttpResponse, ServiceError> {
    let segments = path.into_inner();
    let (group, tms, z, row, col) = match &segments[..] {
        [_, tms, z, row, col] => (None, tms, z, row, col),
        [_, group, tms, z, row, col] => (Some(group.clone()), tms, z, row, col),
        _ => return Err(not_found(&scope, "no such tile".into(), "tileMatrix")),
    };
    check_tms(&scope, tms)?;
    let (z, x, y) = tile_numbers(&scope, z, row, col)?;
    let op = if group.is_some() { Op::GroupTile } else { Op::DatasetTile };
    let api = Api::new(scope, &req, op, None)?;
    check_tile_format(&api)?;
    let Some(t) = find_tileset(&api, group.as_deref()) else {
        return Err(not_found(&api.scope, "no such tileset; see /tiles".into(), "groupId"));
    };
    crate::ogc::tiles::tile_answer(api.scope.state(), api.scope.tenant(), &api.scope.caller, &t.source, (z, x, y), &req).await
}

fn collection_tileset<'a>(layer: &'a Arc<Layer>) -> Tileset<'a> {
    Tileset {
        source: layer.name().to_string(),
        title: layer.config.title.clone(),
        layers: vec![layer],
        path: format!("/collections/{}/tiles/WebMercatorQuad", layer.name()),
    }
}

/// `GET /collections/{id}/tiles`.
pub async fn collection_tilesets(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    let api = Api::new(scope, &req, Op::CollectionTilesets, None)?;
    let t = collection_tileset(&layer);
    let doc = json!({ "tilesets": [tileset_entry(&api, &t)], "links": api.self_links(&format!("/collections/{id}/tiles"), JSON) });
    Ok(answer(&api, doc, JSON, |d| super::html::json_page(&api, d, &layer.config.title, &format!("/collections/{id}/tiles"))))
}

/// `GET /collections/{id}/tiles/{tms}`.
pub async fn collection_tileset_doc(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ServiceError> {
    let (_, id, tms) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    check_tms(&scope, &tms)?;
    let api = Api::new(scope, &req, Op::CollectionTileset, None)?;
    let t = collection_tileset(&layer);
    let doc = tileset_doc(&api, &t);
    Ok(answer(&api, doc, JSON, |d| super::html::json_page(&api, d, &layer.config.title, &t.path)))
}

/// `GET /collections/{id}/tiles/{tms}/{z}/{row}/{col}`.
pub async fn collection_tile(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String, String, String, String, String)>,
) -> Result<HttpResponse, ServiceError> {
    let (_, id, tms, z, row, col) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    check_tms(&scope, &tms)?;
    let (z, x, y) = tile_numbers(&scope, &z, &row, &col)?;
    let api = Api::new(scope, &req, Op::CollectionTile, None)?;
    check_tile_format(&api)?;
    crate::ogc::tiles::tile_answer(api.scope.state(), api.scope.tenant(), &api.scope.caller, layer.name(), (z, x, y), &req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_cover_milano_at_zoom_14() {
        let b = crate::crs::Bbox::new(9.04, 45.38, 9.28, 45.54).unwrap();
        let (c0, r0, c1, r1) = super::tile_range(&b, 14);
        // Tile 14/8610/5863 holds the Duomo (9.19, 45.464).
        assert!((r0..=r1).contains(&5863) && (c0..=c1).contains(&8610), "{r0}..{r1} {c0}..{c1}");
        assert!(r0 <= r1 && c0 <= c1);
        let tms = super::tile_matrix_set();
        assert_eq!(tms["tileMatrices"][0]["matrixWidth"], 1);
        assert!((tms["tileMatrices"][0]["scaleDenominator"].as_f64().unwrap() - 559_082_264.028_717_8).abs() < 1e-3);
    }
}
