//! "Il mio tetto", the citizen's roof check page: `GET /{tenant}/tetti` is the viewer with the
//! roof panel (tool `roof`, in `web/src/roof.js`). A tenant that published an app of slug
//! `tetti` (its own variant, made in the builder) gets that app; otherwise the page is
//! [`super::document::roof_template`] for the tenant, checked like any document.
//! `GET /{tenant}/tetti/report` is the card of one building as a PDF.

use actix_web::{web, HttpResponse};
use tiny_skia::Pixmap;

use super::document::{self, AppDocument};
use crate::http::exception::ExceptionCode;
use crate::http::{Scope, ServiceError};

/// Slug of a tenant's own variant of the page.
pub const SLUG: &str = "tetti";

/// Mounts the page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/tetti", web::get().to(page)).route("/{tenant}/tetti/report", web::get().to(report));
}

async fn page(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let own = scope.apps().published(&scope.tenant().id, SLUG).await.map_err(super::viewer::store_error)?;
    if let Some(rev) = own {
        // The tenant's variant (access rules as for any app).
        let (rev, doc) = super::viewer::opened(&scope, SLUG, rev)?;
        return Ok(super::viewer::viewer_page(&scope, SLUG, rev.number, &doc));
    }
    let template = document::roof_template(scope.catalog(), scope.tenant());
    let doc: AppDocument =
        document::validate(&template, scope.catalog(), scope.tenant(), &crate::auth::Caller::Anonymous).map_err(|p| {
            tracing::error!("the roof page template is not valid here: {:?}", p.0);
            super::viewer::json_error(404, ExceptionCode::NotFound, "this service has no roof layers to check")
        })?;
    Ok(super::viewer::viewer_page(&scope, SLUG, 0, &doc))
}

/// `GET /{tenant}/tetti/report?lon=&lat=[&planes=][household figures][&lang=en]`: the roof card
/// of a building as a one-page A4 PDF — the map of its planes (numbered, coloured by class),
/// the planes, the totals of the chosen ones, the 12 months, the accounts with their band, the
/// green roof, the figures used, the date and the link that reopens the card. The numbers are
/// those of `roofs/at` for the same parameters, written as the page writes them.
async fn report(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let lang = super::viewer::lang(&scope);
    let roofs = &scope.catalog().roofs;
    let r = super::roofs::finished(super::roofs::building_report(&scope).await?, roofs);
    let id = r["building"]["id"].as_i64().unwrap_or(0);
    let planes = report_planes(&scope, id).await?;
    let map = match planes.bbox {
        Some(b) => Some(report_map(&scope, b, id).await?),
        None => None,
    };
    let link = share_link(&scope);
    let title = scope.tenant().title.clone();
    let bytes = web::block(move || {
        let page = report::sheet(&r, map.as_ref().map(|m| (m, &planes)), &title, &link, lang);
        crate::render::pdf::document(&[page], &format!("Il mio tetto — {id}"))
    })
    .await
    .map_err(|e| {
        ServiceError::new(
            crate::http::exception::OgcException::new(ExceptionCode::NoApplicableCode, e.to_string()),
            crate::http::exception::ReportFormat::Json,
        )
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, format!("inline; filename=\"tetto-{id}.pdf\"")))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

/// The page's address that reopens this card: the same parameters in the page's `#` part.
fn share_link(scope: &Scope) -> String {
    let mut hash = form_urlencoded::Serializer::new(String::new());
    let keys = [
        ("planes", "planes"),
        ("consumption", "cons"),
        ("bill", "bill"),
        ("price", "price"),
        ("battery", "bat"),
        ("cost_per_kwp", "cost"),
        ("export_price", "exp"),
    ];
    if let (Some(lon), Some(lat)) = (scope.kvp.get("lon"), scope.kvp.get("lat")) {
        hash.append_pair("roof", &format!("{},{}", lon.trim(), lat.trim()));
    }
    for (param, key) in keys {
        if let Some(v) = scope.kvp.get(param) {
            hash.append_pair(key, v.trim());
        }
    }
    if let Some(sc) = scope.kvp.get("self_consumption").and_then(|v| v.trim().parse::<f64>().ok()) {
        hash.append_pair("sc", &format!("{}", (sc * 100.0 * 100.0).round() / 100.0));
    }
    if scope.kvp.get("main_home").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
        hash.append_pair("main", "1");
    }
    let lang = if super::viewer::lang(scope) == "en" { "?lang=en" } else { "" };
    format!("{}{lang}#{}", scope.service_url("tetti"), hash.finish().replace("%2C", ","))
}

/// The planes of a building as drawn on the report's map: centres (EPSG:3857) by id, and
/// their box.
pub(super) struct ReportPlanes {
    centres: Vec<(i64, f64, f64)>,
    bbox: Option<crate::crs::Bbox>,
}

async fn report_planes(scope: &Scope, building: i64) -> Result<ReportPlanes, ServiceError> {
    use futures_util::TryStreamExt;
    use geo::Centroid;
    let name = scope.catalog().roofs.config().planes_layer().to_string();
    let Some(layer) = scope.catalog().layer(scope.tenant(), &scope.caller, &name) else {
        return Ok(ReportPlanes { centres: Vec::new(), bbox: None });
    };
    let query = crate::source::FeatureQuery {
        filter: Some(crate::filter::Filter::Compare {
            property: "edificio_fid".into(),
            op: crate::filter::CompareOp::Eq,
            value: crate::source::Value::Int(building),
        }),
        properties: Some(Vec::new()),
        output_crs: Some(crate::crs::Crs::WEB_MERCATOR),
        tenant: scope.tenant().scope(),
        limit: Some(200),
        ..Default::default()
    };
    let failed = |e: String| {
        ServiceError::new(
            crate::http::exception::OgcException::new(ExceptionCode::NoApplicableCode, e),
            crate::http::exception::ReportFormat::Json,
        )
    };
    let resolved = query.resolve(&layer.schema, 200).map_err(|e| failed(e.to_string()))?;
    let rows: Vec<crate::source::Feature> = layer
        .source
        .query(layer.schema.clone(), resolved)
        .await
        .map_err(|e| failed(e.to_string()))?
        .try_collect()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut out = ReportPlanes { centres: Vec::new(), bbox: None };
    for f in rows {
        let Some(g) = f.wkb.as_deref().and_then(|w| crate::encode::decode_wkb(f.id, w).ok()) else { continue };
        if let Some(c) = g.centroid() {
            out.centres.push((f.id, c.x(), c.y()));
        }
        if let Some(b) = crate::crs::Bbox::of_geometry(&g) {
            out.bbox = Some(out.bbox.map_or(b, |o| o.union(&b)));
        }
    }
    Ok(out)
}

/// The report map's frame, points.
const MAP_W: f64 = 538.0;
const MAP_H: f64 = 205.0;
/// Map resolution, dots per inch.
const MAP_DPI: f64 = 150.0;

/// The map around a building: the neighbourhood's planes in grey, the building's coloured by
/// class (an SLD of our own over the planes layer), over the buildings and streets.
async fn report_map(scope: &Scope, planes: crate::crs::Bbox, building: i64) -> Result<(Pixmap, crate::crs::Bbox), ServiceError> {
    let area = report::map_area(planes, MAP_W / MAP_H);
    let (w, h) = ((MAP_W / 72.0 * MAP_DPI).round() as u32, (MAP_H / 72.0 * MAP_DPI).round() as u32);
    let catalog = scope.catalog();
    let under: Vec<&str> =
        ["strade", "edifici"].into_iter().filter(|n| catalog.layer(scope.tenant(), &scope.caller, n).is_some()).collect();
    let planes_layer = catalog.roofs.config().planes_layer();
    let layers: Vec<&str> = under.iter().copied().chain([planes_layer]).collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("VERSION", "1.3.0")
        .append_pair("CRS", "EPSG:3857")
        .append_pair("BBOX", &format!("{},{},{},{}", area.min_x, area.min_y, area.max_x, area.max_y))
        .append_pair("WIDTH", &w.to_string())
        .append_pair("HEIGHT", &h.to_string())
        .append_pair("LAYERS", &layers.join(","))
        .append_pair("DPI", &MAP_DPI.to_string())
        .append_pair("SLD_BODY", &report::planes_sld(planes_layer, building))
        .finish();
    let kvp = crate::http::kvp::Kvp::parse(&query).map_err(|e| ServiceError::new(e, crate::http::exception::ReportFormat::Json))?;
    let ctx = crate::ogc::wms::WmsContext::of(scope, "wms");
    let image =
        crate::ogc::wms::map_image(&ctx, &kvp).await.map_err(|e| ServiceError::new(e, crate::http::exception::ReportFormat::Json))?;
    Ok((image, area))
}

/// The report's layout (pure: the report JSON in, a page out).
mod report {
    use serde_json::Value as Json;
    use tiny_skia::Pixmap;

    use super::super::print::decimal;
    use super::{ReportPlanes, MAP_H, MAP_W};
    use crate::crs::Bbox;
    use crate::render::pdf::{fit_text, text_width, wrap_text, Page, A4};
    use crate::render::style::Color;

    const M: f64 = 28.35;
    const INK: Color = Color { r: 26, g: 26, b: 26, a: 255 };
    const GREY: Color = Color { r: 90, g: 90, b: 90, a: 255 };
    const LINE: Color = Color { r: 200, g: 200, b: 200, a: 255 };
    const BAR: Color = Color { r: 11, g: 79, b: 138, a: 255 };
    const RED: Color = Color { r: 178, g: 24, b: 43, a: 255 };
    const WHITE: Color = Color { r: 255, g: 255, b: 255, a: 255 };
    /// Class colours, as on the page.
    const CLASSES: [(&str, &str, &str, Color); 4] = [
        ("very_good", "ottima", "very good", Color { r: 178, g: 24, b: 43, a: 255 }),
        ("good", "buona", "good", Color { r: 239, g: 138, b: 98, a: 255 }),
        ("fair", "discreta", "fair", Color { r: 253, g: 219, b: 199, a: 255 }),
        ("unsuitable", "non idonea", "unsuitable", Color { r: 189, g: 189, b: 189, a: 255 }),
    ];

    /// The box around a building's planes, widened to the frame's shape and by half its size.
    pub(super) fn map_area(b: Bbox, ratio: f64) -> Bbox {
        let (cx, cy) = ((b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0);
        let (mut w, mut h) = (((b.max_x - b.min_x) * 2.0).max(60.0), ((b.max_y - b.min_y) * 2.0).max(60.0));
        if w / h < ratio {
            w = h * ratio;
        } else {
            h = w / ratio;
        }
        Bbox { min_x: cx - w / 2.0, min_y: cy - h / 2.0, max_x: cx + w / 2.0, max_y: cy + h / 2.0 }
    }

    /// An SLD for the planes layer: the building's planes by class, the others light grey.
    pub(super) fn planes_sld(layer: &str, building: i64) -> String {
        let mut rules = String::new();
        for (_, label, _, c) in CLASSES {
            rules.push_str(&format!(
                "<Rule><ogc:Filter><ogc:And><ogc:PropertyIsEqualTo><ogc:PropertyName>edificio_fid</ogc:PropertyName><ogc:Literal>{building}</ogc:Literal></ogc:PropertyIsEqualTo>\
                 <ogc:PropertyIsEqualTo><ogc:PropertyName>classe</ogc:PropertyName><ogc:Literal>{label}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:And></ogc:Filter>\
                 <PolygonSymbolizer><Fill><CssParameter name=\"fill\">#{:02x}{:02x}{:02x}</CssParameter></Fill><Stroke><CssParameter name=\"stroke\">#1a1a1a</CssParameter>\
                 <CssParameter name=\"stroke-width\">2</CssParameter></Stroke></PolygonSymbolizer></Rule>",
                c.r, c.g, c.b
            ));
        }
        rules.push_str(
            "<Rule><ElseFilter/><PolygonSymbolizer><Fill><CssParameter name=\"fill\">#e6e6e6</CssParameter></Fill><Stroke>\
             <CssParameter name=\"stroke\">#9a9a9a</CssParameter><CssParameter name=\"stroke-width\">0.5</CssParameter></Stroke></PolygonSymbolizer></Rule>",
        );
        format!(
            "<StyledLayerDescriptor version=\"1.0.0\" xmlns=\"http://www.opengis.net/sld\" xmlns:ogc=\"http://www.opengis.net/ogc\">\
             <NamedLayer><Name>{layer}</Name><UserStyle><FeatureTypeStyle>{rules}</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
        )
    }

    fn f(v: &Json) -> f64 {
        v.as_f64().unwrap_or(f64::NAN)
    }

    /// A label/value table row; returns the next baseline.
    fn row(page: &mut Page, x: f64, y: f64, w: f64, label: &str, value: &str) -> f64 {
        page.text(x, y, 8.5, false, GREY, &fit_text(label, 8.5, false, w * 0.5 - 4.0));
        let lines = wrap_text(value, 8.5, true, w * 0.5);
        for (i, l) in lines.iter().enumerate() {
            page.text(x + w * 0.5, y + i as f64 * 10.5, 8.5, true, INK, l);
        }
        let y = y + 10.5 * lines.len().max(1) as f64;
        page.line(&[(x, y - 7.5), (x + w, y - 7.5)], LINE, 0.4);
        y + 3.0
    }

    /// A heading and its label/value rows; returns the next baseline.
    fn table(page: &mut Page, x: f64, y: f64, w: f64, title: &str, rows: &[(&str, String)]) -> f64 {
        let mut y = heading(page, x, y, title);
        for (label, value) in rows {
            y = row(page, x, y, w, label, value);
        }
        y
    }

    fn heading(page: &mut Page, x: f64, y: f64, text: &str) -> f64 {
        page.text(x, y, 10.5, true, INK, text);
        y + 14.0
    }

    const DIRS_IT: [&str; 8] = ["N", "NE", "E", "SE", "S", "SO", "O", "NO"];
    const DIRS_EN: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    const MONTHS_IT: [&str; 12] = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"];
    const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// The whole sheet.
    pub(super) fn sheet(r: &Json, map: Option<(&(Pixmap, Bbox), &ReportPlanes)>, tenant: &str, link: &str, lang: &str) -> Page {
        let en = lang == "en";
        let w = |it: &'static str, en_text: &'static str| if en { en_text } else { it };
        let n = |v: f64, d: usize| decimal(v, d, lang);
        let (pw, ph) = A4;
        let mut page = Page::new(pw, ph);
        let b = &r["building"];
        let s = &r["summary"];
        let e = &s["economics"];
        let date = jiff::Zoned::now().strftime("%d/%m/%Y").to_string();
        page.text(M, M + 16.0, 16.0, true, INK, w("Il mio tetto — scheda del tetto", "Il mio tetto — roof report"));
        let sub = format!("{tenant} · {} {} · {} {date}", w("Edificio n.", "Building no."), b["id"], w("stampata il", "printed on"));
        page.text(M, M + 31.0, 9.0, false, GREY, &fit_text(&sub, 9.0, false, pw - 2.0 * M));
        // Map, planes numbered.
        let top = M + 42.0;
        let planes = r["planes"].as_array().cloned().unwrap_or_default();
        if let Some(((image, area), drawn)) = map {
            page.image(M, top, MAP_W, MAP_H, image);
            page.stroke_rect(M, top, MAP_W, MAP_H, GREY, 0.6);
            for (k, p) in planes.iter().enumerate() {
                let Some((_, x, y)) = drawn.centres.iter().find(|c| Some(c.0) == p["id"].as_i64()) else { continue };
                let px = M + (x - area.min_x) / (area.max_x - area.min_x) * MAP_W;
                let py = top + (area.max_y - y) / (area.max_y - area.min_y) * MAP_H;
                let label = (k + 1).to_string();
                let tw = text_width(&label, 9.0, true);
                page.fill_rect(px - tw / 2.0 - 2.5, py - 7.5, tw + 5.0, 11.0, WHITE);
                page.stroke_rect(px - tw / 2.0 - 2.5, py - 7.5, tw + 5.0, 11.0, INK, 0.5);
                page.text(px - tw / 2.0, py + 1.0, 9.0, true, INK, &label);
            }
        } else {
            page.text(
                M,
                top + 20.0,
                10.0,
                true,
                INK,
                w("Nessuna falda misurata per questo edificio.", "No measured roof plane for this building."),
            );
        }
        let mut x = M;
        let legend_y = top + MAP_H + 12.0;
        for (_, it, en_label, c) in CLASSES {
            let label = if en { en_label } else { it };
            page.fill_rect(x, legend_y - 7.5, 9.0, 9.0, c);
            page.stroke_rect(x, legend_y - 7.5, 9.0, 9.0, GREY, 0.4);
            page.text(x + 12.0, legend_y, 8.5, false, INK, label);
            x += 24.0 + text_width(label, 8.5, false);
        }
        // Planes.
        let mut y = heading(&mut page, M, legend_y + 20.0, w("Falde del tetto", "Roof planes"));
        let chosen: Vec<i64> = r["selected_planes"].as_array().map(|a| a.iter().filter_map(Json::as_i64).collect()).unwrap_or_default();
        let cols = [
            (w("Falda", "Plane"), 0.0),
            (w("Esposizione", "Aspect"), 38.0),
            (w("Pendenza", "Slope"), 100.0),
            (w("Superficie", "Area"), 150.0),
            ("kWh/m²", 205.0),
            ("kWp", 255.0),
            (w("kWh/anno", "kWh/yr"), 295.0),
            (w("Ombra", "Shade"), 355.0),
            (w("Classe", "Class"), 395.0),
            (w("Scelta", "Chosen"), 470.0),
        ];
        for (label, dx) in cols {
            page.text(M + dx, y, 7.5, true, GREY, label);
        }
        y += 11.0;
        let dirs = if en { DIRS_EN } else { DIRS_IT };
        let shown = planes.len().min(12);
        for (k, p) in planes.iter().take(shown).enumerate() {
            let i = &p["input"];
            let sol = &p["solar"];
            let aspect = f(&i["aspect"]);
            let class = CLASSES.iter().find(|c| sol["class"] == c.0).map(|c| if en { c.2 } else { c.1 }).unwrap_or("—");
            let flat = sol["flat_roof"] == true;
            let cells = [
                (k + 1).to_string(),
                if flat {
                    w("piana", "flat").to_string()
                } else {
                    format!("{} {}°", dirs[((aspect.rem_euclid(360.0) / 45.0).round() as usize) % 8], n(aspect, 0))
                },
                format!("{}°", n(f(&i["slope"]), 0)),
                format!("{} m²", n(f(&i["area_m2"]), 0)),
                n(f(&sol["irradiation_kwh_m2"]), 0),
                n(f(&sol["kwp"]), 1),
                n(f(&sol["annual_kwh"]), 0),
                format!("{} %", n(f(&i["shading"]) * 100.0, 1)),
                class.to_string(),
                if p["id"].as_i64().is_some_and(|id| chosen.contains(&id)) { w("sì", "yes") } else { "no" }.to_string(),
            ];
            for ((_, dx), cell) in cols.iter().zip(cells.iter()) {
                page.text(M + dx, y, 8.0, false, INK, cell);
            }
            y += 10.5;
        }
        if planes.len() > shown {
            page.text(M, y, 8.0, false, GREY, &format!("… {} {}", planes.len() - shown, w("altre falde", "more planes")));
            y += 10.5;
        }
        // Totals (left) and accounts (right).
        let col_w = (pw - 2.0 * M - 20.0) / 2.0;
        let right = M + col_w + 20.0;
        let band = &e["band"];
        let eur = |v: &Json| format!("{} €", n(f(v), 0));
        let range = |a: String, b: String| format!("({} {a}–{b})", w("fascia", "range"));
        let mut totals = vec![
            (w("Potenza installabile", "Installable power"), format!("{} kWp", n(f(&s["kwp"]), 1))),
            (
                w("Produzione annua", "Yearly production"),
                format!("{} kWh {}", n(f(&s["annual_kwh"]), 0), range(n(f(&band["annual_kwh"][0]), 0), n(f(&band["annual_kwh"][1]), 0))),
            ),
            (w("Superficie dei moduli", "Module area"), format!("{} m²", n(f(&s["module_area_m2"]), 0))),
            (w("CO₂ evitata", "CO₂ avoided"), format!("{} kg/{}", n(f(&e["co2_avoided_kg_per_year"]), 0), w("anno", "yr"))),
        ];
        if let Some(c) = e["consumption_covered"].as_f64() {
            totals.push((w("Consumi coperti", "Consumption covered"), format!("{} %", n(c * 100.0, 0))));
        }
        let yl = table(&mut page, M, y + 12.0, col_w, w("Totale delle falde scelte", "Total of the chosen planes"), &totals);
        let life = e["cash_flow_eur"].as_array().map_or(0, |a| a.len().saturating_sub(1));
        let pay = |v: &Json| match v.as_f64() {
            Some(y) => format!("{} {}", n(y, 1), w("anni", "years")),
            None => format!("{} {life} {}", w("non rientra in", "not within"), w("anni", "years")),
        };
        let accounts = [
            (w("Costo chiavi in mano", "Turnkey cost"), eur(&e["cost_eur"])),
            (w("Detrazione fiscale", "Tax deduction"), format!("−{}", eur(&e["deduction_eur"]))),
            (w("Costo dopo la detrazione", "Cost after the deduction"), eur(&e["net_cost_eur"])),
            (
                w("Risparmio del primo anno", "First-year savings"),
                format!(
                    "{} {}",
                    eur(&e["annual_savings_eur"]),
                    range(eur(&band["annual_savings_eur"][0]), eur(&band["annual_savings_eur"][1]))
                ),
            ),
            (
                w("di cui energia usata in casa", "of which energy used at home"),
                format!("{} kWh, {}", n(f(&e["self_consumed_kwh"]), 0), eur(&e["self_consumption_savings_eur"])),
            ),
            (
                w("ed energia ceduta alla rete", "and energy exported"),
                format!("{} kWh, {}", n(f(&e["exported_kwh"]), 0), eur(&e["export_revenue_eur"])),
            ),
            (
                w("Rientro della spesa", "Payback"),
                format!("{} {}", pay(&e["payback_years"]), range(pay(&band["payback_years"][1]), pay(&band["payback_years"][0]))),
            ),
        ];
        let yr = table(&mut page, right, y + 12.0, col_w, w("Conti dell'impianto", "The system's accounts"), &accounts);
        // Months.
        let mut y = heading(&mut page, M, yl.max(yr) + 8.0, w("Produzione mese per mese (kWh)", "Production month by month (kWh)"));
        let months: Vec<f64> = s["monthly_kwh"].as_array().map(|a| a.iter().map(f).collect()).unwrap_or_default();
        let max = months.iter().copied().fold(1.0, f64::max);
        let names = if en { MONTHS_EN } else { MONTHS_IT };
        let slot = (pw - 2.0 * M) / 12.0;
        let chart_h = 60.0;
        for (i, v) in months.iter().enumerate() {
            let h = v / max * chart_h;
            let x = M + i as f64 * slot;
            page.fill_rect(x + slot * 0.2, y + chart_h - h, slot * 0.6, h, BAR);
            let value = n(*v, 0);
            page.text(x + slot / 2.0 - text_width(&value, 7.0, false) / 2.0, y + chart_h + 9.0, 7.0, false, INK, &value);
            page.text(x + slot / 2.0 - text_width(names[i], 7.0, false) / 2.0, y + chart_h + 18.0, 7.0, false, GREY, names[i]);
        }
        y += chart_h + 38.0;
        // Cash flow.
        y = heading(
            &mut page,
            M,
            y,
            &format!("{} {life} {} (€)", w("Flusso di cassa cumulato in", "Cumulative cash flow over"), w("anni", "years")),
        );
        let flow: Vec<f64> = e["cash_flow_eur"].as_array().map(|a| a.iter().map(f).collect()).unwrap_or_default();
        let fmax = flow.iter().map(|v| v.abs()).fold(1.0, f64::max);
        let slot = (pw - 2.0 * M) / flow.len().max(1) as f64;
        let half = 20.0;
        for (i, v) in flow.iter().enumerate() {
            let h = v.abs() / fmax * half;
            let x = M + i as f64 * slot;
            let (top, colour) = if *v >= 0.0 { (y + half - h, BAR) } else { (y + half, RED) };
            page.fill_rect(x + slot * 0.15, top, slot * 0.7, h.max(0.3), colour);
        }
        page.line(&[(M, y + half), (pw - M, y + half)], GREY, 0.4);
        let ends = format!(
            "{} 0: {} · {} {life}: {}",
            w("anno", "year"),
            eur(&flow.first().map_or(Json::Null, |v| Json::from(*v))),
            w("anno", "year"),
            eur(&flow.last().map_or(Json::Null, |v| Json::from(*v)))
        );
        page.text(M, y + 2.0 * half + 9.0, 7.5, false, GREY, &ends);
        y += 2.0 * half + 24.0;
        // Green roof and figures used.
        let green_title = w("Tetto verde", "Green roof");
        let yl = match s["green_type"].as_str() {
            Some(kind) => {
                let kind = match kind {
                    "intensive" => w("intensivo", "intensive"),
                    _ => w("estensivo", "extensive"),
                };
                let green = [
                    (w("Tipo", "Type"), kind.to_string()),
                    (w("Superficie a verde", "Green area"), format!("{} m²", n(f(&s["green_area_m2"]), 0))),
                    (w("Carico da verificare", "Load to check"), format!("{} kg/m²", n(f(&s["green_load_kg_m2"]), 0))),
                    (w("Costo", "Cost"), eur(&s["green_cost_eur"])),
                    (
                        w("Pioggia trattenuta", "Rain retained"),
                        format!("{} m³/{}", n(f(&s["retained_rain_m3_per_year"]), 1), w("anno", "yr")),
                    ),
                ];
                table(&mut page, M, y, col_w, green_title, &green)
            }
            None => {
                let y = heading(&mut page, M, y, green_title);
                let none = w("Nessuna delle falde scelte può diventare verde.", "None of the chosen planes can become green.");
                page.text(M, y, 8.5, false, INK, none);
                y + 12.0
            }
        };
        let used = &e["used"];
        let household = &r["household"];
        let mut figures = vec![
            (w("Prezzo dell'elettricità", "Electricity price"), format!("{} €/kWh", n(f(&used["electricity_price_eur_kwh"]), 3))),
            (w("Prezzo dell'energia ceduta", "Export price"), format!("{} €/kWh", n(f(&used["export_price_eur_kwh"]), 3))),
            (w("Quota usata in casa", "Share used at home"), format!("{} %", n(f(&used["self_consumption"]) * 100.0, 0))),
            (w("Costo per kWp", "Cost per kWp"), format!("{} €", n(f(&used["eur_per_kwp"]), 0))),
            (w("Detrazione", "Deduction"), format!("{} % {}", n(f(&used["deduction_rate"]) * 100.0, 0), w("in 10 anni", "over 10 years"))),
        ];
        if let Some(c) = household["consumption_kwh"].as_f64() {
            figures.push((w("Consumo annuo", "Yearly use"), format!("{} kWh", n(c, 0))));
        }
        if f(&household["battery_kwh"]) > 0.0 {
            figures.push((w("Batteria", "Battery"), format!("{} kWh", n(f(&household["battery_kwh"]), 1))));
        }
        let yr = table(&mut page, right, y, col_w, w("Ipotesi usate", "Figures used"), &figures);
        let mut y = yl.max(yr) + 6.0;
        // What the building's attributes say, in the page's words.
        let mut notes = Vec::new();
        if let Some(v) = b["vincolo"].as_str() {
            notes.push(format!(
                "{} — {v}. {}",
                w("Edificio sottoposto a tutela", "Protected building"),
                w(
                    "Pannelli solari o un tetto verde richiedono un'autorizzazione (della Soprintendenza per i beni culturali, del Comune nei nuclei storici). Le stime sono solo tecniche.",
                    "Solar panels or a green roof need a permit (from the Soprintendenza for listed buildings, from the comune in historic cores). The estimates are technical only."
                )
            ));
        }
        if let Some(k) = b["existing_kwp"].as_f64() {
            notes.push(format!(
                "{} {} kWp: {}",
                w("Sul tetto risulta già un impianto fotovoltaico di", "The roof already has a photovoltaic system of"),
                n(k, 1),
                w(
                    "le stime valgono per un impianto nuovo al suo posto o, sulla superficie libera, per ampliarlo.",
                    "the estimates are for a new system in its place or, on the free surface, for extending it."
                )
            ));
        }
        for text in &notes {
            // At most three lines each (a long legal text in the data must not push the rest
            // off the page).
            for line in wrap_text(text, 8.0, true, pw - 2.0 * M).into_iter().take(3) {
                page.text(M, y, 8.0, true, INK, &line);
                y += 10.0;
            }
        }
        let note = format!(
            "{} {} %. {}",
            w("La fascia è il risultato con una produzione più bassa o più alta del", "The range is the result with a production lower or higher by"),
            n(f(&band["production_share"]) * 100.0, 0),
            w(
                "Stime indicative di navigli (docs/roofs.md): non sostituiscono il progetto di un tecnico; nessun dato personale è salvato.",
                "Indicative estimates by navigli (docs/roofs.md): not a substitute for an engineer's design; no personal data is stored."
            )
        );
        for line in wrap_text(&note, 7.5, false, pw - 2.0 * M) {
            page.text(M, y, 7.5, false, GREY, &line);
            y += 9.5;
        }
        page.text(M, (ph - M).min(y + 4.0).max(y), 7.5, false, GREY, &fit_text(link, 7.5, false, pw - 2.0 * M));
        page
    }
}
