//! Feature sources: the one [`FeatureSource`] trait every backend implements, the query model
//! ([`FeatureQuery`]) protocols fill in, and its validation against a layer's schema
//! ([`FeatureQuery::resolve`]) into a [`ResolvedQuery`] that backends translate to SQL.
//!
//! Backends: [`gpkg::GpkgSource`] (embedded GeoPackage), [`postgis::PostgisSource`] and
//! [`remote::OgcApiSource`] (a remote OGC API – Features service, filtered in memory by
//! [`eval`] where the remote cannot express the query).
//! Results stream as [`Feature`] rows: an id, the geometry as WKB in the requested CRS, and typed
//! attribute values.

pub mod eval;
pub mod gpkg;
pub mod postgis;
pub mod remote;
mod resolve;
pub mod sql;
pub mod write;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;

use crate::crs::{Bbox, Crs, TransformError};
use crate::filter::Filter;

pub use crate::model::{AttributeType, Value};
pub use resolve::{coerce_value, Predicate, QueryError, ResolvedQuery, SpatialRelation};

/// One exposed attribute of a layer: the allow-list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Column name in the source, also the public property name.
    pub name: String,
    /// Its type.
    pub kind: AttributeType,
}

/// Where a layer's rows come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relation {
    /// A table or view, optionally schema-qualified (`schema.table`).
    Table(String),
    /// A SELECT statement used as a sub-query.
    Sql(String),
}

/// What a backend needs to know of a layer: a resolved, validated view of its config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLayer {
    /// Public layer name (for messages).
    pub name: String,
    /// Table or SQL.
    pub relation: Relation,
    /// Geometry column.
    pub geometry_column: String,
    /// Integer id column (the GeoPackage `fid`).
    pub id_column: String,
    /// CRS the geometries are stored in.
    pub crs: Crs,
    /// The exposed attributes, in output order: the allow-list.
    pub attributes: Vec<Attribute>,
    /// Column holding the ISTAT code of the comune a feature belongs to, used for tenant
    /// restriction; when absent the tenant's extent is used instead.
    pub tenant_column: Option<String>,
}

impl SourceLayer {
    /// Index of an exposed attribute (case-sensitive, as property names are in OGC).
    pub fn attribute_index(&self, name: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a.name == name)
    }
}

/// The comune a request is restricted to.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantScope {
    /// ISTAT code, matched against the layer's tenant column.
    pub istat_code: String,
    /// The comune's extent in WGS84 lon/lat.
    pub extent_lonlat: Bbox,
    /// The comune's boundary: features of layers without a tenant column must intersect it
    /// (or, when unknown, the extent).
    pub boundary: Option<Arc<crate::filter::GeometryLiteral>>,
}

/// A sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// Property name.
    pub property: String,
    /// Descending order.
    pub descending: bool,
}

/// What a protocol asks of a layer. Property names are unchecked until [`Self::resolve`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureQuery {
    /// Only features intersecting this box (in `bbox_crs`).
    pub bbox: Option<(Bbox, Crs)>,
    /// Only features whose bounding box meets this box (in its CRS): an index-only test.
    pub envelope: Option<(Bbox, Crs)>,
    /// Attribute and spatial filter.
    pub filter: Option<Filter>,
    /// Sort keys (the id is always the last tie-breaker, so paging is stable).
    pub sort: Vec<SortKey>,
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return (capped by the server limit).
    pub limit: Option<u64>,
    /// Properties to return (`None`: all exposed ones).
    pub properties: Option<Vec<String>>,
    /// CRS of the returned geometries (`None`: the layer's own).
    pub output_crs: Option<Crs>,
    /// Restrict to one comune.
    pub tenant: Option<TenantScope>,
    /// Leave geometries out of the result.
    pub skip_geometry: bool,
    /// Rows in any order (no ORDER BY on the id): for maps, where paging is not needed.
    pub unordered: bool,
    /// Geometries may be simplified by the source within this distance (in the layer's CRS
    /// units): for maps, half a pixel. Backends without a cheap simplification ignore it.
    pub simplify: Option<f64>,
    /// The rows must be as of the latest commit (read from the primary, not a replica that may
    /// lag): entity tags after an edit.
    pub fresh: bool,
}

/// One result row.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// Value of the id column.
    pub id: i64,
    /// Geometry as (ISO) WKB in the output CRS; `None` when null or not requested.
    pub wkb: Option<Vec<u8>>,
    /// Values of the selected attributes, in [`ResolvedQuery::columns`] order.
    pub values: Vec<Value>,
}

/// A stream of result rows; errors end it.
pub type FeatureStream = Pin<Box<dyn Stream<Item = Result<Feature, SourceError>> + Send>>;

/// A backend failure. Request errors are [`QueryError`]s, raised before a backend is called.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// SQLite / GeoPackage error.
    #[error("GeoPackage source {source_id}: {error}")]
    Sqlite {
        /// Source id.
        source_id: String,
        /// The error.
        #[source]
        error: rusqlite::Error,
    },
    /// PostgreSQL error.
    #[error("PostGIS source {source_id}: {error}")]
    Postgres {
        /// Source id.
        source_id: String,
        /// The error.
        #[source]
        error: tokio_postgres::Error,
    },
    /// No connection could be had.
    #[error("source {source_id}: no connection: {message}")]
    Unavailable {
        /// Source id.
        source_id: String,
        /// Why.
        message: String,
    },
    /// The source cancelled a query that ran longer than its statement timeout.
    #[error("source {source_id}: the query ran longer than the statement timeout")]
    Timeout {
        /// Source id.
        source_id: String,
    },
    /// A failure reported once and shared by several waiters (a tile rendered for concurrent
    /// requests); `message` is the original error, for logs only.
    #[error("source {source_id}: {message}")]
    Failed {
        /// Source id.
        source_id: String,
        /// The original error.
        message: String,
    },
    /// A stored geometry could not be decoded or transformed.
    #[error("layer {layer}: bad geometry for feature {id}: {message}")]
    Geometry {
        /// Layer name.
        layer: String,
        /// Feature id.
        id: i64,
        /// Why.
        message: String,
    },
    /// Reprojection failed.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// The database refused a write: a constraint (NOT NULL, unique, check) or a value it
    /// cannot store. The client's request is at fault (400), not the server.
    #[error("the database refused the change: {message}")]
    Refused {
        /// Source id.
        source_id: String,
        /// The database's reason.
        message: String,
    },
    /// The layer's table does not look like its configuration says.
    #[error("layer {layer}: {message}")]
    Schema {
        /// Layer name.
        layer: String,
        /// What is wrong.
        message: String,
    },
}

impl SourceError {
    /// A copy to hand to every waiter of a shared computation: the kinds a protocol answers
    /// differently (unavailable, timeout) are kept, the others become [`SourceError::Failed`].
    pub fn shared(&self) -> SourceError {
        match self {
            SourceError::Unavailable { source_id, message } => {
                SourceError::Unavailable { source_id: source_id.clone(), message: message.clone() }
            }
            SourceError::Timeout { source_id } => SourceError::Timeout { source_id: source_id.clone() },
            SourceError::Failed { source_id, message } => SourceError::Failed { source_id: source_id.clone(), message: message.clone() },
            SourceError::Sqlite { source_id, .. } | SourceError::Postgres { source_id, .. } => {
                SourceError::Failed { source_id: source_id.clone(), message: self.to_string() }
            }
            other => SourceError::Failed { source_id: String::new(), message: other.to_string() },
        }
    }
}

/// A data change seen by a source: a table and, when known, the changed box.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Rows of `table` changed within `bbox` (in the CRS with `srid`); `bbox` is `None` when
    /// the extent is unknown (e.g. a truncation).
    Table {
        /// Source id.
        source: String,
        /// Table name, as in the configuration (`schema.table` or `table`).
        table: String,
        /// The changed box.
        bbox: Option<(Bbox, i32)>,
    },
    /// Changes may have been missed (the listener reconnected): everything of the source is
    /// suspect.
    All {
        /// Source id.
        source: String,
    },
}

/// Where sources report changes.
pub type ChangeSink = tokio::sync::mpsc::UnboundedSender<Change>;

/// A source of features: one GeoPackage file or one PostGIS database.
///
/// Object safe; every method takes a validated [`ResolvedQuery`] so backends only translate.
#[async_trait::async_trait]
pub trait FeatureSource: Send + Sync + fmt::Debug {
    /// The source id from `layers.toml`.
    fn id(&self) -> &str;
    /// `gpkg`, `postgis` or `ogcapi`.
    fn kind(&self) -> &'static str;
    /// Whether the server is unready without it (`/ready` answers 503). A remote service of
    /// another administration is not: its layers fail alone, the rest is served.
    fn essential(&self) -> bool {
        true
    }
    /// Succeeds when the source answers a trivial query.
    async fn ping(&self) -> Result<(), SourceError>;
    /// Streams the rows selected by `query`.
    async fn query(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<FeatureStream, SourceError>;
    /// Number of rows matching `query`, ignoring its offset and limit.
    async fn count(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<u64, SourceError>;
    /// Extent of the layer in its native CRS (`None` when empty).
    async fn extent(&self, layer: Arc<SourceLayer>) -> Result<Option<Bbox>, SourceError>;
    /// Checks that the layer's table and columns exist with usable types.
    async fn check_layer(&self, layer: Arc<SourceLayer>) -> Result<(), SourceError>;
    /// An optional capability: one MVT layer (a one-layer tile; empty when no feature remains)
    /// rendered by the backend itself, for a query whose geometries come in EPSG:3857. `None`
    /// (the default) means the backend has no such capability: the tile service then reads the
    /// features and encodes them itself. PostGIS answers with `ST_AsMVT`.
    async fn native_mvt(
        &self,
        layer: Arc<SourceLayer>,
        query: ResolvedQuery,
        params: &sql::MvtParams,
    ) -> Result<Option<Vec<u8>>, SourceError> {
        let _ = (layer, query, params);
        Ok(None)
    }

    /// The source's read replicas (host:port) and whether each serves reads now; the default:
    /// none.
    fn replicas(&self) -> Vec<(String, bool)> {
        Vec::new()
    }

    /// A remote source's health for `/metrics`: (HTTP requests made, of them failed, circuit
    /// open now); `None` (the default) for local sources.
    fn remote_health(&self) -> Option<(u64, u64, bool)> {
        None
    }

    /// Starts reporting data changes to `sink` (until it is closed); the default reports none.
    fn watch(&self, sink: ChangeSink) {
        let _ = sink;
    }

    /// Applies a batch of edits (on layers of this source) in one transaction, every action
    /// or none, each changed feature recorded in the audit table ([`write`]). The default:
    /// read-only.
    async fn write(&self, batch: write::WriteBatch) -> Result<write::WriteOutcome, write::WriteFailure> {
        let _ = batch;
        Err(write::WriteFailure::at(0, write::WriteReason::ReadOnly(self.id().to_string())))
    }

    /// The audit trail, newest first.
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, SourceError> {
        let _ = query;
        Ok(Vec::new())
    }
}

/// Which audit entries to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this layer.
    pub layer: Option<String>,
    /// Only this table (`schema.table` as configured): two configurations may publish
    /// different tables under one layer name.
    pub table: Option<String>,
    /// Only this feature id.
    pub feature_id: Option<i64>,
    /// Most entries.
    pub limit: u64,
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When (ISO 8601 UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Through which tenant.
    pub tenant: String,
    /// Layer.
    pub layer: String,
    /// Feature id.
    pub feature_id: i64,
    /// `insert`, `update`, `replace` or `delete`.
    pub action: String,
    /// The feature before ([`write::row_json`]).
    pub old: Option<serde_json::Value>,
    /// The feature after.
    pub new: Option<serde_json::Value>,
}

/// Reprojects WKB from `from` to `to` (no-op when equal).
pub fn reproject_wkb(layer: &str, id: i64, wkb: Vec<u8>, from: Crs, to: Crs) -> Result<Vec<u8>, SourceError> {
    use geozero::{CoordDimensions, ToGeo, ToWkb};
    if from.srid() == to.srid() {
        return Ok(wkb);
    }
    let bad = |message: String| SourceError::Geometry { layer: layer.to_string(), id, message };
    let mut g = geozero::wkb::Wkb(wkb).to_geo().map_err(|e| bad(e.to_string()))?;
    crate::crs::transform_geometry(from, to, &mut g)?;
    g.to_wkb(CoordDimensions::xy()).map_err(|e| bad(e.to_string()))
}

/// Buffer between a backend's producer and the consumer of a [`FeatureStream`] (rows).
pub(crate) const STREAM_BUFFER: usize = 256;

/// Turns a channel receiver into a [`FeatureStream`].
pub(crate) fn receiver_stream(rx: tokio::sync::mpsc::Receiver<Result<Feature, SourceError>>) -> FeatureStream {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// The stream of a query whose first answer has arrived: an error before the first row is
/// returned as the query's error, so callers can still answer with the right HTTP status
/// (say 503 for a database that has gone away) before they start a response.
pub(crate) async fn checked_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Feature, SourceError>>,
) -> Result<FeatureStream, SourceError> {
    match rx.recv().await {
        None => Ok(Box::pin(futures_util::stream::empty())),
        Some(Err(e)) => Err(e),
        Some(Ok(first)) => {
            use futures_util::StreamExt;
            Ok(Box::pin(futures_util::stream::once(async move { Ok(first) }).chain(receiver_stream(rx))))
        }
    }
}
