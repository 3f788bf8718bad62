//! The protocols, one module each with the same shape — `routes` to mount, thin handlers on
//! [`crate::http::Scope`], the protocol's operations and its exception flavour: [`ows`] (the
//! WMS/WFS endpoints) over [`wms`] and [`wfs`], [`tiles`] (vector tiles) and [`api`] (OGC API). What they share
//! below them (KVP, the exception model, the error renderer) is in [`crate::http`]; here, the
//! `updateSequence` rule of capabilities.

pub mod api;
pub mod csw;
pub mod ows;
pub mod records;
pub mod tiles;
pub mod wfs;
pub mod wms;

/// Mounts every OGC protocol's routes.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    ows::routes(cfg);
    csw::routes(cfg);
    records::routes(cfg);
    tiles::routes(cfg);
    api::routes(cfg);
}

/// How a GetCapabilities request's `UPDATESEQUENCE` compares with the server's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateSequence {
    /// Absent, or older than the server's: answer the whole document.
    Stale,
    /// Equal to the server's: the client's copy is current.
    Current,
}

/// Compares `UPDATESEQUENCE` with the server's `current` value (WMS 1.3.0 table 3, OWS Common
/// 1.1 table 6): numerically when it is an integer, else as text (the server judges the
/// order). A value higher than the server's is an `InvalidUpdateSequence`.
pub fn update_sequence(kvp: &crate::http::kvp::Kvp, current: u64) -> Result<UpdateSequence, crate::http::exception::OgcException> {
    let Some(asked) = kvp.get("updatesequence").map(str::trim) else { return Ok(UpdateSequence::Stale) };
    let ordering = match asked.parse::<u64>() {
        Ok(n) => n.cmp(&current),
        Err(_) => asked.cmp(current.to_string().as_str()),
    };
    match ordering {
        std::cmp::Ordering::Less => Ok(UpdateSequence::Stale),
        std::cmp::Ordering::Equal => Ok(UpdateSequence::Current),
        std::cmp::Ordering::Greater => Err(crate::http::exception::OgcException::new(
            crate::http::exception::ExceptionCode::InvalidUpdateSequence,
            format!("UPDATESEQUENCE is higher than the server's ({current})"),
        )
        .at("updateSequence")),
    }
}

pub use crate::encode::xml_escape;

/// The abstract of a tenant's `service` (WMS, WFS) capabilities: whose services they are.
pub fn service_abstract(service: &str, catalog: &crate::catalog::Catalog, tenant: &crate::catalog::Tenant) -> String {
    match &tenant.kind {
        crate::catalog::TenantKind::Metro => format!("Servizi {service} navigli di {}.", catalog.organisation),
        crate::catalog::TenantKind::Comune(c) if c.zona_name.is_empty() => {
            format!("Servizi {service} navigli per il comune di {} ({}), {}.", c.name, c.istat_code, catalog.organisation)
        }
        crate::catalog::TenantKind::Comune(c) => format!(
            "Servizi {service} navigli per il comune di {} ({}), zona omogenea {}, {}.",
            c.name, c.istat_code, c.zona_name, catalog.organisation
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn update_sequences_compare_as_numbers_else_as_text() {
        let at = |q: &str| super::update_sequence(&crate::http::kvp::Kvp::parse(q).unwrap(), 1_700_000_000);
        assert_eq!(at(""), Ok(super::UpdateSequence::Stale));
        assert_eq!(at("UPDATESEQUENCE=0"), Ok(super::UpdateSequence::Stale));
        assert_eq!(at("updateSequence=1699999999"), Ok(super::UpdateSequence::Stale));
        assert_eq!(at("UPDATESEQUENCE=1700000000"), Ok(super::UpdateSequence::Current));
        let higher = at("UPDATESEQUENCE=1700000001").unwrap_err();
        assert_eq!(higher.code, crate::http::exception::ExceptionCode::InvalidUpdateSequence);
        assert_eq!(higher.locator.as_deref(), Some("updateSequence"));
        assert!(at("UPDATESEQUENCE=zzz").is_err());
        assert_eq!(at("UPDATESEQUENCE=1-old"), Ok(super::UpdateSequence::Stale));
    }
}
