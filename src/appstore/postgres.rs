//! The PostgreSQL app store (tables of migration V8, `navigli migrate`): a small pool of its
//! own, each operation one transaction; a publish locks the app's row (`FOR UPDATE`) so two
//! operators publishing at once get consecutive revision numbers.

use std::str::FromStr;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{check_size, AppRecord, AppStore, Revision, StoreError, MAX_APPS_PER_TENANT, MAX_REVISIONS};

/// The PostgreSQL app store.
#[derive(Debug, Clone)]
pub struct PgAppStore {
    pool: Pool,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn not_found(tenant: &str, slug: &str) -> StoreError {
    StoreError::NotFound(format!("no app '{slug}' in tenant {tenant}"))
}

const TIME: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS"Z"'"#;

fn record_sql(lock: bool) -> String {
    format!(
        "SELECT tenant, slug, draft, version, published_revision, latest_revision, to_char(updated_at AT TIME ZONE 'UTC', {TIME}), updated_by \
         FROM navigli_apps WHERE tenant = $1 AND slug = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    )
}

fn record(row: &tokio_postgres::Row) -> AppRecord {
    AppRecord {
        tenant: row.get(0),
        slug: row.get(1),
        draft: row.get(2),
        version: row.get(3),
        published: row.get::<_, Option<i32>>(4).map(|n| n as u32),
        latest: row.get::<_, i32>(5) as u32,
        updated_at: row.get(6),
        updated_by: row.get(7),
    }
}

fn revision_sql(filter: &str) -> String {
    format!(
        "SELECT revision, document, to_char(published_at AT TIME ZONE 'UTC', {TIME}), published_by FROM navigli_app_revisions \
         WHERE tenant = $1 AND slug = $2 {filter}"
    )
}

fn revision(row: &tokio_postgres::Row) -> Revision {
    Revision { number: row.get::<_, i32>(0) as u32, document: row.get(1), published_at: row.get(2), published_by: row.get(3) }
}

async fn get(c: &impl GenericClient, tenant: &str, slug: &str, lock: bool) -> Result<Option<AppRecord>, StoreError> {
    Ok(c.query_opt(&record_sql(lock), &[&tenant, &slug]).await.map_err(backend)?.as_ref().map(record))
}

/// A pool of two connections over `url` for the catalog database's own tables (apps, search
/// index): none opened until first use, 5 s to connect or wait, `statement_timeout_ms` per
/// statement, options the URL gave (e.g. a search_path) kept.
pub fn small_pool(url: &str, application: &str, statement_timeout_ms: u64) -> Result<Pool, String> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| format!("bad URL: {e}"))?;
    config.application_name(application);
    config.connect_timeout(std::time::Duration::from_secs(5));
    let given = config.get_options().map(|o| format!("{o} ")).unwrap_or_default();
    config.options(format!("{given}-c statement_timeout={statement_timeout_ms}"));
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(2)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| e.to_string())
}

impl PgAppStore {
    /// A pool over `url` (no connection until first use).
    pub fn new(url: &str) -> Result<PgAppStore, StoreError> {
        Ok(PgAppStore { pool: small_pool(url, "navigli-apps", 10_000).map_err(backend)? })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(backend)
    }
}

#[async_trait::async_trait]
impl AppStore for PgAppStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn list(&self, tenant: &str) -> Result<Vec<AppRecord>, StoreError> {
        let c = self.client().await?;
        let sql = record_sql(false).replace(" AND slug = $2", "") + " ORDER BY slug";
        Ok(c.query(&sql, &[&tenant]).await.map_err(backend)?.iter().map(record).collect())
    }

    async fn get(&self, tenant: &str, slug: &str) -> Result<Option<AppRecord>, StoreError> {
        let c = self.client().await?;
        get(&c, tenant, slug, false).await
    }

    async fn create(&self, tenant: &str, slug: &str, draft: &str, actor: &str) -> Result<AppRecord, StoreError> {
        check_size(draft)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // One creator at a time per store: the count limit holds under concurrency.
        tx.execute("LOCK TABLE navigli_apps IN SHARE ROW EXCLUSIVE MODE", &[]).await.map_err(backend)?;
        if get(&tx, tenant, slug, false).await?.is_some() {
            return Err(StoreError::Conflict(format!("an app '{slug}' exists already")));
        }
        let n: i64 = tx.query_one("SELECT count(*) FROM navigli_apps WHERE tenant = $1", &[&tenant]).await.map_err(backend)?.get(0);
        if n as usize >= MAX_APPS_PER_TENANT {
            return Err(StoreError::Limit(format!("a tenant may have at most {MAX_APPS_PER_TENANT} apps")));
        }
        tx.execute("INSERT INTO navigli_apps (tenant, slug, draft, updated_by) VALUES ($1, $2, $3, $4)", &[&tenant, &slug, &draft, &actor])
            .await
            .map_err(backend)?;
        let out = get(&tx, tenant, slug, false).await?.ok_or_else(|| not_found(tenant, slug))?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn save_draft(&self, tenant: &str, slug: &str, draft: &str, expected: Option<i64>, actor: &str) -> Result<AppRecord, StoreError> {
        check_size(draft)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let current = get(&tx, tenant, slug, true).await?.ok_or_else(|| not_found(tenant, slug))?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(StoreError::Conflict(format!("the draft changed (version {}) since it was read", current.version)));
        }
        tx.execute(
            "UPDATE navigli_apps SET draft = $3, version = version + 1, updated_at = now(), updated_by = $4 WHERE tenant = $1 AND slug = $2",
            &[&tenant, &slug, &draft, &actor],
        )
        .await
        .map_err(backend)?;
        let out = get(&tx, tenant, slug, false).await?.ok_or_else(|| not_found(tenant, slug))?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn publish(&self, tenant: &str, slug: &str, actor: &str) -> Result<u32, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let current = get(&tx, tenant, slug, true).await?.ok_or_else(|| not_found(tenant, slug))?;
        let number = current.latest as i32 + 1;
        tx.execute(
            "INSERT INTO navigli_app_revisions (tenant, slug, revision, document, published_by) VALUES ($1, $2, $3, $4, $5)",
            &[&tenant, &slug, &number, &current.draft, &actor],
        )
        .await
        .map_err(backend)?;
        tx.execute(
            "UPDATE navigli_apps SET published_revision = $3, latest_revision = $3, updated_at = now(), updated_by = $4 WHERE tenant = $1 AND slug = $2",
            &[&tenant, &slug, &number, &actor],
        )
        .await
        .map_err(backend)?;
        let oldest = number - MAX_REVISIONS as i32;
        tx.execute("DELETE FROM navigli_app_revisions WHERE tenant = $1 AND slug = $2 AND revision <= $3", &[&tenant, &slug, &oldest])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(number as u32)
    }

    async fn roll_back(&self, tenant: &str, slug: &str, number: u32, actor: &str) -> Result<AppRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        get(&tx, tenant, slug, true).await?.ok_or_else(|| not_found(tenant, slug))?;
        let n = i32::try_from(number).unwrap_or(i32::MAX);
        let row = tx.query_opt(&revision_sql("AND revision = $3"), &[&tenant, &slug, &n]).await.map_err(backend)?;
        let doc =
            row.as_ref().map(revision).ok_or_else(|| StoreError::NotFound(format!("app '{slug}' has no revision {number}")))?.document;
        tx.execute(
            "UPDATE navigli_apps SET published_revision = $3, draft = $4, version = version + 1, updated_at = now(), updated_by = $5 \
             WHERE tenant = $1 AND slug = $2",
            &[&tenant, &slug, &n, &doc, &actor],
        )
        .await
        .map_err(backend)?;
        let out = get(&tx, tenant, slug, false).await?.ok_or_else(|| not_found(tenant, slug))?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn revisions(&self, tenant: &str, slug: &str) -> Result<Vec<Revision>, StoreError> {
        let c = self.client().await?;
        Ok(c.query(&revision_sql("ORDER BY revision DESC"), &[&tenant, &slug]).await.map_err(backend)?.iter().map(revision).collect())
    }

    async fn revision(&self, tenant: &str, slug: &str, number: u32) -> Result<Option<Revision>, StoreError> {
        let c = self.client().await?;
        let n = i32::try_from(number).unwrap_or(i32::MAX);
        Ok(c.query_opt(&revision_sql("AND revision = $3"), &[&tenant, &slug, &n]).await.map_err(backend)?.as_ref().map(revision))
    }

    async fn published(&self, tenant: &str, slug: &str) -> Result<Option<Revision>, StoreError> {
        let c = self.client().await?;
        let filter = "AND revision = (SELECT published_revision FROM navigli_apps WHERE tenant = $1 AND slug = $2)";
        Ok(c.query_opt(&revision_sql(filter), &[&tenant, &slug]).await.map_err(backend)?.as_ref().map(revision))
    }

    async fn delete(&self, tenant: &str, slug: &str) -> Result<bool, StoreError> {
        let c = self.client().await?;
        Ok(c.execute("DELETE FROM navigli_apps WHERE tenant = $1 AND slug = $2", &[&tenant, &slug]).await.map_err(backend)? > 0)
    }
}

#[cfg(test)]
mod tests {
    /// The shared suite on a private schema of the test database (skipped, visibly, without one;
    /// a failure when `NAVIGLI_REQUIRE_POSTGIS` says the database must be there).
    #[tokio::test]
    async fn postgres_store_passes_the_suite() {
        let ddl = include_str!("../../migrations/V8__apps.sql");
        let Some((url, schema, admin)) = crate::migrate::test_schema("postgres_store_passes_the_suite", "apps_test", ddl).await else {
            return;
        };
        super::super::tests::suite(&super::PgAppStore::new(&url).unwrap()).await;
        admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    }
}
