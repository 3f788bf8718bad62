//! Resilience: PostGIS goes away in the middle of a load and comes back. navigli must answer
//! 503 with an exception meanwhile (never 500, never hang), say so on `/ready`, and serve
//! again by itself within 5 s of the database returning, without a restart.
//!
//! The test runs its own PostgreSQL cluster (it stops it), so it needs the PostgreSQL 15
//! binaries that `make test` installs; like the other PostGIS tests it is skipped, visibly,
//! only when no test database is configured at all.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::server::{start, try_get, write_config};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// One answer of the load: when it was asked, its status, how long it took, which path.
type Answer = (Instant, u16, Duration, usize);

/// A private PostgreSQL cluster in a temporary directory, run as `postgres` when we are root.
/// It listens on a Unix socket in its own directory only: no TCP port another test could take
/// while it is stopped.
struct Cluster {
    dir: PathBuf,
    socket_dir: PathBuf,
}

fn as_postgres(cmd: &str, args: &[&str]) -> Command {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &format!("{PG_BIN}/{cmd}")]);
        c
    } else {
        Command::new(format!("{PG_BIN}/{cmd}"))
    };
    c.args(args);
    c
}

fn run(mut c: Command) {
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e} (PostgreSQL 15 is installed by `scripts/deps.sh test`)"));
    assert!(out.status.success(), "{c:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

impl Cluster {
    fn new(dir: &Path) -> Cluster {
        let data = dir.join("pg");
        std::fs::create_dir_all(&data).unwrap();
        let _ = Command::new("chown").args(["-R", "postgres:", &dir.display().to_string()]).output();
        run(as_postgres(
            "initdb",
            &["-D", &data.display().to_string(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
        ));
        let cluster = Cluster { dir: data, socket_dir: dir.to_path_buf() };
        cluster.start();
        cluster
    }

    fn start(&self) {
        let opts = format!("-k {} -c listen_addresses='' -c fsync=off", self.socket_dir.display());
        let log = self.dir.join("log").display().to_string();
        run(as_postgres("pg_ctl", &["-D", &self.dir.display().to_string(), "-l", &log, "-w", "-o", &opts, "start"]));
    }

    fn stop(&self) {
        run(as_postgres("pg_ctl", &["-D", &self.dir.display().to_string(), "-m", "immediate", "-w", "stop"]));
    }

    fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@/{db}?host={}", self.socket_dir.display())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl", &["-D", &self.dir.display().to_string(), "-m", "immediate", "stop"]).output();
    }
}

#[test]
fn postgis_outage_answers_503_and_recovers_by_itself() {
    if std::env::var_os("NAVIGLI_TEST_DATABASE_URL").is_none() {
        assert!(std::env::var_os("NAVIGLI_REQUIRE_POSTGIS").is_none(), "NAVIGLI_REQUIRE_POSTGIS is set but no database is");
        eprintln!("NOTE: NAVIGLI_TEST_DATABASE_URL not set: PostGIS outage test NOT RUN (use `make test`)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::new(dir.path());
    run({
        let mut c = Command::new("psql");
        c.args(["-q", "-X", &cluster.url("postgres"), "-c", "CREATE DATABASE navigli"]);
        c
    });
    let url = cluster.url("navigli");
    let out = Command::new(env!("CARGO_BIN_EXE_navigli"))
        .args(["demo", "--config", &common::root().join("layers.toml").display().to_string(), "--postgis", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "navigli demo: {}", String::from_utf8_lossy(&out.stderr));
    let config = write_config(dir.path(), common::demo_gpkg());
    let server = start(&config, &["--source", &format!("main={url}")]);
    let port = server.port;
    let paths = [
        "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=navigli:edifici&COUNT=5",
        "/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=edifici&STYLES=&CRS=EPSG:32632&BBOX=514000,5034000,515000,5035000&WIDTH=256&HEIGHT=256&FORMAT=image/png",
        "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=navigli:strade&RESULTTYPE=hits",
    ];
    for p in paths {
        assert_eq!(try_get(port, p).unwrap().0, 200, "{p} before the outage");
    }
    // Load from two threads for the whole test; every answer is recorded with its time.
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (stop, log) = (stop.clone(), log.clone());
            std::thread::spawn(move || {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let status = try_get(port, paths[i % paths.len()]).map_or(0, |r| r.0);
                    log.lock().unwrap().push((t0, status, t0.elapsed(), i % paths.len()));
                    i += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    cluster.stop();
    let down_at = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let (ready, _, body) = try_get(port, "/ready").unwrap();
    assert_eq!(ready, 503, "/ready while the database is down: {body}");
    for p in paths {
        let (status, head, body) = try_get(port, p).unwrap();
        assert_eq!(status, 503, "{p} while the database is down: {body}");
        assert!(body.contains("Exception") && body.contains("unavailable"), "{body}");
        assert!(head.contains("\r\nretry-after: "), "{p}: 503 without Retry-After: {head}");
    }
    // Every other protocol that reads the database: uncached tiles (a layer and a group), the
    // roof check, GetFeatureInfo, a WFS stored query. Each is 503 with Retry-After and its own
    // report, and none repeats what the backend said.
    let others = [
        ("/milano/tiles/edifici/15/17221/11727.mvt", "unavailable"),
        ("/cmm/tiles/dbt/14/8611/5863.mvt", "unavailable"),
        ("/milano/roofs/at?lon=9.1919&lat=45.4642", "unavailable"),
        ("/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=edifici&QUERY_LAYERS=edifici&STYLES=&CRS=EPSG:32632&BBOX=514000,5034000,515000,5035000&WIDTH=256&HEIGHT=256&I=128&J=128&INFO_FORMAT=application/json", "unavailable"),
        ("/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:navigli:query:BuildingsOfComune&ISTAT=015146&COUNT=1", "unavailable"),
    ];
    for (p, said) in others {
        let (status, head, body) = try_get(port, p).unwrap();
        assert_eq!(status, 503, "{p} while the database is down: {body}");
        assert!(head.contains("\r\nretry-after: "), "{p}: 503 without Retry-After: {head}");
        assert!(body.contains(said), "{p}: {body}");
        for backend in ["connect", "postgres", "127.0.0.1", "refused", "SQLSTATE", "tokio"] {
            assert!(!body.to_ascii_lowercase().contains(&backend.to_ascii_lowercase()), "{p} repeats the backend's '{backend}': {body}");
        }
    }
    let restart_at = Instant::now();
    cluster.start();
    let up_at = Instant::now();
    // Serving again within 5 s, by itself.
    let recovered = loop {
        if try_get(port, paths[0]).is_ok_and(|r| r.0 == 200) && try_get(port, "/ready").is_ok_and(|r| r.0 == 200) {
            break up_at.elapsed();
        }
        assert!(up_at.elapsed() < Duration::from_secs(5), "still not serving 5 s after the database came back");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let log = log.lock().unwrap();
    let during: Vec<_> =
        log.iter().filter(|(t, _, took, _)| *t > down_at + Duration::from_millis(200) && *t + *took < restart_at).collect();
    assert!(!during.is_empty(), "the load ran during the outage");
    for (_, status, took, which) in &during {
        assert!(*status == 503, "answers during the outage are 503, got {status} for {}", paths[*which]);
        assert!(*took < Duration::from_secs(10), "an answer during the outage took {took:?}");
    }
    assert!(log.iter().all(|(_, s, _, _)| *s != 500 && *s != 0), "no 500 and no dropped connection at any time");
    let after: Vec<_> = log.iter().filter(|(t, _, _, _)| *t > up_at + recovered).collect();
    assert!(after.iter().all(|(_, s, _, _)| *s == 200), "every answer after recovery is 200");
    eprintln!(
        "outage: {} requests during it, all 503; recovered {:.1} s after the database returned; {} requests in all",
        during.len(),
        recovered.as_secs_f64(),
        log.len()
    );
}
