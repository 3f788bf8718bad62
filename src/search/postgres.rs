//! The search index in PostgreSQL (tables of migration V9, in the database of
//! `[server] apps_source`): PostgreSQL full text search over a 'simple' tsvector of the
//! normalised words (GIN index), prefix matching with `:*`; the vocabulary is a table written
//! with the entries. A rebuild is one transaction under an advisory lock, so replicas starting
//! together build once and searches read the old index until it commits.

use deadpool_postgres::Pool;

use super::sqlite::{kind_rank, parse_kind};
use super::{Entry, Part, Plan, SearchError, SearchIndex};

/// The PostgreSQL search index.
#[derive(Debug, Clone)]
pub struct PgSearchIndex {
    pool: Pool,
}

fn backend(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

/// Rows per INSERT while rebuilding.
const CHUNK: usize = 5_000;
/// Run after a rebuild: flushes the GIN pending list, drops the old rows, gathers statistics.
const TIDY: &str = "VACUUM (ANALYZE) navigli_search";
/// Key of the advisory lock that serialises rebuilds.
const BUILD_LOCK: i64 = 715_147;

/// The tsquery of a plan: `(via:*) & (manzoni | marconi)`. Terms are normalised words (letters
/// and digits only); the query is bound as a parameter.
pub(crate) fn tsquery(plan: &Plan) -> String {
    plan.terms
        .iter()
        .map(|alts| {
            let alts: Vec<String> = alts
                .iter()
                .map(|(w, prefix)| {
                    let w = super::clean_term(w);
                    if *prefix {
                        format!("{w}:*")
                    } else {
                        w
                    }
                })
                .collect();
            format!("({})", alts.join(" | "))
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

impl PgSearchIndex {
    /// A pool of two connections over `url` (none opened until first use).
    pub fn new(url: &str) -> Result<PgSearchIndex, SearchError> {
        Ok(PgSearchIndex { pool: crate::appstore::postgres::small_pool(url, "navigli-search", 120_000).map_err(backend)? })
    }
}

/// Inserts `entries` with ids from `first_id` (in chunks); returns their words (numbers left
/// out) for the vocabulary.
async fn insert_entries(
    tx: &deadpool_postgres::Transaction<'_>,
    first_id: i64,
    entries: &[Entry],
) -> Result<std::collections::BTreeSet<String>, SearchError> {
    let insert = tx
        .prepare(
            "INSERT INTO navigli_search (id, kind, layer, fid, scope, label, detail, words, lon, lat, bbox, kind_rank, doc) \
             SELECT u.*, to_tsvector('simple', u.words) FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::int[]) \
             AS u(id, kind, layer, fid, scope, label, detail, words, lon, lat, bbox, kind_rank)",
        )
        .await
        .map_err(backend)?;
    let mut vocabulary = std::collections::BTreeSet::new();
    for (n, chunk) in entries.chunks(CHUNK).enumerate() {
        let ids: Vec<i64> = (0..chunk.len()).map(|i| first_id + (n * CHUNK + i) as i64).collect();
        let kinds: Vec<&str> = chunk.iter().map(|e| e.kind.as_str()).collect();
        let layers: Vec<&str> = chunk.iter().map(|e| e.layer.as_str()).collect();
        let fids: Vec<Option<i64>> = chunk.iter().map(|e| e.fid).collect();
        let scopes: Vec<Option<&str>> = chunk.iter().map(|e| e.scope.as_deref()).collect();
        let labels: Vec<&str> = chunk.iter().map(|e| e.label.as_str()).collect();
        let details: Vec<Option<&str>> = chunk.iter().map(|e| e.detail.as_deref()).collect();
        let words: Vec<&str> = chunk.iter().map(|e| e.words.as_str()).collect();
        let lons: Vec<f64> = chunk.iter().map(|e| e.lon).collect();
        let lats: Vec<f64> = chunk.iter().map(|e| e.lat).collect();
        let boxes: Vec<Option<String>> = chunk.iter().map(|e| e.bbox.map(|b| serde_json::to_string(&b).unwrap_or_default())).collect();
        let ranks: Vec<i32> = chunk.iter().map(|e| kind_rank(e.kind) as i32).collect();
        tx.execute(&insert, &[&ids, &kinds, &layers, &fids, &scopes, &labels, &details, &words, &lons, &lats, &boxes, &ranks])
            .await
            .map_err(backend)?;
        vocabulary.extend(
            chunk
                .iter()
                .flat_map(|e| e.words.split(' '))
                .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string),
        );
    }
    Ok(vocabulary)
}

#[async_trait::async_trait]
impl SearchIndex for PgSearchIndex {
    async fn meta(&self) -> Result<Option<(String, u64)>, SearchError> {
        let c = self.pool.get().await.map_err(backend)?;
        let row = c.query_opt("SELECT fingerprint, rows FROM navigli_search_meta LIMIT 1", &[]).await.map_err(backend)?;
        Ok(row.map(|r| (r.get(0), r.get::<_, i64>(1) as u64)))
    }

    async fn replace(&self, fingerprint: &str, entries: Vec<Entry>, if_stale: bool) -> Result<(), SearchError> {
        let mut c = self.pool.get().await.map_err(backend)?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BUILD_LOCK]).await.map_err(backend)?;
        let current = tx.query_opt("SELECT fingerprint FROM navigli_search_meta LIMIT 1", &[]).await.map_err(backend)?;
        if if_stale && current.is_some_and(|r| r.get::<_, String>(0) == fingerprint) {
            return Ok(());
        }
        tx.batch_execute("DELETE FROM navigli_search; DELETE FROM navigli_search_words; DELETE FROM navigli_search_meta;")
            .await
            .map_err(backend)?;
        let vocabulary = insert_entries(&tx, 1, &entries).await?;
        let vocabulary: Vec<String> = vocabulary.into_iter().collect();
        tx.execute("INSERT INTO navigli_search_words (word) SELECT unnest($1::text[])", &[&vocabulary]).await.map_err(backend)?;
        tx.execute("INSERT INTO navigli_search_meta (fingerprint, rows) VALUES ($1, $2)", &[&fingerprint, &(entries.len() as i64)])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        // Every row was rewritten: without this the GIN index answers from its pending list and
        // the planner from no statistics until autovacuum comes by (searches ~7× slower).
        if let Err(e) = c.batch_execute(TIDY).await {
            tracing::warn!("search index built, but {TIDY} failed: {e}");
        }
        Ok(())
    }

    async fn replace_part(&self, part: &Part, entries: Vec<Entry>) -> Result<(), SearchError> {
        let mut c = self.pool.get().await.map_err(backend)?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BUILD_LOCK]).await.map_err(backend)?;
        let made_for = tx.query_opt("SELECT fingerprint FROM navigli_search_meta LIMIT 1", &[]).await.map_err(backend)?;
        if made_for.is_none_or(|r| r.get::<_, String>(0) != part.fingerprint) {
            return Ok(());
        }
        let [a, b, cx, d] = part.within.map_or([f64::MIN, f64::MIN, f64::MAX, f64::MAX], |w| [w.min_x, w.min_y, w.max_x, w.max_y]);
        tx.execute(
            "DELETE FROM navigli_search WHERE layer = $1 AND ($2::text[] IS NULL OR scope = ANY($2)) \
             AND lon BETWEEN $3 AND $5 AND lat BETWEEN $4 AND $6",
            &[&part.layer, &part.scopes, &a, &b, &cx, &d],
        )
        .await
        .map_err(backend)?;
        let last: i64 = tx.query_one("SELECT coalesce(max(id), 0) FROM navigli_search", &[]).await.map_err(backend)?.get(0);
        let vocabulary: Vec<String> = insert_entries(&tx, last + 1, &entries).await?.into_iter().collect();
        tx.execute("INSERT INTO navigli_search_words (word) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", &[&vocabulary])
            .await
            .map_err(backend)?;
        tx.execute("UPDATE navigli_search_meta SET rows = (SELECT count(*) FROM navigli_search)", &[]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn candidates(&self, plan: &Plan) -> Result<Vec<Entry>, SearchError> {
        if plan.layers.is_empty() || plan.terms.is_empty() {
            return Ok(Vec::new());
        }
        let c = self.pool.get().await.map_err(backend)?;
        let stmt = c
            .prepare_cached(
                "SELECT kind, layer, fid, scope, label, detail, words, lon, lat, bbox FROM navigli_search \
                 WHERE doc @@ to_tsquery('simple', $1) AND ($2::text IS NULL OR scope = $2) AND ($3 OR kind <> 'civico') \
                 AND layer = ANY($4) ORDER BY kind_rank, length(label), id LIMIT $5",
            )
            .await
            .map_err(backend)?;
        let rows = c.query(&stmt, &[&tsquery(plan), &plan.scope, &plan.civici, &plan.layers, &(plan.cap as i64)]).await.map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| Entry {
                kind: parse_kind(r.get(0)),
                layer: r.get(1),
                fid: r.get(2),
                scope: r.get(3),
                label: r.get(4),
                detail: r.get(5),
                words: r.get(6),
                lon: r.get(7),
                lat: r.get(8),
                bbox: r.get::<_, Option<String>>(9).and_then(|b| serde_json::from_str(&b).ok()),
            })
            .collect())
    }

    async fn vocabulary(&self) -> Result<Vec<String>, SearchError> {
        let c = self.pool.get().await.map_err(backend)?;
        let rows = c.query("SELECT word FROM navigli_search_words", &[]).await.map_err(backend)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared suite on a private schema of the test database (skipped, visibly, without one;
    /// a failure when `NAVIGLI_REQUIRE_POSTGIS` says the database must be there).
    #[tokio::test]
    async fn postgres_index_passes_the_suite() {
        let ddl = include_str!("../../migrations/V9__civici.sql");
        let Some((url, schema, admin)) = crate::migrate::test_schema("postgres_index_passes_the_suite", "search_test", ddl).await else {
            return;
        };
        super::super::tests::suite(std::sync::Arc::new(PgSearchIndex::new(&url).unwrap())).await;
        admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    }

    #[test]
    fn tsqueries_join_alternatives() {
        let plan = Plan {
            terms: vec![vec![("via".into(), true)], vec![("manzoni".into(), false), ("marconi".into(), false)]],
            ..Default::default()
        };
        assert_eq!(tsquery(&plan), "(via:*) & (manzoni | marconi)");
    }
}
