//! Validation of a [`FeatureQuery`] against a layer: property names are checked against the
//! attribute allow-list, literals coerced to the attribute types, geometries and boxes moved to
//! the layer's CRS, and sizes capped. The result, a [`ResolvedQuery`], refers to attributes by
//! index only, so nothing a caller wrote can reach SQL text.

use geozero::{CoordDimensions, ToWkb};

use super::{AttributeType, FeatureQuery, SourceLayer, Value};
use crate::crs::{transform_bbox, transform_geometry, Bbox, Crs, TransformError};
use crate::filter::{CompareOp, Filter, SpatialOp, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_IN_VALUES};

/// Most sort keys a query may have.
pub const MAX_SORT_KEYS: usize = 8;

/// A request that cannot be answered as asked; rendered as an OGC exception by the web layer.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum QueryError {
    /// The property is not exposed by the layer.
    #[error("layer {layer} has no property '{property}'")]
    UnknownProperty {
        /// Layer name.
        layer: String,
        /// What was asked for.
        property: String,
    },
    /// A literal does not fit the property's type.
    #[error("value '{value}' is not a valid {expected:?} for property '{property}'")]
    InvalidValue {
        /// Property name.
        property: String,
        /// The literal.
        value: String,
        /// The property's type.
        expected: AttributeType,
    },
    /// The operator cannot apply to the property.
    #[error("{0}")]
    Unsupported(String),
    /// The filter is too large or too deeply nested.
    #[error("filter too complex: {0}")]
    TooComplex(String),
    /// A box or geometry could not be moved into the layer's CRS.
    #[error("{0}")]
    Transform(String),
}

impl From<TransformError> for QueryError {
    fn from(e: TransformError) -> Self {
        QueryError::Transform(e.to_string())
    }
}

/// How a feature's geometry must relate to a literal geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpatialRelation {
    /// Shares a point.
    Intersects,
    /// Lies inside.
    Within,
    /// Contains.
    Contains,
    /// Within a distance (native CRS units).
    DWithin(f64),
}

impl SpatialRelation {
    /// Stable code passed to the GeoPackage spatial function.
    pub fn code(self) -> i64 {
        match self {
            SpatialRelation::Intersects => 0,
            SpatialRelation::Within => 1,
            SpatialRelation::Contains => 2,
            SpatialRelation::DWithin(_) => 3,
        }
    }
    /// Distance for `DWithin`, else 0.
    pub fn distance(self) -> f64 {
        match self {
            SpatialRelation::DWithin(d) => d,
            _ => 0.0,
        }
    }
}

/// A validated predicate; attributes are indexes into [`SourceLayer::attributes`].
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    /// All hold (empty: true).
    And(Vec<Predicate>),
    /// One holds (empty: false).
    Or(Vec<Predicate>),
    /// Negation.
    Not(Box<Predicate>),
    /// Attribute comparison with a coerced literal.
    Compare {
        /// Attribute index.
        attr: usize,
        /// Operator.
        op: CompareOp,
        /// Literal (never `Null`).
        value: Value,
    },
    /// Two attributes compared (of compatible types).
    CompareAttrs {
        /// Left attribute index.
        left: usize,
        /// Operator.
        op: CompareOp,
        /// Right attribute index.
        right: usize,
    },
    /// Inclusive range.
    Between {
        /// Attribute index.
        attr: usize,
        /// Lower bound.
        low: Value,
        /// Upper bound.
        high: Value,
    },
    /// LIKE on a text attribute.
    Like {
        /// Attribute index.
        attr: usize,
        /// Pattern (`%`, `_`, `\`).
        pattern: String,
        /// Case-sensitive.
        match_case: bool,
    },
    /// IS NULL.
    IsNull {
        /// Attribute index.
        attr: usize,
    },
    /// Membership in a non-empty list of coerced literals.
    In {
        /// Attribute index.
        attr: usize,
        /// Literals, all of the attribute's type.
        values: Vec<Value>,
    },
    /// Id membership.
    Ids(Vec<i64>),
    /// The layer's tenant column equals a value (from the tenant registry, not the caller).
    TenantColumn(String),
    /// A spatial relation to a literal in the layer's CRS.
    Spatial {
        /// Relation.
        relation: SpatialRelation,
        /// The literal as WKB, native CRS.
        wkb: Vec<u8>,
        /// The literal's bbox, grown by the distance for `DWithin`: a feature can only match
        /// if its bbox meets this one (used for index pre-filtering).
        envelope: Bbox,
    },
    /// The feature's bounding box meets this box (native CRS): an index-only test, for vector
    /// tiles whose encoder clips anything outside.
    Envelope(Bbox),
}

/// A query checked against its layer, ready for a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedQuery {
    /// Combined bbox, filter and tenant predicate.
    pub predicate: Option<Predicate>,
    /// Attribute indexes to return, in order.
    pub columns: Vec<usize>,
    /// Sort keys: attribute index and descending flag.
    pub sort: Vec<(usize, bool)>,
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return.
    pub limit: u64,
    /// CRS of the stored geometries.
    pub native_crs: Crs,
    /// CRS to return geometries in.
    pub output_crs: Crs,
    /// Return geometries.
    pub with_geometry: bool,
    /// No ORDER BY on the id (only when there are no sort keys).
    pub unordered: bool,
    /// Simplification tolerance for returned geometries, layer CRS units.
    pub simplify: Option<f64>,
    /// Read from the primary (see [`FeatureQuery::fresh`]).
    pub fresh: bool,
}

impl ResolvedQuery {
    /// A query selecting no rows but every column (and filtering on the tenant column):
    /// preparing it checks the layer's schema.
    pub fn probe(layer: &SourceLayer) -> ResolvedQuery {
        ResolvedQuery {
            predicate: layer.tenant_column.as_ref().map(|_| Predicate::TenantColumn(String::new())),
            columns: (0..layer.attributes.len()).collect(),
            sort: vec![],
            offset: 0,
            limit: 0,
            native_crs: layer.crs,
            output_crs: layer.crs,
            with_geometry: true,
            unordered: false,
            simplify: None,
            fresh: false,
        }
    }
}

impl FeatureQuery {
    /// Checks this query against `layer` and caps its limit at `max_features`.
    pub fn resolve(&self, layer: &SourceLayer, max_features: u64) -> Result<ResolvedQuery, QueryError> {
        let attr = |name: &str| {
            layer.attribute_index(name).ok_or_else(|| QueryError::UnknownProperty { layer: layer.name.clone(), property: name.to_string() })
        };
        let columns = match &self.properties {
            None => (0..layer.attributes.len()).collect(),
            Some(names) => names.iter().map(|n| attr(n)).collect::<Result<Vec<_>, _>>()?,
        };
        if self.sort.len() > MAX_SORT_KEYS {
            return Err(QueryError::TooComplex(format!("at most {MAX_SORT_KEYS} sort keys")));
        }
        let sort = self.sort.iter().map(|k| Ok((attr(&k.property)?, k.descending))).collect::<Result<Vec<_>, QueryError>>()?;

        let mut conjuncts = Vec::new();
        if let Some((bbox, crs)) = &self.bbox {
            conjuncts.push(bbox_predicate(layer, bbox, *crs)?);
        }
        if let Some((bbox, crs)) = &self.envelope {
            conjuncts.push(Predicate::Envelope(transform_bbox(*crs, layer.crs, bbox)?));
        }
        if let Some(filter) = &self.filter {
            let (nodes, depth) = filter.size_and_depth();
            if nodes > MAX_FILTER_NODES || depth > MAX_FILTER_DEPTH {
                return Err(QueryError::TooComplex(format!(
                    "{nodes} nodes, depth {depth} (limits {MAX_FILTER_NODES} and {MAX_FILTER_DEPTH})"
                )));
            }
            conjuncts.push(resolve_filter(layer, filter)?);
        }
        if let Some(tenant) = &self.tenant {
            conjuncts.push(match (&layer.tenant_column, &tenant.boundary) {
                (Some(_), _) => Predicate::TenantColumn(tenant.istat_code.clone()),
                (None, Some(boundary)) => {
                    resolve_filter(layer, &Filter::Spatial { op: SpatialOp::Intersects, geometry: (**boundary).clone() })?
                }
                (None, None) => bbox_predicate(layer, &tenant.extent_lonlat, Crs::CRS84)?,
            });
        }
        let predicate = match conjuncts.len() {
            0 => None,
            1 => conjuncts.pop(),
            _ => Some(Predicate::And(conjuncts)),
        };
        Ok(ResolvedQuery {
            predicate,
            columns,
            sort,
            offset: self.offset,
            limit: self.limit.unwrap_or(max_features).min(max_features),
            native_crs: layer.crs,
            output_crs: self.output_crs.unwrap_or(layer.crs),
            with_geometry: !self.skip_geometry,
            unordered: self.unordered && self.sort.is_empty(),
            simplify: self.simplify.filter(|t| t.is_finite() && *t > 0.0),
            fresh: self.fresh,
        })
    }
}

/// Features intersecting a box given in another CRS: the box's edges are densified and moved
/// into the layer's CRS as a polygon (its envelope there would be larger than the box).
/// Coordinates beyond this are no place on Earth in any supported CRS (Web Mercator spans
/// ±2·10⁷ m); boxes are clamped to it so that huge values mean "everything" on every backend
/// instead of overflowing the geometry arithmetic.
const MAX_COORDINATE: f64 = 1.0e9;

fn clamp_bbox(b: &Bbox) -> Bbox {
    let c = |v: f64| v.clamp(-MAX_COORDINATE, MAX_COORDINATE);
    Bbox { min_x: c(b.min_x), min_y: c(b.min_y), max_x: c(b.max_x), max_y: c(b.max_y) }
}

fn bbox_predicate(layer: &SourceLayer, bbox: &Bbox, crs: Crs) -> Result<Predicate, QueryError> {
    let bbox = &if crs.is_geographic() {
        Bbox { min_x: bbox.min_x.max(-180.0), min_y: bbox.min_y.max(-90.0), max_x: bbox.max_x.min(180.0), max_y: bbox.max_y.min(90.0) }
    } else {
        clamp_bbox(bbox)
    };
    if crs.srid() == layer.crs.srid() {
        let polygon = geo::Geometry::Polygon(bbox.to_polygon());
        return Ok(Predicate::Spatial { relation: SpatialRelation::Intersects, wkb: wkb_of(&polygon)?, envelope: *bbox });
    }
    const STEPS: usize = 32;
    let (w, h) = (bbox.max_x - bbox.min_x, bbox.max_y - bbox.min_y);
    let mut ring = Vec::with_capacity(4 * STEPS + 1);
    for i in 0..STEPS {
        let t = i as f64 / STEPS as f64;
        ring.push((bbox.min_x + w * t, bbox.min_y));
    }
    for i in 0..STEPS {
        let t = i as f64 / STEPS as f64;
        ring.push((bbox.max_x, bbox.min_y + h * t));
    }
    for i in 0..STEPS {
        let t = i as f64 / STEPS as f64;
        ring.push((bbox.max_x - w * t, bbox.max_y));
    }
    for i in 0..STEPS {
        let t = i as f64 / STEPS as f64;
        ring.push((bbox.min_x, bbox.max_y - h * t));
    }
    ring.push((bbox.min_x, bbox.min_y));
    let mut polygon = geo::Geometry::Polygon(geo::Polygon::new(geo::LineString::from(ring), vec![]));
    transform_geometry(crs, layer.crs, &mut polygon)?;
    let envelope = Bbox::of_geometry(&polygon).ok_or_else(|| QueryError::Unsupported("empty bbox".into()))?;
    Ok(Predicate::Spatial { relation: SpatialRelation::Intersects, wkb: wkb_of(&polygon)?, envelope })
}

fn wkb_of(g: &geo::Geometry<f64>) -> Result<Vec<u8>, QueryError> {
    g.to_wkb(CoordDimensions::xy()).map_err(|e| QueryError::Unsupported(format!("geometry literal: {e}")))
}

fn resolve_filter(layer: &SourceLayer, filter: &Filter) -> Result<Predicate, QueryError> {
    let attr = |name: &str| {
        layer.attribute_index(name).ok_or_else(|| QueryError::UnknownProperty { layer: layer.name.clone(), property: name.to_string() })
    };
    let coerce = |i: usize, v: &Value| coerce_value(&layer.attributes[i].name, layer.attributes[i].kind, v);
    Ok(match filter {
        Filter::And(v) => Predicate::And(v.iter().map(|f| resolve_filter(layer, f)).collect::<Result<_, _>>()?),
        Filter::Or(v) => Predicate::Or(v.iter().map(|f| resolve_filter(layer, f)).collect::<Result<_, _>>()?),
        Filter::Not(f) => Predicate::Not(Box::new(resolve_filter(layer, f)?)),
        Filter::Compare { property, op, value } => {
            let i = attr(property)?;
            if *value == Value::Null {
                // Comparisons with NULL are never true in SQL; say so rather than guess.
                return Err(QueryError::Unsupported(format!("comparison of '{property}' with a null literal; use PropertyIsNull")));
            }
            Predicate::Compare { attr: i, op: *op, value: coerce(i, value)? }
        }
        Filter::CompareProperties { left, op, right } => {
            let (l, r) = (attr(left)?, attr(right)?);
            let class = |k: AttributeType| match k {
                AttributeType::Int | AttributeType::Float => 0,
                AttributeType::Text => 1,
                AttributeType::Bool => 2,
                AttributeType::Date => 3,
            };
            if class(layer.attributes[l].kind) != class(layer.attributes[r].kind) {
                return Err(QueryError::Unsupported(format!(
                    "'{left}' ({:?}) and '{right}' ({:?}) cannot be compared",
                    layer.attributes[l].kind, layer.attributes[r].kind
                )));
            }
            Predicate::CompareAttrs { left: l, op: *op, right: r }
        }
        Filter::Between { property, low, high } => {
            let i = attr(property)?;
            Predicate::Between { attr: i, low: coerce(i, low)?, high: coerce(i, high)? }
        }
        Filter::Like { property, pattern, match_case } => {
            let i = attr(property)?;
            if !matches!(layer.attributes[i].kind, AttributeType::Text | AttributeType::Date) {
                return Err(QueryError::Unsupported(format!("LIKE needs a text property; '{property}' is {:?}", layer.attributes[i].kind)));
            }
            if pattern.contains('\0') {
                return Err(QueryError::Unsupported(format!("LIKE pattern for '{property}' contains a NUL character")));
            }
            if pattern.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
                return Err(QueryError::Unsupported(format!("LIKE pattern for '{property}' ends with an unfinished escape")));
            }
            Predicate::Like { attr: i, pattern: pattern.clone(), match_case: *match_case }
        }
        Filter::IsNull { property } => Predicate::IsNull { attr: attr(property)? },
        Filter::In { property, values } => {
            let i = attr(property)?;
            if values.len() > MAX_IN_VALUES {
                return Err(QueryError::TooComplex(format!("at most {MAX_IN_VALUES} values in a list")));
            }
            let values = values.iter().map(|v| coerce(i, v)).collect::<Result<Vec<_>, _>>()?;
            // An integer column never equals a fractional literal: drop those, keep SQL typed.
            let values: Vec<Value> =
                values.into_iter().filter(|v| !matches!(v, Value::Float(_)) || layer.attributes[i].kind == AttributeType::Float).collect();
            if values.is_empty() {
                Predicate::Or(vec![])
            } else {
                Predicate::In { attr: i, values }
            }
        }
        Filter::Ids(ids) => {
            if ids.len() > MAX_IN_VALUES * 20 {
                return Err(QueryError::TooComplex(format!("at most {} ids", MAX_IN_VALUES * 20)));
            }
            Predicate::Ids(ids.clone())
        }
        Filter::BBox { bbox, crs } => bbox_predicate(layer, bbox, *crs)?,
        Filter::Spatial { op, geometry } => {
            let mut g = geometry.geometry.clone();
            transform_geometry(geometry.crs, layer.crs, &mut g)?;
            let envelope = Bbox::of_geometry(&g).ok_or_else(|| QueryError::Unsupported("empty geometry literal".into()))?;
            let relation = match op {
                SpatialOp::Intersects => SpatialRelation::Intersects,
                SpatialOp::Within => SpatialRelation::Within,
                SpatialOp::Contains => SpatialRelation::Contains,
            };
            Predicate::Spatial { relation, wkb: wkb_of(&g)?, envelope }
        }
        Filter::DWithin { geometry, distance } => {
            if layer.crs.is_geographic() {
                return Err(QueryError::Unsupported(format!("DWithin needs a projected layer CRS; {} is {}", layer.name, layer.crs)));
            }
            if !distance.is_finite() || *distance < 0.0 {
                return Err(QueryError::Unsupported(format!("invalid distance {distance}")));
            }
            let mut g = geometry.geometry.clone();
            transform_geometry(geometry.crs, layer.crs, &mut g)?;
            let envelope = Bbox::of_geometry(&g).ok_or_else(|| QueryError::Unsupported("empty geometry literal".into()))?.expand(*distance);
            Predicate::Spatial { relation: SpatialRelation::DWithin(*distance), wkb: wkb_of(&g)?, envelope }
        }
    })
}

/// Coerces a literal to an attribute's type (text that parses, integral floats to integers…).
pub fn coerce_value(property: &str, kind: AttributeType, v: &Value) -> Result<Value, QueryError> {
    let bad = || QueryError::InvalidValue { property: property.to_string(), value: v.to_string(), expected: kind };
    Ok(match (kind, v) {
        (_, Value::Null) => return Err(bad()),
        (AttributeType::Int, Value::Int(i)) => Value::Int(*i),
        (AttributeType::Int, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(*f as i64),
        (AttributeType::Int, Value::Float(f)) if f.is_finite() => Value::Float(*f),
        (AttributeType::Int, Value::Text(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => return coerce_value(property, kind, &Value::Float(f)),
                _ => return Err(bad()),
            },
        },
        (AttributeType::Float, Value::Int(i)) => Value::Float(*i as f64),
        (AttributeType::Float, Value::Float(f)) if f.is_finite() => Value::Float(*f),
        (AttributeType::Float, Value::Text(s)) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => return Err(bad()),
        },
        // PostgreSQL text cannot hold NUL: refuse it on every backend alike.
        (AttributeType::Text, Value::Text(t)) if t.contains('\0') => return Err(bad()),
        (AttributeType::Text, v) => Value::Text(v.to_string()),
        (AttributeType::Bool, Value::Bool(b)) => Value::Bool(*b),
        (AttributeType::Bool, Value::Int(0)) => Value::Bool(false),
        (AttributeType::Bool, Value::Int(1)) => Value::Bool(true),
        (AttributeType::Bool, Value::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad()),
        },
        (AttributeType::Date, Value::Text(s)) if is_iso_date(s.trim()) => Value::Text(s.trim().to_string()),
        _ => return Err(bad()),
    })
}

/// A real calendar date `YYYY-MM-DD` (year 1–9999, days per month, leap years), so that no
/// literal reaches PostgreSQL's date parser that it would reject.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let year: u32 = s[0..4].parse().unwrap_or(0);
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Attribute, Relation, SortKey};

    fn layer() -> SourceLayer {
        SourceLayer {
            name: "edifici".into(),
            relation: Relation::Table("edifici".into()),
            geometry_column: "geom".into(),
            id_column: "fid".into(),
            crs: Crs::UTM32N,
            attributes: vec![
                Attribute { name: "EDIFC_USO".into(), kind: AttributeType::Text },
                Attribute { name: "piani".into(), kind: AttributeType::Int },
                Attribute { name: "UN_VOL_AV".into(), kind: AttributeType::Float },
            ],
            tenant_column: Some("cod_istat".into()),
        }
    }

    #[test]
    fn unknown_properties_are_rejected_everywhere() {
        let l = layer();
        let q = FeatureQuery { properties: Some(vec!["piani".into(), "secret".into()]), ..Default::default() };
        assert!(matches!(q.resolve(&l, 10), Err(QueryError::UnknownProperty { property, .. }) if property == "secret"));
        let q = FeatureQuery { sort: vec![SortKey { property: "x\"; drop table".into(), descending: false }], ..Default::default() };
        assert!(matches!(q.resolve(&l, 10), Err(QueryError::UnknownProperty { .. })));
        let q = FeatureQuery { filter: Some(Filter::IsNull { property: "cod_istat".into() }), ..Default::default() };
        assert!(q.resolve(&l, 10).is_err(), "tenant column is not exposed, so not filterable");
    }

    #[test]
    fn literals_are_coerced_or_rejected() {
        let l = layer();
        let q = FeatureQuery {
            filter: Some(Filter::Compare { property: "piani".into(), op: CompareOp::Ge, value: Value::Text("3".into()) }),
            ..Default::default()
        };
        let r = q.resolve(&l, 10).unwrap();
        assert_eq!(r.predicate, Some(Predicate::Compare { attr: 1, op: CompareOp::Ge, value: Value::Int(3) }));
        let q = FeatureQuery {
            filter: Some(Filter::Compare { property: "piani".into(), op: CompareOp::Ge, value: Value::Text("tre".into()) }),
            ..Default::default()
        };
        assert!(matches!(q.resolve(&l, 10), Err(QueryError::InvalidValue { .. })));
        assert_eq!(coerce_value("d", AttributeType::Date, &Value::Text("2024-02-29".into())), Ok(Value::Text("2024-02-29".into())));
        assert!(coerce_value("d", AttributeType::Date, &Value::Text("2023-02-29".into())).is_err());
        assert!(coerce_value("d", AttributeType::Date, &Value::Text("2024-04-31".into())).is_err());
        assert!(coerce_value("d", AttributeType::Date, &Value::Text("0000-01-01".into())).is_err());
        assert!(coerce_value("d", AttributeType::Date, &Value::Text("2024-13-01".into())).is_err());
        assert!(coerce_value("d", AttributeType::Date, &Value::Text("2024-1-01".into())).is_err());
    }

    #[test]
    fn limits_are_capped_and_filters_bounded() {
        let l = layer();
        let q = FeatureQuery { limit: Some(1_000_000), ..Default::default() };
        assert_eq!(q.resolve(&l, 500).unwrap().limit, 500);
        let mut f = Filter::IsNull { property: "piani".into() };
        for _ in 0..40 {
            f = Filter::Not(Box::new(f));
        }
        let q = FeatureQuery { filter: Some(f), ..Default::default() };
        assert!(matches!(q.resolve(&l, 10), Err(QueryError::TooComplex(_))));
    }

    #[test]
    fn bbox_moves_to_the_layer_crs() {
        let l = layer();
        let q = FeatureQuery { bbox: Some((Bbox::new(9.18, 45.46, 9.20, 45.47).unwrap(), Crs::CRS84)), ..Default::default() };
        match q.resolve(&l, 10).unwrap().predicate {
            Some(Predicate::Spatial { envelope, .. }) => assert!(envelope.min_x > 500_000.0 && envelope.max_y < 5_040_000.0),
            other => panic!("{other:?}"),
        }
    }
}
