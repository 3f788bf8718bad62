//! The actix-web application: routes, shared state, request logging, and the server loop.
//!
//! URL scheme (see README): `/` landing page, `/health`, `/ready`, `/{tenant}` tenant page,
//! `/{tenant}/wms|wfs|ows` OGC services. `tenant` is `cmm`, an ISTAT code or a comune slug.

pub mod error;
mod landing;
pub mod roofs;
pub mod tiles;

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Service as _;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use crate::catalog::{Caller, Catalog, Tenant};
use crate::ogc::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::ogc::kvp::Kvp;
pub use error::ServiceError;

/// State shared by all workers.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The runtime catalog.
    pub catalog: Arc<Catalog>,
    /// Vector tiles and their cache.
    pub tiles: Arc<crate::tiles::TileService>,
}

impl AppState {
    /// What a WMS operation needs: catalog, tenant, caller and this service's URL.
    pub fn wms_context<'a>(&'a self, tenant: &'a Tenant, caller: &'a Caller, service: &str) -> crate::ogc::wms::WmsContext<'a> {
        let key = tenant.slug.as_deref().unwrap_or(&tenant.id);
        crate::ogc::wms::WmsContext {
            catalog: &self.catalog,
            tenant,
            caller,
            service_url: format!("{}/{key}/{service}", self.catalog.server.base_url()),
        }
    }

    /// What a WFS operation needs: catalog, tenant, caller and this service's URL.
    pub fn wfs_context<'a>(&'a self, tenant: &'a Tenant, caller: &'a Caller, service: &str) -> crate::ogc::wfs::WfsContext<'a> {
        let key = tenant.slug.as_deref().unwrap_or(&tenant.id);
        crate::ogc::wfs::WfsContext {
            catalog: &self.catalog,
            tenant,
            caller,
            service_url: format!("{}/{key}/{service}", self.catalog.server.base_url()),
            prefixes: Vec::new(),
        }
    }

    /// The caller of a request, from its `Authorization` header or its `apikey` query
    /// parameter; invalid credentials answer 401 in `format`.
    pub fn caller(&self, req: &HttpRequest, format: ReportFormat) -> Result<Caller, ServiceError> {
        let header = req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let apikey = form_urlencoded::parse(req.query_string().as_bytes())
            .take(crate::ogc::kvp::MAX_PARAMS)
            .find(|(k, _)| k.eq_ignore_ascii_case("apikey"))
            .map(|(_, v)| v.into_owned());
        self.catalog.auth.caller(header, apikey.as_deref()).map_err(|e| {
            tracing::info!("rejected credentials: {e}");
            ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, e.to_string()).with_status(401), format)
        })
    }

    /// Looks a tenant up, or answers 404 in `format`.
    pub fn tenant(&self, key: &str, format: ReportFormat) -> Result<&Tenant, ServiceError> {
        self.catalog.tenant(key).ok_or_else(|| ServiceError::tenant_not_found(key, format))
    }
}

/// `?apikey=…` when the request carried its key as a parameter: the WMS service URLs written
/// into capabilities keep it, so clients that cannot set headers (QGIS) stay authenticated.
fn apikey_suffix(kvp: &Kvp) -> String {
    match kvp.get("apikey") {
        Some(k) => format!("?apikey={}", form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()),
        None => String::new(),
    }
}

/// Registers every route; used by the server and by in-process tests.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let max_body = state.catalog.server.max_body_bytes;
        cfg.app_data(web::Data::new(state))
            .app_data(web::PayloadConfig::new(max_body))
            .route("/", web::get().to(landing::landing))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .route("/{tenant}", web::get().to(landing::tenant_page))
            .route("/{tenant}/", web::get().to(landing::tenant_page))
            .route("/{tenant}/roofs/estimate", web::get().to(roofs::estimate))
            .route("/{tenant}/roofs/at", web::get().to(roofs::at))
            .route("/{tenant}/tiles", web::get().to(tiles::index))
            .route("/{tenant}/tiles/{file}", web::get().to(tiles::tilejson))
            .route("/{tenant}/tiles/{source}/{z}/{x}/{file}", web::get().to(tiles::tile))
            .route("/{tenant}/{service:(wms|wfs|ows)}", web::get().to(ows_get))
            .route("/{tenant}/{service:(wms|wfs|ows)}", web::post().to(ows_post))
            .route("/{tenant}/{service:(wfs|ows)}/schema/{version}/{types}", web::get().to(wfs_schema))
            .default_service(web::to(not_found));
    }
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let checks = state.catalog.readiness().await;
    let all_ok = checks.iter().all(|(_, r)| r.is_ok());
    // Details (database messages) go to the log, not to anonymous callers.
    let sources: Vec<_> = checks
        .iter()
        .map(|(id, r)| {
            if let Err(e) = r {
                tracing::warn!(source = %id, "not ready: {e}");
            }
            serde_json::json!({ "id": id, "ok": r.is_ok() })
        })
        .collect();
    let body = serde_json::json!({ "status": if all_ok { "ready" } else { "unavailable" }, "sources": sources });
    if all_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let path: String = req.path().chars().take(100).collect();
    Err(ServiceError::new(
        OgcException::new(ExceptionCode::NotFound, format!("no resource at {path}; see / for the services")),
        ReportFormat::Json,
    ))
}

/// The exception format for a service path and the VERSION a client asked for.
fn report_format(service: &str, kvp: &Kvp) -> ReportFormat {
    let version = kvp.get("version").unwrap_or("");
    let wms = service == "wms" || kvp.get("service").is_some_and(|s| s.eq_ignore_ascii_case("wms"));
    match (wms, version) {
        (true, "1.1.1") | (true, "1.1.0") => ReportFormat::Wms111,
        (true, _) => ReportFormat::Wms130,
        (false, v) if v.starts_with("1.") => ReportFormat::Ows10,
        _ => ReportFormat::Ows11,
    }
}

/// The OGC service named by the path (`wms`, `wfs`) or, on `/ows`, by SERVICE.
fn resolve_service(path_service: &str, kvp: &Kvp) -> Result<&'static str, OgcException> {
    let asked = kvp.get("service").map(|s| s.to_ascii_uppercase());
    let invalid = |s: &str| {
        OgcException::new(ExceptionCode::InvalidParameterValue, format!("SERVICE={s} is not offered here (WMS, WFS)")).at("service")
    };
    match (path_service, asked.as_deref()) {
        ("wms", None | Some("WMS")) => Ok("WMS"),
        ("wfs", None | Some("WFS")) => Ok("WFS"),
        ("ows", Some("WMS")) => Ok("WMS"),
        ("ows", Some("WFS")) => Ok("WFS"),
        ("ows", None) => {
            Err(OgcException::new(ExceptionCode::MissingParameterValue, "parameter SERVICE is mandatory on /ows (WMS or WFS)")
                .at("service"))
        }
        (_, Some(s)) => Err(invalid(s)),
        _ => Err(invalid(path_service)),
    }
}

/// Operations each service will answer; protocol modules plug in here.
const WMS_OPERATIONS: &[&str] = &["GetCapabilities", "GetMap", "GetFeatureInfo", "GetLegendGraphic"];
const WFS_OPERATIONS: &[&str] =
    &["GetCapabilities", "DescribeFeatureType", "GetFeature", "GetPropertyValue", "ListStoredQueries", "DescribeStoredQueries"];

async fn ows_get(state: web::Data<AppState>, path: web::Path<(String, String)>, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let (tenant_key, path_service) = path.into_inner();
    let kvp = Kvp::parse(req.query_string()).map_err(|e| ServiceError::new(e, ReportFormat::Ows11))?;
    let format = report_format(&path_service, &kvp);
    let tenant = state.tenant(&tenant_key, format)?;
    let service = resolve_service(&path_service, &kvp).map_err(|e| ServiceError::new(e, format))?;
    let request = kvp.require("request").map_err(|e| ServiceError::new(e, format))?;
    let known = if service == "WMS" { WMS_OPERATIONS } else { WFS_OPERATIONS };
    let operation = known.iter().find(|op| op.eq_ignore_ascii_case(request));
    let caller = state.caller(&req, format)?;
    if let (Some(op), "WMS") = (operation, service) {
        let mut ctx = state.wms_context(tenant, &caller, &path_service);
        ctx.service_url.push_str(&apikey_suffix(&kvp));
        return crate::ogc::wms::handle(ctx, op, &kvp).await.map_err(|e| ServiceError::new(e, format));
    }
    if let (Some(op), "WFS") = (operation, service) {
        let ctx = state.wfs_context(tenant, &caller, &path_service);
        return crate::ogc::wfs::handle(ctx, op, &kvp).await.map_err(|(e, f)| ServiceError::new(e, f));
    }
    let text = match operation {
        Some(op) => format!("{service} {op} is not available yet on this server"),
        None => format!("{service} has no operation '{}'", request.chars().take(64).collect::<String>()),
    };
    Err(ServiceError::new(OgcException::new(ExceptionCode::OperationNotSupported, text).at("request"), format))
}

async fn wfs_schema(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let (tenant_key, service, version, types) = path.into_inner();
    let tenant = state.tenant(&tenant_key, ReportFormat::Ows11)?;
    let caller = state.caller(&req, ReportFormat::Ows11)?;
    let ctx = state.wfs_context(tenant, &caller, &service);
    crate::ogc::wfs::schema_by_path(ctx, &version, &types).map_err(|(e, f)| ServiceError::new(e, f))
}

/// Longest a request body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a request body within the size limit and [`BODY_TIMEOUT`]; every failure is an
/// exception report (413 too large, 408 too slow, 400 unreadable — e.g. a bad gzip body).
async fn read_body(mut payload: web::Payload, limit: usize, format: ReportFormat) -> Result<web::Bytes, ServiceError> {
    use futures_util::StreamExt;
    let fail = |status: u16, text: &str| {
        ServiceError::new(OgcException::new(ExceptionCode::OperationParsingFailed, text).with_status(status), format)
    };
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| fail(400, "the request body could not be read"))?;
            if body.len() + chunk.len() > limit {
                return Err(fail(413, &format!("the request body is larger than {limit} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(BODY_TIMEOUT, read).await.map_err(|_| fail(408, "the request body did not arrive in time"))?
}

async fn ows_post(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let (tenant_key, service) = path.into_inner();
    let format = if service == "wms" { ReportFormat::Wms130 } else { ReportFormat::Ows11 };
    let tenant = state.tenant(&tenant_key, format)?;
    let encoded = req
        .headers()
        .get(actix_web::http::header::CONTENT_ENCODING)
        .is_some_and(|v| !v.to_str().unwrap_or("?").trim().eq_ignore_ascii_case("identity"));
    if encoded {
        let e = OgcException::new(ExceptionCode::OperationParsingFailed, "compressed request bodies are not accepted; send plain XML");
        return Err(ServiceError::new(e.with_status(415), format));
    }
    let body = read_body(payload, state.catalog.server.max_body_bytes, format).await?;
    if service != "wms" {
        let text = std::str::from_utf8(&body).map_err(|_| {
            ServiceError::new(
                OgcException::new(ExceptionCode::OperationParsingFailed, "request body is not UTF-8").with_status(400),
                format,
            )
        })?;
        let kvp = crate::ogc::wfs::post::xml_to_kvp(text).map_err(|e| ServiceError::new(e, format))?;
        let format = crate::ogc::wfs::report_format(&kvp);
        let request = kvp.require("request").map_err(|e| ServiceError::new(e, format))?;
        let operation = WFS_OPERATIONS.iter().find(|op| op.eq_ignore_ascii_case(request)).ok_or_else(|| {
            ServiceError::new(
                OgcException::new(
                    ExceptionCode::OperationNotSupported,
                    format!("WFS has no operation '{}'", request.chars().take(64).collect::<String>()),
                )
                .at("request"),
                format,
            )
        })?;
        let caller = state.caller(&req, format)?;
        let ctx = state.wfs_context(tenant, &caller, &service);
        return crate::ogc::wfs::handle(ctx, operation, &kvp).await.map_err(|(e, f)| ServiceError::new(e, f));
    }
    Err(ServiceError::new(
        OgcException::new(ExceptionCode::OperationNotSupported, "XML POST requests are not available yet; use KVP GET").at("request"),
        format,
    ))
}

/// Starts the HTTP server and runs until SIGINT/SIGTERM (graceful: in-flight requests finish).
pub async fn serve(catalog: Arc<Catalog>, bind: &str) -> std::io::Result<()> {
    let tiles = Arc::new(crate::tiles::TileService::new(&catalog));
    crate::tiles::watch::spawn(catalog.clone(), tiles.clone());
    crate::auth::spawn_refresh(catalog.auth.clone());
    let state = AppState { catalog: catalog.clone(), tiles };
    let workers = catalog.server.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let timeout = std::time::Duration::from_secs(catalog.server.request_timeout_s.max(1));
    // Requests in progress, over all workers: beyond the limit a request is answered 503 at
    // once (with Retry-After) instead of queueing behind the others.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(catalog.server.max_concurrent_requests.max(1)));
    let server = HttpServer::new(move || {
        let in_flight = in_flight.clone();
        App::new()
            .wrap_fn(move |req, srv| {
                let permit = if matches!(req.path(), "/health" | "/ready") { None } else { Some(in_flight.clone().try_acquire_owned()) };
                let started = Instant::now();
                let method = req.method().to_string();
                let path = req.path().to_string();
                // Answers to requests with credentials are the caller's own: shared caches
                // (proxies, CDNs) must not keep them.
                let credentials = req.headers().contains_key(actix_web::http::header::AUTHORIZATION)
                    || req.query_string().to_ascii_lowercase().contains("apikey=");
                let busy = matches!(permit, Some(Err(_)));
                let fut = srv.call(req);
                async move {
                    if busy {
                        tracing::warn!(target: "navigli::access", %method, %path, status = 503, "too many requests in progress");
                        let e = OgcException::new(ExceptionCode::NoApplicableCode, "the server is busy, try again shortly").with_status(503);
                        return Err(ServiceError::new(e, ReportFormat::Json).retry_after(1).into());
                    }
                    let _permit = permit;
                    let res = match tokio::time::timeout(timeout, fut).await {
                        Ok(res) => res?,
                        Err(_) => {
                            let e = OgcException::new(ExceptionCode::NoApplicableCode, format!("request took longer than {} s", timeout.as_secs()));
                            return Err(ServiceError::new(e.with_status(503), ReportFormat::Json).into());
                        }
                    };
                    let mut res = res;
                    if credentials {
                        res.headers_mut().insert(
                            actix_web::http::header::CACHE_CONTROL,
                            actix_web::http::header::HeaderValue::from_static("private, no-store"),
                        );
                    }
                    tracing::info!(target: "navigli::access", %method, %path, status = res.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0);
                    Ok(res)
                }
            })
            .wrap(actix_web::middleware::Compress::default())
            .configure(configure(state.clone()))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .bind(bind)?;
    server.run().await
}
