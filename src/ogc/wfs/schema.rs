//! DescribeFeatureType: an XML Schema for the requested feature types, derived from each
//! layer's attribute allow-list (GML 3.2 application schema for 2.0.0, GML 3.1.1 for 1.1.0).

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;

use actix_web::HttpResponse;

use super::{WfsContext, WfsVersion, PREFIX};
use crate::catalog::Layer;
use crate::http::exception::{ExceptionCode, OgcException};
use crate::http::kvp::Kvp;

/// The GML property type of a configured geometry type (GML 3; [`gml2_property_type`] for 1.0).
pub fn geometry_property_type(geometry_type: &str) -> &'static str {
    match geometry_type {
        "Point" => "gml:PointPropertyType",
        "MultiPoint" => "gml:MultiPointPropertyType",
        "LineString" => "gml:CurvePropertyType",
        "MultiLineString" => "gml:MultiCurvePropertyType",
        "Polygon" => "gml:SurfacePropertyType",
        "MultiPolygon" => "gml:MultiSurfacePropertyType",
        _ => "gml:GeometryPropertyType",
    }
}

/// The GML 2.1.2 property type of a configured geometry type.
pub fn gml2_property_type(geometry_type: &str) -> &'static str {
    match geometry_type {
        "Point" => "gml:PointPropertyType",
        "MultiPoint" => "gml:MultiPointPropertyType",
        "LineString" => "gml:LineStringPropertyType",
        "MultiLineString" => "gml:MultiLineStringPropertyType",
        "Polygon" => "gml:PolygonPropertyType",
        "MultiPolygon" => "gml:MultiPolygonPropertyType",
        _ => "gml:GeometryPropertyType",
    }
}

/// The layers named by TYPENAME(S), or all visible ones.
pub fn requested_layers<'a>(ctx: &'a WfsContext<'_>, kvp: &Kvp, version: WfsVersion) -> Result<Vec<&'a Layer>, OgcException> {
    let names = kvp.list("typenames").or_else(|| kvp.list("typename"));
    match names {
        Some(names) => names.iter().map(|n| ctx.layer(n, version.type_names_locator())).collect(),
        None => Ok(ctx.catalog.visible_layers(ctx.tenant, ctx.caller).map(|l| l.as_ref()).collect()),
    }
}

/// The schema document for `layers`.
pub fn schema_document(layers: &[&Layer], version: WfsVersion, namespace: &str) -> String {
    let namespace = crate::ogc::xml_escape(namespace);
    let (gml, gml_schema, base, group) = match version {
        WfsVersion::V2_0_0 => (
            "http://www.opengis.net/gml/3.2",
            "http://schemas.opengis.net/gml/3.2.1/gml.xsd",
            "gml:AbstractFeatureType",
            "gml:AbstractFeature",
        ),
        WfsVersion::V1_1_0 => {
            ("http://www.opengis.net/gml", "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd", "gml:AbstractFeatureType", "gml:_Feature")
        }
        WfsVersion::V1_0_0 => {
            ("http://www.opengis.net/gml", "http://schemas.opengis.net/gml/2.1.2/feature.xsd", "gml:AbstractFeatureType", "gml:_Feature")
        }
    };
    let mut x = String::with_capacity(4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:gml=\"{gml}\" xmlns:{PREFIX}=\"{namespace}\" \
         targetNamespace=\"{namespace}\" elementFormDefault=\"qualified\" version=\"1.0\">\n<xsd:import namespace=\"{gml}\" schemaLocation=\"{gml_schema}\"/>\n"
    );
    for layer in layers {
        let c = &layer.config;
        let _ = write!(
            x,
            "<xsd:complexType name=\"{n}Type\"><xsd:complexContent><xsd:extension base=\"{base}\"><xsd:sequence>\n\
             <xsd:element name=\"{g}\" type=\"{t}\" minOccurs=\"0\" maxOccurs=\"1\" nillable=\"true\"/>\n",
            n = c.name,
            g = c.geometry_column,
            t = if version == WfsVersion::V1_0_0 { gml2_property_type(&c.geometry_type) } else { geometry_property_type(&c.geometry_type) }
        );
        for a in &layer.schema.attributes {
            let _ = writeln!(
                x,
                "<xsd:element name=\"{}\" type=\"xsd:{}\" minOccurs=\"0\" maxOccurs=\"1\" nillable=\"true\"/>",
                a.name,
                a.kind.xsd()
            );
        }
        let _ = write!(
            x,
            "</xsd:sequence></xsd:extension></xsd:complexContent></xsd:complexType>\n<xsd:element name=\"{n}\" type=\"{PREFIX}:{n}Type\" substitutionGroup=\"{group}\"/>\n",
            n = c.name
        );
    }
    x.push_str("</xsd:schema>\n");
    x
}

/// `DescribeFeatureType`.
pub fn describe_feature_type(ctx: &WfsContext<'_>, version: WfsVersion, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    if let Some(f) = kvp.get("outputformat") {
        let f = f.replace(' ', "").to_ascii_lowercase();
        let ok = [
            "application/gml+xml;version=3.2",
            "text/xml;subtype=gml/3.2",
            "text/xml;subtype=gml/3.1.1",
            "xmlschema",
            "application/xml",
            "text/xml",
        ];
        if !ok.contains(&f.as_str()) {
            return Err(OgcException::new(ExceptionCode::InvalidParameterValue, "outputFormat not supported for DescribeFeatureType")
                .at("outputFormat"));
        }
    }
    let layers = requested_layers(ctx, kvp, version)?;
    Ok(HttpResponse::Ok().content_type("application/xml").body(schema_document(&layers, version, &ctx.catalog.server.namespace)))
}
