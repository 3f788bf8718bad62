//! Read replicas over real PostgreSQL streaming replication: a private primary (the demo data
//! loaded) and a standby made with `pg_basebackup -R`, on this machine. Reads go to the standby,
//! edits to the primary (the standby would refuse them) and reach the standby; killing the
//! standby under a steady read load fails no request (they fall back to the primary), and the
//! standby serves reads again by itself once it is back.
//!
//! Needs PostgreSQL 15 with PostGIS (`scripts/deps.sh test` installs them); under `make test`
//! (`NAVIGLI_REQUIRE_POSTGIS=1`) their absence is a failure, elsewhere a visible skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{get, start, write_config};
use serde_json::{json, Value};

const BIN: &str = "/usr/lib/postgresql/15/bin";
const KEY: &str = "replica-editor-2b4d6f8a0c1e3a5b";

/// Runs a PostgreSQL binary as `postgres` when we are root (initdb refuses root).
fn pg(cmd: &str, args: &[&str]) -> std::process::Output {
    let out = try_pg(cmd, args);
    assert!(out.status.success(), "{cmd} {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

fn try_pg(cmd: &str, args: &[&str]) -> std::process::Output {
    let root = unsafe { libc::geteuid() } == 0;
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &format!("{BIN}/{cmd}")]);
        c
    } else {
        Command::new(format!("{BIN}/{cmd}"))
    };
    c.args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A PostgreSQL cluster, stopped on drop.
struct Cluster {
    data: PathBuf,
    port: u16,
    log: PathBuf,
}

impl Cluster {
    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/navigli", self.port)
    }
    fn start(&self) {
        assert!(self.try_start(), "pg_ctl start: {}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }
    fn try_start(&self) -> bool {
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.data.parent().unwrap().display());
        try_pg("pg_ctl", &["-D", self.data.to_str().unwrap(), "-l", self.log.to_str().unwrap(), "-w", "-o", &opts, "start"])
            .status
            .success()
    }
    /// Starts on a free port, trying another when a concurrent test took the one picked.
    fn start_anywhere(&mut self) {
        for _ in 0..5 {
            if self.try_start() {
                return;
            }
            self.port = free_port();
        }
        panic!("PostgreSQL did not start: {}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }
    fn kill(&self) {
        pg("pg_ctl", &["-D", self.data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{BIN}/pg_ctl"), "-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        let _ = Command::new(format!("{BIN}/pg_ctl")).args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"]).output();
    }
}

/// A directory the postgres user owns.
fn pg_dir(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    if unsafe { libc::geteuid() } == 0 {
        assert!(Command::new("chown").args(["-R", "postgres:", d.to_str().unwrap()]).status().unwrap().success());
    }
    d
}

/// Connections navigli holds on a cluster (its pools are named `navigli`).
fn navigli_connections(url: &str) -> i64 {
    let url = url.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let c = navigli::migrate::connect(&url).await.expect("connect");
            let row = c
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'navigli' AND backend_type = 'client backend'",
                    &[],
                )
                .await
                .unwrap();
            row.get::<_, i64>(0)
        })
    })
    .join()
    .unwrap()
}

/// The number of servizi_pubblici features named `nome`, read straight from a cluster.
fn named_on(url: &str, nome: &str) -> i64 {
    let (url, nome) = (url.to_string(), nome.to_string());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let c = navigli::migrate::connect(&url).await.expect("connect");
            c.query_one("SELECT count(*) FROM servizi_pubblici WHERE nome = $1", &[&nome]).await.unwrap().get::<_, i64>(0)
        })
    })
    .join()
    .unwrap()
}

/// POSTs a JSON body with the editor's key; the status.
fn post_json(port: u16, path: &str, body: &Value) -> u16 {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: ApiKey {KEY}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    raw.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn reads_go_to_the_replica_and_survive_losing_it() {
    if !Path::new(BIN).join("pg_basebackup").exists() {
        assert!(std::env::var_os("NAVIGLI_REQUIRE_POSTGIS").is_none(), "PostgreSQL 15 is required (scripts/deps.sh test)");
        eprintln!("SKIPPED: no PostgreSQL 15 at {BIN} (scripts/deps.sh test installs it)");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap(); // postgres must reach pg/
    let base = pg_dir(dir.path(), "pg");
    // Primary: initdb, start, the demo data.
    let mut primary = Cluster { data: base.join("primary"), port: free_port(), log: base.join("primary.log") };
    pg("initdb", &["-D", primary.data.to_str().unwrap(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
    primary.start_anywhere();
    let admin = format!("postgresql://postgres@127.0.0.1:{}/postgres", primary.port);
    let url = primary.url();
    {
        let (admin, url) = (admin.clone(), url.clone());
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                navigli::migrate::connect(&admin).await.unwrap().batch_execute("CREATE DATABASE navigli").await.unwrap();
                navigli::migrate::run(&url).await.expect("migrations");
                let options = navigli::demo::DemoOptions { size: navigli::demo::DemoSize::Small, seed: 42 };
                navigli::demo::load_postgis(&url, common::comuni(), &options).await.expect("demo data");
            })
        })
        .join()
        .unwrap();
    }
    eprintln!("primary ready with the demo data in {:?}", started.elapsed());
    // Standby: a base backup that streams from the primary.
    let mut standby = Cluster { data: base.join("standby"), port: free_port(), log: base.join("standby.log") };
    pg(
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
            "-D",
            standby.data.to_str().unwrap(),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
    );
    standby.start_anywhere();
    let replica = standby.url();

    // navigli over the pair, with an editor key.
    let config = write_config(dir.path(), common::demo_gpkg());
    let mut text = std::fs::read_to_string(&config).unwrap();
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    text += &format!(
        "\n[[role]]\nname = \"editor\"\nedit = [\"servizi_pubblici\"]\ntenants = [\"*\"]\n\n[[api_key]]\nname = \"Editor\"\nsha256 = \"{digest}\"\nroles = [\"editor\"]\n"
    );
    text = text.replacen(
        "kind = \"gpkg\"",
        &format!("kind = \"postgis\"\nurl = \"{url}\"\nreplicas = [\"{replica}\"]\nmax_replica_lag_s = 30"),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let loaded = Instant::now();
    let server = start(&config, &[]);
    eprintln!("standby and navigli up in {:?}", loaded.elapsed());
    let items = "/milano/ogcapi/collections/servizi_pubblici/items?limit=5&f=json";
    for _ in 0..20 {
        assert_eq!(get(&server, items).0, 200);
    }
    assert!(navigli_connections(&replica) > 0, "reads reach the replica");
    let ready: Value = serde_json::from_str(&get(&server, "/ready").2).unwrap();
    assert_eq!(ready["sources"][0]["replicas"][0]["reads"], true, "{ready}");

    // An edit goes to the primary (the standby is read-only) and streams to the standby.
    let first = get(&server, "/milano/ogcapi/collections/servizi_pubblici/items?limit=1&f=json").2;
    let f: Value = serde_json::from_str(&first).unwrap();
    let c = &f["features"][0]["geometry"]["coordinates"];
    let body = json!({"type": "Feature", "properties": {"tipo": "scuola", "nome": "Scuola replicata"}, "geometry": {"type": "Point", "coordinates": [c[0], c[1]]}});
    let status = post_json(server.port, "/milano/ogcapi/collections/servizi_pubblici/items", &body);
    assert_eq!(status, 201);
    assert_eq!(named_on(&url, "Scuola replicata"), 1, "written on the primary");
    wait_for("the edit reaches the standby", Duration::from_secs(10), || named_on(&replica, "Scuola replicata") == 1);

    // Kill the standby under a steady read load: no read fails.
    let port = server.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0u32, Vec::new());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match common::server::try_get(port, "/milano/ogcapi/collections/servizi_pubblici/items?limit=5&f=json") {
                        Ok((200, _, _)) => ok += 1,
                        Ok((status, _, body)) => failed.push(format!("{status} {}", body.chars().take(200).collect::<String>())),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    standby.kill();
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut ok, mut failed) = (0, Vec::new());
    for r in readers {
        let (o, f) = r.join().unwrap();
        ok += o;
        failed.extend(f);
    }
    assert!(ok > 20, "the readers ran ({ok} reads)");
    // A read in progress on the standby when it died may fail (the goal allows those in flight):
    // at most one per reader.
    assert!(failed.len() <= 4, "{} of {} reads failed after the standby went away: {failed:?}", failed.len(), ok as usize + failed.len());
    let ready: Value = serde_json::from_str(&get(&server, "/ready").2).unwrap();
    assert_eq!(ready["status"], "ready", "the primary still serves: {ready}");
    assert_eq!(ready["sources"][0]["replicas"][0]["reads"], false, "{ready}");
    let metrics = get(&server, "/metrics").2;
    assert!(metrics.contains("navigli_source_replica_up{source=\"main\",replica=\"127.0.0.1:"), "{metrics}");

    // Back by itself: the standby catches up and serves reads again.
    standby.start();
    wait_for("the standby serves reads again", Duration::from_secs(30), || {
        let ready: Value = serde_json::from_str(&get(&server, "/ready").2).unwrap();
        ready["sources"][0]["replicas"][0]["reads"] == true
    });
    for _ in 0..20 {
        assert_eq!(get(&server, items).0, 200);
    }
    assert!(navigli_connections(&replica) > 0, "reads reach the standby again");
    eprintln!("{ok} reads while the standby died, {} failed", failed.len());
}
