//! Applying a style to features: which rules and symbolizers apply to a feature (filters
//! evaluated in memory, exactly as the backends' SQL would, and scale ranges), the attributes a
//! style reads, the default style of a layer without one, and loading the images a style names
//! (plain file names in the styles folder only; size-capped).

use super::style::*;
use crate::filter::{like_matches, CompareOp, Filter};
use crate::source::{Attribute, Value};

/// The symbolizers that apply to a feature at `scale`, in drawing order: per feature type
/// style, the matching rules' symbolizers, or the else-rules' when none matched.
pub fn symbolizers_for<'s>(style: &'s Style, attributes: &[Attribute], values: &[Value], scale: f64) -> Vec<&'s Symbolizer> {
    styled_symbolizers(style, attributes, values, scale).into_iter().map(|(_, s)| s).collect()
}

/// As [`symbolizers_for`], each with the index of its feature type style (its pass).
pub fn styled_symbolizers<'s>(style: &'s Style, attributes: &[Attribute], values: &[Value], scale: f64) -> Vec<(usize, &'s Symbolizer)> {
    let mut out = Vec::new();
    for (i, fts) in style.feature_type_styles.iter().enumerate() {
        let mut matched = false;
        for rule in fts.rules.iter().filter(|r| r.in_scale(scale)) {
            let applies = match &rule.filter {
                RuleFilter::All => true,
                RuleFilter::Filter(f) => evaluate(f, attributes, values),
                RuleFilter::Else => false,
            };
            if applies {
                matched = true;
                out.extend(rule.symbolizers.iter().map(|s| (i, s)));
            }
        }
        if !matched {
            for rule in fts.rules.iter().filter(|r| r.in_scale(scale) && r.filter == RuleFilter::Else) {
                out.extend(rule.symbolizers.iter().map(|s| (i, s)));
            }
        }
    }
    out
}

/// Largest external graphic file, bytes.
const MAX_GRAPHIC_BYTES: u64 = 1 << 20;
/// Largest external graphic side, pixels.
const MAX_GRAPHIC_SIDE: u32 = 512;

/// Loads the `ExternalGraphic` images a style names from `dir` (the styles folder; names were
/// checked to be plain file names by the SLD parser). Returns one message per graphic that
/// cannot be used; such symbolizers keep drawing their mark, or nothing.
pub fn load_graphics(style: &mut Style, dir: &std::path::Path) -> Vec<String> {
    let mut problems = Vec::new();
    for rule in style.feature_type_styles.iter_mut().flat_map(|f| f.rules.iter_mut()) {
        for sym in &mut rule.symbolizers {
            let Symbolizer::Point(p) = sym else { continue };
            let Some(g) = &mut p.graphic else { continue };
            let path = dir.join(&g.href);
            let loaded = std::fs::metadata(&path)
                .map_err(|e| e.to_string())
                .and_then(|m| if m.len() > MAX_GRAPHIC_BYTES { Err("larger than 1 MiB".to_string()) } else { Ok(()) })
                .and_then(|_| std::fs::read(&path).map_err(|e| e.to_string()))
                .and_then(|bytes| tiny_skia::Pixmap::decode_png(&bytes).map_err(|e| e.to_string()))
                .and_then(|img| {
                    if img.width() > MAX_GRAPHIC_SIDE || img.height() > MAX_GRAPHIC_SIDE {
                        Err(format!("larger than {MAX_GRAPHIC_SIDE}×{MAX_GRAPHIC_SIDE} pixels"))
                    } else {
                        Ok(img)
                    }
                });
            match loaded {
                Ok(img) => g.image = Some(std::sync::Arc::new(img)),
                Err(e) => problems.push(format!("external graphic {}: {e}", g.href)),
            }
        }
    }
    problems
}

/// The attribute names a style reads, in its filters and labels (so the renderer selects only
/// those).
pub fn style_properties(style: &Style) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in style.feature_type_styles.iter().flat_map(|f| f.rules.iter()) {
        let mut names = match &rule.filter {
            RuleFilter::Filter(f) => f.properties(),
            _ => Vec::new(),
        };
        names.extend(rule.symbolizers.iter().filter_map(|s| match s {
            Symbolizer::Text(t) => Some(t.property.clone()),
            _ => None,
        }));
        for p in names {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

pub(crate) fn value_of<'v>(attributes: &[Attribute], values: &'v [Value], property: &str) -> Option<&'v Value> {
    attributes.iter().position(|a| a.name == property).and_then(|i| values.get(i))
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (x, y) => {
            let num = |v: &Value| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                Value::Text(t) => t.trim().parse().ok(),
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                Value::Null => None,
            };
            num(x)?.partial_cmp(&num(y)?)
        }
    }
}

/// Evaluates an attribute filter in memory (spatial operators are not used in styles: false).
pub fn evaluate(filter: &Filter, attributes: &[Attribute], values: &[Value]) -> bool {
    use std::cmp::Ordering::*;
    match filter {
        Filter::And(v) => v.iter().all(|f| evaluate(f, attributes, values)),
        Filter::Or(v) => v.iter().any(|f| evaluate(f, attributes, values)),
        Filter::Not(f) => !evaluate(f, attributes, values),
        Filter::Compare { property, op, value } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            let literal = coerce_like(v, value);
            match (op, compare(v, &literal)) {
                (_, None) => false,
                (CompareOp::Eq, Some(o)) => o == Equal,
                (CompareOp::Ne, Some(o)) => o != Equal,
                (CompareOp::Lt, Some(o)) => o == Less,
                (CompareOp::Le, Some(o)) => o != Greater,
                (CompareOp::Gt, Some(o)) => o == Greater,
                (CompareOp::Ge, Some(o)) => o != Less,
            }
        }
        Filter::Between { property, low, high } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            matches!(compare(v, &coerce_like(v, low)), Some(Greater | Equal))
                && matches!(compare(v, &coerce_like(v, high)), Some(Less | Equal))
        }
        Filter::Like { property, pattern, match_case } => match value_of(attributes, values, property) {
            Some(Value::Null) | None => false,
            Some(v) => like_matches(&v.to_string(), pattern, *match_case),
        },
        Filter::IsNull { property } => matches!(value_of(attributes, values, property), Some(Value::Null) | None),
        Filter::In { property, values: list } => {
            let Some(v) = value_of(attributes, values, property) else { return false };
            list.iter().any(|l| compare(v, &coerce_like(v, l)) == Some(Equal))
        }
        _ => false,
    }
}

/// A literal (text from SLD) in the type of the value it is compared with.
fn coerce_like(value: &Value, literal: &Value) -> Value {
    match (value, literal) {
        (Value::Int(_), Value::Text(t)) => t
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .or_else(|_| t.trim().parse::<f64>().map(Value::Float))
            .unwrap_or_else(|_| literal.clone()),
        (Value::Float(_), Value::Text(t)) => t.trim().parse::<f64>().map(Value::Float).unwrap_or_else(|_| literal.clone()),
        (Value::Bool(_), Value::Text(t)) => match t.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => literal.clone(),
        },
        _ => literal.clone(),
    }
}

/// A fallback style for a geometry type, used when a layer has no style of its own.
pub fn default_style(geometry_type: &str) -> Style {
    use super::style::{FeatureTypeStyle, Fill, LineSymbolizer, PolygonSymbolizer};
    let stroke = |c: Color, w: f32| Stroke { color: c, width: w, dash: None, cap: LineCap::Round, join: LineJoin::Round };
    let grey = Color { r: 90, g: 90, b: 90, a: 255 };
    let symbolizer = match geometry_type {
        "Point" | "MultiPoint" => Symbolizer::Point(PointSymbolizer {
            shape: MarkShape::Circle,
            size: 7.0,
            rotation: 0.0,
            fill: Some(Fill { color: Color { r: 230, g: 120, b: 30, a: 255 } }),
            stroke: Some(stroke(Color { r: 255, g: 255, b: 255, a: 255 }, 1.0)),
            graphic: None,
        }),
        "LineString" | "MultiLineString" => {
            Symbolizer::Line(LineSymbolizer { stroke: stroke(Color { r: 60, g: 110, b: 200, a: 255 }, 1.5) })
        }
        _ => Symbolizer::Polygon(PolygonSymbolizer {
            fill: Some(Fill { color: Color { r: 200, g: 200, b: 190, a: 160 } }),
            stroke: Some(stroke(grey, 0.8)),
        }),
    };
    Style {
        name: "default".into(),
        title: Some("Default".into()),
        feature_type_styles: vec![FeatureTypeStyle { rules: vec![Rule { symbolizers: vec![symbolizer], ..Rule::default() }] }],
    }
}
