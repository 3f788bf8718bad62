//! The OGC web service endpoints: `/{tenant}/wms`, `/{tenant}/wfs` and `/{tenant}/ows` (KVP
//! GET; XML POST for WFS), and the WFS schema path `/{tenant}/wfs/schema/{version}/{types}.xsd`.
//! Each request names its service (the path, or SERVICE on `/ows`) and its operation; the
//! protocol module ([`super::wms`], [`super::wfs`]) answers it.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{wfs, wms};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::http::{apikey_suffix, read_body, Protocol, Scope, ServiceError};

/// Mounts the OGC service routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/wms", web::get().to(wms_get))
        .route("/{tenant}/wfs", web::get().to(wfs_get))
        .route("/{tenant}/ows", web::get().to(ows_get))
        .route("/{tenant}/wms", web::post().to(wms_post))
        .route("/{tenant}/wfs", web::post().to(wfs_post))
        .route("/{tenant}/ows", web::post().to(wfs_post))
        .route("/{tenant}/{service:(wfs|ows)}/schema/{version}/{types}", web::get().to(wfs_schema));
}

/// The exception flavour for a service path and the VERSION a client asked for.
fn report_format(path_service: &str, kvp: &Kvp) -> ReportFormat {
    let version = kvp.get("version").unwrap_or("");
    let wms = path_service == "wms" || kvp.get("service").is_some_and(|s| s.eq_ignore_ascii_case("wms"));
    match (wms, version) {
        (true, "1.1.1") | (true, "1.1.0") => ReportFormat::Wms111,
        (true, _) => ReportFormat::Wms130,
        (false, v) if v.starts_with("1.") => ReportFormat::Ows10,
        _ => ReportFormat::Ows11,
    }
}

/// Requests on `/{tenant}/wms`.
pub struct WmsPath;
/// Requests on `/{tenant}/wfs`.
pub struct WfsPath;
/// Requests on `/{tenant}/ows`.
pub struct OwsPath;

impl Protocol for WmsPath {
    fn report_format(kvp: &Kvp) -> ReportFormat {
        report_format("wms", kvp)
    }
}

impl Protocol for WfsPath {
    fn report_format(kvp: &Kvp) -> ReportFormat {
        report_format("wfs", kvp)
    }
}

impl Protocol for OwsPath {
    fn report_format(kvp: &Kvp) -> ReportFormat {
        report_format("ows", kvp)
    }
}

/// A service this server offers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    Wms,
    Wfs,
}

/// The OGC service named by the path (`wms`, `wfs`) or, on `/ows`, by SERVICE.
fn resolve_service(path_service: &str, kvp: &Kvp) -> Result<Service, OgcException> {
    let asked = kvp.get("service").map(|s| s.to_ascii_uppercase());
    let invalid = |s: &str| {
        OgcException::new(ExceptionCode::InvalidParameterValue, format!("SERVICE={s} is not offered here (WMS, WFS)")).at("service")
    };
    match (path_service, asked.as_deref()) {
        ("wms", None | Some("WMS")) | ("ows", Some("WMS")) => Ok(Service::Wms),
        ("wfs", None | Some("WFS")) | ("ows", Some("WFS")) => Ok(Service::Wfs),
        ("ows", None) => {
            Err(OgcException::new(ExceptionCode::MissingParameterValue, "parameter SERVICE is mandatory on /ows (WMS or WFS)")
                .at("service"))
        }
        (_, Some(s)) => Err(invalid(s)),
        _ => Err(invalid(path_service)),
    }
}

async fn wms_get(scope: Scope<WmsPath>) -> Result<HttpResponse, ServiceError> {
    dispatch(&scope, "wms").await
}

async fn wfs_get(scope: Scope<WfsPath>) -> Result<HttpResponse, ServiceError> {
    dispatch(&scope, "wfs").await
}

async fn ows_get(scope: Scope<OwsPath>) -> Result<HttpResponse, ServiceError> {
    dispatch(&scope, "ows").await
}

/// A KVP request: its service, then the protocol module with the operation it names.
async fn dispatch<P: Protocol>(scope: &Scope<P>, path_service: &str) -> Result<HttpResponse, ServiceError> {
    let service = resolve_service(path_service, &scope.kvp).map_err(|e| scope.error(e))?;
    let request = scope.kvp.require("request").map_err(|e| scope.error(e))?;
    match service {
        Service::Wms => {
            let mut ctx = wms::WmsContext::of(scope, path_service);
            ctx.service_url.push_str(&apikey_suffix(&scope.kvp));
            wms::handle(ctx, request, &scope.kvp).await.map_err(|e| scope.error(e))
        }
        Service::Wfs => {
            wfs::handle(wfs::WfsContext::of(scope, path_service), request, &scope.kvp).await.map_err(|(e, f)| ServiceError::new(e, f))
        }
    }
}

/// WFS XML POST (on `/wfs` and `/ows`): the body read within its limits, then the same
/// operations as KVP.
async fn wfs_post(scope: Scope<WfsPath>, payload: web::Payload, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let body = post_body(&scope, payload, &req).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| scope.error(OgcException::new(ExceptionCode::OperationParsingFailed, "request body is not UTF-8").with_status(400)))?;
    let root = wfs::post::read_document(text).map_err(|e| scope.error(e))?;
    let service = req.path().rsplit('/').next().unwrap_or("wfs");
    if root.local == "Transaction" {
        let ctx = wfs::WfsContext::of(&scope, service);
        return wfs::transaction::transaction(&ctx, &root, text).await.map_err(|(e, f)| ServiceError::new(e, f));
    }
    let kvp = wfs::post::document_to_kvp(text, &root).map_err(|e| scope.error(e))?;
    let request = kvp.require("request").map_err(|e| ServiceError::new(e, wfs::report_format(&kvp)))?;
    wfs::handle(wfs::WfsContext::of(&scope, service), request, &kvp).await.map_err(|(e, f)| ServiceError::new(e, f))
}

/// WMS has no XML POST encoding here: 501 once the body has been read.
async fn wms_post(scope: Scope<WmsPath>, payload: web::Payload, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    post_body(&scope, payload, &req).await?;
    Err(scope.error(
        OgcException::new(ExceptionCode::OperationNotSupported, "XML POST requests are not available for WMS; use KVP GET").at("request"),
    ))
}

/// A POST body: plain (compressed bodies are refused with 415), within `max_body_bytes`.
async fn post_body<P: Protocol>(scope: &Scope<P>, payload: web::Payload, req: &HttpRequest) -> Result<web::Bytes, ServiceError> {
    let encoded = req
        .headers()
        .get(actix_web::http::header::CONTENT_ENCODING)
        .is_some_and(|v| !v.to_str().unwrap_or("?").trim().eq_ignore_ascii_case("identity"));
    if encoded {
        let e = OgcException::new(ExceptionCode::OperationParsingFailed, "compressed request bodies are not accepted; send plain XML");
        return Err(scope.error(e.with_status(415)));
    }
    read_body(payload, scope.catalog().server.max_body_bytes, scope.format).await
}

/// `GET /{tenant}/wfs/schema/{version}/{types}.xsd`: DescribeFeatureType by path.
async fn wfs_schema(scope: Scope<WfsPath>, path: web::Path<(String, String, String, String)>) -> Result<HttpResponse, ServiceError> {
    let (_, service, version, types) = path.into_inner();
    wfs::schema_by_path(wfs::WfsContext::of(&scope, &service), &version, &types).map_err(|(e, f)| ServiceError::new(e, f))
}
