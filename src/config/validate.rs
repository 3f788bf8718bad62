//! The configuration's own rules: cross references (sources, groups, styles, roles,
//! tenants), values in range, names usable in URLs and XML; files it names are checked through
//! the caller's [`super::ContentCheck`].

use std::collections::HashSet;

use super::load::Collector;
use super::model::*;
use super::Content;
use crate::crs::Crs;

/// Whether a JWKS URL may be fetched: HTTPS, or plain HTTP to this machine only.
pub fn jwks_url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host =
        if host.starts_with('[') { host.split(']').next().map(|h| &h[1..]).unwrap_or("") } else { host.split(':').next().unwrap_or("") };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// An XML NCName of ASCII letters, digits, `_`, `-`, `.` not starting with a digit, `-` or `.`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

const GEOMETRY_TYPES: &[&str] = &["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Geometry"];

/// Roles name restricted layers and known tenants; keys are hashes and name known roles.
/// A `[server]` setting naming the PostGIS source that keeps navigli's own tables: an unknown
/// source is an error; one that is not PostGIS in the file, a warning (`--source` may make it so).
fn database_source(cfg: &Config, c: &mut Collector<'_>, setting: &str, id: &str, holds: &str) {
    let loc = c.locate("server", None, None);
    match cfg.sources.iter().find(|s| s.id == id) {
        None => c.error(loc, format!("{setting}: no source '{id}'")),
        Some(s) if s.kind != SourceKind::Postgis => {
            c.warning(loc, format!("{setting}: source '{id}' is not PostGIS here ({holds}): serve needs --source {id}=postgresql://…"))
        }
        Some(_) => {}
    }
}

fn validate_auth(cfg: &Config, c: &mut Collector<'_>) {
    let role_names: Vec<&str> = cfg.roles.iter().map(|r| r.name.as_str()).collect();
    for (i, r) in cfg.roles.iter().enumerate() {
        let loc = c.locate("role", Some(i), Some(&r.name));
        if role_names.iter().filter(|n| **n == r.name).count() > 1 {
            c.error(loc.clone(), format!("role '{}' is defined more than once", r.name));
        }
        for l in &r.layers {
            match cfg.layers.iter().find(|x| x.name == *l) {
                None => c.error(loc.clone(), format!("role '{}' grants unknown layer '{l}'", r.name)),
                Some(x) if x.access == Access::Public => {
                    c.warning(loc.clone(), format!("role '{}' grants '{l}', which is public anyway", r.name))
                }
                Some(_) => {}
            }
        }
        for l in &r.edit {
            match cfg.layers.iter().find(|x| x.name == *l) {
                None => c.error(loc.clone(), format!("role '{}' may edit unknown layer '{l}'", r.name)),
                Some(x) if !x.editable => c.error(
                    loc.clone(),
                    format!("role '{}' may edit '{l}', which is not editable (set editable = true on the layer)", r.name),
                ),
                Some(_) => {}
            }
        }
        for t in &r.tenants {
            let known = t == "*" || *t == cfg.tenants.metro_id || cfg.comuni.iter().any(|k| k.istat_code == *t || k.slug == *t);
            if !known {
                c.error(loc.clone(), format!("role '{}' names unknown tenant '{t}'", r.name));
            }
        }
    }
    for (i, k) in cfg.api_keys.iter().enumerate() {
        let loc = c.locate("api_key", Some(i), Some(&k.name));
        if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            c.error(loc.clone(), "sha256 must be 64 lower-case hex digits (printf %s KEY | sha256sum)");
        }
        for r in &k.roles {
            if !role_names.contains(&r.as_str()) {
                c.error(loc.clone(), format!("api_key '{}' names unknown role '{r}'", k.name));
            }
        }
    }
    if let Some(o) = &cfg.oidc {
        let loc = c.locate("oidc", None, None);
        match (&o.jwks_file, &o.jwks_url) {
            (Some(file), None) => {
                let path = cfg.base_dir.join(file);
                match std::fs::read_to_string(&path) {
                    Err(e) => c.error(loc, format!("jwks_file {}: {e}", path.display())),
                    Ok(text) => {
                        let dir = path.parent().unwrap_or(&cfg.base_dir).to_path_buf();
                        for (severity, problem) in c.contents.map(|check| check(Content::Jwks, &text, &dir)).unwrap_or_default() {
                            c.push(severity, loc.clone(), format!("jwks_file {}: {problem}", path.display()));
                        }
                    }
                }
            }
            (None, Some(url)) => {
                if !jwks_url_allowed(url) {
                    c.error(loc.clone(), "jwks_url must be https:// (plain http:// only to 127.0.0.1, localhost or ::1)");
                }
                if o.jwks_refresh_s < 10 && !url.starts_with("http://") {
                    c.error(loc, "jwks_refresh_s below 10 s would hammer the identity provider");
                }
            }
            _ => c.error(loc.clone(), "set exactly one of jwks_file and jwks_url"),
        }
        if let Some(l) = &o.login {
            let loc = c.locate("oidc", None, None);
            for (name, url) in [("authorization_endpoint", &l.authorization_endpoint), ("token_endpoint", &l.token_endpoint)] {
                if !jwks_url_allowed(url) {
                    c.error(loc.clone(), format!("login.{name} must be https:// (plain http:// only to 127.0.0.1, localhost or ::1)"));
                }
            }
            if l.client_id.trim().is_empty() {
                c.error(loc, "login.client_id is empty");
            }
        }
    }
    if let Some(id) = &cfg.server.apps_source {
        database_source(cfg, c, "apps_source", id, "apps live in navigli_apps tables");
    }
    if let Some(id) = &cfg.server.api_keys_source {
        database_source(cfg, c, "api_keys_source", id, "keys live in a navigli_api_keys table");
        if cfg.server.api_keys_refresh_s == 0 {
            let loc = c.locate("server", None, None);
            c.error(loc, "api_keys_refresh_s must be at least 1");
        }
    }
    for (i, a) in cfg.tile_archives.iter().enumerate() {
        let loc = c.locate("tile_archive", Some(i), Some(&a.name));
        if !is_ncname(&a.name) {
            c.error(loc.clone(), format!("tile archive name '{}' must be an XML name (letters, digits, _ - .)", a.name));
        }
        if cfg.layers.iter().any(|l| l.name == a.name) || cfg.groups.iter().any(|g| g.name == a.name) {
            c.error(loc.clone(), format!("tile archive name '{}' is also a layer or group name", a.name));
        }
        if cfg.tile_archives.iter().filter(|b| b.name == a.name).count() > 1 {
            c.error(loc.clone(), format!("tile archive '{}' is defined more than once", a.name));
        }
        let path = cfg.base_dir.join(&a.path);
        if !path.is_file() {
            c.error(loc.clone(), format!("tile archive {} does not exist (make it with navigli export)", path.display()));
        }
        for t in &a.tenants {
            let known = t == "*" || *t == cfg.tenants.metro_id || cfg.comuni.iter().any(|k| k.istat_code == *t || k.slug == *t);
            if !known {
                c.error(loc.clone(), format!("tile archive '{}' names unknown tenant '{t}'", a.name));
            }
        }
    }
    for (i, s) in cfg.search.iter().enumerate() {
        let loc = c.locate("search", Some(i), None);
        let Some(layer) = cfg.layers.iter().find(|l| l.name == s.layer) else {
            c.error(loc, format!("search: no layer '{}'", s.layer));
            continue;
        };
        match crate::config::label_fields(&s.label) {
            Err(e) => c.error(loc.clone(), format!("search label '{}': {e}", s.label)),
            Ok(fields) => {
                for f in fields.iter().filter(|f| !layer.attributes.iter().any(|a| a.name == **f)) {
                    c.error(loc.clone(), format!("search label names '{f}', which is not an attribute of layer '{}'", s.layer));
                }
            }
        }
        if cfg.search.iter().filter(|t| t.layer == s.layer).count() > 1 {
            c.error(loc, format!("layer '{}' is in [[search]] more than once", s.layer));
        }
    }
    let problems = cfg.roofs.problems();
    if !problems.is_empty() {
        let loc = c.locate("roofs", None, None);
        for p in problems {
            c.error(loc.clone(), format!("roofs: {p}"));
        }
    }
}

/// ISO 19115 MD_TopicCategoryCode values.
const TOPIC_CATEGORIES: &[&str] = &[
    "farming",
    "biota",
    "boundaries",
    "climatologyMeteorologyAtmosphere",
    "economy",
    "elevation",
    "environment",
    "geoscientificInformation",
    "health",
    "imageryBaseMapsEarthCover",
    "intelligenceMilitary",
    "inlandWaters",
    "location",
    "oceans",
    "planningCadastre",
    "society",
    "structure",
    "transportation",
    "utilitiesCommunication",
];
/// ISO 19115 MD_MaintenanceFrequencyCode values.
const FREQUENCIES: &[&str] = &[
    "continual",
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "quarterly",
    "biannually",
    "annually",
    "asNeeded",
    "irregular",
    "notPlanned",
    "unknown",
];

fn is_date(s: &str) -> bool {
    s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok()
}

/// The catalog metadata: values out of their code lists are errors; what the RNDT profile
/// needs and is missing is reported as warnings (the records are still published).
fn validate_metadata(cfg: &Config, c: &mut Collector<'_>) {
    let loc = c.locate("metadata", None, None);
    let md = &cfg.metadata;
    if md.ipa_code.as_deref().is_none_or(|v| v.trim().is_empty()) {
        c.warning(loc.clone(), "RNDT: [metadata] ipa_code is missing (record identifiers are the iPA code, ':' and a local id; the metro id is used meanwhile)");
    } else if md.ipa_code.as_deref().is_some_and(|v| v.contains(':') || v.contains(char::is_whitespace)) {
        c.error(loc.clone(), "ipa_code is the administration's iPA code, without ':' or spaces");
    }
    let email = md.responsible.as_ref().and_then(|r| r.email.as_ref()).or(cfg.tenants.contact.email.as_ref());
    if email.is_none_or(|e| !e.contains('@')) {
        c.warning(loc.clone(), "RNDT: no responsible party e-mail ([metadata] responsible or [tenants] contact)");
    }
    if md.language.len() != 3 {
        c.error(loc.clone(), format!("language '{}' is an ISO 639-2 code (ita)", md.language));
    }
    if let Some(d) = md.date.as_deref().filter(|d| !is_date(d)) {
        c.error(loc.clone(), format!("date '{d}' is YYYY-MM-DD"));
    }
    for (i, l) in cfg.layers.iter().enumerate() {
        let loc = c.locate("layer", Some(i), Some(&l.name));
        let m = &l.metadata;
        if let Some(t) = m.topic_category.as_deref().filter(|t| !TOPIC_CATEGORIES.contains(t)) {
            c.error(loc.clone(), format!("metadata.topic_category '{t}' is not an ISO topic category ({})", TOPIC_CATEGORIES.join(", ")));
        }
        if let Some(f) = m.update_frequency.as_deref().filter(|f| !FREQUENCIES.contains(f)) {
            c.error(
                loc.clone(),
                format!("metadata.update_frequency '{f}' is not an ISO maintenance frequency ({})", FREQUENCIES.join(", ")),
            );
        }
        for (what, d) in [("created", &m.created), ("published", &m.published), ("revised", &m.revised)] {
            if let Some(d) = d.as_deref().filter(|d| !is_date(d)) {
                c.error(loc.clone(), format!("metadata.{what} '{d}' is YYYY-MM-DD"));
            }
        }
        let mut missing = Vec::new();
        if l.abstract_.trim().is_empty() {
            missing.push("abstract");
        }
        if m.topic_category.is_none() {
            missing.push("metadata.topic_category");
        }
        if m.inspire_theme.is_none() {
            missing.push("metadata.inspire_theme");
        }
        if m.lineage.is_none() {
            missing.push("metadata.lineage");
        }
        if !missing.is_empty() {
            c.warning(loc, format!("RNDT: the catalog record lacks {}", missing.join(", ")));
        }
    }
}

pub(super) fn validate(cfg: &Config, c: &mut Collector<'_>) {
    validate_metadata(cfg, c);
    let server_loc = c.locate("server", None, None);
    if cfg.server.bind.parse::<std::net::SocketAddr>().is_err() {
        c.error(server_loc.clone(), format!("bind '{}' is not an address like 127.0.0.1:8080", cfg.server.bind));
    }
    if let Some(u) = &cfg.server.public_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            c.error(server_loc.clone(), format!("public_url '{u}' must start with http:// or https://"));
        }
    }
    if cfg.server.max_features == 0 {
        c.error(server_loc, "max_features must be at least 1");
    }

    let mut source_ids = HashSet::new();
    for (i, s) in cfg.sources.iter().enumerate() {
        let loc = c.locate("source", Some(i), Some(&s.id));
        if !source_ids.insert(s.id.as_str()) {
            c.error(loc.clone(), format!("duplicate source id '{}'", s.id));
        }
        match s.kind {
            SourceKind::Gpkg => match &s.path {
                None => c.error(loc, "a gpkg source needs 'path'"),
                Some(p) if !cfg.base_dir.join(p).exists() => {
                    c.warning(loc, format!("{} does not exist yet (create it with `navigli demo`)", cfg.base_dir.join(p).display()))
                }
                Some(_) => {}
            },
            SourceKind::Postgis => {
                if s.url.is_none() && std::env::var_os("DATABASE_URL").is_none() {
                    c.error(loc, "a postgis source needs 'url' (or the DATABASE_URL environment variable)");
                }
            }
            SourceKind::Ogcapi => match s.url.as_deref() {
                None => c.error(loc, "an ogcapi source needs 'url' (the service's landing page, e.g. https://host/torino/ogcapi)"),
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    c.error(loc, "an ogcapi source's url is http:// or https://")
                }
                Some(u) if u.split("//").nth(1).and_then(|rest| rest.split('/').next()).is_some_and(|host| host.contains('@')) => {
                    c.error(loc, "an ogcapi source's url must not hold credentials: name an environment variable in 'authorization_env'")
                }
                Some(_) if s.timeout_ms == 0 || s.page_size == 0 || s.page_size > 10_000 => {
                    c.error(loc, "timeout_ms must be positive and page_size 1–10000")
                }
                Some(_) => {
                    if let Some(var) = &s.authorization_env {
                        if std::env::var_os(var).is_none() {
                            c.warning(loc, format!("the environment variable {var} (authorization_env) is not set"));
                        }
                    }
                }
            },
        }
    }

    let mut group_names = HashSet::new();
    for (i, g) in cfg.groups.iter().enumerate() {
        if !is_ncname(&g.name) || !group_names.insert(g.name.as_str()) {
            let loc = c.locate("group", Some(i), Some(&g.name));
            c.error(loc, format!("group name '{}' is duplicate or not a valid name", g.name));
        }
    }

    let mut layer_names = HashSet::new();
    for (i, l) in cfg.layers.iter().enumerate() {
        let loc = c.locate("layer", Some(i), Some(&l.name));
        if !is_ncname(&l.name) {
            c.error(loc.clone(), format!("layer name '{}' must be an XML name (letters, digits, _ - .)", l.name));
        }
        if !layer_names.insert(l.name.as_str()) {
            c.error(loc.clone(), format!("duplicate layer name '{}'", l.name));
        }
        if group_names.contains(l.name.as_str()) {
            c.error(loc.clone(), format!("layer name '{}' is also a group name", l.name));
        }
        if !group_names.contains(l.group.as_str()) {
            c.error(loc.clone(), format!("unknown group '{}'", l.group));
        }
        if !source_ids.contains(l.source.as_str()) {
            c.error(loc.clone(), format!("unknown source '{}'", l.source));
        }
        match (&l.table, &l.sql) {
            (Some(_), Some(_)) => c.error(loc.clone(), "give either 'table' or 'sql', not both"),
            (None, None) => c.error(loc.clone(), "give 'table' or 'sql'"),
            _ => {}
        }
        if l.editable && l.table.is_none() {
            c.error(loc.clone(), "an editable layer needs a 'table' (a SELECT cannot be written to)");
        }
        let remote = cfg.sources.iter().any(|s| s.id == l.source && s.kind == SourceKind::Ogcapi);
        if remote && (l.sql.is_some() || l.editable) {
            c.error(loc.clone(), "a layer of an ogcapi source names the remote collection in 'table' and is read-only");
        }
        if Crs::parse(&l.crs).is_none() {
            c.error(
                loc.clone(),
                format!("unsupported crs '{}' (supported: {})", l.crs, Crs::all().map(|c| c.code()).collect::<Vec<_>>().join(", ")),
            );
        }
        if !GEOMETRY_TYPES.contains(&l.geometry_type.as_str()) {
            c.error(loc.clone(), format!("geometry_type '{}' is not one of {}", l.geometry_type, GEOMETRY_TYPES.join(", ")));
        }
        let mut attrs = HashSet::new();
        for a in &l.attributes {
            if !is_ncname(&a.name) || !attrs.insert(a.name.as_str()) {
                c.error(loc.clone(), format!("attribute '{}' is duplicate or not a valid name", a.name));
            }
            if a.name == l.geometry_column || a.name == l.id_column {
                c.error(loc.clone(), format!("attribute '{}' repeats the geometry or id column", a.name));
            }
        }
        if l.min_zoom > l.max_zoom || l.max_zoom > 24 {
            c.error(loc.clone(), format!("zoom range {}..{} must satisfy min ≤ max ≤ 24", l.min_zoom, l.max_zoom));
        }
        for (i, f) in l.tile_filters.iter().enumerate() {
            // (The filter text itself is parsed against the layer's attributes with the catalog.)
            if f.below_zoom <= l.min_zoom || f.below_zoom > l.max_zoom || f.filter.trim().is_empty() {
                c.error(
                    loc.clone(),
                    format!(
                        "tile_filters[{i}]: below_zoom {} must be within {}..{} and the filter not empty",
                        f.below_zoom,
                        l.min_zoom.saturating_add(1),
                        l.max_zoom
                    ),
                );
            }
        }
        if let (Some(a), Some(b)) = (l.min_scale, l.max_scale) {
            if a >= b {
                c.error(loc.clone(), format!("min_scale {a} must be below max_scale {b}"));
            }
        }
        if let Some(style) = &l.style {
            let path = cfg.base_dir.join(&cfg.server.styles_dir).join(format!("{style}.sld"));
            match std::fs::read_to_string(&path) {
                Err(_) => c.error(loc.clone(), format!("style '{style}' has no file {}", path.display())),
                Ok(text) => {
                    let dir = cfg.base_dir.join(&cfg.server.styles_dir);
                    for (severity, problem) in c.contents.map(|check| check(Content::Style, &text, &dir)).unwrap_or_default() {
                        c.push(severity, loc.clone(), format!("style '{style}': {problem}"));
                    }
                }
            }
        }
    }

    validate_auth(cfg, c);

    let tenants_loc = c.locate("tenants", None, None);
    if let Some(clash) = cfg.comuni.iter().find(|k| k.slug == cfg.tenants.metro_id || k.istat_code == cfg.tenants.metro_id) {
        c.error(tenants_loc.clone(), format!("metro_id '{}' collides with the comune {}", cfg.tenants.metro_id, clash.name));
    }
    if !is_ncname(&cfg.tenants.metro_id) || cfg.tenants.metro_id.bytes().all(|b| b.is_ascii_digit()) {
        c.error(tenants_loc.clone(), format!("metro_id '{}' must be a name", cfg.tenants.metro_id));
    }
    for g in &cfg.tenants.groups {
        if !group_names.contains(g.as_str()) {
            c.error(tenants_loc.clone(), format!("unknown group '{g}'"));
        }
    }
    if let Some(b) = &cfg.tenants.boundary_layer {
        match cfg.layers.iter().find(|l| &l.name == b) {
            None => c.error(tenants_loc.clone(), format!("boundary_layer '{b}' is not a layer")),
            Some(l) => match &l.tenant_column {
                Some(tc) if l.attributes.iter().any(|a| &a.name == tc) => {}
                _ => c.error(
                    tenants_loc.clone(),
                    format!("boundary_layer '{b}' must have a tenant_column that is also one of its attributes"),
                ),
            },
        }
    }
    let mut overridden = HashSet::new();
    for (i, o) in cfg.tenant_overrides.iter().enumerate() {
        let loc = c.locate("tenant", Some(i), Some(&o.id));
        let known = o.id == cfg.tenants.metro_id || cfg.comuni.iter().any(|k| k.istat_code == o.id || k.slug == o.id);
        if !known && !cfg.comuni.is_empty() {
            c.error(loc.clone(), format!("'{}' is neither the metro id nor an ISTAT code or slug of the comuni table", o.id));
        }
        let key = cfg.comuni.iter().find(|k| k.slug == o.id).map(|k| k.istat_code.clone()).unwrap_or_else(|| o.id.clone());
        if !overridden.insert(key) {
            c.error(loc.clone(), format!("tenant '{}' is overridden twice", o.id));
        }
        for g in o.groups.iter().flatten() {
            if !group_names.contains(g.as_str()) {
                c.error(loc.clone(), format!("unknown group '{g}'"));
            }
        }
        for l in &o.extra_layers {
            match cfg.layers.iter().find(|x| &x.name == l) {
                None => c.error(loc.clone(), format!("unknown extra layer '{l}'")),
                Some(x) if !x.extra => c.warning(loc.clone(), format!("layer '{l}' is not marked extra = true; it is published anyway")),
                Some(_) => {}
            }
        }
    }
}
