//! PostGIS schema migrations: the versioned SQL files of `migrations/`, embedded in the binary
//! and applied with `refinery` (which records what ran in `refinery_schema_history`, so running
//! them again does nothing).

use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// A migration failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Could not connect.
    #[error("cannot connect to {url}: {error}")]
    Connect {
        /// URL without password.
        url: String,
        /// Why.
        #[source]
        error: tokio_postgres::Error,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
}

/// Removes a password from a PostgreSQL URL for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Opens a client connection (the connection task is spawned on the current runtime).
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, MigrateError> {
    let (client, connection) =
        tokio_postgres::connect(url, NoTls).await.map_err(|error| MigrateError::Connect { url: redact_url(url), error })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!("postgres connection ended: {e}");
        }
    });
    Ok(client)
}

/// Applies every pending migration; returns the versions applied now.
pub async fn run(url: &str) -> Result<Vec<String>, MigrateError> {
    let mut client = connect(url).await?;
    let report = embedded::migrations::runner().run_async(&mut client).await?;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

/// A private schema of the test database for a unit test (`NAVIGLI_TEST_DATABASE_URL`), made
/// with `ddl` (PostGIS stays reachable through `public`): the URL that works in it, and the
/// admin connection to drop it with. `None` (said on stderr) without a test database; a
/// failure when `NAVIGLI_REQUIRE_POSTGIS` says the database must be there.
#[cfg(test)]
pub(crate) async fn test_schema(test: &str, prefix: &str, ddl: &str) -> Option<(String, String, tokio_postgres::Client)> {
    let Ok(url) = std::env::var("NAVIGLI_TEST_DATABASE_URL") else {
        assert!(std::env::var("NAVIGLI_REQUIRE_POSTGIS").is_err(), "NAVIGLI_REQUIRE_POSTGIS is set but NAVIGLI_TEST_DATABASE_URL is not");
        eprintln!("SKIPPED {test}: NAVIGLI_TEST_DATABASE_URL is not set");
        return None;
    };
    let schema = format!("{prefix}_{}", std::process::id());
    let admin = connect(&url).await.expect("connect");
    ensure_postgis(&admin).await;
    admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).await.unwrap();
    admin.batch_execute(&format!("SET search_path = {schema}, public; {ddl}")).await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some((format!("{url}{sep}options=-csearch_path%3D{schema}%2Cpublic"), schema, admin))
}

/// Creates PostGIS in the test database when it is not there yet (a test may run before any
/// migration has): under an advisory lock, and a concurrent creation elsewhere is fine.
#[cfg(test)]
async fn ensure_postgis(admin: &tokio_postgres::Client) {
    let present = "SELECT 1 FROM pg_extension WHERE extname = 'postgis'";
    if !admin.query(present, &[]).await.expect("pg_extension").is_empty() {
        return;
    }
    let created = admin.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7745190); CREATE EXTENSION IF NOT EXISTS postgis; COMMIT").await;
    if let Err(e) = created {
        let _ = admin.batch_execute("ROLLBACK").await;
        assert!(!admin.query(present, &[]).await.expect("pg_extension").is_empty(), "cannot create PostGIS: {e}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact_url("postgresql://u:secret@h:5432/db"), "postgresql://u@h:5432/db");
        assert_eq!(super::redact_url("postgresql://h/db"), "postgresql://h/db");
    }
}
