//! PostGIS backend (tokio-postgres through a deadpool pool). SQL comes from
//! [`crate::source::sql`] with every literal bound; statements are prepared once per
//! connection and cached. Rows are read from the server as a stream and handed on through a
//! bounded channel.
//!
//! A source may have read replicas (PostgreSQL streaming replicas): reads go to the healthy
//! ones in turn, writes, the audit trail, change notifications (`LISTEN`) and reads that must
//! see the latest commit to the primary. A replica is checked every [`REPLICA_CHECK`]: one that
//! does not answer, is not in recovery or lags more than `max_replica_lag` is taken out, and
//! comes back by itself once it answers and catches up; a read that fails to connect to a
//! replica is retried on the primary at once, so losing a replica fails no request.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::{pin_mut, StreamExt};
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::{
    reproject_wkb, AttributeType, Feature, FeatureSource, FeatureStream, ResolvedQuery, SourceError, SourceLayer, Value, STREAM_BUFFER,
};
use crate::crs::Bbox;
use crate::source::sql::{count_statement, from_clause, quote_ident, select_statement, Dialect, Param, Statement};

/// A PostGIS database reached through a connection pool, with its read replicas.
#[derive(Debug)]
pub struct PostgisSource {
    id: String,
    pool: Pool,
    url: String,
    replicas: Arc<Vec<Replica>>,
    next: std::sync::atomic::AtomicUsize,
}

/// A read replica: its pool and whether it may serve reads now.
#[derive(Debug)]
struct Replica {
    pool: Pool,
    /// Host and port, for logs (never the credentials).
    name: String,
    healthy: std::sync::atomic::AtomicBool,
}

/// How often replicas are checked.
pub const REPLICA_CHECK: Duration = Duration::from_secs(2);

/// Connection settings of a PostGIS source.
#[derive(Clone, Debug)]
pub struct PostgisOptions {
    /// `postgresql://user@host:port/db`.
    pub url: String,
    /// Most pooled connections.
    pub pool_size: usize,
    /// Server-side statement timeout.
    pub statement_timeout: Duration,
    /// How long to wait for a connection from the pool.
    pub connect_timeout: Duration,
    /// Read replicas (`postgresql://…` each).
    pub replicas: Vec<String>,
    /// A replica further behind than this serves no reads.
    pub max_replica_lag: Duration,
}

/// The host and port of a URL, for logs.
fn host_of(url: &str) -> String {
    match tokio_postgres::Config::from_str(url) {
        Ok(c) => {
            let host = c.get_hosts().first().map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            });
            format!("{}:{}", host.unwrap_or_default(), c.get_ports().first().copied().unwrap_or(5432))
        }
        Err(_) => "?".into(),
    }
}

/// A pool over `url` (`read_only`: every transaction read-only, as for reads).
fn make_pool(id: &str, url: &str, options: &PostgisOptions) -> Result<Pool, SourceError> {
    let unavailable = |message: String| SourceError::Unavailable { source_id: id.to_string(), message };
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| unavailable(format!("bad URL: {e}")))?;
    config.options(format!("-c statement_timeout={} -c default_transaction_read_only=on", options.statement_timeout.as_millis()));
    config.application_name("navigli");
    config.connect_timeout(options.connect_timeout);
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(options.pool_size.max(1))
        .wait_timeout(Some(options.connect_timeout))
        .create_timeout(Some(options.connect_timeout))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| unavailable(e.to_string()))
}

impl PostgisSource {
    /// Builds the pool (no connection is made until first use).
    pub fn new(id: &str, options: &PostgisOptions) -> Result<PostgisSource, SourceError> {
        let pool = make_pool(id, &options.url, options)?;
        let replicas = options
            .replicas
            .iter()
            .map(|url| {
                // Healthy until the first check says otherwise: a replica that is down costs
                // one fallback per read until then, never a failed request.
                Ok(Replica { pool: make_pool(id, url, options)?, name: host_of(url), healthy: std::sync::atomic::AtomicBool::new(true) })
            })
            .collect::<Result<Vec<_>, SourceError>>()?;
        let source = PostgisSource {
            id: id.to_string(),
            pool,
            url: options.url.clone(),
            replicas: Arc::new(replicas),
            next: std::sync::atomic::AtomicUsize::new(0),
        };
        if !source.replicas.is_empty() {
            tokio::spawn(check_replicas(id.to_string(), Arc::downgrade(&source.replicas), options.max_replica_lag));
        }
        Ok(source)
    }

    /// A connection to the primary (writes, the audit trail, reads that must be fresh).
    async fn client(&self) -> Result<deadpool_postgres::Object, SourceError> {
        self.pool.get().await.map_err(|e| SourceError::Unavailable { source_id: self.id.clone(), message: e.to_string() })
    }

    /// A connection for a read: a healthy replica in turn, else (or when the replica cannot be
    /// reached) the primary.
    async fn read_client(&self, fresh: bool) -> Result<(deadpool_postgres::Object, Option<usize>), SourceError> {
        use std::sync::atomic::Ordering;
        let n = self.replicas.len();
        if !fresh && n > 0 {
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            for k in 0..n {
                let i = (start + k) % n;
                let r = &self.replicas[i];
                if !r.healthy.load(Ordering::Relaxed) {
                    continue;
                }
                match r.pool.get().await {
                    Ok(c) if !c.is_closed() => return Ok((c, Some(i))),
                    Ok(_) => self.replica_lost(i, "connection closed"),
                    Err(e) => self.replica_lost(i, &e.to_string()),
                }
            }
        }
        Ok((self.client().await?, None))
    }

    fn replica_lost(&self, i: usize, why: &str) {
        let r = &self.replicas[i];
        if r.healthy.swap(false, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!("source {}: replica {} unreachable ({why}); reading from the primary", self.id, r.name);
        }
    }

    /// A read connection with `sql` prepared on it. A replica that fails here (it went away
    /// since its connection was pooled) is taken out and the read goes to the primary: nothing
    /// has been sent to the client yet, so the retry is invisible.
    async fn prepared(
        &self,
        fresh: bool,
        sql: &str,
    ) -> Result<(deadpool_postgres::Object, tokio_postgres::Statement, Option<usize>), SourceError> {
        let (client, replica) = self.read_client(fresh).await?;
        match client.prepare_cached(sql).await {
            Ok(stmt) => Ok((client, stmt, replica)),
            Err(e) => match (replica, self.pg_err(e)) {
                (Some(i), SourceError::Unavailable { message, .. }) => {
                    self.replica_lost(i, &message);
                    let client = self.client().await?;
                    let stmt = client.prepare_cached(sql).await.map_err(|e| self.pg_err(e))?;
                    Ok((client, stmt, None))
                }
                (_, other) => Err(other),
            },
        }
    }

    /// Runs a read and, when it failed for want of a replica (the replica went away after the
    /// statement was prepared but before any row), once more on the primary.
    async fn with_fallback<T, F, Fut>(&self, fresh: bool, run: F) -> Result<T, SourceError>
    where
        F: Fn(bool) -> Fut,
        Fut: std::future::Future<Output = Result<(T, Option<usize>), (SourceError, Option<usize>)>>,
    {
        match run(fresh).await {
            Ok((v, _)) => Ok(v),
            Err((SourceError::Unavailable { message, .. }, Some(i))) => {
                self.replica_lost(i, &message);
                run(true).await.map(|(v, _)| v).map_err(|(e, _)| e)
            }
            Err((e, _)) => Err(e),
        }
    }

    fn pg_err(&self, error: tokio_postgres::Error) -> SourceError {
        classify(&self.id, error)
    }

    fn dialect(layer: &SourceLayer) -> Dialect {
        Dialect::Postgres { srid: layer.crs.srid() }
    }
}

/// A parameter as tokio-postgres wants it.
fn to_sql(p: &Param) -> Box<dyn ToSql + Sync + Send> {
    match p {
        Param::Int(i) => Box::new(*i),
        Param::Float(f) => Box::new(*f),
        Param::Text(s) => Box::new(s.clone()),
        Param::Bool(b) => Box::new(*b),
        Param::Bytes(b) => Box::new(b.clone()),
        Param::IntList(v) => Box::new(v.clone()),
        Param::FloatList(v) => Box::new(v.clone()),
        Param::TextList(v) => Box::new(v.clone()),
    }
}

fn read_value(kind: AttributeType, row: &tokio_postgres::Row, i: usize) -> Result<Value, tokio_postgres::Error> {
    Ok(match kind {
        AttributeType::Int => row.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
        AttributeType::Float => row.try_get::<_, Option<f64>>(i)?.map_or(Value::Null, Value::Float),
        AttributeType::Bool => row.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, Value::Bool),
        AttributeType::Text | AttributeType::Date => row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
    })
}

impl PostgisSource {
    /// The rows of `query` read on a replica (or the primary when `fresh`), with the replica
    /// used; an error before the first row says which replica it came from.
    async fn query_on(
        &self,
        layer: Arc<SourceLayer>,
        query: ResolvedQuery,
        fresh: bool,
    ) -> Result<(FeatureStream, Option<usize>), (SourceError, Option<usize>)> {
        let statement = select_statement(&Self::dialect(&layer), &layer, &query);
        let (client, stmt, replica) = self.prepared(fresh, &statement.sql).await.map_err(|e| (e, None))?;
        let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        let source_id = self.id.clone();
        let cancel = client.cancel_token();
        tokio::spawn(async move {
            let err = |error| classify(&source_id, error);
            let rows = match client.query_raw(&stmt, params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync))).await {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(err(e))).await;
                    return;
                }
            };
            pin_mut!(rows);
            while let Some(row) = rows.next().await {
                let item = row.map_err(err).and_then(|row| {
                    let fid: i64 = row.try_get(0).map_err(err)?;
                    let wkb: Option<Vec<u8>> = row.try_get(1).map_err(err)?;
                    let wkb = match wkb {
                        Some(w) => Some(reproject_wkb(&layer.name, fid, w, query.native_crs, query.output_crs)?),
                        None => None,
                    };
                    let values = query
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(n, &attr)| read_value(layer.attributes[attr].kind, &row, n + 2).map_err(err))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Feature { id: fid, wkb, values })
                });
                let failed = item.is_err();
                if failed {
                    let _ = tx.send(item).await;
                    break;
                }
                if tx.send(item).await.is_err() {
                    // The consumer is gone: stop the server-side query too, so the pooled
                    // connection is not left draining rows nobody reads. Then read the stream
                    // to its end (the cancellation error, or the last row): the connection goes
                    // back to the pool only once its query is over, so a late cancel cannot
                    // hit the next query on it.
                    let _ = cancel.cancel_query(NoTls).await;
                    while let Some(row) = rows.next().await {
                        if row.is_err() {
                            break;
                        }
                    }
                    break;
                }
            }
        });
        super::checked_stream(rx).await.map(|s| (s, replica)).map_err(|e| (e, replica))
    }

    async fn run_count(&self, statement: Statement, fresh: bool) -> Result<u64, SourceError> {
        self.with_fallback(fresh, |fresh| {
            let statement = &statement;
            async move {
                let (client, stmt, replica) = self.prepared(fresh, &statement.sql).await.map_err(|e| (e, None))?;
                let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
                let row = client.query_one(&stmt, &refs).await.map_err(|e| (self.pg_err(e), replica))?;
                let n: i64 = row.try_get(0).map_err(|e| (self.pg_err(e), replica))?;
                Ok((n.max(0) as u64, replica))
            }
        })
        .await
    }
}

/// An open read-write transaction, as [`super::write::apply`] uses it.
struct PgTx<'a> {
    tx: &'a tokio_postgres::Transaction<'a>,
    id: &'a str,
}

impl PgTx<'_> {
    fn err(&self, error: tokio_postgres::Error) -> SourceError {
        classify_write(self.id, error)
    }
}

/// A write's error: constraint violations and values the column cannot hold are the client's
/// (`Refused`), the rest as for reads.
fn classify_write(source_id: &str, error: tokio_postgres::Error) -> SourceError {
    match error.code().map(|c| c.code().to_string()) {
        Some(code) if code.starts_with("23") || code.starts_with("22") => {
            let message = error.as_db_error().map_or_else(|| error.to_string(), |d| d.message().to_string());
            SourceError::Refused { source_id: source_id.to_string(), message }
        }
        _ => classify(source_id, error),
    }
}

#[async_trait::async_trait]
impl super::write::WriteTx for PgTx<'_> {
    async fn rows(
        &mut self,
        statement: Statement,
        layer: &SourceLayer,
        q: &ResolvedQuery,
    ) -> Result<Vec<(Feature, Option<String>)>, SourceError> {
        let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let rows = self.tx.query(&statement.sql, &refs).await.map_err(|e| self.err(e))?;
        rows.iter()
            .map(|row| {
                let fid: i64 = row.try_get(0).map_err(|e| self.err(e))?;
                let wkb: Option<Vec<u8>> = row.try_get(1).map_err(|e| self.err(e))?;
                let values = q
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(n, &attr)| read_value(layer.attributes[attr].kind, row, n + 2).map_err(|e| self.err(e)))
                    .collect::<Result<Vec<_>, _>>()?;
                let tenant: Option<String> = row.try_get(q.columns.len() + 2).map_err(|e| self.err(e))?;
                Ok((Feature { id: fid, wkb, values }, tenant))
            })
            .collect()
    }

    async fn insert(&mut self, statement: Statement) -> Result<i64, SourceError> {
        let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let row = self.tx.query_one(&statement.sql, &refs).await.map_err(|e| self.err(e))?;
        row.try_get(0).map_err(|e| self.err(e))
    }

    async fn execute(&mut self, statement: Statement) -> Result<u64, SourceError> {
        let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        self.tx.execute(&statement.sql, &refs).await.map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl FeatureSource for PostgisSource {
    async fn write(&self, batch: super::write::WriteBatch) -> Result<super::write::WriteOutcome, super::write::WriteFailure> {
        use super::write::WriteFailure;
        let whole = |e: SourceError| WriteFailure::at(0, e);
        let mut client = self.client().await.map_err(whole)?;
        let tx = client.build_transaction().read_only(false).start().await.map_err(|e| whole(self.pg_err(e)))?;
        for (_, layer) in batch.tables() {
            tx.batch_execute(&crate::source::sql::lock_statement(&layer)).await.map_err(|e| whole(self.pg_err(e)))?;
        }
        let out = {
            let mut w = PgTx { tx: &tx, id: &self.id };
            super::write::apply(&mut w, Self::dialect, &batch).await?
        };
        tx.commit().await.map_err(|e| whole(classify_write(&self.id, e)))?;
        Ok(out)
    }

    async fn audit(&self, query: super::AuditQuery) -> Result<Vec<super::AuditEntry>, SourceError> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, tenant, layer, feature_id, action, \
             old_value::text, new_value::text FROM {} WHERE ($1::text IS NULL OR layer = $1) AND ($2::int8 IS NULL OR feature_id = $2) \
             AND ($4::text IS NULL OR table_name = $4) ORDER BY id DESC LIMIT $3",
            super::write::AUDIT_TABLE
        );
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let rows = client.query(&sql, &[&query.layer, &query.feature_id, &limit, &query.table]).await.map_err(|e| self.pg_err(e))?;
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        rows.iter()
            .map(|r| {
                Ok(super::AuditEntry {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    tenant: r.try_get(3)?,
                    layer: r.try_get(4)?,
                    feature_id: r.try_get(5)?,
                    action: r.try_get(6)?,
                    old: json(r.try_get(7)?),
                    new: json(r.try_get(8)?),
                })
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|e| self.pg_err(e))
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "postgis"
    }

    fn replicas(&self) -> Vec<(String, bool)> {
        self.replicas.iter().map(|r| (r.name.clone(), r.healthy.load(std::sync::atomic::Ordering::Relaxed))).collect()
    }

    async fn ping(&self) -> Result<(), SourceError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map(|_| ()).map_err(|e| self.pg_err(e))
    }

    async fn query(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<FeatureStream, SourceError> {
        let fresh = query.fresh;
        self.with_fallback(fresh, |fresh| self.query_on(Arc::clone(&layer), query.clone(), fresh)).await
    }

    async fn count(&self, layer: Arc<SourceLayer>, query: ResolvedQuery) -> Result<u64, SourceError> {
        let fresh = query.fresh;
        self.run_count(count_statement(&Self::dialect(&layer), &layer, &query), fresh).await
    }

    async fn extent(&self, layer: Arc<SourceLayer>) -> Result<Option<Bbox>, SourceError> {
        let sql = format!(
            "SELECT ST_XMin(e)::float8, ST_YMin(e)::float8, ST_XMax(e)::float8, ST_YMax(e)::float8 FROM (SELECT ST_Extent({})::box3d AS e FROM {}) s",
            quote_ident(&layer.geometry_column),
            from_clause(&layer)
        );
        let (client, stmt, _) = self.prepared(false, &sql).await?;
        let row = client.query_one(&stmt, &[]).await.map_err(|e| self.pg_err(e))?;
        let get = |i| row.try_get::<_, Option<f64>>(i);
        Ok(match (get(0), get(1), get(2), get(3)) {
            (Ok(Some(a)), Ok(Some(b)), Ok(Some(c)), Ok(Some(d))) => Bbox::new(a, b, c, d),
            _ => None,
        })
    }

    fn watch(&self, sink: super::ChangeSink) {
        tokio::spawn(listen(self.id.clone(), self.url.clone(), sink));
    }

    async fn native_mvt(
        &self,
        layer: Arc<SourceLayer>,
        query: ResolvedQuery,
        params: &crate::source::sql::MvtParams,
    ) -> Result<Option<Vec<u8>>, SourceError> {
        let statement = crate::source::sql::mvt_statement(&Self::dialect(&layer), &layer, &query, params);
        let (client, stmt, _) = self.prepared(query.fresh, &statement.sql).await?;
        let params: Vec<Box<dyn ToSql + Sync + Send>> = statement.params.iter().map(to_sql).collect();
        let row = client
            .query_one(&stmt, &params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect::<Vec<_>>())
            .await
            .map_err(|e| self.pg_err(e))?;
        let bytes: Option<Vec<u8>> = row.try_get(0).map_err(|e| self.pg_err(e))?;
        Ok(Some(bytes.unwrap_or_default()))
    }

    async fn check_layer(&self, layer: Arc<SourceLayer>) -> Result<(), SourceError> {
        let q = ResolvedQuery::probe(&layer);
        let statement = select_statement(&Self::dialect(&layer), &layer, &q);
        let client = self.client().await?;
        client
            .prepare(&statement.sql)
            .await
            .map(|_| ())
            .map_err(|e| SourceError::Schema { layer: layer.name.clone(), message: e.to_string() })
    }
}

/// Checks every replica each [`REPLICA_CHECK`] until the source is gone: in recovery (a
/// standby), and not behind by more than `max_lag` (zero when it has replayed all it received;
/// otherwise the age of the last replayed transaction).
async fn check_replicas(id: String, replicas: std::sync::Weak<Vec<Replica>>, max_lag: Duration) {
    use std::sync::atomic::Ordering;
    const PROBE: &str = "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8 \
                         ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)::float8 END";
    loop {
        tokio::time::sleep(REPLICA_CHECK).await;
        let Some(list) = replicas.upgrade() else { break };
        for r in list.iter() {
            let verdict = match tokio::time::timeout(REPLICA_CHECK, async {
                let c = r.pool.get().await.map_err(|e| e.to_string())?;
                let row = c.query_one(PROBE, &[]).await.map_err(|e| e.to_string())?;
                Ok::<(bool, f64), String>((row.get(0), row.get(1)))
            })
            .await
            {
                Ok(Ok((true, lag))) if lag <= max_lag.as_secs_f64() => Ok(()),
                Ok(Ok((true, lag))) => Err(format!("{lag:.1} s behind")),
                Ok(Ok((false, _))) => Err("not a standby (promoted?)".to_string()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err("no answer".to_string()),
            };
            let was = r.healthy.swap(verdict.is_ok(), Ordering::Relaxed);
            match (&verdict, was) {
                (Ok(()), false) => tracing::info!("source {id}: replica {} serves reads again", r.name),
                (Err(why), true) => tracing::warn!("source {id}: replica {} taken out of reads: {why}", r.name),
                _ => {}
            }
        }
    }
}

/// A PostgreSQL error as a source error: a lost connection or a server shutting down or
/// starting up is `Unavailable` (503, retry later), anything else stays a query error.
fn classify(source_id: &str, error: tokio_postgres::Error) -> SourceError {
    use tokio_postgres::error::SqlState;
    let shut = error.code().is_some_and(|c| {
        c.code().starts_with("08") || *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CRASH_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW
    });
    let io = std::error::Error::source(&error).is_some_and(|e| e.is::<std::io::Error>());
    if shut || io || error.is_closed() {
        SourceError::Unavailable { source_id: source_id.to_string(), message: error.to_string() }
    } else if error.code() == Some(&SqlState::QUERY_CANCELED) {
        SourceError::Timeout { source_id: source_id.to_string() }
    } else {
        SourceError::Postgres { source_id: source_id.to_string(), error }
    }
}

/// The channel the change triggers of `migrations/` notify.
pub const CHANGE_CHANNEL: &str = "navigli_changes";

/// Parses a change notification: `{"table": "edifici", "schema": "public", "srid": 32632,
/// "bbox": [minx, miny, maxx, maxy] | null}`.
pub fn parse_change(source: &str, payload: &str) -> Option<super::Change> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let table = v.get("table")?.as_str()?.to_string();
    let schema = v.get("schema").and_then(|s| s.as_str()).unwrap_or("public");
    let table = if schema == "public" { table } else { format!("{schema}.{table}") };
    let bbox = match (v.get("bbox").and_then(|b| b.as_array()), v.get("srid").and_then(|s| s.as_i64())) {
        (Some(b), Some(srid)) if b.len() == 4 => {
            let n: Vec<f64> = b.iter().filter_map(|x| x.as_f64()).collect();
            (n.len() == 4).then(|| Bbox::new(n[0], n[1], n[2], n[3])).flatten().map(|b| (b, srid as i32))
        }
        _ => None,
    };
    Some(super::Change::Table { source: source.to_string(), table, bbox })
}

/// Listens for change notifications on a dedicated connection, reconnecting with a back-off;
/// after each (re)connection everything of the source is reported as suspect, since
/// notifications sent meanwhile were missed.
async fn listen(id: String, url: String, sink: super::ChangeSink) {
    let mut delay = Duration::from_millis(500);
    let mut first = true;
    // Named after the process, so an operator (or a test) can tell its listeners apart.
    let config = tokio_postgres::Config::from_str(&url).map(|mut c| {
        c.application_name(format!("navigli-listen-{}", std::process::id()));
        c
    });
    while !sink.is_closed() {
        let connected = match &config {
            Ok(c) => c.connect(NoTls).await,
            Err(_) => tokio_postgres::connect(&url, NoTls).await,
        };
        match connected {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    loop {
                        match futures_util::future::poll_fn(|cx| connection.poll_message(cx)).await {
                            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                                if tx.send(n.payload().to_string()).is_err() {
                                    break;
                                }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(_)) | None => break,
                        }
                    }
                });
                if client.batch_execute(&format!("LISTEN {CHANGE_CHANNEL}")).await.is_ok() {
                    tracing::info!("source {id}: listening for data changes");
                    delay = Duration::from_millis(500);
                    if !first {
                        let _ = sink.send(super::Change::All { source: id.clone() });
                    }
                    first = false;
                    loop {
                        // Ends as soon as nobody watches any more (a reload replaced the
                        // catalog): the connection is closed, not kept until a notification.
                        let payload = tokio::select! {
                            p = rx.recv() => match p { Some(p) => p, None => break },
                            _ = sink.closed() => {
                                driver.abort();
                                return;
                            }
                        };
                        match parse_change(&id, &payload) {
                            Some(change) => {
                                if sink.send(change).is_err() {
                                    driver.abort();
                                    return;
                                }
                            }
                            None => tracing::warn!("source {id}: unreadable change notification"),
                        }
                    }
                }
                driver.abort();
                tracing::warn!("source {id}: change listener disconnected");
            }
            Err(e) => tracing::debug!("source {id}: change listener cannot connect: {e}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
