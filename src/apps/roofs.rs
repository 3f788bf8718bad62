//! The citizen's roof check (JSON): `GET /{tenant}/roofs/estimate` evaluates a plane described
//! by its slope, aspect and area; `GET /{tenant}/roofs/at?lon=…&lat=…` finds the building at a
//! WGS84 point in the tenant and evaluates each of its roof planes. Thin: parameters are
//! checked here, the model is [`crate::roofs`]. Field names are stable (see `docs/roofs.md`).
//! Errors are JSON with a locator.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;
use serde_json::{json, Value as Json};

use crate::catalog::{Layer, Tenant};
use crate::crs::Crs;
use crate::filter::{CompareOp, Filter, GeometryLiteral, SpatialOp};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::http::{Scope, ServiceError};
use crate::roofs::{BuildingInfo, PlaneInput, RoofReport, Roofs};
use crate::source::{Feature, FeatureQuery, Value};

/// Most planes reported for one building.
const MAX_PLANES: u64 = 200;

fn bad(locator: &str, text: impl Into<String>) -> ServiceError {
    ServiceError::new(OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator), ReportFormat::Json)
}

fn missing(locator: &str) -> ServiceError {
    ServiceError::new(
        OgcException::new(ExceptionCode::MissingParameterValue, format!("parameter '{locator}' is required")).at(locator),
        ReportFormat::Json,
    )
}

fn not_found(text: impl Into<String>) -> ServiceError {
    ServiceError::new(OgcException::new(ExceptionCode::NotFound, text).with_status(404), ReportFormat::Json)
}

/// A finite number within `range`, or a 400 naming the parameter.
fn number(p: &Kvp, name: &str, range: (f64, f64), what: &str) -> Result<Option<f64>, ServiceError> {
    let Some(raw) = p.get(name) else { return Ok(None) };
    let v: f64 = raw.trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
        let shown: String = raw.chars().take(32).collect();
        bad(name, format!("{name} must be a number ({what}), not '{shown}'"))
    })?;
    if v < range.0 || v > range.1 {
        return Err(bad(name, format!("{name} must be between {} and {} ({what}), not {v}", range.0, range.1)));
    }
    Ok(Some(v))
}

fn flag(p: &Kvp, name: &str) -> Result<bool, ServiceError> {
    match p.get(name).map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(s) if s == "true" || s == "1" || s == "yes" => Ok(true),
        Some(s) if s == "false" || s == "0" || s == "no" => Ok(false),
        Some(_) => Err(bad(name, format!("{name} must be true or false"))),
    }
}

/// Rounds every non-integer number to two decimals (readable, stable output).
fn rounded(v: Json) -> Json {
    match v {
        Json::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            json!((f * 100.0).round() / 100.0)
        }
        Json::Array(a) => Json::Array(a.into_iter().map(rounded).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        other => other,
    }
}

fn assumptions(roofs: &Roofs) -> Json {
    let c = roofs.config();
    json!({
        "model": "monthly characteristic days (Klein), Collares-Pereira & Rabl / Liu & Jordan hourly split, Hay-Davies transposition, Martin-Ruiz reflection, Faiman temperature, Huld power (PVGIS c-Si); see docs/roofs.md",
        "climate": c.climate,
        "annual_ghi_kwh_m2": c.climate.annual_ghi(),
        "pv": c.pv,
        "installation": c.installation,
        "classes": c.classes,
        "economics": c.economics,
        "green": c.green,
    })
}

/// The report rounded for reading, with the assumptions (exact) attached.
fn respond(report: Json, roofs: &Roofs) -> HttpResponse {
    let mut body = rounded(report);
    body["assumptions"] = assumptions(roofs);
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body.to_string())
}

/// Mounts the roof check routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/roofs/estimate", web::get().to(estimate)).route("/{tenant}/roofs/at", web::get().to(at));
}

/// `GET /{tenant}/roofs/estimate?slope=&aspect=&area=[&shading=][&main_home=]`.
pub async fn estimate(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let p = &scope.kvp;
    let slope = number(p, "slope", (0.0, 90.0), "degrees from horizontal")?.ok_or_else(|| missing("slope"))?;
    let aspect = number(p, "aspect", (0.0, 360.0), "degrees clockwise from north, 180 = south")?.ok_or_else(|| missing("aspect"))?;
    let area = number(p, "area", (0.0, 1.0e6), "square metres")?.ok_or_else(|| missing("area"))?;
    if area <= 0.0 {
        return Err(bad("area", "area must be greater than 0 square metres"));
    }
    let shading = number(p, "shading", (0.0, 1.0), "fraction of light lost")?.unwrap_or(0.0);
    let main_home = flag(p, "main_home")?;
    let roofs = &scope.catalog().roofs;
    let input = PlaneInput { slope, aspect: aspect % 360.0, area_m2: area, shading, main_home };
    let report = roofs.evaluate(&input, &BuildingInfo::default());
    Ok(respond(serde_json::to_value(&report).unwrap_or(Json::Null), roofs))
}

async fn first_rows(layer: &Layer, tenant: &Tenant, q: FeatureQuery, max: u64) -> Result<Vec<Feature>, ServiceError> {
    let q = FeatureQuery { tenant: tenant.scope(), skip_geometry: true, limit: Some(max), ..q };
    let resolved = q.resolve(&layer.schema, max).map_err(|e| bad("lon", e.to_string()))?;
    let stream = layer
        .source
        .query(layer.schema.clone(), resolved)
        .await
        .map_err(|e| ServiceError::new(OgcException::from(e), ReportFormat::Json))?;
    stream.try_collect().await.map_err(|e| ServiceError::new(OgcException::from(e), ReportFormat::Json))
}

fn attr<'a>(names: &[&str], f: &'a Feature, name: &str) -> Option<&'a Value> {
    f.values.get(names.iter().position(|n| *n == name)?)
}

fn as_f64(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Float(f)) => Some(*f),
        Some(Value::Int(i)) => Some(*i as f64),
        Some(Value::Text(s)) => s.parse().ok(),
        _ => None,
    }
}

/// The layer `name` if the caller may read it in the tenant, else a 404 saying what is missing.
fn roof_layer<'a>(scope: &'a Scope, name: &str) -> Result<&'a Layer, ServiceError> {
    scope
        .catalog()
        .layer(scope.tenant(), &scope.caller, name)
        .map(|l| l.as_ref())
        .ok_or_else(|| not_found(format!("this service publishes no '{name}' layer, needed to look buildings up")))
}

/// The building at a WGS84 point: its id and what the roof model needs of it.
async fn building_at(buildings: &Layer, tenant: &Tenant, lon: f64, lat: f64) -> Result<(i64, BuildingInfo), ServiceError> {
    let point = GeometryLiteral { geometry: geo::Geometry::Point(geo::point!(x: lon, y: lat)), crs: Crs::CRS84 };
    let props: Vec<&str> = ["EDIFC_USO", "UN_VOL_AV"].into_iter().filter(|n| buildings.schema.attribute_index(n).is_some()).collect();
    let query = FeatureQuery {
        filter: Some(Filter::Spatial { op: SpatialOp::Intersects, geometry: point }),
        properties: Some(props.iter().map(|s| s.to_string()).collect()),
        ..FeatureQuery::default()
    };
    let found = first_rows(buildings, tenant, query, 1).await?;
    let Some(building) = found.first() else {
        return Err(not_found(format!("no building at lon {lon}, lat {lat} in {}", tenant.title)));
    };
    let uso = match attr(&props, building, "EDIFC_USO") {
        Some(Value::Text(s)) => Some(s.clone()),
        _ => None,
    };
    Ok((building.id, BuildingInfo { height_m: as_f64(attr(&props, building, "UN_VOL_AV")), uso }))
}

/// The roof planes of a building, each evaluated: (plane id, report).
async fn plane_reports(
    planes: &Layer,
    tenant: &Tenant,
    roofs: &Roofs,
    building: (i64, &BuildingInfo),
    main_home: bool,
) -> Result<Vec<(i64, RoofReport)>, ServiceError> {
    let props = ["pendenza", "esposizione", "area_m2"];
    let query = FeatureQuery {
        filter: Some(Filter::Compare { property: "edificio_fid".into(), op: CompareOp::Eq, value: Value::Int(building.0) }),
        properties: Some(props.iter().map(|s| s.to_string()).collect()),
        ..FeatureQuery::default()
    };
    let rows = first_rows(planes, tenant, query, MAX_PLANES).await?;
    Ok(rows
        .iter()
        .filter_map(|f| {
            let slope = as_f64(attr(&props, f, "pendenza"))?;
            let aspect = as_f64(attr(&props, f, "esposizione"))?;
            let area = as_f64(attr(&props, f, "area_m2"))?;
            let input = PlaneInput { slope, aspect, area_m2: area, shading: 0.0, main_home };
            Some((f.id, roofs.evaluate(&input, building.1)))
        })
        .collect())
}

/// `GET /{tenant}/roofs/at?lon=&lat=[&main_home=]`.
pub async fn at(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let p = &scope.kvp;
    let lon = number(p, "lon", (-180.0, 180.0), "WGS84 longitude")?.ok_or_else(|| missing("lon"))?;
    let lat = number(p, "lat", (-90.0, 90.0), "WGS84 latitude")?.ok_or_else(|| missing("lat"))?;
    let main_home = flag(p, "main_home")?;
    let roofs = &scope.catalog().roofs;
    let buildings = roof_layer(&scope, roofs.config().buildings_layer())?;
    let planes = roof_layer(&scope, roofs.config().planes_layer())?;
    let (id, info) = building_at(buildings, scope.tenant(), lon, lat).await?;
    let reports = plane_reports(planes, scope.tenant(), roofs, (id, &info), main_home).await?;
    let summary = roofs.summarize(reports.iter().map(|(_, r)| r), main_home);
    let body = json!({
        "building": { "layer": buildings.name(), "id": id, "uso": info.uso, "height_m": info.height_m, "planes": reports.len() },
        "summary": summary,
        "planes": reports.iter().map(|(id, r)| {
            let mut v = serde_json::to_value(r).unwrap_or(Json::Null);
            v["id"] = json!(id);
            v
        }).collect::<Vec<_>>(),
    });
    Ok(respond(body, roofs))
}
