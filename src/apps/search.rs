//! `GET /{tenant}/search?q=…[&limit=N]`: the places of the tenant matching `q`, best first, as a
//! GeoJSON FeatureCollection (a point to centre on, a `bbox` to fit for comuni and streets;
//! `properties`: kind, label, detail, layer, fid, score). Only layers the caller may see in
//! the tenant are searched, and a comune's tenant finds only its own places. The index is built
//! on the first search when missing or made for another `[[search]]` configuration.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value as Json};

use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::{Scope, ServiceError};
use crate::search::{Hit, SearchError, MAX_QUERY};

/// Mounts the search route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/search", web::get().to(search));
}

/// Most results of one query.
pub const MAX_LIMIT: usize = 20;

/// The query of a search request, checked.
#[derive(Debug, PartialEq)]
pub struct SearchRequest {
    /// The text.
    pub q: String,
    /// Most results.
    pub limit: usize,
}

impl SearchRequest {
    /// From the request's parameters.
    pub fn parse(kvp: &crate::http::kvp::Kvp) -> Result<SearchRequest, OgcException> {
        let q = kvp.get("q").unwrap_or_default().trim().to_string();
        if q.is_empty() {
            return Err(OgcException::new(ExceptionCode::MissingParameterValue, "q: say what to search for").at("q"));
        }
        if q.chars().count() > MAX_QUERY {
            return Err(OgcException::new(ExceptionCode::InvalidParameterValue, format!("q: at most {MAX_QUERY} characters")).at("q"));
        }
        let limit = match kvp.get("limit") {
            None => 10,
            Some(l) => l.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                OgcException::new(ExceptionCode::InvalidParameterValue, format!("limit: a whole number from 1 to {MAX_LIMIT}")).at("limit")
            })?,
        };
        Ok(SearchRequest { q, limit })
    }
}

fn round(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// One result as a GeoJSON feature.
fn feature(hit: &Hit) -> Json {
    let e = &hit.entry;
    let mut f = json!({
        "type": "Feature",
        "id": format!("{}.{}", e.layer, e.fid.unwrap_or(0)),
        "geometry": { "type": "Point", "coordinates": [round(e.lon), round(e.lat)] },
        "properties": {
            "kind": e.kind.as_str(),
            "label": e.label,
            "detail": e.detail,
            "layer": e.layer,
            "fid": e.fid,
            "score": (hit.score * 1000.0).round() / 1000.0,
        },
    });
    if let Some(b) = e.bbox {
        f["bbox"] = json!(b.map(round));
    }
    f
}

fn unavailable(e: SearchError) -> OgcException {
    tracing::error!("{e}");
    OgcException::new(ExceptionCode::NoApplicableCode, "the search index is unavailable").with_status(503)
}

async fn search(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let searcher = scope.searcher();
    let request = SearchRequest::parse(&scope.kvp).map_err(|e| scope.error(e))?;
    let (catalog, tenant) = (scope.catalog(), scope.tenant());
    let layers: Vec<String> =
        catalog.search.iter().filter(|s| catalog.layer(tenant, &scope.caller, &s.layer).is_some()).map(|s| s.layer.clone()).collect();
    searcher.ensure_built(catalog).await.map_err(|e| scope.error(unavailable(e)))?;
    let restrict = tenant.scope().map(|s| s.istat_code);
    let hits = searcher.search(&request.q, restrict, layers, request.limit).await.map_err(|e| scope.error(unavailable(e)))?;
    let body = json!({
        "type": "FeatureCollection",
        "query": request.q,
        "numberReturned": hits.len(),
        "features": hits.iter().map(feature).collect::<Vec<_>>(),
    });
    // Answers depend on the caller's grants: shared caches keep only anonymous ones.
    let cache = if scope.caller.is_authenticated() { "private, no-cache" } else { "public, max-age=60" };
    Ok(HttpResponse::Ok().content_type("application/geo+json").insert_header((header::CACHE_CONTROL, cache)).body(body.to_string()))
}
