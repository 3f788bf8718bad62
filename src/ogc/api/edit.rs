//! OGC API – Features Part 4 (create, replace, update, delete) on the collections: `POST
//! /items` (a GeoJSON Feature; 201 with `Location`), `PUT`/`PATCH` (JSON merge patch)/`DELETE
//! /items/{featureId}` (204), `OPTIONS` with `Allow` (what this caller may do here), and
//! optimistic locking: every item carries an `ETag`, and an `If-Match` that no longer matches
//! is a 412 with nothing written. The coordinates of a body are in its `Content-Crs` (CRS84
//! when absent). Who may edit and what is checked: [`crate::edit`].

use std::sync::Arc;

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value as Json;

use super::{layer_of, OgcApi};
use crate::catalog::Layer;
use crate::crs::Crs;
use crate::edit::geojson::{feature, JsonProblem};
use crate::edit::{allowed, Editor, Incoming, Session, Typing};
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::{read_body, Scope, ServiceError};
use crate::source::write::{feature_etag, full_row_query, ChangeKind, WriteAction};
use crate::source::FeatureQuery;

/// The conformance classes of Part 4 implemented.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
];

/// Mounts the write routes (the read routes are mounted from the operation table).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let items = "/{tenant}/ogcapi/collections/{collectionId}/items";
    let item = "/{tenant}/ogcapi/collections/{collectionId}/items/{featureId}";
    cfg.route(items, web::post().to(create))
        .route(items, web::method(Method::OPTIONS).to(options_items))
        .route(item, web::put().to(replace))
        .route(item, web::patch().to(update))
        .route(item, web::delete().to(delete))
        .route(item, web::method(Method::OPTIONS).to(options_item));
}

/// The methods of `/items` and `/items/{id}` for this caller.
fn allow(scope: &Scope<OgcApi>, layer: &Layer, item: bool) -> &'static str {
    match (allowed(&scope.caller, scope.tenant(), layer), item) {
        (true, false) => "GET, HEAD, POST, OPTIONS",
        (true, true) => "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        (false, _) => "GET, HEAD, OPTIONS",
    }
}

fn no_content(allow_header: &str) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ALLOW, allow_header.to_string()))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .finish()
}

/// `OPTIONS …/items`.
async fn options_items(scope: Scope<OgcApi>, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    Ok(no_content(allow(&scope, &layer, false)))
}

/// `OPTIONS …/items/{featureId}`.
async fn options_item(scope: Scope<OgcApi>, path: web::Path<(String, String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id, _) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    Ok(no_content(allow(&scope, &layer, true)))
}

/// Write requests take no query parameter but the credentials.
fn only_apikey(scope: &Scope<OgcApi>, req: &HttpRequest) -> Result<(), ServiceError> {
    for (k, _) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if k != "apikey" {
            let shown: String = k.chars().take(64).collect();
            return Err(scope.error(
                OgcException::new(ExceptionCode::InvalidParameterValue, format!("unknown parameter '{shown}' (writes take none)"))
                    .at(shown),
            ));
        }
    }
    Ok(())
}

/// The CRS of a body's coordinates: its `Content-Crs` header (`<uri>`), CRS84 when absent.
fn content_crs(scope: &Scope<OgcApi>, req: &HttpRequest) -> Result<Crs, ServiceError> {
    let Some(v) = req.headers().get("Content-Crs") else { return Ok(Crs::CRS84) };
    let text = v.to_str().unwrap_or("").trim().trim_start_matches('<').trim_end_matches('>');
    Crs::parse(text).map(|(c, _)| c).ok_or_else(|| {
        let shown: String = text.chars().take(80).collect();
        scope.error(OgcException::new(ExceptionCode::InvalidParameterValue, format!("unsupported Content-Crs '{shown}'")).at("Content-Crs"))
    })
}

/// A JSON body of one of the `accepted` media types, within the body limit.
async fn json_body(scope: &Scope<OgcApi>, req: &HttpRequest, payload: web::Payload, accepted: &[&str]) -> Result<Json, ServiceError> {
    let media = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !accepted.contains(&media.as_str()) {
        let e = OgcException::new(ExceptionCode::InvalidParameterValue, format!("send the body as {}", accepted.join(" or ")))
            .at("Content-Type")
            .with_status(415);
        return Err(scope.error(e));
    }
    let body = read_body(payload, scope.catalog().server.max_body_bytes, scope.format).await?;
    serde_json::from_slice(&body)
        .map_err(|e| scope.error(OgcException::new(ExceptionCode::InvalidParameterValue, format!("the body is not JSON: {e}")).at("body")))
}

fn problem(scope: &Scope<OgcApi>, p: JsonProblem) -> ServiceError {
    scope.error(OgcException::new(ExceptionCode::InvalidParameterValue, p.message).at(if p.pointer.is_empty() {
        "/".into()
    } else {
        p.pointer
    }))
}

/// The feature id of a path (404 when it is not one).
fn feature_id(scope: &Scope<OgcApi>, layer: &Layer, fid: &str) -> Result<i64, ServiceError> {
    fid.parse().map_err(|_| {
        let shown: String = fid.chars().take(64).collect();
        scope.error(
            OgcException::new(ExceptionCode::NotFound, format!("collection {} has no feature '{shown}'", layer.name())).at("featureId"),
        )
    })
}

/// An `id` member of a body must name the feature of the path.
fn same_id(scope: &Scope<OgcApi>, body_id: Option<Json>, fid: i64) -> Result<(), ServiceError> {
    match body_id {
        None | Some(Json::Null) => Ok(()),
        Some(v) if v.as_i64() == Some(fid) || v.as_str() == Some(fid.to_string().as_str()) => Ok(()),
        Some(_) => Err(scope
            .error(OgcException::new(ExceptionCode::InvalidParameterValue, "the body's id is not the feature's of the path").at("/id"))),
    }
}

/// `If-Match`: the entity tag the feature must have (`*` and absent: any).
fn if_match(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::IF_MATCH)?.to_str().ok()?.trim().to_string();
    (v != "*").then_some(v)
}

/// The entity tag of a stored feature of the tenant, if it exists.
pub async fn current_etag(layer: &Layer, tenant: Option<crate::source::TenantScope>, fid: i64) -> Result<Option<String>, OgcException> {
    let query = FeatureQuery { filter: Some(Filter::Ids(vec![fid])), tenant, limit: Some(1), fresh: true, ..Default::default() };
    let resolved = full_row_query(query.resolve(&layer.schema, 1)?, &layer.schema);
    use futures_util::StreamExt;
    let mut stream = layer.source.query(Arc::clone(&layer.schema), resolved).await?;
    match stream.next().await {
        Some(Ok(f)) => Ok(Some(feature_etag(&f))),
        Some(Err(e)) => Err(e.into()),
        None => Ok(None),
    }
}

/// The editing session of this request.
fn session(scope: &Scope<OgcApi>) -> Session<'_> {
    Session::new(scope.state(), scope.tenant(), &scope.caller)
}

/// The editor of a collection for this request.
fn editor<'a>(scope: &'a Scope<OgcApi>, session: &Session<'a>, layer: Arc<Layer>) -> Result<Editor<'a>, ServiceError> {
    session.editor(layer).map_err(|e| scope.error(e))
}

/// `POST …/items`: a new feature.
async fn create(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let (_, id) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    only_apikey(&scope, &req)?;
    let session = session(&scope);
    let editor = editor(&scope, &session, Arc::clone(&layer))?;
    let crs = content_crs(&scope, &req)?;
    let doc = json_body(&scope, &req, payload, &["application/geo+json", "application/json"]).await?;
    let (incoming, _) = feature(&doc, crs).map_err(|p| problem(&scope, p))?;
    let row = editor.row(&incoming, true, Typing::Json, "/").map_err(|e| scope.error(e))?;
    let out = session.commit(vec![(Arc::clone(&layer), WriteAction::Insert(row))]).await.map_err(|(_, e)| scope.error(e))?;
    let fid = out.inserted.first().copied().unwrap_or_default();
    let location = format!("{}/collections/{}/items/{fid}", scope.service_url("ogcapi"), layer.name());
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location)).insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if let Ok(Some(tag)) = current_etag(&layer, scope.tenant().scope(), fid).await {
        response.insert_header((header::ETAG, tag));
    }
    Ok(response.finish())
}

/// `PUT …/items/{featureId}`: the feature replaced whole.
async fn replace(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let (_, id, fid) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    only_apikey(&scope, &req)?;
    let session = session(&scope);
    let editor = editor(&scope, &session, Arc::clone(&layer))?;
    let fid = feature_id(&scope, &layer, &fid)?;
    let crs = content_crs(&scope, &req)?;
    let doc = json_body(&scope, &req, payload, &["application/geo+json", "application/json"]).await?;
    let (incoming, body_id) = feature(&doc, crs).map_err(|p| problem(&scope, p))?;
    same_id(&scope, body_id, fid)?;
    apply_change(&scope, &req, &session, &editor, fid, ChangeKind::Replace, &incoming).await
}

/// `PATCH …/items/{featureId}`: a JSON merge patch (RFC 7396) of the feature: the properties
/// it names change (`null` empties one), a geometry replaces the old one.
async fn update(
    scope: Scope<OgcApi>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let (_, id, fid) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    only_apikey(&scope, &req)?;
    let session = session(&scope);
    let editor = editor(&scope, &session, Arc::clone(&layer))?;
    let fid = feature_id(&scope, &layer, &fid)?;
    let crs = content_crs(&scope, &req)?;
    let mut doc = json_body(&scope, &req, payload, &["application/merge-patch+json", "application/json", "application/geo+json"]).await?;
    let Some(obj) = doc.as_object_mut() else {
        return Err(problem(&scope, JsonProblem { pointer: String::new(), message: "a merge patch of a feature is a JSON object".into() }));
    };
    if let Some(unknown) = obj.keys().find(|k| !["type", "id", "properties", "geometry", "links"].contains(&k.as_str())) {
        let pointer = format!("/{unknown}");
        return Err(problem(&scope, JsonProblem { pointer, message: "a feature has no such member".into() }));
    }
    if obj.get("geometry") == Some(&Json::Null) {
        return Err(problem(&scope, JsonProblem { pointer: "/geometry".into(), message: "the geometry cannot be removed".into() }));
    }
    obj.insert("type".into(), Json::String("Feature".into()));
    let (incoming, body_id) = feature(&doc, crs).map_err(|p| problem(&scope, p))?;
    same_id(&scope, body_id, fid)?;
    apply_change(&scope, &req, &session, &editor, fid, ChangeKind::Update, &incoming).await
}

/// Writes a replace or an update of feature `fid` (with the request's `If-Match`), then 204
/// with the new entity tag.
async fn apply_change(
    scope: &Scope<OgcApi>,
    req: &HttpRequest,
    session: &Session<'_>,
    editor: &Editor<'_>,
    fid: i64,
    kind: ChangeKind,
    incoming: &Incoming,
) -> Result<HttpResponse, ServiceError> {
    let row = editor.row(incoming, kind == ChangeKind::Replace, Typing::Json, "/").map_err(|e| scope.error(e))?;
    let target = editor.selection(None, Some(fid), if_match(req), "featureId").map_err(|e| scope.error(e))?;
    let action = WriteAction::Change { kind, target, row };
    session.commit(vec![(Arc::clone(&editor.layer), action)]).await.map_err(|(_, e)| scope.error(e))?;
    changed(scope, &editor.layer, fid).await
}

/// `DELETE …/items/{featureId}`.
async fn delete(scope: Scope<OgcApi>, req: HttpRequest, path: web::Path<(String, String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, id, fid) = path.into_inner();
    let layer = Arc::clone(layer_of(&scope, &id)?);
    only_apikey(&scope, &req)?;
    let session = session(&scope);
    let editor = editor(&scope, &session, Arc::clone(&layer))?;
    let fid = feature_id(&scope, &layer, &fid)?;
    let target = editor.selection(None, Some(fid), if_match(&req), "featureId").map_err(|e| scope.error(e))?;
    session.commit(vec![(Arc::clone(&layer), WriteAction::Delete { target })]).await.map_err(|(_, e)| scope.error(e))?;
    Ok(HttpResponse::NoContent().insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")).finish())
}

/// 204 with the feature's new entity tag.
async fn changed(scope: &Scope<OgcApi>, layer: &Layer, fid: i64) -> Result<HttpResponse, ServiceError> {
    let mut response = HttpResponse::NoContent();
    response.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if let Some(tag) = current_etag(layer, scope.tenant().scope(), fid).await.map_err(|e| scope.error(e))? {
        response.insert_header((header::ETAG, tag));
    }
    Ok(response.finish())
}
