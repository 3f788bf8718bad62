//! The demo's apps: one published app per zona omogenea "capital" (taken as its most populous
//! comune in the comuni table) and one metropolitan app, each a valid document for today's
//! catalog (`navigli apps demo`, run by `make run`). Layers that a configuration lacks are left
//! out, so the demo works with trimmed configurations too.

use serde_json::{json, Value as Json};

use super::document;
use crate::appstore::{AppStore, StoreError};
use crate::auth::Caller;
use crate::catalog::{Catalog, Tenant, TenantKind};

fn has(catalog: &Catalog, tenant: &Tenant, name: &str) -> bool {
    catalog.layer(tenant, &Caller::Anonymous, name).is_some()
}

fn layers(catalog: &Catalog, tenant: &Tenant, wanted: &[(&str, &str, bool, f64)]) -> Vec<Json> {
    wanted
        .iter()
        .filter(|(n, ..)| has(catalog, tenant, n))
        .map(|(name, service, visible, opacity)| json!({ "name": name, "service": service, "visible": visible, "opacity": opacity }))
        .collect()
}

/// The demo documents: (tenant, slug, document).
pub fn documents(catalog: &Catalog) -> Vec<(&Tenant, &'static str, Json)> {
    let mut out = Vec::new();
    let tools = json!(document::DEFAULT_TOOLS);
    if let Some(metro) = catalog.tenants.iter().find(|t| t.kind == TenantKind::Metro) {
        let basemap: Vec<&str> = ["zone_omogenee"].into_iter().filter(|n| has(catalog, metro, n)).collect();
        out.push((
            metro,
            "mappa-metropolitana",
            json!({
                "version": 1,
                "title": format!("{} — mappa del territorio", metro.title),
                "description": "Comuni, zone omogenee, uso del suolo, strade principali e servizi pubblici della Città metropolitana (dati dimostrativi generati da navigli).",
                "access": "public",
                "basemap": if basemap.is_empty() { json!({ "kind": "none" }) } else { json!({ "kind": "navigli", "layers": basemap }) },
                "layers": layers(catalog, metro, &[("uso_suolo", "wms", false, 0.7), ("comuni", "wms", true, 1.0), ("strade", "mvt", true, 1.0), ("servizi_pubblici", "mvt", true, 1.0)]),
                "tools": tools,
            }),
        ));
    }
    // The most populous comune of each zona omogenea.
    let mut capitals: Vec<&Tenant> = Vec::new();
    for t in &catalog.tenants {
        let TenantKind::Comune(c) = &t.kind else { continue };
        let same = capitals.iter().position(|o| matches!(&o.kind, TenantKind::Comune(oc) if oc.zona_code == c.zona_code));
        match same {
            Some(i) if matches!(&capitals[i].kind, TenantKind::Comune(oc) if oc.population < c.population) => capitals[i] = t,
            Some(_) => {}
            None => capitals.push(t),
        }
    }
    for t in capitals {
        let TenantKind::Comune(c) = &t.kind else { continue };
        let basemap: Vec<&str> = ["comuni"].into_iter().filter(|n| has(catalog, t, n)).collect();
        out.push((
            t,
            "mappa",
            json!({
                "version": 1,
                "title": format!("{} — edifici, strade e tetti", c.name),
                "description": format!("Mappa del comune di {} (zona omogenea {}): edifici e strade del DBT, aree verdi, servizi pubblici e tetti adatti al fotovoltaico. Dati dimostrativi generati da navigli.", c.name, c.zona_name),
                "access": "public",
                "basemap": if basemap.is_empty() { json!({ "kind": "none" }) } else { json!({ "kind": "navigli", "layers": basemap }) },
                "layers": layers(catalog, t, &[
                    ("uso_suolo", "wms", false, 0.6),
                    ("aree_verdi", "wms", true, 1.0),
                    ("idrografia", "wms", true, 1.0),
                    ("strade", "mvt", true, 1.0),
                    ("edifici", "mvt", true, 1.0),
                    ("tetti_rossi", "wms", false, 0.8),
                    ("servizi_pubblici", "wfs", true, 1.0),
                ]),
                "tools": tools,
            }),
        ));
    }
    out
}

/// Saves and publishes the demo apps (a new revision where one exists already); returns
/// (tenant URL key, slug, revision) of each.
pub async fn publish(catalog: &Catalog, store: &dyn AppStore) -> Result<Vec<(String, String, u32)>, String> {
    let mut done = Vec::new();
    for (tenant, slug, doc) in documents(catalog) {
        if let Err(p) = document::validate(&doc, catalog, tenant, &Caller::Anonymous) {
            return Err(format!("demo app {}/{slug} is not valid: {:?}", tenant.url_key(), p.0));
        }
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        match store.create(&tenant.id, slug, &text, "navigli-demo").await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                store.save_draft(&tenant.id, slug, &text, None, "navigli-demo").await.map_err(|e| e.to_string())?;
            }
            Err(e) => return Err(e.to_string()),
        }
        let rev = store.publish(&tenant.id, slug, "navigli-demo").await.map_err(|e| e.to_string())?;
        done.push((tenant.url_key().to_string(), slug.to_string(), rev));
    }
    Ok(done)
}
