//! The HTML encoding of every OGC API resource: small server-rendered pages, Italian first
//! (`lang=en` for English), every text from the configuration or the data escaped, no script
//! and no request to a third party. `/items` pages stream like the GeoJSON answer.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::Value as Json;

use super::Api;
use crate::catalog::Layer;
use crate::encode::geojson::{ItemsPage, Link};
use crate::encode::{xml_escape as esc, EncodeError, FeatureEncoder};
use crate::source::{Attribute, Feature, Value};

/// Whether the page is in English.
fn english(api: &Api) -> bool {
    api.query.get("lang").is_some_and(|l| l.trim().eq_ignore_ascii_case("en"))
}

/// Italian or English.
fn t<'a>(api: &Api, it: &'a str, en: &'a str) -> &'a str {
    if english(api) {
        en
    } else {
        it
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.5}\
header,main,footer{padding:0 1rem;max-width:72rem;margin:0 auto}\
header{border-bottom:1px solid #ccc}nav ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}\
nav li+li:before{content:'›';margin-right:.5rem}a{color:#0b4f8a}a:focus{outline:3px solid #f2a900}\
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef2f6}code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}.pager{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}\
li,dd,small,p{overflow-wrap:anywhere}pre{white-space:pre-wrap;overflow-wrap:anywhere}";

/// The page frame: `crumbs` are (label, path below the API root) from the root down.
fn page(api: &Api, title: &str, crumbs: &[(&str, String)], body: &str) -> String {
    let lang = if english(api) { "en" } else { "it" };
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — navigli</title><style>{STYLE}</style></head><body><header><p><a href=\"{}\">navigli</a> · {}</p>\
         <nav aria-label=\"{}\"><ol>",
        esc(title),
        esc(&api.href("", Some("html"))),
        esc(&api.scope.tenant().title),
        t(api, "Percorso", "Breadcrumb"),
    );
    for (i, (label, path)) in crumbs.iter().enumerate() {
        if i + 1 == crumbs.len() {
            let _ = write!(out, "<li aria-current=\"page\">{}</li>", esc(label));
        } else {
            let _ = write!(out, "<li><a href=\"{}\">{}</a></li>", esc(&self_href(api, path)), esc(label));
        }
    }
    let other = if english(api) { ("it", "Italiano") } else { ("en", "English") };
    let _ = writeln!(
        out,
        "</ol></nav></header><main><h1>{}</h1>{body}</main><footer><p><a href=\"{}\" lang=\"{}\">{}</a> · <a href=\"{}\">JSON</a></p></footer></body></html>",
        esc(title),
        esc(&lang_href(api, other.0)),
        other.0,
        other.1,
        esc(&api.href(crumbs.last().map(|c| c.1.as_str()).unwrap_or(""), Some("json"))),
    );
    out
}

/// A link to another page, in this page's language.
fn self_href(api: &Api, path: &str) -> String {
    let base = api.href(path, Some("html"));
    if english(api) {
        format!("{base}&lang=en")
    } else {
        base
    }
}

/// This request's URL in the other language.
fn lang_href(api: &Api, lang: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in api.query.pairs().filter(|(k, _)| *k != "lang") {
        q.append_pair(k, v);
    }
    if lang == "en" {
        q.append_pair("lang", "en");
    }
    format!("?{}", q.finish())
}

/// A table's opening: its caption and column headings (escaped), up to `<tbody>`.
fn table_head(caption: &str, columns: &[&str]) -> String {
    let mut out = format!("<table><caption>{}</caption><thead><tr>", esc(caption));
    for c in columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    out
}

fn links_list(api: &Api, doc: &Json) -> String {
    let mut out = format!("<h2>{}</h2><ul>", t(api, "Collegamenti", "Links"));
    for l in doc["links"].as_array().into_iter().flatten() {
        let (rel, ty, href) = (l["rel"].as_str().unwrap_or(""), l["type"].as_str().unwrap_or(""), l["href"].as_str().unwrap_or(""));
        let title = match (l["title"].as_str(), rel) {
            (Some(t), _) => t,
            (None, "self") => t(api, "Questa pagina", "This page"),
            (None, "alternate") => t(api, "Altro formato", "Other format"),
            (None, "collection") => t(api, "La collezione", "The collection"),
            (None, other) => other,
        };
        let _ = write!(out, "<li><a href=\"{}\">{}</a> <small>({}, {})</small></li>", esc(href), esc(title), esc(rel), esc(ty));
    }
    out.push_str("</ul>");
    out
}

/// The landing page.
pub fn landing(api: &Api, doc: &Json) -> String {
    let body = format!(
        "<p>{}</p><ul><li><a href=\"{}\">{}</a></li><li><a href=\"{}\">{}</a></li><li><a href=\"{}\">{}</a></li></ul>{}",
        esc(doc["description"].as_str().unwrap_or("")),
        esc(&self_href(api, "/collections")),
        t(api, "Collezioni di dati", "Data collections"),
        esc(&self_href(api, "/api")),
        t(api, "Documentazione dell'API (OpenAPI)", "API documentation (OpenAPI)"),
        esc(&self_href(api, "/conformance")),
        t(api, "Classi di conformità", "Conformance classes"),
        links_list(api, doc),
    );
    page(api, doc["title"].as_str().unwrap_or("OGC API"), &[("OGC API", String::new())], &body)
}

/// The conformance declaration.
pub fn conformance(api: &Api, doc: &Json) -> String {
    let mut body = String::from("<ul>");
    for c in doc["conformsTo"].as_array().into_iter().flatten() {
        let _ = write!(body, "<li><code>{}</code></li>", esc(c.as_str().unwrap_or("")));
    }
    body.push_str("</ul>");
    let title = t(api, "Classi di conformità", "Conformance classes");
    page(api, title, &[("OGC API", String::new()), (title, "/conformance".into())], &body)
}

/// The documentation page of the OpenAPI document (`service-doc`): every path with its
/// parameters, from the same document.
pub fn api_doc(api: &Api, doc: &Json) -> String {
    let mut body = format!(
        "<p>{} <a href=\"{}\">OpenAPI 3.0 (JSON)</a>.</p>",
        t(api, "La definizione completa, per i client:", "The full definition, for clients:"),
        esc(&api.href("/api", None))
    );
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let op = &item["get"];
        let _ = write!(body, "<h2><code>GET {}</code></h2><p>{}</p>", esc(path), esc(op["summary"].as_str().unwrap_or("")));
        let params: Vec<&Json> = op["parameters"].as_array().into_iter().flatten().collect();
        if params.is_empty() {
            continue;
        }
        body.push_str(&table_head(
            t(api, "Parametri", "Parameters"),
            &[t(api, "Nome", "Name"), t(api, "Dove", "In"), t(api, "Descrizione", "Description")],
        ));
        for p in params {
            let p = resolve_ref(doc, p);
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or("")),
                esc(p["in"].as_str().unwrap_or("")),
                esc(p["description"].as_str().unwrap_or(""))
            );
        }
        body.push_str("</tbody></table>");
    }
    let title = t(api, "Documentazione dell'API", "API documentation");
    page(api, title, &[("OGC API", String::new()), (title, "/api".into())], &body)
}

fn resolve_ref<'a>(doc: &'a Json, p: &'a Json) -> &'a Json {
    match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/parameters/")) {
        Some(name) => &doc["components"]["parameters"][name],
        None => p,
    }
}

/// The list of collections.
pub fn collections(api: &Api, doc: &Json) -> String {
    let mut body = table_head(
        t(api, "Collezioni di oggetti", "Feature collections"),
        &[t(api, "Collezione", "Collection"), t(api, "Descrizione", "Description"), t(api, "Oggetti", "Features")],
    );
    for c in doc["collections"].as_array().into_iter().flatten() {
        let id = c["id"].as_str().unwrap_or("");
        let _ = write!(
            body,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td><a href=\"{}\">{} {}</a></td></tr>",
            esc(&self_href(api, &format!("/collections/{id}"))),
            esc(c["title"].as_str().unwrap_or(id)),
            esc(c["description"].as_str().unwrap_or("")),
            esc(&self_href(api, &format!("/collections/{id}/items"))),
            t(api, "Sfoglia", "Browse"),
            esc(id),
        );
    }
    body.push_str("</tbody></table>");
    let title = t(api, "Collezioni", "Collections");
    page(api, title, &[("OGC API", String::new()), (title, "/collections".into())], &body)
}

fn collection_crumbs<'a>(api: &Api, id: &'a str) -> Vec<(&'a str, String)> {
    vec![
        ("OGC API", String::new()),
        (if english(api) { "Collections" } else { "Collezioni" }, "/collections".into()),
        (id, format!("/collections/{id}")),
    ]
}

/// One collection.
pub fn collection(api: &Api, doc: &Json) -> String {
    let id = doc["id"].as_str().unwrap_or("");
    let bbox = &doc["extent"]["spatial"]["bbox"][0];
    let numbers: Vec<String> = bbox.as_array().into_iter().flatten().map(|v| format!("{:.5}", v.as_f64().unwrap_or(0.0))).collect();
    let body = format!(
        "<p>{}</p><dl><dt>{}</dt><dd><code>{}</code></dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd><code>{}</code></dd></dl>\
         <p><a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>{}",
        esc(doc["description"].as_str().unwrap_or("")),
        t(api, "Identificativo", "Identifier"),
        esc(id),
        t(api, "Estensione (lon/lat)", "Extent (lon/lat)"),
        esc(&numbers.join(", ")),
        t(api, "CRS di archiviazione", "Storage CRS"),
        esc(doc["storageCrs"].as_str().unwrap_or("")),
        esc(&self_href(api, &format!("/collections/{id}/items"))),
        t(api, "Sfoglia gli oggetti", "Browse the features"),
        esc(&self_href(api, &format!("/collections/{id}/queryables"))),
        t(api, "Proprietà interrogabili", "Queryables"),
        links_list(api, doc),
    );
    let title = doc["title"].as_str().unwrap_or(id).to_string();
    let mut crumbs = collection_crumbs(api, id);
    crumbs.last_mut().expect("crumbs").0 = id;
    page(api, &title, &crumbs, &body)
}

/// The queryables of a collection.
pub fn queryables(api: &Api, doc: &Json, id: &str) -> String {
    let mut body = table_head(
        t(api, "Proprietà che un filtro CQL2 può usare", "Properties a CQL2 filter may use"),
        &[t(api, "Nome", "Name"), t(api, "Titolo", "Title"), t(api, "Tipo", "Type")],
    );
    for (name, s) in doc["properties"].as_object().into_iter().flatten() {
        let kind = s["type"].as_str().or(s["format"].as_str()).unwrap_or("");
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(name),
            esc(s["title"].as_str().unwrap_or("")),
            esc(kind)
        );
    }
    body.push_str("</tbody></table>");
    let mut crumbs = collection_crumbs(api, id);
    let title = t(api, "Proprietà interrogabili", "Queryables");
    crumbs.push((title, format!("/collections/{id}/queryables")));
    page(api, title, &crumbs, &body)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => esc(&other.to_string()).into_owned(),
    }
}

/// One feature.
pub fn item(api: &Api, layer: &Layer, attributes: &[Attribute], f: &Feature) -> String {
    let mut body = table_head(t(api, "Proprietà", "Properties"), &[t(api, "Nome", "Name"), t(api, "Valore", "Value")]);
    for (a, v) in attributes.iter().zip(&f.values) {
        let _ = write!(body, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(&a.name), cell(v));
    }
    body.push_str("</tbody></table>");
    let id = layer.name();
    let mut crumbs = collection_crumbs(api, id);
    crumbs.push((t(api, "Oggetti", "Features"), format!("/collections/{id}/items")));
    let label = f.id.to_string();
    crumbs.push((&label, format!("/collections/{id}/items/{}", f.id)));
    page(api, &format!("{} {}", layer.config.title, f.id), &crumbs, &body)
}

/// Streaming HTML page of `/items`: a table row per feature, the pager at the end.
pub struct ItemsHtml {
    head: String,
    tail_crumbs: String,
    page: ItemsPage,
    written: u64,
    more: bool,
    item_base: String,
    item_suffix: String,
    offset: u64,
    english: bool,
}

impl ItemsHtml {
    /// The page for `layer`.
    pub fn new(api: &Api, layer: &Layer, page: ItemsPage, offset: u64) -> ItemsHtml {
        let id = layer.name();
        let mut crumbs = collection_crumbs(api, id);
        crumbs.push((t(api, "Oggetti", "Features"), format!("/collections/{id}/items")));
        let title = format!("{} — {}", layer.config.title, t(api, "oggetti", "features"));
        let frame = self::page(api, &title, &crumbs, "\u{0}");
        let (head, tail) = frame.split_once('\u{0}').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_default();
        let columns: Vec<&str> = std::iter::once("id").chain(page.attributes.iter().map(|a| a.name.as_str())).collect();
        let table = table_head(t(api, "Oggetti di questa pagina", "Features of this page"), &columns);
        let item_base = format!("{}/collections/{id}/items/", api.base);
        let mut item_suffix = if english(api) { "?f=html&lang=en" } else { "?f=html" }.to_string();
        // Feature pages of a restricted collection need the key the list was opened with.
        if let Some(k) = api.query.get("apikey") {
            item_suffix.push_str("&apikey=");
            item_suffix.extend(form_urlencoded::byte_serialize(k.as_bytes()));
        }
        ItemsHtml {
            head: head + &table,
            tail_crumbs: tail,
            page,
            written: 0,
            more: false,
            item_base,
            item_suffix,
            offset,
            english: english(api),
        }
    }
}

impl FeatureEncoder for ItemsHtml {
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(self.head.as_bytes());
        Ok(())
    }

    fn feature(&mut self, out: &mut Vec<u8>, f: &Feature) -> Result<(), EncodeError> {
        if self.written >= self.page.limit {
            self.more = true;
            return Ok(());
        }
        self.written += 1;
        let _ = write!(out, "<tr><td><a href=\"{}{}{}\">{}</a></td>", esc(&self.item_base), f.id, esc(&self.item_suffix), f.id);
        for v in &f.values {
            let _ = write!(out, "<td>{}</td>", cell(v));
        }
        out.extend_from_slice(b"</tr>");
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"</tbody></table><div class=\"pager\">");
        let link = |out: &mut Vec<u8>, l: &Link, label: &str| {
            let _ = write!(out, "<a rel=\"{}\" href=\"{}\">{}</a>", esc(&l.rel), esc(&l.href), label);
        };
        if let Some(prev) = self.page.links.iter().find(|l| l.rel == "prev") {
            link(out, prev, if self.english { "← Previous page" } else { "← Pagina precedente" });
        }
        let shown = if self.english {
            format!("Features {}–{}", self.offset.saturating_add(1), self.offset.saturating_add(self.written))
        } else {
            format!("Oggetti {}–{}", self.offset.saturating_add(1), self.offset.saturating_add(self.written))
        };
        let _ = write!(
            out,
            "<span>{}</span>",
            if self.written == 0 {
                if self.english {
                    "No features".into()
                } else {
                    "Nessun oggetto".into()
                }
            } else {
                shown
            }
        );
        if let Some(n) = self.page.number_matched {
            let _ = write!(out, "<span>{} {n}</span>", if self.english { "of" } else { "di" });
        }
        if self.more {
            let next = self.page.next.clone();
            link(out, &next, if self.english { "Next page →" } else { "Pagina successiva →" });
        }
        out.extend_from_slice(b"</div>");
        out.extend_from_slice(self.tail_crumbs.as_bytes());
        Ok(())
    }
}

/// A page for a JSON resource without a page of its own (tiles metadata): its links and the
/// document itself.
pub fn json_page(api: &Api, doc: &Json, title: &str, path: &str) -> String {
    let pretty = serde_json::to_string_pretty(doc).unwrap_or_default();
    let body = format!("{}<h2>JSON</h2><pre><code>{}</code></pre>", links_list(api, doc), esc(&pretty));
    page(api, title, &[("OGC API", String::new()), (title, path.to_string())], &body)
}
