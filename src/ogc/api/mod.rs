//! OGC API – Features (Part 1 Core, Part 2 CRS, Part 3 Filtering with CQL2) and OGC API –
//! Tiles (vector tiles, in [`tiles`]) under
//! `/{tenant}/ogcapi`: the same tenants, access control, sources and filter model as WFS.
//! Routes, parameters and the OpenAPI document come from one table ([`params::OPERATIONS`]);
//! handlers are thin; `/items` is typed in [`items`], rendered by the streaming GeoJSON
//! encoder or the HTML pages of [`html`]. Errors are JSON (`code`, `description`).

mod edit;
mod html;
mod items;
mod openapi;
pub mod params;
mod tiles;

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value as Json};

use crate::catalog::Layer;
use crate::crs::Crs;
use crate::encode::geojson::{write_item, ItemsEncoder, ItemsPage, Link};
use crate::encode::{body_stream, FeatureEncoder};
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::http::{Protocol, Scope, ServiceError};
use crate::model::AttributeType;
use crate::source::write::{feature_etag, full_row_query};
use crate::source::{reproject_wkb, FeatureQuery};
use items::{invalid, ItemsRequest};
use params::{Op, Query, GEOJSON, HTML, JSON, OPENAPI, SCHEMA_JSON};

/// The OGC API's error flavour: JSON.
pub struct OgcApi;

impl Protocol for OgcApi {
    fn report_format(_: &Kvp) -> ReportFormat {
        ReportFormat::Json
    }
}

/// The conformance classes implemented, exactly.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
];

/// The link relation of vector tilesets.
pub const TILESETS_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";

/// The link relation of a collection's queryables.
pub const QUERYABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

/// Mounts the routes of every operation of [`params::OPERATIONS`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    for o in params::OPERATIONS {
        let path = format!("/{{tenant}}/ogcapi{}", if o.path == "/" { "" } else { o.path });
        // GET and HEAD (clients probe links with HEAD; actix sends no body for HEAD).
        let route = web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()));
        let route = match o.op {
            Op::Landing => route.to(landing),
            Op::Conformance => route.to(conformance),
            Op::Api => route.to(api),
            Op::Collections => route.to(collections),
            Op::Collection => route.to(collection),
            Op::Queryables => route.to(queryables),
            Op::Items => route.to(items),
            Op::Item => route.to(item),
            Op::TileMatrixSets => route.to(tiles::tile_matrix_sets),
            Op::TileMatrixSet => route.to(tiles::tile_matrix_set_doc),
            Op::DatasetTilesets => route.to(tiles::dataset_tilesets_list),
            Op::DatasetTileset | Op::GroupTileset => route.to(tiles::dataset_tileset),
            Op::DatasetTile | Op::GroupTile => route.to(tiles::dataset_tile),
            Op::CollectionTilesets => route.to(tiles::collection_tilesets),
            Op::CollectionTileset => route.to(tiles::collection_tileset_doc),
            Op::CollectionTile => route.to(tiles::collection_tile),
        };
        cfg.route(&path, route);
    }
    cfg.route(
        "/{tenant}/ogcapi/",
        web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head())).to(landing),
    );
    edit::routes(cfg);
}

/// The encoding of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON (GeoJSON for features, OpenAPI for `/api`, JSON Schema for queryables).
    Json,
    /// A page for people.
    Html,
}

/// `f`, else the `Accept` header: HTML when the client asks for it before any JSON.
fn negotiate(query: &Query, req: &HttpRequest) -> Result<Format, OgcException> {
    if let Some(f) = query.get("f") {
        return match f.trim().to_ascii_lowercase().as_str() {
            "json" | "geojson" | "mvt" | "application/json" | "application/geo+json" => Ok(Format::Json),
            "html" | "text/html" => Ok(Format::Html),
            _ => Err(invalid("f", "f is json, geojson, mvt or html")),
        };
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let position = |needle: &str| accept.find(needle);
    let html = position("text/html");
    let json = ["json", "*/*"].iter().filter_map(|n| position(n)).min();
    Ok(match (html, json) {
        (Some(h), Some(j)) if h < j => Format::Html,
        (Some(_), None) => Format::Html,
        _ => Format::Json,
    })
}

/// One request of the API: its scope, parameters (checked against the operation) and format.
struct Api {
    scope: Scope<OgcApi>,
    query: Query,
    format: Format,
    base: String,
}

impl Api {
    /// Checks the parameters of `op`; `layer` supplies the queryables where they are
    /// parameters.
    fn new(scope: Scope<OgcApi>, req: &HttpRequest, op: Op, layer: Option<&Layer>) -> Result<Api, ServiceError> {
        let names: Vec<&str> = layer.map(|l| l.schema.attributes.iter().map(|a| a.name.as_str()).collect()).unwrap_or_default();
        let query = Query::parse(req.query_string(), params::operation(op), &names)
            .map_err(|m| scope.error(OgcException::new(ExceptionCode::InvalidParameterValue, m)))?;
        let format = negotiate(&query, req).map_err(|e| scope.error(e))?;
        let base = scope.service_url("ogcapi");
        Ok(Api { scope, query, format, base })
    }

    /// An absolute link to `path` (below the API root) in encoding `f`, keeping an `apikey`
    /// given as a parameter.
    fn href(&self, path: &str, f: Option<&str>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(f) = f {
            q.append_pair("f", f);
        }
        if let Some(k) = self.query.get("apikey") {
            q.append_pair("apikey", k);
        }
        let q = q.finish();
        if q.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{q}", self.base)
        }
    }

    /// `self` and `alternate` links of a resource at `path`.
    fn self_links(&self, path: &str, json_type: &str) -> Vec<Json> {
        let (json_f, html_f) = (if json_type == GEOJSON { "geojson" } else { "json" }, "html");
        let link = |rel: &str, t: &str, f: &str| json!({ "rel": rel, "type": t, "href": self.href(path, Some(f)) });
        match self.format {
            Format::Json => vec![link("self", json_type, json_f), link("alternate", HTML, html_f)],
            Format::Html => vec![link("self", HTML, html_f), link("alternate", json_type, json_f)],
        }
    }
}

/// A collection by id, visible to the caller: 404 when absent or invisible, 403 when the
/// caller's credentials do not cover it.
fn layer_of<'a>(scope: &'a Scope<OgcApi>, id: &str) -> Result<&'a Arc<Layer>, ServiceError> {
    let (catalog, tenant) = (scope.catalog(), scope.tenant());
    if let Some(denial) = catalog.denied(tenant, &scope.caller, id) {
        return Err(scope.error(OgcException::from(denial)));
    }
    catalog.layer(tenant, &scope.caller, id).ok_or_else(|| {
        let shown: String = id.chars().take(64).collect();
        scope.error(OgcException::new(ExceptionCode::NotFound, format!("no collection '{shown}'; see /collections")).at("collectionId"))
    })
}

/// A 200 of every API resource: its media type, `Vary: Accept` (content negotiation) and CORS.
fn ok(media: &str) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.content_type(media.to_string()).insert_header((header::VARY, "Accept")).insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    r
}

fn respond(body: String, media: &str) -> HttpResponse {
    ok(media).body(body)
}

fn answer(api: &Api, doc: Json, media: &str, page: impl FnOnce(&Json) -> String) -> HttpResponse {
    match api.format {
        Format::Json => respond(doc.to_string(), media),
        Format::Html => respond(page(&doc), "text/html; charset=utf-8"),
    }
}

/// `GET /{tenant}/ogcapi`.
async fn landing(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::Landing, None)?;
    let tenant = api.scope.tenant();
    let mut links = api.self_links("", JSON);
    links.extend([
        json!({ "rel": "service-desc", "type": OPENAPI, "title": "OpenAPI 3.0", "href": api.href("/api", None) }),
        json!({ "rel": "service-doc", "type": HTML, "title": "Documentazione dell'API", "href": api.href("/api", Some("html")) }),
        json!({ "rel": "conformance", "type": JSON, "title": "Classi di conformità", "href": api.href("/conformance", None) }),
        json!({ "rel": "data", "type": JSON, "title": "Collezioni", "href": api.href("/collections", None) }),
        json!({ "rel": TILESETS_REL, "type": JSON, "title": "Tasselli vettoriali", "href": api.href("/tiles", None) }),
        json!({ "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": JSON, "title": "Schemi di tassellatura",
                "href": api.href("/tileMatrixSets", None) }),
    ]);
    let doc = json!({
        "title": format!("{} — OGC API", tenant.title),
        "description": "OGC API – Features (con CRS e filtri CQL2) dei dati del SIT metropolitano.",
        "links": links,
    });
    Ok(answer(&api, doc, JSON, |d| html::landing(&api, d)))
}

/// `GET /{tenant}/ogcapi/conformance`.
async fn conformance(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::Conformance, None)?;
    let mut classes: Vec<&str> = CONFORMANCE.to_vec();
    // Part 4 where the service has editable collections.
    let (catalog, tenant) = (api.scope.catalog(), api.scope.tenant());
    if tenant.layer_indexes.iter().any(|&i| catalog.layers[i].config.editable) {
        classes.extend(edit::CONFORMANCE);
    }
    let doc = json!({ "conformsTo": classes, "links": api.self_links("/conformance", JSON) });
    Ok(answer(&api, doc, JSON, |d| html::conformance(&api, d)))
}

/// `GET /{tenant}/ogcapi/api`: the OpenAPI document (`f=html`: its documentation page).
async fn api(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::Api, None)?;
    let doc = openapi::document(&api);
    Ok(answer(&api, doc, OPENAPI, |d| html::api_doc(&api, d)))
}

/// The CRS a collection offers: CRS84 first, then the registry.
fn crs_list() -> Vec<String> {
    std::iter::once(Crs::CRS84.uri()).chain(Crs::all().filter(|c| *c != Crs::CRS84).map(|c| c.uri())).collect()
}

fn collection_doc(api: &Api, layer: &Layer) -> Json {
    let b = api.scope.tenant().extent_lonlat;
    let path = format!("/collections/{}", layer.name());
    let mut links = api.self_links(&path, JSON);
    links.extend([
        json!({ "rel": "items", "type": GEOJSON, "title": "Oggetti (GeoJSON)", "href": api.href(&format!("{path}/items"), Some("geojson")) }),
        json!({ "rel": "items", "type": HTML, "title": "Oggetti (HTML)", "href": api.href(&format!("{path}/items"), Some("html")) }),
        json!({ "rel": QUERYABLES_REL, "type": SCHEMA_JSON, "title": "Proprietà interrogabili",
                "href": api.href(&format!("{path}/queryables"), None) }),
        json!({ "rel": TILESETS_REL, "type": JSON, "title": "Tasselli vettoriali", "href": api.href(&format!("{path}/tiles"), None) }),
    ]);
    let mut extent = json!({ "spatial": { "bbox": [[b.min_x, b.min_y, b.max_x, b.max_y]], "crs": Crs::CRS84.uri() } });
    if items::temporal_property(layer).is_some() {
        extent["temporal"] = json!({ "interval": [[null, null]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian" });
    }
    json!({
        "id": layer.name(),
        "title": layer.config.title,
        "description": layer.config.abstract_,
        "keywords": layer.config.keywords,
        "itemType": "feature",
        "extent": extent,
        "crs": crs_list(),
        "storageCrs": layer.schema.crs.uri(),
        "links": links,
    })
}

/// `GET /{tenant}/ogcapi/collections`.
async fn collections(scope: Scope<OgcApi>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let api = Api::new(scope, &req, Op::Collections, None)?;
    let (catalog, tenant) = (api.scope.catalog(), api.scope.tenant());
    let list: Vec<Json> = catalog.visible_layers(tenant, &api.scope.caller).map(|l| collection_doc(&api, l)).collect();
    let doc = json!({ "links": api.self_links("/collections", JSON), "collections": list, "crs": crs_list() });
    Ok(answer(&api, doc, JSON, |d| html::collections(&api, d)))
}

/// `GET /{tenant}/ogcapi/collections/{collectionId}`.
async fn collection(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    let api = Api::new(scope, &req, Op::Collection, None)?;
    let doc = collection_doc(&api, &layer);
    Ok(answer(&api, doc, JSON, |d| html::collection(&api, d)))
}

/// JSON Schema of one attribute.
fn attribute_schema(kind: AttributeType, title: &str) -> Json {
    let mut s = match kind {
        AttributeType::Int => json!({ "type": "integer" }),
        AttributeType::Float => json!({ "type": "number" }),
        AttributeType::Text => json!({ "type": "string" }),
        AttributeType::Bool => json!({ "type": "boolean" }),
        AttributeType::Date => json!({ "type": "string", "format": "date" }),
    };
    s["title"] = json!(title);
    s
}

/// The queryables of a layer: its attributes (titles from the configuration) and its geometry.
fn queryables_doc(api: &Api, layer: &Layer) -> Json {
    let mut properties = serde_json::Map::new();
    let geometry_format = format!("geometry-{}", layer.config.geometry_type.to_ascii_lowercase());
    properties.insert(
        layer.config.geometry_column.clone(),
        json!({ "title": "Geometria", "format": geometry_format, "x-ogc-role": "primary-geometry" }),
    );
    for a in &layer.config.attributes {
        properties.insert(a.name.clone(), attribute_schema(a.kind, a.title.as_deref().unwrap_or(&a.name)));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": api.href(&format!("/collections/{}/queryables", layer.name()), None),
        "type": "object",
        "title": layer.config.title,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// `GET /{tenant}/ogcapi/collections/{collectionId}/queryables`.
async fn queryables(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    let api = Api::new(scope, &req, Op::Queryables, None)?;
    let doc = queryables_doc(&api, &layer);
    Ok(answer(&api, doc, SCHEMA_JSON, |d| html::queryables(&api, d, layer.name())))
}

/// `GET /{tenant}/ogcapi/collections/{collectionId}/items`.
async fn items(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    let api = Api::new(scope, &req, Op::Items, Some(&layer))?;
    let max = api.scope.catalog().server.max_features;
    let request = ItemsRequest::parse(&api.query, &layer, max, api.scope.tenant().scope()).map_err(|e| api.scope.error(e))?;
    let resolved = request.resolve(&layer).map_err(|e| api.scope.error(e))?;
    let matched = items::quick_count(&layer, &resolved).await;
    let stream = layer.source.query(Arc::clone(&layer.schema), resolved.clone()).await.map_err(|e| api.scope.error(e.into()))?;
    let path = format!("/collections/{}/items", layer.name());
    let page_href = |offset: u64, f: &str| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("f", f);
        for (k, v) in api.query.pairs().filter(|(k, _)| *k != "offset" && *k != "f") {
            q.append_pair(k, v);
        }
        q.append_pair("offset", &offset.to_string());
        format!("{}{path}?{}", api.base, q.finish())
    };
    let (f, media) = match api.format {
        Format::Json => ("geojson", GEOJSON),
        Format::Html => ("html", HTML),
    };
    let mut links = vec![
        Link::new("self", media, page_href(request.offset, f)),
        Link::new(
            "alternate",
            if media == HTML { GEOJSON } else { HTML },
            page_href(request.offset, if f == "html" { "geojson" } else { "html" }),
        ),
        Link::new("collection", JSON, api.href(&format!("/collections/{}", layer.name()), None)),
        Link::new(QUERYABLES_REL, SCHEMA_JSON, api.href(&format!("/collections/{}/queryables", layer.name()), None)),
    ];
    if request.offset > 0 {
        links.push(Link::new("prev", media, page_href(request.offset.saturating_sub(request.limit), f)));
    }
    let next = Link::new("next", media, page_href(request.offset.saturating_add(request.limit), f));
    let attributes = resolved.columns.iter().map(|&c| layer.schema.attributes[c].clone()).collect();
    let page = ItemsPage {
        attributes,
        limit: request.limit,
        number_matched: matched,
        offset: request.offset,
        timestamp: crate::ogc::wfs::iso_now(),
        swap_axes: request.crs.north_first(),
        links,
        next,
    };
    let content_crs = format!("<{}>", request.crs.uri());
    let link_header = link_header(&page.links);
    let mut response = match api.format {
        Format::Json => stream_response(ItemsEncoder::new(page), stream, GEOJSON, &content_crs),
        Format::Html => {
            stream_response(html::ItemsHtml::new(&api, &layer, page, request.offset), stream, "text/html; charset=utf-8", &content_crs)
        }
    };
    // Links repeat the query: a long filter would make a head that proxies and clients refuse
    // (nginx's 4–8 KB buffers); the links are in the body anyway.
    if link_header.len() <= 4096 {
        if let Ok(v) = header::HeaderValue::from_str(&link_header) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

/// The `Link` header (RFC 8288) of the links known before the body: `self`, `alternate`,
/// `collection`, `prev`.
fn link_header(links: &[Link]) -> String {
    links.iter().map(|l| format!("<{}>; rel=\"{}\"; type=\"{}\"", l.href, l.rel, l.media_type)).collect::<Vec<_>>().join(", ")
}

fn stream_response<E: FeatureEncoder>(encoder: E, stream: crate::source::FeatureStream, media: &str, content_crs: &str) -> HttpResponse {
    let body = body_stream(encoder, vec![stream]).map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()));
    ok(media).insert_header(("Content-Crs", content_crs.to_string())).streaming(body)
}

/// `GET /{tenant}/ogcapi/collections/{collectionId}/items/{featureId}`.
async fn item(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<(String, String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id, fid) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    let api = Api::new(scope, &req, Op::Item, None)?;
    let not_found = || {
        let shown: String = fid.chars().take(64).collect();
        api.scope.error(OgcException::new(ExceptionCode::NotFound, format!("collection {id} has no feature '{shown}'")).at("featureId"))
    };
    let n: i64 = fid.parse().map_err(|_| not_found())?;
    let crs = items::crs_param(&api.query, "crs").map_err(|e| api.scope.error(e))?.unwrap_or(Crs::CRS84);
    let query = FeatureQuery {
        filter: Some(Filter::Ids(vec![n])),
        limit: Some(1),
        output_crs: Some(crs),
        tenant: api.scope.tenant().scope(),
        ..Default::default()
    };
    // Read in the layer's CRS with every attribute, so the entity tag is of exactly the state
    // shown (a second read could see a later edit), then moved into the CRS asked for.
    let resolved = full_row_query(query.resolve(&layer.schema, 1).map_err(|e| api.scope.error(e.into()))?, &layer.schema);
    let mut stream = layer.source.query(Arc::clone(&layer.schema), resolved.clone()).await.map_err(|e| api.scope.error(e.into()))?;
    let mut feature = match stream.next().await {
        Some(Ok(f)) => f,
        Some(Err(e)) => return Err(api.scope.error(e.into())),
        None => return Err(not_found()),
    };
    drop(stream);
    let etag = layer.config.editable.then(|| feature_etag(&feature));
    if let Some(wkb) = feature.wkb.take() {
        feature.wkb = Some(reproject_wkb(layer.name(), n, wkb, layer.schema.crs, crs).map_err(|e| api.scope.error(e.into()))?);
    }
    let attributes: Vec<_> = resolved.columns.iter().map(|&c| layer.schema.attributes[c].clone()).collect();
    let path = format!("/collections/{}/items/{n}", layer.name());
    let content_crs = format!("<{}>", crs.uri());
    let body = match api.format {
        Format::Json => {
            let mut links: Vec<Link> = api
                .self_links(&path, GEOJSON)
                .iter()
                .map(|l| Link::new(l["rel"].as_str().unwrap_or(""), l["type"].as_str().unwrap_or(""), l["href"].as_str().unwrap_or("")))
                .collect();
            links.push(Link::new("collection", JSON, api.href(&format!("/collections/{}", layer.name()), None)));
            let mut out = Vec::with_capacity(4096);
            write_item(&mut out, &attributes, &feature, crs.north_first(), &links).map_err(|e| {
                tracing::warn!("item {n} of {id}: {e}");
                api.scope.error(OgcException::new(ExceptionCode::NoApplicableCode, "the feature could not be encoded"))
            })?;
            (String::from_utf8_lossy(&out).into_owned(), GEOJSON)
        }
        Format::Html => (html::item(&api, &layer, &attributes, &feature), "text/html; charset=utf-8"),
    };
    let mut response = ok(body.1);
    response.insert_header(("Content-Crs", content_crs));
    // Editable features carry their entity tag, for If-Match on the next edit.
    if let Some(tag) = etag {
        response.insert_header((header::ETAG, tag));
    }
    Ok(response.body(body.0))
}
