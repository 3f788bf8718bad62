//! GeoPackage backend (rusqlite, bundled SQLite). Connections are read-only, pooled, and used
//! on tokio's blocking threads; rows travel back over a bounded channel, so a large result never
//! sits in memory. Spatial predicates use the GeoPackage R-tree (`rtree_<table>_<column>`) as a
//! pre-filter and navigli's own SQL functions (backed by the `geo` crate) for the exact test.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use geozero::ToGeo;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::{
    reproject_wkb, AttributeType, Feature, FeatureSource, FeatureStream, ResolvedQuery, SourceError, SourceLayer, Value, STREAM_BUFFER,
};
use crate::crs::Bbox;
use crate::filter::like_matches;
use crate::source::sql::{count_statement, from_clause, quote_ident, select_statement, Dialect, Param};

/// A GeoPackage file: read through a pool of read-only connections; written (edits) through
/// one writer connection, opened on the first edit, in WAL mode so that readers never wait.
#[derive(Debug)]
pub struct GpkgSource {
    id: String,
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
    rtrees: Mutex<HashMap<String, Option<String>>>,
    writer: Arc<Mutex<Option<Connection>>>,
}

impl GpkgSource {
    /// Opens `path` (which must exist) with at most `pool_size` concurrent connections.
    pub fn open(id: &str, path: &Path, pool_size: usize) -> Result<GpkgSource, SourceError> {
        let conn = open_connection(path).map_err(|error| SourceError::Sqlite { source_id: id.to_string(), error })?;
        Ok(GpkgSource {
            id: id.to_string(),
            path: path.to_path_buf(),
            idle: Arc::new(Mutex::new(vec![conn])),
            permits: Arc::new(Semaphore::new(pool_size.max(1))),
            rtrees: Mutex::new(HashMap::new()),
            writer: Arc::new(Mutex::new(None)),
        })
    }

    /// Runs `f` with a pooled connection on a blocking thread. The returned future owns what
    /// it needs, so it can be spawned.
    fn with_connection<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, SourceError> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<R, SourceError>> + Send + 'static {
        let permits = self.permits.clone();
        let idle = self.idle.clone();
        let path = self.path.clone();
        let id = self.id.clone();
        async move {
            let unavailable = |message: String| SourceError::Unavailable { source_id: id.clone(), message };
            let permit = permits.acquire_owned().await.map_err(|e| unavailable(e.to_string()))?;
            let source_id = id.clone();
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let conn = idle
                    .lock()
                    .map_err(|_| SourceError::Unavailable { source_id: source_id.clone(), message: "pool poisoned".into() })?
                    .pop();
                let conn = match conn {
                    Some(c) => c,
                    None => open_connection(&path).map_err(|error| SourceError::Sqlite { source_id: source_id.clone(), error })?,
                };
                let result = f(&conn);
                if let Ok(mut pool) = idle.lock() {
                    pool.push(conn);
                }
                result
            })
            .await
            .map_err(|e| unavailable(format!("worker failed: {e}")))?
        }
    }

    /// The R-tree table of a layer, if the GeoPackage has one (looked up once per layer).
    async fn rtree(&self, layer: &SourceLayer) -> Result<Option<String>, SourceError> {
        let table = match &layer.relation {
            super::Relation::Table(t) => t.clone(),
            super::Relation::Sql(_) => return Ok(None),
        };
        let name = format!("rtree_{}_{}", table, layer.geometry_column);
        if let Some(found) = self.rtrees.lock().expect("rtree cache").get(&name) {
            return Ok(found.clone());
        }
        let probe = name.clone();
        let found = self
            .with_connection(move |c| {
                let n: i64 = c
                    .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [&probe], |r| r.get(0))
                    .map_err(|error| SourceError::Sqlite { source_id: String::new(), error })?;
                Ok((n > 0).then_some(probe))
            })
            .await?;
        self.rtrees.lock().expect("rtree cache").insert(name, found.clone());
        Ok(found)
    }
}

/// Opens a read-only connection with navigli's SQL functions registered.
fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)?;
    conn.set_prepared_statement_cache_capacity(64);
    // A writer (navigli's own edits, or another program) holds the database only briefly.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // SQLite's legacy misfeature reads an unknown "quoted identifier" as a string literal, which
    // would turn a misconfigured column into a constant. Make it an error, as in PostgreSQL.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    register_functions(&conn)?;
    Ok(conn)
}

/// Registers `navigli_spatial(geom, wkb, relation, distance)` and `navigli_like(text, pattern,
/// match_case)` on a connection.
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("navigli_spatial", 4, flags, |ctx| {
        let literal: Arc<geo::Geometry<f64>> = ctx.get_or_create_aux(1, |v| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            let bytes = v.as_blob()?;
            Ok(geozero::wkb::Wkb(bytes.to_vec()).to_geo()?)
        })?;
        let blob = match ctx.get_raw(0) {
            ValueRef::Blob(b) => b,
            _ => return Ok(None),
        };
        let Some(wkb) = gpkg_wkb(blob) else { return Ok(None) };
        let feature = geozero::wkb::Wkb(wkb.to_vec()).to_geo().map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
        let code: i64 = ctx.get(2)?;
        let distance: f64 = ctx.get(3)?;
        let relation = match code {
            0 => super::SpatialRelation::Intersects,
            1 => super::SpatialRelation::Within,
            2 => super::SpatialRelation::Contains,
            _ => super::SpatialRelation::DWithin(distance),
        };
        let hit = super::eval::spatial_holds(&feature, literal.as_ref(), relation);
        Ok(Some(hit as i64))
    })?;
    conn.create_scalar_function("navigli_like", 3, flags, |ctx| {
        let text = match ctx.get_raw(0) {
            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            ValueRef::Null => return Ok(None),
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(f) => f.to_string(),
            ValueRef::Blob(_) => return Ok(None),
        };
        let pattern: String = ctx.get(1)?;
        let match_case: bool = ctx.get::<i64>(2)? != 0;
        Ok(Some(like_matches(&text, &pattern, match_case) as i64))
    })?;
    Ok(())
}

/// The WKB inside a GeoPackage geometry blob (`None` for empty geometries or bad headers).
pub fn gpkg_wkb(blob: &[u8]) -> Option<&[u8]> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return None;
    }
    let flags = blob[3];
    if flags & 0b1_0000 != 0 {
        return None; // empty geometry
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    blob.get(8 + envelope..)
}

/// Wraps WKB as a GeoPackage geometry blob (little-endian header with an XY envelope).
pub fn gpkg_blob(srs_id: i32, wkb: &[u8], envelope: Option<&Bbox>) -> Vec<u8> {
    let mut out = Vec::with_capacity(wkb.len() + 40);
    out.extend_from_slice(b"GP");
    out.push(0); // version 1
    match envelope {
        Some(_) => out.push(0b0000_0011), // little endian, XY envelope
        None => out.push(0b0001_0001),    // little endian, empty
    }
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(b) = envelope {
        for v in [b.min_x, b.max_x, b.min_y, b.max_y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(wkb);
    out
}

fn to_sql(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match p {
        Param::Int(i) => V::Integer(*i),
        Param::Float(f) => V::Real(*f),
        Param::Text(s) => V::Text(s.clone()),
        Param::Bool(b) => V::Integer(*b as i64),
        Param::Bytes(b) => V::Blob(b.clone()),
        // Lists are expanded to one placeholder per value for SQLite.
        Param::IntList(_) | Param::FloatList(_) | Param::TextList(_) => V::Null,
    }
}

/// Reads a stored value as the attribute's declared type.
fn read_value(kind: AttributeType, v: ValueRef<'_>) -> Value {
    match (kind, v) {
        (_, ValueRef::Null) => Value::Null,
        (AttributeType::Int, ValueRef::Integer(i)) => Value::Int(i),
        (AttributeType::Int, ValueRef::Real(f)) => Value::Int(f as i64),
        (AttributeType::Float, ValueRef::Integer(i)) => Value::Float(i as f64),
        (AttributeType::Float, ValueRef::Real(f)) => Value::Float(f),
        (AttributeType::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (_, ValueRef::Text(t)) => {
            let s = String::from_utf8_lossy(t).into_owned();
            match kind {
                AttributeType::Int => s.parse().map(Value::Int).unwrap_or(Value::Null),
                AttributeType::Float => s.parse().map(Value::Float).unwrap_or(Value::Null),
                AttributeType::Bool => Value::Bool(s == "1" || s.eq_ignore_ascii_case("true")),
                AttributeType::Date => Value::Text(s.get(..10).unwrap_or(&s).to_string()),
                AttributeType::Text => Value::Text(s),
            }
        }
        (_, ValueRef::Integer(i)) => Value::Text(i.to_string()),
        (_, ValueRef::Real(f)) => Value::Text(f.to_string()),
        (_, ValueRef::Blob(_)) => Value::Null,
    }
}

#[async_trait::async_trait]
impl FeatureSource for GpkgSource {
    async fn write(&self, batch: super::write::WriteBatch) -> Result<super::write::WriteOutcome, super::write::WriteFailure> {
        use super::write::WriteFailure;
        let mut rtrees = HashMap::new();
        for (table, layer) in batch.tables() {
            rtrees.insert(table, self.rtree(&layer).await.map_err(|e| WriteFailure::at(0, e))?);
        }
        let (writer, path, id) = (self.writer.clone(), self.path.clone(), self.id.clone());
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let whole = |e: rusqlite::Error| WriteFailure::at(0, sqlite_error(&id, e));
            let mut guard = writer
                .lock()
                .map_err(|_| WriteFailure::at(0, SourceError::Unavailable { source_id: id.clone(), message: "writer poisoned".into() }))?;
            if guard.is_none() {
                *guard = Some(open_writer(&path).map_err(whole)?);
            }
            let conn = guard.as_mut().expect("writer opened above");
            conn.execute_batch("BEGIN IMMEDIATE").map_err(whole)?;
            let dialect = |l: &SourceLayer| match &l.relation {
                super::Relation::Table(t) => Dialect::Sqlite { rtree: rtrees.get(t).cloned().flatten() },
                super::Relation::Sql(_) => Dialect::Sqlite { rtree: None },
            };
            let result = handle.block_on(async {
                let mut tx = SqliteTx { conn: &mut *conn, id: id.clone() };
                super::write::apply(&mut tx, dialect, &batch).await
            });
            let result = result.and_then(|out| {
                for (table, layer) in batch.tables() {
                    let changed = out.per_table.iter().find(|t| t.table == table);
                    let rtree = rtrees.get(&table).cloned().flatten();
                    after_write(conn, &table, &layer, rtree.as_deref(), changed).map_err(whole)?;
                }
                conn.execute_batch("COMMIT").map_err(whole)?;
                Ok(out)
            });
            if result.is_err() && !conn.is_autocommit() {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!("source {id}: rollback failed ({e}); reopening the writer");
                    *guard = None;
                }
            }
            result
        })
        .await
        .map_err(|e| WriteFailure::at(0, SourceError::Unavailable { source_id: self.id.clone(), message: format!("writer failed: {e}") }))?
    }

    async fn audit(&self, query: super::AuditQuery) -> Result<Vec<super::AuditEntry>, SourceError> {
        let id = self.id.clone();
        self.with_connection(move |conn| {
            let err = |error| SourceError::Sqlite { source_id: id.clone(), error };
            let t = super::write::AUDIT_TABLE;
            let exists: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [t], |r| r.get(0)).map_err(err)?;
            if exists == 0 {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT id, at, actor, tenant, layer, feature_id, action, old_value, new_value FROM {t} \
                 WHERE (?1 IS NULL OR layer = ?1) AND (?2 IS NULL OR feature_id = ?2) AND (?4 IS NULL OR table_name = ?4) ORDER BY id DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare(&sql).map_err(err)?;
            let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(rusqlite::params![query.layer, query.feature_id, limit, query.table], |r| {
                    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                    Ok(super::AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        tenant: r.get(3)?,
                        layer: r.get(4)?,
                        feature_id: r.get(5)?,
                        action: r.get(6)?,
                        old: json(r.get(7)?),
                        new: json(r.get(8)?),
                    })
                })
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    fn watch(&self, sink: super::ChangeSink) {
        let (id, path) = (self.id.clone(), self.path.clone());
        std::thread::Builder::new().name(format!("navigli-watch-{id}")).spawn(move || poll_changes(&id, &path, &sink)).ok();
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "gpkg"
    }

    async fn ping(&self) -> Result<(), SourceError> {
        let id = self.id.clone();
        self.with_connection(move |c| {
            c.query_row("SELECT count(*) FROM gpkg_contents", [], |r| r.get::<_, i64>(0))
                .map(|_| ())
                .map_err(|error| SourceError::Sqlite { source_id: id, error })
        })
        .await
    }

    async fn query(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<FeatureStream, SourceError> {
        let dialect = Dialect::Sqlite { rtree: self.rtree(&layer).await? };
        let statement = select_statement(&dialect, &layer, &query);
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        let error_tx = tx.clone();
        let id = self.id.clone();
        let producer = self.with_connection(move |conn| {
            let err = |error| SourceError::Sqlite { source_id: id.clone(), error };
            if tx.is_closed() {
                return Ok(()); // the consumer left while this query waited for a connection
            }
            // Abandon the statement (even mid-sort) as soon as the consumer is gone.
            let watch = tx.clone();
            conn.progress_handler(10_000, Some(move || watch.is_closed()));
            let result = (|| {
                let mut stmt = conn.prepare_cached(&statement.sql).map_err(err)?;
                let params: Vec<rusqlite::types::Value> = statement.params.iter().map(to_sql).collect();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(err)?;
                loop {
                    let row = match rows.next() {
                        Ok(Some(row)) => row,
                        Ok(None) => break,
                        Err(error) => {
                            let _ = tx.blocking_send(Err(err(error)));
                            break;
                        }
                    };
                    let item = (|| {
                        let fid: i64 = row.get(0).map_err(err)?;
                        let wkb = match row.get_ref(1).map_err(err)? {
                            ValueRef::Blob(b) => gpkg_wkb(b).map(<[u8]>::to_vec),
                            _ => None,
                        };
                        let wkb = match wkb {
                            Some(w) => Some(reproject_wkb(&layer.name, fid, w, query.native_crs, query.output_crs)?),
                            None => None,
                        };
                        let values = query
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(n, &attr)| row.get_ref(n + 2).map(|v| read_value(layer.attributes[attr].kind, v)).map_err(err))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(Feature { id: fid, wkb, values })
                    })();
                    let failed = item.is_err();
                    if tx.blocking_send(item).is_err() || failed {
                        break; // consumer gone, or error delivered
                    }
                }
                Ok(())
            })();
            conn.progress_handler(0, None::<fn() -> bool>);
            match result {
                Err(SourceError::Sqlite { error: rusqlite::Error::SqliteFailure(e, _), .. })
                    if e.code == rusqlite::ErrorCode::OperationInterrupted =>
                {
                    Ok(())
                }
                other => other,
            }
        });
        // The producer runs on its own; its errors (e.g. a bad statement) end the stream.
        tokio::spawn(async move {
            if let Err(e) = producer.await {
                let _ = error_tx.send(Err(e)).await;
            }
        });
        super::checked_stream(rx).await
    }

    async fn count(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<u64, SourceError> {
        let dialect = Dialect::Sqlite { rtree: self.rtree(&layer).await? };
        let statement = count_statement(&dialect, &layer, &query);
        let id = self.id.clone();
        self.with_connection(move |conn| {
            let params: Vec<rusqlite::types::Value> = statement.params.iter().map(to_sql).collect();
            let mut stmt = conn.prepare_cached(&statement.sql).map_err(|error| SourceError::Sqlite { source_id: id.clone(), error })?;
            let n: i64 = stmt
                .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))
                .map_err(|error| SourceError::Sqlite { source_id: id.clone(), error })?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn extent(&self, layer: Arc<SourceLayer>) -> Result<Option<Bbox>, SourceError> {
        let rtree = self.rtree(&layer).await?;
        let id = self.id.clone();
        self.with_connection(move |conn| {
            let err = |error| SourceError::Sqlite { source_id: id.clone(), error };
            if let Some(rt) = rtree {
                let sql = format!("SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {}", quote_ident(&rt));
                let r: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
                    conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).map_err(err)?;
                return Ok(match r {
                    (Some(a), Some(b), Some(c), Some(d)) => Bbox::new(a, b, c, d),
                    _ => None,
                });
            }
            let sql = format!("SELECT {} FROM {}", quote_ident(&layer.geometry_column), from_clause(&layer));
            let mut stmt = conn.prepare(&sql).map_err(err)?;
            let mut rows = stmt.query([]).map_err(err)?;
            let mut out: Option<Bbox> = None;
            while let Some(row) = rows.next().map_err(err)? {
                if let ValueRef::Blob(b) = row.get_ref(0).map_err(err)? {
                    if let Some(g) = gpkg_wkb(b).and_then(|w| geozero::wkb::Wkb(w.to_vec()).to_geo().ok()) {
                        if let Some(bb) = Bbox::of_geometry(&g) {
                            out = Some(out.map_or(bb, |o| o.union(&bb)));
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn check_layer(&self, layer: Arc<SourceLayer>) -> Result<(), SourceError> {
        let q = ResolvedQuery::probe(&layer);
        let statement = select_statement(&Dialect::Sqlite { rtree: None }, &layer, &q);
        let name = layer.name.clone();
        self.with_connection(move |conn| {
            conn.prepare(&statement.sql).map(|_| ()).map_err(|e| SourceError::Schema { layer: name, message: e.to_string() })
        })
        .await
    }
}

/// Opens the writer connection: read-write, WAL journal (readers keep reading while it writes),
/// navigli's SQL functions, and the audit table (registered as GeoPackage attributes).
fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    register_functions(&conn)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("{}: journal mode stays {mode} (WAL refused): readers may wait for edits", path.display());
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, \
         tenant TEXT NOT NULL, layer TEXT NOT NULL, table_name TEXT NOT NULL, feature_id INTEGER NOT NULL, action TEXT NOT NULL, \
         old_value TEXT, new_value TEXT);
         CREATE INDEX IF NOT EXISTS {t}_feature ON {t} (layer, feature_id);
         CREATE INDEX IF NOT EXISTS {t}_table_feature ON {t} (table_name, feature_id);
         INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) \
         VALUES ('{t}', 'attributes', '{t}', 'navigli: every edit (who, when, old and new values)');",
        t = super::write::AUDIT_TABLE
    ))?;
    Ok(conn)
}

/// The writer's open transaction, as [`super::write::apply`] uses it.
struct SqliteTx<'a> {
    conn: &'a mut Connection,
    id: String,
}

fn sqlite_error(id: &str, error: rusqlite::Error) -> SourceError {
    match &error {
        rusqlite::Error::SqliteFailure(e, msg) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            SourceError::Refused { source_id: id.to_string(), message: msg.clone().unwrap_or_else(|| e.to_string()) }
        }
        _ => SourceError::Sqlite { source_id: id.to_string(), error },
    }
}

#[async_trait::async_trait]
impl super::write::WriteTx for SqliteTx<'_> {
    async fn rows(
        &mut self,
        statement: crate::source::sql::Statement,
        layer: &SourceLayer,
        q: &ResolvedQuery,
    ) -> Result<Vec<(Feature, Option<String>)>, SourceError> {
        let err = |e| sqlite_error(&self.id, e);
        let params: Vec<rusqlite::types::Value> = statement.params.iter().map(to_sql).collect();
        let mut stmt = self.conn.prepare_cached(&statement.sql).map_err(err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let fid: i64 = row.get(0).map_err(err)?;
            let wkb = match row.get_ref(1).map_err(err)? {
                ValueRef::Blob(b) => gpkg_wkb(b).map(<[u8]>::to_vec),
                _ => None,
            };
            let values = q
                .columns
                .iter()
                .enumerate()
                .map(|(n, &attr)| row.get_ref(n + 2).map(|v| read_value(layer.attributes[attr].kind, v)).map_err(err))
                .collect::<Result<Vec<_>, _>>()?;
            let tenant = match row.get_ref(q.columns.len() + 2).map_err(err)? {
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Integer(i) => Some(i.to_string()),
                _ => None,
            };
            out.push((Feature { id: fid, wkb, values }, tenant));
        }
        Ok(out)
    }

    async fn insert(&mut self, statement: crate::source::sql::Statement) -> Result<i64, SourceError> {
        let params: Vec<rusqlite::types::Value> = statement.params.iter().map(to_sql).collect();
        let mut stmt = self.conn.prepare_cached(&statement.sql).map_err(|e| sqlite_error(&self.id, e))?;
        stmt.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0)).map_err(|e| sqlite_error(&self.id, e))
    }

    async fn execute(&mut self, statement: crate::source::sql::Statement) -> Result<u64, SourceError> {
        let params: Vec<rusqlite::types::Value> = statement.params.iter().map(to_sql).collect();
        let mut stmt = self.conn.prepare_cached(&statement.sql).map_err(|e| sqlite_error(&self.id, e))?;
        stmt.execute(rusqlite::params_from_iter(params.iter())).map(|n| n as u64).map_err(|e| sqlite_error(&self.id, e))
    }
}

/// Brings the R-tree index and `gpkg_contents` (extent, `last_change`: other replicas watching
/// the file see which table moved) up to date with what a transaction changed.
fn after_write(
    conn: &Connection,
    table: &str,
    layer: &SourceLayer,
    rtree: Option<&str>,
    changed: Option<&super::write::TableChange>,
) -> rusqlite::Result<()> {
    let Some(changed) = changed else { return Ok(()) };
    if let Some(rt) = rtree {
        let rt = quote_ident(rt);
        let touched = &changed.ids;
        let read = format!(
            "SELECT {} FROM {} WHERE {} = ?1",
            quote_ident(&layer.geometry_column),
            crate::source::sql::quote_table(table),
            quote_ident(&layer.id_column)
        );
        for &id in touched {
            let blob: Option<Option<Vec<u8>>> = conn.query_row(&read, [id], |r| r.get(0)).map(Some).or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
            let bbox = blob.flatten().and_then(|b| gpkg_wkb(&b).and_then(super::write::wkb_bbox));
            conn.execute(&format!("DELETE FROM {rt} WHERE id = ?1"), [id])?;
            if let Some(b) = bbox {
                conn.execute(
                    &format!("INSERT INTO {rt} (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?3, ?4, ?5)"),
                    rusqlite::params![id, b.min_x, b.max_x, b.min_y, b.max_y],
                )?;
            }
        }
    }
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = ?1", [table])?;
    if let Some(b) = changed.bbox {
        conn.execute(
            "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?2), ?2), min_y = min(coalesce(min_y, ?3), ?3), \
             max_x = max(coalesce(max_x, ?4), ?4), max_y = max(coalesce(max_y, ?5), ?5) WHERE table_name = ?1",
            rusqlite::params![table, b.min_x, b.min_y, b.max_x, b.max_y],
        )?;
    }
    Ok(())
}

/// How often a GeoPackage is checked for changes made by other writers.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// `gpkg_contents.last_change` of every table.
fn last_changes(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let mut stmt = conn.prepare("SELECT table_name, last_change FROM gpkg_contents")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())))?;
    rows.collect()
}

/// Polls a GeoPackage for commits by other connections (`PRAGMA data_version`) and reports the
/// tables whose `gpkg_contents.last_change` moved, or everything when none did (a writer that
/// does not maintain it).
fn poll_changes(id: &str, path: &Path, sink: &super::ChangeSink) {
    let Ok(conn) = open_connection(path) else {
        tracing::warn!("source {id}: cannot watch {} for changes", path.display());
        return;
    };
    let version = |c: &Connection| c.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0));
    let (Ok(mut seen), Ok(mut changes)) = (version(&conn), last_changes(&conn)) else { return };
    while !sink.is_closed() {
        std::thread::sleep(POLL_INTERVAL);
        let Ok(now) = version(&conn) else { continue };
        if now == seen {
            continue;
        }
        seen = now;
        let Ok(latest) = last_changes(&conn) else { continue };
        let moved: Vec<String> = latest.iter().filter(|(t, c)| changes.get(*t) != Some(c)).map(|(t, _)| t.clone()).collect();
        changes = latest;
        tracing::info!("source {id}: data changed ({})", if moved.is_empty() { "unknown tables".to_string() } else { moved.join(", ") });
        let sent = if moved.is_empty() {
            sink.send(super::Change::All { source: id.to_string() }).is_ok()
        } else {
            moved.into_iter().all(|table| sink.send(super::Change::Table { source: id.to_string(), table, bbox: None }).is_ok())
        };
        if !sent {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_keeps_wkb() {
        let wkb = vec![1u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 240, 63, 0, 0, 0, 0, 0, 0, 0, 64];
        let blob = gpkg_blob(32632, &wkb, Bbox::new(1.0, 2.0, 1.0, 2.0).as_ref());
        assert_eq!(gpkg_wkb(&blob), Some(&wkb[..]));
        assert_eq!(gpkg_wkb(b"XX"), None);
        assert_eq!(gpkg_wkb(&gpkg_blob(32632, &[], None)), None);
    }
}
