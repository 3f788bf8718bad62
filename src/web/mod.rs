//! The actix-web application: mounts every protocol and application module (their `routes`),
//! the landing pages, `/health` and `/ready`, and owns the HTTP concerns around them — the
//! request-size limits, the request timeout, the concurrency limit, access logging and
//! `Cache-Control` of credentialed answers — and the server loop. Errors are rendered in
//! [`crate::http::error`].
//!
//! URL scheme (see README): `/` landing page, `/health`, `/ready`, `/metrics`, `/{tenant}` tenant page,
//! `/{tenant}/wms|wfs|ows`, `/{tenant}/tiles/…`, `/{tenant}/roofs/…`. `tenant` is `cmm`, an
//! ISTAT code or a comune slug.

mod landing;
pub mod metrics;

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Service as _;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use crate::catalog::Catalog;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
pub use crate::http::{AppState, Live, ServiceError};

/// Registers every route; used by the server and by in-process tests. Adding a protocol is
/// one `configure` line here.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    configure_with(state, web::Data::new(metrics::Metrics::default()))
}

/// [`configure`] with the server's metrics (which its request wrapper fills).
pub fn configure_with(state: AppState, metrics: web::Data<metrics::Metrics>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let max_body = state.live().catalog.server.max_body_bytes;
        cfg.app_data(web::Data::new(state))
            .app_data(metrics)
            .route("/metrics", web::get().to(metrics_page))
            .app_data(web::PayloadConfig::new(max_body))
            .route("/", web::get().to(landing::landing))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .route("/{tenant}", web::get().to(landing::tenant_page))
            .route("/{tenant}/", web::get().to(landing::tenant_page))
            .configure(crate::ogc::routes)
            .configure(crate::apps::routes)
            .default_service(web::to(not_found));
    }
}

/// The query string as the access log shows it: API keys masked, at most 2,000 characters.
fn loggable_query(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(2000));
    for (i, pair) in raw.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("apikey") => {
                out.push_str(k);
                out.push_str("=***");
            }
            _ => out.push_str(pair),
        }
        if out.len() > 2000 {
            let cut = (0..=2000).rev().find(|i| out.is_char_boundary(*i)).unwrap_or(0);
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

/// `GET /metrics`: Prometheus text format.
async fn metrics_page(state: web::Data<AppState>, metrics: web::Data<metrics::Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body({
            let live = state.live();
            let replicas: Vec<(String, String, bool)> =
                live.catalog.sources.iter().flat_map(|s| s.replicas().into_iter().map(|(h, up)| (s.id().to_string(), h, up))).collect();
            let remotes: Vec<(String, (u64, u64, bool))> =
                live.catalog.sources.iter().filter_map(|s| s.remote_health().map(|h| (s.id().to_string(), h))).collect();
            metrics.render(live.tiles.stats().await, &replicas, &remotes)
        })
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let catalog = state.live().catalog;
    let checks = catalog.readiness().await;
    let essential = |id: &str| catalog.sources.iter().any(|s| s.id() == id && s.essential());
    let all_ok = checks.iter().all(|(id, r)| r.is_ok() || !essential(id));
    // Details (database messages) go to the log, not to anonymous callers.
    let sources: Vec<_> = checks
        .iter()
        .map(|(id, r)| {
            if let Err(e) = r {
                tracing::warn!(source = %id, "not ready: {e}");
            }
            // Replicas: whether each serves reads (one down does not make the server unready).
            let replicas: Vec<_> = catalog
                .sources
                .iter()
                .filter(|s| s.id() == id)
                .flat_map(|s| s.replicas())
                .map(|(host, reads)| serde_json::json!({ "replica": host, "reads": reads }))
                .collect();
            if !essential(id) {
                serde_json::json!({ "id": id, "ok": r.is_ok(), "remote": true })
            } else if replicas.is_empty() {
                serde_json::json!({ "id": id, "ok": r.is_ok() })
            } else {
                serde_json::json!({ "id": id, "ok": r.is_ok(), "replicas": replicas })
            }
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

/// On every SIGHUP: the catalog made again from `spec` (configuration, styles, keys, sources),
/// and, when it builds, swapped in with a new tile service (its cache starts empty), change
/// feed and key refresh; requests in progress finish on the old one. A configuration that does
/// not load or build is refused with the reason in the log, and the running one is kept.
pub fn reload_on_sighup(spec: crate::catalog::CatalogSpec, state: AppState, metrics: web::Data<metrics::Metrics>) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("no reload on SIGHUP: {e}");
            return;
        }
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let started = Instant::now();
            match spec.build().await {
                Ok(catalog) => {
                    let catalog = Arc::new(catalog);
                    let tiles = Arc::new(crate::tiles::TileService::new(&catalog));
                    let changes = state.search().follow(catalog.clone());
                    crate::tiles::watch::spawn(catalog.clone(), tiles.clone(), Some(changes.clone()));
                    crate::auth::spawn_refresh(catalog.auth.clone());
                    let (tenants, layers) = (catalog.tenants.len(), catalog.layers.len());
                    state.replace(Live { catalog, tiles, changes });
                    metrics.reloaded(true);
                    tracing::info!(tenants, layers, ms = started.elapsed().as_secs_f64() * 1000.0, "configuration reloaded");
                }
                Err(e) => {
                    metrics.reloaded(false);
                    tracing::error!("reload refused, the running configuration is kept: {e}");
                }
            }
        }
    });
}

/// Admission of requests: a slot among `max_concurrent_requests`, waited for in a bounded queue.
struct Admission {
    slots: Arc<tokio::sync::Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
    wait: std::time::Duration,
    /// Per tenant (the first path segment), the share of the slots it may hold; tenants beyond
    /// [`MAX_TENANT_BUCKETS`] share one bucket, so unknown paths cannot grow the map.
    per_tenant: usize,
    tenants: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>>,
}

/// Most tenant buckets kept (CMM has 134 tenants).
const MAX_TENANT_BUCKETS: usize = 512;

/// Both permits a request holds while it runs: its tenant's share and a server slot.
type Permits = (tokio::sync::OwnedSemaphorePermit, tokio::sync::OwnedSemaphorePermit);

impl Admission {
    /// `slots` in progress, `queue` waiting at most `wait_ms` each.
    fn new(slots: usize, queue: usize, wait_ms: u64, per_tenant: Option<usize>) -> Admission {
        let slots = slots.max(1);
        Admission {
            slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            max_waiting: queue,
            wait: std::time::Duration::from_millis(wait_ms),
            per_tenant: per_tenant.unwrap_or(slots.div_ceil(2)).clamp(1, slots),
            tenants: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The share semaphore of a tenant key.
    fn bucket(&self, tenant: &str) -> Arc<tokio::sync::Semaphore> {
        let mut map = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let key = if map.contains_key(tenant) || map.len() < MAX_TENANT_BUCKETS { tenant } else { "" };
        map.entry(key.to_string()).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.per_tenant))).clone()
    }

    /// A slot now, or after waiting in the queue; `Err` when the queue is full or the wait ran
    /// out (the request is refused). A tenant holding its whole share waits (in the same queue,
    /// within the same wait) for one of its own requests to finish before taking a server slot.
    async fn enter(&self, tenant: &str) -> Result<Option<Permits>, ()> {
        use std::sync::atomic::Ordering;
        let bucket = self.bucket(tenant);
        if let (Ok(share), Ok(p)) = (bucket.clone().try_acquire_owned(), self.slots.clone().try_acquire_owned()) {
            return Ok(Some((share, p)));
        }
        // Counted out on every way out, a client that hangs up while waiting included.
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if queued >= self.max_waiting {
            return Err(());
        }
        let got = tokio::time::timeout(self.wait, async {
            let share = bucket.acquire_owned().await.map_err(|_| ())?;
            let slot = self.slots.clone().acquire_owned().await.map_err(|_| ())?;
            Ok::<_, ()>((share, slot))
        })
        .await;
        match got {
            Ok(Ok(p)) => Ok(Some(p)),
            _ => Err(()),
        }
    }
}

/// Runs the HTTP server on a bound listener until SIGINT/SIGTERM (graceful: in-flight
/// requests finish). With `reload`, SIGHUP makes the catalog again from it and swaps it in
/// ([`reload_on_sighup`]).
pub async fn serve(
    catalog: Arc<Catalog>,
    apps: Arc<dyn crate::appstore::AppStore>,
    search: Arc<dyn crate::search::SearchIndex>,
    listener: std::net::TcpListener,
    reload: Option<crate::catalog::CatalogSpec>,
) -> std::io::Result<()> {
    let tiles = Arc::new(crate::tiles::TileService::new(&catalog));
    // The place search follows this process's edits (through `Live::changes`) and the sources'.
    let state = AppState::new(catalog.clone(), tiles.clone()).with_apps(apps).with_search(Arc::new(crate::search::Searcher::new(search)));
    crate::tiles::watch::spawn(catalog.clone(), tiles, Some(state.live().changes));
    crate::auth::spawn_refresh(catalog.auth.clone());
    let metrics = web::Data::new(metrics::Metrics::default());
    if let Some(spec) = reload {
        reload_on_sighup(spec, state.clone(), metrics.clone());
    }
    let workers = catalog.server.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let timeout = std::time::Duration::from_secs(catalog.server.request_timeout_s.max(1));
    // Requests in progress, over all workers, and the queue before them: a request beyond the
    // limit waits (first come, first served) up to `queue_wait_ms` for a slot, at most
    // `max_queued_requests` of them at once; the excess is answered 503 at once, with
    // Retry-After, instead of piling up.
    let s = &catalog.server;
    let admission = Arc::new(Admission::new(s.max_concurrent_requests, s.max_queued_requests, s.queue_wait_ms, s.max_requests_per_tenant));
    let server = HttpServer::new(move || {
        let admission = admission.clone();
        let (recorder, state_for_metrics) = (metrics.clone(), state.clone());
        App::new()
            .wrap_fn(move |req, srv| {
                let admitted = !matches!(req.path(), "/health" | "/ready" | "/metrics");
                let started = Instant::now();
                let method = req.method().to_string();
                let path = req.path().to_string();
                let query = loggable_query(req.query_string());
                // Answers to requests with credentials are the caller's own: shared caches
                // (proxies, CDNs) must not keep them.
                let credentials = req.headers().contains_key(actix_web::http::header::AUTHORIZATION)
                    || req.query_string().to_ascii_lowercase().contains("apikey=");
                let fut = srv.call(req);
                let (recorder, current, admission) = (recorder.clone(), state_for_metrics.clone(), admission.clone());
                async move {
                    let tenant = path.trim_start_matches('/').split('/').next().unwrap_or("");
                    let permit = if admitted { admission.enter(tenant).await } else { Ok(None) };
                    let Ok(permit) = permit else {
                        recorder.refused();
                        tracing::warn!(target: "navigli::access", %method, %path, status = 503, "too many requests in progress");
                        let e = OgcException::new(ExceptionCode::NoApplicableCode, "the server is busy, try again shortly").with_status(503);
                        return Err(ServiceError::new(e, ReportFormat::Json).retry_after(1).into());
                    };
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
                    let tile_cache = res.headers().get("x-tile-cache").map(|v| v.as_bytes() == b"hit");
                    recorder.observe(&current.live().catalog, &path, res.status().as_u16(), started.elapsed(), tile_cache);
                    tracing::info!(target: "navigli::access", %method, %path, %query, status = res.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0);
                    Ok(res)
                }
            })
            .wrap(actix_web::middleware::Compress::default())
            .configure(configure_with(state.clone(), metrics.clone()))
    })
    .workers(workers)
    // Without TCP_NODELAY a keep-alive client waits ~40 ms on every streamed answer (Nagle's
    // algorithm holding the last small segment until the client's delayed ACK).
    .tcp_nodelay(true)
    .shutdown_timeout(10)
    .listen(listener)?;
    server.run().await
}

#[cfg(test)]
mod tests {
    use super::Admission;

    fn admission(slots: usize, queue: usize, wait_ms: u64) -> Admission {
        Admission::new(slots, queue, wait_ms, Some(slots))
    }

    #[tokio::test]
    async fn one_tenant_cannot_take_every_slot() {
        let a = std::sync::Arc::new(Admission::new(4, 16, 100, None));
        // Milano holds its share (2 of 4)…
        let held: Vec<_> = futures_util::future::join_all((0..2).map(|_| a.enter("milano"))).await;
        assert!(held.iter().all(|p| matches!(p, Ok(Some(_)))));
        // …its next request waits for one of its own, and gives up after the wait…
        assert!(a.enter("milano").await.is_err(), "a third Milano request finds no share");
        // …while another comune still gets in at once.
        assert!(matches!(a.enter("rho").await, Ok(Some(_))));
        drop(held);
        assert!(matches!(a.enter("milano").await, Ok(Some(_))), "Milano's share is free again");
    }

    #[tokio::test]
    async fn a_full_server_queues_then_sheds() {
        let a = std::sync::Arc::new(admission(1, 1, 5_000));
        let first = a.enter("cmm").await.expect("a free slot").expect("a permit");
        // The second waits for the slot…
        let waiter = tokio::spawn({
            let a = a.clone();
            async move { a.enter("cmm").await.map(|p| p.is_some()) }
        });
        while a.waiting.load(std::sync::atomic::Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        // …the third finds the queue full and is refused at once.
        assert!(a.enter("cmm").await.is_err());
        drop(first);
        assert_eq!(waiter.await.unwrap(), Ok(true), "the queued request got the freed slot");
        // A wait that runs out is a refusal too.
        let short = admission(1, 4, 20);
        let _held = short.enter("cmm").await.unwrap();
        assert!(short.enter("cmm").await.is_err());
        // A waiter dropped while queued (the client hung up) leaves the queue.
        let a = admission(1, 1, 5_000);
        let _held = a.enter("cmm").await.unwrap();
        let dropped = tokio::time::timeout(std::time::Duration::from_millis(20), a.enter("cmm")).await;
        assert!(dropped.is_err(), "still waiting when dropped");
        assert_eq!(a.waiting.load(std::sync::atomic::Ordering::Acquire), 0);
    }

    #[test]
    fn access_log_masks_keys_and_caps_length() {
        assert_eq!(super::loggable_query("a=1&APIKEY=secret&b=2"), "a=1&APIKEY=***&b=2");
        assert!(super::loggable_query(&"x".repeat(5000)).chars().count() <= 2001);
        assert_eq!(super::loggable_query(""), "");
    }
}
