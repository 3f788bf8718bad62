//! The builder's HTTP API (JSON), `/{tenant}/admin/apps…`: list, read, save (validated, 422
//! with a pointer to every problem, nothing saved), delete, publish, revisions with a diff of
//! two, roll back. Only callers whose role has `apps = true` in the tenant (403 otherwise; 401
//! without credentials), with the credentials in the `Authorization` header — never in the URL.
//! Header credentials are not sent by browsers on their own, so these requests cannot be forged
//! cross-site; cookie sessions (the browser builder) add a CSRF token on top.
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/{t}/admin/apps` | the tenant's apps |
//! | GET, PUT, DELETE | `/{t}/admin/apps/{slug}` | the draft (`ETag: "v{version}"`, `If-Match` on PUT) |
//! | POST | `/{t}/admin/apps/{slug}/publish` | a new revision |
//! | GET | `/{t}/admin/apps/{slug}/revisions[?diff=A,B]` | history, or what changed from A to B |
//! | POST | `/{t}/admin/apps/{slug}/rollback?revision=N` | publish N again |
//! | POST | `/{t}/admin/apps/{slug}/copy?to=NEW` | a new app (a draft) from this one's draft |
//! | GET | `/{t}/admin/apps/{slug}/preview` | the viewer over the draft (HTML) |
//!
//! `GET /{t}/admin/apps` asked for by a browser (`Accept: text/html`, or `?f=html`) is the
//! builder page itself: without a session it sends the browser to the log-in form.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};

use super::admin::{self, SaveError};
use super::document::{Msg, Problems};
use super::viewer::{json_error, lang, store_error};
use crate::appstore::{valid_slug, AppRecord, MAX_DOCUMENT_BYTES};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::{read_body, Scope, ServiceError};

/// Mounts the builder API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/admin/apps", web::get().to(list))
        .route("/{tenant}/admin/apps/{slug}", web::get().to(read))
        .route("/{tenant}/admin/apps/{slug}", web::put().to(save))
        .route("/{tenant}/admin/apps/{slug}", web::delete().to(delete))
        .route("/{tenant}/admin/apps/{slug}/publish", web::post().to(publish))
        .route("/{tenant}/admin/apps/{slug}/revisions", web::get().to(revisions))
        .route("/{tenant}/admin/apps/{slug}/rollback", web::post().to(roll_back))
        .route("/{tenant}/admin/apps/{slug}/copy", web::post().to(copy))
        .route("/{tenant}/admin/apps/{slug}/preview", web::get().to(preview));
}

/// Whether a browser asks for a page rather than the JSON API.
fn wants_html(scope: &Scope, req: &HttpRequest) -> bool {
    match scope.kvp.get("f") {
        Some(f) => f.eq_ignore_ascii_case("html"),
        None => req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html")),
    }
}

/// The builder page (HTML), or where to go first.
fn page(scope: &Scope, req: &HttpRequest) -> HttpResponse {
    let key = scope.tenant().url_key().to_string();
    if !scope.caller.is_authenticated() {
        let next = format!("/{key}/admin/apps{}", if super::viewer::lang(scope) == "en" { "?lang=en" } else { "" });
        let to = format!("/{key}/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
        return HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish();
    }
    let t = scope.tenant();
    if !scope.caller.may_manage_apps(&t.id, t.slug.as_deref()) {
        return HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body(format!(
            "Queste credenziali non gestiscono le mappe di {} / these credentials do not manage the apps of {}",
            t.title, t.title
        ));
    }
    let catalog = scope.catalog();
    let csrf =
        crate::http::cookie(req, crate::http::SESSION_COOKIE).and_then(|c| catalog.auth.session(c)).map(|c| c.csrf).unwrap_or_default();
    let layers: Vec<Json> = catalog
        .visible_layers(t, &scope.caller)
        .map(|l| {
            json!({ "name": l.name(), "title": l.config.title, "group": l.config.group, "styles": l.config.style.iter().collect::<Vec<_>>(),
                "geometry": l.config.geometry_type, "restricted": l.config.access != crate::config::Access::Public })
        })
        .collect();
    let e = &t.extent_lonlat;
    let data = json!({
        "tenant": key, "tenant_title": t.title, "lang": super::viewer::lang(scope), "csrf": csrf, "user": scope.caller.name(),
        "api": format!("/{key}/admin/apps"), "apps": format!("/{key}/apps"), "wms": format!("/{key}/wms"), "logout": format!("/{key}/logout"),
        "extent": [e.min_x, e.min_y, e.max_x, e.max_y], "tools": super::document::TOOLS, "roles": catalog.auth.role_names(),
        "layers": layers,
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", BUILDER_CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(super::page::builder(scope, &data))
}

/// The builder page reaches this server only and is never framed.
const BUILDER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
     font-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The viewer over an app's draft, for the operator to look at before publishing.
async fn preview(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    let r = record(&scope, slug).await?;
    let json = admin::check(&r.draft, scope.catalog(), scope.tenant(), &scope.caller).map_err(|p| invalid(&scope, &p))?;
    let doc = super::document::read_stored(&json)
        .ok_or_else(|| json_error(422, ExceptionCode::InvalidParameterValue, "the draft cannot be read"))?;
    let runtime = super::document::runtime(&doc, scope.catalog(), scope.tenant(), &scope.caller);
    let page = super::page::viewer(&scope, slug, 0, &doc, &runtime);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", super::viewer::csp(&doc)))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page))
}

/// `it` or `en`, as the builder's language asks (`lang=en`; Italian otherwise).
fn say(scope: &Scope, it: &'static str, en: &'static str) -> &'static str {
    if lang(scope) == "en" {
        en
    } else {
        it
    }
}

/// The operator check of every builder request.
fn operator(scope: &Scope) -> Result<(), ServiceError> {
    if scope.kvp.get("apikey").is_some() {
        return Err(json_error(
            400,
            ExceptionCode::InvalidParameterValue,
            say(
                scope,
                "qui le credenziali vanno nell'intestazione Authorization, mai nell'indirizzo",
                "credentials go in the Authorization header here, never in the URL",
            ),
        ));
    }
    if !scope.caller.is_authenticated() {
        return Err(json_error(
            401,
            ExceptionCode::NoApplicableCode,
            say(
                scope,
                "accedi per gestire le mappe (Authorization: ApiKey … o Bearer …, o la sessione del costruttore)",
                "sign in to manage apps (Authorization: ApiKey … or Bearer …, or the builder's session)",
            ),
        ));
    }
    let t = scope.tenant();
    if !scope.caller.may_manage_apps(&t.id, t.slug.as_deref()) {
        let m = Msg::new(
            format!("queste credenziali non gestiscono le mappe di {}", t.title),
            format!("these credentials do not manage the apps of {}", t.title),
        );
        return Err(json_error(403, ExceptionCode::NoApplicableCode, m.get(lang(scope))));
    }
    Ok(())
}

fn slug_of(path: &(String, String)) -> Result<&str, ServiceError> {
    let slug = path.1.as_str();
    if !valid_slug(slug) {
        return Err(json_error(404, ExceptionCode::NotFound, "app names are 1–63 of a-z, 0-9 and '-'"));
    }
    Ok(slug)
}

/// One app as the builder lists it, with what today's catalog finds wrong in its draft (e.g. a
/// layer removed from the configuration since it was saved: the viewer draws the rest).
fn summary(scope: &Scope, r: &AppRecord) -> Json {
    let title = serde_json::from_str::<Json>(&r.draft).ok().and_then(|d| d["title"].as_str().map(str::to_string));
    let problems: Vec<Json> = match admin::check(&r.draft, scope.catalog(), scope.tenant(), &scope.caller) {
        Ok(_) => Vec::new(),
        Err(p) => p.in_lang(lang(scope)).into_iter().map(|(pointer, message)| json!({ "pointer": pointer, "message": message })).collect(),
    };
    json!({ "slug": r.slug, "title": title, "version": r.version, "published": r.published, "latest": r.latest,
        "updated_at": r.updated_at, "updated_by": r.updated_by, "problems": problems })
}

async fn list(scope: Scope, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    if wants_html(&scope, &req) {
        return Ok(page(&scope, &req));
    }
    operator(&scope)?;
    let apps = scope.apps().list(&scope.tenant().id).await.map_err(store_error)?;
    Ok(HttpResponse::Ok().json(json!({ "apps": apps.iter().map(|r| summary(&scope, r)).collect::<Vec<_>>() })))
}

async fn record(scope: &Scope, slug: &str) -> Result<AppRecord, ServiceError> {
    scope.apps().get(&scope.tenant().id, slug).await.map_err(store_error)?.ok_or_else(|| {
        json_error(404, ExceptionCode::NotFound, Msg::new(format!("nessuna mappa '{slug}'"), format!("no app '{slug}'")).get(lang(scope)))
    })
}

async fn read(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let r = record(&scope, slug_of(&path)?).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, format!("\"v{}\"", r.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(r.draft))
}

/// The draft version an `If-Match: "v{N}"` names (`None` without the header).
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ServiceError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let v = v.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
    v.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| json_error(412, ExceptionCode::InvalidParameterValue, "If-Match is not an ETag of this app"))
}

async fn save(scope: Scope, path: web::Path<(String, String)>, req: HttpRequest, body: web::Payload) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    let expected = if_match(&req)?;
    let bytes = read_body(body, MAX_DOCUMENT_BYTES + 1, ReportFormat::Json).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        json_error(400, ExceptionCode::InvalidParameterValue, say(&scope, "il documento non è UTF-8", "the document is not UTF-8"))
    })?;
    let existed = scope.apps().get(&scope.tenant().id, slug).await.map_err(store_error)?.is_some();
    if let (Some(_), false) = (expected, existed) {
        return Err(json_error(
            412,
            ExceptionCode::InvalidParameterValue,
            say(&scope, "If-Match indicato ma la mappa non esiste", "If-Match given but the app does not exist"),
        ));
    }
    let saved = match expected {
        // A conditional save: checked, then stored only if the draft is still that version.
        Some(v) => match admin::check(text, scope.catalog(), scope.tenant(), &scope.caller) {
            Ok(_) => scope
                .apps()
                .save_draft(&scope.tenant().id, slug, text, Some(v), scope.caller.name())
                .await
                .map(|_| None)
                .map_err(SaveError::Store),
            Err(p) => Err(SaveError::Invalid(p)),
        },
        None => admin::save(scope.catalog(), scope.apps(), scope.tenant(), &scope.caller, slug, text, false).await,
    };
    match saved {
        Ok(_) => {
            let r = record(&scope, slug).await?;
            let mut res = if existed { HttpResponse::Ok() } else { HttpResponse::Created() };
            Ok(res.insert_header((header::ETAG, format!("\"v{}\"", r.version))).json(summary(&scope, &r)))
        }
        Err(SaveError::Invalid(p)) => Err(invalid(&scope, &p)),
        Err(SaveError::Store(crate::appstore::StoreError::Conflict(m))) if expected.is_some() => {
            Err(json_error(412, ExceptionCode::InvalidParameterValue, m))
        }
        Err(SaveError::Store(e)) => Err(store_error(e)),
    }
}

/// 422 with every problem (pointer, message in the builder's language); the first is the
/// locator.
fn invalid(scope: &Scope, problems: &Problems) -> ServiceError {
    let lang = lang(scope);
    let problems = problems.in_lang(lang);
    let first = problems.first().cloned().unwrap_or_default();
    let what = if lang == "en" { "invalid app document" } else { "documento della mappa non valido" };
    let e = OgcException::new(ExceptionCode::InvalidParameterValue, format!("{what}: {}", first.1))
        .at(first.0)
        .with_status(422)
        .with_problems(problems);
    ServiceError::new(e, ReportFormat::Json)
}

async fn delete(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    match scope.apps().delete(&scope.tenant().id, slug).await.map_err(store_error)? {
        true => Ok(HttpResponse::NoContent().finish()),
        false => Err(json_error(404, ExceptionCode::NotFound, format!("no app '{slug}'"))),
    }
}

async fn publish(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    // The draft is checked again: the catalog may have changed since it was saved.
    let r = record(&scope, slug).await?;
    admin::check(&r.draft, scope.catalog(), scope.tenant(), &scope.caller).map_err(|p| invalid(&scope, &p))?;
    let n = scope.apps().publish(&scope.tenant().id, slug, scope.caller.name()).await.map_err(store_error)?;
    Ok(HttpResponse::Ok().json(json!({ "slug": slug, "revision": n, "href": format!("/{}/apps/{slug}", scope.tenant().url_key()) })))
}

fn revision_number(raw: &str, name: &str) -> Result<u32, ServiceError> {
    raw.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        ServiceError::new(
            OgcException::new(ExceptionCode::InvalidParameterValue, format!("{name}: a revision number")).at(name.to_string()),
            ReportFormat::Json,
        )
    })
}

async fn revision_json(scope: &Scope, slug: &str, n: u32) -> Result<Json, ServiceError> {
    let rev = scope.apps().revision(&scope.tenant().id, slug, n).await.map_err(store_error)?;
    let rev = rev.ok_or_else(|| json_error(404, ExceptionCode::NotFound, format!("no revision {n}")))?;
    Ok(serde_json::from_str(&rev.document).unwrap_or(Json::Null))
}

async fn revisions(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    let r = record(&scope, slug).await?;
    if let Some(pair) = scope.kvp.get("diff") {
        let (a, b) = pair.split_once(',').ok_or_else(|| json_error(400, ExceptionCode::InvalidParameterValue, "diff=A,B"))?;
        let (a, b) = (revision_number(a, "diff")?, revision_number(b, "diff")?);
        let (old, new) = (revision_json(&scope, slug, a).await?, revision_json(&scope, slug, b).await?);
        return Ok(HttpResponse::Ok().json(json!({ "from": a, "to": b, "changes": super::diff::diff(&old, &new) })));
    }
    let list = scope.apps().revisions(&scope.tenant().id, slug).await.map_err(store_error)?;
    let items: Vec<Json> = list
        .iter()
        .map(|v| json!({ "revision": v.number, "published_at": v.published_at, "published_by": v.published_by, "current": r.published == Some(v.number) }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "slug": slug, "published": r.published, "revisions": items })))
}

async fn roll_back(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let slug = slug_of(&path)?;
    let n = revision_number(scope.kvp.get("revision").unwrap_or(""), "revision")?;
    let r = scope.apps().roll_back(&scope.tenant().id, slug, n, scope.caller.name()).await.map_err(store_error)?;
    Ok(HttpResponse::Ok().json(summary(&scope, &r)))
}

async fn copy(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    operator(&scope)?;
    let from = record(&scope, slug_of(&path)?).await?;
    let to = scope.kvp.get("to").unwrap_or("").trim().to_string();
    if !valid_slug(&to) {
        let e = OgcException::new(ExceptionCode::InvalidParameterValue, "to: 1–63 of a-z, 0-9 and '-'").at("to").with_status(422);
        return Err(ServiceError::new(e, ReportFormat::Json));
    }
    // The copy is checked like any save: the source draft may predate a catalog change.
    admin::check(&from.draft, scope.catalog(), scope.tenant(), &scope.caller).map_err(|p| invalid(&scope, &p))?;
    let r = scope.apps().create(&scope.tenant().id, &to, &from.draft, scope.caller.name()).await.map_err(store_error)?;
    Ok(HttpResponse::Created().insert_header((header::ETAG, format!("\"v{}\"", r.version))).json(summary(&scope, &r)))
}
