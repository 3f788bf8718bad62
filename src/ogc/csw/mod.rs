//! CSW 2.0.2 (the GeoPortale's catalog, ISO Application Profile): `/{tenant}/csw`, KVP GET and
//! XML POST — GetCapabilities, DescribeRecord, GetRecords (paging by `startPosition` /
//! `maxRecords` / `nextRecord`, `resultType` hits or results, constraints in `CQL_TEXT` or
//! Filter Encoding 1.1, `outputSchema` Dublin Core or ISO 19139 `gmd`) and GetRecordById. The
//! records are [`records::records`]: the tenant's layers the caller may see and its services;
//! restricted layers appear only to callers who may see them.
//!
//! A constraint is read by the filter parsers navigli already has (CQL2 text, FES), its
//! property names mapped onto the record queryables, resolved like a layer query and evaluated
//! on each record by [`crate::source::eval`]: every record property is allow-listed, every
//! literal typed.

pub mod encode;
pub mod records;

use std::fmt::Write as _;

use actix_web::{web, HttpRequest, HttpResponse};

use encode::{ElementSet, DC_NS, ISO_NS};
use records::{Record, QUERYABLES};

use crate::crs::Crs;
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::http::{read_body, Protocol, Scope, ServiceError};
use crate::ogc::xml_escape as esc;

/// The CSW namespace (also the Dublin Core output schema).
pub const CSW_NS: &str = "http://www.opengis.net/cat/csw/2.0.2";
/// The ISO 19139 output schema.
pub const GMD_NS: &str = "http://www.isotc211.org/2005/gmd";
/// Most records in one GetRecords answer.
pub const MAX_RECORDS: usize = 100;

/// Mounts `/{tenant}/csw`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/csw", web::get().to(csw_get)).route("/{tenant}/csw", web::post().to(csw_post));
}

/// Requests on `/{tenant}/csw`: OWS 1.0 exception reports (CSW 2.0.2).
pub struct CswPath;

impl Protocol for CswPath {
    fn report_format(_: &Kvp) -> ReportFormat {
        ReportFormat::Ows10
    }
}

fn invalid(locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator)
}

/// A GetRecords / GetRecordById request, from KVP or XML.
#[derive(Debug, Default)]
struct Request {
    operation: String,
    output_schema: Option<String>,
    element_set: Option<String>,
    result_type: Option<String>,
    start: Option<String>,
    max: Option<String>,
    constraint: Option<Constraint>,
    ids: Vec<String>,
    type_names: Option<String>,
}

#[derive(Debug)]
enum Constraint {
    Cql(String),
    FesText(String),
    FesElement(crate::xml::Element),
}

async fn csw_get(scope: Scope<CswPath>) -> Result<HttpResponse, ServiceError> {
    let kvp = &scope.kvp;
    if let Some(s) = kvp.get("service").filter(|s| !s.eq_ignore_ascii_case("CSW")) {
        return Err(scope.error(invalid("service", format!("SERVICE={} is not offered here (CSW)", crate::xml::echo(s)))));
    }
    let operation = kvp.require("request").map_err(|e| scope.error(e))?.to_string();
    let constraint = match (kvp.get("constraint"), kvp.get("constraintlanguage").map(str::to_ascii_uppercase)) {
        (None, _) => None,
        (Some(c), Some(l)) if l == "CQL_TEXT" => Some(Constraint::Cql(c.to_string())),
        (Some(c), Some(l)) if l == "FILTER" => Some(Constraint::FesText(c.to_string())),
        (Some(_), _) => return Err(scope.error(invalid("constraintLanguage", "CONSTRAINTLANGUAGE is CQL_TEXT or FILTER"))),
    };
    let request = Request {
        operation,
        output_schema: kvp.get("outputschema").map(str::to_string),
        element_set: kvp.get("elementsetname").map(str::to_string),
        result_type: kvp.get("resulttype").map(str::to_string),
        start: kvp.get("startposition").map(str::to_string),
        max: kvp.get("maxrecords").map(str::to_string),
        constraint,
        ids: kvp.get("id").map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
        type_names: kvp.get("typenames").map(str::to_string),
    };
    let all = records_for(&scope, &request).await;
    answer(&scope, request, &all).map_err(|e| scope.error(e))
}

async fn csw_post(scope: Scope<CswPath>, payload: web::Payload, _req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    let body = read_body(payload, scope.catalog().server.max_body_bytes, scope.format).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| scope.error(OgcException::new(ExceptionCode::OperationParsingFailed, "request body is not UTF-8").with_status(400)))?;
    let limits =
        crate::xml::Limits { max_bytes: 1 << 20, max_depth: 32, max_elements: 20_000, max_attribute_bytes: 8192, what: "CSW request" };
    let root = crate::xml::read(text, &limits)
        .map_err(|e| scope.error(OgcException::new(ExceptionCode::OperationParsingFailed, e.to_string()).with_status(400)))?;
    let mut request = Request { operation: root.local.clone(), ..Request::default() };
    request.output_schema = root.attr("outputSchema").map(str::to_string);
    request.result_type = root.attr("resultType").map(str::to_string);
    request.start = root.attr("startPosition").map(str::to_string);
    request.max = root.attr("maxRecords").map(str::to_string);
    for child in &root.children {
        match child.local.as_str() {
            "Id" => request.ids.push(child.text.trim().to_string()),
            "ElementSetName" => request.element_set = Some(child.text.trim().to_string()),
            "Query" => {
                request.type_names = child.attr("typeNames").map(str::to_string);
                for q in &child.children {
                    match q.local.as_str() {
                        "ElementSetName" => request.element_set = Some(q.text.trim().to_string()),
                        "Constraint" => {
                            request.constraint = match (q.child("Filter"), q.child("CqlText")) {
                                (Some(f), _) => Some(Constraint::FesElement(f.clone())),
                                (None, Some(c)) => Some(Constraint::Cql(c.text.trim().to_string())),
                                (None, None) => {
                                    return Err(scope.error(invalid("Constraint", "a Constraint holds an ogc:Filter or a csw:CqlText")))
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let all = records_for(&scope, &request).await;
    answer(&scope, request, &all).map_err(|e| scope.error(e))
}

/// The records, read (with their layers' extents) only for the operations that return them.
async fn records_for(scope: &Scope<CswPath>, r: &Request) -> Vec<Record> {
    match r.operation.to_ascii_lowercase().as_str() {
        "getrecords" | "getrecordbyid" => records::records_with_extents(scope.catalog(), scope.tenant(), &scope.caller).await,
        _ => Vec::new(),
    }
}

fn answer(scope: &Scope<CswPath>, r: Request, all: &[Record]) -> Result<HttpResponse, OgcException> {
    let xml = match r.operation.to_ascii_lowercase().as_str() {
        "getcapabilities" => capabilities(scope),
        "describerecord" => describe_record(),
        "getrecords" => get_records(&r, all)?,
        "getrecordbyid" => get_record_by_id(&r, all)?,
        other => {
            return Err(OgcException::new(
                ExceptionCode::OperationNotSupported,
                format!(
                    "REQUEST={} is not a CSW operation here (GetCapabilities, DescribeRecord, GetRecords, GetRecordById)",
                    crate::xml::echo(other)
                ),
            )
            .at("request"))
        }
    };
    Ok(HttpResponse::Ok().content_type("application/xml").insert_header(("Cache-Control", "max-age=60")).body(xml))
}

fn output_schema(r: &Request) -> Result<bool, OgcException> {
    match r.output_schema.as_deref().map(str::trim) {
        None | Some("") | Some(CSW_NS) | Some("csw:Record") => Ok(false),
        Some(GMD_NS) | Some("gmd:MD_Metadata") => Ok(true),
        Some(other) => {
            Err(invalid("outputSchema", format!("outputSchema {} is not offered ({CSW_NS} or {GMD_NS})", crate::xml::echo(other))))
        }
    }
}

fn element_set(r: &Request, default: ElementSet) -> Result<ElementSet, OgcException> {
    match r.element_set.as_deref().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("brief") => Ok(ElementSet::Brief),
        Some("summary") => Ok(ElementSet::Summary),
        Some("full") => Ok(ElementSet::Full),
        Some(other) => Err(invalid("ElementSetName", format!("ElementSetName {} is brief, summary or full", crate::xml::echo(other)))),
    }
}

fn number(value: Option<&str>, name: &str, default: usize) -> Result<usize, OgcException> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| invalid(name, format!("{name} is a whole number"))),
    }
}

fn write_record(x: &mut String, r: &Record, iso: bool, set: ElementSet) {
    if iso {
        encode::iso(x, r, false);
    } else {
        encode::dc(x, r, set, false);
    }
}

fn get_records(r: &Request, all: &[Record]) -> Result<String, OgcException> {
    if let Some(t) = r.type_names.as_deref() {
        let known =
            t.split([',', ' ']).filter(|s| !s.is_empty()).all(|n| matches!(n, "csw:Record" | "gmd:MD_Metadata" | "Record" | "MD_Metadata"));
        if !known {
            return Err(invalid("typeNames", "typeNames is csw:Record or gmd:MD_Metadata"));
        }
    }
    let iso = output_schema(r)?;
    let set = element_set(r, ElementSet::Summary)?;
    let hits_only = match r.result_type.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("hits") => true,
        Some("results") => false,
        Some(other) => return Err(invalid("resultType", format!("resultType {} is hits or results", crate::xml::echo(other)))),
    };
    let start = number(r.start.as_deref(), "startPosition", 1)?.max(1);
    let max = number(r.max.as_deref(), "maxRecords", 10)?.min(MAX_RECORDS);
    let selected = select(all, r.constraint.as_ref())?;
    let matched = selected.len();
    let page: Vec<&Record> = if hits_only { vec![] } else { selected.into_iter().skip(start - 1).take(max).collect() };
    let next = if !hits_only && start - 1 + page.len() < matched { start + page.len() } else { 0 };
    let mut x = String::with_capacity(4096 + page.len() * 4096);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecordsResponse {DC_NS} {ISO_NS} xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" version=\"2.0.2\" \
         xsi:schemaLocation=\"{CSW_NS} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd\">\
         <csw:SearchStatus timestamp=\"{}\"/><csw:SearchResults numberOfRecordsMatched=\"{matched}\" numberOfRecordsReturned=\"{}\" nextRecord=\"{next}\" recordSchema=\"{}\" elementSet=\"{}\">",
        crate::ogc::wfs::iso_now(),
        page.len(),
        if iso { GMD_NS } else { CSW_NS },
        set.name()
    );
    for rec in page {
        write_record(&mut x, rec, iso, set);
    }
    x.push_str("</csw:SearchResults></csw:GetRecordsResponse>");
    Ok(x)
}

fn get_record_by_id(r: &Request, all: &[Record]) -> Result<String, OgcException> {
    if r.ids.is_empty() {
        return Err(OgcException::new(ExceptionCode::MissingParameterValue, "GetRecordById needs ID").at("id"));
    }
    let iso = output_schema(r)?;
    let set = element_set(r, ElementSet::Summary)?;
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecordByIdResponse {DC_NS} {ISO_NS} xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{CSW_NS} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd\">"
    );
    for id in &r.ids {
        if let Some(rec) = all.iter().find(|rec| &rec.id == id) {
            write_record(&mut x, rec, iso, set);
        }
    }
    x.push_str("</csw:GetRecordByIdResponse>");
    Ok(x)
}

/// The records a constraint selects, in catalog order.
fn select<'r>(all: &'r [Record], constraint: Option<&Constraint>) -> Result<Vec<&'r Record>, OgcException> {
    let Some(c) = constraint else { return Ok(all.iter().collect()) };
    let bad = |m: String| OgcException::new(ExceptionCode::InvalidParameterValue, m).at("Constraint");
    let fes = crate::filter::fes::FesContext {
        version: crate::filter::fes::FesVersion::V1_1,
        type_name: "Record",
        default_crs: Crs::WGS84,
        geometry: Some("BoundingBox"),
        xy_order: false,
    };
    let filter = match c {
        Constraint::Cql(text) => {
            let attributes: Vec<(String, crate::model::AttributeType)> = QUERYABLES.iter().map(|(n, k)| (n.to_string(), *k)).collect();
            let ctx = crate::filter::cql2::Cql2Context { geometry: "BoundingBox", attributes: &attributes, crs: Crs::CRS84 };
            crate::filter::cql2::parse(&cql_text(text), crate::filter::cql2::Cql2Lang::Text, &ctx).map_err(|e| bad(e.to_string()))?
        }
        Constraint::FesText(text) => crate::filter::fes::parse_filter(text, &fes).map_err(|e| bad(e.to_string()))?,
        Constraint::FesElement(el) => crate::filter::fes::parse_filter_element(el, &fes).map_err(|e| bad(e.to_string()))?,
    };
    let filter = queryable_names(filter);
    let schema = crate::source::SourceLayer {
        name: "Record".into(),
        relation: crate::source::Relation::Table("records".into()),
        geometry_column: "BoundingBox".into(),
        id_column: "id".into(),
        crs: Crs::CRS84,
        attributes: QUERYABLES.iter().map(|(n, k)| crate::source::Attribute { name: n.to_string(), kind: *k }).collect(),
        tenant_column: None,
    };
    let query = crate::source::FeatureQuery { filter: Some(filter), ..Default::default() };
    let resolved = query.resolve(&schema, u64::MAX).map_err(|e| bad(e.to_string()))?;
    let Some(predicate) = resolved.predicate else { return Ok(all.iter().collect()) };
    let compiled = crate::source::eval::Compiled::new(&predicate).map_err(bad)?;
    Ok(all
        .iter()
        .enumerate()
        .filter(|(i, rec)| {
            let values = rec.values();
            let geometry = geo::Geometry::Polygon(rec.bbox.to_polygon());
            compiled.selects(&crate::source::eval::Row { id: *i as i64, values: &values, tenant: None, geometry: Some(&geometry) })
        })
        .map(|(_, rec)| rec)
        .collect())
}

/// The queryable a constraint's property name means (namespace prefix dropped, any case).
fn queryable(name: &str) -> String {
    let local = name.rsplit(':').next().unwrap_or(name);
    let alias = match local.to_ascii_lowercase().as_str() {
        "keywords" | "subject" => "Subject",
        "organizationname" | "organisationname" | "publisher" => "OrganisationName",
        "title" => "Title",
        "abstract" => "Abstract",
        "anytext" => "AnyText",
        "type" => "Type",
        "identifier" => "Identifier",
        "modified" | "date" => "Modified",
        "topiccategory" => "TopicCategory",
        "servicetype" => "ServiceType",
        "language" | "resourcelanguage" => "Language",
        "format" => "Format",
        _ => return local.to_string(),
    };
    alias.to_string()
}

/// Maps property names onto the queryables; text matches ignore case, as catalogues do.
fn queryable_names(f: Filter) -> Filter {
    match f {
        Filter::And(v) => Filter::And(v.into_iter().map(queryable_names).collect()),
        Filter::Or(v) => Filter::Or(v.into_iter().map(queryable_names).collect()),
        Filter::Not(b) => Filter::Not(Box::new(queryable_names(*b))),
        Filter::Compare { property, op, value } => Filter::Compare { property: queryable(&property), op, value },
        Filter::CompareProperties { left, op, right } => Filter::CompareProperties { left: queryable(&left), op, right: queryable(&right) },
        Filter::Between { property, low, high } => Filter::Between { property: queryable(&property), low, high },
        Filter::Like { property, pattern, .. } => Filter::Like { property: queryable(&property), pattern, match_case: false },
        Filter::IsNull { property } => Filter::IsNull { property: queryable(&property) },
        Filter::In { property, values } => Filter::In { property: queryable(&property), values },
        other => other,
    }
}

/// OGC CQL as catalogues send it, in CQL2 text: prefixed names lose their prefix
/// (`csw:AnyText` → `AnyText`) and `BBOX(prop, x1, y1, x2, y2)` becomes
/// `S_INTERSECTS(BoundingBox, BBOX(x1, y1, x2, y2))`; string literals are kept as written.
fn cql_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A literal, with '' as an escaped quote.
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let local = word.rsplit(':').next().unwrap_or(&word).to_string();
            if local.eq_ignore_ascii_case("bbox") && chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(') {
                // BBOX(name, …): is its first argument a property name?
                let rest: String = chars[i..].iter().collect();
                let open = rest.find('(').unwrap_or(0);
                if let Some(comma) = rest.find(',') {
                    let first = rest[open + 1..comma].trim();
                    if !first.is_empty()
                        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                        && first.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    {
                        let close = rest.find(')').unwrap_or(rest.len() - 1);
                        out.push_str(&format!("S_INTERSECTS(BoundingBox, BBOX({}))", rest[comma + 1..close].trim()));
                        i += close + 1;
                        continue;
                    }
                }
            }
            out.push_str(&local);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn capabilities(scope: &Scope<CswPath>) -> String {
    let catalog = scope.catalog();
    let t = scope.tenant();
    let url = scope.service_url("csw");
    let org = t.contact.organization.clone().unwrap_or_else(|| catalog.organisation.clone());
    let mut x = String::with_capacity(8192);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:Capabilities version=\"2.0.2\" updateSequence=\"{}\" xmlns:csw=\"{CSW_NS}\" xmlns:ows=\"http://www.opengis.net/ows\" \
         xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:gml=\"http://www.opengis.net/gml\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{CSW_NS} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd\">\
         <ows:ServiceIdentification><ows:Title>{} — GeoPortale (CSW)</ows:Title><ows:Abstract>Catalogo dei dati e dei servizi navigli di {}.</ows:Abstract>\
         <ows:Keywords><ows:Keyword>CSW</ows:Keyword><ows:Keyword>GeoPortale</ows:Keyword><ows:Keyword>{}</ows:Keyword></ows:Keywords>\
         <ows:ServiceType>CSW</ows:ServiceType><ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>\
         <ows:ServiceProvider><ows:ProviderName>{}</ows:ProviderName><ows:ServiceContact>{}<ows:ContactInfo><ows:Address><ows:ElectronicMailAddress>{}</ows:ElectronicMailAddress></ows:Address></ows:ContactInfo></ows:ServiceContact></ows:ServiceProvider>\
         <ows:OperationsMetadata>",
        catalog.update_sequence,
        esc(&t.title),
        esc(&t.title),
        esc(&catalog.organisation),
        esc(&org),
        t.contact.person.as_deref().map(|p| format!("<ows:IndividualName>{}</ows:IndividualName>", esc(p))).unwrap_or_default(),
        esc(t.contact.email.as_deref().unwrap_or(""))
    );
    let values = |name: &str, vals: &[&str]| {
        let v: String = vals.iter().map(|v| format!("<ows:Value>{}</ows:Value>", esc(v))).collect();
        format!("<ows:Parameter name=\"{name}\">{v}</ows:Parameter>")
    };
    let href = esc(&url);
    let ops: [(&str, String); 4] = [
        ("GetCapabilities", values("sections", &["ServiceIdentification", "ServiceProvider", "OperationsMetadata", "Filter_Capabilities"])),
        (
            "DescribeRecord",
            format!("{}{}", values("typeName", &["csw:Record", "gmd:MD_Metadata"]), values("outputFormat", &["application/xml"])),
        ),
        (
            "GetRecords",
            format!(
                "{}{}{}{}{}",
                values("resultType", &["hits", "results"]),
                values("outputSchema", &[CSW_NS, GMD_NS]),
                values("typeNames", &["csw:Record", "gmd:MD_Metadata"]),
                values("CONSTRAINTLANGUAGE", &["FILTER", "CQL_TEXT"]),
                values("ElementSetName", &["brief", "summary", "full"])
            ),
        ),
        (
            "GetRecordById",
            format!("{}{}", values("outputSchema", &[CSW_NS, GMD_NS]), values("ElementSetName", &["brief", "summary", "full"])),
        ),
    ];
    for (name, params) in ops {
        let _ = write!(
            x,
            "<ows:Operation name=\"{name}\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"{href}\"/><ows:Post xlink:href=\"{href}\"/></ows:HTTP></ows:DCP>{params}</ows:Operation>"
        );
    }
    x.push_str(&values("service", &["CSW"]));
    x.push_str(&values("version", &["2.0.2"]));
    let queryables: Vec<&str> = QUERYABLES.iter().map(|(n, _)| *n).collect();
    let _ = write!(
        x,
        "<ows:Constraint name=\"SupportedDublinCoreQueryables\">{}</ows:Constraint>",
        queryables.iter().map(|q| format!("<ows:Value>csw:{q}</ows:Value>")).collect::<String>()
    );
    x.push_str("<ows:Constraint name=\"IsoProfiles\"><ows:Value>http://www.isotc211.org/2005/gmd</ows:Value></ows:Constraint>");
    x.push_str("</ows:OperationsMetadata>");
    x.push_str(
        "<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:GeometryOperands><ogc:GeometryOperand>gml:Envelope</ogc:GeometryOperand>\
         <ogc:GeometryOperand>gml:Point</ogc:GeometryOperand><ogc:GeometryOperand>gml:Polygon</ogc:GeometryOperand></ogc:GeometryOperands>\
         <ogc:SpatialOperators><ogc:SpatialOperator name=\"BBOX\"/><ogc:SpatialOperator name=\"Intersects\"/><ogc:SpatialOperator name=\"Within\"/>\
         <ogc:SpatialOperator name=\"Contains\"/><ogc:SpatialOperator name=\"Disjoint\"/></ogc:SpatialOperators></ogc:Spatial_Capabilities>\
         <ogc:Scalar_Capabilities><ogc:LogicalOperators/><ogc:ComparisonOperators><ogc:ComparisonOperator>LessThan</ogc:ComparisonOperator>\
         <ogc:ComparisonOperator>GreaterThan</ogc:ComparisonOperator><ogc:ComparisonOperator>LessThanEqualTo</ogc:ComparisonOperator>\
         <ogc:ComparisonOperator>GreaterThanEqualTo</ogc:ComparisonOperator><ogc:ComparisonOperator>EqualTo</ogc:ComparisonOperator>\
         <ogc:ComparisonOperator>NotEqualTo</ogc:ComparisonOperator><ogc:ComparisonOperator>Like</ogc:ComparisonOperator>\
         <ogc:ComparisonOperator>Between</ogc:ComparisonOperator><ogc:ComparisonOperator>NullCheck</ogc:ComparisonOperator></ogc:ComparisonOperators>\
         </ogc:Scalar_Capabilities><ogc:Id_Capabilities><ogc:EID/><ogc:FID/></ogc:Id_Capabilities></ogc:Filter_Capabilities></csw:Capabilities>",
    );
    x
}

fn describe_record() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:DescribeRecordResponse xmlns:csw=\"{CSW_NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{CSW_NS} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd\">\
         <csw:SchemaComponent targetNamespace=\"{CSW_NS}\" schemaLanguage=\"http://www.w3.org/XML/Schema\">\
         <xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{CSW_NS}\">\
         <xsd:include schemaLocation=\"http://schemas.opengis.net/csw/2.0.2/record.xsd\"/></xsd:schema></csw:SchemaComponent>\
         <csw:SchemaComponent targetNamespace=\"{GMD_NS}\" schemaLanguage=\"http://www.w3.org/XML/Schema\">\
         <xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{GMD_NS}\">\
         <xsd:include schemaLocation=\"http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd\"/></xsd:schema></csw:SchemaComponent>\
         </csw:DescribeRecordResponse>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_cql_becomes_cql2() {
        assert_eq!(cql_text("csw:AnyText like '%comuni%'"), "AnyText like '%comuni%'");
        assert_eq!(cql_text("dc:title = 'a:b ''c'''"), "title = 'a:b ''c'''");
        assert_eq!(
            cql_text("BBOX(ows:BoundingBox, 9.0, 45.3, 9.3, 45.6) AND dc:type = 'dataset'"),
            "S_INTERSECTS(BoundingBox, BBOX(9.0, 45.3, 9.3, 45.6)) AND type = 'dataset'"
        );
    }

    #[test]
    fn property_names_map_onto_the_queryables() {
        assert_eq!(queryable("csw:AnyText"), "AnyText");
        assert_eq!(queryable("apiso:OrganisationName"), "OrganisationName");
        assert_eq!(queryable("dc:subject"), "Subject");
        assert_eq!(queryable("dct:modified"), "Modified");
        assert_eq!(queryable("nonsense"), "nonsense");
    }
}
