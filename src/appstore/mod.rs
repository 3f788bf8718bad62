//! Where the web map apps of the comuni are kept: each app (tenant, slug) has one **draft**
//! (edited by the builder, any number of times) and numbered, immutable **revisions** (one per
//! publish); the app's *published* revision is one of them (the latest, or an earlier one after
//! a roll-back). Documents are stored as the JSON text the builder validated (`crate::apps`
//! checks them; the store never interprets them), so an export gives back the bytes saved.
//!
//! Two implementations behind one trait, sharing one test suite ([`tests::suite`]): SQLite
//! ([`sqlite`], a small file beside the data: the embedded default, so `make run` needs no
//! database server) and PostgreSQL ([`postgres`], tables `navigli_apps` and
//! `navigli_app_revisions` of migration V8, for production and for several replicas).

pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::sync::Arc;

/// Longest stored document, bytes (the builder refuses larger ones before they get here).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Most apps per tenant.
pub const MAX_APPS_PER_TENANT: usize = 200;

/// Most revisions kept per app (the oldest beyond it are dropped, never the published one).
pub const MAX_REVISIONS: u32 = 100;

/// A store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such app or revision.
    #[error("{0}")]
    NotFound(String),
    /// The app exists already (create), or the draft changed since the caller read it.
    #[error("{0}")]
    Conflict(String),
    /// A limit of the store (apps per tenant, document size).
    #[error("{0}")]
    Limit(String),
    /// The database failed (the message is for the log, not for callers).
    #[error("app store: {0}")]
    Backend(String),
}

/// One app as the builder lists and edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRecord {
    /// Tenant id (`cmm` or the ISTAT code).
    pub tenant: String,
    /// URL name within the tenant.
    pub slug: String,
    /// The draft document (JSON text).
    pub draft: String,
    /// Increases by one on every save of the draft (for `If-Match`).
    pub version: i64,
    /// The published revision, if any.
    pub published: Option<u32>,
    /// The latest revision number (0 when never published).
    pub latest: u32,
    /// Last change (RFC 3339, UTC).
    pub updated_at: String,
    /// Who made it.
    pub updated_by: String,
}

/// One published revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Its number, from 1.
    pub number: u32,
    /// The document (JSON text).
    pub document: String,
    /// When (RFC 3339, UTC).
    pub published_at: String,
    /// Who published it.
    pub published_by: String,
}

/// The app store: see the module documentation.
#[async_trait::async_trait]
pub trait AppStore: Send + Sync + fmt::Debug {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// The tenant's apps, by slug.
    async fn list(&self, tenant: &str) -> Result<Vec<AppRecord>, StoreError>;
    /// One app.
    async fn get(&self, tenant: &str, slug: &str) -> Result<Option<AppRecord>, StoreError>;
    /// Creates an app with its first draft (`Conflict` when the slug is taken).
    async fn create(&self, tenant: &str, slug: &str, draft: &str, actor: &str) -> Result<AppRecord, StoreError>;
    /// Replaces the draft; with `expected`, only if the draft's version is still that one.
    async fn save_draft(&self, tenant: &str, slug: &str, draft: &str, expected: Option<i64>, actor: &str) -> Result<AppRecord, StoreError>;
    /// Publishes the draft as a new revision (its number is returned) and makes it the published one.
    async fn publish(&self, tenant: &str, slug: &str, actor: &str) -> Result<u32, StoreError>;
    /// Makes an earlier revision the published one, and the draft a copy of it.
    async fn roll_back(&self, tenant: &str, slug: &str, revision: u32, actor: &str) -> Result<AppRecord, StoreError>;
    /// The app's revisions, newest first (documents included).
    async fn revisions(&self, tenant: &str, slug: &str) -> Result<Vec<Revision>, StoreError>;
    /// One revision.
    async fn revision(&self, tenant: &str, slug: &str, number: u32) -> Result<Option<Revision>, StoreError>;
    /// The published revision of an app, if it has one.
    async fn published(&self, tenant: &str, slug: &str) -> Result<Option<Revision>, StoreError>;
    /// Deletes an app and its revisions (`false` when there was none).
    async fn delete(&self, tenant: &str, slug: &str) -> Result<bool, StoreError>;
}

/// Whether `slug` is a valid app name: 1–63 of `a-z`, `0-9`, `-`, starting with a letter or digit.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
}

/// The store a configuration names: PostgreSQL when `[server] apps_source` names a PostGIS
/// source, else the SQLite file `[server] apps_db` (relative to the configuration's folder).
pub fn open(config: &crate::config::Config) -> Result<Arc<dyn AppStore>, StoreError> {
    match &config.server.apps_source {
        Some(id) => {
            let source =
                config.sources.iter().find(|s| &s.id == id).ok_or_else(|| StoreError::Backend(format!("apps_source: no source '{id}'")))?;
            if source.kind != crate::config::SourceKind::Postgis {
                return Err(StoreError::Backend(format!("apps_source: source '{id}' is not PostGIS (use --source {id}=postgresql://…)")));
            }
            let url = source.effective_url().ok_or_else(|| StoreError::Backend(format!("apps_source: source '{id}' has no url")))?;
            Ok(Arc::new(postgres::PgAppStore::new(&url)?))
        }
        None => {
            let path = config.base_dir.join(&config.server.apps_db);
            Ok(Arc::new(sqlite::SqliteAppStore::open(&path)?))
        }
    }
}

/// The current time as RFC 3339 UTC, to the second.
pub(crate) fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now()).to_string()
}

fn check_size(draft: &str) -> Result<(), StoreError> {
    if draft.len() > MAX_DOCUMENT_BYTES {
        return Err(StoreError::Limit(format!("an app document may not exceed {MAX_DOCUMENT_BYTES} bytes")));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The behaviour every store shares; each implementation runs it.
    pub async fn suite(store: &dyn AppStore) {
        let (t, other) = ("015146", "015077");
        assert!(store.list(t).await.unwrap().is_empty());
        let a = store.create(t, "mappa", r#"{"title":"uno"}"#, "op").await.unwrap();
        assert_eq!((a.version, a.published, a.latest), (1, None, 0));
        assert!(matches!(store.create(t, "mappa", "{}", "op").await, Err(StoreError::Conflict(_))));
        // Same slug in another tenant is another app.
        store.create(other, "mappa", r#"{"title":"altro"}"#, "op2").await.unwrap();
        assert!(store.published(t, "mappa").await.unwrap().is_none());

        let saved = store.save_draft(t, "mappa", r#"{"title":"due"}"#, Some(1), "op").await.unwrap();
        assert_eq!(saved.version, 2);
        assert!(matches!(store.save_draft(t, "mappa", "{}", Some(1), "op").await, Err(StoreError::Conflict(_))));
        assert!(matches!(store.save_draft(t, "nessuna", "{}", None, "op").await, Err(StoreError::NotFound(_))));

        assert_eq!(store.publish(t, "mappa", "op").await.unwrap(), 1);
        store.save_draft(t, "mappa", r#"{"title":"tre"}"#, None, "op").await.unwrap();
        // The published revision does not follow the draft.
        assert_eq!(store.published(t, "mappa").await.unwrap().unwrap().document, r#"{"title":"due"}"#);
        assert_eq!(store.publish(t, "mappa", "op").await.unwrap(), 2);
        let p = store.published(t, "mappa").await.unwrap().unwrap();
        assert_eq!((p.number, p.document.as_str(), p.published_by.as_str()), (2, r#"{"title":"tre"}"#, "op"));

        let back = store.roll_back(t, "mappa", 1, "op").await.unwrap();
        assert_eq!((back.published, back.latest, back.draft.as_str()), (Some(1), 2, r#"{"title":"due"}"#));
        assert_eq!(store.published(t, "mappa").await.unwrap().unwrap().number, 1);
        assert!(matches!(store.roll_back(t, "mappa", 9, "op").await, Err(StoreError::NotFound(_))));
        let revs = store.revisions(t, "mappa").await.unwrap();
        assert_eq!(revs.iter().map(|r| r.number).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(store.revision(t, "mappa", 2).await.unwrap().unwrap().document, r#"{"title":"tre"}"#);
        assert!(store.revision(t, "mappa", 3).await.unwrap().is_none());

        // The other tenant's app is untouched.
        assert_eq!(store.get(other, "mappa").await.unwrap().unwrap().draft, r#"{"title":"altro"}"#);
        assert_eq!(store.list(t).await.unwrap().len(), 1);

        let big = format!("\"{}\"", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(matches!(store.save_draft(t, "mappa", &big, None, "op").await, Err(StoreError::Limit(_))));

        assert!(store.delete(t, "mappa").await.unwrap());
        assert!(!store.delete(t, "mappa").await.unwrap());
        assert!(store.get(t, "mappa").await.unwrap().is_none());
        assert!(store.revisions(t, "mappa").await.unwrap().is_empty());
        assert!(store.published(t, "mappa").await.unwrap().is_none());
        assert!(matches!(store.publish(t, "mappa", "op").await, Err(StoreError::NotFound(_))));
        store.delete(other, "mappa").await.unwrap();
    }

    #[test]
    fn slugs() {
        for ok in ["a", "mappa-1", "0zona"] {
            assert!(valid_slug(ok), "{ok}");
        }
        for bad in ["", "-a", "A", "a_b", "a/b", "à", &"a".repeat(64)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
