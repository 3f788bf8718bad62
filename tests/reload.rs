//! Hot reload: `navigli reload` (SIGHUP) makes the catalog again from the edited `layers.toml`
//! and swaps it in while requests keep arriving — none of them fails — and a configuration that
//! does not load is refused, logged, and the running one kept.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{spawn_server, try_get, write_config};

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn title(port: u16) -> String {
    let (status, _, body) = try_get(port, "/cmm/ogcapi/collections/aree_verdi").expect("GET");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["title"].as_str().unwrap().to_string()
}

fn reload(pid: u32) {
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(["reload", "--pid", &pid.to_string()]).output().expect("navigli reload");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Waits until `f` holds (reloads take a catalog build: a second or two on the demo).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "{what} did not happen within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn reload_swaps_the_configuration_without_failing_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let log = dir.path().join("server.log");
    let (child, port, _) = spawn_server(&config, &[], "info", Some(&log));
    let pid = child.id();
    let _server = Kill(child);
    let original = std::fs::read_to_string(&config).unwrap();
    let first = title(port);

    // Requests keep coming from four clients during the reloads; every answer must be a success.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let paths = [
        "/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,edifici&STYLES=&CRS=CRS:84&BBOX=9.18,45.46,9.20,45.47&WIDTH=256&HEIGHT=256&FORMAT=image/png",
        "/milano/tiles/dbt/14/8610/5863.mvt",
        "/cmm/ogcapi/collections/edifici/items?limit=50",
        "/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=servizi_pubblici&COUNT=20",
    ];
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (stop, served, failed) = (stop.clone(), served.clone(), failed.clone());
            let path = paths[i % paths.len()].to_string();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match try_get(port, &path) {
                        Ok((200 | 204, _, _)) => served.fetch_add(1, Ordering::Relaxed),
                        Ok((s, _, body)) => {
                            eprintln!("{s} for {path}: {}", body.chars().take(200).collect::<String>());
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(e) => {
                            eprintln!("{path}: {e}");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();

    // 1. An edited title and a removed layer, swapped in.
    let edited = original.replacen(&format!("title = \"{first}\""), "title = \"Aree verdi (ricaricato)\"", 1);
    assert_ne!(edited, original, "the title line was found");
    let without_roofs: Vec<&str> = edited.split("\n[[layer]]\n").filter(|b| !b.contains("name = \"tetti_verdi\"")).collect();
    std::fs::write(&config, without_roofs.join("\n[[layer]]\n")).unwrap();
    reload(pid);
    eventually("the new title", || title(port) == "Aree verdi (ricaricato)");
    let (status, _, _) = try_get(port, "/cmm/ogcapi/collections/tetti_verdi").unwrap();
    assert_eq!(status, 404, "the removed layer is gone");

    // 2. A broken file is refused; the running configuration stays.
    std::fs::write(&config, format!("{original}\n[[layer]]\nname = \n")).unwrap();
    reload(pid);
    eventually("the refusal in the log", || std::fs::read_to_string(&log).unwrap_or_default().contains("reload refused"));
    assert_eq!(title(port), "Aree verdi (ricaricato)");
    let metrics = try_get(port, "/metrics").unwrap().2;
    assert!(metrics.contains("navigli_reloads_total{result=\"ok\"} 1"), "{metrics}");
    assert!(metrics.contains("navigli_reloads_total{result=\"refused\"} 1"), "{metrics}");

    // 3. Back to the original, twice in a row.
    std::fs::write(&config, &original).unwrap();
    reload(pid);
    reload(pid);
    eventually("the original title", || title(port) == first);
    // However fast the reloads were, the clients have been served a fair number of times.
    eventually("40 answers to the clients", || served.load(Ordering::Relaxed) >= 40);

    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let (served, failed) = (served.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(served > 20, "the clients were served during the reloads: {served}");
    assert_eq!(failed, 0, "{failed} requests failed during the reloads ({served} served)");
}

/// On PostGIS every catalog LISTENs for data changes on its own connection: after reloads only
/// the current catalog's listener is left (the old ones end with their catalog).
#[test]
fn reloads_leave_one_change_listener() {
    let Some(url) = common::demo_postgis() else {
        eprintln!("NOTE: no PostGIS (NAVIGLI_TEST_DATABASE_URL): listener test not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let log = dir.path().join("server.log");
    let source = format!("main={url}");
    let (child, _port, _) = spawn_server(&config, &["--source", &source], "info", Some(&log));
    let pid = child.id();
    let _server = Kill(child);
    let listeners = || -> i64 {
        let out = Command::new("psql")
            .args(["-tA", url, "-c", &format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'navigli-listen-{pid}'")])
            .output()
            .expect("psql");
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(-1)
    };
    eventually("the first listener", || listeners() == 1);
    for i in 1..=3 {
        reload(pid);
        eventually("the reload", || std::fs::read_to_string(&log).unwrap_or_default().matches("configuration reloaded").count() >= i);
    }
    // Old listeners end within the watcher's check interval (5 s).
    eventually("one listener left", || listeners() == 1);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(listeners(), 1);
}
