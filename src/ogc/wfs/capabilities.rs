//! WFS GetCapabilities for 2.0.0 (OWS 1.1, FES 2.0 filter capabilities) and 1.1.0 (OWS 1.0,
//! Filter 1.1). Only the tenant's layers visible to the caller are listed.

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;

use actix_web::HttpResponse;

use super::{WfsContext, WfsVersion, PREFIX};
use crate::crs::Crs;
use crate::http::exception::OgcException;
use crate::http::kvp::Kvp;
use crate::ogc::xml_escape as esc;

/// Output formats of GetFeature per version.
pub const GML32: &str = "application/gml+xml; version=3.2";
/// GML 3.1.1 output format name.
pub const GML311: &str = "text/xml; subtype=gml/3.1.1";
/// GeoJSON output format name.
pub const JSON: &str = "application/json";

const COMPARISON: &[&str] = &[
    "PropertyIsEqualTo",
    "PropertyIsNotEqualTo",
    "PropertyIsLessThan",
    "PropertyIsGreaterThan",
    "PropertyIsLessThanOrEqualTo",
    "PropertyIsGreaterThanOrEqualTo",
    "PropertyIsLike",
    "PropertyIsNull",
    "PropertyIsNil",
    "PropertyIsBetween",
];
const SPATIAL: &[&str] = &["BBOX", "Intersects", "Within", "Contains", "Disjoint", "DWithin", "Beyond"];
const OPERANDS: &[&str] = &["Envelope", "Point", "LineString", "Polygon", "MultiPoint", "MultiCurve", "MultiSurface"];

/// The capabilities document.
///
/// `UPDATESEQUENCE` equal to the server's gets, in 2.0.0, the root element with only its
/// `version` and `updateSequence` (OWS Common 1.1 §7.3.4); WFS 1.1.0's schema requires the
/// filter capabilities, so 1.1.0 answers the whole document. A higher one is an
/// `InvalidUpdateSequence`.
pub fn get_capabilities(ctx: &WfsContext<'_>, version: WfsVersion, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let current = crate::ogc::update_sequence(kvp, ctx.catalog.update_sequence)? == crate::ogc::UpdateSequence::Current;
    let body = match version {
        WfsVersion::V2_0_0 if current => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<wfs:WFS_Capabilities version=\"2.0.0\" updateSequence=\"{}\" \
             xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\"/>\n",
            ctx.catalog.update_sequence
        ),
        WfsVersion::V2_0_0 => capabilities_200(ctx, &hrefs(ctx, kvp)),
        WfsVersion::V1_1_0 => capabilities_110(ctx, &hrefs(ctx, kvp)),
        WfsVersion::V1_0_0 => capabilities_100(ctx, &hrefs(ctx, kvp)),
    };
    Ok(HttpResponse::Ok().content_type("application/xml").insert_header(("Cache-Control", "max-age=60")).body(body))
}

fn title_and_contact(ctx: &WfsContext<'_>) -> (String, String, String, String) {
    let t = ctx.tenant;
    let title = format!("{} — WFS", t.title);
    let abstract_ = crate::ogc::service_abstract("WFS", ctx.catalog, t);
    let org = t.contact.organization.clone().unwrap_or_else(|| ctx.catalog.organisation.clone());
    let email = t.contact.email.clone().unwrap_or_default();
    (title, abstract_, org, email)
}

fn other_crs(native: Crs) -> impl Iterator<Item = Crs> {
    Crs::all().filter(move |c| *c != native && *c != Crs::CRS84)
}

/// The operations' GET and POST addresses (escaped for XML), keeping an `apikey` the request
/// carried as a parameter: clients that cannot set headers (QGIS, GDAL) post transactions to
/// the POST address and must stay authenticated.
struct Hrefs {
    get: String,
    post: String,
}

fn hrefs(ctx: &WfsContext<'_>, kvp: &Kvp) -> Hrefs {
    let key = crate::http::apikey_suffix(kvp);
    let get = if key.is_empty() { format!("{}?", ctx.service_url) } else { format!("{}{key}&", ctx.service_url) };
    Hrefs { get: esc(&get).into_owned(), post: esc(&format!("{}{key}", ctx.service_url)).into_owned() }
}

fn capabilities_200(ctx: &WfsContext<'_>, hrefs: &Hrefs) -> String {
    let namespace = esc(&ctx.catalog.server.namespace);
    let (title, abstract_, org, email) = title_and_contact(ctx);
    let (get, post) = (&hrefs.get, &hrefs.post);
    let mut x = String::with_capacity(16 * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<wfs:WFS_Capabilities version=\"2.0.0\" updateSequence=\"{}\" xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:ows=\"http://www.opengis.net/ows/1.1\" \
         xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:{PREFIX}=\"{namespace}\" \
         xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\">\n",
        ctx.catalog.update_sequence
    );
    let _ = write!(
        x,
        "<ows:ServiceIdentification><ows:Title>{}</ows:Title><ows:Abstract>{}</ows:Abstract>\
         <ows:Keywords><ows:Keyword>WFS</ows:Keyword><ows:Keyword>{}</ows:Keyword></ows:Keywords>\
         <ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion><ows:ServiceTypeVersion>1.1.0</ows:ServiceTypeVersion>\
         <ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>\n",
        esc(&title),
        esc(&abstract_),
        esc(&ctx.catalog.organisation)
    );
    let _ = write!(
        x,
        "<ows:ServiceProvider><ows:ProviderName>{}</ows:ProviderName><ows:ServiceContact>{}<ows:ContactInfo><ows:Address><ows:ElectronicMailAddress>{}</ows:ElectronicMailAddress></ows:Address></ows:ContactInfo></ows:ServiceContact></ows:ServiceProvider>\n",
        esc(&org),
        ctx.tenant.contact.person.as_deref().map(|p| format!("<ows:IndividualName>{}</ows:IndividualName>", esc(p))).unwrap_or_default(),
        esc(&email)
    );
    x.push_str("<ows:OperationsMetadata>\n");
    let op = |x: &mut String, name: &str, params: &str| {
        let _ = write!(x, "<ows:Operation name=\"{name}\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"{get}\"/><ows:Post xlink:href=\"{post}\"/></ows:HTTP></ows:DCP>{params}</ows:Operation>\n");
    };
    let values = |name: &str, vals: &[&str]| {
        let v: String = vals.iter().map(|v| format!("<ows:Value>{}</ows:Value>", esc(v))).collect();
        format!("<ows:Parameter name=\"{name}\"><ows:AllowedValues>{v}</ows:AllowedValues></ows:Parameter>")
    };
    op(&mut x, "GetCapabilities", &values("AcceptVersions", &["2.0.0", "1.1.0", "1.0.0"]));
    op(&mut x, "DescribeFeatureType", &values("outputFormat", &[GML32]));
    op(&mut x, "GetFeature", &format!("{}{}", values("outputFormat", &[GML32, JSON]), values("resultType", &["results", "hits"])));
    op(&mut x, "GetPropertyValue", &values("resultType", &["results", "hits"]));
    op(&mut x, "ListStoredQueries", "");
    op(&mut x, "DescribeStoredQueries", "");
    let transactional = ctx.editable_layers().next().is_some();
    if transactional {
        op(&mut x, "Transaction", &values("inputFormat", &[GML32]));
    }
    let _ = write!(x, "<ows:Parameter name=\"version\"><ows:AllowedValues><ows:Value>2.0.0</ows:Value><ows:Value>1.1.0</ows:Value><ows:Value>1.0.0</ows:Value></ows:AllowedValues></ows:Parameter>\n");
    let constraint = |x: &mut String, name: &str, value: &str| {
        let _ = write!(x, "<ows:Constraint name=\"{name}\"><ows:NoValues/><ows:DefaultValue>{value}</ows:DefaultValue></ows:Constraint>\n");
    };
    for (name, value) in [
        ("ImplementsBasicWFS", "TRUE"),
        ("ImplementsTransactionalWFS", if transactional { "TRUE" } else { "FALSE" }),
        ("ImplementsLockingWFS", "FALSE"),
        ("KVPEncoding", "TRUE"),
        ("XMLEncoding", "TRUE"),
        ("SOAPEncoding", "FALSE"),
        ("ImplementsInheritance", "FALSE"),
        ("ImplementsRemoteResolve", "FALSE"),
        ("ImplementsResultPaging", "TRUE"),
        ("ImplementsStandardJoins", "FALSE"),
        ("ImplementsSpatialJoins", "FALSE"),
        ("ImplementsTemporalJoins", "FALSE"),
        ("ImplementsFeatureVersioning", "FALSE"),
        ("ManageStoredQueries", "FALSE"),
    ] {
        constraint(&mut x, name, value);
    }
    constraint(&mut x, "CountDefault", &ctx.catalog.server.max_features.to_string());
    x.push_str("</ows:OperationsMetadata>\n<wfs:FeatureTypeList>\n");
    let e = &ctx.tenant.extent_lonlat;
    for layer in ctx.catalog.visible_layers(ctx.tenant, ctx.caller) {
        let c = &layer.config;
        let native = layer.schema.crs;
        let _ = write!(x, "<wfs:FeatureType><wfs:Name>{PREFIX}:{}</wfs:Name><wfs:Title>{}</wfs:Title>", esc(&c.name), esc(&c.title));
        if !c.abstract_.is_empty() {
            let _ = write!(x, "<wfs:Abstract>{}</wfs:Abstract>", esc(&c.abstract_));
        }
        if !c.keywords.is_empty() {
            x.push_str("<ows:Keywords>");
            for k in &c.keywords {
                let _ = write!(x, "<ows:Keyword>{}</ows:Keyword>", esc(k));
            }
            x.push_str("</ows:Keywords>");
        }
        let _ = write!(x, "<wfs:DefaultCRS>{}</wfs:DefaultCRS>", native.urn());
        for crs in other_crs(native) {
            let _ = write!(x, "<wfs:OtherCRS>{}</wfs:OtherCRS>", crs.urn());
        }
        let _ = write!(x, "<wfs:OutputFormats><wfs:Format>{GML32}</wfs:Format><wfs:Format>{JSON}</wfs:Format></wfs:OutputFormats>");
        let _ = write!(
            x,
            "<ows:WGS84BoundingBox><ows:LowerCorner>{} {}</ows:LowerCorner><ows:UpperCorner>{} {}</ows:UpperCorner></ows:WGS84BoundingBox></wfs:FeatureType>\n",
            e.min_x, e.min_y, e.max_x, e.max_y
        );
    }
    x.push_str("</wfs:FeatureTypeList>\n<fes:Filter_Capabilities><fes:Conformance>");
    for (name, value) in [
        ("ImplementsQuery", "TRUE"),
        ("ImplementsAdHocQuery", "TRUE"),
        ("ImplementsFunctions", "FALSE"),
        ("ImplementsResourceId", "TRUE"),
        ("ImplementsMinStandardFilter", "TRUE"),
        ("ImplementsStandardFilter", "TRUE"),
        ("ImplementsMinSpatialFilter", "TRUE"),
        ("ImplementsSpatialFilter", "TRUE"),
        ("ImplementsMinTemporalFilter", "FALSE"),
        ("ImplementsTemporalFilter", "FALSE"),
        ("ImplementsVersionNav", "FALSE"),
        ("ImplementsSorting", "TRUE"),
        ("ImplementsExtendedOperators", "FALSE"),
        ("ImplementsMinimumXPath", "FALSE"),
        ("ImplementsSchemaElementFunc", "FALSE"),
    ] {
        let _ = write!(x, "<fes:Constraint name=\"{name}\"><ows:NoValues/><ows:DefaultValue>{value}</ows:DefaultValue></fes:Constraint>");
    }
    x.push_str("</fes:Conformance><fes:Id_Capabilities><fes:ResourceIdentifier name=\"fes:ResourceId\"/></fes:Id_Capabilities>");
    x.push_str("<fes:Scalar_Capabilities><fes:LogicalOperators/><fes:ComparisonOperators>");
    for c in COMPARISON {
        let _ = write!(x, "<fes:ComparisonOperator name=\"{c}\"/>");
    }
    x.push_str("</fes:ComparisonOperators></fes:Scalar_Capabilities><fes:Spatial_Capabilities><fes:GeometryOperands>");
    for o in OPERANDS {
        let _ = write!(x, "<fes:GeometryOperand name=\"gml:{o}\"/>");
    }
    x.push_str("</fes:GeometryOperands><fes:SpatialOperators>");
    for s in SPATIAL {
        let _ = write!(x, "<fes:SpatialOperator name=\"{s}\"/>");
    }
    x.push_str("</fes:SpatialOperators></fes:Spatial_Capabilities></fes:Filter_Capabilities>\n</wfs:WFS_Capabilities>\n");
    x
}

/// WFS 1.0.0: `Service`, `Capability` (requests with their DCP addresses), the feature types
/// with their `SRS` (short `EPSG:n`, x/y) and `LatLongBoundingBox`, and Filter 1.0 capabilities.
fn capabilities_100(ctx: &WfsContext<'_>, hrefs: &Hrefs) -> String {
    let namespace = esc(&ctx.catalog.server.namespace);
    let (title, abstract_, _, _) = title_and_contact(ctx);
    let (get, post) = (&hrefs.get, &hrefs.post);
    let mut x = String::with_capacity(8 * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<WFS_Capabilities version=\"1.0.0\" updateSequence=\"{}\" xmlns=\"http://www.opengis.net/wfs\" xmlns:ogc=\"http://www.opengis.net/ogc\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:{PREFIX}=\"{namespace}\" \
         xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.0.0/WFS-capabilities.xsd\">\n\
         <Service><Name>WFS</Name><Title>{}</Title><Abstract>{}</Abstract><OnlineResource>{post}</OnlineResource><Fees>NONE</Fees><AccessConstraints>NONE</AccessConstraints></Service>\n<Capability><Request>\n",
        ctx.catalog.update_sequence,
        esc(&title),
        esc(&abstract_),
    );
    // One DCPType holding both addresses: GDAL looks for the Post in the first one.
    let dcp = format!("<DCPType><HTTP><Get onlineResource=\"{get}\"/><Post onlineResource=\"{post}\"/></HTTP></DCPType>");
    let _ = write!(x, "<GetCapabilities>{dcp}</GetCapabilities>\n");
    let _ =
        write!(x, "<DescribeFeatureType><SchemaDescriptionLanguage><XMLSCHEMA/></SchemaDescriptionLanguage>{dcp}</DescribeFeatureType>\n");
    let _ = write!(x, "<GetFeature><ResultFormat><GML2/></ResultFormat>{dcp}</GetFeature>\n");
    if ctx.editable_layers().next().is_some() {
        let _ = write!(x, "<Transaction>{dcp}</Transaction>\n");
    }
    x.push_str("</Request></Capability>\n<FeatureTypeList><Operations><Query/></Operations>\n");
    let e = &ctx.tenant.extent_lonlat;
    for layer in ctx.catalog.visible_layers(ctx.tenant, ctx.caller) {
        let c = &layer.config;
        let _ = write!(x, "<FeatureType><Name>{PREFIX}:{}</Name><Title>{}</Title>", esc(&c.name), esc(&c.title));
        if !c.abstract_.is_empty() {
            let _ = write!(x, "<Abstract>{}</Abstract>", esc(&c.abstract_));
        }
        let _ = write!(x, "<SRS>{}</SRS>", layer.schema.crs.code());
        if crate::edit::allowed(ctx.caller, ctx.tenant, layer) {
            x.push_str("<Operations><Query/><Insert/><Update/><Delete/></Operations>");
        }
        let _ = write!(
            x,
            "<LatLongBoundingBox minx=\"{}\" miny=\"{}\" maxx=\"{}\" maxy=\"{}\"/></FeatureType>\n",
            e.min_x, e.min_y, e.max_x, e.max_y
        );
    }
    x.push_str(
        "</FeatureTypeList>\n<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:Spatial_Operators><ogc:BBOX/><ogc:Intersect/><ogc:Within/>\
         <ogc:Contains/><ogc:Disjoint/><ogc:DWithin/><ogc:Beyond/></ogc:Spatial_Operators></ogc:Spatial_Capabilities><ogc:Scalar_Capabilities>\
         <ogc:Logical_Operators/><ogc:Comparison_Operators><ogc:Simple_Comparisons/><ogc:Like/><ogc:Between/><ogc:NullCheck/></ogc:Comparison_Operators>\
         </ogc:Scalar_Capabilities></ogc:Filter_Capabilities>\n</WFS_Capabilities>\n",
    );
    x
}

fn capabilities_110(ctx: &WfsContext<'_>, hrefs: &Hrefs) -> String {
    let namespace = esc(&ctx.catalog.server.namespace);
    let (title, abstract_, org, email) = title_and_contact(ctx);
    let (get, post) = (&hrefs.get, &hrefs.post);
    let mut x = String::with_capacity(16 * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<wfs:WFS_Capabilities version=\"1.1.0\" updateSequence=\"{}\" xmlns:wfs=\"http://www.opengis.net/wfs\" xmlns:ows=\"http://www.opengis.net/ows\" \
         xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:gml=\"http://www.opengis.net/gml\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:{PREFIX}=\"{namespace}\" \
         xsi:schemaLocation=\"http://www.opengis.net/wfs http://schemas.opengis.net/wfs/1.1.0/wfs.xsd\">\n",
        ctx.catalog.update_sequence
    );
    let _ = write!(
        x,
        "<ows:ServiceIdentification><ows:Title>{}</ows:Title><ows:Abstract>{}</ows:Abstract><ows:ServiceType>WFS</ows:ServiceType>\
         <ows:ServiceTypeVersion>1.1.0</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>\n",
        esc(&title),
        esc(&abstract_)
    );
    let _ = write!(
        x,
        "<ows:ServiceProvider><ows:ProviderName>{}</ows:ProviderName><ows:ServiceContact><ows:ContactInfo><ows:Address><ows:ElectronicMailAddress>{}</ows:ElectronicMailAddress></ows:Address></ows:ContactInfo></ows:ServiceContact></ows:ServiceProvider>\n",
        esc(&org),
        esc(&email)
    );
    x.push_str("<ows:OperationsMetadata>\n");
    for (name, params) in [
        ("GetCapabilities", "<ows:Parameter name=\"AcceptVersions\"><ows:Value>1.1.0</ows:Value><ows:Value>2.0.0</ows:Value><ows:Value>1.0.0</ows:Value></ows:Parameter>".to_string()),
        ("DescribeFeatureType", format!("<ows:Parameter name=\"outputFormat\"><ows:Value>{GML311}</ows:Value></ows:Parameter>")),
        ("GetFeature", format!("<ows:Parameter name=\"outputFormat\"><ows:Value>{GML311}</ows:Value><ows:Value>{JSON}</ows:Value></ows:Parameter><ows:Parameter name=\"resultType\"><ows:Value>results</ows:Value><ows:Value>hits</ows:Value></ows:Parameter>")),
        ("Transaction", format!("<ows:Parameter name=\"inputFormat\"><ows:Value>{GML311}</ows:Value></ows:Parameter>")),
    ] {
        if name == "Transaction" && ctx.editable_layers().next().is_none() {
            continue;
        }
        let _ = write!(x, "<ows:Operation name=\"{name}\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"{get}\"/><ows:Post xlink:href=\"{post}\"/></ows:HTTP></ows:DCP>{params}</ows:Operation>\n");
    }
    x.push_str("</ows:OperationsMetadata>\n<wfs:FeatureTypeList><wfs:Operations><wfs:Operation>Query</wfs:Operation></wfs:Operations>\n");
    let e = &ctx.tenant.extent_lonlat;
    for layer in ctx.catalog.visible_layers(ctx.tenant, ctx.caller) {
        let c = &layer.config;
        let native = layer.schema.crs;
        let _ = write!(x, "<wfs:FeatureType><wfs:Name>{PREFIX}:{}</wfs:Name><wfs:Title>{}</wfs:Title>", esc(&c.name), esc(&c.title));
        if !c.abstract_.is_empty() {
            let _ = write!(x, "<wfs:Abstract>{}</wfs:Abstract>", esc(&c.abstract_));
        }
        let _ = write!(x, "<wfs:DefaultSRS>{}</wfs:DefaultSRS>", native.urn());
        for crs in other_crs(native) {
            let _ = write!(x, "<wfs:OtherSRS>{}</wfs:OtherSRS>", crs.urn());
        }
        if crate::edit::allowed(ctx.caller, ctx.tenant, layer) {
            x.push_str("<wfs:Operations><wfs:Operation>Query</wfs:Operation><wfs:Operation>Insert</wfs:Operation><wfs:Operation>Update</wfs:Operation><wfs:Operation>Delete</wfs:Operation></wfs:Operations>");
        }
        let _ = write!(x, "<wfs:OutputFormats><wfs:Format>{GML311}</wfs:Format><wfs:Format>{JSON}</wfs:Format></wfs:OutputFormats>");
        let _ = write!(
            x,
            "<ows:WGS84BoundingBox><ows:LowerCorner>{} {}</ows:LowerCorner><ows:UpperCorner>{} {}</ows:UpperCorner></ows:WGS84BoundingBox></wfs:FeatureType>\n",
            e.min_x, e.min_y, e.max_x, e.max_y
        );
    }
    x.push_str("</wfs:FeatureTypeList>\n<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:GeometryOperands>");
    // Filter 1.1 enumerates the operand names it allows: no multi-geometries among them.
    for o in &OPERANDS[..4] {
        let _ = write!(x, "<ogc:GeometryOperand>gml:{o}</ogc:GeometryOperand>");
    }
    x.push_str("</ogc:GeometryOperands><ogc:SpatialOperators>");
    for s in SPATIAL {
        let _ = write!(x, "<ogc:SpatialOperator name=\"{s}\"/>");
    }
    x.push_str(
        "</ogc:SpatialOperators></ogc:Spatial_Capabilities><ogc:Scalar_Capabilities><ogc:LogicalOperators/><ogc:ComparisonOperators>",
    );
    for c in ["LessThan", "GreaterThan", "LessThanEqualTo", "GreaterThanEqualTo", "EqualTo", "NotEqualTo", "Like", "Between", "NullCheck"] {
        let _ = write!(x, "<ogc:ComparisonOperator>{c}</ogc:ComparisonOperator>");
    }
    x.push_str("</ogc:ComparisonOperators></ogc:Scalar_Capabilities><ogc:Id_Capabilities><ogc:EID/><ogc:FID/></ogc:Id_Capabilities></ogc:Filter_Capabilities>\n</wfs:WFS_Capabilities>\n");
    x
}
