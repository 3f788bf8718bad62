//! The end-to-end harness: the real `navigli` binary on a port it picks itself (over the demo
//! GeoPackage, or PostGIS with `--source main=URL`), a tiny HTTP/1.1 GET client, and the
//! official OGC schemas through `../shared/tools/ogc-validate`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server, killed on drop.
pub struct Server {
    /// The process.
    pub child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// Time from spawn to the first `/health` answer.
    pub startup: Duration,
}

impl Server {
    /// `http://127.0.0.1:PORT`, the prefix of every URL the server writes about itself.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a copy of `layers.toml` with absolute paths and the given source path.
pub fn write_config(dir: &Path, gpkg: &Path) -> PathBuf {
    let text = std::fs::read_to_string(super::root().join("layers.toml")).unwrap();
    let text = text
        .replace("path = \"data/demo.gpkg\"", &format!("path = {:?}", gpkg.display().to_string()))
        .replace("comuni = \"data/comuni.csv\"", &format!("comuni = {:?}", super::root().join("data/comuni.csv").display().to_string()))
        .replacen(
            "[server]\n",
            &format!(
                "[server]\nstyles_dir = {:?}\nweb_dir = {:?}\n",
                super::root().join("styles").display().to_string(),
                super::root().join("web/dist").display().to_string()
            ),
            1,
        );
    let path = dir.join("layers.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `navigli serve` with `config` (plus `extra` arguments) and waits for `/health`.
pub fn start(config: &Path, extra: &[&str]) -> Server {
    let (child, port, startup) = spawn_server(config, extra, "warn", None);
    Server { child, port, startup }
}

/// Spawns `navigli serve` on a port the server picks itself (`--bind 127.0.0.1:0`: no port can
/// be taken by another test between choosing and binding it), reads the address it announces
/// on stdout, and returns once it answers `/health`: (process, port, time to the first
/// answer). Its stdout and stderr go to `log`, or stdout is discarded and stderr inherited.
pub fn spawn_server(config: &Path, extra: &[&str], rust_log: &str, log: Option<&Path>) -> (Child, u16, Duration) {
    spawn_server_env(config, extra, rust_log, log, &[])
}

/// [`spawn_server`] with environment variables set for the server.
pub fn spawn_server_env(config: &Path, extra: &[&str], rust_log: &str, log: Option<&Path>, env: &[(&str, &str)]) -> (Child, u16, Duration) {
    spawn_server_with(config, extra, rust_log, log, env, false)
}

/// [`spawn_server_env`]; with `die_with_thread`, the server is killed when the spawning thread
/// ends (Linux `PR_SET_PDEATHSIG`), for servers kept in statics, whose `Drop` never runs.
pub fn spawn_server_with(
    config: &Path,
    extra: &[&str],
    rust_log: &str,
    log: Option<&Path>,
    env: &[(&str, &str)],
    die_with_thread: bool,
) -> (Child, u16, Duration) {
    let started = Instant::now();
    let log_file = log.map(|l| std::fs::File::create(l).unwrap_or_else(|e| panic!("{}: {e}", l.display())));
    let stderr = match &log_file {
        Some(f) => Stdio::from(f.try_clone().expect("log file")),
        None => Stdio::inherit(),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_navigli"));
    command
        .args(["serve", "--config", config.to_str().unwrap(), "--bind", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", rust_log)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr);
    if die_with_thread {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    let mut child = command.spawn().expect("spawn navigli");
    // One thread reads stdout for the whole life of the server (it logs there): it reports the
    // announced port, then copies (or drops) the rest.
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<u16>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut out = log_file;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line
                .strip_prefix("navigli listening on http://127.0.0.1:")
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse().ok())
            {
                let _ = tx.send(port);
            }
            if let Some(f) = out.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });
    let port = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(port) => break port,
            Err(_) => {
                if let Ok(Some(status)) = child.try_wait() {
                    let text = log.and_then(|l| std::fs::read_to_string(l).ok()).unwrap_or_default();
                    panic!("navigli exited early: {status}\n{text}");
                }
                assert!(started.elapsed() < Duration::from_secs(120), "navigli did not announce its address within 120 s");
            }
        }
    };
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok((200, _, _)) = try_get(port, "/health") {
            return (child, port, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("navigli did not answer /health within 120 s");
}

/// Decodes a `Transfer-Encoding: chunked` body.
pub fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        raw = &raw[eol + 2..];
        if size == 0 || raw.len() < size {
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or(&[]);
    }
    out
}

/// One GET: (status, lower-cased head, body). Chunked bodies are decoded.
pub fn try_get(port: u16, path: &str) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).trim_end().to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
}

/// One GET returning the raw body bytes (for images): (status, lower-cased head, body).
pub fn get_bytes(server: &Server, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).trim_end().to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head, body)
}

/// GET `path` (which starts with `/`) or panic.
pub fn get(server: &Server, path: &str) -> (u16, String, String) {
    try_get(server.port, path).unwrap_or_else(|e| panic!("GET {}: {e}", path.chars().take(300).collect::<String>()))
}

/// GET a JSON document (status 200) or panic.
pub fn json(server: &Server, path: &str) -> serde_json::Value {
    let (status, _, body) = get(server, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// Path of `../shared/tools/ogc-validate`, or `None` (with a note) outside the workspace.
pub fn ogc_validate_tool(what: &str) -> Option<PathBuf> {
    let tool = super::root().join("../shared/tools/ogc-validate");
    if tool.exists() {
        Some(tool)
    } else {
        eprintln!("SKIPPED schema validation of {what}: ../shared/tools/ogc-validate is absent (outside the navigli workspace)");
        None
    }
}

/// Validates XML with the official schemas, when `../shared` and lxml are available.
pub fn ogc_validate(xml: &str, name: &str) {
    ogc_validate_all(&[(xml, name)]);
}

/// Validates several documents in one run of the validator (it loads the schemas once).
/// Application schemas named by `xsi:schemaLocation` are fetched from the (loopback) server,
/// which must still be running.
pub fn ogc_validate_all(docs: &[(&str, &str)]) {
    let names: Vec<&str> = docs.iter().map(|(_, n)| *n).collect();
    let Some(tool) = ogc_validate_tool(&names.join(", ")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (xml, name)) in docs.iter().enumerate() {
        let file = dir.path().join(format!("{i:02}-{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        files.push(file);
    }
    let out = Command::new("/usr/bin/python3").arg(&tool).args(&files).output().expect("run ogc-validate");
    let report = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let invalid: Vec<&str> = docs
            .iter()
            .enumerate()
            .filter(|(i, _)| !report.lines().any(|l| l.starts_with("VALID") && l.contains(&format!("/{i:02}-"))))
            .map(|(_, (xml, _))| *xml)
            .collect();
        let shown: Vec<String> = invalid.iter().map(|x| x.chars().take(3000).collect()).collect();
        panic!("not schema-valid:\n{report}\n{}\n{}", String::from_utf8_lossy(&out.stderr), shown.join("\n-----\n"));
    }
}

/// A server over the demo GeoPackage, with its temporary directory.
pub fn demo_server() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), super::demo_gpkg());
    (start(&config, &[]), dir)
}

/// A server over the demo GeoPackage with the demo apps published (`navigli apps demo`) in its
/// own app store, with its temporary directory.
pub fn demo_apps_server() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), super::demo_gpkg());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_navigli"))
        .args(["apps", "demo", "--config"])
        .arg(&config)
        .output()
        .expect("navigli apps demo");
    assert!(out.status.success(), "navigli apps demo failed: {}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("/milano/apps/mappa (revision 1)"), "{printed}");
    assert!(printed.contains("/cmm/apps/mappa-metropolitana"), "{printed}");
    (start(&config, &[]), dir)
}

/// A server over the demo data in PostGIS (`--source main=URL`), when a database is available.
pub fn postgis_server() -> Option<(Server, tempfile::TempDir)> {
    let url = super::demo_postgis()?;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), super::demo_gpkg());
    Some((start(&config, &["--source", &format!("main={url}")]), dir))
}
