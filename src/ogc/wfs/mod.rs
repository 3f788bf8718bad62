//! WFS 2.0.0, 1.1.0 and 1.0.0 (KVP GET, XML POST): GetCapabilities, DescribeFeatureType,
//! GetFeature, GetPropertyValue, stored queries, and Transaction ([`transaction`]). Each
//! operation is a thin handler: parse the KVP into typed values, ask the catalog and the
//! layer's source, hand rows to a streaming encoder.

mod capabilities;
mod get_feature;
pub mod post;
mod schema;
mod stored;
pub mod transaction;

use actix_web::HttpResponse;

use crate::catalog::{Caller, Catalog, Layer, Tenant};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;

/// Namespace prefix of navigli feature types.
pub const PREFIX: &str = "navigli";

/// A supported WFS version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WfsVersion {
    /// 2.0.0 (GML 3.2, OWS 1.1, FES 2.0).
    V2_0_0,
    /// 1.1.0 (GML 3.1.1, OWS 1.0, Filter 1.1).
    V1_1_0,
    /// 1.0.0 (GML 2.1.2, Filter 1.0; coordinates always x/y), for clients that edit through
    /// it (GDAL's and QGIS's WFS-T 1.0).
    V1_0_0,
}

impl WfsVersion {
    /// As written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            WfsVersion::V2_0_0 => "2.0.0",
            WfsVersion::V1_1_0 => "1.1.0",
            WfsVersion::V1_0_0 => "1.0.0",
        }
    }
    fn parse(s: &str) -> Option<WfsVersion> {
        match s.trim() {
            "2.0.0" | "2.0" => Some(WfsVersion::V2_0_0),
            "1.1.0" | "1.1" => Some(WfsVersion::V1_1_0),
            "1.0.0" | "1.0" => Some(WfsVersion::V1_0_0),
            _ => None,
        }
    }
    /// The name of the type-name parameter, as exception locators spell it.
    pub fn type_names_locator(self) -> &'static str {
        match self {
            WfsVersion::V2_0_0 => "typeNames",
            WfsVersion::V1_1_0 | WfsVersion::V1_0_0 => "typeName",
        }
    }
    /// The name of the page-size parameter, as exception locators spell it.
    pub fn count_locator(self) -> &'static str {
        match self {
            WfsVersion::V2_0_0 => "count",
            WfsVersion::V1_1_0 | WfsVersion::V1_0_0 => "maxFeatures",
        }
    }
    /// The exception report format of this version.
    pub fn report_format(self) -> ReportFormat {
        match self {
            WfsVersion::V2_0_0 => ReportFormat::Ows11,
            WfsVersion::V1_1_0 | WfsVersion::V1_0_0 => ReportFormat::Ows10,
        }
    }
}

/// What every WFS operation works on.
pub struct WfsContext<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The tenant of the request.
    pub tenant: &'a Tenant,
    /// Who asks.
    pub caller: &'a Caller,
    /// This service's URL, e.g. `http://host/milano/wfs`.
    pub service_url: String,
    /// Prefixes the request bound to navigli's namespace with NAMESPACES (besides `navigli`).
    pub prefixes: Vec<String>,
    /// The configuration served (its tile cache and change followers hear of edits).
    pub live: &'a crate::http::Live,
}

impl WfsContext<'_> {
    /// The layers of the tenant the caller may edit.
    pub fn editable_layers(&self) -> impl Iterator<Item = &std::sync::Arc<Layer>> + '_ {
        self.catalog.visible_layers(self.tenant, self.caller).filter(|l| crate::edit::allowed(self.caller, self.tenant, l))
    }

    /// A visible layer by type name (`navigli:edifici` or `edifici`).
    pub fn layer(&self, type_name: &str, locator: &str) -> Result<&Layer, OgcException> {
        let local = match type_name.split_once(':') {
            Some((PREFIX, local)) => local,
            Some((prefix, local)) if self.prefixes.iter().any(|p| p == prefix) => local,
            Some(_) => "",
            None => type_name,
        };
        if let Some(denial) = self.catalog.denied(self.tenant, self.caller, local) {
            return Err(OgcException::from(denial).at(locator));
        }
        self.catalog.layer(self.tenant, self.caller, local).map(|l| l.as_ref()).ok_or_else(|| {
            let shown: String = type_name.chars().take(64).collect();
            OgcException::new(ExceptionCode::InvalidParameterValue, format!("unknown feature type '{shown}'")).at(locator)
        })
    }
}

/// The version of a request: VERSION for operations, ACCEPTVERSIONS/VERSION for
/// GetCapabilities, 2.0.0 by default.
fn negotiate(kvp: &Kvp, capabilities: bool) -> Result<WfsVersion, OgcException> {
    if capabilities {
        if let Some(list) = kvp.list("acceptversions") {
            return list.iter().find_map(|v| WfsVersion::parse(v)).ok_or_else(|| {
                OgcException::new(ExceptionCode::VersionNegotiationFailed, "none of ACCEPTVERSIONS is supported (2.0.0, 1.1.0, 1.0.0)")
                    .at("acceptVersions")
            });
        }
    }
    match kvp.get("version") {
        None => Ok(WfsVersion::V2_0_0),
        Some(v) => WfsVersion::parse(v).ok_or_else(|| {
            let shown: String = v.chars().take(16).collect();
            OgcException::new(ExceptionCode::InvalidParameterValue, format!("VERSION {shown} is not supported (2.0.0, 1.1.0, 1.0.0)"))
                .at("version")
        }),
    }
}

/// The exception format for a WFS request (from its VERSION, leniently).
pub fn report_format(kvp: &Kvp) -> ReportFormat {
    match kvp.get("version").and_then(WfsVersion::parse) {
        Some(v) => v.report_format(),
        None => ReportFormat::Ows11,
    }
}

/// Prefixes bound to navigli's namespace by `NAMESPACES=xmlns(p,uri),…` (WFS 2.0) or
/// `NAMESPACE=xmlns(p=uri)` (WFS 1.1).
fn bound_prefixes(kvp: &Kvp, namespace: &str) -> Vec<String> {
    let raw = kvp.get("namespaces").or_else(|| kvp.get("namespace")).unwrap_or("");
    raw.split("xmlns(")
        .filter_map(|part| part.split(')').next())
        .filter_map(|binding| binding.split_once([',', '=']))
        .filter(|(_, uri)| uri.trim() == namespace)
        .map(|(prefix, _)| prefix.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The operations this WFS answers.
pub const OPERATIONS: &[&str] = &[
    "GetCapabilities",
    "DescribeFeatureType",
    "GetFeature",
    "GetPropertyValue",
    "ListStoredQueries",
    "DescribeStoredQueries",
    "Transaction",
];

impl<'a> WfsContext<'a> {
    /// The context of a request on `/{tenant}/{service}` (`wfs` or `ows`).
    pub fn of<P: crate::http::Protocol>(scope: &'a crate::http::Scope<P>, service: &str) -> WfsContext<'a> {
        WfsContext {
            catalog: scope.catalog(),
            tenant: scope.tenant(),
            caller: &scope.caller,
            service_url: scope.service_url(service),
            prefixes: Vec::new(),
            live: scope.state(),
        }
    }
}

/// Handles one request; `request` is its REQUEST parameter (case-insensitive).
pub async fn handle(mut ctx: WfsContext<'_>, request: &str, kvp: &Kvp) -> Result<HttpResponse, (OgcException, ReportFormat)> {
    let Some(operation) = OPERATIONS.iter().copied().find(|op| op.eq_ignore_ascii_case(request)) else {
        let shown: String = request.chars().take(64).collect();
        let e = OgcException::new(ExceptionCode::OperationNotSupported, format!("WFS has no operation '{shown}'")).at("request");
        return Err((e, report_format(kvp)));
    };
    ctx.prefixes = bound_prefixes(kvp, &ctx.catalog.server.namespace);
    let capabilities = operation == "GetCapabilities";
    let version = negotiate(kvp, capabilities).map_err(|e| (e, report_format(kvp)))?;
    let format = version.report_format();
    let result = match operation {
        "GetCapabilities" => capabilities::get_capabilities(&ctx, version, kvp),
        "DescribeFeatureType" => schema::describe_feature_type(&ctx, version, kvp),
        "GetFeature" => get_feature::get_feature(&ctx, version, kvp, None).await,
        "GetPropertyValue" if version == WfsVersion::V2_0_0 => {
            let reference = kvp.require("valuereference").map_err(|e| (e.at("valueReference"), format))?;
            get_feature::get_feature(&ctx, version, kvp, Some(reference)).await
        }
        "ListStoredQueries" => stored::list_stored_queries(&ctx),
        "DescribeStoredQueries" => stored::describe_stored_queries(&ctx, kvp),
        "Transaction" => Err(OgcException::new(ExceptionCode::OperationNotSupported, "Transaction is an XML POST request").at("request")),
        other => Err(OgcException::new(ExceptionCode::OperationNotSupported, format!("WFS {other} is not available yet")).at("request")),
    };
    result.map_err(|e| (e, format))
}

/// `GET /{tenant}/wfs/schema/{version}/{types}.xsd`: DescribeFeatureType by path.
pub fn schema_by_path(ctx: WfsContext<'_>, version: &str, types: &str) -> Result<HttpResponse, (OgcException, ReportFormat)> {
    let version = WfsVersion::parse(version).ok_or_else(|| {
        (OgcException::new(ExceptionCode::NotFound, "unknown WFS version in schema path").at("version"), ReportFormat::Ows11)
    })?;
    let types = types.strip_suffix(".xsd").unwrap_or(types);
    let kvp = Kvp::parse(&form_urlencoded::Serializer::new(String::new()).append_pair("typenames", types).finish())
        .map_err(|e| (e, version.report_format()))?;
    schema::describe_feature_type(&ctx, version, &kvp).map_err(|e| (e, version.report_format()))
}

/// The current time as ISO 8601 UTC (`2026-11-26T07:11:33Z`).
pub fn iso_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_negotiate() {
        let kvp = Kvp::parse("ACCEPTVERSIONS=3.0.0,1.1.0").unwrap();
        assert_eq!(negotiate(&kvp, true).unwrap(), WfsVersion::V1_1_0);
        let kvp = Kvp::parse("ACCEPTVERSIONS=3.0.0").unwrap();
        assert_eq!(negotiate(&kvp, true).unwrap_err().code, ExceptionCode::VersionNegotiationFailed);
        assert_eq!(negotiate(&Kvp::parse("").unwrap(), false).unwrap(), WfsVersion::V2_0_0);
        assert!(negotiate(&Kvp::parse("version=9").unwrap(), false).is_err());
    }

    #[test]
    fn namespaces_bind_other_prefixes() {
        const NAMESPACE: &str = "urn:navigli:cmm";
        let kvp = Kvp::parse(&format!("NAMESPACES=xmlns(ns1,{NAMESPACE}),xmlns(x,http://other)")).unwrap();
        assert_eq!(bound_prefixes(&kvp, NAMESPACE), vec!["ns1".to_string()]);
        let kvp = Kvp::parse(&format!("NAMESPACE=xmlns(q={NAMESPACE})")).unwrap();
        assert_eq!(bound_prefixes(&kvp, NAMESPACE), vec!["q".to_string()]);
    }

    #[test]
    fn iso_time_looks_right() {
        let t = iso_now();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
