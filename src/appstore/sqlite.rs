//! The embedded app store: one SQLite file (WAL), one connection behind a mutex, every
//! operation on the blocking pool in one transaction. The schema is the PostgreSQL one
//! (migration V8) in SQLite's types, created when the file is opened.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use super::{check_size, now, AppRecord, AppStore, Revision, StoreError, MAX_APPS_PER_TENANT, MAX_REVISIONS};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS navigli_apps (
    tenant             TEXT NOT NULL,
    slug               TEXT NOT NULL,
    draft              TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    published_revision INTEGER,
    latest_revision    INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL,
    PRIMARY KEY (tenant, slug)
);
CREATE TABLE IF NOT EXISTS navigli_app_revisions (
    tenant       TEXT NOT NULL,
    slug         TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    document     TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (tenant, slug, revision),
    FOREIGN KEY (tenant, slug) REFERENCES navigli_apps (tenant, slug) ON DELETE CASCADE
);";

/// The SQLite app store.
#[derive(Debug, Clone)]
pub struct SqliteAppStore {
    conn: Arc<Mutex<Connection>>,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn not_found(tenant: &str, slug: &str) -> StoreError {
    StoreError::NotFound(format!("no app '{slug}' in tenant {tenant}"))
}

const RECORD: &str = "SELECT tenant, slug, draft, version, published_revision, latest_revision, updated_at, updated_by FROM navigli_apps";

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<AppRecord> {
    Ok(AppRecord {
        tenant: row.get(0)?,
        slug: row.get(1)?,
        draft: row.get(2)?,
        version: row.get(3)?,
        published: row.get(4)?,
        latest: row.get(5)?,
        updated_at: row.get(6)?,
        updated_by: row.get(7)?,
    })
}

fn revision(row: &rusqlite::Row<'_>) -> rusqlite::Result<Revision> {
    Ok(Revision { number: row.get(0)?, document: row.get(1)?, published_at: row.get(2)?, published_by: row.get(3)? })
}

fn get(conn: &Connection, tenant: &str, slug: &str) -> Result<Option<AppRecord>, StoreError> {
    conn.query_row(&format!("{RECORD} WHERE tenant = ?1 AND slug = ?2"), params![tenant, slug], record).optional().map_err(backend)
}

impl SqliteAppStore {
    /// Opens (creating it and its folder when missing) the store file at `path`.
    pub fn open(path: &Path) -> Result<SqliteAppStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        Self::with(conn)
    }

    /// A store in memory (tests, and servers made without a configured store).
    pub fn in_memory() -> SqliteAppStore {
        Self::with(Connection::open_in_memory().expect("in-memory SQLite")).expect("in-memory app store")
    }

    fn with(conn: Connection) -> Result<SqliteAppStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        // WAL where the file allows it (in memory it stays `memory`).
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(backend)?;
        conn.execute_batch("PRAGMA foreign_keys=ON;").map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteAppStore { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` in one transaction on the blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
            let out = f(&tx)?;
            tx.commit().map_err(backend)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }
}

#[async_trait::async_trait]
impl AppStore for SqliteAppStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn list(&self, tenant: &str) -> Result<Vec<AppRecord>, StoreError> {
        let tenant = tenant.to_string();
        self.run(move |tx| {
            let mut st = tx.prepare(&format!("{RECORD} WHERE tenant = ?1 ORDER BY slug")).map_err(backend)?;
            let rows = st.query_map(params![tenant], record).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn get(&self, tenant: &str, slug: &str) -> Result<Option<AppRecord>, StoreError> {
        let (tenant, slug) = (tenant.to_string(), slug.to_string());
        self.run(move |tx| get(tx, &tenant, &slug)).await
    }

    async fn create(&self, tenant: &str, slug: &str, draft: &str, actor: &str) -> Result<AppRecord, StoreError> {
        check_size(draft)?;
        let (tenant, slug, draft, actor) = (tenant.to_string(), slug.to_string(), draft.to_string(), actor.to_string());
        self.run(move |tx| {
            if get(tx, &tenant, &slug)?.is_some() {
                return Err(StoreError::Conflict(format!("an app '{slug}' exists already")));
            }
            let n: i64 =
                tx.query_row("SELECT count(*) FROM navigli_apps WHERE tenant = ?1", params![tenant], |r| r.get(0)).map_err(backend)?;
            if n as usize >= MAX_APPS_PER_TENANT {
                return Err(StoreError::Limit(format!("a tenant may have at most {MAX_APPS_PER_TENANT} apps")));
            }
            let t = now();
            tx.execute(
                "INSERT INTO navigli_apps (tenant, slug, draft, created_at, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![tenant, slug, draft, t, actor],
            )
            .map_err(backend)?;
            get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))
        })
        .await
    }

    async fn save_draft(&self, tenant: &str, slug: &str, draft: &str, expected: Option<i64>, actor: &str) -> Result<AppRecord, StoreError> {
        check_size(draft)?;
        let (tenant, slug, draft, actor) = (tenant.to_string(), slug.to_string(), draft.to_string(), actor.to_string());
        self.run(move |tx| {
            let current = get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))?;
            if expected.is_some_and(|v| v != current.version) {
                return Err(StoreError::Conflict(format!("the draft changed (version {}) since it was read", current.version)));
            }
            tx.execute(
                "UPDATE navigli_apps SET draft = ?3, version = version + 1, updated_at = ?4, updated_by = ?5 WHERE tenant = ?1 AND slug = ?2",
                params![tenant, slug, draft, now(), actor],
            )
            .map_err(backend)?;
            get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))
        })
        .await
    }

    async fn publish(&self, tenant: &str, slug: &str, actor: &str) -> Result<u32, StoreError> {
        let (tenant, slug, actor) = (tenant.to_string(), slug.to_string(), actor.to_string());
        self.run(move |tx| {
            let current = get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))?;
            let number = current.latest + 1;
            let t = now();
            tx.execute(
                "INSERT INTO navigli_app_revisions (tenant, slug, revision, document, published_at, published_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![tenant, slug, number, current.draft, t, actor],
            )
            .map_err(backend)?;
            tx.execute(
                "UPDATE navigli_apps SET published_revision = ?3, latest_revision = ?3, updated_at = ?4, updated_by = ?5 WHERE tenant = ?1 AND slug = ?2",
                params![tenant, slug, number, t, actor],
            )
            .map_err(backend)?;
            // Bounded history: the oldest revisions go, the published one (this) stays.
            tx.execute(
                "DELETE FROM navigli_app_revisions WHERE tenant = ?1 AND slug = ?2 AND revision <= ?3",
                params![tenant, slug, i64::from(number) - i64::from(MAX_REVISIONS)],
            )
            .map_err(backend)?;
            Ok(number)
        })
        .await
    }

    async fn roll_back(&self, tenant: &str, slug: &str, number: u32, actor: &str) -> Result<AppRecord, StoreError> {
        let (tenant, slug, actor) = (tenant.to_string(), slug.to_string(), actor.to_string());
        self.run(move |tx| {
            get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))?;
            let doc: Option<String> = tx
                .query_row(
                    "SELECT document FROM navigli_app_revisions WHERE tenant = ?1 AND slug = ?2 AND revision = ?3",
                    params![tenant, slug, number],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            let doc = doc.ok_or_else(|| StoreError::NotFound(format!("app '{slug}' has no revision {number}")))?;
            tx.execute(
                "UPDATE navigli_apps SET published_revision = ?3, draft = ?4, version = version + 1, updated_at = ?5, updated_by = ?6 WHERE tenant = ?1 AND slug = ?2",
                params![tenant, slug, number, doc, now(), actor],
            )
            .map_err(backend)?;
            get(tx, &tenant, &slug)?.ok_or_else(|| not_found(&tenant, &slug))
        })
        .await
    }

    async fn revisions(&self, tenant: &str, slug: &str) -> Result<Vec<Revision>, StoreError> {
        let (tenant, slug) = (tenant.to_string(), slug.to_string());
        self.run(move |tx| {
            let mut st = tx
                .prepare("SELECT revision, document, published_at, published_by FROM navigli_app_revisions WHERE tenant = ?1 AND slug = ?2 ORDER BY revision DESC")
                .map_err(backend)?;
            let rows = st.query_map(params![tenant, slug], revision).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn revision(&self, tenant: &str, slug: &str, number: u32) -> Result<Option<Revision>, StoreError> {
        let (tenant, slug) = (tenant.to_string(), slug.to_string());
        self.run(move |tx| {
            tx.query_row(
                "SELECT revision, document, published_at, published_by FROM navigli_app_revisions WHERE tenant = ?1 AND slug = ?2 AND revision = ?3",
                params![tenant, slug, number],
                revision,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn published(&self, tenant: &str, slug: &str) -> Result<Option<Revision>, StoreError> {
        let (tenant, slug) = (tenant.to_string(), slug.to_string());
        self.run(move |tx| {
            tx.query_row(
                "SELECT r.revision, r.document, r.published_at, r.published_by FROM navigli_apps a JOIN navigli_app_revisions r \
                 ON r.tenant = a.tenant AND r.slug = a.slug AND r.revision = a.published_revision WHERE a.tenant = ?1 AND a.slug = ?2",
                params![tenant, slug],
                revision,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn delete(&self, tenant: &str, slug: &str) -> Result<bool, StoreError> {
        let (tenant, slug) = (tenant.to_string(), slug.to_string());
        self.run(move |tx| {
            tx.execute("DELETE FROM navigli_apps WHERE tenant = ?1 AND slug = ?2", params![tenant, slug]).map(|n| n > 0).map_err(backend)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn sqlite_store_passes_the_suite() {
        super::super::tests::suite(&super::SqliteAppStore::in_memory()).await;
    }

    #[tokio::test]
    async fn a_file_store_keeps_apps_across_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/apps.sqlite");
        {
            let s = super::SqliteAppStore::open(&path).unwrap();
            use super::AppStore;
            s.create("cmm", "a", "{}", "op").await.unwrap();
            s.publish("cmm", "a", "op").await.unwrap();
        }
        use super::AppStore;
        let s = super::SqliteAppStore::open(&path).unwrap();
        assert_eq!(s.published("cmm", "a").await.unwrap().unwrap().number, 1);
    }
}
