//! GetFeature and GetPropertyValue: TYPENAMES, RESOURCEID, BBOX, FILTER, SORTBY, PROPERTYNAME,
//! SRSNAME, COUNT/MAXFEATURES, STARTINDEX, RESULTTYPE, OUTPUTFORMAT, stored queries. Three
//! steps: [`GetFeatureRequest::from_kvp`] decodes the parameters, `plan` checks them against
//! the catalog (layers, filters parsed per layer, allow-listed properties), `execute` runs the
//! counts first (numberMatched and the paging links) and streams each layer's rows into the
//! encoder.

use std::sync::Arc;

use actix_web::HttpResponse;
use futures_util::TryStreamExt;

use super::capabilities::{GML311, GML32, JSON};
use super::schema::requested_layers;
use super::{iso_now, WfsContext, WfsVersion, PREFIX};
use crate::catalog::Layer;
use crate::crs::{Bbox, Crs, CrsSpelling};
use crate::encode::geojson::{GeoJsonCollection, GeoJsonEncoder};
use crate::encode::gml::{GmlCollection, GmlEncoder, GmlVersion, ValueEncoder, ValueKind};
use crate::encode::{body_stream, FeatureEncoder};
use crate::filter::fes::{parse_filter, FesContext, FesError, FesVersion};
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::kvp::Kvp;
use crate::source::{Attribute, FeatureQuery, FeatureStream, ResolvedQuery, SortKey};

/// Most feature types one request may name.
const MAX_TYPES: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Gml(GmlVersion),
    GeoJson,
}

fn invalid(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

fn output_format(kvp: &Kvp, version: WfsVersion) -> Result<OutputFormat, OgcException> {
    let Some(raw) = kvp.get("outputformat") else {
        return Ok(OutputFormat::Gml(match version {
            WfsVersion::V2_0_0 => GmlVersion::V3_2,
            WfsVersion::V1_1_0 => GmlVersion::V3_1_1,
            WfsVersion::V1_0_0 => GmlVersion::V2,
        }));
    };
    let f = raw.replace(' ', "").to_ascii_lowercase();
    Ok(match f.as_str() {
        "application/gml+xml;version=3.2" | "text/xml;subtype=gml/3.2" | "text/xml;subtype=gml/3.2.1" | "gml32" => {
            OutputFormat::Gml(GmlVersion::V3_2)
        }
        "text/xml;subtype=gml/3.1.1" | "gml3" | "text/xml" if version == WfsVersion::V1_1_0 => OutputFormat::Gml(GmlVersion::V3_1_1),
        "gml2" | "text/xml;subtype=gml/2.1.2" | "text/xml" if version == WfsVersion::V1_0_0 => OutputFormat::Gml(GmlVersion::V2),
        "application/json" | "json" | "geojson" | "application/geo+json" => OutputFormat::GeoJson,
        _ => {
            return Err(invalid(
                "outputFormat",
                format!("outputFormat '{}' is not offered ({GML32}, {GML311} for 1.1.0, {JSON})", raw.chars().take(60).collect::<String>()),
            ))
        }
    })
}

/// SRSNAME: the CRS and whether coordinates are written northing first (never in WFS 1.0.0,
/// whose GML 2 is x/y, with the short `EPSG:n` names).
fn output_crs(kvp: &Kvp, native: Crs, version: WfsVersion) -> Result<(Crs, bool, String), OgcException> {
    if version == WfsVersion::V1_0_0 {
        let crs = match kvp.get("srsname") {
            None => native,
            Some(s) => {
                Crs::parse(s)
                    .ok_or_else(|| invalid("srsName", format!("unsupported srsName '{}'", s.chars().take(80).collect::<String>())))?
                    .0
            }
        };
        return Ok((crs, false, crs.code().to_string()));
    }
    match kvp.get("srsname") {
        None => Ok((native, native.north_first(), native.urn())),
        Some(s) => {
            let (crs, spelling) = Crs::parse(s)
                .ok_or_else(|| invalid("srsName", format!("unsupported srsName '{}'", s.chars().take(80).collect::<String>())))?;
            let authority_order = matches!(spelling, CrsSpelling::Urn | CrsSpelling::Uri);
            let swap = authority_order && crs.north_first();
            let name = if authority_order { crs.urn() } else { crs.code().to_string() };
            Ok((crs, swap, name))
        }
    }
}

/// BBOX=a,b,c,d[,crs]: in the given CRS (authority axis order for URN/URI spellings) or the
/// layer's CRS.
fn parse_bbox(kvp: &Kvp, native: Crs) -> Result<Option<(Bbox, Crs)>, OgcException> {
    let Some(parts) = kvp.list("bbox") else { return Ok(None) };
    if parts.len() != 4 && parts.len() != 5 {
        return Err(invalid("bbox", "BBOX needs minx,miny,maxx,maxy[,crs]"));
    }
    let nums: Vec<f64> = parts[..4]
        .iter()
        .map(|p| p.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid("bbox", "BBOX corners must be numbers"))?;
    let (crs, swap) = match parts.get(4) {
        None => (native, false),
        Some(c) => {
            let (crs, spelling) = Crs::parse(c)
                .ok_or_else(|| invalid("bbox", format!("unsupported BBOX CRS '{}'", c.chars().take(80).collect::<String>())))?;
            (crs, crs.north_first() && matches!(spelling, CrsSpelling::Urn | CrsSpelling::Uri))
        }
    };
    let (x1, y1, x2, y2) = if swap { (nums[1], nums[0], nums[3], nums[2]) } else { (nums[0], nums[1], nums[2], nums[3]) };
    let bbox = Bbox::new(x1, y1, x2, y2).ok_or_else(|| invalid("bbox", "BBOX minimum corner must not exceed the maximum"))?;
    Ok(Some((bbox, crs)))
}

fn strip_prefix(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn parse_sort(kvp: &Kvp) -> Result<Vec<SortKey>, OgcException> {
    let Some(items) = kvp.list("sortby") else { return Ok(vec![]) };
    items
        .iter()
        .map(|item| {
            let mut words = item.split_whitespace();
            let property = strip_prefix(words.next().unwrap_or("")).to_string();
            let descending = match words.next().map(|w| w.to_ascii_uppercase()) {
                None => false,
                Some(w) if w == "ASC" || w == "A" => false,
                Some(w) if w == "DESC" || w == "D" => true,
                Some(_) => return Err(invalid("sortBy", "SORTBY direction must be ASC or DESC")),
            };
            if property.is_empty() || words.next().is_some() {
                return Err(invalid("sortBy", "SORTBY expects 'property [ASC|DESC]' items"));
            }
            Ok(SortKey { property, descending })
        })
        .collect()
}

fn fes_error(e: FesError) -> OgcException {
    match e {
        FesError::Unsupported(m) => OgcException::new(ExceptionCode::OperationProcessingFailed, m).with_status(400).at("filter"),
        other => invalid("filter", other.to_string()),
    }
}

/// RESOURCEID=type.1,type.2: ids per type; without TYPENAMES the types come from the ids.
fn resource_ids(kvp: &Kvp) -> Result<Option<Vec<(String, i64)>>, OgcException> {
    let Some(items) = kvp.list("resourceid").or_else(|| kvp.list("featureid")) else { return Ok(None) };
    items
        .iter()
        .map(|rid| {
            let (t, n) = rid.rsplit_once('.').ok_or_else(|| invalid("resourceId", "resource ids look like 'edifici.12'"))?;
            let n: i64 = n.parse().map_err(|_| invalid("resourceId", "resource ids look like 'edifici.12'"))?;
            Ok((strip_prefix(t).to_string(), n))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A GetFeature (or, with `value_reference`, GetPropertyValue) request with every parameter
/// decoded and checked that needs no layer: the typed form of the KVP (and of the XML POST,
/// which is read into the same KVP).
pub struct GetFeatureRequest<'k> {
    version: WfsVersion,
    format: OutputFormat,
    value_reference: Option<&'k str>,
    stored_id: Option<&'k str>,
    resource_ids: Option<Vec<(String, i64)>>,
    has_type_names: bool,
    /// Page size asked (`None`: the server's cap).
    count: Option<u64>,
    start: u64,
    hits: bool,
    sort: Vec<SortKey>,
    /// One FILTER per type, still XML (parsed per layer: it needs the layer's CRS and geometry).
    filters: Option<&'k str>,
    properties: Option<&'k str>,
    kvp: &'k Kvp,
}

impl<'k> GetFeatureRequest<'k> {
    /// Decodes the parameters of a GetFeature (GetPropertyValue when `value_reference`).
    pub fn from_kvp(kvp: &'k Kvp, version: WfsVersion, value_reference: Option<&'k str>) -> Result<Self, OgcException> {
        let format = output_format(kvp, version)?;
        if value_reference.is_some() && format == OutputFormat::GeoJson {
            return Err(invalid("outputFormat", "GetPropertyValue answers XML only"));
        }
        let stored_id = kvp.get("storedquery_id");
        let has_type_names = kvp.has("typenames") || kvp.has("typename");
        if stored_id.is_some() && (has_type_names || kvp.has("filter") || kvp.has("resourceid")) {
            return Err(invalid("storedQuery_Id", "STOREDQUERY_ID excludes TYPENAMES, FILTER and RESOURCEID"));
        }
        let resource_ids = resource_ids(kvp)?;
        if stored_id.is_none() && resource_ids.is_none() && !has_type_names {
            return Err(OgcException::new(ExceptionCode::MissingParameterValue, "TYPENAMES (or RESOURCEID) is mandatory")
                .at(version.type_names_locator()));
        }
        if kvp.has("filter") && kvp.has("bbox") {
            return Err(invalid("filter", "FILTER and BBOX are mutually exclusive"));
        }
        if resource_ids.is_some() && (kvp.has("filter") || kvp.has("bbox")) {
            return Err(invalid("resourceId", "RESOURCEID excludes FILTER and BBOX"));
        }
        let count_param = match version {
            WfsVersion::V2_0_0 => kvp.get("count").or_else(|| kvp.get("maxfeatures")),
            WfsVersion::V1_1_0 | WfsVersion::V1_0_0 => kvp.get("maxfeatures").or_else(|| kvp.get("count")),
        };
        let locator = version.count_locator();
        let count = count_param
            .map(|c| c.parse::<u64>().ok().filter(|c| *c > 0))
            .map(|c| c.ok_or_else(|| invalid(locator, format!("{} must be a positive integer", locator.to_ascii_uppercase()))))
            .transpose()?;
        let start: u64 = match kvp.get("startindex") {
            None => 0,
            Some(s) => s.parse().map_err(|_| invalid("startIndex", "STARTINDEX must be a non-negative integer"))?,
        };
        let hits = match kvp.get("resulttype").map(str::to_ascii_lowercase).as_deref() {
            None | Some("results") => false,
            Some("hits") => true,
            Some(_) => return Err(invalid("resultType", "RESULTTYPE is 'results' or 'hits'")),
        };
        let (sort, filters, properties) = (parse_sort(kvp)?, kvp.get("filter"), kvp.get("propertyname"));
        Ok(GetFeatureRequest {
            version,
            format,
            value_reference,
            stored_id,
            resource_ids,
            has_type_names,
            count,
            start,
            hits,
            sort,
            filters,
            properties,
            kvp,
        })
    }
}

/// One feature type of the request, its query checked once against the layer.
struct Planned<'a> {
    layer: &'a Layer,
    resolved: ResolvedQuery,
    attributes: Vec<Attribute>,
}

/// A request checked against the catalog: its layers with their resolved queries, ready to run.
struct Plan<'a> {
    layers: Vec<&'a Layer>,
    planned: Vec<Planned<'a>>,
    /// Output CRS, whether axes are swapped, and its name as written.
    output: (Crs, bool, String),
    value_kind: Option<(ValueKind, String)>,
    /// GetFeatureById: the bare feature, and 404 when there is none.
    bare: bool,
    count: u64,
}

/// `GetFeature`, or with `value_reference` `GetPropertyValue` (WFS 2.0).
pub async fn get_feature(
    ctx: &WfsContext<'_>,
    version: WfsVersion,
    kvp: &Kvp,
    value_reference: Option<&str>,
) -> Result<HttpResponse, OgcException> {
    let request = GetFeatureRequest::from_kvp(kvp, version, value_reference)?;
    let plan = plan(ctx, &request)?;
    execute(ctx, &request, plan).await
}

/// The layers a request names: those of its stored query, of its resource ids, or TYPENAMES.
fn plan_layers<'a>(
    ctx: &'a WfsContext<'_>,
    request: &GetFeatureRequest<'_>,
) -> Result<(Vec<&'a Layer>, Option<super::stored::StoredSelection<'a>>), OgcException> {
    if let Some(id) = request.stored_id {
        let stored = super::stored::select(ctx, id, request.kvp)?;
        return Ok((stored.layers.clone(), Some(stored)));
    }
    let layers: Vec<&Layer> = match (&request.resource_ids, request.has_type_names) {
        (Some(ids), false) => {
            let mut names: Vec<&str> = ids.iter().map(|(t, _)| t.as_str()).collect();
            names.dedup();
            names.iter().map(|n| ctx.layer(n, "resourceId")).collect::<Result<_, _>>()?
        }
        _ => requested_layers(ctx, request.kvp, request.version)?,
    };
    if let Some(ids) = &request.resource_ids {
        // Ids must name the requested types: an id of another type is a contradiction, not an
        // empty answer.
        if let Some((t, n)) = ids.iter().find(|(t, _)| !layers.iter().any(|l| l.name() == t)) {
            let shown: String = format!("{t}.{n}").chars().take(64).collect();
            return Err(invalid("resourceId", format!("resource id '{shown}' is not of the requested feature types")));
        }
    }
    Ok((layers, None))
}

/// Checks a request against the catalog: its layers, each layer's filter, properties and sort.
fn plan<'a>(ctx: &'a WfsContext<'_>, request: &GetFeatureRequest<'_>) -> Result<Plan<'a>, OgcException> {
    let (layers, stored) = plan_layers(ctx, request)?;
    let type_names = request.version.type_names_locator();
    if request.value_reference.is_some() && layers.len() != 1 {
        return Err(invalid(type_names, "GetPropertyValue takes exactly one feature type"));
    }
    let value_kind = request.value_reference.map(|v| value_kind(layers[0], v)).transpose()?;
    if layers.len() > MAX_TYPES {
        return Err(invalid(type_names, format!("at most {MAX_TYPES} feature types per request")));
    }
    let filters: Option<Vec<&str>> = request.filters.map(|f| split_parenthesised(f, layers.len()));
    if filters.as_ref().is_some_and(|f| f.len() != layers.len()) {
        return Err(invalid("filter", "give one FILTER per feature type, each in parentheses"));
    }
    let properties = request.properties.map(|p| split_parenthesised(p, layers.len()));
    let mut planned = Vec::with_capacity(layers.len());
    let mut output = None;
    for (i, layer) in layers.iter().enumerate() {
        let (crs, swap, srs_name) = output_crs(request.kvp, layer.schema.crs, request.version)?;
        output.get_or_insert((crs, swap, srs_name));
        let extra = stored.as_ref().and_then(|s| s.filters.get(i).cloned());
        let filter = layer_filter(request, layer, filters.as_ref().map(|f| f[i]), extra)?;
        let property_list = properties.as_ref().and_then(|p| p.get(i)).copied();
        planned.push(plan_layer(request, layer, filter, property_list, &value_kind, crs, ctx)?);
    }
    let max = ctx.catalog.server.max_features;
    Ok(Plan {
        layers,
        planned,
        output: output.unwrap_or((Crs::UTM32N, false, String::new())),
        value_kind,
        bare: stored.as_ref().is_some_and(|s| s.bare),
        count: request.count.map_or(max, |c| c.min(max)),
    })
}

/// A layer's filter: its FILTER (parsed for this layer), or its resource ids, and the stored
/// query's own filter.
fn layer_filter(
    request: &GetFeatureRequest<'_>,
    layer: &Layer,
    xml: Option<&str>,
    stored: Option<Filter>,
) -> Result<Option<Filter>, OgcException> {
    let mut filter = match xml {
        Some(xml) => {
            let fes = FesContext {
                version: if request.version == WfsVersion::V2_0_0 { FesVersion::V2_0 } else { FesVersion::V1_1 },
                type_name: layer.name(),
                default_crs: layer.schema.crs,
                geometry: Some(&layer.config.geometry_column),
                xy_order: request.version == WfsVersion::V1_0_0,
            };
            Some(parse_filter(xml, &fes).map_err(fes_error)?)
        }
        None => None,
    };
    if let Some(ids) = &request.resource_ids {
        filter = Some(Filter::Ids(ids.iter().filter(|(t, _)| t == layer.name()).map(|(_, n)| *n).collect()));
    }
    Ok(match (filter, stored) {
        (Some(f), Some(extra)) => Some(Filter::And(vec![f, extra])),
        (f, extra) => f.or(extra),
    })
}

/// One layer's query, resolved against its allow-list.
fn plan_layer<'a>(
    request: &GetFeatureRequest<'_>,
    layer: &'a Layer,
    filter: Option<Filter>,
    property_list: Option<&str>,
    value_kind: &Option<(ValueKind, String)>,
    crs: Crs,
    ctx: &WfsContext<'_>,
) -> Result<Planned<'a>, OgcException> {
    let geometry = &layer.config.geometry_column;
    let (with_geometry, names) = match property_list {
        None => (true, None),
        Some(list) if list.trim() == "*" => (true, None),
        Some(list) => {
            let names: Vec<String> = list.split(',').map(|n| strip_prefix(n.trim()).to_string()).filter(|n| !n.is_empty()).collect();
            if let Some(unknown) = names.iter().find(|n| *n != geometry && layer.schema.attribute_index(n).is_none()) {
                let shown: String = unknown.chars().take(64).collect();
                return Err(invalid("propertyName", format!("layer {} has no property '{shown}'", layer.name())));
            }
            (names.contains(geometry), Some(names.into_iter().filter(|n| n != geometry).collect::<Vec<_>>()))
        }
    };
    let (names, with_geometry) = match value_kind {
        None => (names, with_geometry),
        Some((ValueKind::Attribute, name)) => (Some(vec![name.clone()]), false),
        Some((ValueKind::Geometry, _)) => (Some(vec![]), true),
        Some((ValueKind::Id, _)) => (Some(vec![]), false),
    };
    if let Some(unknown) = request.sort.iter().find(|k| layer.schema.attribute_index(&k.property).is_none()) {
        let shown: String = unknown.property.chars().take(64).collect();
        return Err(invalid("sortBy", format!("layer {} has no property '{shown}'", layer.name())));
    }
    let query = FeatureQuery {
        bbox: parse_bbox(request.kvp, layer.schema.crs)?,
        filter,
        sort: request.sort.clone(),
        properties: names,
        output_crs: Some(crs),
        tenant: ctx.tenant.scope(),
        skip_geometry: !with_geometry,
        ..Default::default()
    };
    let resolved = query.resolve(&layer.schema, u64::MAX).map_err(OgcException::from)?;
    let attributes = resolved.columns.iter().map(|&c| layer.schema.attributes[c].clone()).collect();
    Ok(Planned { layer, resolved, attributes })
}

/// Runs a plan: counts first (numberMatched, and each layer's slice of the global page), then
/// the streams of the page, handed to the encoder of the output format.
async fn execute(ctx: &WfsContext<'_>, request: &GetFeatureRequest<'_>, plan: Plan<'_>) -> Result<HttpResponse, OgcException> {
    // The counts of all types run concurrently (they decide when the first byte can go out).
    let counts = plan
        .planned
        .iter()
        .map(|p| async move { p.layer.source.count(p.layer.schema.clone(), p.resolved.clone()).await.map_err(log_source) });
    let matched_per_layer = futures_util::future::join_all(counts).await.into_iter().collect::<Result<Vec<u64>, _>>()?;
    let matched: u64 = matched_per_layer.iter().sum();
    if plan.bare && matched == 0 {
        let id = request.kvp.get("id").unwrap_or_default().chars().take(64).collect::<String>();
        return Err(OgcException::new(ExceptionCode::NotFound, format!("no feature with id '{id}'")).at("id"));
    }
    let (start, count, hits) = (request.start, plan.count, request.hits);
    let returned = if hits { 0 } else { count.min(matched.saturating_sub(start)) };
    let mut page = Page { streams: Vec::new(), types: Vec::new(), geometry_property: Vec::new() };
    if !hits {
        let (mut skip, mut remaining) = (start, returned);
        for (p, n) in plan.planned.iter().zip(&matched_per_layer) {
            let offset = skip.min(*n);
            skip -= offset;
            let take = remaining.min(n - offset);
            remaining -= take;
            if take == 0 {
                continue;
            }
            let resolved = ResolvedQuery { offset, limit: take, ..p.resolved.clone() };
            page.streams.push(p.layer.source.query(Arc::clone(&p.layer.schema), resolved).await.map_err(log_source)?);
            page.types.push((p.layer.name().to_string(), p.attributes.clone()));
            page.geometry_property.push(p.layer.config.geometry_column.clone());
        }
    }
    let link = |index: u64| page_link(ctx, request.kvp, index);
    let next = (!hits && start + returned < matched).then(|| link(start + returned));
    let previous = (!hits && start > 0).then(|| link(start.saturating_sub(count)));
    Ok(respond(ctx, request, &plan, page, (matched, returned), (next, previous)))
}

/// The streams of one page, with the types they are of.
struct Page {
    streams: Vec<FeatureStream>,
    types: Vec<(String, Vec<Attribute>)>,
    geometry_property: Vec<String>,
}

/// The request's URL at another STARTINDEX (for `next` and `previous`).
fn page_link(ctx: &WfsContext<'_>, kvp: &Kvp, index: u64) -> String {
    let mut q: Vec<(String, String)> =
        form_urlencoded::parse(kvp_query(kvp).as_bytes()).into_owned().filter(|(k, _)| !k.eq_ignore_ascii_case("startindex")).collect();
    q.push(("STARTINDEX".into(), index.to_string()));
    let encoded: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(q).finish();
    format!("{}?{encoded}", ctx.service_url)
}

/// The streaming response in the request's output format.
fn respond(
    ctx: &WfsContext<'_>,
    request: &GetFeatureRequest<'_>,
    plan: &Plan<'_>,
    page: Page,
    (matched, returned): (u64, u64),
    (next, previous): (Option<String>, Option<String>),
) -> HttpResponse {
    let (crs, swap, srs_name) = plan.output.clone();
    let timestamp = iso_now();
    match request.format {
        OutputFormat::Gml(gml) => {
            let type_list: Vec<&str> = plan.layers.iter().map(|l| l.name()).collect();
            let dft_version = match gml {
                GmlVersion::V3_2 => "2.0.0",
                GmlVersion::V3_1_1 => "1.1.0",
                GmlVersion::V2 => "1.0.0",
            };
            // A path URL for the DescribeFeatureType document: same content as the KVP request,
            // cacheable, and without '&' (some validators paste schemaLocation URLs unescaped).
            let schema_location =
                format!("{} {}/schema/{dft_version}/{}.xsd", ctx.catalog.server.namespace, ctx.service_url, type_list.join(","));
            let collection = GmlCollection {
                version: gml,
                prefix: PREFIX.into(),
                namespace: ctx.catalog.server.namespace.clone(),
                schema_location,
                number_matched: Some(matched),
                // WFS 1.1.0 answers hits with the count in numberOfFeatures.
                number_returned: if request.hits && gml == GmlVersion::V3_1_1 { matched } else { returned },
                timestamp,
                next,
                previous,
                srs_name,
                swap_axes: swap,
                types: page.types,
                geometry_property: page.geometry_property,
                bare: plan.bare,
            };
            if let Some((kind, _)) = plan.value_kind.clone() {
                return stream_response(ValueEncoder::new(collection, kind), page.streams, "application/xml");
            }
            stream_response(GmlEncoder::new(collection), page.streams, gml.mime())
        }
        OutputFormat::GeoJson => {
            let links = next.map(|n| ("next".to_string(), n)).into_iter().chain(previous.map(|p| ("previous".to_string(), p))).collect();
            let crs_urn = (crs.srid() != 4326).then(|| crs.urn());
            let collection = GeoJsonCollection {
                number_matched: Some(matched),
                number_returned: returned,
                timestamp,
                crs_urn,
                links,
                types: page.types,
            };
            stream_response(GeoJsonEncoder::new(collection), page.streams, "application/json")
        }
    }
}

/// What a VALUEREFERENCE names: an allow-listed attribute, the geometry, or `@gml:id` — only
/// these, never an expression.
fn value_kind(layer: &Layer, reference: &str) -> Result<(ValueKind, String), OgcException> {
    let r = reference.trim();
    if r == "@gml:id" || r == "@id" {
        return Ok((ValueKind::Id, String::new()));
    }
    let name = strip_prefix(r.strip_prefix(&format!("{}/", layer.name())).unwrap_or(r));
    if name == layer.config.geometry_column {
        return Ok((ValueKind::Geometry, name.to_string()));
    }
    if layer.schema.attribute_index(name).is_some() {
        return Ok((ValueKind::Attribute, name.to_string()));
    }
    let shown: String = r.chars().take(64).collect();
    Err(invalid("valueReference", format!("'{shown}' is not a property of {}", layer.name())))
}

fn stream_response<E: FeatureEncoder>(encoder: E, streams: Vec<FeatureStream>, content_type: &str) -> HttpResponse {
    let body = body_stream(encoder, streams).map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()));
    HttpResponse::Ok().content_type(content_type.to_string()).streaming(body)
}

fn log_source(e: crate::source::SourceError) -> OgcException {
    tracing::warn!("GetFeature: {e}");
    OgcException::from(e)
}

/// The request's own query string, rebuilt from the parsed KVP (for paging links).
fn kvp_query(kvp: &Kvp) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(kvp.pairs()).finish()
}

/// Splits `(a)(b)` lists (one item per feature type); a value without parentheses is one item.
fn split_parenthesised(value: &str, expected: usize) -> Vec<&str> {
    let v = value.trim();
    if expected <= 1 || !v.starts_with('(') {
        return vec![v.strip_prefix('(').and_then(|s| s.strip_suffix(')')).filter(|_| expected > 1).unwrap_or(v)];
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut begin = 0usize;
    for (i, ch) in v.char_indices() {
        match ch {
            '(' => {
                if depth == 0 {
                    begin = i + 1;
                }
                depth += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push(&v[begin..i]);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_axis_order_follows_the_crs_spelling() {
        let kvp = Kvp::parse("bbox=45.4,9.1,45.5,9.2,urn:ogc:def:crs:EPSG::4326").unwrap();
        let (b, crs) = parse_bbox(&kvp, Crs::UTM32N).unwrap().unwrap();
        assert_eq!((b.min_x, b.min_y, crs), (9.1, 45.4, Crs::WGS84));
        let kvp = Kvp::parse("bbox=9.1,45.4,9.2,45.5,EPSG:4326").unwrap();
        let (b, _) = parse_bbox(&kvp, Crs::UTM32N).unwrap().unwrap();
        assert_eq!((b.min_x, b.min_y), (9.1, 45.4));
        assert!(parse_bbox(&Kvp::parse("bbox=1,2,3").unwrap(), Crs::UTM32N).is_err());
        assert!(parse_bbox(&Kvp::parse("bbox=3,2,1,4").unwrap(), Crs::UTM32N).is_err());
        assert!(parse_bbox(&Kvp::parse("bbox=1,2,3,4,EPSG:1").unwrap(), Crs::UTM32N).is_err());
    }

    #[test]
    fn sort_and_lists() {
        let s = parse_sort(&Kvp::parse("sortby=navigli:piani DESC,nome").unwrap()).unwrap();
        assert_eq!(s, vec![SortKey { property: "piani".into(), descending: true }, SortKey { property: "nome".into(), descending: false }]);
        assert!(parse_sort(&Kvp::parse("sortby=piani SIDEWAYS").unwrap()).is_err());
        assert_eq!(split_parenthesised("(a,b)(c)", 2), vec!["a,b", "c"]);
        assert_eq!(split_parenthesised("a,b", 1), vec!["a,b"]);
    }
}
