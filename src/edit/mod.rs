//! Editing the shared data: what WFS-T and OGC API – Features Part 4 have in common, between
//! the protocol (which reads the client's document) and the source (which writes one
//! transaction, [`crate::source::write`]).
//!
//! - **Who may edit** ([`Editor::open`]): the layer says `editable = true`, the caller is
//!   authenticated (else 401) and one of its roles grants `edit` on the layer in this tenant
//!   (else 403); a layer the caller may not see stays unknown (404), as for reads.
//! - **What may be written** ([`Editor::row`]): only allow-listed properties (an unknown one is
//!   a 400, never ignored), each value of the attribute's type; a geometry of the layer's type
//!   (a Polygon is promoted into a MultiPolygon layer), valid (OGC simple features rules, via
//!   `geo`), not empty, moved into the layer's CRS, and inside the tenant's comune. The tenant
//!   column is the server's: the comune of the service, or on the metropolitan service the
//!   comune the geometry lies in.
//! - **Which features change** ([`Editor::selection`]): a filter or an id, always restricted to
//!   the tenant's own features, as reads are.
//! - **After the commit** ([`Editor::apply`]): the cached tiles and feature counts of the
//!   changed box are evicted here at once, and the place search is told to index the changed
//!   box again; other replicas hear of it from the database (PostgreSQL `NOTIFY`, the
//!   GeoPackage's `data_version`).

pub mod geojson;

use std::sync::Arc;

use geo::{Geometry, Relate};

use crate::catalog::{Caller, Catalog, Layer, Tenant, TenantKind};
use crate::crs::{transform_geometry, Bbox, Crs};
use crate::filter::{Filter, GeometryLiteral};
use crate::http::exception::{ExceptionCode, OgcException};
use crate::model::{AttributeType, Value};
use crate::source::write::{Author, Row, Selection, WriteAction, WriteBatch, WriteFailure, WriteOutcome, WriteReason, MAX_SELECTED};
use crate::source::{Change, FeatureQuery, Relation};

/// Most actions one transaction may hold.
pub const MAX_ACTIONS: usize = 1000;
/// Longest text value written, bytes.
pub const MAX_TEXT_BYTES: usize = 64 << 10;
/// Most coordinates of one written geometry.
pub const MAX_COORDINATES: usize = 100_000;

/// A feature as a client sent it: property values by name, and its geometry with the CRS its
/// coordinates are in (GIS axis order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    /// Property values, as given.
    pub properties: Vec<(String, Value)>,
    /// The geometry, if given.
    pub geometry: Option<GeometryLiteral>,
}

/// How a property value arrived: typed (JSON) values must have the attribute's type; text
/// values (XML) must parse as it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typing {
    /// JSON: numbers, strings, booleans as such.
    Json,
    /// XML: everything is text.
    Text,
}

/// One caller editing through one tenant's service: opens an [`Editor`] per layer, commits
/// transactions.
pub struct Session<'a> {
    tenant: &'a Tenant,
    caller: &'a Caller,
    live: &'a crate::http::Live,
}

/// A [`Session`] editing one layer.
pub struct Editor<'a> {
    catalog: &'a Catalog,
    tenant: &'a Tenant,
    /// The layer edited.
    pub layer: Arc<Layer>,
}

fn invalid(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

impl<'a> Session<'a> {
    /// A session of `caller` on `tenant`'s service of the configuration `live`.
    pub fn new(live: &'a crate::http::Live, tenant: &'a Tenant, caller: &'a Caller) -> Session<'a> {
        Session { tenant, caller, live }
    }

    /// The editor of `layer` (already found visible to the caller): 405 when the layer is not
    /// editable, 401 without credentials, 403 without an edit grant here.
    pub fn editor(&self, layer: Arc<Layer>) -> Result<Editor<'a>, OgcException> {
        let (catalog, tenant, caller) = (&*self.live.catalog, self.tenant, self.caller);
        if !layer.config.editable {
            return Err(
                OgcException::new(ExceptionCode::OperationNotSupported, format!("layer {} is read-only", layer.name())).with_status(405)
            );
        }
        if !caller.is_authenticated() {
            return Err(
                OgcException::new(ExceptionCode::NoApplicableCode, "editing needs credentials (an API key or a token)").with_status(401)
            );
        }
        if !caller.may_edit(layer.name(), &tenant.id, tenant.slug.as_deref()) {
            return Err(OgcException::new(
                ExceptionCode::NoApplicableCode,
                format!("your credentials do not allow editing {} in {}", layer.name(), tenant.title),
            )
            .with_status(403));
        }
        Ok(Editor { catalog, tenant, layer })
    }

    /// Writes `actions` (on layers of one source) in one transaction and evicts what caches
    /// held of the changed boxes. A failure names the action (index) it happened in.
    pub async fn commit(&self, actions: Vec<(Arc<Layer>, WriteAction)>) -> Result<WriteOutcome, (usize, OgcException)> {
        if actions.len() > MAX_ACTIONS {
            return Err((
                MAX_ACTIONS,
                invalid("Transaction", format!("at most {MAX_ACTIONS} actions in one transaction")).with_status(413),
            ));
        }
        let Some(source) = actions.first().map(|(l, _)| Arc::clone(&l.source)) else { return Ok(WriteOutcome::default()) };
        if let Some(n) = actions.iter().position(|(l, _)| l.config.source != actions[0].0.config.source) {
            let e = OgcException::new(
                ExceptionCode::OperationProcessingFailed,
                "one transaction may change the layers of one data source only",
            );
            return Err((n, e.with_status(400)));
        }
        let layers: Vec<Arc<Layer>> = actions.iter().map(|(l, _)| Arc::clone(l)).collect();
        let author = Author { actor: self.caller.name().to_string(), tenant: self.tenant.id.clone() };
        let batch = WriteBatch { actions: actions.into_iter().map(|(l, a)| (Arc::clone(&l.schema), a)).collect(), author };
        let outcome = source.write(batch).await.map_err(|f| (f.action, failure(f)))?;
        for change in &outcome.per_table {
            let Some(layer) = layers.iter().find(|l| matches!(&l.schema.relation, Relation::Table(t) if *t == change.table)) else {
                continue;
            };
            let srid = i32::try_from(layer.schema.crs.srid()).unwrap_or(0);
            let table =
                Change::Table { source: layer.config.source.clone(), table: change.table.clone(), bbox: change.bbox.map(|b| (b, srid)) };
            crate::tiles::watch::evict(&self.live.catalog, &self.live.tiles, &table);
            // The place search follows (its index is updated in the background).
            let _ = self.live.changes.send(table);
        }
        tracing::info!(
            target: "navigli::edit",
            tenant = %self.tenant.id,
            actor = self.caller.name(),
            inserted = outcome.inserted.len(),
            updated = outcome.updated.len() + outcome.replaced.len(),
            deleted = outcome.deleted.len(),
            "edit committed"
        );
        Ok(outcome)
    }
}

/// Whether `caller` may edit `layer` of `tenant` (for `Allow` headers and capabilities).
pub fn allowed(caller: &Caller, tenant: &Tenant, layer: &Layer) -> bool {
    layer.config.editable && caller.may_edit(layer.name(), &tenant.id, tenant.slug.as_deref())
}

impl Editor<'_> {
    /// The values to write for `incoming`: for an insert or a replace (`whole`) the geometry is
    /// required; for an update only what is given changes. `locator` names the action in
    /// errors.
    pub fn row(&self, incoming: &Incoming, whole: bool, typing: Typing, locator: &str) -> Result<Row, OgcException> {
        let schema = &self.layer.schema;
        let mut values: Vec<(usize, Value)> = Vec::with_capacity(incoming.properties.len());
        for (name, value) in &incoming.properties {
            let Some(i) = schema.attribute_index(name) else {
                let shown: String = name.chars().take(64).collect();
                let known: Vec<&str> = schema.attributes.iter().map(|a| a.name.as_str()).collect();
                return Err(invalid(
                    locator,
                    format!("layer {} has no property '{shown}' (it has {})", self.layer.name(), known.join(", ")),
                ));
            };
            if values.iter().any(|(j, _)| *j == i) {
                return Err(invalid(locator, format!("property '{name}' is given twice")));
            }
            values.push((i, stored_value(name, schema.attributes[i].kind, value, typing).map_err(|m| invalid(locator, m))?));
        }
        let geometry = match &incoming.geometry {
            None if whole => return Err(invalid(locator, format!("a feature of {} needs a geometry", self.layer.name()))),
            None => None,
            Some(g) => Some(self.geometry(g, locator)?),
        };
        let tenant_code = match (&schema.tenant_column, &geometry) {
            (None, _) => None,
            (Some(_), None) if !whole => None,
            (Some(_), g) => Some(self.tenant_code(g.as_ref().map(|(g, _)| g), locator)?),
        };
        let geometry = geometry.map(|(g, bbox)| {
            use geozero::{CoordDimensions, ToWkb};
            (g.to_wkb(CoordDimensions::xy()).unwrap_or_default(), bbox)
        });
        Ok(Row { geometry, values, tenant_code })
    }

    /// A geometry checked and moved into the layer's CRS, with its box.
    fn geometry(&self, literal: &GeometryLiteral, locator: &str) -> Result<(Geometry<f64>, Bbox), OgcException> {
        let mut g = conform(literal.geometry.clone(), &self.layer.config.geometry_type).map_err(|m| invalid(locator, m))?;
        check_geometry(&g).map_err(|m| invalid(locator, m))?;
        transform_geometry(literal.crs, self.layer.schema.crs, &mut g).map_err(|e| invalid(locator, e.to_string()))?;
        check_geometry(&g).map_err(|m| invalid(locator, format!("{m} (after moving it into {})", self.layer.schema.crs.code())))?;
        let bbox = Bbox::of_geometry(&g).ok_or_else(|| invalid(locator, "the geometry is empty"))?;
        if let TenantKind::Comune(_) = self.tenant.kind {
            if !inside(&g, self.layer.schema.crs, self.tenant.boundary.as_deref(), &self.tenant.extent_lonlat) {
                return Err(OgcException::new(
                    ExceptionCode::NoApplicableCode,
                    format!("the geometry is outside {}: a comune edits only its own territory", self.tenant.title),
                )
                .with_status(403)
                .at(locator));
            }
        }
        Ok((g, bbox))
    }

    /// The tenant column's value: the service's comune, or (metropolitan service) the comune
    /// the geometry lies in.
    fn tenant_code(&self, geometry: Option<&Geometry<f64>>, locator: &str) -> Result<String, OgcException> {
        if let TenantKind::Comune(c) = &self.tenant.kind {
            return Ok(c.istat_code.clone());
        }
        let g = geometry.ok_or_else(|| invalid(locator, "a geometry is needed to tell the comune"))?;
        let crs = self.layer.schema.crs;
        let probe = representative(g).ok_or_else(|| invalid(locator, "the geometry is empty"))?;
        self.catalog
            .tenants
            .iter()
            .find_map(|t| match &t.kind {
                TenantKind::Comune(c) if inside(&Geometry::Point(probe), crs, t.boundary.as_deref(), &t.extent_lonlat) => {
                    Some(c.istat_code.clone())
                }
                _ => None,
            })
            .ok_or_else(|| invalid(locator, "the geometry lies in no comune of the metropolitan area"))
    }

    /// The features an update, replace or delete applies to: those of the tenant that match
    /// `filter` (and, for an edit by id, that one), at most [`MAX_SELECTED`].
    pub fn selection(
        &self,
        filter: Option<Filter>,
        id: Option<i64>,
        expect: Option<String>,
        locator: &str,
    ) -> Result<Selection, OgcException> {
        let filter = match (filter, id) {
            (Some(f), Some(i)) => Some(Filter::And(vec![f, Filter::Ids(vec![i])])),
            (None, Some(i)) => Some(Filter::Ids(vec![i])),
            (f, None) => f,
        };
        let query =
            FeatureQuery { filter, tenant: self.tenant.scope(), skip_geometry: true, limit: Some(MAX_SELECTED), ..Default::default() };
        let query = query.resolve(&self.layer.schema, MAX_SELECTED).map_err(|e| OgcException::from(e).at(locator))?;
        Ok(Selection { query, id, expect })
    }
}

/// A rolled-back transaction as the client sees it.
fn failure(f: WriteFailure) -> OgcException {
    match f.reason {
        WriteReason::NotFound(id) => OgcException::new(ExceptionCode::NotFound, format!("no feature {id} here")),
        WriteReason::Stale(id) => OgcException::new(
            ExceptionCode::OperationProcessingFailed,
            format!("feature {id} has changed since you read it: read it again and redo your edit"),
        )
        .with_status(412),
        WriteReason::TooMany => OgcException::new(ExceptionCode::OperationProcessingFailed, f.reason.to_string()).with_status(400),
        WriteReason::ReadOnly(_) => {
            OgcException::new(ExceptionCode::OperationNotSupported, "this layer's source cannot be written to").with_status(405)
        }
        WriteReason::Source(e) => {
            if !matches!(e, crate::source::SourceError::Refused { .. }) {
                tracing::warn!(target: "navigli::edit", "edit failed: {e}");
            }
            OgcException::from(e)
        }
    }
}

/// A value for an attribute of `kind`, strictly: JSON values of the right type (an integral
/// number for an integer), text that parses as the type; NUL and oversized text refused.
pub fn stored_value(name: &str, kind: AttributeType, v: &Value, typing: Typing) -> Result<Value, String> {
    let bad = || format!("property '{name}' must be {} (got {})", kind_name(kind), shown(v));
    if *v == Value::Null {
        return Ok(Value::Null);
    }
    if let Value::Text(t) = v {
        if t.len() > MAX_TEXT_BYTES {
            return Err(format!("property '{name}' is longer than {} KiB", MAX_TEXT_BYTES >> 10));
        }
    }
    let out = match (typing, kind, v) {
        (_, AttributeType::Text, Value::Text(t)) if t.contains('\0') => return Err(format!("property '{name}' contains a NUL character")),
        (_, AttributeType::Text, Value::Text(t)) => Value::Text(t.clone()),
        (Typing::Json, AttributeType::Text, _) => return Err(bad()),
        (_, AttributeType::Int, Value::Int(i)) => Value::Int(*i),
        (_, AttributeType::Int, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(*f as i64),
        (Typing::Text, AttributeType::Int, Value::Text(t)) => Value::Int(t.trim().parse::<i64>().map_err(|_| bad())?),
        (_, AttributeType::Float, Value::Int(i)) => Value::Float(*i as f64),
        (_, AttributeType::Float, Value::Float(f)) if f.is_finite() => Value::Float(*f),
        (Typing::Text, AttributeType::Float, Value::Text(t)) => match t.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => return Err(bad()),
        },
        (_, AttributeType::Bool, Value::Bool(b)) => Value::Bool(*b),
        (Typing::Text, AttributeType::Bool, Value::Text(t)) => match t.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad()),
        },
        (_, AttributeType::Date, Value::Text(t)) => {
            // The date part of a date-time (`2026-12-02T10:00:00Z`) is accepted as the date.
            let day = t.trim().get(..10).unwrap_or("");
            match crate::source::coerce_value(name, kind, &Value::Text(day.to_string())) {
                Ok(v) if t.trim().len() == 10 || t.trim().as_bytes().get(10) == Some(&b'T') => v,
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    Ok(out)
}

fn kind_name(kind: AttributeType) -> &'static str {
    match kind {
        AttributeType::Int => "an integer",
        AttributeType::Float => "a number",
        AttributeType::Text => "a string",
        AttributeType::Bool => "true or false",
        AttributeType::Date => "a date (YYYY-MM-DD)",
    }
}

fn shown(v: &Value) -> String {
    let s: String = v.to_string().chars().take(40).collect();
    match v {
        Value::Text(_) => format!("\"{s}\""),
        _ => s,
    }
}

/// The geometry in the layer's geometry type: a single geometry goes into a multi layer as a
/// one-member collection; anything else of another type is refused.
pub fn conform(g: Geometry<f64>, layer_type: &str) -> Result<Geometry<f64>, String> {
    let given = geometry_type(&g);
    Ok(match (layer_type, g) {
        (
            "Geometry",
            g @ (Geometry::Point(_)
            | Geometry::MultiPoint(_)
            | Geometry::LineString(_)
            | Geometry::MultiLineString(_)
            | Geometry::Polygon(_)
            | Geometry::MultiPolygon(_)),
        ) => g,
        ("Point", g @ Geometry::Point(_))
        | ("MultiPoint", g @ Geometry::MultiPoint(_))
        | ("LineString", g @ Geometry::LineString(_))
        | ("MultiLineString", g @ Geometry::MultiLineString(_))
        | ("Polygon", g @ Geometry::Polygon(_))
        | ("MultiPolygon", g @ Geometry::MultiPolygon(_)) => g,
        ("MultiPoint", Geometry::Point(p)) => Geometry::MultiPoint(geo::MultiPoint(vec![p])),
        ("MultiLineString", Geometry::LineString(l)) => Geometry::MultiLineString(geo::MultiLineString(vec![l])),
        ("MultiPolygon", Geometry::Polygon(p)) => Geometry::MultiPolygon(geo::MultiPolygon(vec![p])),
        (want, _) => return Err(format!("this layer holds {want} geometries, not {given}")),
    })
}

fn geometry_type(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Line(_) => "Line",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// Not empty, finite, not too large, and valid by the simple features rules (closed rings,
/// no self-intersection, holes inside their shell…), with the reason when not.
pub fn check_geometry(g: &Geometry<f64>) -> Result<(), String> {
    use geo::{CoordsIter, Validation};
    let n = g.coords_count();
    if n == 0 {
        return Err("the geometry is empty".into());
    }
    if n > MAX_COORDINATES {
        return Err(format!("the geometry has more than {MAX_COORDINATES} coordinates"));
    }
    if g.coords_iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err("the geometry has a coordinate that is not a finite number".into());
    }
    if let Geometry::MultiPoint(m) = g {
        if m.0.is_empty() {
            return Err("the geometry is empty".into());
        }
    }
    g.check_validation().map_err(|e| format!("invalid geometry: {e}"))
}

/// A point of the geometry (its first coordinate): enough to tell which comune holds a
/// feature that lies inside one.
fn representative(g: &Geometry<f64>) -> Option<geo::Point<f64>> {
    use geo::{CoordsIter, InteriorPoint};
    g.interior_point().or_else(|| g.coords_iter().next().map(geo::Point))
}

/// Whether `g` (in `crs`) lies inside a comune's boundary (or, when the boundary is unknown,
/// its lon/lat extent).
fn inside(g: &Geometry<f64>, crs: Crs, boundary: Option<&GeometryLiteral>, extent_lonlat: &Bbox) -> bool {
    match boundary {
        Some(b) => {
            let mut moved = g.clone();
            if transform_geometry(crs, b.crs, &mut moved).is_err() {
                return false;
            }
            let m = moved.relate(&b.geometry);
            m.is_coveredby()
        }
        None => {
            let mut moved = g.clone();
            if transform_geometry(crs, Crs::CRS84, &mut moved).is_err() {
                return false;
            }
            Bbox::of_geometry(&moved).is_some_and(|b| {
                b.min_x >= extent_lonlat.min_x
                    && b.max_x <= extent_lonlat.max_x
                    && b.min_y >= extent_lonlat.min_y
                    && b.max_y <= extent_lonlat.max_y
            })
        }
    }
}

/// The audit trail of a layer (newest first), optionally of one feature.
pub async fn audit(catalog: &Catalog, layer: &str, feature_id: Option<i64>, limit: u64) -> Result<Vec<crate::source::AuditEntry>, String> {
    let l = catalog.layers.iter().find(|l| l.name() == layer).ok_or_else(|| format!("no layer '{layer}'"))?;
    let table = match &l.schema.relation {
        Relation::Table(t) => Some(t.clone()),
        Relation::Sql(_) => None,
    };
    let query = crate::source::AuditQuery { layer: Some(layer.to_string()), table, feature_id, limit };
    l.source.audit(query).await.map_err(|e| e.to_string())
}

/// Puts a feature back as it was before its last change or deletion, from the audit trail: a
/// deleted feature is inserted again (under a new id, returned), a changed one replaced by its
/// old values. The restore is itself audited (actor `navigli audit restore`).
pub async fn restore(catalog: &Catalog, layer: &str, feature_id: i64) -> Result<i64, String> {
    let l = catalog.layers.iter().find(|l| l.name() == layer).ok_or_else(|| format!("no layer '{layer}'"))?;
    let entries = audit(catalog, layer, Some(feature_id), 1000).await?;
    let last = entries.first().ok_or_else(|| format!("the audit trail has nothing on {layer} {feature_id}"))?;
    let old = last
        .old
        .as_ref()
        .ok_or_else(|| format!("{layer} {feature_id} was created by its last change ({}): nothing to put back", last.action))?;
    let row = row_of_json(&l.schema, old)?;
    let action = if last.action == "delete" {
        WriteAction::Insert(row)
    } else {
        let query = FeatureQuery { filter: Some(Filter::Ids(vec![feature_id])), limit: Some(1), skip_geometry: true, ..Default::default() };
        let query = query.resolve(&l.schema, 1).map_err(|e| e.to_string())?;
        WriteAction::Change {
            kind: crate::source::write::ChangeKind::Replace,
            target: Selection { query, id: Some(feature_id), expect: None },
            row,
        }
    };
    let batch = WriteBatch {
        actions: vec![(Arc::clone(&l.schema), action)],
        author: Author { actor: "navigli audit restore".into(), tenant: catalog.tenants.first().map(|t| t.id.clone()).unwrap_or_default() },
    };
    let out = l.source.write(batch).await.map_err(|e| e.to_string())?;
    Ok(out.inserted.first().copied().unwrap_or(feature_id))
}

/// A row from its audit JSON ([`crate::source::write::row_json`]).
fn row_of_json(layer: &crate::source::SourceLayer, v: &serde_json::Value) -> Result<Row, String> {
    use wkt::TryFromWkt;
    let props = v.get("properties").and_then(|p| p.as_object()).ok_or("audit entry without properties")?;
    let mut values = Vec::new();
    for (i, a) in layer.attributes.iter().enumerate() {
        let value = match props.get(&a.name) {
            None | Some(serde_json::Value::Null) => Value::Null,
            Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().map(Value::Int).or_else(|| n.as_f64().map(Value::Float)).unwrap_or(Value::Null)
            }
            Some(serde_json::Value::String(s)) => Value::Text(s.clone()),
            Some(other) => Value::Text(other.to_string()),
        };
        values.push((i, stored_value(&a.name, a.kind, &value, Typing::Json)?));
    }
    let geometry = match v.get("geometry").and_then(|g| g.as_str()) {
        None => None,
        Some(text) => {
            let g: Geometry<f64> = Geometry::try_from_wkt_str(text).map_err(|e| format!("audit geometry: {e}"))?;
            let bbox = Bbox::of_geometry(&g).ok_or("audit geometry is empty")?;
            use geozero::{CoordDimensions, ToWkb};
            Some((g.to_wkb(CoordDimensions::xy()).map_err(|e| e.to_string())?, bbox))
        }
    };
    let tenant_code = v.get("tenant").and_then(|t| t.as_str()).map(str::to_string);
    Ok(Row { geometry, values, tenant_code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_strictly() {
        assert_eq!(stored_value("n", AttributeType::Int, &Value::Float(3.0), Typing::Json), Ok(Value::Int(3)));
        assert!(stored_value("n", AttributeType::Int, &Value::Float(3.5), Typing::Json).is_err());
        assert!(stored_value("n", AttributeType::Int, &Value::Text("3".into()), Typing::Json).is_err());
        assert_eq!(stored_value("n", AttributeType::Int, &Value::Text(" 3".into()), Typing::Text), Ok(Value::Int(3)));
        assert!(stored_value("n", AttributeType::Text, &Value::Int(3), Typing::Json).is_err());
        assert!(stored_value("n", AttributeType::Text, &Value::Text("a\0b".into()), Typing::Json).is_err());
        assert_eq!(
            stored_value("d", AttributeType::Date, &Value::Text("2026-12-02T10:00:00Z".into()), Typing::Json),
            Ok(Value::Text("2026-12-02".into()))
        );
        assert!(stored_value("d", AttributeType::Date, &Value::Text("2026-02-30".into()), Typing::Json).is_err());
        assert!(stored_value("b", AttributeType::Bool, &Value::Text("yes".into()), Typing::Text).is_err());
        assert_eq!(stored_value("x", AttributeType::Float, &Value::Null, Typing::Json), Ok(Value::Null));
    }

    #[test]
    fn geometries_conform_and_validate() {
        let square = geo::Polygon::new(geo::LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]), vec![]);
        let g = conform(Geometry::Polygon(square.clone()), "MultiPolygon").unwrap();
        assert!(matches!(g, Geometry::MultiPolygon(_)));
        assert!(conform(Geometry::Point(geo::Point::new(0.0, 0.0)), "MultiPolygon").is_err());
        assert!(check_geometry(&g).is_ok());
        let bow = geo::Polygon::new(geo::LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]), vec![]);
        let e = check_geometry(&Geometry::Polygon(bow)).unwrap_err();
        assert!(e.contains("invalid"), "{e}");
        assert!(check_geometry(&Geometry::Point(geo::Point::new(f64::NAN, 0.0))).is_err());
    }
}
