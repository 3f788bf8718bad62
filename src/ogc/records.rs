//! OGC API – Records (Part 1) at `/{tenant}/records`: a searchable catalogue API over the same
//! records as the CSW ([`super::csw::records`]) — the landing page, conformance, one
//! collection `catalog` (`itemType: record`), its items (GeoJSON records; `q`, `bbox`, `type`,
//! `ids`, `limit`, `offset`, `next` links) and each record. `f=html` goes to the GeoPortale
//! pages. Parameters not declared are refused (400), as on every navigli API.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value as Json};

use super::csw::records::{self, Kind, Record};
use crate::crs::Bbox;
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::{Scope, ServiceError};

/// Mounts the Records API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/records", web::get().to(landing))
        .route("/{tenant}/records/conformance", web::get().to(conformance))
        .route("/{tenant}/records/collections", web::get().to(collections))
        .route("/{tenant}/records/collections/{collection}", web::get().to(collection))
        .route("/{tenant}/records/collections/{collection}/items", web::get().to(items))
        .route("/{tenant}/records/collections/{collection}/items/{id}", web::get().to(item));
}

/// The conformance classes.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-api",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/searchable-catalog",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// The one collection.
const CATALOG: &str = "catalog";
/// Most records on one page.
const MAX_LIMIT: usize = 100;

fn bad(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

/// Refuses parameters an operation does not take, and any `f` but json/html.
fn check(scope: &Scope, allowed: &[&str]) -> Result<bool, ServiceError> {
    for (k, _) in scope.kvp.pairs() {
        let k = k.to_ascii_lowercase();
        if k != "f" && k != "apikey" && !allowed.contains(&k.as_str()) {
            let list = std::iter::once("f").chain(allowed.iter().copied()).collect::<Vec<_>>().join(", ");
            return Err(scope.error(bad(&k, format!("unknown parameter '{}'; this resource takes {list}", crate::xml::echo(&k)))));
        }
    }
    match scope.kvp.get("f").map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") | Some("application/json") | Some("application/geo+json") => Ok(false),
        Some("html") => Ok(true),
        Some(other) => Err(scope.error(bad("f", format!("f={} is json or html", crate::xml::echo(other))))),
    }
}

fn base(scope: &Scope) -> String {
    format!("{}/{}/records", scope.catalog().server.base_url(), scope.tenant().url_key())
}

fn json_answer(doc: Json, media: &str) -> HttpResponse {
    HttpResponse::Ok().content_type(media).insert_header(("Cache-Control", "max-age=60")).body(doc.to_string())
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

async fn landing(scope: Scope) -> Result<HttpResponse, ServiceError> {
    if check(&scope, &[])? {
        return Ok(see_other(format!("/{}/geoportale", scope.tenant().url_key())));
    }
    let b = base(&scope);
    Ok(json_answer(
        json!({
            "title": format!("{} — catalogo (OGC API – Records)", scope.tenant().title),
            "description": format!("I dati e i servizi navigli di {}.", scope.catalog().organisation),
            "links": [
                { "rel": "self", "type": "application/json", "href": b },
                { "rel": "conformance", "type": "application/json", "href": format!("{b}/conformance") },
                { "rel": "data", "type": "application/json", "href": format!("{b}/collections") },
                { "rel": "alternate", "type": "text/html", "href": format!("/{}/geoportale", scope.tenant().url_key()) },
            ]
        }),
        "application/json",
    ))
}

async fn conformance(scope: Scope) -> Result<HttpResponse, ServiceError> {
    check(&scope, &[])?;
    Ok(json_answer(json!({ "conformsTo": CONFORMANCE }), "application/json"))
}

fn catalog_doc(scope: &Scope) -> Json {
    let b = base(scope);
    let e = scope.tenant().extent_lonlat;
    json!({
        "id": CATALOG,
        "type": "Catalog",
        "itemType": "record",
        "title": format!("Catalogo — {}", scope.tenant().title),
        "description": "I livelli e i servizi pubblicati (gli stessi record del CSW).",
        "extent": { "spatial": { "bbox": [[e.min_x, e.min_y, e.max_x, e.max_y]], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84" } },
        "links": [
            { "rel": "self", "type": "application/json", "href": format!("{b}/collections/{CATALOG}") },
            { "rel": "items", "type": "application/geo+json", "href": format!("{b}/collections/{CATALOG}/items") },
        ]
    })
}

fn collection_id(scope: &Scope, id: &str) -> Result<(), ServiceError> {
    if id == CATALOG {
        Ok(())
    } else {
        Err(scope.error(
            OgcException::new(ExceptionCode::NotFound, format!("no collection '{}': the catalog is '{CATALOG}'", crate::xml::echo(id)))
                .with_status(404),
        ))
    }
}

async fn collections(scope: Scope) -> Result<HttpResponse, ServiceError> {
    check(&scope, &[])?;
    let b = base(&scope);
    Ok(json_answer(
        json!({ "collections": [catalog_doc(&scope)], "links": [{ "rel": "self", "type": "application/json", "href": format!("{b}/collections") }] }),
        "application/json",
    ))
}

async fn collection(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    check(&scope, &[])?;
    collection_id(&scope, &path.1)?;
    Ok(json_answer(catalog_doc(&scope), "application/json"))
}

/// One record as GeoJSON (OGC API – Records, record core).
pub fn record_json(r: &Record, base: &str, tenant_key: &str) -> Json {
    let b = r.bbox;
    let ring = [[b.min_x, b.min_y], [b.max_x, b.min_y], [b.max_x, b.max_y], [b.min_x, b.max_y], [b.min_x, b.min_y]];
    let mut links: Vec<Json> = r
        .links
        .iter()
        .map(|l| {
            json!({ "rel": if matches!(r.kind, Kind::Service(_)) { "service" } else { "item" }, "href": l.url, "title": l.name, "protocol": l.protocol })
        })
        .collect();
    links.push(json!({ "rel": "self", "type": "application/geo+json", "href": format!("{base}/collections/{CATALOG}/items/{}", urlencode(&r.id)) }));
    links.push(
        json!({ "rel": "alternate", "type": "text/html", "href": format!("/{tenant_key}/geoportale/record?id={}", urlencode(&r.id)) }),
    );
    links.push(json!({ "rel": "describedby", "type": "application/xml", "title": "ISO 19139",
        "href": format!("/{tenant_key}/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById&id={}&outputSchema={}", urlencode(&r.id), urlencode(super::csw::GMD_NS)) }));
    for (id, _) in &r.operates_on {
        links.push(json!({ "rel": "related", "type": "application/geo+json", "href": format!("{base}/collections/{CATALOG}/items/{}", urlencode(id)) }));
    }
    let mut themes = Vec::new();
    if let Some(t) = &r.inspire_theme {
        themes.push(json!({ "concepts": [{ "id": t }], "scheme": "https://www.eionet.europa.eu/gemet/en/inspire-themes/" }));
    }
    if let Some(t) = &r.topic_category {
        themes.push(json!({ "concepts": [{ "id": t }], "scheme": "https://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_TopicCategoryCode" }));
    }
    json!({
        "id": r.id,
        "type": "Feature",
        "geometry": { "type": "Polygon", "coordinates": [ring] },
        "time": null,
        "properties": {
            "type": r.type_name(),
            "title": r.title,
            "description": r.abstract_,
            "keywords": r.keywords,
            "themes": themes,
            "language": { "code": if r.language == "ita" { "it" } else { r.language.as_str() } },
            "updated": r.date,
            "created": r.created,
            "license": r.licence,
            "rights": if r.restricted { "Accesso riservato agli utenti autorizzati" } else { "Accesso pubblico" },
            "formats": r.formats().iter().map(|f| json!({ "name": f })).collect::<Vec<_>>(),
            "contacts": [{
                "organization": r.responsible_org(),
                "emails": r.responsible.email.iter().map(|e| json!({ "value": e })).collect::<Vec<_>>(),
                "roles": ["pointOfContact"],
            }],
        },
        "links": links,
    })
}

/// A lon/lat box as searches give it: four numbers (lon min, lat min, lon max, lat max),
/// separated by commas or spaces.
pub fn parse_lonlat(text: &str) -> Result<Bbox, &'static str> {
    const SHAPE: &str = "bbox is four numbers: lon min, lat min, lon max, lat max";
    let n: Vec<f64> = text
        .split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect::<Option<_>>()
        .ok_or(SHAPE)?;
    let [a, b, c, d] = n[..] else { return Err(SHAPE) };
    if [a, c].iter().any(|x| x.abs() > 180.0) || [b, d].iter().any(|y| y.abs() > 90.0) {
        return Err("bbox is in longitude and latitude degrees");
    }
    Bbox::new(a, b, c, d).ok_or("bbox minimum above its maximum")
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether `r` matches the search: any of the comma-separated `q` terms in its text, its type,
/// its box meeting `bbox`, its id among `ids`.
fn selects(r: &Record, terms: &[String], kind: Option<&str>, bbox: Option<&Bbox>, ids: &[String]) -> bool {
    let text = r.any_text().to_lowercase();
    (terms.is_empty() || terms.iter().any(|t| text.contains(t.as_str())))
        && kind.is_none_or(|k| r.type_name() == k)
        && bbox.is_none_or(|b| b.intersects(&r.bbox))
        && (ids.is_empty() || ids.contains(&r.id))
}

async fn items(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let html = check(&scope, &["q", "bbox", "type", "ids", "limit", "offset"])?;
    collection_id(&scope, &path.1)?;
    let kvp = &scope.kvp;
    if html {
        let q = kvp.get("q").unwrap_or("");
        return Ok(see_other(format!("/{}/geoportale?q={}", scope.tenant().url_key(), urlencode(q))));
    }
    let number = |name: &str, default: usize| -> Result<usize, ServiceError> {
        match kvp.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse::<usize>().map_err(|_| scope.error(bad(name, format!("{name} is a whole number")))),
        }
    };
    let limit = number("limit", 10)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(scope.error(bad("limit", format!("limit is 1–{MAX_LIMIT}"))));
    }
    let offset = number("offset", 0)?;
    let bbox = match kvp.get("bbox") {
        None => None,
        Some(v) => Some(parse_lonlat(v).map_err(|m| scope.error(bad("bbox", m)))?),
    };
    let kind = match kvp.get("type") {
        None => None,
        Some(t @ ("dataset" | "service")) => Some(t),
        Some(_) => return Err(scope.error(bad("type", "type is dataset or service"))),
    };
    let terms: Vec<String> =
        kvp.get("q").map(|q| q.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
    let ids: Vec<String> =
        kvp.get("ids").map(|q| q.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
    let all = records::records_with_extents(scope.catalog(), scope.tenant(), &scope.caller).await;
    let selected: Vec<&Record> = all.iter().filter(|r| selects(r, &terms, kind, bbox.as_ref(), &ids)).collect();
    let b = base(&scope);
    let key = scope.tenant().url_key().to_string();
    let page: Vec<Json> = selected.iter().skip(offset).take(limit).map(|r| record_json(r, &b, &key)).collect();
    let mut links = vec![
        json!({ "rel": "self", "type": "application/geo+json", "href": format!("{b}/collections/{CATALOG}/items?{}", scope_query(&scope, offset)) }),
    ];
    if offset + page.len() < selected.len() {
        links.push(json!({ "rel": "next", "type": "application/geo+json", "href": format!("{b}/collections/{CATALOG}/items?{}", scope_query(&scope, offset + page.len())) }));
    }
    Ok(json_answer(
        json!({
            "type": "FeatureCollection",
            "numberMatched": selected.len(),
            "numberReturned": page.len(),
            "timeStamp": super::wfs::iso_now(),
            "features": page,
            "links": links,
        }),
        "application/geo+json",
    ))
}

/// The request's query string with `offset` replaced.
fn scope_query(scope: &Scope, offset: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in scope.kvp.pairs() {
        if !k.eq_ignore_ascii_case("offset") && !k.eq_ignore_ascii_case("apikey") {
            s.append_pair(k, v);
        }
    }
    s.append_pair("offset", &offset.to_string());
    s.finish()
}

async fn item(scope: Scope, path: web::Path<(String, String, String)>) -> Result<HttpResponse, ServiceError> {
    let html = check(&scope, &[])?;
    let (_, collection, id) = path.into_inner();
    collection_id(&scope, &collection)?;
    if html {
        return Ok(see_other(format!("/{}/geoportale/record?id={}", scope.tenant().url_key(), urlencode(&id))));
    }
    let all = records::records_with_extents(scope.catalog(), scope.tenant(), &scope.caller).await;
    let r = all.iter().find(|r| r.id == id).ok_or_else(|| {
        scope.error(
            OgcException::new(ExceptionCode::NotFound, format!("no record '{}' in this catalog", crate::xml::echo(&id))).with_status(404),
        )
    })?;
    Ok(json_answer(record_json(r, &base(&scope), scope.tenant().url_key()), "application/geo+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance_names_records_and_features_classes() {
        assert!(CONFORMANCE.iter().any(|c| c.ends_with("ogcapi-records-1/1.0/conf/record-core")));
        assert!(CONFORMANCE.iter().any(|c| c.ends_with("ogcapi-features-1/1.0/conf/geojson")));
    }
}
