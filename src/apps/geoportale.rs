//! The GeoPortale page: `/{tenant}/geoportale` searches the catalog's records (the CSW's, for
//! the same caller: restricted layers only for those who may see them) by text, theme, type
//! and extent, or moves to another comune's catalog; `/{tenant}/geoportale/record?id=…` shows
//! one record's metadata, a map preview (a WMS GetMap of the layer over the tenant's extent)
//! and the URLs to paste into QGIS, each with a copy button (the only script:
//! `web/src/geoportale.js`). Server-rendered, Italian first (`?lang=en`), usable without
//! JavaScript; every text from the configuration is escaped.

use std::fmt::Write as _;

use actix_web::{web, HttpResponse};
use serde_json::Value as Json;

use super::viewer::{h, lang, manifest};
use crate::crs::Bbox;
use crate::http::exception::ExceptionCode;
use crate::http::{Scope, ServiceError};
use crate::ogc::csw::records::{self, Kind, Record};

/// Mounts the GeoPortale pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/geoportale", web::get().to(search)).route("/{tenant}/geoportale/record", web::get().to(record));
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

fn t(lang: &str, key: &str) -> &'static str {
    let it = lang != "en";
    match key {
        "title" if it => "GeoPortale",
        "title" => "GeoPortal",
        "intro" if it => "Cerca i dati e i servizi cartografici, leggi i metadati e copia gli indirizzi da usare in QGIS.",
        "intro" => "Find the map data and services, read their metadata and copy the addresses to use in QGIS.",
        "q" if it => "Testo",
        "q" => "Text",
        "theme" if it => "Tema",
        "theme" => "Theme",
        "any" if it => "Tutti",
        "any" => "All",
        "kind" if it => "Tipo",
        "kind" => "Type",
        "dataset" if it => "Dati",
        "dataset" => "Data",
        "service" if it => "Servizio",
        "service" => "Service",
        "bbox" if it => "Estensione (lon min, lat min, lon max, lat max)",
        "bbox" => "Extent (min lon, min lat, max lon, max lat)",
        "comune" if it => "Comune",
        "comune" => "Municipality",
        "search" if it => "Cerca",
        "search" => "Search",
        "results" if it => "Risultati",
        "results" => "Results",
        "none" if it => "Nessun risultato: prova con meno parole o un altro tema.",
        "none" => "No result: try fewer words or another theme.",
        "found" if it => "risultati",
        "found" => "results",
        "switch" if it => "English",
        "switch" => "Italiano",
        "back" if it => "Torna alla ricerca",
        "back" => "Back to the search",
        "metadata" if it => "Metadati",
        "metadata" => "Metadata",
        "preview" if it => "Anteprima",
        "preview" => "Preview",
        "urls" if it => "Indirizzi per QGIS e altri programmi",
        "urls" => "Addresses for QGIS and other programs",
        "copy" if it => "Copia",
        "copy" => "Copy",
        "copied" if it => "Indirizzo copiato negli appunti.",
        "copied" => "Address copied to the clipboard.",
        "select" if it => "Copia non riuscita: l'indirizzo è selezionato, usa Ctrl+C.",
        "select" => "Copy failed: the address is selected, press Ctrl+C.",
        "identifier" if it => "Identificativo",
        "identifier" => "Identifier",
        "abstract" if it => "Descrizione",
        "abstract" => "Description",
        "keywords" if it => "Parole chiave",
        "keywords" => "Keywords",
        "inspire" if it => "Tema INSPIRE",
        "inspire" => "INSPIRE theme",
        "topic" if it => "Categoria ISO",
        "topic" => "ISO topic",
        "lineage" if it => "Origine dei dati",
        "lineage" => "Lineage",
        "licence" if it => "Licenza",
        "licence" => "Licence",
        "responsible" if it => "Responsabile",
        "responsible" => "Responsible party",
        "date" if it => "Data",
        "date" => "Date",
        "extent" if it => "Estensione",
        "extent" => "Extent",
        "access" if it => "Accesso",
        "access" => "Access",
        "public" if it => "Pubblico",
        "public" => "Public",
        "restricted" if it => "Riservato",
        "restricted" => "Restricted",
        "datasets" if it => "Dati serviti",
        "datasets" => "Data served",
        "map" if it => "Mappa del livello",
        "map" => "Map of the layer",
        "xml" if it => "Metadati ISO 19139 (XML)",
        "xml" => "ISO 19139 metadata (XML)",
        _ => "",
    }
}

fn head(out: &mut String, lang: &str, title: &str, scope: &Scope) {
    let m = manifest(&scope.catalog().server.web_dir);
    let asset = |k: &str| m.as_ref().and_then(|m| m.get(k).and_then(Json::as_str).map(str::to_string));
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n",
        h(title)
    );
    if let Some(css) = asset("geoportale.css") {
        let _ = writeln!(out, "<link rel=\"stylesheet\" href=\"/static/{}\">", h(&css));
    }
    if let Some(js) = asset("geoportale.js") {
        let _ = writeln!(out, "<script defer src=\"/static/{}\"></script>", h(&js));
    }
    out.push_str("</head>\n");
}

fn bar(out: &mut String, lang: &str, scope: &Scope, other_href: &str) {
    let other = if lang == "en" { "it" } else { "en" };
    let _ = write!(
        out,
        "<body class=\"geoportale\">\n<header class=\"bar\"><div class=\"titles\"><p class=\"brand\"><a href=\"/{}/geoportale{}\">{}</a></p><p class=\"tenant\">{}</p></div>\
         <a class=\"lang\" href=\"{}\" lang=\"{other}\" hreflang=\"{other}\">{}</a></header>\n",
        h(scope.tenant().url_key()),
        if lang == "en" { "?lang=en" } else { "" },
        t(lang, "title"),
        h(&scope.tenant().title),
        h(other_href),
        t(lang, "switch")
    );
}

fn html(page: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("Cache-Control", "no-cache"))
        .body(page)
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    let q = s.finish();
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}

/// The themes offered: the INSPIRE themes and the groups of the records.
fn themes(all: &[Record]) -> Vec<String> {
    let mut out: Vec<String> = all.iter().filter_map(|r| r.inspire_theme.clone()).collect();
    out.sort();
    out.dedup();
    out
}

fn matches(r: &Record, words: &[String], theme: &str, kind: &str, bbox: Option<&Bbox>) -> bool {
    let text = r.any_text().to_lowercase();
    words.iter().all(|w| text.contains(w.as_str()))
        && (theme.is_empty() || r.inspire_theme.as_deref() == Some(theme))
        && (kind.is_empty() || r.type_name() == kind)
        && bbox.is_none_or(|b| b.intersects(&r.bbox))
}

async fn search(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let lang = lang(&scope);
    let get = |k: &str| scope.kvp.get(k).unwrap_or("").trim().chars().take(200).collect::<String>();
    let (q, theme, kind, bbox_text, comune) = (get("q"), get("tema"), get("tipo"), get("bbox"), get("comune"));
    let lang_param = if lang == "en" { "en" } else { "" };
    // Another comune's catalog: the same search there.
    if !comune.is_empty() && comune != scope.tenant().url_key() {
        let Some(t) = scope.catalog().tenant(&comune) else {
            return Err(super::viewer::json_error(404, ExceptionCode::NotFound, "no such comune"));
        };
        let to = format!(
            "/{}/geoportale{}",
            t.url_key(),
            query_string(&[("q", &q), ("tema", &theme), ("tipo", &kind), ("bbox", &bbox_text), ("lang", lang_param)])
        );
        return Ok(HttpResponse::SeeOther().insert_header(("Location", to)).finish());
    }
    let bbox = crate::ogc::records::parse_lonlat(&bbox_text).ok();
    let all = records::records_with_extents(scope.catalog(), scope.tenant(), &scope.caller).await;
    let words: Vec<String> = q.to_lowercase().split_whitespace().map(str::to_string).collect();
    let found: Vec<&Record> = all.iter().filter(|r| matches(r, &words, &theme, &kind, bbox.as_ref())).collect();

    let mut out = String::with_capacity(16_384);
    let title = format!("{} — {}", t(lang, "title"), scope.tenant().title);
    head(&mut out, lang, &title, &scope);
    let other_lang = if lang == "en" { "" } else { "en" };
    let switch = format!(
        "/{}/geoportale{}",
        scope.tenant().url_key(),
        query_string(&[
            ("q", &q),
            ("tema", &theme),
            ("tipo", &kind),
            ("bbox", &bbox_text),
            ("lang", if other_lang.is_empty() { "it" } else { "en" })
        ])
    );
    bar(&mut out, lang, &scope, &switch);
    let _ = write!(out, "<main class=\"page\" id=\"main\">\n<h1>{}</h1>\n<p>{}</p>\n", t(lang, "title"), t(lang, "intro"));
    // The search form.
    let _ = writeln!(out, "<form class=\"search\" role=\"search\" method=\"get\" action=\"/{}/geoportale\">", h(scope.tenant().url_key()));
    if lang == "en" {
        out.push_str("<input type=\"hidden\" name=\"lang\" value=\"en\">\n");
    }
    let _ = writeln!(
        out,
        "<p><label for=\"q\">{}</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" maxlength=\"200\"></p>",
        t(lang, "q"),
        h(&q)
    );
    let _ = write!(
        out,
        "<p><label for=\"tema\">{}</label><select id=\"tema\" name=\"tema\"><option value=\"\">{}</option>",
        t(lang, "theme"),
        t(lang, "any")
    );
    for th in themes(&all) {
        let sel = if th == theme { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{}\"{sel}>{}</option>", h(&th), h(&th));
    }
    out.push_str("</select></p>\n");
    let _ = write!(
        out,
        "<p><label for=\"tipo\">{}</label><select id=\"tipo\" name=\"tipo\"><option value=\"\">{}</option>",
        t(lang, "kind"),
        t(lang, "any")
    );
    for k in ["dataset", "service"] {
        let sel = if k == kind { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{k}\"{sel}>{}</option>", t(lang, k));
    }
    out.push_str("</select></p>\n");
    let _ = write!(out, "<p><label for=\"comune\">{}</label><select id=\"comune\" name=\"comune\">", t(lang, "comune"));
    for tenant in &scope.catalog().tenants {
        let sel = if tenant.id == scope.tenant().id { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{}\"{sel}>{}</option>", h(tenant.url_key()), h(&tenant.title));
    }
    out.push_str("</select></p>\n");
    let _ = writeln!(
        out,
        "<p><label for=\"bbox\">{}</label><input id=\"bbox\" name=\"bbox\" inputmode=\"decimal\" value=\"{}\" placeholder=\"9.10, 45.40, 9.25, 45.50\" maxlength=\"100\"></p>",
        t(lang, "bbox"),
        h(&bbox_text)
    );
    let _ = write!(out, "<p><button type=\"submit\">{}</button></p>\n</form>\n", t(lang, "search"));
    // The results.
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"risultati\"><h2 id=\"risultati\">{} <span class=\"count\">({} {})</span></h2>",
        t(lang, "results"),
        found.len(),
        t(lang, "found")
    );
    if found.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", t(lang, "none"));
    } else {
        out.push_str("<ul class=\"records\">\n");
        for r in found {
            let href = format!("/{}/geoportale/record{}", scope.tenant().url_key(), query_string(&[("id", &r.id), ("lang", lang_param)]));
            let snippet: String = r.abstract_.chars().take(220).collect();
            let _ = writeln!(
                out,
                "<li><h3><a href=\"{}\">{}</a></h3><p class=\"meta\"><span class=\"badge\">{}</span>{}</p><p>{}</p></li>",
                h(&href),
                h(&r.title),
                t(lang, r.type_name()),
                r.inspire_theme.as_deref().map(|th| format!(" {}", h(th))).unwrap_or_default(),
                h(&snippet)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n</main>\n</body>\n</html>\n");
    Ok(html(out))
}

async fn record(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let lang = lang(&scope);
    let id = scope.kvp.get("id").unwrap_or("").to_string();
    let all = records::records_with_extents(scope.catalog(), scope.tenant(), &scope.caller).await;
    let Some(r) = all.iter().find(|r| r.id == id) else {
        return Err(super::viewer::json_error(404, ExceptionCode::NotFound, "no such record in this catalog"));
    };
    let key = scope.tenant().url_key();
    let lang_param = if lang == "en" { "en" } else { "" };
    let base = scope.catalog().server.base_url();
    let mut out = String::with_capacity(16_384);
    head(&mut out, lang, &format!("{} — {}", r.title, t(lang, "title")), &scope);
    let switch = format!("/{key}/geoportale/record{}", query_string(&[("id", &r.id), ("lang", if lang == "en" { "it" } else { "en" })]));
    bar(&mut out, lang, &scope, &switch);
    let _ = write!(
        out,
        "<main class=\"page\" id=\"main\">\n<p><a href=\"/{}/geoportale{}\">← {}</a></p>\n<h1>{}</h1>\n<p>{}</p>\n",
        h(key),
        query_string(&[("lang", lang_param)]),
        t(lang, "back"),
        h(&r.title),
        h(&r.abstract_)
    );
    // URLs to copy.
    let mut urls: Vec<(String, String)> = Vec::new();
    match r.kind {
        Kind::Dataset => {
            let layer = &r.links[0].name;
            urls.push(("WMS".into(), format!("{base}/{key}/wms")));
            urls.push((format!("WFS ({})", r.links[1].name), format!("{base}/{key}/wfs")));
            urls.push(("OGC API – Features".into(), format!("{base}/{key}/ogcapi/collections/{layer}")));
            urls.push(("TileJSON (MVT)".into(), format!("{base}/{key}/tiles/{layer}.json")));
        }
        Kind::Service(_) => urls.push((r.links[0].protocol.to_string(), r.links[0].url.clone())),
    }
    urls.push((
        t(lang, "xml").to_string(),
        format!(
            "{base}/{key}/csw{}",
            query_string(&[
                ("SERVICE", "CSW"),
                ("VERSION", "2.0.2"),
                ("REQUEST", "GetRecordById"),
                ("id", &r.id),
                ("outputSchema", crate::ogc::csw::GMD_NS)
            ])
        ),
    ));
    let _ = write!(out, "<section aria-labelledby=\"urls\"><h2 id=\"urls\">{}</h2>\n<ul class=\"urls\">\n", t(lang, "urls"));
    for (i, (label, url)) in urls.iter().enumerate() {
        let _ = writeln!(
            out,
            "<li><label for=\"url-{i}\">{}</label><span class=\"copy\"><input id=\"url-{i}\" type=\"text\" readonly value=\"{}\">\
             <button type=\"button\" data-copy=\"url-{i}\" data-done=\"{}\" data-fail=\"{}\" hidden>{}<span class=\"visually-hidden\"> {}</span></button></span></li>",
            h(label),
            h(url),
            t(lang, "copied"),
            t(lang, "select"),
            t(lang, "copy"),
            h(label)
        );
    }
    out.push_str("</ul>\n<p id=\"copy-status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n</section>\n");
    // Preview.
    if let Kind::Dataset = r.kind {
        let (b, w, hgt) = preview_box(r.bbox, r.max_scale);
        let src = format!(
            "/{key}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={}&STYLES=&CRS=CRS:84&BBOX={},{},{},{}&WIDTH={w}&HEIGHT={hgt}&FORMAT=image/png",
            form_urlencoded::byte_serialize(r.links[0].name.as_bytes()).collect::<String>(),
            b.min_x,
            b.min_y,
            b.max_x,
            b.max_y
        );
        let _ = write!(
            out,
            "<section aria-labelledby=\"anteprima\"><h2 id=\"anteprima\">{}</h2>\n<img class=\"preview\" src=\"{}\" width=\"{w}\" height=\"{hgt}\" alt=\"{}: {}\">\n</section>\n",
            t(lang, "preview"),
            h(&src),
            t(lang, "map"),
            h(&r.title)
        );
    }
    // Metadata.
    let _ =
        write!(out, "<section aria-labelledby=\"metadati\"><h2 id=\"metadati\">{}</h2>\n<table class=\"metadata\">\n", t(lang, "metadata"));
    let mut row = |k: &str, v: &str| {
        if !v.is_empty() {
            let _ = writeln!(out, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", t(lang, k), h(v));
        }
    };
    row("identifier", &r.id);
    row("kind", t(lang, r.type_name()));
    row("keywords", &r.keywords.join(", "));
    row("inspire", r.inspire_theme.as_deref().unwrap_or(""));
    row("topic", r.topic_category.as_deref().unwrap_or(""));
    row("lineage", r.lineage.as_deref().unwrap_or(""));
    row("licence", &r.licence);
    row("access", t(lang, if r.restricted { "restricted" } else { "public" }));
    let resp = [r.responsible.organization.clone().unwrap_or_default(), r.responsible.email.clone().unwrap_or_default()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" — ");
    row("responsible", &resp);
    row("date", &r.date);
    let b = r.bbox;
    row("extent", &format!("{:.4}, {:.4}, {:.4}, {:.4}", b.min_x, b.min_y, b.max_x, b.max_y));
    out.push_str("</table>\n</section>\n");
    if !r.operates_on.is_empty() {
        let _ = write!(out, "<section aria-labelledby=\"serviti\"><h2 id=\"serviti\">{}</h2>\n<ul>\n", t(lang, "datasets"));
        for (id, _) in &r.operates_on {
            if let Some(d) = all.iter().find(|d| &d.id == id) {
                let href = format!("/{key}/geoportale/record{}", query_string(&[("id", id), ("lang", lang_param)]));
                let _ = writeln!(out, "<li><a href=\"{}\">{}</a></li>", h(&href), h(&d.title));
            }
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(html(out))
}

/// The preview's box and size: the record's extent, or — for a layer drawn only at larger
/// scales (`max_scale`) — a box around its middle at half that scale, so the map shows it.
fn preview_box(b: Bbox, max_scale: Option<f64>) -> (Bbox, u32, u32) {
    const W: u32 = 640;
    let coslat = ((b.min_y + b.max_y) / 2.0).to_radians().cos().max(0.01);
    let aspect = ((b.max_x - b.min_x) * coslat) / (b.max_y - b.min_y).max(1e-9);
    let h = ((W as f64 / aspect.max(0.2)).round() as u32).clamp(160, 900);
    let metres_per_degree = 111_320.0 * coslat;
    let scale = (b.max_x - b.min_x) * metres_per_degree / (W as f64 * 0.00028);
    match max_scale {
        Some(s) if scale >= s => {
            let half_w = s * 0.5 * W as f64 * 0.00028 / 2.0 / metres_per_degree;
            let half_h = half_w * coslat * h as f64 / W as f64;
            let (cx, cy) = ((b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0);
            (Bbox { min_x: cx - half_w, min_y: cy - half_h, max_x: cx + half_w, max_y: cy + half_h }, W, h)
        }
        _ => (b, W, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_and_query_strings() {
        let parse_bbox = |s: &str| crate::ogc::records::parse_lonlat(s).ok();
        assert_eq!(parse_bbox("9.1, 45.4, 9.25, 45.5"), Bbox::new(9.1, 45.4, 9.25, 45.5));
        assert_eq!(parse_bbox("9.1 45.4 9.25 45.5"), Bbox::new(9.1, 45.4, 9.25, 45.5));
        assert_eq!(parse_bbox("9.1,45.4,9.25"), None);
        assert_eq!(parse_bbox("500000,5000000,510000,5010000"), None, "lon/lat only");
        assert_eq!(query_string(&[("q", "tetti verdi"), ("tema", ""), ("lang", "en")]), "?q=tetti+verdi&lang=en");
        assert_eq!(query_string(&[("q", "")]), "");
    }

    #[test]
    fn previews_zoom_in_to_where_a_layer_is_drawn() {
        let metro = Bbox { min_x: 8.69, min_y: 45.16, max_x: 9.55, max_y: 45.65 };
        let (b, w, h) = preview_box(metro, None);
        assert_eq!((b, w), (metro, 640));
        assert!((450..600).contains(&h), "the metro area is wider than high: {h}");
        let (b, _, _) = preview_box(metro, Some(25_000.0));
        let scale = (b.max_x - b.min_x) * 111_320.0 * (45.405f64).to_radians().cos() / (640.0 * 0.00028);
        assert!((scale - 12_500.0).abs() < 100.0, "{scale}");
        assert!(b.min_x > metro.min_x && b.max_y < metro.max_y);
    }
}
