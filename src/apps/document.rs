//! The app document: what a comune's web map app is (title, layers and how each is served,
//! basemap, initial extent, tools, colours, embedding origins), as JSON with a published JSON
//! Schema (`/schemas/app.json`, [`SCHEMA`]). [`validate`] checks a document against the schema's
//! rules *and* the catalog (every layer exists in the tenant and the app's audience may see
//! it), reporting every problem with a JSON pointer; [`runtime`] turns a valid document into what
//! the viewer needs for one caller (layers it may see, their attributes, legends and paint),
//! leaving out layers removed from the configuration since, with a warning.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::auth::Caller;
use crate::catalog::{Catalog, Layer, Tenant};

/// The JSON Schema of app documents (draft 2020-12), served at `/schemas/app.json`.
pub const SCHEMA: &str = include_str!("app.schema.json");

/// The document format version this server writes and reads.
pub const VERSION: u64 = 1;
/// Most layers of one app.
pub const MAX_LAYERS: usize = 100;
/// Most embedding origins.
pub const MAX_ORIGINS: usize = 20;
/// Longest title, characters.
pub const MAX_TITLE: usize = 120;
/// Longest description, characters.
pub const MAX_DESCRIPTION: usize = 2000;

/// The members of an app document (any other is refused).
pub const MEMBERS: &[&str] = &[
    "$schema",
    "version",
    "title",
    "description",
    "access",
    "basemap",
    "extent",
    "layers",
    "tools",
    "primary",
    "logo",
    "embed_origins",
    "roles",
];

/// The tools a viewer offers. `roof` is the citizen's roof panel of "Il mio tetto": a click,
/// a search result or the position opens the roof check of the building there.
pub const TOOLS: &[&str] = &["identify", "legend", "search", "measure", "geolocate", "permalink", "print", "embed", "roof"];

/// The tools of a document that does not list them: all but the roof panel.
pub const DEFAULT_TOOLS: &[&str] = &["identify", "legend", "search", "measure", "geolocate", "permalink", "print", "embed"];

/// How a layer is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Vector tiles (drawn by the browser).
    Mvt,
    /// WMS images (drawn by the server; all WMS layers of a view in one GetMap).
    Wms,
    /// WFS features as GeoJSON (drawn by the browser).
    Wfs,
}

/// One layer of an app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppLayer {
    /// Catalog layer name.
    pub name: String,
    /// How it is drawn.
    pub service: Service,
    /// Shown when the app opens.
    #[serde(default = "yes")]
    pub visible: bool,
    /// 0–1.
    #[serde(default = "one")]
    pub opacity: f64,
    /// Title shown instead of the catalog's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// WMS style (a style of the catalog), instead of the layer's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

fn yes() -> bool {
    true
}

fn one() -> f64 {
    1.0
}

fn default_tools() -> Vec<String> {
    DEFAULT_TOOLS.iter().map(|t| t.to_string()).collect()
}

fn default_primary() -> String {
    "#0b4f8a".into()
}

/// The base map under the app's layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Basemap {
    /// None.
    None,
    /// navigli's own layers, drawn as one WMS image.
    Navigli {
        /// Public layers of the tenant, bottom first.
        layers: Vec<String>,
    },
    /// An external XYZ raster the operator chose explicitly (the viewer's CSP allows its host).
    Xyz {
        /// `https://…/{z}/{x}/{y}.png`.
        url: String,
        /// Its attribution (required).
        attribution: String,
    },
}

/// Who may open an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Everyone: only public layers.
    Public,
    /// Callers with credentials; each sees the layers its grants cover.
    Restricted,
}

/// A valid app document (serialized, it is a document [`validate`] accepts; read back from
/// the store with [`read_stored`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppDocument {
    /// Format version ([`VERSION`]).
    pub version: u64,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Audience.
    #[serde(default = "public")]
    pub access: Access,
    /// Base map.
    #[serde(default = "no_basemap")]
    pub basemap: Basemap,
    /// Initial extent, WGS84 lon/lat (default: the tenant's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extent: Option<[f64; 4]>,
    /// Layers, bottom first.
    pub layers: Vec<AppLayer>,
    /// Tools on.
    #[serde(default = "default_tools")]
    pub tools: Vec<String>,
    /// Header colour `#rrggbb` (white text on it meets WCAG AA).
    #[serde(default = "default_primary")]
    pub primary: String,
    /// Logo: a path on this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Origins allowed to embed the app in a frame.
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// A restricted app opens only for callers holding one of these roles (none: any caller
    /// with valid credentials).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

fn public() -> Access {
    Access::Public
}

fn no_basemap() -> Basemap {
    Basemap::None
}

/// A document as stored (validated when it was saved), without the catalog checks: `None`
/// when it does not even have the document's shape.
pub fn read_stored(json: &Json) -> Option<AppDocument> {
    serde_json::from_value(json.clone()).ok().filter(|d: &AppDocument| d.version == VERSION)
}

/// A message for an operator, in Italian and in English: the builder asks for its page's
/// language (`lang=en`, Italian otherwise), the command line prints English.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Msg {
    /// Italian.
    pub it: String,
    /// English.
    pub en: String,
}

impl Msg {
    /// A message in both languages.
    pub fn new(it: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg { it: it.into(), en: en.into() }
    }

    /// The message in `lang` (`"en"`; anything else is Italian).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.en
        } else {
            &self.it
        }
    }
}

/// A refused document: every problem, each with its JSON pointer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Problems(pub Vec<(String, Msg)>);

impl Problems {
    /// A single problem.
    pub fn one(pointer: impl Into<String>, message: Msg) -> Problems {
        Problems(vec![(pointer.into(), message)])
    }

    fn add(&mut self, pointer: impl Into<String>, message: Msg) {
        if self.0.len() < 50 {
            self.0.push((pointer.into(), message));
        }
    }

    /// Every problem as (pointer, message in `lang`).
    pub fn in_lang(&self, lang: &str) -> Vec<(String, String)> {
        self.0.iter().map(|(ptr, m)| (ptr.clone(), m.get(lang).to_string())).collect()
    }
}

/// A number the Italian way (decimal comma).
fn it_num(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A string member: present (if `required`), a string, at most `max` characters.
fn text(o: &Map<String, Json>, key: &str, max: usize, required: bool, p: &mut Problems) -> Option<String> {
    match o.get(key) {
        None if required => {
            p.add(format!("/{key}"), Msg::new(format!("'{key}' è obbligatorio"), format!("'{key}' is required")));
            None
        }
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if s.chars().count() > max => {
            p.add(format!("/{key}"), Msg::new(format!("al massimo {max} caratteri"), format!("at most {max} characters")));
            None
        }
        Some(Json::String(s)) if s.chars().any(|c| c.is_control() && c != '\n') => {
            p.add(format!("/{key}"), Msg::new("i caratteri di controllo non sono ammessi", "control characters are not allowed"));
            None
        }
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => {
            p.add(format!("/{key}"), Msg::new("deve essere un testo", "must be a string"));
            None
        }
    }
}

fn unknown_members(o: &Map<String, Json>, known: &[&str], at: &str, p: &mut Problems) {
    for k in o.keys().filter(|k| !known.contains(&k.as_str())) {
        let k40: String = k.chars().take(40).collect();
        p.add(format!("{at}/{}", escape_pointer(k)), Msg::new(format!("campo sconosciuto '{k40}'"), format!("unknown member '{k40}'")));
    }
}

/// Relative luminance of `#rrggbb` (WCAG 2.1).
fn luminance(hex: &str) -> Option<f64> {
    let c = crate::render::style::Color::parse_hex(hex).filter(|_| hex.len() == 7)?;
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b))
}

/// Contrast ratio of white text on `#rrggbb`.
pub fn white_contrast(hex: &str) -> Option<f64> {
    luminance(hex).map(|l| 1.05 / (l + 0.05))
}

fn is_origin(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else { return false };
    !rest.is_empty()
        && rest.len() <= 253
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        && !rest.starts_with(['.', '-', ':'])
}

/// Checks a document (already parsed JSON) for `tenant`, saved by `operator`: the schema's rules
/// and the catalog's (layers exist in the tenant; a public app holds public layers only; a
/// restricted app only layers the operator may see).
pub fn validate(doc: &Json, catalog: &Catalog, tenant: &Tenant, operator: &Caller) -> Result<AppDocument, Problems> {
    let mut p = Problems::default();
    let Some(o) = doc.as_object() else {
        p.add("", Msg::new("il documento di una mappa è un oggetto JSON", "an app document is a JSON object"));
        return Err(p);
    };
    unknown_members(o, MEMBERS, "", &mut p);
    match o.get("version") {
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(_) => p.add(
            "/version",
            Msg::new(format!("questo server legge la versione {VERSION}"), format!("this server reads version {VERSION}")),
        ),
        None => p.add("/version", Msg::new("'version' è obbligatorio", "'version' is required")),
    }
    let title = text(o, "title", MAX_TITLE, true, &mut p).unwrap_or_default();
    if o.get("title").is_some_and(|t| t.as_str().is_some_and(|t| t.trim().is_empty())) {
        p.add("/title", Msg::new("il titolo non può essere vuoto", "the title may not be empty"));
    }
    let description = text(o, "description", MAX_DESCRIPTION, false, &mut p).unwrap_or_default();
    let access = match o.get("access").and_then(Json::as_str) {
        None if o.get("access").is_none() => Access::Public,
        Some("public") => Access::Public,
        Some("restricted") => Access::Restricted,
        _ => {
            p.add("/access", Msg::new("'public' (pubblica) o 'restricted' (riservata)", "'public' or 'restricted'"));
            Access::Public
        }
    };
    // The audience the layers are checked for: anyone for a public app.
    let audience = if access == Access::Public { &Caller::Anonymous } else { operator };
    let may_use = |name: &str| -> Result<crate::config::Access, Msg> {
        match catalog.layer(tenant, audience, name) {
            Some(l) => Ok(l.config.access),
            None if catalog.layer(tenant, operator, name).is_some() => Err(Msg::new(
                format!("il livello '{name}' è riservato: una mappa pubblica non può mostrarlo (rendi riservata la mappa)"),
                format!("layer '{name}' is restricted: a public app may not show it (make the app restricted)"),
            )),
            None => {
                let name: String = name.chars().take(64).collect();
                Err(Msg::new(format!("nessun livello '{name}' in {}", tenant.title), format!("no layer '{name}' in {}", tenant.title)))
            }
        }
    };

    let layers = layers(o.get("layers"), catalog, &may_use, &mut p);
    let basemap = basemap(o.get("basemap"), &may_use, &mut p);
    let extent = extent(o.get("extent"), tenant, &mut p);
    let tools = tools(o.get("tools"), &mut p);
    let primary = text(o, "primary", 7, false, &mut p).unwrap_or_else(default_primary);
    match white_contrast(&primary) {
        None => p.add("/primary", Msg::new("un colore #rrggbb", "a colour #rrggbb")),
        Some(c) if c < 4.5 => p.add(
            "/primary",
            Msg::new(
                format!("il testo bianco su {primary} ha contrasto {}:1; WCAG AA chiede 4,5:1 (scegli un colore più scuro)", it_num(c, 2)),
                format!("white text on {primary} has contrast {c:.2}:1; WCAG AA needs 4.5:1 (choose a darker colour)"),
            ),
        ),
        Some(_) => {}
    }
    let logo = text(o, "logo", 300, false, &mut p);
    if let Some(l) = &logo {
        let ok = l.starts_with('/') && !l.starts_with("//") && !l.contains(['\\', '"', '\'', '<', '>', ' ']) && !l.contains("..");
        if !ok {
            p.add(
                "/logo",
                Msg::new(
                    "un percorso su questo server, ad es. /milano/static/logo.png",
                    "a path on this server, e.g. /milano/static/logo.png",
                ),
            );
        }
    }
    let embed_origins = origins(o.get("embed_origins"), &mut p);
    let roles = roles(o.get("roles"), catalog, access, &mut p);

    if p.0.is_empty() {
        Ok(AppDocument {
            version: VERSION,
            title,
            description,
            access,
            basemap,
            extent,
            layers,
            tools,
            primary,
            logo,
            embed_origins,
            roles,
        })
    } else {
        Err(p)
    }
}

fn layers(
    v: Option<&Json>,
    catalog: &Catalog,
    may_use: &dyn Fn(&str) -> Result<crate::config::Access, Msg>,
    p: &mut Problems,
) -> Vec<AppLayer> {
    let Some(list) = v.and_then(Json::as_array) else {
        p.add("/layers", Msg::new("'layers' è obbligatorio: un elenco di livelli", "'layers' is required: a list of layers"));
        return Vec::new();
    };
    if list.len() > MAX_LAYERS {
        p.add("/layers", Msg::new(format!("al massimo {MAX_LAYERS} livelli"), format!("at most {MAX_LAYERS} layers")));
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, item) in list.iter().enumerate() {
        let at = format!("/layers/{i}");
        let Some(o) = item.as_object() else {
            p.add(at, Msg::new("un livello è un oggetto", "a layer is an object"));
            continue;
        };
        unknown_members(o, &["name", "service", "visible", "opacity", "title", "style"], &at, p);
        let mut q = Problems::default();
        let name = text(o, "name", 64, true, &mut q);
        let service = match o.get("service").and_then(Json::as_str) {
            Some("mvt") => Some(Service::Mvt),
            Some("wms") => Some(Service::Wms),
            Some("wfs") => Some(Service::Wfs),
            _ => {
                q.add("/service", Msg::new("'mvt', 'wms' o 'wfs'", "'mvt', 'wms' or 'wfs'"));
                None
            }
        };
        let visible = match o.get("visible") {
            None => true,
            Some(Json::Bool(b)) => *b,
            Some(_) => {
                q.add("/visible", Msg::new("true (sì) o false (no)", "true or false"));
                true
            }
        };
        let opacity = match o.get("opacity") {
            None => 1.0,
            Some(v) => match v.as_f64().filter(|x| (0.0..=1.0).contains(x)) {
                Some(x) => x,
                None => {
                    q.add("/opacity", Msg::new("un numero da 0 a 1", "a number from 0 to 1"));
                    1.0
                }
            },
        };
        let title = text(o, "title", MAX_TITLE, false, &mut q);
        let style = text(o, "style", 64, false, &mut q);
        if let Some(name) = &name {
            match may_use(name) {
                Err(m) => q.add("/name", m),
                Ok(_) => {
                    if !seen.insert(name.clone()) {
                        q.add(
                            "/name",
                            Msg::new(format!("il livello '{name}' è due volte nella mappa"), format!("layer '{name}' is in the app twice")),
                        );
                    }
                    if let Some(s) = &style {
                        if !catalog.styles.contains_key(s) {
                            let s: String = s.chars().take(64).collect();
                            q.add("/style", Msg::new(format!("nessuno stile '{s}'"), format!("no style '{s}'")));
                        } else if service != Some(Service::Wms) {
                            q.add("/style", Msg::new("uno stile si applica ai livelli WMS", "a style applies to WMS layers"));
                        }
                    }
                }
            }
        }
        let failed = !q.0.is_empty();
        for (ptr, m) in q.0 {
            p.add(format!("{at}{ptr}"), m);
        }
        if let (false, Some(name), Some(service)) = (failed, name, service) {
            out.push(AppLayer { name, service, visible, opacity, title, style });
        }
    }
    out
}

fn basemap(v: Option<&Json>, may_use: &dyn Fn(&str) -> Result<crate::config::Access, Msg>, p: &mut Problems) -> Basemap {
    let Some(v) = v else { return Basemap::None };
    let Some(o) = v.as_object() else {
        p.add("/basemap", Msg::new("un oggetto con 'kind'", "an object with 'kind'"));
        return Basemap::None;
    };
    match o.get("kind").and_then(Json::as_str) {
        Some("none") => {
            unknown_members(o, &["kind"], "/basemap", p);
            Basemap::None
        }
        Some("navigli") => {
            unknown_members(o, &["kind", "layers"], "/basemap", p);
            let mut layers = Vec::new();
            match o.get("layers").and_then(Json::as_array) {
                Some(list) if !list.is_empty() && list.len() <= 10 => {
                    for (i, l) in list.iter().enumerate() {
                        match l.as_str().map(|n| (n, may_use(n))) {
                            Some((n, Ok(crate::config::Access::Public))) => layers.push(n.to_string()),
                            Some((n, Ok(_))) => p.add(
                                format!("/basemap/layers/{i}"),
                                Msg::new(
                                    format!("il livello '{n}' è riservato: la mappa di base è pubblica"),
                                    format!("layer '{n}' is restricted: a basemap is public"),
                                ),
                            ),
                            Some((_, Err(m))) => p.add(format!("/basemap/layers/{i}"), m),
                            None => p.add(format!("/basemap/layers/{i}"), Msg::new("il nome di un livello", "a layer name")),
                        }
                    }
                }
                _ => p.add("/basemap/layers", Msg::new("da 1 a 10 nomi di livelli", "1 to 10 layer names")),
            }
            Basemap::Navigli { layers }
        }
        Some("xyz") => {
            unknown_members(o, &["kind", "url", "attribution"], "/basemap", p);
            let url = text(o, "url", 300, true, p).unwrap_or_default();
            let host_ok = url.strip_prefix("https://").is_some_and(|r| {
                let host = r.split('/').next().unwrap_or("");
                is_origin(&format!("https://{host}"))
            });
            if !url.is_empty()
                && (!host_ok || !["{z}", "{x}", "{y}"].iter().all(|t| url.contains(t)) || url.contains(['"', '\'', '<', '>', ' ']))
            {
                p.add("/basemap/url", Msg::new("un indirizzo https:// con {z}, {x} e {y}", "an https:// address with {z}, {x} and {y}"));
            }
            let attribution = text(o, "attribution", 200, true, p).unwrap_or_default();
            if o.get("attribution").is_some_and(|a| a.as_str().is_some_and(|a| a.trim().is_empty())) {
                p.add(
                    "/basemap/attribution",
                    Msg::new("una mappa di base esterna richiede la sua attribuzione", "an external basemap needs its attribution"),
                );
            }
            Basemap::Xyz { url, attribution }
        }
        _ => {
            p.add("/basemap/kind", Msg::new("'none', 'navigli' o 'xyz'", "'none', 'navigli' or 'xyz'"));
            Basemap::None
        }
    }
}

fn extent(v: Option<&Json>, tenant: &Tenant, p: &mut Problems) -> Option<[f64; 4]> {
    let v = v?;
    if v.is_null() {
        return None;
    }
    let nums: Option<Vec<f64>> = v.as_array().filter(|a| a.len() == 4).map(|a| a.iter().filter_map(Json::as_f64).collect());
    let Some([a, b, c, d]) = nums.as_deref().and_then(|n| <[f64; 4]>::try_from(n).ok()) else {
        p.add("/extent", Msg::new("[lon min, lat min, lon max, lat max]", "[min lon, min lat, max lon, max lat]"));
        return None;
    };
    if !(-180.0..=180.0).contains(&a) || !(-180.0..=180.0).contains(&c) || !(-90.0..=90.0).contains(&b) || !(-90.0..=90.0).contains(&d) {
        p.add("/extent", Msg::new("longitudini entro ±180, latitudini entro ±90", "longitudes within ±180, latitudes within ±90"));
        return None;
    }
    if a >= c || b >= d {
        p.add("/extent", Msg::new("il minimo deve essere minore del massimo", "the minimum must be below the maximum"));
        return None;
    }
    let t = &tenant.extent_lonlat;
    if c < t.min_x || a > t.max_x || d < t.min_y || b > t.max_y {
        p.add(
            "/extent",
            Msg::new(format!("l'estensione è fuori da {}", tenant.title), format!("the extent lies outside {}", tenant.title)),
        );
        return None;
    }
    Some([a, b, c, d])
}

fn tools(v: Option<&Json>, p: &mut Problems) -> Vec<String> {
    let Some(v) = v else { return default_tools() };
    let Some(list) = v.as_array() else {
        p.add("/tools", Msg::new("un elenco di strumenti", "a list of tools"));
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        match t.as_str() {
            Some(t) if TOOLS.contains(&t) && !out.iter().any(|o| o == t) => out.push(t.to_string()),
            Some(t) if TOOLS.contains(&t) => {
                p.add(format!("/tools/{i}"), Msg::new(format!("'{t}' è elencato due volte"), format!("'{t}' is listed twice")))
            }
            _ => p.add(format!("/tools/{i}"), Msg::new(format!("uno tra {}", TOOLS.join(", ")), format!("one of {}", TOOLS.join(", ")))),
        }
    }
    out
}

fn roles(v: Option<&Json>, catalog: &Catalog, access: Access, p: &mut Problems) -> Vec<String> {
    let Some(v) = v else { return Vec::new() };
    let Some(list) = v.as_array().filter(|l| l.len() <= 20) else {
        p.add("/roles", Msg::new("un elenco di al massimo 20 nomi di ruolo", "a list of at most 20 role names"));
        return Vec::new();
    };
    if access == Access::Public && !list.is_empty() {
        p.add(
            "/roles",
            Msg::new(
                "una mappa pubblica è per tutti: i ruoli valgono per le mappe riservate",
                "a public app is for everyone: roles apply to restricted apps",
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        match r.as_str() {
            Some(name) if catalog.auth.has_role(name) => out.push(name.to_string()),
            _ => p.add(
                format!("/roles/{i}"),
                Msg::new("un ruolo della configurazione (nome di un [[role]])", "a role of the configuration ([[role]] name)"),
            ),
        }
    }
    out
}

fn origins(v: Option<&Json>, p: &mut Problems) -> Vec<String> {
    let Some(v) = v else { return Vec::new() };
    let Some(list) = v.as_array().filter(|l| l.len() <= MAX_ORIGINS) else {
        p.add(
            "/embed_origins",
            Msg::new(format!("un elenco di al massimo {MAX_ORIGINS} origini"), format!("a list of at most {MAX_ORIGINS} origins")),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, o) in list.iter().enumerate() {
        match o.as_str() {
            Some(s) if is_origin(s) => out.push(s.to_string()),
            _ => p.add(
                format!("/embed_origins/{i}"),
                Msg::new("un'origine: https://host[:porta], senza percorso", "an origin: https://host[:port], no path"),
            ),
        }
    }
    out
}

/// How the browser paints a vector layer: its SLD style's rules, for the viewer to apply per
/// feature and scale as the WMS renderer does (`rules`), and one paint (the style's first
/// symbolizer) for what cannot take rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Paint {
    /// CSS colour of polygon fills, when filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    /// CSS colour of lines and outlines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stroke: Option<String>,
    /// Line width, pixels.
    pub width: f32,
    /// Point radius, pixels.
    pub radius: f32,
    /// Dash pattern of the line, pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dash: Option<Vec<f32>>,
    /// Point mark: `circle`, `square`, `triangle`, `star`, `cross` or `x`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<&'static str>,
    /// Point icon (the style's ExternalGraphic) as a `data:image/png` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Point mark or icon rotation, degrees clockwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<f32>,
    /// The style's rules (empty when one of them filters in a way the viewer cannot evaluate:
    /// then every feature gets the one paint above).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PaintRule>,
}

/// One SLD rule for the browser.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaintRule {
    /// Its feature type style: later passes are drawn over earlier ones.
    pub pass: usize,
    /// Which features (`None`: all): `["==", property, value]` (also `!=`, `<`, `<=`, `>`,
    /// `>=`), `["all", …]`, `["any", …]`, `["!", e]`, `["in", property, [values]]`, `["null", property]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Json>,
    /// SLD `ElseFilter`: only when no other rule of its pass applied.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub otherwise: bool,
    /// Applies at scale denominators ≥ this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_scale: Option<f64>,
    /// Applies at scale denominators < this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_scale: Option<f64>,
    /// What it draws, in order.
    pub symbols: Vec<Paint>,
}

fn css(c: crate::render::style::Color) -> String {
    format!("rgba({},{},{},{:.3})", c.r, c.g, c.b, f32::from(c.a) / 255.0)
}

/// The paint of one symbolizer (`None` for labels).
fn symbol(s: &crate::render::style::Symbolizer) -> Option<Paint> {
    use crate::render::style::Symbolizer;
    let mut out = Paint { radius: 4.0, ..Paint::default() };
    match s {
        Symbolizer::Polygon(s) => {
            out.fill = s.fill.map(|f| css(f.color));
            out.stroke = s.stroke.as_ref().map(|s| css(s.color));
            out.width = s.stroke.as_ref().map_or(0.0, |s| s.width);
            out.dash = s.stroke.as_ref().and_then(|s| s.dash.clone());
        }
        Symbolizer::Line(s) => {
            out.stroke = Some(css(s.stroke.color));
            out.width = s.stroke.width;
            out.dash = s.stroke.dash.clone();
        }
        Symbolizer::Point(s) => {
            use crate::render::style::MarkShape;
            out.fill = s.fill.map(|f| css(f.color));
            out.stroke = s.stroke.as_ref().map(|s| css(s.color));
            out.width = s.stroke.as_ref().map_or(0.0, |s| s.width);
            out.radius = (s.size / 2.0).max(2.0);
            out.rotation = (s.rotation != 0.0).then_some(s.rotation);
            out.shape = Some(match s.shape {
                MarkShape::Circle => "circle",
                MarkShape::Square => "square",
                MarkShape::Triangle => "triangle",
                MarkShape::Star => "star",
                MarkShape::Cross => "cross",
                MarkShape::X => "x",
            });
            out.icon = s.graphic.as_ref().and_then(|g| g.image.as_ref()).and_then(|p| p.encode_png().ok()).map(|png| {
                // Standard base64 (with padding), as data URLs take it.
                let mut b = crate::auth::b64url(&png).replace('-', "+").replace('_', "/");
                while b.len() % 4 != 0 {
                    b.push('=');
                }
                format!("data:image/png;base64,{b}")
            });
        }
        _ => return None,
    }
    Some(out)
}

/// A rule filter as the viewer evaluates it; `None` for what it cannot (spatial, LIKE, …).
fn browser_filter(f: &crate::filter::Filter) -> Option<Json> {
    use crate::filter::{CompareOp, Filter};
    use crate::source::write::value_json as literal;
    let all = |op: &str, fs: &[Filter]| -> Option<Json> {
        let mut v = vec![json!(op)];
        for f in fs {
            v.push(browser_filter(f)?);
        }
        Some(Json::Array(v))
    };
    Some(match f {
        Filter::And(fs) => all("all", fs)?,
        Filter::Or(fs) => all("any", fs)?,
        Filter::Not(f) => json!(["!", browser_filter(f)?]),
        Filter::Compare { property, op, value } => {
            let op = match op {
                CompareOp::Eq => "==",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            json!([op, property, literal(value)])
        }
        Filter::Between { property, low, high } => json!(["all", [">=", property, literal(low)], ["<=", property, literal(high)]]),
        Filter::In { property, values } => json!(["in", property, values.iter().map(literal).collect::<Vec<_>>()]),
        Filter::IsNull { property } => json!(["null", property]),
        _ => return None,
    })
}

/// The rules of a style for the browser; empty when one cannot be evaluated there.
fn paint_rules(style: &crate::render::style::Style) -> Vec<PaintRule> {
    use crate::render::style::RuleFilter;
    let mut out = Vec::new();
    for (pass, fts) in style.feature_type_styles.iter().enumerate() {
        for rule in &fts.rules {
            let (filter, otherwise) = match &rule.filter {
                RuleFilter::All => (None, false),
                RuleFilter::Else => (None, true),
                RuleFilter::Filter(f) => match browser_filter(f) {
                    Some(j) => (Some(j), false),
                    None => return Vec::new(),
                },
            };
            let symbols: Vec<Paint> = rule.symbolizers.iter().filter_map(symbol).collect();
            out.push(PaintRule { pass, filter, otherwise, min_scale: rule.min_scale, max_scale: rule.max_scale, symbols });
        }
    }
    out
}

/// The paint of `layer` in the browser.
pub fn paint(catalog: &Catalog, layer: &Layer) -> Paint {
    let fallback = Paint { stroke: Some("rgba(40,40,40,1.000)".into()), width: 1.0, radius: 4.0, ..Paint::default() };
    let Some(style) = catalog.style(layer) else { return fallback };
    let first = style.feature_type_styles.iter().flat_map(|f| &f.rules).flat_map(|r| &r.symbolizers).find_map(symbol);
    Paint { rules: paint_rules(&style), ..first.unwrap_or(fallback) }
}

/// What the viewer needs of a valid document for one caller: the layers it may see (with
/// their catalog facts), the extent, and warnings for layers the configuration no longer has.
pub fn runtime(doc: &AppDocument, catalog: &Catalog, tenant: &Tenant, caller: &Caller) -> Json {
    let key = tenant.url_key();
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    for l in &doc.layers {
        let Some(layer) = catalog.layer(tenant, caller, &l.name) else {
            // Gone from the configuration, or not for this caller: the rest is drawn.
            tracing::debug!(layer = %l.name, "app layer not available");
            warnings.push(json!({ "layer": l.name, "message": "layer not available" }));
            continue;
        };
        let c = &layer.config;
        let attributes: Vec<Json> =
            c.attributes.iter().map(|a| json!({ "name": a.name, "title": a.title.clone().unwrap_or_else(|| a.name.clone()) })).collect();
        layers.push(json!({
            "name": l.name,
            "title": l.title.clone().unwrap_or_else(|| c.title.clone()),
            "service": l.service,
            "visible": l.visible,
            "opacity": l.opacity,
            "style": l.style,
            "geometry_type": c.geometry_type,
            "queryable": c.queryable,
            "id_column": c.id_column,
            "attributes": attributes,
            "min_zoom": c.min_zoom,
            "max_zoom": c.max_zoom,
            "paint": paint(catalog, layer),
        }));
    }
    let basemap = match &doc.basemap {
        Basemap::Navigli { layers } => {
            let kept: Vec<&String> = layers.iter().filter(|n| catalog.layer(tenant, &Caller::Anonymous, n).is_some()).collect();
            json!({ "kind": "navigli", "layers": kept })
        }
        other => serde_json::to_value(other).unwrap_or(Json::Null),
    };
    let t = &tenant.extent_lonlat;
    json!({
        "tenant": key,
        "tenant_title": tenant.title,
        "endpoints": {
            "wms": format!("/{key}/wms"),
            "wfs": format!("/{key}/wfs"),
            "tiles": format!("/{key}/tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt"),
            "search": format!("/{key}/search"),
            "roofs": format!("/{key}/roofs/at"),
            "roof_report": format!("/{key}/tetti/report"),
        },
        "extent": doc.extent.unwrap_or([t.min_x, t.min_y, t.max_x, t.max_y]),
        "basemap": basemap,
        "layers": layers,
        "tools": doc.tools,
        "attribution": catalog.server.attribution,
        "warnings": warnings,
    })
}

/// The "Il mio tetto" document of a tenant (`/{tenant}/tetti` when the tenant has published no
/// app of slug `tetti`; also the builder's starting point for a variant): the roof layers over
/// the buildings, search, position and the roof panel. Layers the configuration lacks are left
/// out.
pub fn roof_template(catalog: &Catalog, tenant: &Tenant) -> Json {
    let has = |n: &str| catalog.layer(tenant, &Caller::Anonymous, n).is_some();
    let wanted = [("edifici", "wms", true, 1.0), ("tetti_verdi", "wms", false, 0.85), ("tetti_rossi", "wms", true, 0.85)];
    let layers: Vec<Json> = wanted
        .iter()
        .filter(|(n, ..)| has(n))
        .map(|(name, service, visible, opacity)| json!({ "name": name, "service": service, "visible": visible, "opacity": opacity }))
        .collect();
    let basemap: Vec<&str> = ["comuni", "strade"].into_iter().filter(|n| has(n)).collect();
    json!({
        "version": VERSION,
        "title": "Il mio tetto",
        "description": format!(
            "Cerca il tuo indirizzo o tocca il tuo edificio: per ogni falda del tetto, quanto produrrebbero i pannelli solari, quanto costano e \
             in quanti anni si ripagano, e se il tetto può diventare verde. Stime di navigli per {} (dati dimostrativi).",
            tenant.title
        ),
        "access": "public",
        "basemap": if basemap.is_empty() { json!({ "kind": "none" }) } else { json!({ "kind": "navigli", "layers": basemap }) },
        "layers": layers,
        "tools": ["legend", "search", "geolocate", "permalink", "roof"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        // Worked values: white on black is 21:1, on white 1:1, on #767676 just above 4.5:1.
        assert!((white_contrast("#000000").unwrap() - 21.0).abs() < 1e-9);
        assert!((white_contrast("#ffffff").unwrap() - 1.0).abs() < 1e-9);
        let grey = white_contrast("#767676").unwrap();
        assert!(grey > 4.5 && grey < 4.6, "{grey}");
        assert!(white_contrast("#777").is_none());
        assert!(white_contrast("#00000000").is_none());
    }

    #[test]
    fn origins_are_scheme_and_host_only() {
        for ok in ["https://comune.milano.it", "http://localhost:8080", "https://a-b.example"] {
            assert!(is_origin(ok), "{ok}");
        }
        for bad in ["comune.it", "https://", "https://a.it/path", "https://a.it\"><script>", "javascript:alert(1)", "https://.a"] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn the_schema_is_json_and_names_every_member() {
        let schema: Json = serde_json::from_str(SCHEMA).expect("schema is JSON");
        let props = schema["properties"].as_object().unwrap();
        for key in MEMBERS {
            assert!(props.contains_key(*key), "{key} missing from the schema");
        }
        let tools: Vec<&str> = schema["properties"]["tools"]["items"]["enum"].as_array().unwrap().iter().filter_map(Json::as_str).collect();
        assert_eq!(tools, TOOLS);
    }
}
