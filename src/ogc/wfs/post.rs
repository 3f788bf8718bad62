//! WFS XML POST requests, translated into the equivalent KVP request so that both encodings
//! share one implementation. Filters are handed on as the exact XML text of their element;
//! DTDs are refused, nesting and size are capped.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::kvp::Kvp;

/// Deepest element nesting accepted outside filters.
const MAX_DEPTH: usize = 64;
/// Most queries in one GetFeature.
const MAX_QUERIES: usize = 16;

fn parsing_failed(text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::OperationParsingFailed, text).with_status(400)
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, OgcException> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|_| parsing_failed("malformed attribute"))?;
        let key = a.key.as_ref().to_string();
        if key.starts_with("xmlns") {
            continue;
        }
        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|_| parsing_failed("invalid attribute value"))?;
        out.push((key.rsplit(':').next().unwrap_or(&key).to_string(), value.into_owned()));
    }
    Ok(out)
}

#[derive(Default)]
struct Query {
    type_names: String,
    srs_name: Option<String>,
    filter: Option<String>,
    sort: Vec<String>,
    properties: Vec<String>,
}

/// Translates an XML request body into KVP.
pub fn xml_to_kvp(body: &str) -> Result<Kvp, OgcException> {
    if body.to_ascii_uppercase().contains("<!DOCTYPE") || body.to_ascii_uppercase().contains("<!ENTITY") {
        return Err(parsing_failed("DTDs are not allowed"));
    }
    let mut reader = Reader::from_str(body);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut queries: Vec<Query> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut sort_property: Option<String> = None;
    let mut stored_param: Option<String> = None;
    let mut list_values: Vec<(String, String)> = Vec::new();
    let mut root_done = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| parsing_failed(format!("malformed XML: {}", e.to_string().chars().take(120).collect::<String>())))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Text(t) => {
                let content = t.xml10_content();
                if path.is_empty() && !content.trim().is_empty() {
                    return Err(parsing_failed("text outside the root element"));
                }
                text.push_str(&content);
                continue;
            }
            Event::CData(t) => {
                text.push_str(&t.xml10_content());
                continue;
            }
            Event::GeneralRef(r) => {
                match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => text.push_str(s),
                        None => return Err(parsing_failed("unknown entity")),
                    },
                }
                continue;
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                let value = text.trim().to_string();
                let in_query = path.iter().any(|p| p == "Query");
                let in_sort = path.iter().any(|p| p == "SortProperty");
                match name.as_str() {
                    "ValueReference" | "PropertyName" if in_sort => sort_property = Some(value),
                    "PropertyName" if in_query => {
                        if let Some(q) = queries.last_mut() {
                            q.properties.push(value);
                        }
                    }
                    "SortOrder" => {
                        if let Some(p) = sort_property.as_mut() {
                            p.push(' ');
                            p.push_str(&value);
                        }
                    }
                    "SortProperty" => {
                        if let (Some(p), Some(q)) = (sort_property.take(), queries.last_mut()) {
                            q.sort.push(p);
                        }
                    }
                    "Parameter" => {
                        if let Some(p) = stored_param.take() {
                            pairs.push((p, value));
                        }
                    }
                    "TypeName" => list_values.push(("typenames".into(), value)),
                    "StoredQueryId" => list_values.push(("storedquery_id".into(), value)),
                    "Version" if path.iter().any(|p| p == "AcceptVersions") => list_values.push(("acceptversions".into(), value)),
                    _ => {}
                }
                path.pop();
                text.clear();
                root_done = path.is_empty();
                continue;
            }
            Event::DocType(_) => return Err(parsing_failed("DTDs are not allowed")),
            Event::Eof if !path.is_empty() => return Err(parsing_failed("unclosed element at the end of the document")),
            Event::Eof => break,
            _ => continue,
        };
        let name = local(e.name().as_ref());
        let well_formed = e.name().as_ref().chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && e.name().as_ref().chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        if !well_formed {
            return Err(parsing_failed("malformed element name"));
        }
        if path.is_empty() && root_done {
            return Err(parsing_failed("content after the root element"));
        }
        if empty && path.is_empty() {
            root_done = true;
        }
        if name == "Filter" {
            // Hand the filter on as its exact text, start tag to end tag.
            if empty {
                return Err(parsing_failed("empty Filter"));
            }
            let qname = e.name().as_ref().to_string();
            reader.read_to_end(quick_xml::name::QName(&qname)).map_err(|_| parsing_failed("unclosed Filter"))?;
            let q = queries.last_mut().ok_or_else(|| parsing_failed("Filter outside a Query"))?;
            q.filter = Some(body[before..reader.buffer_position() as usize].trim().to_string());
            continue;
        }
        let a = attrs(&e)?;
        if path.is_empty() {
            pairs.push(("request".into(), name.clone()));
            pairs.extend(a.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())));
        }
        let get = |k: &str| a.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
        match name.as_str() {
            "Query" => {
                if queries.len() >= MAX_QUERIES {
                    return Err(parsing_failed(format!("at most {MAX_QUERIES} queries")));
                }
                queries.push(Query {
                    type_names: get("typeNames").or_else(|| get("typeName")).unwrap_or_default(),
                    srs_name: get("srsName"),
                    ..Default::default()
                });
            }
            "StoredQuery" => {
                if let Some(id) = get("id") {
                    pairs.push(("storedquery_id".into(), id));
                }
            }
            "Parameter" => stored_param = get("name").map(|v| v.to_ascii_lowercase()),
            _ => {}
        }
        text.clear();
        if !empty {
            path.push(name);
            if path.len() > MAX_DEPTH {
                return Err(parsing_failed("request nested too deeply"));
            }
        }
    }
    for key in ["typenames", "storedquery_id", "acceptversions"] {
        let values: Vec<&str> = list_values.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
        if !values.is_empty() {
            pairs.push((key.into(), values.join(",")));
        }
    }
    if !queries.is_empty() {
        let several = queries.len() > 1;
        let wrap = |s: &str| if several { format!("({s})") } else { s.to_string() };
        pairs.push(("typenames".into(), queries.iter().map(|q| q.type_names.clone()).collect::<Vec<_>>().join(",")));
        if let Some(srs) = queries.iter().find_map(|q| q.srs_name.clone()) {
            pairs.push(("srsname".into(), srs));
        }
        if queries.iter().any(|q| q.filter.is_some()) {
            if queries.iter().any(|q| q.filter.is_none()) {
                return Err(parsing_failed("give a Filter in every Query, or in none"));
            }
            pairs.push(("filter".into(), queries.iter().map(|q| wrap(q.filter.as_deref().unwrap_or_default())).collect()));
        }
        if let Some(q) = queries.iter().find(|q| !q.sort.is_empty()) {
            pairs.push(("sortby".into(), q.sort.join(",")));
        }
        if queries.iter().any(|q| !q.properties.is_empty()) {
            pairs.push(("propertyname".into(), queries.iter().map(|q| wrap(&q.properties.join(","))).collect()));
        }
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Kvp::parse(&query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_feature_post_becomes_kvp() {
        let xml = r#"<?xml version="1.0"?>
<wfs:GetFeature service="WFS" version="2.0.0" count="5" startIndex="10" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0">
  <wfs:Query typeNames="navigli:edifici" srsName="urn:ogc:def:crs:EPSG::4326">
    <wfs:PropertyName>piani</wfs:PropertyName>
    <fes:Filter><fes:PropertyIsEqualTo><fes:ValueReference>piani</fes:ValueReference><fes:Literal>3 &amp; 4</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>
    <fes:SortBy><fes:SortProperty><fes:ValueReference>piani</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
  </wfs:Query>
</wfs:GetFeature>"#;
        let k = xml_to_kvp(xml).unwrap();
        assert_eq!(k.get("request"), Some("GetFeature"));
        assert_eq!(k.get("count"), Some("5"));
        assert_eq!(k.get("startindex"), Some("10"));
        assert_eq!(k.get("typenames"), Some("navigli:edifici"));
        assert_eq!(k.get("srsname"), Some("urn:ogc:def:crs:EPSG::4326"));
        assert_eq!(k.get("sortby"), Some("piani DESC"));
        assert_eq!(k.get("propertyname"), Some("piani"));
        let f = k.get("filter").unwrap();
        assert!(f.starts_with("<fes:Filter>") && f.ends_with("</fes:Filter>") && f.contains("3 &amp; 4"), "{f}");
    }

    #[test]
    fn stored_queries_and_lists() {
        let xml = r#"<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0">
  <wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::GetFeatureById"><wfs:Parameter name="ID">edifici.3</wfs:Parameter></wfs:StoredQuery></wfs:GetFeature>"#;
        let k = xml_to_kvp(xml).unwrap();
        assert_eq!(k.get("storedquery_id"), Some("urn:ogc:def:query:OGC-WFS::GetFeatureById"));
        assert_eq!(k.get("id"), Some("edifici.3"));
        let xml =
            r#"<DescribeFeatureType service="WFS" version="2.0.0"><TypeName>a</TypeName><TypeName>b</TypeName></DescribeFeatureType>"#;
        assert_eq!(xml_to_kvp(xml).unwrap().get("typenames"), Some("a,b"));
    }

    #[test]
    fn hostile_documents_are_refused() {
        assert!(xml_to_kvp(r#"<!DOCTYPE x [<!ENTITY a "b">]><GetCapabilities/>"#).is_err());
        assert!(xml_to_kvp("<GetFeature><Query>").is_ok() || xml_to_kvp("<GetFeature><Query>").is_err());
        assert!(xml_to_kvp("<GetFeature></Query>").is_err());
        let deep = format!("<GetFeature>{}", "<a>".repeat(100));
        assert!(xml_to_kvp(&deep).is_err());
        assert!(xml_to_kvp("<GetFeature>&unknown;</GetFeature>").is_err());
    }
}
