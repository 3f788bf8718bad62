//! Shared fixtures: the demo dataset generated once per test binary into a temporary
//! GeoPackage and (when `NAVIGLI_TEST_DATABASE_URL` is set, as `make test` does) into PostGIS;
//! [`server`] runs the real binary over them for end-to-end tests.
#![allow(dead_code)]

pub mod oidc;
pub mod server;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use navigli::config::{self, Comune, Config};
use navigli::demo::{DemoOptions, DemoSize};
use navigli::source::gpkg::GpkgSource;
use navigli::source::postgis::{PostgisOptions, PostgisSource};
use navigli::source::{FeatureSource, SourceLayer};

/// The public layers of the shipped configuration, in its order (`servizi_sociali` is
/// restricted): what an anonymous caller of the metropolitan tenant must be shown.
pub const PUBLIC_LAYERS: [&str; 12] = [
    "comuni",
    "zone_omogenee",
    "uso_suolo",
    "servizi_pubblici",
    "edifici",
    "strade",
    "civici",
    "idrografia",
    "aree_verdi",
    "falde",
    "tetti_rossi",
    "tetti_verdi",
];

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

/// A fingerprint of the demo generator and the schema: cached fixtures are rebuilt when it
/// changes. (nextest runs every test in its own process, so fixtures are shared on disk and in
/// the database rather than in memory.)
fn fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["src/demo", "migrations"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("source dir") {
            files.push(entry.expect("dir entry").path());
        }
    }
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in files {
        std::fs::read(&f).expect("read source").hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// Path of the demo GeoPackage (small size, seed 42), generated once and shared by all test
/// processes under `target/navigli-test/`.
pub fn demo_gpkg() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = root().join("target/navigli-test");
        std::fs::create_dir_all(&dir).expect("fixture dir");
        let path = dir.join(format!("demo-{}.gpkg", fingerprint()));
        if !path.exists() {
            // One process generates it while the others wait (nextest starts many at once, and
            // generating in each would load the machine the timed tests run on). write_gpkg
            // writes a temporary file and renames it, so a reader never sees half a file.
            let _lock = exclusive_lock(&dir.join("demo.lock"));
            if !path.exists() {
                navigli::demo::write_gpkg(&path, comuni(), &DemoOptions { size: DemoSize::Small, seed: 42 }).expect("demo gpkg");
            }
        }
        path
    })
}

/// The PostGIS URL with the demo data loaded, or `None` when no database was provided. Under
/// `make test` (`NAVIGLI_REQUIRE_POSTGIS=1`) a missing database is a failure, never a skip.
/// Loading happens once per database and fingerprint, under an advisory lock.
pub fn demo_postgis() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let Ok(url) = std::env::var("NAVIGLI_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("NAVIGLI_REQUIRE_POSTGIS").is_none(),
                "NAVIGLI_REQUIRE_POSTGIS is set but NAVIGLI_TEST_DATABASE_URL is not"
            );
            eprintln!("NOTE: NAVIGLI_TEST_DATABASE_URL not set: PostGIS half of the backend suite NOT RUN (use `make test`)");
            return None;
        };
        let loader_url = url.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let client = navigli::migrate::connect(&loader_url).await.expect("connect to the test database");
                client.execute("SELECT pg_advisory_lock(715146)", &[]).await.expect("lock");
                // Migrations are idempotent: a database loaded by an older build gets the new ones.
                navigli::migrate::run(&loader_url).await.expect("migrate the test database");
                client.batch_execute("CREATE TABLE IF NOT EXISTS navigli_test_fixture (fingerprint text)").await.expect("marker table");
                let fp = fingerprint();
                let done = client.query_opt("SELECT 1 FROM navigli_test_fixture WHERE fingerprint = $1", &[&fp]).await.expect("marker");
                if done.is_none() {
                    navigli::demo::load_postgis(&loader_url, comuni(), &DemoOptions { size: DemoSize::Small, seed: 42 })
                        .await
                        .expect("load demo into PostGIS");
                    client.execute("DELETE FROM navigli_test_fixture", &[]).await.expect("marker");
                    client.execute("INSERT INTO navigli_test_fixture VALUES ($1)", &[&fp]).await.expect("marker");
                }
                client.execute("SELECT pg_advisory_unlock(715146)", &[]).await.expect("unlock");
            });
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
        let options = PostgisOptions {
            url: url.to_string(),
            pool_size: 4,
            statement_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            replicas: Vec::new(),
            max_replica_lag: Duration::from_secs(30),
        };
        out.push(Arc::new(PostgisSource::new("postgis", &options).expect("postgis pool")));
    }
    out.push(Arc::new(remote_demo()));
    out
}

/// The demo through the remote backend: a navigli server over the demo GeoPackage (started
/// once per test process) read as a remote OGC API – Features service, its metropolitan
/// tenant's collections being the demo's layers.
pub fn remote_demo() -> navigli::source::remote::OgcApiSource {
    static PORT: OnceLock<u16> = OnceLock::new();
    let port = *PORT.get_or_init(|| {
        // The server is spawned from a thread that lives as long as the test process, and dies
        // with that thread (PR_SET_PDEATHSIG): no server outlives the tests.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let dir = tempfile::tempdir().expect("temp dir").keep();
            let config = server::write_config(&dir, demo_gpkg());
            let (_child, port, _) = server::spawn_server_with(&config, &[], "warn", None, &[], true);
            tx.send(port).expect("report the port");
            loop {
                std::thread::park();
            }
        });
        rx.recv_timeout(Duration::from_secs(150)).expect("the remote demo server started")
    });
    navigli::source::remote::OgcApiSource::new(
        "remote",
        navigli::source::remote::RemoteOptions {
            url: format!("http://127.0.0.1:{port}/cmm/ogcapi"),
            timeout: Duration::from_secs(30),
            page_size: 1000,
            breaker_failures: 1000,
            retry_after: Duration::from_secs(1),
            authorization: None,
        },
    )
}

/// The Python of the test venv (`target/pyvenv`, made by `scripts/deps.sh test` from the pins
/// in `tests/requirements.txt`) once it can `import` every module of `modules` (comma list);
/// when it cannot, the venv is made here from the same pins, failing loudly when pip cannot.
pub fn pyvenv(modules: &str) -> PathBuf {
    pinned_venv("target/pyvenv", "tests/requirements.txt", modules)
}

/// The venv `dir` (below the project root) from the pins in `requirements`, made (under a lock,
/// by one test process) when its Python cannot import `modules`.
pub fn pinned_venv(dir: &str, requirements: &str, modules: &str) -> PathBuf {
    let venv = root().join(dir);
    let python = venv.join("bin/python");
    let has = || std::process::Command::new(&python).args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success());
    if !has() {
        std::fs::create_dir_all(root().join("target")).expect("target dir");
        let _lock = exclusive_lock(&venv.with_extension("lock"));
        if has() {
            return python;
        }
        eprintln!("installing {requirements} into {} (scripts/deps.sh test does this for make test)", venv.display());
        if !python.exists() {
            let made = std::process::Command::new("/usr/bin/python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success());
            assert!(made, "cannot create a Python venv at {}: install python3-venv (scripts/deps.sh test)", venv.display());
        }
        let out = std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root().join(requirements))
            .output()
            .expect("run pip");
        assert!(out.status.success() && has(), "pip could not install {modules}: {}", String::from_utf8_lossy(&out.stderr));
    }
    python
}

/// An exclusive advisory lock on `path` (created if missing), held until the file is dropped:
/// one test process at a time makes a shared fixture.
pub fn exclusive_lock(path: &std::path::Path) -> std::fs::File {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("lock file {}: {e}", path.display()));
    // SAFETY: flock on a descriptor we own; it is released when the file is closed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {}: {}", path.display(), std::io::Error::last_os_error());
    file
}

/// The python of the OGC API and operations tools' venv (`target/pyvenv-ogcapi`, made by
/// `scripts/deps.sh test` from `tests/requirements-ogcapi.txt`: ogctests, openapi-spec-validator,
/// schemathesis, pyogrio, prometheus_client), made here from the same pins when missing.
pub fn tools_python() -> PathBuf {
    pinned_venv(
        "target/pyvenv-ogcapi",
        "tests/requirements-ogcapi.txt",
        "ogctests, openapi_spec_validator, schemathesis, pyogrio, prometheus_client",
    )
}

/// Runs a PyQGIS script of `tests/fixtures` (`SCRIPT JOB.json REPORT.json`) headless, with a
/// private HOME/XDG_RUNTIME_DIR/TMPDIR (QGIS writes its profile and caches there, never into the
/// repository), at most 120 s, and returns its report. Exit status 3 means PyQGIS is missing: a
/// failure, never a skip.
pub fn run_pyqgis(script: &str, job: &serde_json::Value, dir: &std::path::Path) -> serde_json::Value {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (job_file, report_file) = (dir.join("job.json"), dir.join("report.json"));
    std::fs::write(&job_file, job.to_string()).unwrap();
    let mut child = std::process::Command::new("/usr/bin/python3")
        .arg(root().join("tests/fixtures").join(script))
        .arg(&job_file)
        .arg(&report_file)
        .current_dir(&home)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &home)
        .env("TMPDIR", &home)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run /usr/bin/python3 with PyQGIS (python3-qgis: scripts/deps.sh test)");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the QGIS script ran longer than 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(3), "PyQGIS is not available: install Debian's python3-qgis (scripts/deps.sh test):\n{err}");
    assert!(out.status.success(), "the QGIS script failed:\n{err}");
    serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap()
}

/// Runs a client script (`cmd`, e.g. `node x.mjs` or `python x.py`) with a deadline and reads
/// the JSON report it prints; exit status 3 means `what` is missing (`missing` says how to get
/// it). Panics with the script's stderr on failure or timeout.
pub fn run_report(mut cmd: std::process::Command, what: &str, missing: &str, timeout: Duration) -> serde_json::Value {
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run the {what} script: {e} ({missing})"));
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > timeout {
            let _ = child.kill();
            panic!("the {what} script did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let std::process::Output { status, stdout, stderr } = child.wait_with_output().expect("script output");
    let stderr = String::from_utf8_lossy(&stderr);
    assert_ne!(status.code(), Some(3), "{what} is missing: {missing}\n{stderr}");
    assert!(status.success(), "the {what} script failed ({status}):\n{stderr}");
    serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("{what} report is not JSON ({e}):\n{}\n{stderr}", String::from_utf8_lossy(&stdout)))
}
