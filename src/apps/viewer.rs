//! The map viewer of published apps: `GET /{tenant}/apps` lists them, `/{tenant}/apps/{slug}`
//! is the viewer page (HTML; the map itself is the OpenLayers bundle of `web/`),
//! `/{tenant}/apps/{slug}.json` the published document, `/schemas/app.json` its JSON Schema and
//! `/static/{file}` the bundle (hashed names, cached for a year). The page carries what the
//! script needs (the document resolved for the caller) in a JSON data block, and a Content
//! Security Policy that lets it reach nothing but this server (and the external basemap host an
//! operator chose).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value as Json;

use super::document::{self, AppDocument, Basemap};
use crate::appstore::{valid_slug, Revision, StoreError};
use crate::encode::xml_escape as esc;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::{Scope, ServiceError};

/// Mounts the viewer's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/schemas/app.json", web::get().to(schema))
        .route("/static/{file}", web::get().to(asset))
        .route("/{tenant}/apps", web::get().to(list))
        .route("/{tenant}/apps/{slug}", web::get().to(app));
}

pub(super) fn json_error(status: u16, code: ExceptionCode, text: impl Into<String>) -> ServiceError {
    ServiceError::new(OgcException::new(code, text).with_status(status), ReportFormat::Json)
}

pub(super) fn store_error(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound(m) => json_error(404, ExceptionCode::NotFound, m),
        StoreError::Conflict(m) => json_error(409, ExceptionCode::InvalidParameterValue, m),
        StoreError::Limit(m) => json_error(422, ExceptionCode::InvalidParameterValue, m),
        StoreError::Backend(m) => {
            tracing::error!("{m}");
            json_error(503, ExceptionCode::NoApplicableCode, "the app store is unavailable")
        }
    }
}

async fn schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(document::SCHEMA)
}

/// The bundle's file names (`manifest.json` written by `web/build.mjs`: logical → hashed name).
pub(super) fn manifest(dir: &std::path::Path) -> Option<serde_json::Map<String, Json>> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str::<Json>(&text).ok()?.as_object().cloned()
}

async fn asset(scope_dir: web::Data<crate::http::AppState>, file: web::Path<String>) -> Result<HttpResponse, ServiceError> {
    let dir = scope_dir.live().catalog.server.web_dir.clone();
    let name = file.into_inner();
    let listed = manifest(&dir).is_some_and(|m| m.values().any(|v| v.as_str() == Some(name.as_str())));
    if !listed || name.contains('/') || name.starts_with('.') {
        return Err(json_error(404, ExceptionCode::NotFound, "no such file"));
    }
    let bytes = tokio::fs::read(dir.join(&name)).await.map_err(|_| json_error(404, ExceptionCode::NotFound, "no such file"))?;
    let kind = match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

/// The page language: `?lang=en` for English, Italian otherwise.
pub(super) fn lang(scope: &Scope) -> &'static str {
    match scope.kvp.get("lang") {
        Some(l) if l.eq_ignore_ascii_case("en") => "en",
        _ => "it",
    }
}

/// The published document of an app, valid against today's catalog for the caller (a layer
/// removed since is dropped by [`document::runtime`], not here: validation is for saving).
pub(super) async fn published(scope: &Scope, slug: &str) -> Result<(Revision, AppDocument), ServiceError> {
    let gone = || json_error(404, ExceptionCode::NotFound, format!("no published app '{}'", slug.chars().take(64).collect::<String>()));
    if !valid_slug(slug) {
        return Err(gone());
    }
    let rev = scope.apps().published(&scope.tenant().id, slug).await.map_err(store_error)?.ok_or_else(gone)?;
    opened(scope, slug, rev)
}

/// A published revision read back and checked against the caller: the app's audience rules.
pub(super) fn opened(scope: &Scope, slug: &str, rev: Revision) -> Result<(Revision, AppDocument), ServiceError> {
    let gone = || json_error(404, ExceptionCode::NotFound, format!("no published app '{}'", slug.chars().take(64).collect::<String>()));
    let json: Json = serde_json::from_str(&rev.document).map_err(|_| gone())?;
    let doc = document::read_stored(&json).ok_or_else(gone)?;
    if doc.access == document::Access::Restricted && !scope.caller.is_authenticated() {
        return Err(json_error(401, ExceptionCode::NoApplicableCode, "this app is restricted: sign in to open it"));
    }
    if doc.access == document::Access::Restricted && !doc.roles.is_empty() && !scope.caller.has_any_role(&doc.roles) {
        return Err(json_error(403, ExceptionCode::NoApplicableCode, "this app is for other roles"));
    }
    Ok((rev, doc))
}

async fn app(scope: Scope, slug: web::Path<(String, String)>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let slug = slug.into_inner().1;
    if let Some(slug) = slug.strip_suffix(".json") {
        let (rev, _) = published(&scope, slug).await?;
        let etag = format!("\"{}-{}\"", slug, rev.number);
        if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
        }
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header(("X-Navigli-Revision", rev.number.to_string()))
            .body(rev.document));
    }
    let (rev, doc) = published(&scope, &slug).await?;
    Ok(viewer_page(&scope, &slug, rev.number, &doc))
}

/// The viewer page of a document, with its security headers.
pub(super) fn viewer_page(scope: &Scope, slug: &str, revision: u32, doc: &AppDocument) -> HttpResponse {
    let runtime = document::runtime(doc, scope.catalog(), scope.tenant(), &scope.caller);
    let page = super::page::viewer(scope, slug, revision, doc, &runtime);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", csp(doc)))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page)
}

/// The viewer's Content Security Policy: this server only, plus an external basemap's host
/// when the operator chose one; framing by the app's own origins.
pub fn csp(doc: &AppDocument) -> String {
    let extra = match &doc.basemap {
        Basemap::Xyz { url, .. } => {
            let host = url.trim_start_matches("https://").split('/').next().unwrap_or("");
            format!(" https://{host}")
        }
        _ => String::new(),
    };
    let frames: String = doc.embed_origins.iter().map(|o| format!(" {o}")).collect();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; \
         font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'{frames}"
    )
}

async fn list(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let records = scope.apps().list(&scope.tenant().id).await.map_err(store_error)?;
    let mut apps = Vec::new();
    for r in records.into_iter().filter(|r| r.published.is_some()) {
        let Some(rev) = scope.apps().published(&r.tenant, &r.slug).await.map_err(store_error)? else { continue };
        let Some(doc) = serde_json::from_str::<Json>(&rev.document).ok().and_then(|j| document::read_stored(&j)) else { continue };
        let opens = match doc.access {
            document::Access::Public => true,
            document::Access::Restricted => {
                scope.caller.is_authenticated() && (doc.roles.is_empty() || scope.caller.has_any_role(&doc.roles))
            }
        };
        if opens {
            apps.push((r.slug, doc));
        }
    }
    if scope.kvp.get("f").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        let key = scope.tenant().url_key().to_string();
        let items: Vec<Json> = apps
            .iter()
            .map(|(slug, d)| serde_json::json!({ "slug": slug, "title": d.title, "description": d.description, "href": format!("/{key}/apps/{slug}") }))
            .collect();
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "apps": items })));
    }
    let page = super::page::list(&scope, &apps);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'self'",
        ))
        .body(page))
}

/// Text for an HTML attribute or element (escaped).
pub(super) fn h(s: &str) -> std::borrow::Cow<'_, str> {
    esc(s)
}
