//! Building the search index from the `[[search]]` layers: every feature streamed from its
//! source (any kind), comune by comune, its label rendered from the template, placed at a point
//! on it (a point, the middle of its longest line, a point inside it) in WGS84. Features of a
//! street kind with the same label in the same comune become one entry covering them all.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use geo::{BoundingRect, InteriorPoint, InterpolatableLine, Length};
use geozero::ToGeo;

use super::{words, Entry, Part, SearchError};
use crate::catalog::{Catalog, TenantKind};
use crate::config::{label_parts, LabelPart, SearchConfig, SearchKind};
use crate::crs::{Bbox, Crs};
use crate::source::FeatureQuery;

/// Identifies what an index was built from: the `[[search]]` entries, their layers' sources and
/// tables, and the format version of the entries. Data changes are not in it (rebuild with
/// `navigli search index`).
pub fn fingerprint(catalog: &Catalog) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"navigli-search-1\n");
    for s in &catalog.search {
        h.update(format!("{}|{}|{}\n", s.layer, s.kind.as_str(), s.label));
        if let Some(layer) = catalog.layers.iter().find(|l| l.name() == s.layer) {
            h.update(format!("{}|{}|{:?}\n", layer.config.source, layer.source.kind(), layer.config.table));
        }
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A point representing a geometry, and its bounding box.
fn place(g: &geo::Geometry<f64>) -> Option<(geo::Coord<f64>, geo::Rect<f64>)> {
    let rect = g.bounding_rect()?;
    let point = match g {
        geo::Geometry::Point(p) => p.0,
        geo::Geometry::MultiPoint(mp) => mp.0.first()?.0,
        geo::Geometry::LineString(l) => l.point_at_ratio_from_start(&geo::Euclidean, 0.5)?.0,
        geo::Geometry::MultiLineString(ml) => {
            let longest = ml.0.iter().max_by(|a, b| geo::Euclidean.length(*a).total_cmp(&geo::Euclidean.length(*b)))?;
            longest.point_at_ratio_from_start(&geo::Euclidean, 0.5)?.0
        }
        other => other.interior_point()?.0,
    };
    Some((point, rect))
}

/// A label from its template and the feature's values (in template field order).
fn render(parts: &[LabelPart], fields: &[String], values: &[crate::model::Value]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            LabelPart::Text(t) => out.push_str(t),
            LabelPart::Field(f) => {
                if let Some(v) = fields.iter().position(|x| x == f).and_then(|i| values.get(i)) {
                    out.push_str(&v.to_string());
                }
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every entry of the catalog's `[[search]]` layers: each comune's features as that comune's
/// tenant sees them (its tenant column, or its boundary for layers without one), so a search
/// finds exactly what the tenant's services show.
pub async fn entries(catalog: &Catalog) -> Result<Vec<Entry>, SearchError> {
    let mut out = Vec::new();
    for s in &catalog.search {
        out.extend(layer_entries(catalog, s, None).await?.1);
    }
    Ok(out)
}

/// How far (degrees, ~0.1 m) a changed area is widened, so a place on its edge is not lost to
/// rounding between reprojections.
const EDGE: f64 = 1e-6;

/// The entries of one `[[search]]` layer: everywhere, or, with `area` (WGS 84 lon/lat), what a
/// change of the data within it can have changed — in the comuni meeting it, the places that
/// lie in it (and all streets of those comuni: a street's entry joins pieces beyond the area).
/// The [`Part`] says which rows of the index the entries replace.
pub async fn layer_entries(catalog: &Catalog, s: &SearchConfig, area: Option<Bbox>) -> Result<(Part, Vec<Entry>), SearchError> {
    let layer = catalog.layers.iter().find(|l| l.name() == s.layer).ok_or_else(|| SearchError::Build(format!("no layer '{}'", s.layer)))?;
    let parts = label_parts(&s.label).map_err(SearchError::Build)?;
    let mut fields: Vec<String> = crate::config::label_fields(&s.label).map_err(SearchError::Build)?;
    fields.sort();
    fields.dedup();
    let area = area.map(|a| a.expand(EDGE));
    let within = area.filter(|_| s.kind != SearchKind::Strada);
    let mut part = Part { layer: s.layer.clone(), scopes: None, within, fingerprint: fingerprint(catalog) };
    let mut scopes = Vec::new();
    let mut out = Vec::new();
    for tenant in &catalog.tenants {
        let TenantKind::Comune(comune) = &tenant.kind else { continue };
        if area.is_some_and(|a| !a.intersects(&tenant.extent_lonlat)) {
            continue;
        }
        scopes.push(tenant.id.clone());
        let query = FeatureQuery {
            bbox: within.map(|a| (a, Crs::CRS84)),
            properties: Some(fields.clone()),
            output_crs: Some(Crs::CRS84),
            tenant: tenant.scope(),
            ..Default::default()
        };
        let resolved = query.resolve(&layer.schema, u64::MAX).map_err(|e| SearchError::Build(format!("{}: {e}", s.layer)))?;
        let mut stream = layer.source.query(layer.schema.clone(), resolved).await.map_err(|e| SearchError::Build(e.to_string()))?;
        // Streets: one entry per label.
        let mut merged: BTreeMap<String, (Entry, f64)> = BTreeMap::new();
        while let Some(feature) = stream.next().await {
            let feature = feature.map_err(|e| SearchError::Build(e.to_string()))?;
            let Some(wkb) = feature.wkb else { continue };
            let Ok(geometry) = geozero::wkb::Wkb(wkb).to_geo() else { continue };
            let Some((point, rect)) = place(&geometry) else { continue };
            if within.is_some_and(|a| !a.contains(point.x, point.y)) {
                // Met by the area but placed outside it: its row is not replaced.
                continue;
            }
            let label = render(&parts, &fields, &feature.values);
            if label.is_empty() {
                continue;
            }
            let detail = (comune.name != label).then(|| comune.name.clone());
            let text = match &detail {
                Some(d) => format!("{label} {d}"),
                None => label.clone(),
            };
            let entry = Entry {
                kind: s.kind,
                layer: s.layer.clone(),
                fid: Some(feature.id),
                scope: Some(tenant.id.clone()),
                words: words(&text).join(" "),
                label,
                detail,
                lon: point.x,
                lat: point.y,
                bbox: (!matches!(geometry, geo::Geometry::Point(_))).then_some([rect.min().x, rect.min().y, rect.max().x, rect.max().y]),
            };
            if s.kind == SearchKind::Strada {
                merge(&mut merged, entry, &geometry);
            } else {
                out.push(entry);
            }
        }
        out.extend(merged.into_values().map(|(e, _)| e));
    }
    if area.is_some() {
        part.scopes = Some(scopes);
    }
    Ok((part, out))
}

/// Adds a street piece to its street: the box grows, the point stays on the longest piece,
/// the id is the lowest.
fn merge(merged: &mut BTreeMap<String, (Entry, f64)>, piece: Entry, geometry: &geo::Geometry<f64>) {
    let length = match geometry {
        geo::Geometry::MultiLineString(ml) => geo::Euclidean.length(ml),
        geo::Geometry::LineString(l) => geo::Euclidean.length(l),
        _ => 0.0,
    };
    let key = piece.label.clone();
    let Some((street, longest)) = merged.get_mut(&key) else {
        merged.insert(key, (piece, length));
        return;
    };
    if let (Some(b), Some(p)) = (street.bbox.as_mut(), piece.bbox) {
        *b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[2]), b[3].max(p[3])];
    }
    street.fid = street.fid.min(piece.fid);
    if length > *longest {
        *longest = length;
        (street.lon, street.lat) = (piece.lon, piece.lat);
    }
}
