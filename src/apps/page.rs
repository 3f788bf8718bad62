//! The HTML of the app pages: the viewer's skeleton (the bundle fills it) and the list of a
//! tenant's apps. Every text an operator typed is escaped here; the data block the script reads
//! is JSON with `<`, `>` and `&` escaped, so no text can close the element. No inline script or
//! style (the CSP forbids both): colours come from the script, through CSS variables.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::document::AppDocument;
use super::viewer::{h, lang, manifest};
use crate::http::Scope;

/// Interface texts of the server-rendered parts, Italian and English.
fn t(lang: &str, key: &str) -> &'static str {
    let it = lang != "en";
    match key {
        "skip" if it => "Vai al pannello dei livelli",
        "skip" => "Skip to the layer panel",
        "map" if it => "Mappa. Frecce per spostarsi, + e − per lo zoom.",
        "map" => "Map. Arrow keys to pan, + and − to zoom.",
        "panel" if it => "Pannello della mappa",
        "panel" => "Map panel",
        "layers" if it => "Livelli",
        "layers" => "Layers",
        "info" if it => "Informazioni",
        "info" => "Information",
        "hint" if it => "Tocca o fai clic sulla mappa per leggere i dati di un oggetto.",
        "hint" => "Tap or click the map to read an object's data.",
        "switch" if it => "English",
        "switch" => "Italiano",
        "noscript" if it => "Questa mappa richiede JavaScript. I dati restano disponibili come servizi WMS e WFS.",
        "noscript" => "This map needs JavaScript. The data stay available as WMS and WFS services.",
        "unbuilt" if it => {
            "Il visualizzatore non è ancora stato compilato su questo server: esegui scripts/web.sh (oppure make run) e ricarica la pagina."
        }
        "unbuilt" => "The viewer has not been built on this server yet: run scripts/web.sh (or make run) and reload the page.",
        "apps" if it => "Mappe pubblicate",
        "apps" => "Published maps",
        "none" if it => "Nessuna mappa pubblicata.",
        "none" => "No published map.",
        _ => "",
    }
}

/// The other language's link, keeping the page.
pub(super) fn switch(lang: &str) -> (&'static str, &'static str) {
    if lang == "en" {
        ("it", "?lang=it")
    } else {
        ("en", "?lang=en")
    }
}

/// JSON safe inside a `<script type="application/json">` element.
pub(super) fn data_block(v: &Json) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

pub(super) fn head(out: &mut String, lang: &str, title: &str, css: Option<&str>) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n",
        h(title)
    );
    if let Some(css) = css {
        let _ = writeln!(out, "<link rel=\"stylesheet\" href=\"/static/{}\">", h(css));
    }
    out.push_str("</head>\n");
}

/// The viewer page of one published app.
pub fn viewer(scope: &Scope, slug: &str, revision: u32, doc: &AppDocument, runtime: &Json) -> String {
    let lang = lang(scope);
    let files = manifest(&scope.catalog().server.web_dir);
    let file = |k: &str| files.as_ref().and_then(|m| m.get(k)).and_then(Json::as_str).map(str::to_string);
    let (js, css) = (file("viewer.js"), file("viewer.css"));
    let mut out = String::with_capacity(8192);
    let title = format!("{} — {}", doc.title, scope.tenant().title);
    head(&mut out, lang, &title, css.as_deref());
    let (other, href) = switch(lang);
    let _ = write!(out, "<body class=\"viewer\">\n<a class=\"skip\" href=\"#panel\">{}</a>\n<header class=\"bar\">\n", t(lang, "skip"));
    if let Some(logo) = &doc.logo {
        let _ = writeln!(out, "<img class=\"logo\" src=\"{}\" alt=\"\">", h(logo));
    }
    let _ = write!(
        out,
        "<div class=\"titles\"><h1>{}</h1><p class=\"tenant\">{}</p></div>\n\
         <a class=\"lang\" href=\"{href}\" lang=\"{other}\" hreflang=\"{other}\">{}</a>\n</header>\n",
        h(&doc.title),
        h(&scope.tenant().title),
        t(lang, "switch")
    );
    let _ = write!(
        out,
        "<main class=\"layout\">\n<div id=\"map\" class=\"map\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"></div>\n\
         <aside id=\"panel\" class=\"panel\" aria-label=\"{}\" tabindex=\"-1\">\n\
         <section class=\"layers\" aria-labelledby=\"layers-h\"><h2 id=\"layers-h\">{}</h2><ul id=\"layer-list\"></ul></section>\n\
         <section id=\"info\" class=\"info\" aria-labelledby=\"info-h\" aria-live=\"polite\"><h2 id=\"info-h\">{}</h2><div id=\"info-body\"><p>{}</p></div></section>\n",
        t(lang, "map"),
        t(lang, "panel"),
        t(lang, "layers"),
        t(lang, "info"),
        t(lang, "hint"),
    );
    if !doc.description.is_empty() {
        let _ = writeln!(out, "<section class=\"about\"><p>{}</p></section>", h(&doc.description));
    }
    out.push_str("</aside>\n</main>\n");
    let _ = writeln!(out, "<noscript><p class=\"notice\">{}</p></noscript>", t(lang, "noscript"));
    match js {
        Some(js) => {
            let mut data = runtime.clone();
            data["app"] = serde_json::json!({
                "slug": slug, "revision": revision, "title": doc.title, "primary": doc.primary, "lang": lang,
            });
            let _ = write!(
                out,
                "<script type=\"application/json\" id=\"navigli-app\">{}</script>\n<script src=\"/static/{}\" defer></script>\n",
                data_block(&data),
                h(&js)
            );
        }
        None => {
            tracing::warn!("the web bundle is missing from {}: run scripts/web.sh", scope.catalog().server.web_dir.display());
            let _ = writeln!(out, "<p class=\"notice\" role=\"alert\">{}</p>", t(lang, "unbuilt"));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The builder page: a skeleton the builder bundle fills from the data block (the tenant's
/// layers the operator may use, tools, roles, the session's CSRF token).
pub fn builder(scope: &Scope, data: &Json) -> String {
    let lang = lang(scope);
    let files = manifest(&scope.catalog().server.web_dir);
    let file = |k: &str| files.as_ref().and_then(|m| m.get(k)).and_then(Json::as_str).map(str::to_string);
    let (js, css) = (file("builder.js"), file("builder.css"));
    let it = lang != "en";
    let mut out = String::with_capacity(8192);
    let title = format!("{} — {}", if it { "Costruttore di mappe" } else { "Map builder" }, scope.tenant().title);
    head(&mut out, lang, &title, css.as_deref());
    let (other, href) = switch(lang);
    let _ = write!(
        out,
        "<body class=\"builder\">\n<a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"bar\"><div class=\"titles\"><h1>{}</h1><p class=\"tenant\">{}</p></div>\
         <a class=\"lang\" href=\"{href}\" lang=\"{other}\" hreflang=\"{other}\">{}</a></header>\n<main id=\"main\" class=\"page wide\" tabindex=\"-1\"></main>\n",
        if it { "Vai al contenuto" } else { "Skip to content" },
        if it { "Costruttore di mappe" } else { "Map builder" },
        h(&scope.tenant().title),
        t(lang, "switch")
    );
    let _ = writeln!(
        out,
        "<noscript><p class=\"notice\">{}</p></noscript>",
        if it { "Il costruttore richiede JavaScript." } else { "The builder needs JavaScript." }
    );
    match js {
        Some(js) => {
            let _ = write!(
                out,
                "<script type=\"application/json\" id=\"navigli-builder\">{}</script>\n<script src=\"/static/{}\" defer></script>\n",
                data_block(data),
                h(&js)
            );
        }
        None => {
            let _ = writeln!(out, "<p class=\"notice\" role=\"alert\">{}</p>", t(lang, "unbuilt"));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The list of a tenant's published apps.
pub fn list(scope: &Scope, apps: &[(String, AppDocument)]) -> String {
    let lang = lang(scope);
    let css = manifest(&scope.catalog().server.web_dir).and_then(|m| m.get("viewer.css").and_then(Json::as_str).map(str::to_string));
    let mut out = String::with_capacity(4096);
    let title = format!("{} — {}", t(lang, "apps"), scope.tenant().title);
    head(&mut out, lang, &title, css.as_deref());
    let (other, href) = switch(lang);
    let _ = write!(
        out,
        "<body class=\"list\">\n<header class=\"bar\"><div class=\"titles\"><h1>{}</h1><p class=\"tenant\">{}</p></div>\
         <a class=\"lang\" href=\"{href}\" lang=\"{other}\" hreflang=\"{other}\">{}</a></header>\n<main class=\"page\">\n",
        t(lang, "apps"),
        h(&scope.tenant().title),
        t(lang, "switch")
    );
    if apps.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", t(lang, "none"));
    } else {
        out.push_str("<ul class=\"apps\">\n");
        let key = scope.tenant().url_key();
        let suffix = if lang == "en" { "?lang=en" } else { "" };
        for (slug, d) in apps {
            let _ =
                writeln!(out, "<li><a href=\"/{}/apps/{}{suffix}\">{}</a><p>{}</p></li>", h(key), h(slug), h(&d.title), h(&d.description));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_block_cannot_be_closed_by_a_text() {
        let v = serde_json::json!({ "title": "</script><script>alert(1)</script>&" });
        let s = super::data_block(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
