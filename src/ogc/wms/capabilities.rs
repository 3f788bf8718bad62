//! WMS GetCapabilities for 1.3.0 (XSD `capabilities_1_3_0.xsd`) and 1.1.1 (DTD
//! `WMS_MS_Capabilities.dtd`).
//!
//! The layer tree is: one unnamed root layer (the tenant) declaring every CRS of the registry →
//! one named layer per group that has at least one layer visible to the caller → the visible
//! layers of that group. Every level carries the tenant's extent, as a geographic box and as a
//! `BoundingBox` per CRS (coordinates in the CRS's axis order in 1.3.0, always x = east in
//! 1.1.1). Element order follows the schema / DTD exactly.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::catalog::{Caller, Catalog, Layer, Tenant, TenantKind};
use crate::crs::{transform_bbox, Bbox, Crs};
use crate::ogc::xml_escape as esc;

/// A supported WMS version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WmsVersion {
    /// 1.3.0: `CRS`, authority axis order, XSD.
    V1_3_0,
    /// 1.1.1: `SRS`, always x = east, DTD.
    V1_1_1,
}

impl WmsVersion {
    /// As written in documents and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            WmsVersion::V1_3_0 => "1.3.0",
            WmsVersion::V1_1_1 => "1.1.1",
        }
    }
}

/// What a WMS operation works on.
pub struct WmsContext<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The tenant of the request.
    pub tenant: &'a Tenant,
    /// Who asks.
    pub caller: &'a Caller,
    /// This service's URL, e.g. `http://host/milano/wms` (no query string).
    pub service_url: String,
}

/// GetMap output formats.
pub const GETMAP_FORMATS: &[&str] = &["image/png", "image/png; mode=8bit", "image/jpeg"];
/// GetFeatureInfo INFO_FORMAT values.
pub const INFO_FORMATS: &[&str] =
    &["text/plain", "text/html", "application/json", "application/vnd.ogc.gml", "application/vnd.ogc.gml/3.1.1"];
/// Most layers one GetMap may ask for (advertised in 1.3.0).
pub const LAYER_LIMIT: u32 = 16;
/// Largest GetMap WIDTH (advertised in 1.3.0).
pub const MAX_WIDTH: u32 = 4096;
/// Largest GetMap HEIGHT (advertised in 1.3.0).
pub const MAX_HEIGHT: u32 = 4096;
/// Size advertised on `LegendURL` (the 1.1.1 DTD requires width and height).
pub const LEGEND_WIDTH: u32 = 20;
/// See [`LEGEND_WIDTH`].
pub const LEGEND_HEIGHT: u32 = 20;
/// Style name of a layer without a configured style.
pub const DEFAULT_STYLE: &str = "default";

/// Metres per pixel of the OGC standardized rendering pixel (0.28 mm).
const PIXEL_SIZE_M: f64 = 0.000_28;

/// The GetCapabilities document of `ctx.tenant` as seen by `ctx.caller`.
pub fn capabilities_document(ctx: &WmsContext<'_>, version: WmsVersion) -> String {
    let mut w = Writer { x: String::with_capacity(32 * 1024), v: version, url: ctx.service_url.clone() };
    w.prologue(ctx.catalog.update_sequence);
    w.service(ctx);
    w.x.push_str("<Capability>\n");
    w.request();
    w.exception();
    w.layers(ctx);
    w.x.push_str("</Capability>\n");
    w.x.push_str(match version {
        WmsVersion::V1_3_0 => "</WMS_Capabilities>\n",
        WmsVersion::V1_1_1 => "</WMT_MS_Capabilities>\n",
    });
    w.x
}

/// `url` ready for KVP parameters to be appended (`…?` or `…&`).
fn kvp_prefix(url: &str) -> String {
    if url.ends_with('?') || url.ends_with('&') {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&")
    } else {
        format!("{url}?")
    }
}

/// A coordinate rounded outwards (`up` for maxima) so the written box still covers the extent:
/// 6 decimals for degrees, 2 for metres.
fn coord(v: f64, geographic: bool, up: bool) -> String {
    let decimals = if geographic { 6 } else { 2 };
    let f = 10f64.powi(decimals);
    let r = if up { (v * f).ceil() / f } else { (v * f).floor() / f };
    // Avoid "-0.000000".
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r:.prec$}", prec = decimals as usize)
}

/// The 1.1.1 ScaleHint value (diagonal ground size of a pixel, metres) of a scale denominator.
fn scale_hint(denominator: f64) -> f64 {
    denominator * PIXEL_SIZE_M * std::f64::consts::SQRT_2
}

struct Writer {
    x: String,
    v: WmsVersion,
    url: String,
}

impl Writer {
    fn v13(&self) -> bool {
        self.v == WmsVersion::V1_3_0
    }

    /// An `OnlineResource` element. In 1.1.1 the DTD declares `xmlns:xlink` on the element
    /// itself, so it is written there; 1.3.0 declares it on the root.
    fn online_resource(&mut self, href: &str) {
        let href = esc(href);
        match self.v {
            WmsVersion::V1_3_0 => {
                let _ = write!(self.x, "<OnlineResource xlink:type=\"simple\" xlink:href=\"{href}\"/>");
            }
            WmsVersion::V1_1_1 => {
                let _ = write!(
                    self.x,
                    "<OnlineResource xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:type=\"simple\" xlink:href=\"{href}\"/>"
                );
            }
        }
    }

    fn element(&mut self, name: &str, text: &str) {
        let _ = write!(self.x, "<{name}>{}</{name}>", esc(text));
    }

    fn prologue(&mut self, update_sequence: u64) {
        self.x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = match self.v {
            WmsVersion::V1_3_0 => write!(
                self.x,
                "<WMS_Capabilities version=\"1.3.0\" updateSequence=\"{update_sequence}\" xmlns=\"http://www.opengis.net/wms\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
                 xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                 xsi:schemaLocation=\"http://www.opengis.net/wms http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd\">\n",
            ),
            WmsVersion::V1_1_1 => write!(
                self.x,
                "<!DOCTYPE WMT_MS_Capabilities SYSTEM \"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd\">\n\
                 <WMT_MS_Capabilities version=\"1.1.1\" updateSequence=\"{update_sequence}\">\n",
            ),
        };
    }

    fn service(&mut self, ctx: &WmsContext<'_>) {
        let t = ctx.tenant;
        let organisation = &ctx.catalog.organisation;
        let abstract_ = crate::ogc::service_abstract("WMS", ctx.catalog, t);
        let mut keywords = vec!["WMS".to_string(), organisation.clone()];
        if let TenantKind::Comune(c) = &t.kind {
            keywords.push(c.name.clone());
        }
        keywords.dedup();
        self.x.push_str("<Service>");
        self.element("Name", if self.v13() { "WMS" } else { "OGC:WMS" });
        self.element("Title", &format!("{} — WMS", t.title));
        self.element("Abstract", &abstract_);
        self.keyword_list(&keywords);
        let url = self.url.clone();
        self.online_resource(&url);
        // ContactPersonPrimary needs both a person and an organisation: the person may be empty.
        let org = t.contact.organization.clone().unwrap_or_else(|| organisation.clone());
        self.x.push_str("<ContactInformation><ContactPersonPrimary>");
        self.element("ContactPerson", t.contact.person.as_deref().unwrap_or(""));
        self.element("ContactOrganization", &org);
        self.x.push_str("</ContactPersonPrimary>");
        if let Some(email) = t.contact.email.as_deref().filter(|e| !e.is_empty()) {
            self.element("ContactElectronicMailAddress", email);
        }
        self.x.push_str("</ContactInformation><Fees>none</Fees><AccessConstraints>none</AccessConstraints>");
        if self.v13() {
            let _ =
                write!(self.x, "<LayerLimit>{LAYER_LIMIT}</LayerLimit><MaxWidth>{MAX_WIDTH}</MaxWidth><MaxHeight>{MAX_HEIGHT}</MaxHeight>");
        }
        self.x.push_str("</Service>\n");
    }

    fn keyword_list<S: AsRef<str>>(&mut self, keywords: &[S]) {
        if keywords.is_empty() {
            return;
        }
        self.x.push_str("<KeywordList>");
        for k in keywords {
            self.element("Keyword", k.as_ref());
        }
        self.x.push_str("</KeywordList>");
    }

    fn operation(&mut self, name: &str, formats: &[&str]) {
        let _ = write!(self.x, "<{name}>");
        for f in formats {
            self.element("Format", f);
        }
        let href = kvp_prefix(&self.url);
        self.x.push_str("<DCPType><HTTP><Get>");
        self.online_resource(&href);
        self.x.push_str("</Get><Post>");
        self.online_resource(&href);
        let _ = writeln!(self.x, "</Post></HTTP></DCPType></{name}>");
    }

    fn request(&mut self) {
        self.x.push_str("<Request>\n");
        let caps = if self.v13() { "text/xml" } else { "application/vnd.ogc.wms_xml" };
        self.operation("GetCapabilities", &[caps]);
        self.operation("GetMap", GETMAP_FORMATS);
        self.operation("GetFeatureInfo", INFO_FORMATS);
        self.x.push_str("</Request>\n");
    }

    fn exception(&mut self) {
        let formats: &[&str] = match self.v {
            WmsVersion::V1_3_0 => &["XML", "INIMAGE", "BLANK"],
            WmsVersion::V1_1_1 => &["application/vnd.ogc.se_xml", "application/vnd.ogc.se_inimage", "application/vnd.ogc.se_blank"],
        };
        self.x.push_str("<Exception>");
        for f in formats {
            self.element("Format", f);
        }
        self.x.push_str("</Exception>\n");
    }

    /// The geographic box and the per-CRS bounding boxes of `extent` (lon/lat), as one block
    /// of elements repeated at every level of the tree.
    fn extent_block(&self, extent: &Bbox) -> String {
        let mut s = String::new();
        let g = |v: f64, up: bool| coord(v, true, up);
        match self.v {
            WmsVersion::V1_3_0 => {
                let _ = write!(
                    s,
                    "<EX_GeographicBoundingBox><westBoundLongitude>{}</westBoundLongitude><eastBoundLongitude>{}</eastBoundLongitude>\
                     <southBoundLatitude>{}</southBoundLatitude><northBoundLatitude>{}</northBoundLatitude></EX_GeographicBoundingBox>",
                    g(extent.min_x.max(-180.0), false),
                    g(extent.max_x.min(180.0), true),
                    g(extent.min_y.max(-90.0), false),
                    g(extent.max_y.min(90.0), true)
                );
            }
            WmsVersion::V1_1_1 => {
                let _ = write!(
                    s,
                    "<LatLonBoundingBox minx=\"{}\" miny=\"{}\" maxx=\"{}\" maxy=\"{}\"/>",
                    g(extent.min_x, false),
                    g(extent.min_y, false),
                    g(extent.max_x, true),
                    g(extent.max_y, true)
                );
            }
        }
        let attr = if self.v13() { "CRS" } else { "SRS" };
        for crs in Crs::all() {
            let b = match transform_bbox(Crs::CRS84, crs, extent) {
                Ok(b) => b,
                Err(e) => {
                    tracing::debug!("WMS capabilities: no {crs} bounding box: {e}");
                    continue;
                }
            };
            let geo = crs.is_geographic();
            // 1.3.0 writes coordinates in the CRS's own axis order; 1.1.1 always x = east.
            let (min_a, min_b, max_a, max_b) =
                if self.v13() && crs.north_first() { (b.min_y, b.min_x, b.max_y, b.max_x) } else { (b.min_x, b.min_y, b.max_x, b.max_y) };
            let _ = write!(
                s,
                "<BoundingBox {attr}=\"{}\" minx=\"{}\" miny=\"{}\" maxx=\"{}\" maxy=\"{}\"/>",
                crs.code(),
                coord(min_a, geo, false),
                coord(min_b, geo, false),
                coord(max_a, geo, true),
                coord(max_b, geo, true)
            );
        }
        s
    }

    fn layers(&mut self, ctx: &WmsContext<'_>) {
        let extent = self.extent_block(&ctx.tenant.extent_lonlat);
        let visible: Vec<&Arc<Layer>> = ctx.catalog.visible_layers(ctx.tenant, ctx.caller).collect();

        // Root: the tenant, unnamed (not requestable), declaring every CRS once for all.
        self.x.push_str("<Layer>");
        self.element("Title", &ctx.tenant.title);
        let crs_tag = if self.v13() { "CRS" } else { "SRS" };
        for crs in Crs::all() {
            self.element(crs_tag, crs.code());
        }
        self.x.push_str(&extent);
        self.x.push('\n');

        for group in &ctx.catalog.groups {
            let members: Vec<&Arc<Layer>> = visible.iter().copied().filter(|l| l.config.group == group.name).collect();
            if members.is_empty() {
                continue;
            }
            self.x.push_str("<Layer>");
            self.element("Name", &group.name);
            self.element("Title", &group.title);
            if !group.abstract_.is_empty() {
                self.element("Abstract", &group.abstract_);
            }
            self.x.push_str(&extent);
            self.x.push('\n');
            for layer in members {
                self.layer(layer, &extent);
            }
            self.x.push_str("</Layer>\n");
        }
        // A layer whose group is not configured (validation should prevent it) still appears,
        // directly under the root.
        for layer in visible.iter().filter(|l| !ctx.catalog.groups.iter().any(|g| g.name == l.config.group)) {
            self.layer(layer, &extent);
        }
        self.x.push_str("</Layer>\n");
    }

    fn layer(&mut self, layer: &Layer, extent: &str) {
        let c = &layer.config;
        let _ = write!(self.x, "<Layer queryable=\"{}\">", u8::from(c.queryable));
        self.element("Name", &c.name);
        self.element("Title", &c.title);
        if !c.abstract_.is_empty() {
            self.element("Abstract", &c.abstract_);
        }
        self.keyword_list(&c.keywords);
        self.x.push_str(extent);

        let style = c.style.as_deref().filter(|s| !s.is_empty()).unwrap_or(DEFAULT_STYLE);
        let style_title = if style == DEFAULT_STYLE { "Stile predefinito" } else { style };
        self.x.push_str("<Style>");
        self.element("Name", style);
        self.element("Title", style_title);
        let legend = format!(
            "{}SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION={}&FORMAT=image/png&LAYER={}&STYLE={}",
            kvp_prefix(&self.url),
            self.v.as_str(),
            form_urlencoded::byte_serialize(c.name.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(style.as_bytes()).collect::<String>()
        );
        let _ = write!(self.x, "<LegendURL width=\"{LEGEND_WIDTH}\" height=\"{LEGEND_HEIGHT}\"><Format>image/png</Format>");
        self.online_resource(&legend);
        self.x.push_str("</LegendURL></Style>");

        match self.v {
            WmsVersion::V1_3_0 => {
                if let Some(min) = c.min_scale {
                    let _ = write!(self.x, "<MinScaleDenominator>{min}</MinScaleDenominator>");
                }
                if let Some(max) = c.max_scale {
                    let _ = write!(self.x, "<MaxScaleDenominator>{max}</MaxScaleDenominator>");
                }
            }
            WmsVersion::V1_1_1 => {
                // ScaleHint needs both ends; without an upper limit there is nothing useful
                // to say, so it is omitted.
                if let Some(max) = c.max_scale {
                    let min = c.min_scale.map(scale_hint).unwrap_or(0.0);
                    let _ = write!(self.x, "<ScaleHint min=\"{}\" max=\"{}\"/>", round4(min), round4(scale_hint(max)));
                }
            }
        }
        self.x.push_str("</Layer>\n");
    }
}

/// `v` with at most 4 decimals, as text.
fn round4(v: f64) -> String {
    let r = (v * 1e4).round() / 1e4;
    format!("{r}")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::SourceKind;

    // ---- a minimal DOM over quick-xml, enough to walk the documents ----

    #[derive(Debug, Default)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
        children: Vec<Node>,
    }

    impl Node {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
        }
        fn child(&self, name: &str) -> Option<&Node> {
            self.children.iter().find(|c| c.name == name)
        }
        fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
            self.children.iter().filter(move |c| c.name == name)
        }
        fn text_of(&self, name: &str) -> Option<&str> {
            self.child(name).map(|c| c.text.as_str())
        }
        fn path(&self, names: &[&str]) -> &Node {
            names.iter().fold(self, |n, name| n.child(name).unwrap_or_else(|| panic!("no {name} under {}", n.name)))
        }
    }

    fn parse(xml: &str) -> Node {
        use quick_xml::events::{BytesStart, Event};
        fn open(e: &BytesStart<'_>) -> Node {
            let name = e.local_name().as_ref().to_string();
            let attrs = e
                .attributes()
                .map(|a| {
                    let a = a.expect("attribute");
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).expect("attribute value").into_owned();
                    (a.key.as_ref().to_string(), value)
                })
                .collect();
            Node { name, attrs, ..Default::default() }
        }
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Node> = vec![Node::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => stack.push(open(&e)),
                Event::Empty(e) => {
                    let n = open(&e);
                    stack.last_mut().unwrap().children.push(n);
                }
                Event::End(_) => {
                    let n = stack.pop().unwrap();
                    stack.last_mut().expect("balanced").children.push(n);
                }
                Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => {
                    let s = match r.resolve_char_ref().expect("char ref") {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&r).expect("predefined entity").to_string(),
                    };
                    stack.last_mut().unwrap().text.push_str(&s);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(stack.len(), 1, "unbalanced document");
        let mut doc = stack.pop().unwrap();
        assert_eq!(doc.children.len(), 1, "one root element");
        doc.children.pop().unwrap()
    }

    // ---- the catalog over the demo data ----

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    async fn build_catalog(gpkg: &Path) -> Result<Catalog, String> {
        let (mut config, _) = crate::config::load(&root().join("layers.toml")).map_err(|e| e.to_string())?;
        for s in &mut config.sources {
            s.kind = SourceKind::Gpkg;
            s.path = Some(gpkg.to_path_buf());
        }
        Catalog::build(&config).await.map_err(|e| e.to_string())
    }

    /// The catalog of the shipped configuration over the demo GeoPackage: the one the
    /// integration tests cached under `target/navigli-test/` when it is there and usable,
    /// otherwise a fresh one in `dir`.
    async fn demo_catalog(dir: &Path) -> Catalog {
        let cached = std::fs::read_dir(root().join("target/navigli-test"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "gpkg") && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("demo-"))
            })
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        if let Some(path) = cached {
            match build_catalog(&path).await {
                Ok(c) => return c,
                Err(e) => eprintln!("cached {} unusable ({e}): generating a new demo GeoPackage", path.display()),
            }
        }
        let path = dir.join("demo.gpkg");
        let (config, _) = crate::config::load(&root().join("layers.toml")).expect("layers.toml");
        let options = crate::demo::DemoOptions { size: crate::demo::DemoSize::Small, seed: 42 };
        crate::demo::write_gpkg(&path, &config.comuni, &options).expect("demo gpkg");
        build_catalog(&path).await.expect("catalog over the demo gpkg")
    }

    fn render(catalog: &Catalog, tenant: &str, version: WmsVersion) -> String {
        let tenant = catalog.tenant(tenant).unwrap_or_else(|| panic!("no tenant {tenant}"));
        let ctx = WmsContext {
            catalog,
            tenant,
            caller: &Caller::Anonymous,
            service_url: format!("http://127.0.0.1:8080/{}/wms", tenant.slug.as_deref().unwrap_or(&tenant.id)),
        };
        capabilities_document(&ctx, version)
    }

    /// Runs the shared validator; `None` when shared/ is not beside the repository.
    fn validate(files: &[PathBuf]) -> Option<String> {
        let tool = root().join("../shared/tools/ogc-validate");
        if !tool.exists() {
            return None;
        }
        let out = std::process::Command::new("/usr/bin/python3").arg(&tool).args(files).output().expect("run ogc-validate");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "ogc-validate failed:\n{text}");
        Some(text)
    }

    /// (group name, layer names) under the root layer.
    fn tree(doc: &Node) -> Vec<(String, Vec<String>)> {
        let root_layer = doc.path(&["Capability", "Layer"]);
        assert!(root_layer.child("Name").is_none(), "the root layer is not requestable");
        root_layer
            .all("Layer")
            .map(|g| {
                let name = g.text_of("Name").expect("group name").to_string();
                let layers = g.all("Layer").map(|l| l.text_of("Name").expect("layer name").to_string()).collect();
                (name, layers)
            })
            .collect()
    }

    fn bbox<'a>(layer: &'a Node, attr: &str, code: &str) -> &'a Node {
        layer.all("BoundingBox").find(|b| b.attr(attr) == Some(code)).unwrap_or_else(|| panic!("no {code} BoundingBox"))
    }

    fn num(n: &Node, attr: &str) -> f64 {
        n.attr(attr).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{attr} of {:?}", n.attrs))
    }

    #[test]
    fn documents_validate_and_list_the_tenant_tree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let catalog = rt.block_on(demo_catalog(dir.path()));

        let mut files = Vec::new();
        let mut docs = Vec::new();
        for tenant in ["cmm", "milano", "015251"] {
            for version in [WmsVersion::V1_3_0, WmsVersion::V1_1_1] {
                let xml = render(&catalog, tenant, version);
                let file = dir.path().join(format!("wms-{tenant}-{}.xml", version.as_str()));
                std::fs::write(&file, &xml).expect("write document");
                files.push(file);
                docs.push((tenant, version, parse(&xml)));
            }
        }
        match validate(&files) {
            Some(report) => {
                assert_eq!(report.lines().filter(|l| l.starts_with("VALID")).count(), files.len(), "{report}");
                println!("{report}");
            }
            None => println!("SKIPPED schema validation: ../shared/tools/ogc-validate is absent"),
        }

        let all_groups = [
            ("sit".to_string(), vec!["comuni", "zone_omogenee", "uso_suolo", "servizi_pubblici"]),
            ("dbt".to_string(), vec!["edifici", "strade", "civici", "idrografia", "aree_verdi"]),
            ("tetti".to_string(), vec!["falde", "tetti_rossi", "tetti_verdi"]),
        ];
        let expect = |groups: &[&str]| -> Vec<(String, Vec<String>)> {
            all_groups
                .iter()
                .filter(|(g, _)| groups.contains(&g.as_str()))
                .map(|(g, ls)| (g.clone(), ls.iter().map(|l| l.to_string()).collect()))
                .collect()
        };
        for (tenant, version, doc) in &docs {
            let v13 = *version == WmsVersion::V1_3_0;
            assert_eq!(doc.name, if v13 { "WMS_Capabilities" } else { "WMT_MS_Capabilities" });
            assert_eq!(doc.attr("version"), Some(version.as_str()));
            let t = catalog.tenant(tenant).unwrap();

            // The tree: groups with visible layers only; welfare (restricted) never shows.
            let groups: &[&str] = if *tenant == "015251" { &["sit", "dbt"] } else { &["sit", "dbt", "tetti"] };
            assert_eq!(tree(doc), expect(groups), "{tenant} {version:?}");

            let root_layer = doc.path(&["Capability", "Layer"]);
            assert_eq!(root_layer.text_of("Title"), Some(t.title.as_str()));
            let crs_tag = if v13 { "CRS" } else { "SRS" };
            let listed: Vec<&str> = root_layer.all(crs_tag).map(|c| c.text.as_str()).collect();
            assert_eq!(listed, Crs::all().map(|c| c.code()).collect::<Vec<_>>());
            assert_eq!(doc.path(&["Service", "Title"]).text, format!("{} — WMS", t.title));

            let e = t.extent_lonlat;
            let (attr, crs84) = if v13 { ("CRS", "CRS:84") } else { ("SRS", "EPSG:4326") };
            for layer in
                std::iter::once(root_layer).chain(root_layer.all("Layer")).chain(root_layer.all("Layer").flat_map(|g| g.all("Layer")))
            {
                // Every level carries the extent, for every CRS, covering the tenant's extent.
                assert_eq!(layer.all("BoundingBox").count(), Crs::all().count());
                let lon_lat = bbox(layer, attr, crs84);
                assert!((8.0..10.0).contains(&num(lon_lat, "minx")) && (45.0..46.0).contains(&num(lon_lat, "miny")));
                assert!(num(lon_lat, "minx") <= e.min_x && num(lon_lat, "maxx") >= e.max_x);
                assert!(num(lon_lat, "miny") <= e.min_y && num(lon_lat, "maxy") >= e.max_y);
                let epsg4326 = bbox(layer, attr, "EPSG:4326");
                let epsg6707 = bbox(layer, attr, "EPSG:6707");
                let utm = bbox(layer, attr, "EPSG:7791");
                if v13 {
                    // Latitude first in EPSG:4326, northing first in EPSG:6707.
                    assert!((45.0..46.0).contains(&num(epsg4326, "minx")), "{:?}", epsg4326.attrs);
                    assert!((8.0..10.0).contains(&num(epsg4326, "miny")), "{:?}", epsg4326.attrs);
                    assert!(num(epsg6707, "minx") > 4_000_000.0 && num(epsg6707, "miny") < 1_000_000.0, "{:?}", epsg6707.attrs);
                    let geo = layer.child("EX_GeographicBoundingBox").expect("EX_GeographicBoundingBox");
                    let west: f64 = geo.text_of("westBoundLongitude").unwrap().parse().unwrap();
                    let north: f64 = geo.text_of("northBoundLatitude").unwrap().parse().unwrap();
                    assert!(west <= e.min_x && north >= e.max_y);
                } else {
                    assert!((8.0..10.0).contains(&num(epsg4326, "minx")), "{:?}", epsg4326.attrs);
                    assert!(num(epsg6707, "minx") < 1_000_000.0 && num(epsg6707, "miny") > 4_000_000.0, "{:?}", epsg6707.attrs);
                    let ll = layer.child("LatLonBoundingBox").expect("LatLonBoundingBox");
                    assert!(num(ll, "minx") <= e.min_x && num(ll, "maxy") >= e.max_y);
                }
                assert!(num(utm, "minx") < num(utm, "maxx") && num(utm, "miny") > 4_000_000.0, "{:?}", utm.attrs);
            }
        }

        // Details of the metropolitan 1.3.0 document.
        let (_, _, doc) = &docs[0];
        let xml = render(&catalog, "cmm", WmsVersion::V1_3_0);
        assert!(!xml.contains("servizi_sociali") && !xml.contains("welfare"), "restricted layer or its group listed");
        let request = doc.path(&["Capability", "Request"]);
        let formats = |op: &str| request.path(&[op]).all("Format").map(|f| f.text.clone()).collect::<Vec<_>>();
        assert_eq!(formats("GetMap"), GETMAP_FORMATS);
        assert_eq!(formats("GetFeatureInfo"), INFO_FORMATS);
        assert_eq!(formats("GetCapabilities"), ["text/xml"]);
        let get = request.path(&["GetMap", "DCPType", "HTTP", "Get", "OnlineResource"]);
        assert_eq!(get.attr("xlink:href"), Some("http://127.0.0.1:8080/cmm/wms?"));
        let exceptions: Vec<&str> = doc.path(&["Capability", "Exception"]).all("Format").map(|f| f.text.as_str()).collect();
        assert_eq!(exceptions, ["XML", "INIMAGE", "BLANK"]);
        assert_eq!(doc.path(&["Service", "MaxWidth"]).text, "4096");
        let sit = doc.path(&["Capability", "Layer"]).all("Layer").next().unwrap();
        assert_eq!(sit.text_of("Title"), Some("Sistema Informativo Territoriale"));
        let comuni = sit.all("Layer").next().unwrap();
        assert_eq!(comuni.attr("queryable"), Some("1"));
        let kw: Vec<&str> = comuni.path(&["KeywordList"]).all("Keyword").map(|k| k.text.as_str()).collect();
        assert_eq!(kw, ["confini", "comuni", "ISTAT"]);
        let style = comuni.path(&["Style"]);
        let configured = catalog.layers.iter().find(|l| l.name() == "comuni").unwrap().config.style.clone();
        let style_name = configured.as_deref().unwrap_or(DEFAULT_STYLE);
        assert_eq!(style.text_of("Name"), Some(style_name));
        let legend = style.path(&["LegendURL"]);
        assert_eq!(legend.text_of("Format"), Some("image/png"));
        assert_eq!(
            legend.path(&["OnlineResource"]).attr("xlink:href"),
            Some(
                format!(
                    "http://127.0.0.1:8080/cmm/wms?SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0&FORMAT=image/png&LAYER=comuni&STYLE={style_name}"
                )
                .as_str()
            )
        );
        let uso_suolo = sit.all("Layer").find(|l| l.text_of("Name") == Some("uso_suolo")).unwrap();
        assert_eq!(uso_suolo.text_of("MaxScaleDenominator"), Some("200000"));
        assert!(uso_suolo.child("MinScaleDenominator").is_none());

        // 1.1.1 specifics.
        let (_, _, doc) = &docs[1];
        assert_eq!(doc.path(&["Service", "Name"]).text, "OGC:WMS");
        let request = doc.path(&["Capability", "Request"]);
        assert_eq!(request.path(&["GetCapabilities", "Format"]).text, "application/vnd.ogc.wms_xml");
        let exceptions: Vec<&str> = doc.path(&["Capability", "Exception"]).all("Format").map(|f| f.text.as_str()).collect();
        assert_eq!(exceptions, ["application/vnd.ogc.se_xml", "application/vnd.ogc.se_inimage", "application/vnd.ogc.se_blank"]);
        let uso_suolo = doc
            .path(&["Capability", "Layer"])
            .all("Layer")
            .flat_map(|g| g.all("Layer"))
            .find(|l| l.text_of("Name") == Some("uso_suolo"))
            .unwrap();
        let hint = uso_suolo.child("ScaleHint").expect("ScaleHint");
        assert!((num(hint, "max") - 200_000.0 * 0.00028 * std::f64::consts::SQRT_2).abs() < 0.01);
        assert!(render(&catalog, "cmm", WmsVersion::V1_1_1).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE WMT_MS_Capabilities SYSTEM \"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd\">"));

        // The comune's documents carry its own title and contact and its smaller extent.
        let (_, _, doc) = &docs[2];
        assert_eq!(doc.path(&["Capability", "Layer", "Title"]).text, "Comune di Milano — SIT");
        assert_eq!(doc.path(&["Service", "ContactInformation", "ContactPersonPrimary", "ContactOrganization"]).text, "Comune di Milano");
        let metro = catalog.tenant("cmm").unwrap().extent_lonlat;
        let milano = catalog.tenant("milano").unwrap().extent_lonlat;
        assert!(milano.max_x - milano.min_x < metro.max_x - metro.min_x);
    }

    #[test]
    fn coordinates_round_outwards() {
        assert_eq!(coord(9.123_456_78, true, false), "9.123456");
        assert_eq!(coord(9.123_456_12, true, true), "9.123457");
        assert_eq!(coord(5_034_600.123, false, false), "5034600.12");
        assert_eq!(coord(5_034_600.123, false, true), "5034600.13");
        assert_eq!(coord(-0.000_000_1, true, true), "0.000000");
    }

    #[test]
    fn kvp_prefix_appends_a_separator() {
        assert_eq!(kvp_prefix("http://h/cmm/wms"), "http://h/cmm/wms?");
        assert_eq!(kvp_prefix("http://h/wms?map=x"), "http://h/wms?map=x&");
        assert_eq!(kvp_prefix("http://h/wms?"), "http://h/wms?");
        assert_eq!(WmsVersion::V1_1_1.as_str(), "1.1.1");
    }
}
