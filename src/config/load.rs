//! Loading `layers.toml`: the TOML parsed, each section entry deserialized on its own with
//! unknown keys flagged, the comuni table read, then [`super::validate`]; every finding
//! collected with its location ([`Collector`]).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::model::*;
use super::parse_comuni;
use super::validate::validate;

pub(super) struct Collector<'a> {
    pub(super) file: String,
    pub(super) text: &'a str,
    pub(super) findings: Vec<Finding>,
    pub(super) contents: Option<ContentCheck>,
}

/// What a [`ContentCheck`] reads: a file the configuration names, whose format another module
/// owns (configuration imports no renderer and no authenticator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// An SLD/SE style (`styles/<name>.sld`); its images are in `dir`.
    Style,
    /// A JWKS document (`[oidc] jwks_file`).
    Jwks,
}

/// Checks the content of a file the configuration names, given its text and folder: the
/// problems found, each an error or a warning. The catalog supplies the real one
/// (`catalog::check_content`); without it only the configuration's own rules are checked.
pub type ContentCheck = fn(Content, &str, &Path) -> Vec<(Severity, String)>;

impl Collector<'_> {
    /// Location of the `index`-th `[[section]]` (or `[section]`) header, with its line.
    pub(super) fn locate(&self, section: &str, index: Option<usize>, label: Option<&str>) -> String {
        let header = match index {
            Some(_) => format!("[[{section}]]"),
            None => format!("[{section}]"),
        };
        let line =
            self.text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with(&header)).nth(index.unwrap_or(0)).map(|(n, _)| n + 1);
        let mut loc = match line {
            Some(n) => format!("{}:{n} {header}", self.file),
            None => format!("{} {header}", self.file),
        };
        if let Some(i) = index {
            loc.push_str(&format!(" #{}", i + 1));
        }
        if let Some(l) = label {
            loc.push_str(&format!(" ({l})"));
        }
        loc
    }

    pub(super) fn push(&mut self, severity: Severity, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity, location, message: message.into() });
    }

    pub(super) fn error(&mut self, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Error, location, message: message.into() });
    }

    pub(super) fn warning(&mut self, location: String, message: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Warning, location, message: message.into() });
    }

    /// Deserializes one section entry, recording unknown keys and type errors.
    fn entry<T: DeserializeOwned>(&mut self, section: &str, index: Option<usize>, value: toml::Value) -> Option<T> {
        let label = value.get("name").or_else(|| value.get("id")).and_then(|v| v.as_str()).map(str::to_string);
        let location = self.locate(section, index, label.as_deref());
        let mut unknown = Vec::new();
        let result: Result<T, _> = serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
        for key in unknown {
            self.error(location.clone(), format!("unknown key '{key}'"));
        }
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(location, e.to_string().trim().to_string());
                None
            }
        }
    }
}

/// Loads and validates `path` by the configuration's own rules; all errors come back
/// together. [`load_with`] also checks the files it names.
pub fn load(path: &Path) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    load_with(path, None)
}

/// Loads and validates `path`, checking the content of the style and JWKS files it names with
/// `contents`; all errors come back together.
pub fn load_with(path: &Path, contents: Option<ContentCheck>) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![Finding {
            severity: Severity::Error,
            location: path.display().to_string(),
            message: format!("cannot read: {e}"),
        }])
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base_dir = if base_dir.as_os_str().is_empty() { PathBuf::from(".") } else { base_dir };
    let (mut config, findings) = load_str_with(&text, &path.display().to_string(), &base_dir, contents)?;
    config.modified = modified_secs(path);
    Ok((config, findings))
}

/// When a file was last modified, in Unix seconds.
pub fn modified_secs(path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    modified.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Loads a configuration from text; `file` names it in messages, `base_dir` resolves paths.
pub fn load_str(text: &str, file: &str, base_dir: &Path) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    load_str_with(text, file, base_dir, None)
}

/// [`load_str`], checking named files with `contents` (see [`load_with`]).
pub fn load_str_with(
    text: &str,
    file: &str,
    base_dir: &Path,
    contents: Option<ContentCheck>,
) -> Result<(Config, Vec<Finding>), ConfigErrors> {
    let mut c = Collector { file: file.to_string(), text, findings: Vec::new(), contents };
    let doc: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string().replace('\n', " ");
            return Err(ConfigErrors(vec![Finding {
                severity: Severity::Error,
                location: file.to_string(),
                message: format!("TOML syntax: {msg}"),
            }]));
        }
    };
    let mut server = ServerConfig::default();
    let mut sources = Vec::new();
    let mut groups = Vec::new();
    let mut layers = Vec::new();
    let mut tenants = None;
    let mut overrides = Vec::new();
    let mut roles = Vec::new();
    let mut api_keys = Vec::new();
    let mut oidc = None;
    let mut roofs = crate::roofs::RoofsConfig::default();
    let mut tile_archives = Vec::new();
    let mut search = Vec::new();
    let mut metadata = MetadataDefaults::default();
    for (key, value) in doc {
        match key.as_str() {
            "server" => server = c.entry("server", None, value).unwrap_or_default(),
            "oidc" => oidc = c.entry::<OidcConfig>("oidc", None, value),
            "roofs" => roofs = c.entry("roofs", None, value).unwrap_or_default(),
            "metadata" => metadata = c.entry("metadata", None, value).unwrap_or_default(),
            "tenants" => tenants = c.entry::<TenantsConfig>("tenants", None, value),
            "source" | "group" | "layer" | "tenant" | "role" | "api_key" | "tile_archive" | "search" => {
                let Some(items) = value.as_array().cloned() else {
                    let loc = c.locate(&key, None, None);
                    c.error(loc, format!("'{key}' must be an array of tables: [[{key}]]"));
                    continue;
                };
                for (i, item) in items.into_iter().enumerate() {
                    match key.as_str() {
                        "source" => sources.extend(c.entry::<SourceConfig>("source", Some(i), item)),
                        "group" => groups.extend(c.entry::<GroupConfig>("group", Some(i), item)),
                        "layer" => layers.extend(c.entry::<LayerConfig>("layer", Some(i), item)),
                        "role" => roles.extend(c.entry::<RoleConfig>("role", Some(i), item)),
                        "api_key" => api_keys.extend(c.entry::<ApiKeyConfig>("api_key", Some(i), item)),
                        "tile_archive" => tile_archives.extend(c.entry::<TileArchiveConfig>("tile_archive", Some(i), item)),
                        "search" => search.extend(c.entry::<SearchConfig>("search", Some(i), item)),
                        _ => overrides.extend(c.entry::<TenantOverride>("tenant", Some(i), item)),
                    }
                }
            }
            other => c.error(
                file.to_string(),
                format!("unknown section '{other}' (expected server, source, group, layer, tenants, tenant, role, api_key, oidc, roofs, tile_archive, search, metadata)"),
            ),
        }
    }
    let tenants = match tenants {
        Some(t) => t,
        None => {
            c.error(file.to_string(), "missing [tenants] section");
            TenantsConfig {
                comuni: default_comuni(),
                metro_id: "metro".into(),
                metro_title: String::new(),
                boundary_layer: None,
                groups: vec![],
                contact: Contact::default(),
            }
        }
    };
    if server.attribution.trim().is_empty() {
        server.attribution = format!("© {}", tenants.metro_title);
    }
    if server.namespace.trim().is_empty() {
        server.namespace = format!("urn:navigli:{}", tenants.metro_id);
    }
    let comuni_path = base_dir.join(&tenants.comuni);
    let comuni = match std::fs::read_to_string(&comuni_path) {
        Ok(t) => parse_comuni(&t).unwrap_or_else(|errs| {
            for e in errs {
                c.error(comuni_path.display().to_string(), e);
            }
            vec![]
        }),
        Err(e) => {
            let loc = c.locate("tenants", None, None);
            c.error(loc, format!("cannot read comuni table {}: {e}", comuni_path.display()));
            vec![]
        }
    };
    let config = Config {
        base_dir: base_dir.to_path_buf(),
        modified: None,
        server,
        sources,
        groups,
        layers,
        tenants,
        tenant_overrides: overrides,
        comuni,
        roles,
        api_keys,
        oidc,
        roofs,
        tile_archives,
        search,
        metadata,
    };
    validate(&config, &mut c);
    let findings = c.findings;
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Err(ConfigErrors(findings))
    } else {
        Ok((config, findings))
    }
}
