//! A [`Predicate`] evaluated in memory, on one feature's values and geometry, with SQL's
//! three-valued logic (a comparison with NULL is unknown; `NOT` of unknown is unknown; only
//! true selects): for sources that cannot run the whole filter themselves (remote services),
//! so a filter means exactly what it means on the GeoPackage and PostGIS backends. The spatial
//! relations are the ones the GeoPackage backend's `navigli_spatial` computes
//! ([`spatial_holds`]).

use geo::{BoundingRect, Distance, Euclidean, Geometry, Intersects, Relate};

use super::{Predicate, SpatialRelation};
use crate::crs::Bbox;
use crate::filter::{like_matches, CompareOp};
use crate::model::Value;

/// Whether `feature` stands in `relation` to `literal` (both in one CRS).
pub fn spatial_holds(feature: &Geometry<f64>, literal: &Geometry<f64>, relation: SpatialRelation) -> bool {
    match relation {
        SpatialRelation::Intersects => feature.intersects(literal),
        SpatialRelation::Within => feature.relate(literal).is_within(),
        SpatialRelation::Contains => feature.relate(literal).is_contains(),
        SpatialRelation::DWithin(d) => Euclidean.distance(feature, literal) <= d,
    }
}

/// A predicate prepared for evaluation (spatial literals decoded once).
#[derive(Debug)]
pub struct Compiled {
    node: Node,
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf(Predicate),
    Spatial { relation: SpatialRelation, literal: Geometry<f64>, envelope: Bbox },
}

/// One feature as the evaluator sees it.
pub struct Row<'r> {
    /// Its id.
    pub id: i64,
    /// Every exposed attribute's value, in the layer's attribute order.
    pub values: &'r [Value],
    /// The value of the tenant column (`None`: the feature has none).
    pub tenant: Option<&'r str>,
    /// Its geometry in the layer's CRS.
    pub geometry: Option<&'r Geometry<f64>>,
}

impl Compiled {
    /// Prepares `p`; a spatial literal that is not valid WKB is an error (it came from our own
    /// encoder, so this does not happen for resolved queries).
    pub fn new(p: &Predicate) -> Result<Compiled, String> {
        Ok(Compiled { node: compile(p)? })
    }

    /// Whether `row` is selected (true, not unknown).
    pub fn selects(&self, row: &Row<'_>) -> bool {
        eval(&self.node, row) == Some(true)
    }
}

fn compile(p: &Predicate) -> Result<Node, String> {
    use geozero::ToGeo;
    Ok(match p {
        Predicate::And(v) => Node::And(v.iter().map(compile).collect::<Result<_, _>>()?),
        Predicate::Or(v) => Node::Or(v.iter().map(compile).collect::<Result<_, _>>()?),
        Predicate::Not(inner) => Node::Not(Box::new(compile(inner)?)),
        Predicate::Spatial { relation, wkb, envelope } => Node::Spatial {
            relation: *relation,
            literal: geozero::wkb::Wkb(wkb.clone()).to_geo().map_err(|e| e.to_string())?,
            envelope: *envelope,
        },
        other => Node::Leaf(other.clone()),
    })
}

/// Three-valued AND/OR over the children.
fn combine(children: &[Node], row: &Row<'_>, and: bool) -> Option<bool> {
    let mut unknown = false;
    for c in children {
        match eval(c, row) {
            Some(v) if v != and => return Some(v),
            Some(_) => {}
            None => unknown = true,
        }
    }
    if unknown {
        None
    } else {
        Some(and)
    }
}

fn eval(n: &Node, row: &Row<'_>) -> Option<bool> {
    match n {
        Node::And(v) => combine(v, row, true),
        Node::Or(v) => combine(v, row, false),
        Node::Not(inner) => eval(inner, row).map(|b| !b),
        Node::Spatial { relation, literal, envelope } => {
            let g = row.geometry?;
            let meets = bbox_of(g).is_some_and(|b| b.intersects(envelope));
            Some(meets && spatial_holds(g, literal, *relation))
        }
        Node::Leaf(p) => leaf(p, row),
    }
}

fn bbox_of(g: &Geometry<f64>) -> Option<Bbox> {
    g.bounding_rect().map(|r| Bbox { min_x: r.min().x, min_y: r.min().y, max_x: r.max().x, max_y: r.max().y })
}

fn value<'r>(row: &Row<'r>, attr: usize) -> Option<&'r Value> {
    row.values.get(attr).filter(|v| !matches!(v, Value::Null))
}

fn leaf(p: &Predicate, row: &Row<'_>) -> Option<bool> {
    match p {
        Predicate::Compare { attr, op, value: lit } => compare(value(row, *attr)?, lit).map(|o| holds(*op, o)),
        Predicate::CompareAttrs { left, op, right } => compare(value(row, *left)?, value(row, *right)?).map(|o| holds(*op, o)),
        Predicate::Between { attr, low, high } => {
            let v = value(row, *attr)?;
            Some(compare(v, low)? != std::cmp::Ordering::Less && compare(v, high)? != std::cmp::Ordering::Greater)
        }
        Predicate::Like { attr, pattern, match_case } => Some(like_matches(&value(row, *attr)?.to_string(), pattern, *match_case)),
        Predicate::IsNull { attr } => Some(value(row, *attr).is_none()),
        Predicate::In { attr, values } => {
            let v = value(row, *attr)?;
            Some(values.iter().any(|lit| compare(v, lit) == Some(std::cmp::Ordering::Equal)))
        }
        Predicate::Ids(ids) => Some(ids.contains(&row.id)),
        Predicate::TenantColumn(code) => Some(row.tenant? == code),
        Predicate::Envelope(b) => Some(row.geometry.and_then(bbox_of).is_some_and(|g| g.intersects(b))),
        Predicate::And(_) | Predicate::Or(_) | Predicate::Not(_) | Predicate::Spatial { .. } => {
            unreachable!("compiled into nodes")
        }
    }
}

fn holds(op: CompareOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CompareOp::Eq => o == Equal,
        CompareOp::Ne => o != Equal,
        CompareOp::Lt => o == Less,
        CompareOp::Le => o != Greater,
        CompareOp::Gt => o == Greater,
        CompareOp::Ge => o != Less,
    }
}

/// Orders two non-null values of compatible types (numbers with numbers, text with text,
/// booleans with booleans); `None` for values that cannot be compared.
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{point, polygon};
    use geozero::{CoordDimensions, ToWkb};

    fn row<'r>(values: &'r [Value], geometry: Option<&'r Geometry<f64>>) -> Row<'r> {
        Row { id: 7, values, tenant: Some("001272"), geometry }
    }

    #[test]
    fn comparisons_follow_sql_three_valued_logic() {
        let values = [Value::Int(3), Value::Null, Value::Text("Torino".into())];
        let cmp = |attr, op, v: Value| Predicate::Compare { attr, op, value: v };
        let sel = |p: &Predicate| Compiled::new(p).unwrap().selects(&row(&values, None));
        assert!(sel(&cmp(0, CompareOp::Ge, Value::Float(2.5))));
        assert!(!sel(&cmp(1, CompareOp::Eq, Value::Int(1))), "NULL = 1 is unknown");
        assert!(!sel(&Predicate::Not(Box::new(cmp(1, CompareOp::Eq, Value::Int(1))))), "NOT unknown is unknown");
        assert!(sel(&Predicate::Or(vec![cmp(1, CompareOp::Eq, Value::Int(1)), cmp(0, CompareOp::Eq, Value::Int(3))])));
        assert!(!sel(&Predicate::And(vec![cmp(1, CompareOp::Eq, Value::Int(1)), cmp(0, CompareOp::Eq, Value::Int(3))])));
        assert!(sel(&Predicate::IsNull { attr: 1 }));
        assert!(sel(&Predicate::Like { attr: 2, pattern: "tor%".into(), match_case: false }));
        assert!(!sel(&Predicate::Like { attr: 2, pattern: "tor%".into(), match_case: true }));
        assert!(sel(&Predicate::Between { attr: 0, low: Value::Int(3), high: Value::Int(4) }));
        assert!(sel(&Predicate::In { attr: 2, values: vec![Value::Text("Ivrea".into()), Value::Text("Torino".into())] }));
        assert!(sel(&Predicate::Ids(vec![1, 7])) && !sel(&Predicate::Ids(vec![1])));
        assert!(sel(&Predicate::TenantColumn("001272".into())) && !sel(&Predicate::TenantColumn("015146".into())));
        assert!(sel(&Predicate::And(vec![])) && !sel(&Predicate::Or(vec![])));
    }

    #[test]
    fn spatial_relations_match_the_geometry() {
        let square: Geometry<f64> = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)].into();
        let inside: Geometry<f64> = point!(x: 5.0, y: 5.0).into();
        let far: Geometry<f64> = point!(x: 20.0, y: 5.0).into();
        let spatial = |relation, g: &Geometry<f64>, grow: f64| Predicate::Spatial {
            relation,
            wkb: g.to_wkb(CoordDimensions::xy()).unwrap(),
            envelope: bbox_of(g).unwrap().expand(grow),
        };
        let sel = |p: &Predicate, g: &Geometry<f64>| Compiled::new(p).unwrap().selects(&row(&[], Some(g)));
        assert!(sel(&spatial(SpatialRelation::Intersects, &square, 0.0), &inside));
        assert!(!sel(&spatial(SpatialRelation::Intersects, &square, 0.0), &far));
        assert!(sel(&spatial(SpatialRelation::Within, &square, 0.0), &inside));
        assert!(sel(&spatial(SpatialRelation::Contains, &inside, 0.0), &square));
        assert!(sel(&spatial(SpatialRelation::DWithin(10.5), &square, 10.5), &far));
        assert!(!sel(&spatial(SpatialRelation::DWithin(9.5), &square, 9.5), &far));
        assert!(sel(&Predicate::Envelope(Bbox { min_x: 9.0, min_y: 9.0, max_x: 11.0, max_y: 11.0 }), &square));
        assert!(
            !Compiled::new(&spatial(SpatialRelation::Intersects, &square, 0.0)).unwrap().selects(&row(&[], None)),
            "no geometry: unknown"
        );
    }
}
