//! WFS-T: the `Transaction` XML POST request of WFS 2.0.0, 1.1.0 and 1.0.0 — `Insert`,
//! `Update`, `Delete` and (2.0) `Replace`, on the layers the caller may edit
//! ([`crate::edit`]), applied in one database transaction: one failing action rolls the whole
//! request back, and its exception names the action (its `handle`, else `Insert[2]`…).
//!
//! Features come as GML (3.2, 3.1.1 or 2: the geometry reader of the filters), properties as
//! text checked against the layer's types. Axis order follows the `srsName` spelling as in
//! filters, except in 1.0.0 documents, which predate axis order: there coordinates are always
//! x/y, whatever the spelling (QGIS writes a URN with x/y coordinates there).
//!
//! Locking (`LockFeature`, `lockId`) is not offered, and capabilities say so.

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;
use std::sync::Arc;

use actix_web::HttpResponse;

use super::{WfsContext, PREFIX};
use crate::catalog::Layer;
use crate::crs::Crs;
use crate::edit::{Incoming, Session, Typing, MAX_ACTIONS};
use crate::filter::fes::{parse_filter_element, parse_geometry_element, FesContext, FesError, FesVersion};
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::model::Value;
use crate::ogc::xml_escape as esc;
use crate::source::write::{ChangeKind, WriteAction};
use crate::xml::Element;

/// The version of a Transaction document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V2,
    V11,
    V10,
}

impl Version {
    fn of(root: &Element) -> Result<Version, OgcException> {
        match root.attr("version").map(str::trim) {
            Some("2.0.0" | "2.0.2" | "2.0") => Ok(Version::V2),
            Some("1.1.0" | "1.1") => Ok(Version::V11),
            Some("1.0.0" | "1.0") => Ok(Version::V10),
            Some(other) => {
                let shown: String = other.chars().take(16).collect();
                Err(OgcException::new(
                    ExceptionCode::InvalidParameterValue,
                    format!("Transaction version {shown} is not supported (2.0.0, 1.1.0, 1.0.0)"),
                )
                .at("version"))
            }
            None if root.ns.as_deref() == Some("http://www.opengis.net/wfs/2.0") => Ok(Version::V2),
            None => Ok(Version::V11),
        }
    }

    fn report(self) -> ReportFormat {
        match self {
            Version::V2 => ReportFormat::Ows11,
            Version::V11 | Version::V10 => ReportFormat::Ows10,
        }
    }

    fn fes(self) -> FesVersion {
        match self {
            Version::V2 => FesVersion::V2_0,
            Version::V11 | Version::V10 => FesVersion::V1_1,
        }
    }
}

const GML_NAMESPACES: &[&str] = &["http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2"];

fn parsing(text: impl Into<String>, locator: &str) -> OgcException {
    OgcException::new(ExceptionCode::OperationParsingFailed, text).with_status(400).at(locator)
}

fn fes_error(e: FesError, locator: &str) -> OgcException {
    match e {
        FesError::Unsupported(m) => OgcException::new(ExceptionCode::OperationProcessingFailed, m).with_status(400).at(locator),
        other => OgcException::new(ExceptionCode::InvalidParameterValue, other.to_string()).at(locator),
    }
}

/// The prefixes a document binds to navigli's namespace (the XML reader resolves element names
/// but type names in attributes are QNames: `typeName="ns1:edifici"`).
fn bound_prefixes(body: &str, namespace: &str) -> Vec<String> {
    let mut out = vec![PREFIX.to_string()];
    let mut rest = body;
    while let Some(i) = rest.find("xmlns:") {
        rest = &rest[i + 6..];
        let Some(eq) = rest.find('=') else { break };
        let prefix = rest[..eq].trim();
        let value = rest[eq + 1..].trim_start();
        let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let value = &value[1..];
        if let Some(end) = value.find(quote) {
            if &value[..end] == namespace && !out.iter().any(|p| p == prefix) {
                out.push(prefix.to_string());
            }
        }
    }
    out
}

/// One action's result to report.
struct Reported {
    handle: Option<String>,
    kind: &'static str,
    type_name: String,
}

/// `Transaction` (XML POST; `body` is the document `root` was read from).
pub async fn transaction(ctx: &WfsContext<'_>, root: &Element, body: &str) -> Result<HttpResponse, (OgcException, ReportFormat)> {
    let version = Version::of(root).map_err(|e| (e, ReportFormat::Ows11))?;
    let report = version.report();
    run(ctx, root, body, version).await.map_err(|e| (e, report))
}

async fn run(ctx: &WfsContext<'_>, root: &Element, body: &str, version: Version) -> Result<HttpResponse, OgcException> {
    if root.attr("lockId").is_some() || root.child("LockId").is_some() {
        return Err(OgcException::new(ExceptionCode::OptionNotSupported, "locking is not offered by this server (no LockFeature)")
            .with_status(400)
            .at("lockId"));
    }
    let actions_given = root.children.iter().filter(|c| c.local != "LockId").count();
    if actions_given > MAX_ACTIONS {
        return Err(OgcException::new(
            ExceptionCode::OperationProcessingFailed,
            format!("at most {MAX_ACTIONS} actions in one Transaction"),
        )
        .with_status(413)
        .at("Transaction"));
    }
    let mut ctx_prefixes = ctx.prefixes.clone();
    ctx_prefixes.extend(bound_prefixes(body, &ctx.catalog.server.namespace));
    let reader = Reader { ctx, prefixes: ctx_prefixes, version };
    let session = Session::new(ctx.live, ctx.tenant, ctx.caller);
    let mut actions: Vec<(Arc<Layer>, WriteAction)> = Vec::new();
    let mut reported: Vec<Reported> = Vec::new();
    let mut locators: Vec<String> = Vec::new();
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for el in &root.children {
        let nth = seen.entry(el.local.as_str()).and_modify(|n| *n += 1).or_insert(1);
        let locator = el.attr("handle").map(str::to_string).unwrap_or_else(|| format!("{}[{nth}]", el.local));
        let handle = el.attr("handle").map(str::to_string);
        match el.local.as_str() {
            "Insert" => {
                let srs = reader.srs(el, &locator)?;
                if el.children.is_empty() {
                    return Err(parsing("Insert holds no feature", &locator));
                }
                for f in &el.children {
                    let layer = reader.layer_of_element(f, &locator)?;
                    let editor = session.editor(Arc::clone(&layer)).map_err(|e| e.at(&locator))?;
                    let incoming = reader.feature(f, &layer, srs, &locator)?;
                    let row = editor.row(&incoming, true, Typing::Text, &locator)?;
                    reported.push(Reported { handle: handle.clone(), kind: "insert", type_name: layer.name().to_string() });
                    actions.push((layer, WriteAction::Insert(row)));
                    locators.push(locator.clone());
                }
            }
            "Update" => {
                let layer = reader.layer_of_attr(el, &locator)?;
                let editor = session.editor(Arc::clone(&layer)).map_err(|e| e.at(&locator))?;
                let srs = reader.srs(el, &locator)?;
                let incoming = reader.properties(el, &layer, srs, &locator)?;
                let row = editor.row(&incoming, false, Typing::Text, &locator)?;
                let filter = reader.filter(el, &layer, &locator)?;
                let target = editor.selection(filter, None, None, &locator)?;
                actions.push((layer, WriteAction::Change { kind: ChangeKind::Update, target, row }));
                reported.push(Reported { handle, kind: "update", type_name: String::new() });
                locators.push(locator);
            }
            "Replace" if version == Version::V2 => {
                let srs = reader.srs(el, &locator)?;
                let Some(f) = el.children.iter().find(|c| c.local != "Filter") else {
                    return Err(parsing("Replace holds no feature", &locator));
                };
                let layer = reader.layer_of_element(f, &locator)?;
                let editor = session.editor(Arc::clone(&layer)).map_err(|e| e.at(&locator))?;
                let incoming = reader.feature(f, &layer, srs, &locator)?;
                let row = editor.row(&incoming, true, Typing::Text, &locator)?;
                let filter = reader.filter(el, &layer, &locator)?.ok_or_else(|| parsing("Replace needs a Filter", &locator))?;
                let target = editor.selection(Some(filter), None, None, &locator)?;
                actions.push((layer, WriteAction::Change { kind: ChangeKind::Replace, target, row }));
                reported.push(Reported { handle, kind: "replace", type_name: String::new() });
                locators.push(locator);
            }
            "Delete" => {
                let layer = reader.layer_of_attr(el, &locator)?;
                let editor = session.editor(Arc::clone(&layer)).map_err(|e| e.at(&locator))?;
                let filter = reader.filter(el, &layer, &locator)?.ok_or_else(|| parsing("Delete needs a Filter", &locator))?;
                let target = editor.selection(Some(filter), None, None, &locator)?;
                actions.push((layer, WriteAction::Delete { target }));
                reported.push(Reported { handle, kind: "delete", type_name: String::new() });
                locators.push(locator);
            }
            "Native" if el.attr("safeToIgnore").is_some_and(|v| v.trim() == "true") => {}
            "Native" => return Err(OgcException::new(ExceptionCode::OperationNotSupported, "Native actions are not supported").at(locator)),
            "LockId" => {}
            other => {
                let shown: String = other.chars().take(40).collect();
                return Err(parsing(format!("unknown Transaction action {shown}"), &locator));
            }
        }
    }
    let outcome = session.commit(actions).await.map_err(|(n, e)| {
        let locator = locators.get(n).cloned().unwrap_or_else(|| "Transaction".into());
        let code = if e.http_status() >= 500 { e.code } else { ExceptionCode::OperationProcessingFailed };
        OgcException { code, locator: Some(locator), ..e }
    })?;
    let body = response(version, &reported, &outcome);
    Ok(HttpResponse::Ok().content_type("application/xml").insert_header(("Cache-Control", "no-store")).body(body))
}

/// Reads the parts of a document.
struct Reader<'c, 'a> {
    ctx: &'c WfsContext<'a>,
    prefixes: Vec<String>,
    version: Version,
}

impl Reader<'_, '_> {
    fn fes<'l>(&self, layer: &'l Layer, crs: Crs) -> FesContext<'l> {
        FesContext {
            version: self.version.fes(),
            type_name: layer.name(),
            default_crs: crs,
            geometry: Some(&layer.config.geometry_column),
            xy_order: self.version == Version::V10,
        }
    }

    /// The layer of a type name attribute (`typeName`, `typeNames`).
    fn layer_of_attr(&self, el: &Element, locator: &str) -> Result<Arc<Layer>, OgcException> {
        let name = el
            .attr("typeName")
            .or_else(|| el.attr("typeNames"))
            .ok_or_else(|| parsing(format!("{} needs a typeName", el.local), locator))?;
        self.layer(name.trim(), locator)
    }

    /// The layer a feature element is of.
    fn layer_of_element(&self, f: &Element, locator: &str) -> Result<Arc<Layer>, OgcException> {
        if f.ns.as_deref().is_some_and(|ns| ns != self.ctx.catalog.server.namespace) {
            let shown: String = f.local.chars().take(64).collect();
            return Err(OgcException::new(ExceptionCode::InvalidParameterValue, format!("{shown} is not a feature type of this service"))
                .at(locator));
        }
        self.layer(&f.local, locator)
    }

    fn layer(&self, type_name: &str, locator: &str) -> Result<Arc<Layer>, OgcException> {
        let local = match type_name.split_once(':') {
            Some((p, l)) if self.prefixes.iter().any(|x| x == p) => l,
            Some(_) => "",
            None => type_name,
        };
        let found = self.ctx.layer(if local.is_empty() { type_name } else { local }, locator)?;
        self.ctx
            .catalog
            .layer(self.ctx.tenant, self.ctx.caller, found.name())
            .cloned()
            .ok_or_else(|| parsing("unknown feature type", locator))
    }

    /// The `srsName` of an action (the default CRS of its geometries, read with that spelling's
    /// axis order), else the layer's own.
    fn srs<'e>(&self, el: &'e Element, locator: &str) -> Result<Option<&'e str>, OgcException> {
        match el.attr("srsName") {
            Some(s) if Crs::parse(s).is_none() => {
                let shown: String = s.chars().take(80).collect();
                Err(OgcException::new(ExceptionCode::InvalidParameterValue, format!("unknown srsName {shown}")).at(locator))
            }
            other => Ok(other),
        }
    }

    /// A feature element's properties and geometry.
    fn feature(&self, f: &Element, layer: &Layer, srs: Option<&str>, locator: &str) -> Result<Incoming, OgcException> {
        let mut incoming = Incoming::default();
        for p in &f.children {
            if p.ns.as_deref().is_some_and(|ns| GML_NAMESPACES.contains(&ns)) {
                continue; // gml:boundedBy, gml:name, gml:description…
            }
            if p.ns.as_deref().is_some_and(|ns| ns != self.ctx.catalog.server.namespace) {
                let shown: String = p.local.chars().take(64).collect();
                return Err(OgcException::new(
                    ExceptionCode::InvalidParameterValue,
                    format!("property {shown} is not of this service's namespace"),
                )
                .at(locator));
            }
            if p.local == layer.config.geometry_column {
                incoming.geometry = Some(self.geometry(p, layer, srs, locator)?);
            } else {
                incoming.properties.push((p.local.clone(), self.text_value(p, locator)?));
            }
        }
        Ok(incoming)
    }

    /// The one GML geometry inside a property element.
    fn geometry(
        &self,
        holder: &Element,
        layer: &Layer,
        srs: Option<&str>,
        locator: &str,
    ) -> Result<crate::filter::GeometryLiteral, OgcException> {
        let [g] = holder.children.as_slice() else { return Err(parsing(format!("{} must hold one GML geometry", holder.local), locator)) };
        let fes = self.fes(layer, layer.schema.crs);
        match srs {
            // The action's srsName, as if the geometry had it (with its spelling's axis order).
            Some(name) if g.attr("srsName").is_none() => {
                let mut named = g.clone();
                named.attrs.push(("srsName".into(), name.to_string()));
                parse_geometry_element(&named, &fes)
            }
            _ => parse_geometry_element(g, &fes),
        }
        .map_err(|e| fes_error(e, locator))
    }

    /// A simple property's value: its text, or NULL when `xsi:nil="true"`.
    fn text_value(&self, p: &Element, locator: &str) -> Result<Value, OgcException> {
        if p.attr("nil").is_some_and(|v| v.trim() == "true") {
            return Ok(Value::Null);
        }
        if !p.children.is_empty() {
            return Err(parsing(format!("property {} must hold text", p.local), locator));
        }
        Ok(Value::Text(p.text.clone()))
    }

    /// An Update's `Property` list: `Name` (1.x) or `ValueReference` (2.0) and an optional
    /// `Value` (absent: NULL); the geometry property holds GML.
    fn properties(&self, el: &Element, layer: &Layer, srs: Option<&str>, locator: &str) -> Result<Incoming, OgcException> {
        let mut incoming = Incoming::default();
        for p in el.children.iter().filter(|c| c.local == "Property") {
            let name = p
                .child("ValueReference")
                .or_else(|| p.child("Name"))
                .ok_or_else(|| parsing("Property needs a Name or ValueReference", locator))?;
            if name.attr("action").is_some_and(|a| !matches!(a.trim(), "replace" | "remove")) {
                return Err(OgcException::new(
                    ExceptionCode::OperationProcessingFailed,
                    "only action=\"replace\" and \"remove\" apply to simple properties",
                )
                .with_status(400)
                .at(locator));
            }
            let remove = name.attr("action").is_some_and(|a| a.trim() == "remove");
            let prop = name.text.trim();
            let prop = match prop.split_once(':') {
                Some((p, l)) if self.prefixes.iter().any(|x| x == p) => l,
                _ => prop,
            };
            let prop = prop.strip_prefix(&format!("{}/", layer.name())).unwrap_or(prop);
            let value = p.child("Value").filter(|_| !remove);
            if prop == layer.config.geometry_column {
                let Some(v) = value else { return Err(parsing("the geometry cannot be removed", locator)) };
                incoming.geometry = Some(self.geometry(v, layer, srs, locator)?);
            } else {
                let v = match value {
                    None => Value::Null,
                    Some(v) => self.text_value(v, locator)?,
                };
                incoming.properties.push((prop.to_string(), v));
            }
        }
        if incoming.properties.is_empty() && incoming.geometry.is_none() {
            return Err(parsing("Update changes no property", locator));
        }
        Ok(incoming)
    }

    /// An action's `Filter`, parsed for its layer.
    fn filter(&self, el: &Element, layer: &Layer, locator: &str) -> Result<Option<Filter>, OgcException> {
        match el.child("Filter") {
            None => Ok(None),
            Some(f) => parse_filter_element(f, &self.fes(layer, layer.schema.crs)).map(Some).map_err(|e| fes_error(e, locator)),
        }
    }
}

/// The `TransactionResponse` (2.0, 1.1) or `WFS_TransactionResponse` (1.0).
fn response(version: Version, reported: &[Reported], outcome: &crate::source::write::WriteOutcome) -> String {
    // Inserted ids come in action order, as `reported` lists the inserts.
    let mut inserted = outcome.inserted.iter();
    let inserts: Vec<(Option<&str>, String)> = reported
        .iter()
        .filter(|r| r.kind == "insert")
        .filter_map(|r| inserted.next().map(|id| (r.handle.as_deref(), esc(&format!("{}.{id}", r.type_name)).into_owned())))
        .collect();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let handle = |h: Option<&str>| h.map(|h| format!(" handle=\"{}\"", esc(h))).unwrap_or_default();
    match version {
        Version::V2 => {
            x.push_str("<wfs:TransactionResponse version=\"2.0.0\" xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\">\n");
            let _ = write!(
                x,
                "<wfs:TransactionSummary><wfs:totalInserted>{}</wfs:totalInserted><wfs:totalUpdated>{}</wfs:totalUpdated><wfs:totalReplaced>{}</wfs:totalReplaced><wfs:totalDeleted>{}</wfs:totalDeleted></wfs:TransactionSummary>\n",
                outcome.inserted.len(),
                outcome.updated.len(),
                outcome.replaced.len(),
                outcome.deleted.len()
            );
            if !inserts.is_empty() {
                x.push_str("<wfs:InsertResults>");
                for (h, rid) in &inserts {
                    let _ = write!(x, "<wfs:Feature{}><fes:ResourceId rid=\"{rid}\"/></wfs:Feature>", handle(*h));
                }
                x.push_str("</wfs:InsertResults>\n");
            }
            x.push_str("</wfs:TransactionResponse>\n");
        }
        Version::V11 => {
            x.push_str("<wfs:TransactionResponse version=\"1.1.0\" xmlns:wfs=\"http://www.opengis.net/wfs\" xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.1.0/wfs.xsd\">\n");
            let _ = write!(
                x,
                "<wfs:TransactionSummary><wfs:totalInserted>{}</wfs:totalInserted><wfs:totalUpdated>{}</wfs:totalUpdated><wfs:totalDeleted>{}</wfs:totalDeleted></wfs:TransactionSummary>\n",
                outcome.inserted.len(),
                outcome.updated.len() + outcome.replaced.len(),
                outcome.deleted.len()
            );
            if !inserts.is_empty() {
                x.push_str("<wfs:InsertResults>");
                for (h, rid) in &inserts {
                    let _ = write!(x, "<wfs:Feature{}><ogc:FeatureId fid=\"{rid}\"/></wfs:Feature>", handle(*h));
                }
                x.push_str("</wfs:InsertResults>\n");
            }
            x.push_str("</wfs:TransactionResponse>\n");
        }
        Version::V10 => {
            x.push_str("<wfs:WFS_TransactionResponse version=\"1.0.0\" xmlns:wfs=\"http://www.opengis.net/wfs\" xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.0.0/WFS-transaction.xsd\">\n");
            for (h, rid) in &inserts {
                let _ = write!(x, "<wfs:InsertResult{}><ogc:FeatureId fid=\"{rid}\"/></wfs:InsertResult>\n", handle(*h));
            }
            x.push_str(
                "<wfs:TransactionResult><wfs:Status><wfs:SUCCESS/></wfs:Status></wfs:TransactionResult>\n</wfs:WFS_TransactionResponse>\n",
            );
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_bound_to_the_namespace_are_found() {
        const NAMESPACE: &str = "urn:navigli:cmm";
        let body = format!("<wfs:Transaction xmlns:wfs='x' xmlns:ns1=\"{NAMESPACE}\" xmlns:other=\"urn:o\">");
        assert_eq!(bound_prefixes(&body, NAMESPACE), vec!["navigli".to_string(), "ns1".to_string()]);
    }

    #[test]
    fn versions_come_from_the_attribute_or_namespace() {
        let read = |x: &str| {
            Version::of(
                &crate::xml::read(
                    x,
                    &crate::xml::Limits { max_bytes: 1 << 20, max_depth: 8, max_elements: 100, max_attribute_bytes: 1024, what: "t" },
                )
                .unwrap(),
            )
        };
        assert_eq!(read("<Transaction version=\"1.0.0\"/>").unwrap(), Version::V10);
        assert_eq!(read("<t:Transaction xmlns:t=\"http://www.opengis.net/wfs/2.0\"/>").unwrap(), Version::V2);
        assert!(read("<Transaction version=\"3\"/>").is_err());
    }
}
