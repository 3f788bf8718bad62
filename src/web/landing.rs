//! Landing pages: `/` lists the tenants, groups and layers with their service URLs; `/{tenant}`
//! describes one tenant. Both answer HTML or JSON (`?f=json`, or `Accept: application/json`).

use std::fmt::Write as _;

use actix_web::http::header::ACCEPT;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};

use super::{AppState, ServiceError};
use crate::catalog::{Caller, Catalog, Tenant, TenantKind};
use crate::http::kvp::Kvp;
use crate::http::Scope;
use crate::ogc::xml_escape as esc;

fn wants_json(req: &HttpRequest) -> bool {
    if let Ok(kvp) = Kvp::parse(req.query_string()) {
        if let Some(f) = kvp.get("f") {
            return f.eq_ignore_ascii_case("json") || f.eq_ignore_ascii_case("application/json");
        }
    }
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

fn tenant_links(base: &str, t: &Tenant) -> Json {
    let key = t.url_key();
    json!({
        "self": format!("{base}/{key}"),
        "wms": format!("{base}/{key}/wms?SERVICE=WMS&REQUEST=GetCapabilities"),
        "wfs": format!("{base}/{key}/wfs?SERVICE=WFS&REQUEST=GetCapabilities"),
        "ows": format!("{base}/{key}/ows"),
        "tiles": format!("{base}/{key}/tiles"),
        "roofs_estimate": format!("{base}/{key}/roofs/estimate?slope={{slope}}&aspect={{aspect}}&area={{area}}"),
        "roofs_at": format!("{base}/{key}/roofs/at?lon={{lon}}&lat={{lat}}"),
    })
}

fn tenant_json(catalog: &Catalog, base: &str, t: &Tenant, caller: &Caller, with_layers: bool) -> Json {
    let e = &t.extent_lonlat;
    let mut v = json!({
        "id": t.id,
        "slug": t.slug,
        "title": t.title,
        "kind": match t.kind { TenantKind::Metro => "metro", TenantKind::Comune(_) => "comune" },
        "groups": t.groups,
        "extent": { "crs": "CRS:84", "bbox": [e.min_x, e.min_y, e.max_x, e.max_y], "estimated": t.extent_estimated },
        "links": tenant_links(base, t),
    });
    if let TenantKind::Comune(c) = &t.kind {
        v["comune"] = json!({ "istat_code": c.istat_code, "name": c.name, "zona_omogenea": c.zona_name, "population": c.population, "area_km2": c.area_km2 });
    }
    let layers: Vec<Json> = catalog.visible_layers(t, caller).map(|l| if with_layers { layer_json(l) } else { json!(l.name()) }).collect();
    v["layers"] = json!(layers);
    v
}

fn layer_json(l: &crate::catalog::Layer) -> Json {
    let c = &l.config;
    json!({
        "name": c.name, "title": c.title, "abstract": c.abstract_, "group": c.group,
        "geometry_type": c.geometry_type, "crs": c.crs, "queryable": c.queryable,
        "min_zoom": c.min_zoom, "max_zoom": c.max_zoom, "min_scale": c.min_scale, "max_scale": c.max_scale,
        "attributes": c.attributes.iter().map(|a| json!({ "name": a.name, "type": a.kind, "title": a.title })).collect::<Vec<_>>(),
    })
}

/// `GET /`.
pub async fn landing(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let live = state.live();
    let catalog = &live.catalog;
    let base = catalog.server.base_url();
    let metro = &catalog.tenants[0];
    if wants_json(&req) {
        let body = json!({
            "title": "navigli",
            "description": format!("OGC services (WMS, WFS, vector tiles) of {} and its comuni", catalog.organisation),
            "links": { "health": format!("{base}/health"), "ready": format!("{base}/ready") },
            "groups": catalog
                .groups
                .iter()
                .filter(|g| catalog.visible_layers(metro, &caller).any(|l| l.config.group == g.name))
                .map(|g| json!({ "name": g.name, "title": g.title, "abstract": g.abstract_ }))
                .collect::<Vec<_>>(),
            "layers": catalog.visible_layers(metro, &caller).map(|l| layer_json(l)).collect::<Vec<_>>(),
            "tenants": catalog.tenants.iter().map(|t| tenant_json(catalog, &base, t, &caller, false)).collect::<Vec<_>>(),
        });
        return Ok(HttpResponse::Ok().json(body));
    }
    let mut h = page_head(&format!("navigli — {}", catalog.organisation));
    let _ = write!(
        h,
        "<h1>navigli</h1><p>OGC services of {}: one virtual service per tenant \
         (<code>{}</code> and the {} comuni). Paste a service URL into QGIS (Layer ▸ Add WMS/WFS layer). \
         <a href=\"?f=json\">JSON</a> · <a href=\"{base}/health\">health</a> · <a href=\"{base}/ready\">ready</a></p>",
        esc(&catalog.organisation),
        esc(&metro.id),
        catalog.tenants.len() - 1
    );
    h.push_str("<h2>Layers</h2><table><tr><th>name</th><th>title</th><th>group</th><th>geometry</th></tr>");
    for l in catalog.visible_layers(metro, &caller) {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(l.name()),
            esc(&l.config.title),
            esc(&l.config.group),
            esc(&l.config.geometry_type)
        );
    }
    h.push_str(
        "</table><h2>Tenants</h2><table><tr><th>id</th><th>tenant</th><th>zona omogenea</th><th>WMS</th><th>WFS</th><th>layers</th></tr>",
    );
    for t in &catalog.tenants {
        let key = t.url_key();
        let zona = match &t.kind {
            TenantKind::Comune(c) => esc(&c.zona_name).into_owned(),
            TenantKind::Metro => String::new(),
        };
        let _ = write!(
            h,
            "<tr><td><code>{id}</code></td><td><a href=\"{base}/{key}\">{title}</a></td><td>{zona}</td>\
             <td><a href=\"{base}/{key}/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities\">{base}/{key}/wms</a></td>\
             <td><a href=\"{base}/{key}/wfs?SERVICE=WFS&amp;REQUEST=GetCapabilities\">{base}/{key}/wfs</a></td><td>{n}</td></tr>",
            id = esc(&t.id),
            key = esc(key),
            title = esc(&t.title),
            n = catalog.visible_layers(t, &caller).count()
        );
    }
    h.push_str("</table></body></html>\n");
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(h))
}

/// `GET /{tenant}`.
pub async fn tenant_page(scope: Scope, req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let (tenant, catalog, caller) = (scope.tenant(), scope.catalog(), &scope.caller);
    let base = catalog.server.base_url();
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(tenant_json(catalog, &base, tenant, caller, true)));
    }
    let key = tenant.url_key();
    let mut h = page_head(&tenant.title);
    let e = &tenant.extent_lonlat;
    let _ = write!(
        h,
        "<h1>{title}</h1><p><a href=\"{base}/\">all tenants</a> · <a href=\"?f=json\">JSON</a></p>\
         <ul><li>WMS: <code>{base}/{key}/wms</code></li><li>WFS: <code>{base}/{key}/wfs</code></li>\
         <li>Vector tiles: <a href=\"{base}/{key}/tiles\">{base}/{key}/tiles</a></li>\
         <li>Roof check: <a href=\"{base}/{key}/roofs/estimate?slope=30&amp;aspect=180&amp;area=40\">{base}/{key}/roofs/estimate?slope=30&amp;aspect=180&amp;area=40</a> \
         (docs/roofs.md)</li>\
         <li>Extent (CRS:84): {:.5}, {:.5}, {:.5}, {:.5}{est}</li></ul><h2>Layers</h2><table><tr><th>name</th><th>title</th><th>group</th></tr>",
        e.min_x,
        e.min_y,
        e.max_x,
        e.max_y,
        title = esc(&tenant.title),
        key = esc(key),
        est = if tenant.extent_estimated { " (estimated)" } else { "" }
    );
    for l in catalog.visible_layers(tenant, caller) {
        let _ =
            write!(h, "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(l.name()), esc(&l.config.title), esc(&l.config.group));
    }
    h.push_str("</table></body></html>\n");
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(h))
}

fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}}</style></head><body>",
        esc(title)
    )
}
