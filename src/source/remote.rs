//! A remote OGC API – Features service as a [`FeatureSource`]: another navigli (a Città
//! Metropolitana federating its layers), pygeoapi, GeoServer, ldproxy… Each layer of the source
//! is one remote collection (`table` = its id), read as GeoJSON in WGS 84 lon/lat and then
//! available on every protocol and tenant like a local layer.
//!
//! What goes to the remote: the `bbox` of the query (the box every selected feature's geometry
//! must meet, in CRS84) and `limit`, paging by the `next` links. Everything else — attribute
//! filters, exact spatial relations, the tenant restriction, sorting, offsets — is applied here
//! ([`super::eval`]), so a query selects exactly what it selects on a local backend, whatever
//! the remote supports. Unsorted queries stream page by page (at most one page in memory);
//! sorted ones are gathered (at most [`MAX_GATHERED`] features) and sorted here.
//!
//! A slow or failing remote never holds up the rest: every request has the source's timeout;
//! after `breaker_failures` failures in a row the circuit opens and the source answers
//! [`SourceError::Unavailable`] at once for `retry_after` (503 with Retry-After in the
//! protocols; a map leaves the layer out), then one request tries again. The `Authorization`
//! credential (from the environment) goes only to the remote's own origin — a `next` link to
//! another origin is refused — and never into a message: errors name the URL, which may not
//! hold credentials (checked at load).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use geozero::{CoordDimensions, ToWkb};
use serde_json::Value as Json;

use super::eval::{Compiled, Row};
use super::{
    checked_stream, reproject_wkb, Feature, FeatureSource, FeatureStream, Predicate, Relation, ResolvedQuery, SourceError, SourceLayer,
    STREAM_BUFFER,
};
use crate::crs::{Bbox, Crs};
use crate::model::{AttributeType, Value};

/// Most features gathered in memory to sort or count a remote query.
pub const MAX_GATHERED: usize = 200_000;
/// Largest page accepted from a remote, bytes.
const MAX_PAGE_BYTES: u64 = 64 << 20;
/// Largest metadata document (landing page, collection), bytes.
const MAX_DOC_BYTES: u64 = 4 << 20;
/// Most positions in one remote geometry.
const MAX_POSITIONS: usize = 2_000_000;
/// Most pages one query reads (a remote whose `next` links never end is cut off).
const MAX_PAGES: usize = 5_000;

/// How to reach the remote.
#[derive(Clone)]
pub struct RemoteOptions {
    /// The service's landing page (`https://host/torino/ogcapi`).
    pub url: String,
    /// Longest one HTTP request may take.
    pub timeout: Duration,
    /// Features asked per page.
    pub page_size: u64,
    /// Failures in a row that open the circuit.
    pub breaker_failures: u32,
    /// How long an open circuit stays open.
    pub retry_after: Duration,
    /// The `Authorization` header value sent to the remote (from the environment).
    pub authorization: Option<String>,
}

impl std::fmt::Debug for RemoteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteOptions")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("authorization", &self.authorization.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// The circuit breaker of one remote.
#[derive(Debug, Default)]
struct Breaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
    /// Requests made and failed, for `/metrics`.
    requests_total: std::sync::atomic::AtomicU64,
    failures_total: std::sync::atomic::AtomicU64,
}

/// A remote OGC API – Features service.
#[derive(Debug)]
pub struct OgcApiSource {
    id: String,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: String,
    base: String,
    origin: String,
    options: RemoteOptions,
    agent: ureq::Agent,
    breaker: Breaker,
    queryables: Mutex<std::collections::HashMap<String, (Instant, Queryables)>>,
}

/// A collection's queryable properties (`None`: it publishes none).
type Queryables = Option<std::collections::HashSet<String>>;

/// How long what a remote says of a collection (its queryables) is trusted before it is asked
/// again: a remote's schema may change while we run.
const REFRESH: Duration = Duration::from_secs(300);

impl OgcApiSource {
    /// A source over the service at `options.url` (nothing is fetched yet).
    pub fn new(id: &str, options: RemoteOptions) -> OgcApiSource {
        let base = options.url.trim_end_matches('/').to_string();
        let origin = origin_of(&base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("navigli/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let inner = Inner { id: id.to_string(), base, origin, options, agent, breaker: Breaker::default(), queryables: Mutex::default() };
        OgcApiSource { id: id.to_string(), inner: Arc::new(inner) }
    }
}

/// `scheme://host:port` of a URL.
fn origin_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            url[..i + 3 + end].to_ascii_lowercase()
        }
        None => String::new(),
    }
}

/// The collection id of a layer.
fn collection(layer: &SourceLayer) -> &str {
    match &layer.relation {
        Relation::Table(t) | Relation::Sql(t) => t,
    }
}

/// Percent-encodes a path segment or query value.
fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Inner {
    fn unavailable(&self, message: impl Into<String>) -> SourceError {
        SourceError::Unavailable { source_id: self.id.clone(), message: message.into() }
    }

    /// The queryable properties of a collection (fetched once; `None` when it has none or
    /// they could not be read): the properties whose equality the remote filters by itself.
    fn queryables(&self, collection: &str) -> Queryables {
        if let Some((at, known)) = self.queryables.lock().unwrap_or_else(|e| e.into_inner()).get(collection) {
            if at.elapsed() < REFRESH {
                return known.clone();
            }
        }
        let url = format!("{}/collections/{}/queryables", self.base, encode(collection));
        let found = match self.get_json(&url, MAX_DOC_BYTES) {
            Ok(doc) => Some(doc.get("properties").and_then(Json::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()),
            Err(SourceError::Schema { .. }) => None,
            // A transient failure is not remembered: the next query asks again.
            Err(_) => return None,
        };
        self.queryables.lock().unwrap_or_else(|e| e.into_inner()).insert(collection.to_string(), (Instant::now(), found.clone()));
        found
    }

    /// GET a JSON document (blocking), through the breaker.
    fn get_json(&self, url: &str, limit: u64) -> Result<Json, SourceError> {
        if let Some(until) = *self.breaker.open_until.lock().unwrap_or_else(|e| e.into_inner()) {
            let now = Instant::now();
            if until > now {
                let left = (until - now).as_secs() + 1;
                return Err(self.unavailable(format!("the remote failed repeatedly; it is asked again in {left} s")));
            }
        }
        let result = self.fetch(url, limit);
        self.breaker.requests_total.fetch_add(1, Ordering::Relaxed);
        if matches!(&result, Err(e) if !matches!(e, SourceError::Schema { .. })) {
            self.breaker.failures_total.fetch_add(1, Ordering::Relaxed);
        }
        match &result {
            Ok(_) => {
                self.breaker.failures.store(0, Ordering::Relaxed);
                *self.breaker.open_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
            Err(SourceError::Schema { .. }) => {}
            Err(_) => {
                let n = self.breaker.failures.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= self.options.breaker_failures {
                    *self.breaker.open_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + self.options.retry_after);
                    tracing::warn!(source = %self.id, failures = n, "remote circuit open for {} s", self.options.retry_after.as_secs());
                }
            }
        }
        result
    }

    fn fetch(&self, url: &str, limit: u64) -> Result<Json, SourceError> {
        if origin_of(url) != self.origin {
            return Err(self.unavailable(format!("the remote linked to another origin ({}); not followed", origin_of(url))));
        }
        let started = Instant::now();
        let mut request = self.agent.get(url).header("Accept", "application/geo+json, application/json;q=0.9");
        if let Some(a) = &self.options.authorization {
            request = request.header("Authorization", a);
        }
        let mut resp = request.call().map_err(|e| match e {
            ureq::Error::Timeout(_) => SourceError::Timeout { source_id: self.id.clone() },
            e => self.unavailable(format!("GET {url}: {e}")),
        })?;
        let status = resp.status().as_u16();
        let body = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
            ureq::Error::Timeout(_) => SourceError::Timeout { source_id: self.id.clone() },
            e => self.unavailable(format!("GET {url}: {e}")),
        })?;
        tracing::debug!(source = %self.id, %url, status, bytes = body.len(), ms = started.elapsed().as_millis() as u64, "remote GET");
        match status {
            200 => serde_json::from_slice(&body).map_err(|e| self.unavailable(format!("GET {url}: not JSON: {e}"))),
            404 => Err(SourceError::Schema { layer: self.id.clone(), message: format!("the remote answered 404 to {url}") }),
            s => Err(self.unavailable(format!("GET {url}: HTTP {s}"))),
        }
    }

    /// The first page's URL of a query: features in the layer's CRS (OGC API – Features Part
    /// 2 `crs`, unless it is lon/lat, GeoJSON's own), the box in it too (`bbox-crs`).
    fn items_url(&self, layer: &SourceLayer, plan: &Plan, limit: u64) -> String {
        let bbox = plan.bbox;
        let mut url = format!("{}/collections/{}/items?limit={limit}", self.base, encode(collection(layer)));
        if !plan.equals.is_empty() {
            if let Some(queryables) = self.queryables(collection(layer)) {
                for (name, value) in plan.equals.iter().filter(|(n, _)| queryables.contains(n)) {
                    url.push_str(&format!("&{}={}", encode(name), encode(value)));
                }
            }
        }
        let projected = layer.crs.srid() != Crs::CRS84.srid();
        if projected {
            url.push_str(&format!("&crs={}", encode(&layer.crs.uri())));
        }
        if let Some(b) = bbox {
            url.push_str(&format!("&bbox={},{},{},{}", b.min_x, b.min_y, b.max_x, b.max_y));
            if projected {
                url.push_str(&format!("&bbox-crs={}", encode(&layer.crs.uri())));
            }
        }
        url
    }

    /// Reads pages from `url` on, handing each feature to `each` until it returns false or
    /// the pages end.
    /// Each page is read whole and checked — its features decoded, its `next` link on the
    /// remote's origin and not seen before — before any of its features is handed on, so a
    /// misbehaving remote fails a request before it starts answering rather than in the middle
    /// (only a remote failing between pages can cut a streamed answer short).
    fn pages(&self, mut url: String, mut each: impl FnMut(RemoteFeature) -> Result<bool, SourceError>) -> Result<(), SourceError> {
        let mut seen = std::collections::HashSet::new();
        seen.insert(url.clone());
        loop {
            let page = self.get_json(&url, MAX_PAGE_BYTES)?;
            let listed =
                page.get("features").and_then(Json::as_array).ok_or_else(|| self.unavailable(format!("{url}: no features array")))?;
            let features: Vec<RemoteFeature> = listed
                .iter()
                .enumerate()
                .map(|(i, f)| RemoteFeature::read(f).map_err(|m| self.unavailable(format!("{url}: feature {i}: {m}"))))
                .collect::<Result<_, _>>()?;
            let next = match next_link(&page) {
                Some(next) if !features.is_empty() => {
                    if origin_of(&next) != self.origin {
                        return Err(self.unavailable(format!("the remote linked to another origin ({}); not followed", origin_of(&next))));
                    }
                    if !seen.insert(next.clone()) || seen.len() > MAX_PAGES {
                        return Err(self.unavailable(format!("the remote's next links repeat or never end (at {next})")));
                    }
                    Some(next)
                }
                _ => None,
            };
            for feature in features {
                if !each(feature)? {
                    return Ok(());
                }
            }
            match next {
                Some(n) => url = n,
                None => return Ok(()),
            }
        }
    }
}

/// The `next` link of a page.
fn next_link(page: &Json) -> Option<String> {
    page.get("links")?
        .as_array()?
        .iter()
        .find(|l| l.get("rel").and_then(Json::as_str) == Some("next"))?
        .get("href")?
        .as_str()
        .map(str::to_string)
}

/// One feature as read from a page.
struct RemoteFeature {
    id: i64,
    properties: serde_json::Map<String, Json>,
    geometry: Option<geo::Geometry<f64>>,
}

impl RemoteFeature {
    fn read(f: &Json) -> Result<RemoteFeature, String> {
        let id = match f.get("id") {
            Some(Json::Number(n)) => n.as_i64().ok_or("a numeric id out of range")?,
            Some(Json::String(s)) => s.parse::<i64>().unwrap_or_else(|_| string_id(s)),
            _ => return Err("no id".into()),
        };
        let properties = match f.get("properties") {
            Some(Json::Object(m)) => m.clone(),
            None | Some(Json::Null) => serde_json::Map::new(),
            Some(_) => return Err("properties is not an object".into()),
        };
        let reader = crate::geojson::Reader { swap: false, drop_z: true, max_positions: MAX_POSITIONS };
        let geometry = match f.get("geometry") {
            None | Some(Json::Null) => None,
            Some(g) => Some(reader.geometry(g, "/geometry").map_err(|p| format!("{}: {}", p.pointer, p.message))?),
        };
        Ok(RemoteFeature { id, properties, geometry })
    }

    /// Every exposed attribute's value (`Null` when absent or not of its type).
    fn values(&self, layer: &SourceLayer) -> Vec<Value> {
        layer.attributes.iter().map(|a| self.properties.get(&a.name).map(|v| typed(v, a.kind)).unwrap_or(Value::Null)).collect()
    }
}

/// A stable positive id for a remote's text id (FNV-1a, 53 bits: exact in JSON numbers).
fn string_id(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & ((1 << 53) - 1)) as i64
}

/// A JSON property value as the attribute's type (`Null` when it does not fit).
fn typed(v: &Json, kind: AttributeType) -> Value {
    let raw = match v {
        Json::Null => return Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_i64().map(Value::Int).or_else(|| n.as_f64().map(Value::Float)).unwrap_or(Value::Null),
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    };
    super::coerce_value("", kind, &raw).unwrap_or(Value::Null)
}

/// What a query sends to the remote and what it checks here.
#[derive(Default)]
struct Plan {
    /// The box every selected feature meets (in the layer's CRS), sent as `bbox`.
    bbox: Option<Bbox>,
    /// Property equalities every selected feature meets, sent as `name=value` for the
    /// remote's queryables (OGC API – Features Part 1, 7.15.5).
    equals: Vec<(String, String)>,
    /// The whole predicate, checked on every feature.
    check: Option<Compiled>,
}

/// The box a predicate's selected features must meet: from its top-level conjuncts.
fn required_box(p: &Predicate) -> Option<Bbox> {
    match p {
        Predicate::Spatial { envelope, .. } | Predicate::Envelope(envelope) => Some(*envelope),
        Predicate::And(v) => v.iter().filter_map(required_box).reduce(|a, b| Bbox {
            min_x: a.min_x.max(b.min_x),
            min_y: a.min_y.max(b.min_y),
            max_x: a.max_x.min(b.max_x),
            max_y: a.max_y.min(b.max_y),
        }),
        _ => None,
    }
}

/// The `name = value` conditions among a predicate's top-level conjuncts (text and integer
/// values: their text form is unambiguous).
fn required_equalities(layer: &SourceLayer, p: &Predicate, out: &mut Vec<(String, String)>) {
    match p {
        Predicate::And(v) => v.iter().for_each(|c| required_equalities(layer, c, out)),
        Predicate::TenantColumn(code) => {
            if let Some(c) = &layer.tenant_column {
                out.push((c.clone(), code.clone()));
            }
        }
        Predicate::Compare { attr, op: crate::filter::CompareOp::Eq, value: v @ (Value::Text(_) | Value::Int(_)) } => {
            if let Some(a) = layer.attributes.get(*attr) {
                out.push((a.name.clone(), v.to_string()));
            }
        }
        _ => {}
    }
}

fn plan(id: &str, layer: &SourceLayer, q: &ResolvedQuery) -> Result<Plan, SourceError> {
    let check = match &q.predicate {
        Some(p) => Some(Compiled::new(p).map_err(|m| SourceError::Failed { source_id: id.to_string(), message: m })?),
        None => None,
    };
    // A box that is empty (disjoint conjuncts) still goes out as asked: the remote answers none.
    let lonlat = layer.crs.srid() == Crs::CRS84.srid();
    let bbox = q.predicate.as_ref().and_then(required_box).map(|b| {
        if lonlat {
            Bbox { min_x: b.min_x.max(-180.0), min_y: b.min_y.max(-90.0), max_x: b.max_x.min(180.0), max_y: b.max_y.min(90.0) }
        } else {
            b
        }
    });
    let mut equals = Vec::new();
    if let Some(p) = &q.predicate {
        required_equalities(layer, p, &mut equals);
    }
    Ok(Plan { bbox, equals, check })
}

/// The output row of a remote feature, or `None` when the predicate does not select it.
fn output(layer: &SourceLayer, q: &ResolvedQuery, plan: &Plan, f: &RemoteFeature) -> Result<Option<(Vec<Value>, Feature)>, SourceError> {
    let values = f.values(layer);
    if let Some(check) = &plan.check {
        let tenant = layer.tenant_column.as_ref().and_then(|c| f.properties.get(c)).and_then(|v| match v {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let row = Row { id: f.id, values: &values, tenant: tenant.as_deref(), geometry: f.geometry.as_ref() };
        if !check.selects(&row) {
            return Ok(None);
        }
    }
    let wkb = match (&f.geometry, q.with_geometry) {
        (Some(g), true) => {
            let bad = |message: String| SourceError::Geometry { layer: layer.name.clone(), id: f.id, message };
            let wkb = g.to_wkb(CoordDimensions::xy()).map_err(|e| bad(e.to_string()))?;
            Some(reproject_wkb(&layer.name, f.id, wkb, q.native_crs, q.output_crs)?)
        }
        _ => None,
    };
    let selected = q.columns.iter().map(|&i| values.get(i).cloned().unwrap_or(Value::Null)).collect();
    Ok(Some((values, Feature { id: f.id, wkb, values: selected })))
}

/// Orders gathered rows by the sort keys, then the id.
fn sort_rows(rows: &mut [(Vec<Value>, Feature)], keys: &[(usize, bool)]) {
    rows.sort_by(|(a, fa), (b, fb)| {
        for &(i, descending) in keys {
            // NULLs last in both directions, as the SQL backends order (`NULLS LAST`); text by
            // code point (`COLLATE "C"`).
            let o = match (&a[i], &b[i]) {
                (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
                (Value::Null, _) => std::cmp::Ordering::Greater,
                (_, Value::Null) => std::cmp::Ordering::Less,
                (x, y) => {
                    let o = super::eval::compare(x, y).unwrap_or(std::cmp::Ordering::Equal);
                    if descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        fa.id.cmp(&fb.id)
    });
}

#[async_trait::async_trait]
impl FeatureSource for OgcApiSource {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "ogcapi"
    }

    fn essential(&self) -> bool {
        false
    }

    fn remote_health(&self) -> Option<(u64, u64, bool)> {
        let b = &self.inner.breaker;
        let open = b.open_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|u| u > Instant::now());
        Some((b.requests_total.load(Ordering::Relaxed), b.failures_total.load(Ordering::Relaxed), open))
    }

    async fn ping(&self) -> Result<(), SourceError> {
        let inner = self.inner.clone();
        blocking(move || inner.get_json(&format!("{}/conformance", inner.base), MAX_DOC_BYTES).map(|_| ())).await
    }

    async fn query(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<FeatureStream, SourceError> {
        let plan = plan(&self.id, &layer, &query)?;
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let result =
                if query.sort.is_empty() { stream(&inner, &layer, &query, &plan, &tx) } else { gather(&inner, &layer, &query, &plan, &tx) };
            if let Err(e) = result {
                let _ = tx.blocking_send(Err(e));
            }
        });
        checked_stream(rx).await
    }

    async fn count(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<u64, SourceError> {
        let plan = plan(&self.id, &layer, &query)?;
        let inner = self.inner.clone();
        blocking(move || {
            if plan.check.is_none() {
                let page = inner.get_json(&inner.items_url(&layer, &Plan::default(), 1), MAX_PAGE_BYTES)?;
                if let Some(n) = page.get("numberMatched").and_then(Json::as_u64) {
                    return Ok(n);
                }
            }
            let mut n = 0u64;
            inner.pages(inner.items_url(&layer, &plan, inner.options.page_size), |f| {
                if output(&layer, &query, &plan, &f)?.is_some() {
                    n += 1;
                }
                Ok((n as usize) < MAX_GATHERED)
            })?;
            Ok(n)
        })
        .await
    }

    async fn extent(&self, layer: Arc<SourceLayer>) -> Result<Option<Bbox>, SourceError> {
        let inner = self.inner.clone();
        blocking(move || {
            let doc = inner.get_json(&format!("{}/collections/{}", inner.base, encode(collection(&layer))), MAX_DOC_BYTES)?;
            let b = doc.pointer("/extent/spatial/bbox/0").and_then(Json::as_array);
            let n = |i: usize| b.and_then(|b| b.get(i)).and_then(Json::as_f64);
            Ok(match (n(0), n(1), n(2), n(3)) {
                (Some(a), Some(b), Some(c), Some(d)) => Bbox::new(a, b, c, d),
                _ => None,
            })
        })
        .await
    }

    /// The collection exists, offers the layer's CRS (when it lists its CRS) and has every
    /// configured attribute among its queryables (when it publishes them).
    async fn check_layer(&self, layer: Arc<SourceLayer>) -> Result<(), SourceError> {
        let inner = self.inner.clone();
        blocking(move || {
            let id = collection(&layer);
            let schema = |message: String| SourceError::Schema { layer: layer.name.clone(), message };
            let url = format!("{}/collections/{}", inner.base, encode(id));
            let doc = match inner.get_json(&url, MAX_DOC_BYTES) {
                Err(SourceError::Schema { message, .. }) => return Err(schema(format!("the remote has no collection '{id}' ({message})"))),
                other => other?,
            };
            if let Some(list) = doc.get("crs").and_then(Json::as_array) {
                let offered = |c: &Json| c.as_str().and_then(Crs::parse).is_some_and(|(c, _)| c.srid() == layer.crs.srid());
                if !list.iter().any(offered) {
                    return Err(schema(format!("the remote collection '{id}' does not offer {}", layer.crs.code())));
                }
            }
            match inner.get_json(&format!("{url}/queryables"), MAX_DOC_BYTES) {
                Ok(q) => {
                    let props = q.get("properties").and_then(Json::as_object);
                    let missing: Vec<&str> =
                        layer.attributes.iter().map(|a| a.name.as_str()).filter(|n| props.is_some_and(|p| !p.contains_key(*n))).collect();
                    if missing.is_empty() {
                        Ok(())
                    } else {
                        Err(schema(format!("the remote collection '{id}' has no {}", missing.join(", "))))
                    }
                }
                // A remote without queryables: the attributes are found (or not) when read.
                Err(SourceError::Schema { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

/// Runs blocking HTTP work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SourceError> + Send + 'static) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SourceError::Failed { source_id: String::new(), message: e.to_string() })?
}

type Sender = tokio::sync::mpsc::Sender<Result<Feature, SourceError>>;

/// Unsorted: features go out as the pages come in, after the offset, up to the limit.
fn stream(inner: &Inner, layer: &SourceLayer, q: &ResolvedQuery, plan: &Plan, tx: &Sender) -> Result<(), SourceError> {
    if q.limit == 0 {
        return Ok(());
    }
    let (mut skipped, mut sent) = (0u64, 0u64);
    // Without a local check every remote feature is selected: ask for what is needed.
    let page = if plan.check.is_none() { (q.offset + q.limit).min(inner.options.page_size) } else { inner.options.page_size };
    inner.pages(inner.items_url(layer, plan, page.max(1)), |f| {
        let Some((_, feature)) = output(layer, q, plan, &f)? else { return Ok(true) };
        if skipped < q.offset {
            skipped += 1;
            return Ok(true);
        }
        if tx.blocking_send(Ok(feature)).is_err() {
            return Ok(false);
        }
        sent += 1;
        Ok(sent < q.limit)
    })
}

/// Sorted: every selected feature is gathered, sorted, then the page is sent.
fn gather(inner: &Inner, layer: &SourceLayer, q: &ResolvedQuery, plan: &Plan, tx: &Sender) -> Result<(), SourceError> {
    let mut rows = Vec::new();
    let mut too_many = false;
    inner.pages(inner.items_url(layer, plan, inner.options.page_size), |f| {
        if let Some(row) = output(layer, q, plan, &f)? {
            rows.push(row);
        }
        too_many = rows.len() > MAX_GATHERED;
        Ok(!too_many)
    })?;
    if too_many {
        return Err(inner.unavailable(format!("more than {MAX_GATHERED} remote features to sort: narrow the request (bbox, filter)")));
    }
    sort_rows(&mut rows, &q.sort);
    for (_, feature) in rows.into_iter().skip(q.offset as usize).take(q.limit as usize) {
        if tx.blocking_send(Ok(feature)).is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_ids() {
        assert_eq!(origin_of("http://127.0.0.1:8080/cmto/ogcapi"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("HTTPS://Host.example/x?y"), "https://host.example");
        assert_eq!(string_id("comuni.1"), string_id("comuni.1"));
        assert_ne!(string_id("comuni.1"), string_id("comuni.2"));
        assert!(string_id("x") >= 0 && string_id("x") < 1 << 53);
    }

    #[test]
    fn the_required_box_is_the_intersection_of_the_conjuncts() {
        let b = |a: f64, c: f64| Bbox { min_x: a, min_y: a, max_x: c, max_y: c };
        let p = Predicate::And(vec![
            Predicate::Envelope(b(0.0, 10.0)),
            Predicate::Spatial { relation: super::super::SpatialRelation::Intersects, wkb: vec![], envelope: b(5.0, 20.0) },
            Predicate::Ids(vec![1]),
        ]);
        assert_eq!(required_box(&p), Some(b(5.0, 10.0)));
        assert_eq!(required_box(&Predicate::Or(vec![Predicate::Envelope(b(0.0, 1.0))])), None, "a disjunct is not required");
    }

    #[test]
    fn remote_values_take_the_attribute_types() {
        assert_eq!(typed(&serde_json::json!(3), AttributeType::Float), Value::Float(3.0));
        assert_eq!(typed(&serde_json::json!("12"), AttributeType::Int), Value::Int(12));
        assert_eq!(typed(&serde_json::json!("x"), AttributeType::Int), Value::Null);
        assert_eq!(typed(&serde_json::json!(1272), AttributeType::Text), Value::Text("1272".into()));
    }
}
