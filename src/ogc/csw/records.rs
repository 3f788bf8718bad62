//! The catalog's records, built from the catalog for one tenant and caller: one dataset record
//! per layer the caller may see and one service record per service of the tenant (WMS, WFS,
//! OGC API – Features), each service coupled to its datasets. Records follow the RNDT profile
//! (Linee Guida RNDT 2.0): identifiers `ipa:local`, language `ita`, a responsible party with
//! an e-mail. [`Record::values`] gives the queryables a constraint is evaluated on.

use crate::catalog::{Caller, Catalog, Tenant};
use crate::config::Contact;
use crate::crs::Bbox;
use crate::model::{AttributeType, Value};

/// Dataset or service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A layer.
    Dataset,
    /// A web service.
    Service(ServiceType),
}

/// The services a tenant offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    /// WMS 1.3.0 (INSPIRE view service).
    Wms,
    /// WFS 2.0 (download service).
    Wfs,
    /// OGC API – Features (download service).
    OgcApi,
}

impl ServiceType {
    /// The path segment, the title and the operations of the service.
    fn parts(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            ServiceType::Wms => ("wms", "WMS", &["GetCapabilities", "GetMap", "GetFeatureInfo", "GetLegendGraphic"]),
            ServiceType::Wfs => ("wfs", "WFS", &["GetCapabilities", "DescribeFeatureType", "GetFeature"]),
            ServiceType::OgcApi => ("ogcapi", "OGC API – Features", &["landing page", "collections", "items"]),
        }
    }
    /// The INSPIRE spatial data service type.
    pub fn inspire_type(self) -> &'static str {
        match self {
            ServiceType::Wms => "view",
            ServiceType::Wfs | ServiceType::OgcApi => "download",
        }
    }
    /// The protocol name of its links (as GeoNetwork and pycsw spell them).
    pub fn protocol(self) -> &'static str {
        match self {
            ServiceType::Wms => "OGC:WMS",
            ServiceType::Wfs => "OGC:WFS",
            ServiceType::OgcApi => "OGC:API-Features",
        }
    }
    /// Version offered.
    pub fn version(self) -> &'static str {
        match self {
            ServiceType::Wms => "1.3.0",
            ServiceType::Wfs => "2.0.0",
            ServiceType::OgcApi => "1.0.0",
        }
    }
}

/// A link to where the resource is served.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// URL.
    pub url: String,
    /// Protocol (`OGC:WMS`…).
    pub protocol: &'static str,
    /// The layer name at that service (datasets).
    pub name: String,
}

/// One catalog record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// fileIdentifier (`ipa:tenant.layer`).
    pub id: String,
    /// Dataset or service.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Abstract.
    pub abstract_: String,
    /// Free keywords.
    pub keywords: Vec<String>,
    /// INSPIRE theme (a keyword of the GEMET INSPIRE themes thesaurus).
    pub inspire_theme: Option<String>,
    /// ISO topic category.
    pub topic_category: Option<String>,
    /// Extent in WGS 84 lon/lat.
    pub bbox: Bbox,
    /// Metadata date and the resource's publication date (`YYYY-MM-DD`).
    pub date: String,
    /// Creation / revision dates of the resource.
    pub created: Option<String>,
    /// Last revision.
    pub revised: Option<String>,
    /// Licence.
    pub licence: String,
    /// Whether access is restricted (a role is needed).
    pub restricted: bool,
    /// Responsible party.
    pub responsible: Contact,
    /// Language (ISO 639-2/B).
    pub language: String,
    /// Lineage statement (datasets).
    pub lineage: Option<String>,
    /// Scale denominator.
    pub denominator: Option<u32>,
    /// Resolution, metres.
    pub resolution_m: Option<f64>,
    /// ISO maintenance frequency.
    pub update_frequency: String,
    /// The stored CRS (`EPSG:32632`).
    pub crs: String,
    /// Where it is served.
    pub links: Vec<Link>,
    /// Services: the operations and the URL they are invoked at.
    pub operations: Vec<(String, String)>,
    /// Services: the coupled datasets (their record ids and layer names).
    pub operates_on: Vec<(String, String)>,
    /// The identifier prefix has an iPA code (RNDT requires it).
    pub has_ipa: bool,
    /// Datasets: the largest scale denominator the layer is drawn at (`max_scale`).
    pub max_scale: Option<f64>,
}

/// The queryables of records, in the order of [`Record::values`]: the names a constraint may
/// use (prefixes `csw:`, `dc:`, `dct:`, `apiso:` are accepted and dropped).
pub const QUERYABLES: &[(&str, AttributeType)] = &[
    ("AnyText", AttributeType::Text),
    ("Title", AttributeType::Text),
    ("Abstract", AttributeType::Text),
    ("Subject", AttributeType::Text),
    ("Type", AttributeType::Text),
    ("Identifier", AttributeType::Text),
    ("Modified", AttributeType::Text),
    ("TopicCategory", AttributeType::Text),
    ("ServiceType", AttributeType::Text),
    ("OrganisationName", AttributeType::Text),
    ("Language", AttributeType::Text),
    ("Format", AttributeType::Text),
];

impl Record {
    /// `dataset` or `service` (dc:type, MD_ScopeCode).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Dataset => "dataset",
            Kind::Service(_) => "service",
        }
    }

    /// The formats of the resource.
    pub fn formats(&self) -> Vec<&'static str> {
        match self.kind {
            Kind::Dataset => vec!["GML", "GeoJSON", "image/png", "application/vnd.mapbox-vector-tile"],
            Kind::Service(ServiceType::Wms) => vec!["image/png", "image/jpeg"],
            Kind::Service(ServiceType::Wfs) => vec!["GML"],
            Kind::Service(ServiceType::OgcApi) => vec!["GeoJSON"],
        }
    }

    /// The record's queryable values, in [`QUERYABLES`] order.
    pub fn values(&self) -> Vec<Value> {
        let subject = self.subject();
        let any = self.any_text();
        let text = |s: &str| Value::Text(s.to_string());
        vec![
            text(&any),
            text(&self.title),
            text(&self.abstract_),
            text(&subject),
            text(self.type_name()),
            text(&self.id),
            text(&self.date),
            self.topic_category.as_deref().map(text).unwrap_or(Value::Null),
            match self.kind {
                Kind::Service(s) => text(s.inspire_type()),
                Kind::Dataset => Value::Null,
            },
            text(&self.responsible_org()),
            text(&self.language),
            text(&self.formats().join(" ")),
        ]
    }

    /// Every text of the record (as a catalogue's full-text index sees its document): titles,
    /// abstract, keywords, identifiers, contacts, constraints, lineage, formats, links, the
    /// services' operations and coupled datasets.
    pub fn any_text(&self) -> String {
        let subject = self.subject();
        let mut parts: Vec<&str> =
            vec![&self.id, &self.title, &self.abstract_, &subject, &self.date, &self.licence, &self.language, &self.crs];
        parts.extend(self.topic_category.as_deref());
        parts.extend(self.lineage.as_deref());
        parts.extend(self.created.as_deref());
        parts.extend(self.revised.as_deref());
        let org = self.responsible_org();
        parts.push(&org);
        parts.extend(self.responsible.email.as_deref());
        parts.extend(self.responsible.person.as_deref());
        let formats = self.formats();
        parts.extend(formats.iter().copied());
        for l in &self.links {
            parts.extend([l.url.as_str(), l.protocol, &l.name]);
        }
        for (op, url) in &self.operations {
            parts.extend([op.as_str(), url]);
        }
        for (id, name) in &self.operates_on {
            parts.extend([id.as_str(), name]);
        }
        parts.join(" ")
    }

    /// The keywords and the INSPIRE theme, as one text (the `Subject` queryable).
    fn subject(&self) -> String {
        self.keywords.iter().chain(self.inspire_theme.iter()).cloned().collect::<Vec<_>>().join(" ")
    }

    /// The responsible organisation.
    pub fn responsible_org(&self) -> String {
        self.responsible.organization.clone().unwrap_or_default()
    }
}

/// [`records`], each dataset's box the layer's own extent (within the tenant's when they
/// meet), read from its source ([`crate::catalog::Layer::extent_lonlat`]); the tenant's extent
/// when it cannot be read.
pub async fn records_with_extents(catalog: &Catalog, tenant: &Tenant, caller: &Caller) -> Vec<Record> {
    let mut out = records(catalog, tenant, caller);
    let layers: Vec<_> = catalog.visible_layers(tenant, caller).cloned().collect();
    let extents = futures_util::future::join_all(layers.iter().map(|l| l.extent_lonlat())).await;
    for (record, extent) in out.iter_mut().filter(|r| r.kind == Kind::Dataset).zip(extents) {
        if let Some(e) = extent {
            record.bbox = match (
                e.min_x.max(tenant.extent_lonlat.min_x),
                e.min_y.max(tenant.extent_lonlat.min_y),
                e.max_x.min(tenant.extent_lonlat.max_x),
                e.max_y.min(tenant.extent_lonlat.max_y),
            ) {
                (a, b, c, d) if a <= c && b <= d => Bbox { min_x: a, min_y: b, max_x: c, max_y: d },
                _ => e,
            };
        }
    }
    out
}

/// A date `YYYY-MM-DD` from Unix seconds.
fn date_of(secs: u64) -> String {
    jiff::Timestamp::from_second(secs as i64).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_else(|_| "1970-01-01".into())
}

/// The records of `tenant` that `caller` may see: its layers, then its services.
pub fn records(catalog: &Catalog, tenant: &Tenant, caller: &Caller) -> Vec<Record> {
    let md = &catalog.metadata;
    let prefix = md.ipa_code.clone().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| catalog.tenants[0].id.clone());
    let date = md.date.clone().unwrap_or_else(|| date_of(catalog.update_sequence));
    let mut default_contact = md.responsible.clone().unwrap_or_else(|| tenant.contact.clone());
    if default_contact.organization.is_none() {
        default_contact.organization = Some(catalog.organisation.clone());
    }
    let base = catalog.server.base_url();
    let service_url = |path: &str| format!("{base}/{}/{path}", tenant.url_key());
    let mut out = Vec::new();
    for layer in catalog.visible_layers(tenant, caller) {
        let c = &layer.config;
        let m = &c.metadata;
        let mut responsible = m.responsible.clone().unwrap_or_else(|| default_contact.clone());
        if responsible.email.is_none() {
            responsible.email = default_contact.email.clone();
        }
        let links = [ServiceType::Wms, ServiceType::Wfs, ServiceType::OgcApi]
            .into_iter()
            .map(|s| Link {
                url: service_url(s.parts().0),
                protocol: s.protocol(),
                name: if s == ServiceType::Wfs { format!("navigli:{}", c.name) } else { c.name.clone() },
            })
            .collect();
        let mut keywords = c.keywords.clone();
        if let Some(g) = catalog.groups.iter().find(|g| g.name == c.group) {
            keywords.push(g.title.clone());
        }
        out.push(Record {
            id: format!("{prefix}:{}.{}", tenant.id, c.name),
            kind: Kind::Dataset,
            title: format!("{} — {}", c.title, tenant.title),
            abstract_: if c.abstract_.trim().is_empty() { c.title.clone() } else { c.abstract_.clone() },
            keywords,
            inspire_theme: m.inspire_theme.clone(),
            topic_category: m.topic_category.clone(),
            bbox: tenant.extent_lonlat,
            date: date.clone(),
            created: m.created.clone(),
            revised: m.revised.clone(),
            licence: m.licence.clone().unwrap_or_else(|| md.licence.clone()),
            restricted: c.access == crate::config::Access::Restricted,
            responsible,
            language: md.language.clone(),
            lineage: m.lineage.clone(),
            denominator: m.denominator,
            resolution_m: m.resolution_m,
            update_frequency: m.update_frequency.clone().unwrap_or_else(|| "asNeeded".into()),
            crs: c.crs.clone(),
            links,
            operations: vec![],
            operates_on: vec![],
            has_ipa: md.ipa_code.is_some(),
            max_scale: c.max_scale,
        });
    }
    let datasets: Vec<(String, String)> = out.iter().map(|r| (r.id.clone(), r.links[0].name.clone())).collect();
    for s in [ServiceType::Wms, ServiceType::Wfs, ServiceType::OgcApi] {
        let (path, title, ops) = s.parts();
        let url = service_url(path);
        out.push(Record {
            id: format!("{prefix}:{}.{path}", tenant.id),
            kind: Kind::Service(s),
            title: format!("{} — {title}", tenant.title),
            abstract_: format!("Servizio {title} navigli di {} ({}).", tenant.title, catalog.organisation),
            keywords: vec![title.to_string(), tenant.title.clone()],
            inspire_theme: None,
            topic_category: None,
            bbox: tenant.extent_lonlat,
            date: date.clone(),
            created: None,
            revised: None,
            licence: md.licence.clone(),
            restricted: false,
            responsible: default_contact.clone(),
            language: md.language.clone(),
            lineage: None,
            denominator: None,
            resolution_m: None,
            update_frequency: "asNeeded".into(),
            crs: "EPSG:4326".into(),
            links: vec![Link { url: url.clone(), protocol: s.protocol(), name: String::new() }],
            operations: ops.iter().map(|o| (o.to_string(), url.clone())).collect(),
            operates_on: datasets.clone(),
            has_ipa: md.ipa_code.is_some(),
            max_scale: None,
        });
    }
    out
}
