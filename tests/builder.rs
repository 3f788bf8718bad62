//! End-to-end: the browser app builder (`/{tenant}/admin/apps`, the builder bundle of `web/`) in
//! headless Chromium over the real binary: an operator of Milano logs in with an API key through
//! the form (session cookie HttpOnly + SameSite=Strict), gets a 422 shown beside the field,
//! composes an app of one MVT, one WMS and one WFS layer with six tools, publishes two revisions,
//! compares them and rolls back to the first; an anonymous browser then opens the app and every
//! layer draws; Rho's operator gets 403; axe-core finds no serious or critical violation on the
//! log-in form and the builder; no request leaves the server's origin. The browser script
//! (`tests/fixtures/builder_check.mjs`) only reports; this file judges. Also, without a browser:
//! a session cannot change anything without its CSRF token, and the cookie is no credential for
//! another comune.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

const KEY_MILANO: &str = "chiave-operatore-milano-di-prova";
const KEY_RHO: &str = "chiave-operatore-rho-di-prova";

fn server() -> (common::server::Server, tempfile::TempDir) {
    server_with(tempfile::tempdir().unwrap(), "")
}

/// The shipped configuration with an operator role and key for Milano and for Rho, plus `extra`.
fn server_with(dir: tempfile::TempDir, extra: &str) -> (common::server::Server, tempfile::TempDir) {
    let config = common::server::write_config(dir.path(), common::demo_gpkg());
    let mut text = std::fs::read_to_string(&config).unwrap();
    for (role, tenant, holder, key) in
        [("op_milano", "milano", "Operatore Milano", KEY_MILANO), ("op_rho", "rho", "Operatore Rho", KEY_RHO)]
    {
        let digest: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        text += &format!(
            "\n[[role]]\nname = \"{role}\"\nlayers = []\napps = true\ntenants = [\"{tenant}\"]\n\n\
             [[api_key]]\nname = \"{holder}\"\nsha256 = \"{digest}\"\nroles = [\"{role}\"]\n"
        );
    }
    text += extra;
    std::fs::write(&config, text).unwrap();
    (common::server::start(&config, &[]), dir)
}

fn serious(violations: &Value) -> Vec<&Value> {
    violations.as_array().expect("axe list").iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
}

#[test]
fn an_operator_composes_and_publishes_an_app_in_chromium() {
    let hint = "run scripts/deps.sh test (it runs scripts/web.sh)";
    assert!(Path::new("/usr/bin/chromium").exists(), "/usr/bin/chromium is missing ({hint})");
    assert!(common::root().join("web/dist/manifest.json").exists(), "the web bundle is missing ({hint})");
    let (server, dir) = server();
    let mut cmd = Command::new("node");
    cmd.arg(common::root().join("tests/fixtures/builder_check.mjs"))
        .args([server.base(), common::root().join("target/npm").display().to_string(), dir.path().display().to_string()])
        .args(["milano", KEY_MILANO, KEY_RHO]);
    let report = common::run_report(cmd, "builder check", hint, Duration::from_secs(170));
    assert!(report["error"].is_null(), "the browser session failed: {}", report["error"].as_str().unwrap_or_default());
    for list in ["foreign", "console_errors"] {
        assert!(report[list].as_array().is_some_and(Vec::is_empty), "{list}: {}", report[list]);
    }
    // Log-in: the builder sends the browser to the form; a wrong key is refused; the session
    // cookie is HttpOnly and SameSite=Strict.
    assert_eq!(report["login_url"], "/milano/login");
    assert_eq!(report["bad_key"], "Chiave non valida.");
    assert_eq!(report["builder_url"], "/milano/admin/apps");
    assert_eq!(report["cookies"], serde_json::json!([{ "httpOnly": true, "sameSite": "Strict" }]));
    // The 422: its pointer listed, the field marked invalid.
    assert_eq!(report["problems"], serde_json::json!(["/title"]));
    assert_eq!(report["title_invalid"], "true");
    // Worded in the page's language (Italian), as the server wrote it.
    assert_eq!(report["problem_texts"], serde_json::json!(["/title il titolo non può essere vuoto"]), "{}", report["problem_texts"]);
    // Publish, publish again, compare, roll back: the published document is revision 1's.
    assert_eq!(report["published1"], "Pubblicata: revisione 1.");
    assert_eq!(report["diff"], serde_json::json!(["/title"]));
    let doc = &report["published_doc"];
    assert_eq!(doc["title"], "Prova dal browser", "{doc}");
    let layers: Vec<(String, String)> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap().to_string(), l["service"].as_str().unwrap().to_string()))
        .collect();
    let mut sorted = layers.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [("comuni", "wms"), ("edifici", "mvt"), ("servizi_pubblici", "wfs")].map(|(a, b)| (a.to_string(), b.to_string())),
        "{doc}"
    );
    assert_eq!(doc["tools"], serde_json::json!(["identify", "legend", "search", "measure", "geolocate", "permalink"]));
    // The anonymous viewer draws each layer kind.
    assert_eq!(report["viewer_title"], "Prova dal browser");
    let px = &report["viewer_pixels"];
    for layer in ["nv-wms-comuni", "nv-edifici", "nv-servizi_pubblici"] {
        assert!(px[layer].as_u64().unwrap_or(0) > 100, "{layer} drew nothing: {px}");
    }
    assert_eq!(report["anonymous_api_status"], 401);
    // Rho's operator: 403 on Milano's builder page and API.
    assert_eq!((report["other_status"].as_u64(), report["other_api_status"].as_u64()), (Some(403), Some(403)));
    assert!(serious(&report["axe_login"]).is_empty(), "axe (log-in): {}", report["axe_login"]);
    assert!(serious(&report["axe_builder"]).is_empty(), "axe (builder): {}", report["axe_builder"]);
}

/// A raw HTTP/1.1 request (the harness client only GETs): status, headers and body.
fn request(port: u16, head: &str, body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, headers.to_string(), body.to_string())
}

#[test]
fn sessions_need_their_csrf_token_and_stay_in_their_comune() {
    let (server, _dir) = server();
    // The form's double-submitted token: a log-in without it is refused.
    let (status, _, _) = request(
        server.port,
        "POST /milano/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
        &format!("key={KEY_MILANO}&form_token=x"),
    );
    assert_eq!(status, 403, "log-in without the form's cookie");
    let (status, headers, page) = request(server.port, "GET /milano/login HTTP/1.1", "");
    assert_eq!(status, 200);
    let form_cookie =
        headers.lines().find_map(|l| l.strip_prefix("set-cookie: navigli_login=")).unwrap().split(';').next().unwrap().to_string();
    assert!(page.contains(&format!("value=\"{form_cookie}\"")));
    let (status, headers, _) = request(
        server.port,
        &format!("POST /milano/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nCookie: navigli_login={form_cookie}"),
        &format!("key={KEY_MILANO}&form_token={form_cookie}&next=https%3A%2F%2Fevil.example%2F"),
    );
    assert_eq!(status, 303);
    assert!(headers.contains("location: /milano/admin/apps\r\n"), "next must stay on this server: {headers}");
    let session = headers.lines().find_map(|l| l.strip_prefix("set-cookie: navigli_session=")).expect("a session cookie").to_string();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let token = session.split(';').next().unwrap().to_string();
    let cookie = format!("Cookie: navigli_session={token}");
    // Reads work with the cookie; the page carries the CSRF token.
    let (status, _, body) = request(server.port, &format!("GET /milano/admin/apps HTTP/1.1\r\n{cookie}\r\nAccept: text/html"), "");
    assert_eq!(status, 200);
    let csrf = body.split("\"csrf\":\"").nth(1).and_then(|r| r.split('"').next()).expect("the CSRF token in the page").to_string();
    assert_eq!(csrf.len(), 64);
    let doc = r#"{"version":1,"title":"Da sessione","layers":[{"name":"comuni","service":"wms"}]}"#;
    // A change without the token (what a forged cross-site request would be): 403, nothing saved.
    let (status, _, body) =
        request(server.port, &format!("PUT /milano/admin/apps/sessione HTTP/1.1\r\n{cookie}\r\nContent-Type: application/json"), doc);
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = request(server.port, &format!("GET /milano/admin/apps/sessione HTTP/1.1\r\n{cookie}"), "");
    assert_eq!(status, 404, "nothing was saved");
    // With a wrong token: 403; with the right one: saved.
    let (status, _, _) =
        request(server.port, &format!("PUT /milano/admin/apps/sessione HTTP/1.1\r\n{cookie}\r\nX-CSRF-Token: {}", "0".repeat(64)), doc);
    assert_eq!(status, 403);
    let (status, _, body) =
        request(server.port, &format!("PUT /milano/admin/apps/sessione HTTP/1.1\r\n{cookie}\r\nX-CSRF-Token: {csrf}"), doc);
    assert_eq!(status, 201, "{body}");
    // The same session is no operator of Rho; a tampered cookie is nobody.
    let (status, _, _) = request(server.port, &format!("GET /rho/admin/apps HTTP/1.1\r\n{cookie}"), "");
    assert_eq!(status, 403);
    let tampered = format!("Cookie: navigli_session={}x", token);
    let (status, _, _) = request(server.port, &format!("GET /milano/admin/apps HTTP/1.1\r\n{tampered}"), "");
    assert_eq!(status, 401);
    // Log-out needs the token too, then clears the cookie.
    let (status, _, _) = request(server.port, &format!("POST /milano/logout HTTP/1.1\r\n{cookie}"), "");
    assert_eq!(status, 403);
    let (status, headers, _) = request(server.port, &format!("POST /milano/logout HTTP/1.1\r\n{cookie}\r\nX-CSRF-Token: {csrf}"), "");
    assert_eq!(status, 303);
    assert!(headers.contains("set-cookie: navigli_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"), "{headers}");
}

/// The value of a response's `set-cookie: NAME=…` (up to the first `;`).
fn set_cookie(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|l| l.strip_prefix(&format!("set-cookie: {name}="))).map(|v| v.split(';').next().unwrap().to_string())
}

fn location(headers: &str) -> String {
    headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("location: "))
        .map(|l| l["location: ".len()..].trim().to_string())
        .expect("a Location header")
}

/// Port and path-with-query of an `http://127.0.0.1:PORT/…` URL.
fn split_url(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://127.0.0.1:").expect("a loopback URL");
    let (port, path) = rest.split_once('/').unwrap();
    (port.parse().unwrap(), format!("/{path}"))
}

#[test]
fn an_operator_logs_in_through_the_identity_provider_with_pkce() {
    use common::oidc::{Misbehave, Oidc, Provider};
    let dir = tempfile::tempdir().unwrap();
    let keys = Oidc::generate(dir.path());
    let jwks = std::fs::read_to_string(dir.path().join("jwks.json")).unwrap();
    let provider = Provider::start(keys, jwks);
    let iss = &provider.issuer;
    let extra = format!(
        "\n[oidc]\nissuer = \"{iss}\"\naudience = \"navigli-api\"\njwks_url = \"{iss}/jwks.json\"\n\n\
         [oidc.login]\nauthorization_endpoint = \"{iss}/authorize\"\ntoken_endpoint = \"{iss}/token\"\nclient_id = \"navigli-builder\"\nlabel = \"Provider di prova\"\n"
    );
    let (server, _dir) = server_with(dir, &extra);
    *provider.user.lock().unwrap() = ("mario.rossi".into(), vec!["op_milano".into()], Misbehave::No);

    // The log-in page offers the provider.
    let (status, _, page) = request(server.port, "GET /milano/login HTTP/1.1", "");
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/milano/login/oidc?next=%2Fmilano%2Fadmin%2Fapps\"") && page.contains("Provider di prova"), "{page}");

    // One whole log-in: navigli → provider → navigli, returning the flow cookie.
    let log_in = |tamper_state: bool, with_cookie: bool| -> (u16, String, String) {
        let (status, headers, _) = request(server.port, "GET /milano/login/oidc?next=%2Fmilano%2Fadmin%2Fapps HTTP/1.1", "");
        assert_eq!(status, 302, "{headers}");
        let flow = set_cookie(&headers, "navigli_oidc").expect("the flow cookie");
        assert!(headers.contains("Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600"), "{headers}");
        let to = location(&headers);
        assert!(to.starts_with(&format!("{iss}/authorize?response_type=code&client_id=navigli-builder&redirect_uri=")), "{to}");
        assert!(to.contains("code_challenge_method=S256") && to.contains("&nonce=") && to.contains("&state="), "{to}");
        let (port, path) = split_url(&to);
        let (status, headers, _) = request(port, &format!("GET {path} HTTP/1.1"), "");
        assert_eq!(status, 302, "the provider: {headers}");
        let back = location(&headers);
        let (port, mut path) = split_url(&back);
        assert_eq!(port, server.port);
        assert!(path.starts_with("/auth/oidc/callback?code="), "{path}");
        if tamper_state {
            path = path.replace("state=", "state=0");
        }
        let cookie = if with_cookie { format!("\r\nCookie: navigli_oidc={flow}") } else { String::new() };
        request(server.port, &format!("GET {path} HTTP/1.1{cookie}"), "")
    };

    // The provider's keys are fetched at start: wait for them (bounded).
    let started = std::time::Instant::now();
    let (status, headers, body) = loop {
        let r = log_in(false, true);
        if r.0 != 401 || started.elapsed() > Duration::from_secs(10) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 200, "{headers}\n{body}");
    assert!(body.contains("http-equiv=\"refresh\" content=\"0;url=/milano/admin/apps\""), "{body}");
    let session = set_cookie(&headers, "navigli_session").expect("a session");
    assert!(headers.contains("navigli_oidc=; Path=/auth/oidc"), "the flow cookie is cleared: {headers}");
    assert_eq!(
        provider.token_requests.lock().unwrap().last(),
        Some(&("navigli-builder".to_string(), true)),
        "PKCE verifier sent and matching"
    );
    let (status, _, page) =
        request(server.port, &format!("GET /milano/admin/apps HTTP/1.1\r\nAccept: text/html\r\nCookie: navigli_session={session}"), "");
    assert_eq!(status, 200);
    assert!(page.contains("\"user\":\"mario.rossi\""), "the builder is the provider's user's");
    let (status, _, _) = request(server.port, &format!("GET /rho/admin/apps HTTP/1.1\r\nCookie: navigli_session={session}"), "");
    assert_eq!(status, 403, "the provider's roles name Milano only");

    // What must fail: another state, no flow cookie (another browser), a token for another
    // client or another log-in (nonce); the code cannot be used twice.
    assert_eq!(log_in(true, true).0, 400, "a state that is not this log-in's");
    assert_eq!(log_in(false, false).0, 400, "no log-in in progress in this browser");
    for misbehave in [Misbehave::WrongNonce, Misbehave::WrongAudience] {
        provider.user.lock().unwrap().2 = misbehave;
        let (status, headers, _) = log_in(false, true);
        assert_eq!(status, 401, "{misbehave:?}");
        assert!(set_cookie(&headers, "navigli_session").is_none(), "{misbehave:?} opened a session");
    }
}
