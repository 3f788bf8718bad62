//! The search index in SQLite (the embedded catalog database, `[server] apps_db`): a table of
//! entries and an FTS5 index over their words, comune and kind, with prefix indexes for
//! type-ahead; the vocabulary comes from `fts5vocab`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use super::{Entry, Part, Plan, SearchError, SearchIndex};
use crate::config::SearchKind;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS navigli_search (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, layer TEXT NOT NULL, fid INTEGER, scope TEXT,
    label TEXT NOT NULL, detail TEXT, words TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
    bbox TEXT, kind_rank INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS navigli_search_fts USING fts5(
    words, scope, kind, content='navigli_search', content_rowid='id', tokenize='unicode61', prefix='1 2 3');
CREATE VIRTUAL TABLE IF NOT EXISTS navigli_search_vocab USING fts5vocab(navigli_search_fts, 'col');
CREATE TABLE IF NOT EXISTS navigli_search_meta (fingerprint TEXT NOT NULL, built_at TEXT NOT NULL, rows INTEGER NOT NULL);
";

/// The SQLite search index.
#[derive(Debug, Clone)]
pub struct SqliteSearchIndex {
    /// The database file (`None`: in memory, one connection for everything).
    path: Option<PathBuf>,
    read: Arc<Mutex<Connection>>,
}

fn backend(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

fn connect(path: &Path) -> Result<Connection, SearchError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| backend(format!("{}: {e}", dir.display())))?;
    }
    let c = Connection::open(path).map_err(backend)?;
    c.busy_timeout(std::time::Duration::from_secs(30)).map_err(backend)?;
    c.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
    c.execute_batch(SCHEMA).map_err(backend)?;
    Ok(c)
}

/// A row's kind in the order [`Plan`] candidates are returned.
pub(crate) fn kind_rank(kind: SearchKind) -> i64 {
    match kind {
        SearchKind::Comune => 0,
        SearchKind::Strada => 1,
        SearchKind::Civico => 2,
        SearchKind::Servizio => 3,
    }
}

pub(crate) fn parse_kind(s: &str) -> SearchKind {
    match s {
        "comune" => SearchKind::Comune,
        "strada" => SearchKind::Strada,
        "civico" => SearchKind::Civico,
        _ => SearchKind::Servizio,
    }
}

/// The FTS5 query of a plan. Terms are normalised words (letters and digits only), so quoting
/// them is enough; the expression is bound as a parameter anyway.
pub(crate) fn match_expression(plan: &Plan) -> String {
    let groups: Vec<String> = plan
        .terms
        .iter()
        .map(|alts| {
            let alts: Vec<String> = alts
                .iter()
                .map(|(w, prefix)| {
                    let w = super::clean_term(w);
                    if *prefix {
                        format!("\"{w}\"*")
                    } else {
                        format!("\"{w}\"")
                    }
                })
                .collect();
            format!("({})", alts.join(" OR "))
        })
        .collect();
    let mut expr = format!("words : ({})", groups.join(" AND "));
    if let Some(scope) = &plan.scope {
        let s: String = scope.chars().filter(|c| c.is_alphanumeric()).collect();
        expr.push_str(&format!(" AND scope : \"s{s}\""));
    }
    if !plan.civici {
        expr.push_str(" NOT kind : \"civico\"");
    }
    expr
}

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let bbox: Option<String> = row.get(9)?;
    Ok(Entry {
        kind: parse_kind(&row.get::<_, String>(0)?),
        layer: row.get(1)?,
        fid: row.get(2)?,
        scope: row.get(3)?,
        label: row.get(4)?,
        detail: row.get(5)?,
        words: row.get(6)?,
        lon: row.get(7)?,
        lat: row.get(8)?,
        bbox: bbox.and_then(|b| serde_json::from_str(&b).ok()),
    })
}

impl SqliteSearchIndex {
    /// The index in the database file `path` (tables created when missing).
    pub fn open(path: &Path) -> Result<SqliteSearchIndex, SearchError> {
        let read = connect(path)?;
        Ok(SqliteSearchIndex { path: Some(path.to_path_buf()), read: Arc::new(Mutex::new(read)) })
    }

    /// An index in memory (tests, in-process servers).
    pub fn in_memory() -> SqliteSearchIndex {
        let c = Connection::open_in_memory().expect("in-memory SQLite");
        c.execute_batch(SCHEMA).expect("search schema");
        SqliteSearchIndex { path: None, read: Arc::new(Mutex::new(c)) }
    }

    async fn with_read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let conn = self.read.clone();
        tokio::task::spawn_blocking(move || f(&conn.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .map_err(|e| backend(format!("search task failed: {e}")))?
    }
}

fn replace_all(c: &mut Connection, fingerprint: &str, entries: &[Entry], if_stale: bool) -> Result<(), SearchError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
    let current: Option<String> =
        tx.query_row("SELECT fingerprint FROM navigli_search_meta", [], |r| r.get(0)).optional().map_err(backend)?;
    if if_stale && current.as_deref() == Some(fingerprint) {
        return Ok(());
    }
    tx.execute_batch("DELETE FROM navigli_search; INSERT INTO navigli_search_fts(navigli_search_fts) VALUES ('delete-all'); DELETE FROM navigli_search_meta;")
        .map_err(backend)?;
    insert_rows(&tx, 1, entries)?;
    tx.execute("INSERT INTO navigli_search_fts(navigli_search_fts) VALUES ('optimize')", []).map_err(backend)?;
    tx.execute(
        "INSERT INTO navigli_search_meta (fingerprint, built_at, rows) VALUES (?1, ?2, ?3)",
        params![fingerprint, crate::appstore::now(), entries.len() as i64],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)
}

/// Inserts `entries` with ids from `first_id`, into the table and its FTS index.
fn insert_rows(tx: &rusqlite::Transaction<'_>, first_id: i64, entries: &[Entry]) -> Result<(), SearchError> {
    let mut row = tx
        .prepare("INSERT INTO navigli_search (id, kind, layer, fid, scope, label, detail, words, lon, lat, bbox, kind_rank) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
        .map_err(backend)?;
    let mut fts = tx.prepare("INSERT INTO navigli_search_fts (rowid, words, scope, kind) VALUES (?1, ?2, ?3, ?4)").map_err(backend)?;
    for (i, e) in entries.iter().enumerate() {
        let id = first_id + i as i64;
        let bbox = e.bbox.map(|b| serde_json::to_string(&b).unwrap_or_default());
        row.execute(params![
            id,
            e.kind.as_str(),
            e.layer,
            e.fid,
            e.scope,
            e.label,
            e.detail,
            e.words,
            e.lon,
            e.lat,
            bbox,
            kind_rank(e.kind)
        ])
        .map_err(backend)?;
        let scope = e.scope.as_ref().map(|s| format!("s{s}"));
        fts.execute(params![id, e.words, scope, e.kind.as_str()]).map_err(backend)?;
    }
    Ok(())
}

/// [`SearchIndex::replace_part`]: the rows of the part out (from the FTS index too, with the
/// values it was given), `entries` in after the last id, the row count kept true.
fn replace_some(c: &mut Connection, part: &Part, entries: &[Entry]) -> Result<(), SearchError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
    let made_for: Option<String> =
        tx.query_row("SELECT fingerprint FROM navigli_search_meta", [], |r| r.get(0)).optional().map_err(backend)?;
    if made_for.as_deref() != Some(part.fingerprint.as_str()) {
        return Ok(());
    }
    let [a, b, cx, d] = part.within.map_or([f64::MIN, f64::MIN, f64::MAX, f64::MAX], |w| [w.min_x, w.min_y, w.max_x, w.max_y]);
    let old: Vec<(i64, Entry)> = {
        let mut stmt = tx
            .prepare(
                "SELECT kind, layer, fid, scope, label, detail, words, lon, lat, bbox, id FROM navigli_search \
                 WHERE layer = ?1 AND lon BETWEEN ?2 AND ?4 AND lat BETWEEN ?3 AND ?5",
            )
            .map_err(backend)?;
        let rows = stmt.query_map(params![part.layer, a, b, cx, d], |r| Ok((r.get::<_, i64>(10)?, entry(r)?))).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)?.into_iter().filter(|(_, e)| part.holds(e)).collect()
    };
    {
        let mut fts = tx
            .prepare("INSERT INTO navigli_search_fts (navigli_search_fts, rowid, words, scope, kind) VALUES ('delete', ?1, ?2, ?3, ?4)")
            .map_err(backend)?;
        let mut row = tx.prepare("DELETE FROM navigli_search WHERE id = ?1").map_err(backend)?;
        for (id, e) in &old {
            fts.execute(params![id, e.words, e.scope.as_ref().map(|s| format!("s{s}")), e.kind.as_str()]).map_err(backend)?;
            row.execute(params![id]).map_err(backend)?;
        }
    }
    let next: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM navigli_search", [], |r| r.get(0)).map_err(backend)?;
    insert_rows(&tx, next, entries)?;
    tx.execute("UPDATE navigli_search_meta SET rows = (SELECT count(*) FROM navigli_search)", []).map_err(backend)?;
    tx.commit().map_err(backend)
}

#[async_trait::async_trait]
impl SearchIndex for SqliteSearchIndex {
    async fn meta(&self) -> Result<Option<(String, u64)>, SearchError> {
        self.with_read(|c| {
            c.query_row("SELECT fingerprint, rows FROM navigli_search_meta", [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn replace(&self, fingerprint: &str, entries: Vec<Entry>, if_stale: bool) -> Result<(), SearchError> {
        let fingerprint = fingerprint.to_string();
        match self.path.clone() {
            // A connection of its own, so searches go on reading the old index meanwhile.
            Some(path) => tokio::task::spawn_blocking(move || replace_all(&mut connect(&path)?, &fingerprint, &entries, if_stale))
                .await
                .map_err(|e| backend(format!("search task failed: {e}")))?,
            None => {
                let conn = self.read.clone();
                tokio::task::spawn_blocking(move || {
                    replace_all(&mut conn.lock().unwrap_or_else(|e| e.into_inner()), &fingerprint, &entries, if_stale)
                })
                .await
                .map_err(|e| backend(format!("search task failed: {e}")))?
            }
        }
    }

    async fn replace_part(&self, part: &Part, entries: Vec<Entry>) -> Result<(), SearchError> {
        let part = part.clone();
        match self.path.clone() {
            Some(path) => tokio::task::spawn_blocking(move || replace_some(&mut connect(&path)?, &part, &entries))
                .await
                .map_err(|e| backend(format!("search task failed: {e}")))?,
            None => {
                let conn = self.read.clone();
                tokio::task::spawn_blocking(move || replace_some(&mut conn.lock().unwrap_or_else(|e| e.into_inner()), &part, &entries))
                    .await
                    .map_err(|e| backend(format!("search task failed: {e}")))?
            }
        }
    }

    async fn candidates(&self, plan: &Plan) -> Result<Vec<Entry>, SearchError> {
        let expr = match_expression(plan);
        let layers = plan.layers.clone();
        let cap = plan.cap as i64;
        self.with_read(move |c| {
            if layers.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = (0..layers.len()).map(|i| format!("?{}", i + 3)).collect();
            let sql = format!(
                "SELECT s.kind, s.layer, s.fid, s.scope, s.label, s.detail, s.words, s.lon, s.lat, s.bbox \
                 FROM navigli_search_fts f JOIN navigli_search s ON s.id = f.rowid \
                 WHERE navigli_search_fts MATCH ?1 AND s.layer IN ({}) \
                 ORDER BY s.kind_rank, length(s.label), s.id LIMIT ?2",
                marks.join(", ")
            );
            let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&expr, &cap];
            values.extend(layers.iter().map(|l| l as &dyn rusqlite::ToSql));
            let rows = stmt.query_map(values.as_slice(), entry).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn vocabulary(&self) -> Result<Vec<String>, SearchError> {
        self.with_read(|c| {
            let mut stmt = c.prepare("SELECT term FROM navigli_search_vocab WHERE col = 'words'").map_err(backend)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
            let words: Result<Vec<String>, _> = rows.collect();
            Ok(words.map_err(backend)?.into_iter().filter(|w| !w.chars().all(|c| c.is_ascii_digit())).collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_expressions_quote_every_term() {
        let plan = Plan {
            terms: vec![vec![("via".into(), true)], vec![("manzoni".into(), false), ("marconi".into(), false)]],
            scope: Some("015146".into()),
            layers: vec!["civici".into()],
            civici: false,
            cap: 10,
        };
        assert_eq!(
            match_expression(&plan),
            "words : ((\"via\"*) AND (\"manzoni\" OR \"marconi\")) AND scope : \"s015146\" NOT kind : \"civico\""
        );
    }
}
