//! `layers.toml`: the deployment's server settings, sources, groups, layers and tenants.
//!
//! Loading never stops at the first problem: [`load`] parses the document, deserializes each
//! section entry on its own, flags every unknown key, then validates cross references, and
//! returns all findings with their location (`layers.toml:42 [[layer]] #3 (edifici)`).

pub mod comuni;
mod load;
mod model;
mod validate;

pub use comuni::{parse_comuni, Comune};
pub use load::{load, load_str, load_str_with, load_with, modified_secs, Content, ContentCheck};
pub use model::*;
pub use validate::jwks_url_allowed;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn base() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn shipped_config_is_valid() {
        let (cfg, findings) = load(&base().join("layers.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert!(findings.iter().all(|f| f.severity == Severity::Warning), "{findings:?}");
        assert_eq!(cfg.comuni.len(), 133);
        assert!(cfg.layers.iter().any(|l| l.name == "edifici"));
    }

    #[test]
    fn reports_every_error_with_its_location() {
        let text = r#"
[server]
bind = "nowhere"
colour = "blue"

[[source]]
id = "demo"
kind = "gpkg"
path = "data/demo.gpkg"

[[group]]
name = "sit"
title = "SIT"

[[layer]]
name = "comuni"
title = "Comuni"
group = "sit"
source = "demo"
table = "comuni"
geometry_type = "MultiPolygon"
crs = "EPSG:9999"

[[layer]]
name = "comuni"
title = "Again"
group = "nope"
source = "missing"
geometry_type = "Blob"
titel = "typo"
attributes = [{ name = "x", type = "complex" }]

[tenants]
metro_id = "cmm"
metro_title = "CMM"
groups = ["sit", "ghost"]

[[tenant]]
id = "atlantide"
"#;
        let errors = load_str(text, "test.toml", &base()).unwrap_err().0;
        let messages: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        let expect = [
            "bind 'nowhere'",
            "unknown key 'colour'",
            "unsupported crs 'EPSG:9999'",
            "unknown variant `complex`",
            "'atlantide' is neither",
            "unknown group 'ghost'",
        ];
        for e in expect {
            assert!(messages.iter().any(|m| m.contains(e)), "missing '{e}' in {messages:#?}");
        }
        assert!(messages.iter().any(|m| m.contains("test.toml:3 [server]") || m.contains("test.toml:2 [server]")), "{messages:#?}");
        assert!(messages.iter().any(|m| m.contains("[[tenant]] #1 (atlantide)")), "{messages:#?}");
    }

    #[test]
    fn second_layer_errors_are_all_reported() {
        let text = r#"
[[source]]
id = "demo"
kind = "gpkg"
path = "x.gpkg"
[[group]]
name = "sit"
title = "SIT"
[[layer]]
name = "a"
title = "A"
group = "nope"
source = "missing"
geometry_type = "Blob"
titel = "typo"
[tenants]
metro_id = "cmm"
metro_title = "CMM"
groups = ["sit"]
"#;
        let errors = load_str(text, "t.toml", &base()).unwrap_err().0;
        let messages: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        for e in
            ["unknown key 'titel'", "unknown group 'nope'", "unknown source 'missing'", "geometry_type 'Blob'", "give 'table' or 'sql'"]
        {
            assert!(messages.iter().any(|m| m.contains(e)), "missing '{e}' in {messages:#?}");
        }
        assert!(messages.iter().any(|m| m.starts_with("error: t.toml:9 [[layer]] #1 (a)")), "{messages:#?}");
    }

    #[test]
    fn catalog_metadata_is_checked_and_rndt_gaps_reported() {
        let text = r#"
[[source]]
id = "demo"
kind = "gpkg"
path = "data/demo.gpkg"

[[group]]
name = "sit"
title = "SIT"

[[layer]]
name = "comuni"
title = "Comuni"
group = "sit"
source = "demo"
table = "comuni"
geometry_type = "MultiPolygon"

[layer.metadata]
topic_category = "confini"
update_frequency = "sometimes"
published = "2026-13-01"

[[layer]]
name = "strade"
title = "Strade"
abstract = "Rete stradale."
group = "sit"
source = "demo"
table = "strade"
geometry_type = "MultiLineString"

[layer.metadata]
topic_category = "transportation"
inspire_theme = "Transport networks"
lineage = "DBT"

[metadata]
ipa_code = "a:b"

[tenants]
metro_id = "cmm"
metro_title = "CMM"
groups = ["sit"]
"#;
        let messages: Vec<String> = load_str(text, "t.toml", &base()).unwrap_err().0.iter().map(|f| f.to_string()).collect();
        for e in [
            "topic_category 'confini'",
            "update_frequency 'sometimes'",
            "published '2026-13-01'",
            "ipa_code is the administration's iPA code",
        ] {
            assert!(messages.iter().any(|m| m.starts_with("error") && m.contains(e)), "missing '{e}' in {messages:#?}");
        }
        assert!(
            messages.iter().any(|m| m.starts_with("warning")
                && m.contains("(comuni): RNDT: the catalog record lacks abstract, metadata.inspire_theme, metadata.lineage")),
            "{messages:#?}"
        );
        assert!(!messages.iter().any(|m| m.contains("(strade): RNDT")), "{messages:#?}");
        assert!(messages.iter().any(|m| m.contains("RNDT: no responsible party e-mail")), "{messages:#?}");
    }
}
