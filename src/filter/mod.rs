//! The filter model shared by every protocol and every backend: an AST of attribute and spatial
//! predicates. Protocol parsers (FES 2.0/1.1 XML, CQL, KVP `BBOX`) build it; the sources
//! validate it against a layer and translate it to SQL (`crate::source::sql`).
//!
//! Property names in a filter are plain strings until [`crate::source::FeatureQuery::resolve`]
//! checks them against the layer's attribute allow-list; literals are never spliced into SQL.

pub mod cql2;
pub mod fes;

use geo::Geometry;

use crate::crs::{Bbox, Crs};
use crate::model::Value;

/// Largest number of nodes a filter may have (protects against deeply nested or huge filters).
pub const MAX_FILTER_NODES: usize = 1_000;
/// Deepest nesting of logical operators a filter may have.
pub const MAX_FILTER_DEPTH: usize = 32;
/// Most values an `In` list may hold.
pub const MAX_IN_VALUES: usize = 500;

/// Binary comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The SQL spelling of the operator.
    pub fn sql(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// Spatial relations between a feature's geometry and a literal geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpatialOp {
    /// The two share at least one point.
    Intersects,
    /// The feature lies within the literal.
    Within,
    /// The feature contains the literal.
    Contains,
}

/// A geometry literal with the CRS its coordinates are in (GIS axis order).
#[derive(Clone, Debug, PartialEq)]
pub struct GeometryLiteral {
    /// The geometry, x = easting/longitude.
    pub geometry: Geometry<f64>,
    /// The CRS of `geometry`.
    pub crs: Crs,
}

/// A filter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// All must hold (empty: true).
    And(Vec<Filter>),
    /// At least one must hold (empty: false).
    Or(Vec<Filter>),
    /// Negation.
    Not(Box<Filter>),
    /// `property op value`.
    Compare {
        /// Property name (checked against the allow-list).
        property: String,
        /// Operator.
        op: CompareOp,
        /// Literal (coerced to the property's type).
        value: Value,
    },
    /// `left op right`: two properties of the same feature (CQL2 Property-Property).
    CompareProperties {
        /// Left property name.
        left: String,
        /// Operator.
        op: CompareOp,
        /// Right property name.
        right: String,
    },
    /// `low <= property <= high`.
    Between {
        /// Property name.
        property: String,
        /// Lower bound, inclusive.
        low: Value,
        /// Upper bound, inclusive.
        high: Value,
    },
    /// SQL-style `LIKE`: `%` any run, `_` one character, `\` escapes the next character.
    Like {
        /// Property name.
        property: String,
        /// The pattern in SQL LIKE syntax with `\` as escape.
        pattern: String,
        /// Compare case-sensitively.
        match_case: bool,
    },
    /// `property IS NULL`.
    IsNull {
        /// Property name.
        property: String,
    },
    /// `property IN (values…)`.
    In {
        /// Property name.
        property: String,
        /// Literals.
        values: Vec<Value>,
    },
    /// Feature identifiers (the layer's id column).
    Ids(Vec<i64>),
    /// The geometry intersects a rectangle.
    BBox {
        /// The rectangle.
        bbox: Bbox,
        /// Its CRS.
        crs: Crs,
    },
    /// A spatial relation with a literal geometry.
    Spatial {
        /// The relation.
        op: SpatialOp,
        /// The literal.
        geometry: GeometryLiteral,
    },
    /// The geometry lies within `distance` (in metres) of the literal geometry.
    DWithin {
        /// The literal.
        geometry: GeometryLiteral,
        /// Distance in metres (the layer's native CRS must be projected, in metres).
        distance: f64,
    },
}

impl Filter {
    /// The property names this filter reads, each once, in order of appearance.
    pub fn properties(&self) -> Vec<String> {
        fn walk(f: &Filter, out: &mut Vec<String>) {
            match f {
                Filter::And(v) | Filter::Or(v) => v.iter().for_each(|f| walk(f, out)),
                Filter::Not(f) => walk(f, out),
                Filter::Compare { property, .. }
                | Filter::Between { property, .. }
                | Filter::Like { property, .. }
                | Filter::IsNull { property }
                | Filter::In { property, .. } => {
                    if !out.contains(property) {
                        out.push(property.clone());
                    }
                }
                Filter::CompareProperties { left, right, .. } => {
                    for p in [left, right] {
                        if !out.contains(p) {
                            out.push(p.clone());
                        }
                    }
                }
                Filter::Ids(_) | Filter::BBox { .. } | Filter::Spatial { .. } | Filter::DWithin { .. } => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Number of nodes and maximum depth, to enforce [`MAX_FILTER_NODES`] and
    /// [`MAX_FILTER_DEPTH`].
    pub fn size_and_depth(&self) -> (usize, usize) {
        match self {
            Filter::And(v) | Filter::Or(v) => v.iter().fold((1, 1), |(n, d), f| {
                let (fn_, fd) = f.size_and_depth();
                (n + fn_, d.max(fd + 1))
            }),
            Filter::Not(f) => {
                let (n, d) = f.size_and_depth();
                (n + 1, d + 1)
            }
            Filter::In { values, .. } => (1 + values.len(), 1),
            Filter::Ids(ids) => (1 + ids.len(), 1),
            _ => (1, 1),
        }
    }
}

/// Matches `text` against a SQL LIKE pattern (`%`, `_`, `\` escape). Used by the GeoPackage
/// backend so that LIKE behaves exactly as in PostgreSQL on both backends.
pub fn like_matches(text: &str, pattern: &str, match_case: bool) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let fold = |c: char| if match_case { c } else { c.to_lowercase().next().unwrap_or(c) };
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(fold(chars.next().unwrap_or('\\'))),
            c => Tok::Lit(fold(c)),
        });
    }
    let text: Vec<char> = text.chars().map(fold).collect();
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                t += 1;
                p += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_sql_semantics() {
        assert!(like_matches("Milano", "Mil%", true));
        assert!(!like_matches("milano", "Mil%", true));
        assert!(like_matches("milano", "Mil%", false));
        assert!(like_matches("Sesto San Giovanni", "%San%", true));
        assert!(like_matches("abc", "a_c", true));
        assert!(!like_matches("abbc", "a_c", true));
        assert!(like_matches("100%", "100\\%", true));
        assert!(!like_matches("1000", "100\\%", true));
        assert!(like_matches("", "%", true));
        assert!(!like_matches("", "_", true));
        assert!(like_matches("aXbXc", "a%b%c", true));
        assert!(like_matches("Città", "CITTÀ", false));
    }

    #[test]
    fn size_and_depth_counts_nesting() {
        let leaf = Filter::IsNull { property: "a".into() };
        let f = Filter::And(vec![leaf.clone(), Filter::Not(Box::new(Filter::Or(vec![leaf.clone(), leaf])))]);
        assert_eq!(f.size_and_depth(), (6, 4));
    }
}
