//! `/collections/{id}/items` and `/items/{featureId}`: the typed request
//! ([`ItemsRequest::parse`], every parameter checked against the collection), then the
//! query: `numberMatched` when the count answers quickly, one row more than the page to know
//! whether a `next` page exists, the rows streamed into the GeoJSON or HTML encoder.

use std::sync::Arc;
use std::time::Duration;

use crate::catalog::Layer;
use crate::crs::{Bbox, Crs};
use crate::filter::cql2::{Cql2Context, Cql2Error, Cql2Lang};
use crate::filter::{CompareOp, Filter};
use crate::http::exception::{ExceptionCode, OgcException};
use crate::model::{AttributeType, Value};
use crate::source::{FeatureQuery, ResolvedQuery, SortKey, TenantScope};

use super::params::Query;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 10;
/// How long the count may take before `numberMatched` is left out of a page.
pub const COUNT_BUDGET: Duration = Duration::from_millis(300);

pub(super) fn invalid(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

/// The property a collection's `datetime` applies to: its first date attribute.
pub fn temporal_property(layer: &Layer) -> Option<&str> {
    layer.schema.attributes.iter().find(|a| a.kind == AttributeType::Date).map(|a| a.name.as_str())
}

/// A CRS parameter (`crs`, `bbox-crs`, `filter-crs`): a URI (or URN) of the registry.
pub fn crs_param(query: &Query, name: &str) -> Result<Option<Crs>, OgcException> {
    query
        .get(name)
        .map(|v| {
            Crs::parse(v).map(|(c, _)| c).ok_or_else(|| {
                let shown: String = v.chars().take(80).collect();
                invalid(name, format!("unsupported CRS '{shown}'; see the collection's crs list"))
            })
        })
        .transpose()
}

/// A decoded `/items` request.
#[derive(Debug)]
pub struct ItemsRequest {
    /// Page size (clamped to the server's maximum).
    pub limit: u64,
    /// Rows skipped.
    pub offset: u64,
    /// Output CRS.
    pub crs: Crs,
    /// Everything the source needs (filter, bbox, sort, properties, CRS).
    pub query: FeatureQuery,
}

impl ItemsRequest {
    /// Decodes and checks the parameters against `layer`.
    pub fn parse(query: &Query, layer: &Layer, max: u64, tenant: Option<TenantScope>) -> Result<ItemsRequest, OgcException> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => v.trim().parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| invalid("limit", "limit is a whole number ≥ 1"))?,
        }
        .min(max);
        let offset = match query.get("offset") {
            None => 0,
            Some(v) => v.trim().parse::<u64>().map_err(|_| invalid("offset", "offset is a whole number ≥ 0"))?,
        };
        let crs = crs_param(query, "crs")?.unwrap_or(Crs::CRS84);
        let mut conjuncts = Vec::new();
        if let Some(f) = datetime_filter(query, layer)? {
            conjuncts.push(f);
        }
        conjuncts.extend(property_filters(query, layer));
        if let Some(f) = cql2_filter(query, layer)? {
            conjuncts.push(f);
        }
        let filter = match conjuncts.len() {
            0 => None,
            1 => conjuncts.pop(),
            _ => Some(Filter::And(conjuncts)),
        };
        let properties =
            query.get("properties").map(|list| list.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect::<Vec<_>>());
        if let Some(names) = &properties {
            if let Some(unknown) = names.iter().find(|n| layer.schema.attribute_index(n).is_none()) {
                let shown: String = unknown.chars().take(64).collect();
                return Err(invalid("properties", format!("collection {} has no property '{shown}'", layer.name())));
            }
        }
        let sort = sort_keys(query, layer)?;
        let query = FeatureQuery {
            bbox: bbox(query)?,
            filter,
            sort,
            offset,
            limit: Some(limit + 1),
            properties,
            output_crs: Some(crs),
            tenant,
            ..Default::default()
        };
        Ok(ItemsRequest { limit, offset, crs, query })
    }

    /// Resolves the query against the layer (allow-list, literals, CRS).
    pub fn resolve(&self, layer: &Layer) -> Result<ResolvedQuery, OgcException> {
        self.query.resolve(&layer.schema, self.limit + 1).map_err(|e| {
            let mut e = OgcException::from(e);
            e.status = Some(400);
            e
        })
    }
}

/// `bbox` (4 or 6 numbers) in `bbox-crs` (CRS84 by default), in that CRS's axis order.
fn bbox(query: &Query) -> Result<Option<(Bbox, Crs)>, OgcException> {
    let crs = crs_param(query, "bbox-crs")?;
    let Some(raw) = query.get("bbox") else {
        if crs.is_some() {
            return Err(invalid("bbox-crs", "bbox-crs needs a bbox"));
        }
        return Ok(None);
    };
    let crs = crs.unwrap_or(Crs::CRS84);
    let n: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| invalid("bbox", "bbox is 4 or 6 comma-separated numbers"))?;
    let (a, b, c, d) = match n.len() {
        4 => (n[0], n[1], n[2], n[3]),
        6 => (n[0], n[1], n[3], n[4]),
        _ => return Err(invalid("bbox", "bbox is 4 or 6 comma-separated numbers")),
    };
    let (x0, y0, x1, y1) = if crs.north_first() { (b, a, d, c) } else { (a, b, c, d) };
    if crs.is_geographic() && (y0 < -90.0 || y1 > 90.0) {
        return Err(invalid("bbox", "latitudes lie between -90 and 90"));
    }
    // A box crossing the antimeridian (min lon > max lon) is not needed for the Città
    // Metropolitana: refuse it rather than answer wrongly.
    let b = Bbox::new(x0, y0, x1, y1).ok_or_else(|| invalid("bbox", "the lower corner of bbox must not exceed the upper corner"))?;
    Ok(Some((b, crs)))
}

/// Property equality parameters (`?nome=Milano`).
fn property_filters<'a>(query: &'a Query, layer: &'a Layer) -> impl Iterator<Item = Filter> + 'a {
    query.pairs().filter(|(k, _)| layer.schema.attribute_index(k).is_some()).map(|(k, v)| Filter::Compare {
        property: k.to_string(),
        op: CompareOp::Eq,
        value: Value::Text(v.to_string()),
    })
}

/// `datetime`: an instant, or an interval with `..` or empty for an open end, matched against
/// the collection's date property; collections without one ignore it.
fn datetime_filter(query: &Query, layer: &Layer) -> Result<Option<Filter>, OgcException> {
    let Some(raw) = query.get("datetime") else { return Ok(None) };
    let bad = || invalid("datetime", "datetime is an RFC 3339 date or date-time, or an interval a/b with '..' for an open end");
    // A date, or an RFC 3339 date-time (its UTC date: the property holds dates).
    let day = |s: &str| -> Result<Option<String>, OgcException> {
        let s = s.trim();
        if s.is_empty() || s == ".." {
            return Ok(None);
        }
        utc_date(s).map(Some).ok_or_else(bad)
    };
    let (start, end) = match raw.split_once('/') {
        Some((a, b)) => {
            let (a, b) = (day(a)?, day(b)?);
            if let (Some(a), Some(b)) = (&a, &b) {
                if a > b {
                    return Err(invalid("datetime", "the interval's start is after its end"));
                }
            }
            (a, b)
        }
        None => {
            let d = day(raw)?.ok_or_else(bad)?;
            (Some(d.clone()), Some(d))
        }
    };
    let Some(property) = temporal_property(layer) else { return Ok(None) };
    let property = property.to_string();
    Ok(match (start, end) {
        (Some(a), Some(b)) if a == b => Some(Filter::Compare { property, op: CompareOp::Eq, value: Value::Text(a) }),
        (Some(a), Some(b)) => Some(Filter::Between { property, low: Value::Text(a), high: Value::Text(b) }),
        (Some(a), None) => Some(Filter::Compare { property, op: CompareOp::Ge, value: Value::Text(a) }),
        (None, Some(b)) => Some(Filter::Compare { property, op: CompareOp::Le, value: Value::Text(b) }),
        (None, None) => None,
    })
}

/// The UTC calendar date of an RFC 3339 date (`2020-05-01`) or date-time
/// (`2020-05-01T23:30:00-02:00` is `2020-05-02`); `None` when it is neither.
pub fn utc_date(s: &str) -> Option<String> {
    if s.len() == 10 {
        return s.parse::<jiff::civil::Date>().ok().map(|d| d.to_string());
    }
    let t: jiff::Timestamp = s.parse().ok()?;
    Some(t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
}

/// `filter` in `filter-lang`, with geometry literals in `filter-crs`.
fn cql2_filter(query: &Query, layer: &Layer) -> Result<Option<Filter>, OgcException> {
    let lang = match query.get("filter-lang") {
        None => Cql2Lang::Text,
        Some(l) => Cql2Lang::parse(l.trim()).ok_or_else(|| invalid("filter-lang", "filter-lang is cql2-text, cql2-json or cql-text"))?,
    };
    let crs = crs_param(query, "filter-crs")?.unwrap_or(Crs::CRS84);
    let Some(text) = query.get("filter") else {
        if query.get("filter-crs").is_some() || query.get("filter-lang").is_some() {
            return Err(invalid("filter", "filter-lang and filter-crs need a filter"));
        }
        return Ok(None);
    };
    let attributes: Vec<(String, AttributeType)> = layer.schema.attributes.iter().map(|a| (a.name.clone(), a.kind)).collect();
    let ctx = Cql2Context { geometry: &layer.config.geometry_column, attributes: &attributes, crs };
    crate::filter::cql2::parse(text, lang, &ctx).map(Some).map_err(|e| match e {
        Cql2Error::Unsupported(m) => OgcException::new(ExceptionCode::InvalidParameterValue, m).at("filter"),
        other => invalid("filter", other.to_string()),
    })
}

/// `sortby=+a,-b,c`.
fn sort_keys(query: &Query, layer: &Layer) -> Result<Vec<SortKey>, OgcException> {
    let Some(raw) = query.get("sortby") else { return Ok(vec![]) };
    raw.split(',')
        .map(|item| {
            let item = item.trim();
            let (descending, name) = match item.as_bytes().first() {
                Some(b'-') => (true, &item[1..]),
                Some(b'+') => (false, &item[1..]),
                _ => (false, item),
            };
            if layer.schema.attribute_index(name).is_none() {
                let shown: String = name.chars().take(64).collect();
                return Err(invalid("sortby", format!("collection {} has no sortable property '{shown}'", layer.name())));
            }
            Ok(SortKey { property: name.to_string(), descending })
        })
        .collect()
}

/// `numberMatched` if the count answers within [`COUNT_BUDGET`]; a slower count finishes in
/// the background (its connection goes back to the pool, and its result is kept for the next
/// pages) and the page goes without it; at most two counts of a layer run at once. Counts are
/// cached per layer by the resolved predicate (tenant restriction included), so paging through
/// a selection counts it once.
pub async fn quick_count(layer: &Arc<Layer>, resolved: &ResolvedQuery) -> Option<u64> {
    let key = crate::catalog::CountCache::key(&format!("{:?}", resolved.predicate));
    if let Some(n) = layer.counts.get(&key).await {
        return Some(n);
    }
    let slot = layer.counts.background()?;
    let (counting, schema, query) = (Arc::clone(layer), Arc::clone(&layer.schema), resolved.clone());
    let task = tokio::spawn(async move {
        let _slot = slot;
        let n = counting.source.count(schema, query).await?;
        counting.counts.insert(key, n).await;
        Ok::<u64, crate::source::SourceError>(n)
    });
    match tokio::time::timeout(COUNT_BUDGET, task).await {
        Ok(Ok(Ok(n))) => Some(n),
        Ok(Ok(Err(e))) => {
            tracing::warn!("count for numberMatched failed: {e}");
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_times_count_by_their_utc_date() {
        assert_eq!(super::utc_date("2020-05-01").as_deref(), Some("2020-05-01"));
        assert_eq!(super::utc_date("2020-05-01T23:30:00-02:00").as_deref(), Some("2020-05-02"));
        assert_eq!(super::utc_date("2020-05-01T10:00:00Z").as_deref(), Some("2020-05-01"));
        assert_eq!(super::utc_date("2020-02-30"), None);
        assert_eq!(super::utc_date("yesterday"), None);
        assert_eq!(super::utc_date("2020-05-01T10:00:00"), None, "RFC 3339 wants an offset");
    }
}
