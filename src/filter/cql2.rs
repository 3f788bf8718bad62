//! CQL2 (OGC 21-065, text and JSON encodings) into the filter AST. The `cql2` crate parses;
//! this module checks the input's size and nesting first (its parser recurses), parses on a
//! thread with a known stack, and translates the crate's expression tree into [`Filter`], so
//! that both backends, bound parameters and the attribute allow-list apply unchanged. The crate's
//! own SQL output is never used.
//!
//! Supported: Basic CQL2 (comparisons, `AND`/`OR`/`NOT`, `IS NULL`), Advanced Comparison
//! (`LIKE`, `BETWEEN`, `IN`), Case-insensitive Comparison (`CASEI` with `=`, `<>` and `LIKE`),
//! Basic Spatial Functions with Plus literals (`S_INTERSECTS` and also `S_WITHIN`,
//! `S_CONTAINS`, `S_DISJOINT`, with points, lines, polygons, their multi forms and `BBOX`) and
//! Property-Property comparisons. Everything else (temporal and array functions, arithmetic,
//! `ACCENTI`, other functions) is refused with a message naming the operator.

use geo::{Geometry, MapCoordsInPlace};

use super::{CompareOp, Filter, GeometryLiteral, SpatialOp};
use crate::crs::{Bbox, Crs};
use crate::model::{AttributeType, Value};

/// Longest filter text accepted, bytes.
pub const MAX_CQL2_BYTES: usize = 16 * 1024;
/// Deepest bracket nesting (`(`, `[`, `{`) accepted before parsing (the crate's grammar tries
/// two alternatives after every `(`: its work grows with the nesting).
pub const MAX_CQL2_NESTING: usize = 20;
/// Longest run of prefix operators (`NOT NOT …`, `- - …`) accepted before parsing: they nest
/// the tree without brackets.
pub const MAX_PREFIX_RUN: usize = 8;
/// The parser's budget of grammar rule calls (pest's process-wide call limit): a filter that
/// needs more is refused instead of keeping a thread busy.
const PARSER_CALLS: usize = 2_000_000;
/// Stack of the thread that runs the parser and the translation: with the caps above their
/// recursion stays far below.
const PARSER_STACK: usize = 16 * 1024 * 1024;

/// The two encodings, and the legacy name GDAL sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cql2Lang {
    /// `cql2-text` (also `cql-text`).
    Text,
    /// `cql2-json`.
    Json,
}

impl Cql2Lang {
    /// Reads a `filter-lang` value.
    pub fn parse(name: &str) -> Option<Cql2Lang> {
        match name {
            "cql2-text" | "cql-text" => Some(Cql2Lang::Text),
            "cql2-json" => Some(Cql2Lang::Json),
            _ => None,
        }
    }
}

/// What the translation needs to know of the collection.
pub struct Cql2Context<'a> {
    /// The geometry property (the only one spatial functions may name).
    pub geometry: &'a str,
    /// Exposed attributes and their types (a name not here is refused later, by the allow-list;
    /// the type decides how date literals and `CASEI` translate).
    pub attributes: &'a [(String, AttributeType)],
    /// CRS of geometry literals (`filter-crs`; CRS84 by default), in its authority axis order.
    pub crs: Crs,
}

impl Cql2Context<'_> {
    fn kind(&self, property: &str) -> Option<AttributeType> {
        self.attributes.iter().find(|(n, _)| n == property).map(|(_, k)| *k)
    }
}

/// Why a filter was refused (always a client error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Cql2Error {
    /// Not CQL2 of the given encoding.
    #[error("the filter is not valid {0}")]
    Syntax(String),
    /// Valid CQL2 that this server does not evaluate.
    #[error("{0}")]
    Unsupported(String),
    /// Too long or too deeply nested.
    #[error("{0}")]
    TooComplex(String),
}

/// Parses and translates a filter.
pub fn parse(text: &str, lang: Cql2Lang, ctx: &Cql2Context<'_>) -> Result<Filter, Cql2Error> {
    if text.len() > MAX_CQL2_BYTES {
        return Err(Cql2Error::TooComplex(format!("the filter is longer than {MAX_CQL2_BYTES} bytes")));
    }
    let (depth, prefix_run) = nesting(text, lang);
    if depth > MAX_CQL2_NESTING {
        return Err(Cql2Error::TooComplex(format!("the filter nests {depth} levels deep (at most {MAX_CQL2_NESTING})")));
    }
    if prefix_run > MAX_PREFIX_RUN {
        return Err(Cql2Error::TooComplex(format!("{prefix_run} NOT or minus signs in a row (at most {MAX_PREFIX_RUN})")));
    }
    static CALL_LIMIT: std::sync::Once = std::sync::Once::new();
    CALL_LIMIT.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(PARSER_CALLS)));
    // Parse, translate and drop the crate's tree on a thread with a known stack; what comes
    // back is our filter, its depth checked there too.
    let owned = text.to_string();
    let (geometry, attributes, crs) = (ctx.geometry.to_string(), ctx.attributes.to_vec(), ctx.crs);
    std::thread::Builder::new()
        .name("cql2-parse".into())
        .stack_size(PARSER_STACK)
        .spawn(move || {
            let parsed = match lang {
                Cql2Lang::Text => cql2::parse_text(&owned).map_err(|e| e.to_string()),
                Cql2Lang::Json => cql2::parse_json(&owned).map_err(|e| e.to_string()),
            };
            let expr = parsed.map_err(|e| {
                let shown: String = e.chars().take(200).collect();
                if shown.contains("call limit") {
                    Cql2Error::TooComplex("the filter is too complex to parse".into())
                } else {
                    Cql2Error::Syntax(format!("{}: {shown}", lang_name(lang)))
                }
            })?;
            let filter = translate(&expr, &Cql2Context { geometry: &geometry, attributes: &attributes, crs })?;
            let (nodes, depth) = filter.size_and_depth();
            if nodes > super::MAX_FILTER_NODES || depth > super::MAX_FILTER_DEPTH {
                return Err(Cql2Error::TooComplex(format!(
                    "{nodes} terms, {depth} levels (at most {} and {})",
                    super::MAX_FILTER_NODES,
                    super::MAX_FILTER_DEPTH
                )));
            }
            Ok(filter)
        })
        .map_err(|e| Cql2Error::Unsupported(format!("cannot start the parser: {e}")))?
        .join()
        .map_err(|_| Cql2Error::Syntax(lang_name(lang).into()))?
}

fn lang_name(lang: Cql2Lang) -> &'static str {
    match lang {
        Cql2Lang::Text => "cql2-text",
        Cql2Lang::Json => "cql2-json",
    }
}

/// The deepest bracket nesting outside string literals (single quotes in text, double quotes
/// in JSON; doubled or escaped quotes stay inside), and the longest run of prefix operators
/// (`NOT` or `-`, with only blanks between them) in the text encoding.
fn nesting(text: &str, lang: Cql2Lang) -> (usize, usize) {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut run, mut max_run) = (0usize, 0usize);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (lang, c) {
            (Cql2Lang::Text, '\'') | (Cql2Lang::Text, '"') => {
                run = 0;
                let quote = c;
                while let Some((_, d)) = chars.next() {
                    if d == quote {
                        if chars.peek().map(|(_, n)| *n) == Some(quote) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            (Cql2Lang::Json, '"') => {
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            (_, '(' | '[' | '{') => {
                depth += 1;
                max = max.max(depth);
            }
            (_, ')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                run = 0;
            }
            (Cql2Lang::Text, '-') => {
                run += 1;
                max_run = max_run.max(run);
            }
            (Cql2Lang::Text, 'n' | 'N') if text[i..].len() >= 3 && text[i..i + 3].eq_ignore_ascii_case("not") => {
                let before = text[..i].chars().next_back();
                let after = text[i + 3..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if !word(before) && !word(after) {
                    run += 1;
                    max_run = max_run.max(run);
                    chars.next();
                    chars.next();
                } else {
                    run = 0;
                }
            }
            (_, c) if c.is_whitespace() => {}
            _ => run = 0,
        }
    }
    (max, max_run)
}

type Expr = cql2::Expr;

fn unsupported(what: impl Into<String>) -> Cql2Error {
    Cql2Error::Unsupported(what.into())
}

/// Translates a parsed expression.
pub fn translate(expr: &Expr, ctx: &Cql2Context<'_>) -> Result<Filter, Cql2Error> {
    match expr {
        Expr::Bool(true) => Ok(Filter::And(vec![])),
        Expr::Bool(false) => Ok(Filter::Or(vec![])),
        Expr::Operation { op, args } => operation(op, args, ctx),
        Expr::Property { property } => match ctx.kind(property) {
            Some(AttributeType::Bool) => Ok(Filter::Compare { property: property.clone(), op: CompareOp::Eq, value: Value::Bool(true) }),
            _ => Err(unsupported(format!("'{}' alone is not a condition", shown(property)))),
        },
        _ => Err(unsupported("the filter must be a condition (a comparison, a spatial function, AND, OR or NOT)")),
    }
}

fn shown(s: &str) -> String {
    s.chars().take(64).collect()
}

fn operation(op: &str, args: &[Box<Expr>], ctx: &Cql2Context<'_>) -> Result<Filter, Cql2Error> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(unsupported(format!("'{op}' takes {n} arguments, not {}", args.len())))
        }
    };
    match op {
        "and" => Ok(Filter::And(args.iter().map(|a| translate(a, ctx)).collect::<Result<_, _>>()?)),
        "or" => Ok(Filter::Or(args.iter().map(|a| translate(a, ctx)).collect::<Result<_, _>>()?)),
        "not" => {
            arity(1)?;
            Ok(Filter::Not(Box::new(translate(&args[0], ctx)?)))
        }
        "=" | "<>" | "<" | "<=" | ">" | ">=" => {
            arity(2)?;
            comparison(op, &args[0], &args[1], ctx)
        }
        "like" => {
            arity(2)?;
            let (property, ci_left) = property_of(&args[0], ctx)?;
            let (pattern, ci_right) = match &*args[1] {
                Expr::Literal(s) => (s.clone(), false),
                Expr::Operation { op, args } if op == "casei" && args.len() == 1 => match &*args[0] {
                    Expr::Literal(s) => (s.clone(), true),
                    _ => return Err(unsupported("LIKE takes a text pattern")),
                },
                _ => return Err(unsupported("LIKE takes a text pattern")),
            };
            if ci_left != ci_right {
                return Err(unsupported("CASEI must wrap both sides of LIKE"));
            }
            Ok(Filter::Like { property, pattern, match_case: !ci_left })
        }
        "between" => {
            arity(3)?;
            let property = plain_property(&args[0], ctx)?;
            let kind = ctx.kind(&property);
            Ok(Filter::Between { property, low: literal(&args[1], kind)?, high: literal(&args[2], kind)? })
        }
        "in" => {
            arity(2)?;
            let property = plain_property(&args[0], ctx)?;
            let kind = ctx.kind(&property);
            let Expr::Array(items) = &*args[1] else { return Err(unsupported("IN takes a list of values")) };
            let values = items.iter().map(|v| literal(v, kind)).collect::<Result<Vec<_>, _>>()?;
            Ok(Filter::In { property, values })
        }
        "isNull" => {
            arity(1)?;
            Ok(Filter::IsNull { property: plain_property(&args[0], ctx)? })
        }
        "s_intersects" | "s_within" | "s_contains" | "s_disjoint" => {
            arity(2)?;
            spatial(op, &args[0], &args[1], ctx)
        }
        "casei" => Err(unsupported("CASEI compares with '=', '<>' or LIKE")),
        other if other.starts_with("s_") => Err(unsupported(format!("the spatial function '{other}' is not supported"))),
        other if other.starts_with("t_") => Err(unsupported(format!("the temporal function '{other}' is not supported"))),
        other if other.starts_with("a_") => Err(unsupported(format!("the array function '{other}' is not supported"))),
        other => Err(unsupported(format!("the operator or function '{}' is not supported", shown(other)))),
    }
}

/// A property, or `CASEI(property)` (second: whether it was wrapped).
fn property_of(e: &Expr, ctx: &Cql2Context<'_>) -> Result<(String, bool), Cql2Error> {
    match e {
        Expr::Operation { op, args } if op == "casei" && args.len() == 1 => Ok((plain_property(&args[0], ctx)?, true)),
        _ => Ok((plain_property(e, ctx)?, false)),
    }
}

fn plain_property(e: &Expr, ctx: &Cql2Context<'_>) -> Result<String, Cql2Error> {
    match e {
        Expr::Property { property } if property == ctx.geometry => {
            Err(unsupported(format!("'{}' is the geometry: compare it with a spatial function", shown(property))))
        }
        Expr::Property { property } => Ok(property.clone()),
        _ => Err(unsupported("the left side of this predicate must be a property")),
    }
}

fn is_property(e: &Expr) -> bool {
    matches!(e, Expr::Property { .. })
        || matches!(e, Expr::Operation { op, args } if op == "casei" && args.len() == 1 && matches!(&*args[0], Expr::Property { .. }))
}

fn compare_op(op: &str) -> CompareOp {
    match op {
        "=" => CompareOp::Eq,
        "<>" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        ">" => CompareOp::Gt,
        _ => CompareOp::Ge,
    }
}

/// The operator with its sides swapped (`5 < a` is `a > 5`).
fn flipped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

fn comparison(op: &str, left: &Expr, right: &Expr, ctx: &Cql2Context<'_>) -> Result<Filter, Cql2Error> {
    let op = compare_op(op);
    let (property_side, value_side, op) = match (is_property(left), is_property(right)) {
        (true, true) => {
            let (l, ci_l) = property_of(left, ctx)?;
            let (r, ci_r) = property_of(right, ctx)?;
            if ci_l || ci_r {
                return Err(unsupported("CASEI compares a property with a text literal"));
            }
            return Ok(Filter::CompareProperties { left: l, op, right: r });
        }
        (true, false) => (left, right, op),
        (false, true) => (right, left, flipped(op)),
        (false, false) => return Err(unsupported("a comparison needs a property on one side")),
    };
    let (property, casei) = property_of(property_side, ctx)?;
    if casei {
        let text = match value_side {
            Expr::Operation { op: f, args } if f == "casei" && args.len() == 1 => match &*args[0] {
                Expr::Literal(s) => s.clone(),
                _ => return Err(unsupported("CASEI compares a property with a text literal")),
            },
            _ => return Err(unsupported("CASEI must wrap both sides of the comparison")),
        };
        // Case-insensitive equality is LIKE without wildcards, case-insensitively.
        let pattern: String = text.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        let like = Filter::Like { property: property.clone(), pattern, match_case: false };
        return match op {
            CompareOp::Eq => Ok(like),
            CompareOp::Ne => Ok(Filter::And(vec![Filter::Not(Box::new(Filter::IsNull { property })), Filter::Not(Box::new(like))])),
            _ => Err(unsupported("CASEI compares with '=', '<>' or LIKE")),
        };
    }
    let kind = ctx.kind(&property);
    Ok(Filter::Compare { property, op, value: literal(value_side, kind)? })
}

/// A scalar literal; dates and timestamps become ISO text (a timestamp compared with a date
/// property keeps its date).
fn literal(e: &Expr, kind: Option<AttributeType>) -> Result<Value, Cql2Error> {
    Ok(match e {
        Expr::Float(f) if f.is_finite() => Value::Float(*f),
        Expr::Literal(s) => Value::Text(s.clone()),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Date { date } => match &**date {
            Expr::Literal(s) => Value::Text(s.clone()),
            _ => return Err(unsupported("DATE takes a text literal")),
        },
        Expr::Timestamp { timestamp } => match &**timestamp {
            Expr::Literal(s) if kind == Some(AttributeType::Date) => {
                // A date property compares with the timestamp's UTC date.
                let t: jiff::Timestamp =
                    s.parse().map_err(|_| unsupported(format!("TIMESTAMP('{}') is not an RFC 3339 date-time", shown(s))))?;
                Value::Text(t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
            }
            Expr::Literal(s) => Value::Text(s.clone()),
            _ => return Err(unsupported("TIMESTAMP takes a text literal")),
        },
        Expr::Operation { op, args } if op == "-" && args.len() == 1 => match &*args[0] {
            Expr::Float(f) if f.is_finite() => Value::Float(-f),
            _ => return Err(unsupported("arithmetic is not supported")),
        },
        Expr::Null => return Err(unsupported("compare with NULL using IS NULL")),
        Expr::Property { .. } => return Err(unsupported("compare two properties with =, <>, <, <=, > or >=")),
        _ => return Err(unsupported("expected a number, a text, a boolean, a DATE or a TIMESTAMP")),
    })
}

fn spatial(op: &str, left: &Expr, right: &Expr, ctx: &Cql2Context<'_>) -> Result<Filter, Cql2Error> {
    let geometry_property = |e: &Expr| matches!(e, Expr::Property { property } if property == ctx.geometry);
    // s_within(literal, geom) is s_contains(geom, literal), and the converse.
    let (literal_side, op) = match (geometry_property(left), geometry_property(right)) {
        (true, _) => (right, op),
        (false, true) => (
            left,
            match op {
                "s_within" => "s_contains",
                "s_contains" => "s_within",
                o => o,
            },
        ),
        _ => {
            let named = [left, right].into_iter().find_map(|e| match e {
                Expr::Property { property } => Some(shown(property)),
                _ => None,
            });
            return Err(unsupported(match named {
                Some(p) => format!("'{p}' is not the geometry property ('{}')", ctx.geometry),
                None => format!("a spatial function compares the geometry property ('{}') with a literal", ctx.geometry),
            }));
        }
    };
    let geometry = geometry_literal(literal_side, ctx.crs)?;
    let spatial = |op| Filter::Spatial { op, geometry: geometry.clone() };
    Ok(match op {
        "s_intersects" => spatial(SpatialOp::Intersects),
        "s_within" => spatial(SpatialOp::Within),
        "s_contains" => spatial(SpatialOp::Contains),
        _ => Filter::Not(Box::new(spatial(SpatialOp::Intersects))),
    })
}

/// A geometry or BBOX literal, in GIS axis order.
fn geometry_literal(e: &Expr, crs: Crs) -> Result<GeometryLiteral, Cql2Error> {
    let mut geometry: Geometry<f64> = match e {
        Expr::Geometry(g) => {
            let text = g.to_wkt().map_err(|e| unsupported(format!("geometry literal: {e}")))?;
            use wkt::TryFromWkt;
            Geometry::try_from_wkt_str(&text).map_err(|e| unsupported(format!("geometry literal: {e}")))?
        }
        Expr::BBox { bbox } => {
            let n: Vec<f64> = bbox.iter().map(|v| number(v)).collect::<Result<_, _>>()?;
            let (x0, y0, x1, y1) = match n.len() {
                4 => (n[0], n[1], n[2], n[3]),
                6 => (n[0], n[1], n[3], n[4]),
                _ => return Err(unsupported("BBOX takes 4 or 6 numbers")),
            };
            let b = Bbox::new(x0, y0, x1, y1).ok_or_else(|| unsupported("BBOX: the lower corner must not exceed the upper"))?;
            Geometry::Polygon(b.to_polygon())
        }
        _ => return Err(unsupported("a spatial function takes a geometry literal or a BBOX")),
    };
    if matches!(geometry, Geometry::GeometryCollection(_) | Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_)) {
        return Err(unsupported("geometry literals are points, lines, polygons, their multi forms or a BBOX"));
    }
    use geo::CoordsIter;
    if !geometry.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
        return Err(unsupported("geometry literal: coordinates must be finite numbers"));
    }
    if crs.north_first() {
        geometry.map_coords_in_place(|c| geo::Coord { x: c.y, y: c.x });
    }
    Ok(GeometryLiteral { geometry, crs })
}

fn number(e: &Expr) -> Result<f64, Cql2Error> {
    match e {
        Expr::Float(f) if f.is_finite() => Ok(*f),
        Expr::Operation { op, args } if op == "-" && args.len() == 1 => number(&args[0]).map(|f| -f),
        _ => Err(unsupported("BBOX takes numbers")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Cql2Context<'static> {
        static ATTRS: std::sync::OnceLock<Vec<(String, AttributeType)>> = std::sync::OnceLock::new();
        let attributes = ATTRS.get_or_init(|| {
            vec![
                ("nome".into(), AttributeType::Text),
                ("piani".into(), AttributeType::Int),
                ("altezza".into(), AttributeType::Float),
                ("data_rilievo".into(), AttributeType::Date),
                ("pubblico".into(), AttributeType::Bool),
            ]
        });
        Cql2Context { geometry: "geom", attributes, crs: Crs::CRS84 }
    }

    fn text(s: &str) -> Result<Filter, Cql2Error> {
        parse(s, Cql2Lang::Text, &ctx())
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(text("piani > 3").unwrap(), Filter::Compare { property: "piani".into(), op: CompareOp::Gt, value: Value::Float(3.0) });
        assert_eq!(text("3 < piani").unwrap(), Filter::Compare { property: "piani".into(), op: CompareOp::Gt, value: Value::Float(3.0) });
        let f = text("nome = 'Milano' AND (piani >= 2 OR NOT altezza < 10.5)").unwrap();
        let Filter::And(parts) = f else { panic!("{f:?}") };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[1], Filter::Or(v) if matches!(&v[1], Filter::Not(_))));
        assert_eq!(text("nome IS NULL").unwrap(), Filter::IsNull { property: "nome".into() });
        assert!(matches!(text("nome IS NOT NULL").unwrap(), Filter::Not(_)));
        assert_eq!(
            text("piani = altezza").unwrap(),
            Filter::CompareProperties { left: "piani".into(), op: CompareOp::Eq, right: "altezza".into() }
        );
        assert!(matches!(text("piani = -2").unwrap(), Filter::Compare { value: Value::Float(f), .. } if f == -2.0));
    }

    #[test]
    fn advanced_and_case_insensitive() {
        assert_eq!(text("nome LIKE 'Mil%'").unwrap(), Filter::Like { property: "nome".into(), pattern: "Mil%".into(), match_case: true });
        assert_eq!(
            text("CASEI(nome) LIKE CASEI('mil%')").unwrap(),
            Filter::Like { property: "nome".into(), pattern: "mil%".into(), match_case: false }
        );
        assert_eq!(
            text("CASEI(nome) = CASEI('100%_x')").unwrap(),
            Filter::Like { property: "nome".into(), pattern: "100\\%\\_x".into(), match_case: false }
        );
        assert!(matches!(text("piani BETWEEN 2 AND 5").unwrap(), Filter::Between { .. }));
        assert!(matches!(text("nome IN ('a','b')").unwrap(), Filter::In { values, .. } if values.len() == 2));
        assert!(matches!(text("nome NOT IN ('a')").unwrap(), Filter::Not(_)));
        assert_eq!(
            text("data_rilievo >= TIMESTAMP('2020-05-01T10:00:00Z')").unwrap(),
            Filter::Compare { property: "data_rilievo".into(), op: CompareOp::Ge, value: Value::Text("2020-05-01".into()) }
        );
        assert_eq!(
            text("data_rilievo < DATE('2021-01-01')").unwrap(),
            Filter::Compare { property: "data_rilievo".into(), op: CompareOp::Lt, value: Value::Text("2021-01-01".into()) }
        );
    }

    #[test]
    fn spatial_literals_follow_the_filter_crs_axis_order() {
        let f = text("S_INTERSECTS(geom, POINT(9.19 45.46))").unwrap();
        let Filter::Spatial { op: SpatialOp::Intersects, geometry } = f else { panic!() };
        assert_eq!(geometry.geometry, Geometry::Point(geo::Point::new(9.19, 45.46)));
        let lat_first = Cql2Context { crs: Crs::WGS84, ..ctx() };
        let f = parse("S_WITHIN(POLYGON((45 9, 46 9, 46 10, 45 9)), geom)", Cql2Lang::Text, &lat_first).unwrap();
        let Filter::Spatial { op: SpatialOp::Contains, geometry } = f else { panic!() };
        let Geometry::Polygon(p) = geometry.geometry else { panic!() };
        assert_eq!(p.exterior().0[0], geo::Coord { x: 9.0, y: 45.0 });
        let f = text("S_INTERSECTS(geom, BBOX(9.1, 45.4, 9.2, 45.5))").unwrap();
        assert!(matches!(f, Filter::Spatial { .. }));
        assert!(matches!(text("S_DISJOINT(geom, POINT(1 2))").unwrap(), Filter::Not(_)));
        let json = r#"{"op":"s_intersects","args":[{"property":"geom"},{"type":"Point","coordinates":[9.19,45.46]}]}"#;
        assert!(matches!(parse(json, Cql2Lang::Json, &ctx()).unwrap(), Filter::Spatial { .. }));
    }

    #[test]
    fn refusals_are_errors_not_panics() {
        assert!(matches!(text("piani >"), Err(Cql2Error::Syntax(_))));
        assert!(matches!(text("S_INTERSECTS(nome, POINT(1 2))"), Err(Cql2Error::Unsupported(_))));
        assert!(matches!(text("S_CROSSES(geom, POINT(1 2))"), Err(Cql2Error::Unsupported(_))));
        assert!(matches!(text("T_BEFORE(data_rilievo, DATE('2020-01-01'))"), Err(Cql2Error::Unsupported(_))));
        assert!(matches!(text("piani + 1 > 3"), Err(Cql2Error::Unsupported(_))));
        assert!(matches!(text("geom = 1"), Err(Cql2Error::Unsupported(_))));
        assert!(matches!(text("nome = NULL"), Err(Cql2Error::Unsupported(_))));
        let deep = format!("{}piani = 1{}", "(".repeat(600), ")".repeat(600));
        assert!(matches!(text(&deep), Err(Cql2Error::TooComplex(_))));
        // Unclosed brackets make the crate's parser try two alternatives at every level.
        let started = std::time::Instant::now();
        assert!(text(&"(".repeat(20)).is_err());
        assert!(text("((((((((((((((((((((piani = 1").is_err());
        let nested = format!("{}piani = 1{}", "(".repeat(20), ")".repeat(20));
        let _ = text(&nested);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        // Prefix operators nest without brackets.
        assert!(matches!(text(&format!("{}piani = 1", "NOT ".repeat(4000))), Err(Cql2Error::TooComplex(_))));
        assert!(matches!(text(&format!("piani = {}1", "-".repeat(16000))), Err(Cql2Error::TooComplex(_))));
        assert!(text("NOT NOT piani = 1").is_ok());
        assert!(text("nome = 'not-a-date' AND piani > -3").is_ok());
        let long = vec!["piani = 1"; 5000].join(" OR ");
        assert!(matches!(text(&long), Err(Cql2Error::TooComplex(_))));
        // Over the node limit of the filter model, refused on the parser's thread.
        assert!(matches!(text(&vec!["piani = 1"; 1100].join(" OR ")), Err(Cql2Error::TooComplex(_))));
        // Brackets inside strings do not count.
        assert!(text(&format!("nome = '{}'", "(".repeat(200))).is_ok());
        let deep_json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(parse(&deep_json, Cql2Lang::Json, &ctx()), Err(Cql2Error::TooComplex(_))));
        assert!(matches!(parse("{\"op\":", Cql2Lang::Json, &ctx()), Err(Cql2Error::Syntax(_))));
    }

    #[test]
    fn many_terms_within_the_limits_parse() {
        let many = vec!["piani = 1"; 900].join(" OR ");
        assert!(many.len() <= MAX_CQL2_BYTES);
        let Filter::Or(v) = text(&many).unwrap() else { panic!() };
        assert_eq!(v.len(), 900);
    }
}
