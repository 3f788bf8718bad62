//! Shared fixtures: the demo dataset generated once per test binary into a temporary
//! GeoPackage and (when `NAVIGLI_TEST_DATABASE_URL` is set, as `make test` does) into PostGIS.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use navigli::config::{self, Comune, Config};
use navigli::demo::{DemoOptions, DemoSize};
use navigli::source::gpkg::GpkgSource;
use navigli::source::postgis::{PostgisOptions, PostgisSource};
use navigli::source::{FeatureSource, SourceLayer};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped configuration.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| config::load(&root().join("layers.toml")).unwrap_or_else(|e| panic!("{e}")).0)
}

/// The comuni table.
pub fn comuni() -> &'static [Comune] {
    &config().comuni
}

/// The backend view of a shipped layer.
pub fn layer(name: &str) -> Arc<SourceLayer> {
    let l = config().layers.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no layer {name}"));
    Arc::new(navigli::catalog::source_layer(l))
}

/// Path of the demo GeoPackage (generated on first use, small size, seed 42).
pub fn demo_gpkg() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let path = dir.join("demo.gpkg");
        navigli::demo::write_gpkg(&path, comuni(), &DemoOptions { size: DemoSize::Small, seed: 42 }).expect("demo gpkg");
        path
    })
}

/// The PostGIS URL with the demo data loaded (once per test binary), or `None` when no
/// database was provided. Under `make test` (`NAVIGLI_REQUIRE_POSTGIS=1`) a missing database
/// is a failure, never a skip.
pub fn demo_postgis() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let Ok(url) = std::env::var("NAVIGLI_TEST_DATABASE_URL") else {
            assert!(std::env::var_os("NAVIGLI_REQUIRE_POSTGIS").is_none(), "NAVIGLI_REQUIRE_POSTGIS is set but NAVIGLI_TEST_DATABASE_URL is not");
            eprintln!("NOTE: NAVIGLI_TEST_DATABASE_URL not set: PostGIS half of the backend suite NOT RUN (use `make test`)");
            return None;
        };
        let loader_url = url.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(navigli::demo::load_postgis(&loader_url, comuni(), &DemoOptions { size: DemoSize::Small, seed: 42 })).expect("load demo into PostGIS");
        })
        .join()
        .expect("loader thread");
        Some(url)
    })
    .as_deref()
}

/// Both sources over the same demo data (PostGIS only when available), opened on the
/// caller's runtime.
pub fn sources() -> Vec<Arc<dyn FeatureSource>> {
    let mut out: Vec<Arc<dyn FeatureSource>> = vec![Arc::new(GpkgSource::open("gpkg", demo_gpkg(), 4).expect("open gpkg"))];
    if let Some(url) = demo_postgis() {
        let options = PostgisOptions { url: url.to_string(), pool_size: 4, statement_timeout: Duration::from_secs(30), connect_timeout: Duration::from_secs(5) };
        out.push(Arc::new(PostgisSource::new("postgis", &options).expect("postgis pool")));
    }
    out
}
