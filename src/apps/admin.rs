//! Saving app documents: the one path every save takes (the builder's HTTP API and `navigli
//! apps import`): size cap, JSON, [`document::validate`] with every problem pointed at, then the
//! store — nothing is saved when anything is wrong.

use serde_json::Value as Json;

use super::document::{self, Msg, Problems};
use crate::appstore::{valid_slug, AppStore, StoreError, MAX_DOCUMENT_BYTES};
use crate::auth::{Caller, Grant};
use crate::catalog::{Catalog, Tenant};

/// Why a save was refused.
#[derive(Debug)]
pub enum SaveError {
    /// The document (or slug) is invalid: every problem with its JSON pointer (→ 422).
    Invalid(Problems),
    /// The store refused or failed.
    Store(StoreError),
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Invalid(p) => {
                let all: Vec<String> =
                    p.in_lang("en").iter().map(|(ptr, m)| format!("{}: {m}", if ptr.is_empty() { "/" } else { ptr })).collect();
                write!(f, "invalid app document: {}", all.join("; "))
            }
            SaveError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Parses and validates `text` for `tenant` as saved by `operator`.
pub fn check(text: &str, catalog: &Catalog, tenant: &Tenant, operator: &Caller) -> Result<Json, Problems> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Problems::one(
            "",
            Msg::new(
                format!("il documento di una mappa non può superare {MAX_DOCUMENT_BYTES} byte"),
                format!("an app document may not exceed {MAX_DOCUMENT_BYTES} bytes"),
            ),
        ));
    }
    let json: Json =
        serde_json::from_str(text).map_err(|e| Problems::one("", Msg::new(format!("non è JSON: {e}"), format!("not JSON: {e}"))))?;
    document::validate(&json, catalog, tenant, operator)?;
    Ok(json)
}

/// Saves `text` as the draft of app `slug` (creating it), and publishes it when asked; the
/// published revision's number is returned.
pub async fn save(
    catalog: &Catalog,
    store: &dyn AppStore,
    tenant: &Tenant,
    operator: &Caller,
    slug: &str,
    text: &str,
    publish: bool,
) -> Result<Option<u32>, SaveError> {
    if !valid_slug(slug) {
        return Err(SaveError::Invalid(Problems::one(
            "/slug",
            Msg::new("da 1 a 63 caratteri tra a-z, 0-9 e '-', senza '-' iniziale", "1–63 of a-z, 0-9 and '-', not starting with '-'"),
        )));
    }
    check(text, catalog, tenant, operator).map_err(SaveError::Invalid)?;
    match store.create(&tenant.id, slug, text, operator.name()).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            store.save_draft(&tenant.id, slug, text, None, operator.name()).await.map_err(SaveError::Store)?;
        }
        Err(e) => return Err(SaveError::Store(e)),
    }
    if publish {
        return store.publish(&tenant.id, slug, operator.name()).await.map(Some).map_err(SaveError::Store);
    }
    Ok(None)
}

/// The command line's operator: sees every layer of every tenant.
pub fn cli_operator(catalog: &Catalog) -> Caller {
    Caller::Authenticated {
        name: "navigli-cli".into(),
        grants: catalog.layers.iter().map(|l| Grant { layer: l.name().to_string(), tenants: vec!["*".into()], edit: false }).collect(),
        app_tenants: vec!["*".into()],
        roles: Vec::new(),
    }
}

/// `navigli apps import`: [`save`] as the command line's operator.
pub async fn import(
    catalog: &Catalog,
    store: &dyn AppStore,
    tenant: &Tenant,
    slug: &str,
    text: &str,
    publish: bool,
) -> Result<Option<u32>, String> {
    save(catalog, store, tenant, &cli_operator(catalog), slug, text, publish).await.map_err(|e| e.to_string())
}
