//! WFS XML POST requests, translated into the equivalent KVP request so that both encodings
//! share one implementation (and POST answers carry GET paging links). The document is read by
//! the one hardened XML reader ([`crate::xml`]: DTDs refused, nesting, element and size caps);
//! filters are handed on as the exact XML text of their element.

use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::kvp::Kvp;
use crate::xml::{Element, XmlError};

/// Deepest element nesting accepted outside filters.
const MAX_DEPTH: usize = 64;
/// Most queries in one GetFeature.
const MAX_QUERIES: usize = 16;

/// How a request document is read: a `Filter` has the filter parser's own depth budget.
const XML_LIMITS: crate::xml::Limits = crate::xml::Limits {
    max_bytes: usize::MAX, // the body limit (`max_body_bytes`) applies first
    max_depth: MAX_DEPTH + crate::filter::fes::MAX_XML_DEPTH,
    max_elements: 50_000,
    max_attribute_bytes: 64 << 10,
    what: "request",
};

fn parsing_failed(text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::OperationParsingFailed, text).with_status(400)
}

#[derive(Default)]
struct Query {
    type_names: String,
    srs_name: Option<String>,
    filter: Option<String>,
    sort: Vec<String>,
    properties: Vec<String>,
}

/// What the walk over the document collects.
#[derive(Default)]
struct Collected {
    pairs: Vec<(String, String)>,
    queries: Vec<Query>,
    lists: Vec<(&'static str, String)>,
}

/// Reads an XML request body (DTDs refused, caps applied; a `Filter` has its own depth budget).
pub fn read_document(body: &str) -> Result<Element, OgcException> {
    let root = crate::xml::read(body, &XML_LIMITS).map_err(|e| match e {
        XmlError::Dtd => parsing_failed("DTDs are not allowed"),
        other => parsing_failed(other.to_string()),
    })?;
    if root.depth_outside("Filter") > MAX_DEPTH {
        return Err(parsing_failed("request nested too deeply"));
    }
    Ok(root)
}

/// Translates an XML request body into KVP.
pub fn xml_to_kvp(body: &str) -> Result<Kvp, OgcException> {
    document_to_kvp(body, &read_document(body)?)
}

/// Translates a request document read by [`read_document`] from `body` into KVP.
pub fn document_to_kvp(body: &str, root: &Element) -> Result<Kvp, OgcException> {
    let mut c = Collected::default();
    c.pairs.push(("request".into(), root.local.clone()));
    c.pairs.extend(root.attrs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())));
    walk(body, root, &mut c, false)?;
    let Collected { mut pairs, queries, lists } = c;
    for key in ["typenames", "storedquery_id", "acceptversions"] {
        let values: Vec<&str> = lists.iter().filter(|(k, _)| *k == key).map(|(_, v)| v.as_str()).collect();
        if !values.is_empty() {
            pairs.push((key.into(), values.join(",")));
        }
    }
    pairs.extend(query_pairs(&queries)?);
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Kvp::parse(&query)
}

fn attr(e: &Element, name: &str) -> Option<String> {
    e.attrs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

/// Collects, in document order, what the children of `parent` say.
fn walk(body: &str, parent: &Element, c: &mut Collected, in_query: bool) -> Result<(), OgcException> {
    for e in &parent.children {
        let value = || e.text.trim().to_string();
        match e.local.as_str() {
            "Filter" => {
                if e.children.is_empty() {
                    return Err(parsing_failed("empty Filter"));
                }
                let q = c.queries.last_mut().filter(|_| in_query).ok_or_else(|| parsing_failed("Filter outside a Query"))?;
                // Handed on as its exact text, start tag to end tag.
                q.filter = Some(body[e.span.clone()].trim().to_string());
                continue;
            }
            "Query" => {
                if c.queries.len() >= MAX_QUERIES {
                    return Err(parsing_failed(format!("at most {MAX_QUERIES} queries")));
                }
                let type_names = attr(e, "typeNames").or_else(|| attr(e, "typeName")).unwrap_or_default();
                c.queries.push(Query { type_names, srs_name: attr(e, "srsName"), ..Default::default() });
                walk(body, e, c, true)?;
                continue;
            }
            "SortProperty" => {
                let property =
                    e.children.iter().rev().find(|p| p.is(&["ValueReference", "PropertyName"])).map(|p| p.text.trim().to_string());
                let order = e.child("SortOrder").map(|o| o.text.trim().to_string());
                if let (Some(mut p), Some(q)) = (property, c.queries.last_mut()) {
                    if let Some(o) = order {
                        p.push(' ');
                        p.push_str(&o);
                    }
                    q.sort.push(p);
                }
                continue;
            }
            "PropertyName" if in_query => {
                if let Some(q) = c.queries.last_mut() {
                    q.properties.push(value());
                }
            }
            "StoredQuery" => {
                if let Some(id) = attr(e, "id") {
                    c.pairs.push(("storedquery_id".into(), id));
                }
            }
            "Parameter" => {
                if let Some(name) = attr(e, "name") {
                    c.pairs.push((name.to_ascii_lowercase(), value()));
                }
            }
            "TypeName" => c.lists.push(("typenames", value())),
            "StoredQueryId" => c.lists.push(("storedquery_id", value())),
            "Version" if parent.local == "AcceptVersions" => c.lists.push(("acceptversions", value())),
            _ => {}
        }
        walk(body, e, c, in_query)?;
    }
    Ok(())
}

/// The KVP of the queries: TYPENAMES, SRSNAME, FILTER, SORTBY, PROPERTYNAME (one parenthesised
/// item per query when there are several).
fn query_pairs(queries: &[Query]) -> Result<Vec<(String, String)>, OgcException> {
    let mut pairs = Vec::new();
    if queries.is_empty() {
        return Ok(pairs);
    }
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
    Ok(pairs)
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
