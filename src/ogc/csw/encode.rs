//! Records as XML: Dublin Core (`csw:BriefRecord`, `csw:SummaryRecord`, `csw:Record`) and
//! ISO 19139 (`gmd:MD_Metadata` with `gmd:MD_DataIdentification` or, for services, ISO 19119
//! `srv:SV_ServiceIdentification` with its operations and coupled datasets), in the RNDT 2.0
//! profile. Element order follows the schemas (the tests validate every record).

use std::fmt::Write as _;

use super::records::{Kind, Record};
use crate::ogc::xml_escape as esc;

/// How much of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementSet {
    /// Identifier, title, type, box.
    Brief,
    /// Plus subjects, formats, modified, abstract.
    Summary,
    /// Everything.
    Full,
}

impl ElementSet {
    /// Its name in `elementSet` attributes.
    pub fn name(self) -> &'static str {
        match self {
            ElementSet::Brief => "brief",
            ElementSet::Summary => "summary",
            ElementSet::Full => "full",
        }
    }
}

/// Namespace declarations of a Dublin Core record (or of the response around it).
pub const DC_NS: &str = "xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
     xmlns:dct=\"http://purl.org/dc/terms/\" xmlns:ows=\"http://www.opengis.net/ows\"";

/// Namespace declarations of an ISO record.
pub const ISO_NS: &str = "xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:gco=\"http://www.isotc211.org/2005/gco\" \
     xmlns:srv=\"http://www.isotc211.org/2005/srv\" xmlns:gml=\"http://www.opengis.net/gml\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"";

/// The ows:BoundingBox of a record (EPSG:4326, latitude first).
fn ows_bbox(x: &mut String, r: &Record) {
    let b = &r.bbox;
    let _ = write!(
        x,
        "<ows:BoundingBox crs=\"urn:ogc:def:crs:EPSG::4326\"><ows:LowerCorner>{} {}</ows:LowerCorner><ows:UpperCorner>{} {}</ows:UpperCorner></ows:BoundingBox>",
        b.min_y, b.min_x, b.max_y, b.max_x
    );
}

/// A Dublin Core record; `ns`: declare the namespaces on it (a record on its own).
pub fn dc(x: &mut String, r: &Record, set: ElementSet, ns: bool) {
    let tag = match set {
        ElementSet::Brief => "csw:BriefRecord",
        ElementSet::Summary => "csw:SummaryRecord",
        ElementSet::Full => "csw:Record",
    };
    let _ = write!(x, "<{tag}{}>", if ns { format!(" {DC_NS}") } else { String::new() });
    let _ = write!(
        x,
        "<dc:identifier>{}</dc:identifier><dc:title>{}</dc:title><dc:type>{}</dc:type>",
        esc(&r.id),
        esc(&r.title),
        r.type_name()
    );
    if set != ElementSet::Brief {
        for k in r.keywords.iter().chain(r.inspire_theme.iter()) {
            let _ = write!(x, "<dc:subject>{}</dc:subject>", esc(k));
        }
        if let Some(t) = &r.topic_category {
            let _ = write!(x, "<dc:subject>{}</dc:subject>", esc(t));
        }
        for f in r.formats() {
            let _ = write!(x, "<dc:format>{}</dc:format>", esc(f));
        }
        if set == ElementSet::Summary {
            for (id, _) in &r.operates_on {
                let _ = write!(x, "<dc:relation>{}</dc:relation>", esc(id));
            }
        }
        let _ = write!(x, "<dct:modified>{}</dct:modified><dct:abstract>{}</dct:abstract>", r.date, esc(&r.abstract_));
    }
    if set == ElementSet::Full {
        for (id, _) in &r.operates_on {
            let _ = write!(x, "<dc:relation>{}</dc:relation>", esc(id));
        }
        let org = r.responsible_org();
        let _ = write!(
            x,
            "<dc:publisher>{}</dc:publisher><dc:language>{}</dc:language><dc:rights>{}</dc:rights>",
            esc(&org),
            esc(&r.language),
            esc(&r.licence)
        );
        for l in &r.links {
            let _ = write!(x, "<dct:references scheme=\"{}\">{}</dct:references>", esc(l.protocol), esc(&l.url));
        }
    }
    ows_bbox(x, r);
    let _ = write!(x, "</{tag}>");
}

fn text(x: &mut String, tag: &str, value: &str) {
    let _ = write!(x, "<{tag}><gco:CharacterString>{}</gco:CharacterString></{tag}>", esc(value));
}

fn code(x: &mut String, tag: &str, list: &str, value: &str) {
    let _ = write!(
        x,
        "<{tag}><gmd:{list} codeList=\"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#{list}\" codeListValue=\"{v}\">{v}</gmd:{list}></{tag}>",
        v = esc(value)
    );
}

/// A CI_ResponsibleParty in `tag`.
fn party(x: &mut String, tag: &str, r: &Record, role: &str) {
    let c = &r.responsible;
    let _ = write!(x, "<{tag}><gmd:CI_ResponsibleParty>");
    if let Some(p) = c.person.as_deref().filter(|p| !p.is_empty()) {
        text(x, "gmd:individualName", p);
    }
    text(x, "gmd:organisationName", &r.responsible_org());
    x.push_str("<gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>");
    text(x, "gmd:electronicMailAddress", c.email.as_deref().unwrap_or(""));
    x.push_str("</gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>");
    code(x, "gmd:role", "CI_RoleCode", role);
    let _ = write!(x, "</gmd:CI_ResponsibleParty></{tag}>");
}

fn date(x: &mut String, value: &str, kind: &str) {
    let _ = write!(x, "<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{}</gco:Date></gmd:date>", esc(value));
    code(x, "gmd:dateType", "CI_DateTypeCode", kind);
    x.push_str("</gmd:CI_Date></gmd:date>");
}

fn online(x: &mut String, url: &str, protocol: &str, name: &str) {
    let _ = write!(x, "<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{}</gmd:URL></gmd:linkage>", esc(url));
    text(x, "gmd:protocol", protocol);
    if !name.is_empty() {
        text(x, "gmd:name", name);
    }
    x.push_str("</gmd:CI_OnlineResource></gmd:onLine>");
}

fn extent(x: &mut String, r: &Record, tag: &str) {
    let b = &r.bbox;
    let _ = write!(
        x,
        "<{tag}><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>\
         <gmd:westBoundLongitude><gco:Decimal>{}</gco:Decimal></gmd:westBoundLongitude>\
         <gmd:eastBoundLongitude><gco:Decimal>{}</gco:Decimal></gmd:eastBoundLongitude>\
         <gmd:southBoundLatitude><gco:Decimal>{}</gco:Decimal></gmd:southBoundLatitude>\
         <gmd:northBoundLatitude><gco:Decimal>{}</gco:Decimal></gmd:northBoundLatitude>\
         </gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></{tag}>",
        b.min_x, b.max_x, b.min_y, b.max_y
    );
}

/// The elements every identification shares (AbstractMD_Identification), in schema order.
fn identification_common(x: &mut String, r: &Record) {
    x.push_str("<gmd:citation><gmd:CI_Citation>");
    text(x, "gmd:title", &r.title);
    if let Some(c) = &r.created {
        date(x, c, "creation");
    }
    date(x, &r.date, "publication");
    if let Some(v) = &r.revised {
        date(x, v, "revision");
    }
    x.push_str("<gmd:identifier><gmd:MD_Identifier>");
    text(x, "gmd:code", &r.id);
    x.push_str("</gmd:MD_Identifier></gmd:identifier></gmd:CI_Citation></gmd:citation>");
    text(x, "gmd:abstract", &r.abstract_);
    party(x, "gmd:pointOfContact", r, "pointOfContact");
    x.push_str("<gmd:resourceMaintenance><gmd:MD_MaintenanceInformation>");
    code(x, "gmd:maintenanceAndUpdateFrequency", "MD_MaintenanceFrequencyCode", &r.update_frequency);
    x.push_str("</gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>");
    if !r.keywords.is_empty() {
        x.push_str("<gmd:descriptiveKeywords><gmd:MD_Keywords>");
        for k in &r.keywords {
            text(x, "gmd:keyword", k);
        }
        x.push_str("</gmd:MD_Keywords></gmd:descriptiveKeywords>");
    }
    if let Some(theme) = &r.inspire_theme {
        x.push_str("<gmd:descriptiveKeywords><gmd:MD_Keywords>");
        text(x, "gmd:keyword", theme);
        x.push_str("<gmd:thesaurusName><gmd:CI_Citation>");
        text(x, "gmd:title", "GEMET - INSPIRE themes, version 1.0");
        date(x, "2008-06-01", "publication");
        x.push_str("</gmd:CI_Citation></gmd:thesaurusName></gmd:MD_Keywords></gmd:descriptiveKeywords>");
    }
    x.push_str("<gmd:resourceConstraints><gmd:MD_LegalConstraints>");
    code(x, "gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions");
    code(x, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions");
    text(
        x,
        "gmd:otherConstraints",
        if r.restricted { "Accesso riservato agli utenti autorizzati" } else { "Nessuna limitazione all'accesso pubblico" },
    );
    text(x, "gmd:otherConstraints", &r.licence);
    x.push_str("</gmd:MD_LegalConstraints></gmd:resourceConstraints>");
}

/// An ISO 19139 record (`gmd:MD_Metadata`); `ns`: declare the namespaces on it.
pub fn iso(x: &mut String, r: &Record, ns: bool) {
    let _ = write!(x, "<gmd:MD_Metadata{}>", if ns { format!(" {ISO_NS}") } else { String::new() });
    text(x, "gmd:fileIdentifier", &r.id);
    code(x, "gmd:language", "LanguageCode", &r.language);
    code(x, "gmd:characterSet", "MD_CharacterSetCode", "utf8");
    code(x, "gmd:hierarchyLevel", "MD_ScopeCode", r.type_name());
    party(x, "gmd:contact", r, "pointOfContact");
    let _ = write!(x, "<gmd:dateStamp><gco:Date>{}</gco:Date></gmd:dateStamp>", r.date);
    text(x, "gmd:metadataStandardName", "Linee Guida RNDT");
    text(x, "gmd:metadataStandardVersion", "2.0");
    x.push_str("<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier>");
    text(x, "gmd:code", &r.crs);
    text(x, "gmd:codeSpace", "http://www.epsg-registry.org");
    x.push_str("</gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>");
    x.push_str("<gmd:identificationInfo>");
    match r.kind {
        Kind::Dataset => {
            x.push_str("<gmd:MD_DataIdentification>");
            identification_common(x, r);
            code(x, "gmd:spatialRepresentationType", "MD_SpatialRepresentationTypeCode", "vector");
            if let Some(d) = r.denominator {
                let _ = write!(
                    x,
                    "<gmd:spatialResolution><gmd:MD_Resolution><gmd:equivalentScale><gmd:MD_RepresentativeFraction><gmd:denominator><gco:Integer>{d}</gco:Integer></gmd:denominator></gmd:MD_RepresentativeFraction></gmd:equivalentScale></gmd:MD_Resolution></gmd:spatialResolution>"
                );
            } else if let Some(m) = r.resolution_m {
                let _ = write!(
                    x,
                    "<gmd:spatialResolution><gmd:MD_Resolution><gmd:distance><gco:Distance uom=\"m\">{m}</gco:Distance></gmd:distance></gmd:MD_Resolution></gmd:spatialResolution>"
                );
            }
            code(x, "gmd:language", "LanguageCode", &r.language);
            code(x, "gmd:characterSet", "MD_CharacterSetCode", "utf8");
            if let Some(t) = &r.topic_category {
                let _ = write!(x, "<gmd:topicCategory><gmd:MD_TopicCategoryCode>{}</gmd:MD_TopicCategoryCode></gmd:topicCategory>", esc(t));
            }
            extent(x, r, "gmd:extent");
            x.push_str("</gmd:MD_DataIdentification>");
        }
        Kind::Service(s) => {
            x.push_str("<srv:SV_ServiceIdentification>");
            identification_common(x, r);
            let _ = write!(x, "<srv:serviceType><gco:LocalName>{}</gco:LocalName></srv:serviceType>", s.inspire_type());
            let _ =
                write!(x, "<srv:serviceTypeVersion><gco:CharacterString>{}</gco:CharacterString></srv:serviceTypeVersion>", s.version());
            extent(x, r, "srv:extent");
            for (id, name) in &r.operates_on {
                x.push_str("<srv:coupledResource><srv:SV_CoupledResource>");
                let _ = write!(
                    x,
                    "<srv:operationName><gco:CharacterString>{}</gco:CharacterString></srv:operationName>",
                    esc(&r.operations[0].0)
                );
                let _ = write!(x, "<srv:identifier><gco:CharacterString>{}</gco:CharacterString></srv:identifier>", esc(id));
                let _ = write!(x, "<gco:ScopedName>{}</gco:ScopedName>", esc(name));
                x.push_str("</srv:SV_CoupledResource></srv:coupledResource>");
            }
            let _ = write!(
                x,
                "<srv:couplingType><srv:SV_CouplingType codeList=\"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#SV_CouplingType\" codeListValue=\"tight\">tight</srv:SV_CouplingType></srv:couplingType>"
            );
            for (op, url) in &r.operations {
                x.push_str("<srv:containsOperations><srv:SV_OperationMetadata>");
                let _ = write!(x, "<srv:operationName><gco:CharacterString>{}</gco:CharacterString></srv:operationName>", esc(op));
                x.push_str("<srv:DCP><srv:DCPList codeList=\"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#DCPList\" codeListValue=\"WebServices\">WebServices</srv:DCPList></srv:DCP>");
                let _ = write!(
                    x,
                    "<srv:connectPoint><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{}</gmd:URL></gmd:linkage></gmd:CI_OnlineResource></srv:connectPoint>",
                    esc(url)
                );
                x.push_str("</srv:SV_OperationMetadata></srv:containsOperations>");
            }
            for (id, _) in &r.operates_on {
                let _ = write!(x, "<srv:operatesOn uuidref=\"{}\" xlink:href=\"#{}\"/>", esc(id), esc(id));
            }
            x.push_str("</srv:SV_ServiceIdentification>");
        }
    }
    x.push_str("</gmd:identificationInfo>");
    x.push_str("<gmd:distributionInfo><gmd:MD_Distribution>");
    for f in r.formats() {
        x.push_str("<gmd:distributionFormat><gmd:MD_Format>");
        text(x, "gmd:name", f);
        text(x, "gmd:version", "-");
        x.push_str("</gmd:MD_Format></gmd:distributionFormat>");
    }
    x.push_str("<gmd:transferOptions><gmd:MD_DigitalTransferOptions>");
    for l in &r.links {
        online(x, &l.url, l.protocol, &l.name);
    }
    x.push_str("</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>");
    x.push_str("<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:scope><gmd:DQ_Scope>");
    code(x, "gmd:level", "MD_ScopeCode", r.type_name());
    x.push_str("</gmd:DQ_Scope></gmd:scope>");
    if let Kind::Dataset = r.kind {
        x.push_str("<gmd:lineage><gmd:LI_Lineage>");
        text(x, "gmd:statement", r.lineage.as_deref().unwrap_or("Dati pubblicati da navigli dalla fonte configurata."));
        x.push_str("</gmd:LI_Lineage></gmd:lineage>");
    }
    x.push_str("</gmd:DQ_DataQuality></gmd:dataQualityInfo></gmd:MD_Metadata>");
}
