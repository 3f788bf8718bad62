//! WFS 2.0 stored queries: the mandatory `GetFeatureById`, and domain queries for the welfare
//! and citizen modules — `ServicesNearPoint` (public services within a distance of a WGS84
//! point) and `BuildingsOfComune` (the DBT buildings of one comune).

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;

use actix_web::HttpResponse;

use super::{WfsContext, PREFIX};
use crate::catalog::Layer;
use crate::crs::Crs;
use crate::filter::{CompareOp, Filter, GeometryLiteral};
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::kvp::Kvp;
use crate::model::Value;
use crate::ogc::xml_escape as esc;

/// The mandatory stored query.
pub const GET_FEATURE_BY_ID: &str = "urn:ogc:def:query:OGC-WFS::GetFeatureById";
/// Services near a point.
pub const SERVICES_NEAR_POINT: &str = "urn:navigli:query:ServicesNearPoint";
/// Buildings of a comune.
pub const BUILDINGS_OF_COMUNE: &str = "urn:navigli:query:BuildingsOfComune";
/// The roof report of one building: its planes with their solar attributes, and its rows of
/// the per-building roof layers.
pub const ROOF_REPORT: &str = "urn:navigli:query:RoofReport";
/// Layers a roof report returns, when the tenant publishes them (and the caller may see them).
const ROOF_LAYERS: &[&str] = &["falde", "tetti_rossi", "tetti_verdi"];

/// Layers a service query searches, when the tenant publishes them (and the caller may see them).
const SERVICE_LAYERS: &[&str] = &["servizi_pubblici", "servizi_sociali"];
/// Largest search radius of ServicesNearPoint, metres.
const MAX_DISTANCE: f64 = 10_000.0;

struct Definition {
    id: &'static str,
    title: &'static str,
    abstract_: &'static str,
    parameters: &'static [(&'static str, &'static str, &'static str)],
}

const DEFINITIONS: &[Definition] = &[
    Definition { id: GET_FEATURE_BY_ID, title: "Get feature by identifier", abstract_: "Returns the single feature whose identifier (e.g. edifici.12) is ID.", parameters: &[("ID", "xsd:string", "Feature identifier")] },
    Definition {
        id: SERVICES_NEAR_POINT,
        title: "Servizi vicino a un punto",
        abstract_: "Public (and, for authorised callers, social) services within DISTANCE metres (default 500, at most 10000) of the WGS84 point LON, LAT; optionally only of type TIPO.",
        parameters: &[("LON", "xsd:double", "Longitude (WGS84)"), ("LAT", "xsd:double", "Latitude (WGS84)"), ("DISTANCE", "xsd:double", "Radius in metres"), ("TIPO", "xsd:string", "Service type")],
    },
    Definition { id: BUILDINGS_OF_COMUNE, title: "Edifici di un comune", abstract_: "The DBT buildings (A020102 EDIFC) of the comune with ISTAT code ISTAT.", parameters: &[("ISTAT", "xsd:string", "Six-digit ISTAT code")] },
    Definition {
        id: ROOF_REPORT,
        title: "Scheda tetto di un edificio",
        abstract_: "The roof report of the building with identifier BUILDING (edifici.BUILDING): its roof planes (falde) with irradiation, yield, power, class and green roof type, and its tetti_rossi and tetti_verdi rows.",
        parameters: &[("BUILDING", "xsd:integer", "Building identifier (the number of edifici.N)")],
    },
];

/// The layers and filters a stored query selects.
pub struct StoredSelection<'a> {
    /// Layers, in output order.
    pub layers: Vec<&'a Layer>,
    /// One filter per layer.
    pub filters: Vec<Filter>,
    /// Answer with the bare feature (GetFeatureById).
    pub bare: bool,
}

fn invalid(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

fn number(kvp: &Kvp, name: &str) -> Result<Option<f64>, OgcException> {
    kvp.get(name)
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| invalid(name, format!("{} must be a number", name.to_ascii_uppercase())))
        })
        .transpose()
}

/// Resolves STOREDQUERY_ID and its parameters.
pub fn select<'a>(ctx: &'a WfsContext<'_>, id: &str, kvp: &Kvp) -> Result<StoredSelection<'a>, OgcException> {
    match id {
        GET_FEATURE_BY_ID => feature_by_id(ctx, kvp),
        SERVICES_NEAR_POINT => services_near_point(ctx, kvp),
        BUILDINGS_OF_COMUNE => {
            let istat = kvp.require("istat")?;
            if istat.len() != 6 || !istat.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("istat", "ISTAT is a six-digit code, e.g. 015146"));
            }
            let layer = ctx.layer("edifici", "storedQuery_Id")?;
            let filter = Filter::Compare { property: "cod_istat".into(), op: CompareOp::Eq, value: Value::Text(istat.to_string()) };
            Ok(StoredSelection { layers: vec![layer], filters: vec![filter], bare: false })
        }
        ROOF_REPORT => roof_report(ctx, kvp),
        other => {
            let shown: String = other.chars().take(80).collect();
            Err(invalid("storedQuery_Id", format!("unknown stored query '{shown}'")))
        }
    }
}

/// `GetFeatureById`: the one feature an id names, or NotFound.
fn feature_by_id<'a>(ctx: &'a WfsContext<'_>, kvp: &Kvp) -> Result<StoredSelection<'a>, OgcException> {
    let rid = kvp.require("id")?;
    // Any id that names no feature here is NotFound (WFS 2.0 §7.9.3.6), whatever its form:
    // navigli's ids are `<type>.<integer>`, but a client cannot know that.
    let not_found = || {
        let shown: String = rid.chars().take(64).collect();
        OgcException::new(ExceptionCode::NotFound, format!("no feature with id '{shown}'")).at("id")
    };
    let (type_name, n) = rid.trim().rsplit_once('.').ok_or_else(not_found)?;
    let n: i64 = n.parse().map_err(|_| not_found())?;
    let type_name = type_name.rsplit(':').next().unwrap_or(type_name);
    let layer = ctx.layer(type_name, "id").map_err(|e| {
        // Credentials that do not grant the layer keep their 403; anything else is an id that
        // names no feature here.
        if e.http_status() == 403 {
            return e;
        }
        not_found()
    })?;
    Ok(StoredSelection { layers: vec![layer], filters: vec![Filter::Ids(vec![n])], bare: true })
}

/// `ServicesNearPoint`: the service layers the caller sees, within DISTANCE of LON, LAT.
fn services_near_point<'a>(ctx: &'a WfsContext<'_>, kvp: &Kvp) -> Result<StoredSelection<'a>, OgcException> {
    let lon = number(kvp, "lon")?.ok_or_else(|| OgcException::new(ExceptionCode::MissingParameterValue, "LON is mandatory").at("lon"))?;
    let lat = number(kvp, "lat")?.ok_or_else(|| OgcException::new(ExceptionCode::MissingParameterValue, "LAT is mandatory").at("lat"))?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(invalid("lon", "LON/LAT must be WGS84 degrees"));
    }
    let distance = number(kvp, "distance")?.unwrap_or(500.0);
    if !(0.0..=MAX_DISTANCE).contains(&distance) {
        return Err(invalid("distance", format!("DISTANCE must be between 0 and {MAX_DISTANCE} metres")));
    }
    let point = GeometryLiteral { geometry: geo::Geometry::Point(geo::point!(x: lon, y: lat)), crs: Crs::CRS84 };
    let near = Filter::DWithin { geometry: point, distance };
    let layers: Vec<&Layer> =
        SERVICE_LAYERS.iter().filter_map(|name| ctx.catalog.layer(ctx.tenant, ctx.caller, name).map(|l| l.as_ref())).collect();
    if layers.is_empty() {
        return Err(
            OgcException::new(ExceptionCode::OperationProcessingFailed, "this service publishes no service layers").with_status(400)
        );
    }
    let filter = match kvp.get("tipo") {
        Some(t) => {
            Filter::And(vec![near, Filter::Compare { property: "tipo".into(), op: CompareOp::Eq, value: Value::Text(t.to_string()) }])
        }
        None => near,
    };
    Ok(StoredSelection { filters: vec![filter; layers.len()], layers, bare: false })
}

/// `RoofReport`: a building's roof planes and its rows of the per-building roof layers.
fn roof_report<'a>(ctx: &'a WfsContext<'_>, kvp: &Kvp) -> Result<StoredSelection<'a>, OgcException> {
    let raw = kvp.require("building")?;
    let building: i64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid("building", "BUILDING is a building identifier, a positive integer (as in edifici.12)"))?;
    let (mut layers, mut filters) = (Vec::new(), Vec::new());
    for name in ROOF_LAYERS {
        if let Some(layer) = ctx.catalog.layer(ctx.tenant, ctx.caller, name) {
            filters.push(if *name == "falde" {
                Filter::Compare { property: "edificio_fid".into(), op: CompareOp::Eq, value: Value::Int(building) }
            } else {
                Filter::Ids(vec![building])
            });
            layers.push(layer.as_ref());
        }
    }
    if layers.is_empty() {
        return Err(OgcException::new(ExceptionCode::OperationProcessingFailed, "this service publishes no roof layers").with_status(400));
    }
    Ok(StoredSelection { layers, filters, bare: false })
}

fn return_types(ctx: &WfsContext<'_>, id: &str) -> Vec<String> {
    let names: Vec<String> = match id {
        SERVICES_NEAR_POINT => {
            SERVICE_LAYERS.iter().filter(|n| ctx.catalog.layer(ctx.tenant, ctx.caller, n).is_some()).map(|n| n.to_string()).collect()
        }
        BUILDINGS_OF_COMUNE => vec!["edifici".to_string()],
        ROOF_REPORT => {
            ROOF_LAYERS.iter().filter(|n| ctx.catalog.layer(ctx.tenant, ctx.caller, n).is_some()).map(|n| n.to_string()).collect()
        }
        _ => ctx.catalog.visible_layers(ctx.tenant, ctx.caller).map(|l| l.name().to_string()).collect(),
    };
    names.into_iter().map(|n| format!("{PREFIX}:{n}")).collect()
}

const HEAD: &str = "xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\"";

/// `ListStoredQueries`.
pub fn list_stored_queries(ctx: &WfsContext<'_>) -> Result<HttpResponse, OgcException> {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ =
        write!(x, "<wfs:ListStoredQueriesResponse {HEAD} xmlns:{PREFIX}=\"{}\">\n", crate::ogc::xml_escape(&ctx.catalog.server.namespace));
    for d in DEFINITIONS {
        let _ = write!(x, "<wfs:StoredQuery id=\"{}\"><wfs:Title>{}</wfs:Title>", d.id, esc(d.title));
        for t in return_types(ctx, d.id) {
            let _ = write!(x, "<wfs:ReturnFeatureType>{t}</wfs:ReturnFeatureType>");
        }
        x.push_str("</wfs:StoredQuery>\n");
    }
    x.push_str("</wfs:ListStoredQueriesResponse>\n");
    Ok(HttpResponse::Ok().content_type("application/xml").body(x))
}

/// `DescribeStoredQueries`.
pub fn describe_stored_queries(ctx: &WfsContext<'_>, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let wanted: Vec<&Definition> = match kvp.list("storedquery_id") {
        None => DEFINITIONS.iter().collect(),
        Some(ids) => {
            ids.iter()
                .map(|id| {
                    DEFINITIONS.iter().find(|d| d.id == *id).ok_or_else(|| {
                        invalid("storedQuery_Id", format!("unknown stored query '{}'", id.chars().take(80).collect::<String>()))
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<wfs:DescribeStoredQueriesResponse {HEAD} xmlns:{PREFIX}=\"{}\">\n",
        crate::ogc::xml_escape(&ctx.catalog.server.namespace)
    );
    for d in wanted {
        let _ = write!(
            x,
            "<wfs:StoredQueryDescription id=\"{}\"><wfs:Title>{}</wfs:Title><wfs:Abstract>{}</wfs:Abstract>",
            d.id,
            esc(d.title),
            esc(d.abstract_)
        );
        for (name, kind, title) in d.parameters {
            let _ = write!(x, "<wfs:Parameter name=\"{name}\" type=\"{kind}\"><wfs:Title>{}</wfs:Title></wfs:Parameter>", esc(title));
        }
        let _ = write!(
            x,
            "<wfs:QueryExpressionText isPrivate=\"true\" language=\"urn:ogc:def:queryLanguage:OGC-WFS::WFSQueryExpression\" returnFeatureTypes=\"{}\"/></wfs:StoredQueryDescription>\n",
            return_types(ctx, d.id).join(" ")
        );
    }
    x.push_str("</wfs:DescribeStoredQueriesResponse>\n");
    Ok(HttpResponse::Ok().content_type("application/xml").body(x))
}
