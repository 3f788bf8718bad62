//! What every HTTP endpoint shares, below the protocols: the OGC exception model
//! ([`exception`]), KVP parsing ([`kvp`]), the one place errors become responses ([`error`]),
//! the shared state, the [`Scope`] extractor that gives every tenant endpoint its tenant and
//! caller, and bounded body reading. Protocol modules (`ogc/*`, `apps/*`) build on it; `web`
//! mounts them.

pub mod error;
pub mod exception;
pub mod kvp;

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::{web, FromRequest, HttpRequest};

pub use error::ServiceError;
use exception::{ExceptionCode, OgcException, ReportFormat};
use kvp::Kvp;

use crate::auth::Caller;
use crate::catalog::{Catalog, Tenant};

/// What a request is answered from: the catalog and the tile service of one configuration.
/// A request takes a snapshot when it starts and keeps it to the end, so a reload swapping in a
/// new configuration never changes a request half-way.
#[derive(Clone, Debug)]
pub struct Live {
    /// The runtime catalog.
    pub catalog: Arc<Catalog>,
    /// Vector tiles and their cache.
    pub tiles: Arc<crate::tiles::TileService>,
    /// Where this process's edits report what they changed, besides evicting tiles at once:
    /// the place search's follower ([`crate::search::Searcher::follow`]).
    pub changes: crate::source::ChangeSink,
}

impl Live {
    /// `catalog` and `tiles` with nobody following their changes (yet).
    pub fn new(catalog: Arc<Catalog>, tiles: Arc<crate::tiles::TileService>) -> Live {
        Live { catalog, tiles, changes: tokio::sync::mpsc::unbounded_channel().0 }
    }
}

/// State shared by all workers: the current [`Live`] configuration, swapped whole on reload,
/// and the app store (kept across reloads).
#[derive(Clone, Debug)]
pub struct AppState {
    live: Arc<std::sync::RwLock<Live>>,
    apps: Arc<dyn crate::appstore::AppStore>,
    search: Arc<crate::search::Searcher>,
}

impl AppState {
    /// The state of one catalog and its tile service, with an empty app store in memory
    /// (see [`AppState::with_apps`]).
    pub fn new(catalog: Arc<Catalog>, tiles: Arc<crate::tiles::TileService>) -> AppState {
        AppState {
            live: Arc::new(std::sync::RwLock::new(Live::new(catalog, tiles))),
            apps: Arc::new(crate::appstore::sqlite::SqliteAppStore::in_memory()),
            search: Arc::new(crate::search::Searcher::new(Arc::new(crate::search::sqlite::SqliteSearchIndex::in_memory()))),
        }
    }

    /// This state with `searcher` as its place search, following the edits of the current
    /// configuration (when a runtime is running).
    pub fn with_search(self, searcher: Arc<crate::search::Searcher>) -> AppState {
        if tokio::runtime::Handle::try_current().is_ok() {
            let mut live = self.live();
            live.changes = searcher.follow(live.catalog.clone());
            self.replace(live);
        }
        AppState { search: searcher, ..self }
    }

    /// The place search.
    pub fn search(&self) -> &Arc<crate::search::Searcher> {
        &self.search
    }

    /// This state with `store` as its app store (and its place search in the same database).
    pub fn with_apps(self, store: Arc<dyn crate::appstore::AppStore>) -> AppState {
        AppState { apps: store, ..self }
    }

    /// The web map apps.
    pub fn apps(&self) -> &Arc<dyn crate::appstore::AppStore> {
        &self.apps
    }

    /// The current configuration (two `Arc` clones).
    pub fn live(&self) -> Live {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `live` the current configuration; requests in progress finish on the old one.
    pub fn replace(&self, live: Live) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
    }
}

/// How a protocol reports the errors of its requests: each protocol module names one.
pub trait Protocol: 'static {
    /// The report flavour for a request with these parameters (e.g. from its VERSION).
    fn report_format(kvp: &Kvp) -> ReportFormat;
}

/// JSON endpoints (tiles, roofs, landing pages): `{"code", "locator", "description"}`.
pub struct Json;

impl Protocol for Json {
    fn report_format(_: &Kvp) -> ReportFormat {
        ReportFormat::Json
    }
}

/// The tenant a request addresses (the `{tenant}` path segment) and who asks (its
/// `Authorization` header or `apikey` parameter), with the request's parameters decoded once.
/// Extracting it answers an unknown tenant with 404 and invalid credentials with 401, in the
/// report flavour of protocol `P`.
pub struct Scope<P: Protocol = Json> {
    live: Live,
    apps: Arc<dyn crate::appstore::AppStore>,
    search: Arc<crate::search::Searcher>,
    tenant: usize,
    /// Who asks.
    pub caller: Caller,
    /// The query parameters.
    pub kvp: Kvp,
    /// How this request's errors are reported.
    pub format: ReportFormat,
    protocol: PhantomData<P>,
}

impl<P: Protocol> Scope<P> {
    /// The configuration this request is answered from.
    pub fn state(&self) -> &Live {
        &self.live
    }

    /// The app store.
    pub fn apps(&self) -> &dyn crate::appstore::AppStore {
        &*self.apps
    }

    /// The place search.
    pub fn searcher(&self) -> &crate::search::Searcher {
        &self.search
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.live.catalog
    }

    /// The tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.live.catalog.tenants[self.tenant]
    }

    /// The public URL of one of the tenant's services, e.g. `http://host/milano/wms`.
    pub fn service_url(&self, service: &str) -> String {
        format!("{}/{}/{service}", self.catalog().server.base_url(), self.tenant().url_key())
    }

    /// An error of this request, in its report flavour.
    pub fn error(&self, e: OgcException) -> ServiceError {
        ServiceError::new(e, self.format)
    }

    fn extract(req: &HttpRequest) -> Result<Scope<P>, ServiceError> {
        let state = app_state(req)?;
        let (live, apps, search) = (state.live(), state.apps().clone(), state.search().clone());
        let kvp = Kvp::parse(req.query_string()).map_err(|e| ServiceError::new(e, P::report_format(&Kvp::default())))?;
        let format = P::report_format(&kvp);
        let key = req.match_info().get("tenant").unwrap_or("");
        let tenant = live.catalog.tenant_index(key).ok_or_else(|| ServiceError::tenant_not_found(key, format))?;
        let caller = caller_of(req, &live.catalog, &kvp, format)?;
        Ok(Scope { live, apps, search, tenant, caller, kvp, format, protocol: PhantomData })
    }
}

impl<P: Protocol> FromRequest for Scope<P> {
    type Error = ServiceError;
    type Future = std::future::Ready<Result<Scope<P>, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Scope::extract(req))
    }
}

/// The shared state the app registered (`web::configure`).
fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ServiceError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, "server state missing"), ReportFormat::Json))
}

/// The name of the builder's session cookie.
pub const SESSION_COOKIE: &str = "navigli_session";

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The caller of a request, from its `Authorization` header or its `apikey` parameter (invalid
/// credentials answer 401 in `format`), else from a builder session cookie (a request that
/// changes something without the session's CSRF token answers 403).
fn caller_of(req: &HttpRequest, catalog: &Catalog, kvp: &Kvp, format: ReportFormat) -> Result<Caller, ServiceError> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    // Present but empty is a credential too (refused), not an anonymous request.
    let apikey = kvp.pairs().find(|(k, _)| *k == "apikey").map(|(_, v)| v);
    if header.is_none() && apikey.is_none() {
        if let Some(token) = cookie(req, SESSION_COOKIE) {
            let unsafe_method =
                !matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD | actix_web::http::Method::OPTIONS);
            let csrf = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
            return catalog.auth.session_caller(token, csrf, unsafe_method).map_err(|e| {
                tracing::info!("refused a session request: {e}");
                ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, e.to_string()).with_status(403), format)
            });
        }
    }
    catalog.auth.caller(header, apikey).map_err(|e| {
        tracing::info!("rejected credentials: {e}");
        ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, e.to_string()).with_status(401), format)
    })
}

/// The caller of a request that addresses no tenant (the landing page); errors are JSON.
impl FromRequest for Caller {
    type Error = ServiceError;
    type Future = std::future::Ready<Result<Caller, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = (|| {
            let live = app_state(req)?.live();
            let kvp = Kvp::parse(req.query_string()).map_err(|e| ServiceError::new(e, ReportFormat::Json))?;
            caller_of(req, &live.catalog, &kvp, ReportFormat::Json)
        })();
        std::future::ready(caller)
    }
}

/// `?apikey=…` when the request carried its key as a parameter, for URLs written into answers
/// (capabilities, TileJSON): clients that cannot set headers (QGIS) stay authenticated.
pub fn apikey_suffix(kvp: &Kvp) -> String {
    match kvp.get("apikey") {
        Some(k) => format!("?apikey={}", form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()),
        None => String::new(),
    }
}

/// Longest a request body may take to arrive.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a request body within the size limit and [`BODY_TIMEOUT`]; every failure is an
/// exception report (413 too large, 408 too slow, 400 unreadable — e.g. a bad gzip body).
pub async fn read_body(mut payload: web::Payload, limit: usize, format: ReportFormat) -> Result<web::Bytes, ServiceError> {
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
