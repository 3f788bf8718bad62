//! The citizen's roof check (JSON): `GET /{tenant}/roofs/estimate` evaluates a plane described
//! by its slope, aspect and area; `GET /{tenant}/roofs/at?lon=…&lat=…` finds the building at a
//! WGS84 point in the tenant (or the nearest within 30 m, as an address point is on the street
//! front) and evaluates each of its roof planes. Thin: parameters are
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
use crate::roofs::{BuildingInfo, Household, PlaneInput, RoofReport, Roofs};
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

/// The citizen's own figures: `consumption` (kWh a year) or `bill` (€ a year, turned into
/// kWh at the electricity price), `self_consumption` (0–1), `battery` (kWh), `price` and
/// `export_price` (€/kWh), `cost_per_kwp` (€), `main_home`.
fn household(p: &Kvp, roofs: &Roofs) -> Result<Household, ServiceError> {
    let price = number(p, "price", (0.01, 2.0), "€ per kWh bought")?;
    let consumption = number(p, "consumption", (100.0, 10_000_000.0), "kWh a year")?;
    let bill = number(p, "bill", (10.0, 5_000_000.0), "€ a year of electricity")?;
    if consumption.is_some() && bill.is_some() {
        return Err(bad("bill", "give consumption or bill, not both"));
    }
    let price_used = price.unwrap_or(roofs.config().economics.electricity_price_eur_kwh);
    Ok(Household {
        main_home: flag(p, "main_home")?,
        consumption_kwh: consumption.or(bill.map(|b| b / price_used)),
        self_consumption: number(p, "self_consumption", (0.0, 1.0), "share of the production used on site")?,
        battery_kwh: number(p, "battery", (0.0, 200.0), "battery capacity in kWh")?.unwrap_or(0.0),
        electricity_price_eur_kwh: price,
        export_price_eur_kwh: number(p, "export_price", (0.0, 1.0), "€ per kWh exported")?,
        eur_per_kwp: number(p, "cost_per_kwp", (100.0, 10_000.0), "€ per kWp installed")?,
    })
}

/// A report with its economics redone for `household`.
fn for_household(roofs: &Roofs, mut report: RoofReport, household: &Household) -> RoofReport {
    report.solar.economics = roofs.config().economics.evaluate_for(report.solar.kwp, report.solar.annual_kwh, household);
    report
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
    let body = finished(report, roofs);
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

/// `GET /{tenant}/roofs/estimate?slope=&aspect=&area=[&shading=]` and the household's figures
/// ([`household`]).
pub async fn estimate(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let p = &scope.kvp;
    let slope = number(p, "slope", (0.0, 90.0), "degrees from horizontal")?.ok_or_else(|| missing("slope"))?;
    let aspect = number(p, "aspect", (0.0, 360.0), "degrees clockwise from north, 180 = south")?.ok_or_else(|| missing("aspect"))?;
    let area = number(p, "area", (0.0, 1.0e6), "square metres")?.ok_or_else(|| missing("area"))?;
    if area <= 0.0 {
        return Err(bad("area", "area must be greater than 0 square metres"));
    }
    let shading = number(p, "shading", (0.0, 1.0), "fraction of light lost")?.unwrap_or(0.0);
    let roofs = &scope.catalog().roofs;
    let household = household(p, roofs)?;
    let input = PlaneInput { slope, aspect: aspect % 360.0, area_m2: area, shading, main_home: household.main_home };
    let report = for_household(roofs, roofs.evaluate(&input, &BuildingInfo::default()), &household);
    Ok(respond(serde_json::to_value(&report).unwrap_or(Json::Null), roofs))
}

async fn first_rows(layer: &Layer, tenant: &Tenant, q: FeatureQuery, max: u64) -> Result<Vec<Feature>, ServiceError> {
    let q = FeatureQuery { tenant: tenant.scope(), limit: Some(max), ..q };
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

/// How far from a point a building is still "the building at it", metres: address points lie
/// on the street front, a few metres from the facade.
const NEAREST_M: f64 = 30.0;

/// The building at a WGS84 point, else the nearest within [`NEAREST_M`]: its id, what the roof
/// model needs of it and its distance, metres.
async fn building_at(
    buildings: &Layer,
    tenant: &Tenant,
    lon: f64,
    lat: f64,
) -> Result<(i64, BuildingInfo, f64, Constraints), ServiceError> {
    use geo::{Distance, Euclidean, MapCoords};
    let props: Vec<&str> =
        ["EDIFC_USO", "UN_VOL_AV", VINCOLO, FV_KWP].into_iter().filter(|n| buildings.schema.attribute_index(n).is_some()).collect();
    let point = GeometryLiteral { geometry: geo::Geometry::Point(geo::point!(x: lon, y: lat)), crs: Crs::CRS84 };
    let query = FeatureQuery {
        filter: Some(Filter::Spatial { op: SpatialOp::Intersects, geometry: point }),
        properties: Some(props.iter().map(|s| s.to_string()).collect()),
        skip_geometry: true,
        ..FeatureQuery::default()
    };
    let mut found: Option<(Feature, f64)> = first_rows(buildings, tenant, query, 1).await?.into_iter().next().map(|f| (f, 0.0));
    if found.is_none() {
        // Metres on a local plane around the point (equirectangular: exact enough at 30 m).
        let (kx, ky) = (111_320.0 * lat.to_radians().cos(), 110_540.0);
        let (dx, dy) = (NEAREST_M / kx, NEAREST_M / ky);
        let near = crate::crs::Bbox { min_x: lon - dx, min_y: lat - dy, max_x: lon + dx, max_y: lat + dy };
        let query = FeatureQuery {
            envelope: Some((near, Crs::CRS84)),
            properties: Some(props.iter().map(|s| s.to_string()).collect()),
            output_crs: Some(Crs::CRS84),
            ..FeatureQuery::default()
        };
        let here = geo::point!(x: 0.0, y: 0.0);
        for f in first_rows(buildings, tenant, query, 200).await? {
            let Some(g) = f.wkb.as_deref().and_then(|w| crate::encode::decode_wkb(f.id, w).ok()) else { continue };
            let local = g.map_coords(|c| geo::coord! { x: (c.x - lon) * kx, y: (c.y - lat) * ky });
            let d = Euclidean.distance(&here, &local);
            if d <= NEAREST_M && found.as_ref().is_none_or(|(best, bd)| d < *bd || (d == *bd && f.id < best.id)) {
                found = Some((f, d));
            }
        }
    }
    let Some((building, distance)) = found else {
        return Err(not_found(format!("no building at lon {lon}, lat {lat} (nor within {NEAREST_M} m) in {}", tenant.title)));
    };
    let uso = match attr(&props, &building, "EDIFC_USO") {
        Some(Value::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let constraints = Constraints {
        vincolo: match attr(&props, &building, VINCOLO) {
            Some(Value::Text(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        },
        existing_kwp: as_f64(attr(&props, &building, FV_KWP)).filter(|k| *k > 0.0),
    };
    Ok((building.id, BuildingInfo { height_m: as_f64(attr(&props, &building, "UN_VOL_AV")), uso }, distance, constraints))
}

/// Building attribute: a protection constraint (text; e.g. a listed building).
const VINCOLO: &str = "vincolo";
/// Building attribute: photovoltaic power already on the roof, kWp.
const FV_KWP: &str = "fv_kwp";

/// What the building's own attributes say besides its planes (columns `vincolo` and
/// `fv_kwp` when the buildings layer has them).
struct Constraints {
    /// The protection the building is under.
    vincolo: Option<String>,
    /// Photovoltaic power already installed, kWp.
    existing_kwp: Option<f64>,
}

/// The roof planes of a building, each evaluated: (plane id, report). The shading computed by
/// `navigli roofs compute` (neighbouring buildings) is used when the planes layer has it.
async fn plane_reports(
    planes: &Layer,
    tenant: &Tenant,
    roofs: &Roofs,
    building: (i64, &BuildingInfo),
    household: &Household,
) -> Result<Vec<(i64, RoofReport)>, ServiceError> {
    let props: Vec<&str> = ["pendenza", "esposizione", "area_m2", "ombreggiamento"]
        .into_iter()
        .filter(|n| *n != "ombreggiamento" || planes.schema.attribute_index(n).is_some())
        .collect();
    let query = FeatureQuery {
        filter: Some(Filter::Compare { property: "edificio_fid".into(), op: CompareOp::Eq, value: Value::Int(building.0) }),
        properties: Some(props.iter().map(|s| s.to_string()).collect()),
        skip_geometry: true,
        ..FeatureQuery::default()
    };
    let rows = first_rows(planes, tenant, query, MAX_PLANES).await?;
    let mut out: Vec<(i64, RoofReport)> = rows
        .iter()
        .filter_map(|f| {
            let slope = as_f64(attr(&props, f, "pendenza"))?;
            let aspect = as_f64(attr(&props, f, "esposizione"))?;
            let area = as_f64(attr(&props, f, "area_m2"))?;
            let shading = as_f64(attr(&props, f, "ombreggiamento")).unwrap_or(0.0).clamp(0.0, 1.0);
            let input = PlaneInput { slope, aspect, area_m2: area, shading, main_home: household.main_home };
            Some((f.id, for_household(roofs, roofs.evaluate(&input, building.1), household)))
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// The planes `planes=` names (all when absent); an id not of this building is a 400.
fn chosen<'a>(p: &Kvp, reports: &'a [(i64, RoofReport)]) -> Result<Vec<&'a (i64, RoofReport)>, ServiceError> {
    let Some(list) = p.list("planes") else { return Ok(reports.iter().collect()) };
    let mut out = Vec::new();
    for item in list.iter().take(MAX_PLANES as usize + 1) {
        let id: i64 = item.trim().parse().map_err(|_| bad("planes", "planes is a comma-separated list of plane ids"))?;
        let r = reports
            .iter()
            .find(|(i, _)| *i == id)
            .ok_or_else(|| bad("planes", format!("plane {id} is not a roof plane of this building")))?;
        if !out.iter().any(|(i, _): &&(i64, RoofReport)| *i == id) {
            out.push(r);
        }
    }
    Ok(out)
}

/// `GET /{tenant}/roofs/at?lon=&lat=[&planes=id,…]` and the household's figures ([`household`]).
pub async fn at(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let body = building_report(&scope).await?;
    Ok(respond(body, &scope.catalog().roofs))
}

/// The report `roofs/at` answers (not yet rounded), for its own answer and the PDF report of
/// the roof page: the building, its evaluated planes, the totals over the chosen ones.
pub(super) async fn building_report(scope: &Scope) -> Result<Json, ServiceError> {
    let p = &scope.kvp;
    let lon = number(p, "lon", (-180.0, 180.0), "WGS84 longitude")?.ok_or_else(|| missing("lon"))?;
    let lat = number(p, "lat", (-90.0, 90.0), "WGS84 latitude")?.ok_or_else(|| missing("lat"))?;
    let roofs = &scope.catalog().roofs;
    let household = household(p, roofs)?;
    let buildings = roof_layer(scope, roofs.config().buildings_layer())?;
    let planes = roof_layer(scope, roofs.config().planes_layer())?;
    let (id, info, distance, constraints) = building_at(buildings, scope.tenant(), lon, lat).await?;
    let reports = plane_reports(planes, scope.tenant(), roofs, (id, &info), &household).await?;
    let selected = chosen(p, &reports)?;
    let summary = roofs.summarize_for(selected.iter().map(|(_, r)| r), &household);
    Ok(json!({
        "building": {
            "layer": buildings.name(), "id": id, "uso": info.uso, "height_m": info.height_m, "planes": reports.len(), "distance_m": distance,
            "vincolo": constraints.vincolo, "existing_kwp": constraints.existing_kwp,
        },
        "selected_planes": selected.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        "summary": summary,
        "household": household,
        "planes": reports.iter().map(|(id, r)| {
            let mut v = serde_json::to_value(r).unwrap_or(Json::Null);
            v["id"] = json!(id);
            v
        }).collect::<Vec<_>>(),
    }))
}

/// The report of [`building_report`] as `roofs/at` writes it: rounded, with the assumptions.
pub(super) fn finished(report: Json, roofs: &Roofs) -> Json {
    let mut body = rounded(report);
    body["assumptions"] = assumptions(roofs);
    body
}
