//! A test identity provider: keys made with the `openssl` CLI (the JWKS written from `openssl
//! pkey -text_pub`, independently of the JWT library), and a small OpenID Connect provider on
//! 127.0.0.1 (authorization code flow with PKCE S256) that logs in whoever it is told to.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// base64url without padding (RFC 7515).
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// The provider's keys: made with the `openssl` CLI; the JWKS (RSA n/e, EC x/y) is written
/// from `openssl pkey -text_pub`, independently of the JWT library.
pub struct Oidc {
    pub rsa: EncodingKey,
    pub ec: EncodingKey,
    /// A P-256 key the provider does not have.
    pub other_ec: EncodingKey,
    /// The RSA public key as PEM (for the HS256 key-confusion token).
    pub rsa_public_pem: Vec<u8>,
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().expect("the openssl CLI");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The bytes of a hex block of `openssl -text` output (`Modulus:`, `pub:`).
fn hex_block(text: &str, label: &str) -> Vec<u8> {
    let hex: String = text
        .lines()
        .skip_while(|l| l.trim() != label)
        .skip(1)
        .take_while(|l| l.starts_with(' ') && l.trim().chars().all(|c| c.is_ascii_hexdigit() || c == ':'))
        .flat_map(|l| l.chars().filter(char::is_ascii_hexdigit))
        .collect();
    assert!(!hex.is_empty(), "no {label} in:\n{text}");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

impl Oidc {
    /// New keys; the JWKS is written to `dir/jwks.json`.
    pub fn generate(dir: &Path) -> Oidc {
        let f = |n: &str| dir.join(n).display().to_string();
        openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &f("rsa.pem")]);
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &f("ec.pem")]);
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &f("other.pem")]);
        // The JWT library (without its PEM feature) signs with PKCS#1 DER (RSA) and PKCS#8 DER (EC).
        let rsa = EncodingKey::from_rsa_der(&openssl(&["pkey", "-in", &f("rsa.pem"), "-outform", "DER", "-traditional"]));
        let pkcs8 = |pem: &str| openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", &f(pem), "-outform", "DER"]);
        let ec = EncodingKey::from_ec_der(&pkcs8("ec.pem"));
        let other_ec = EncodingKey::from_ec_der(&pkcs8("other.pem"));
        let rsa_text = String::from_utf8(openssl(&["pkey", "-in", &f("rsa.pem"), "-text_pub", "-noout"])).unwrap();
        let ec_text = String::from_utf8(openssl(&["pkey", "-in", &f("ec.pem"), "-text_pub", "-noout"])).unwrap();
        let rsa_public_pem = openssl(&["pkey", "-in", &f("rsa.pem"), "-pubout"]);
        let mut n = hex_block(&rsa_text, "Modulus:");
        while n.first() == Some(&0) {
            n.remove(0);
        }
        let e: u64 = rsa_text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Exponent:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("RSA exponent");
        let e_bytes: Vec<u8> = e.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        let point = hex_block(&ec_text, "pub:");
        assert_eq!((point.len(), point[0]), (65, 4), "uncompressed P-256 point");
        let jwks = json!({ "keys": [
            { "kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": b64url(&n), "e": b64url(&e_bytes) },
            {
                "kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": b64url(&point[1..33]), "y": b64url(&point[33..]),
            },
        ]});
        std::fs::write(dir.join("jwks.json"), jwks.to_string()).unwrap();
        Oidc { rsa, ec, other_ec, rsa_public_pem }
    }

    /// A JWT of `claims` signed by `key`.
    pub fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value, kid: Option<&str>) -> String {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, key).expect("sign")
    }

    /// Signed with the RSA key.
    pub fn rs256(&self, claims: &Value, kid: Option<&str>) -> String {
        Self::sign(Algorithm::RS256, &self.rsa, claims, kid)
    }

    /// Signed with the P-256 key.
    pub fn es256(&self, claims: &Value, kid: Option<&str>) -> String {
        Self::sign(Algorithm::ES256, &self.ec, claims, kid)
    }
}

/// What the provider does wrong, to test that navigli notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehave {
    /// Nothing: a correct provider.
    No,
    /// The ID token carries another nonce.
    WrongNonce,
    /// The ID token is for another client.
    WrongAudience,
}

/// A running provider: its base URL (the issuer) and what it logs users in as.
pub struct Provider {
    /// `http://127.0.0.1:PORT`, also the issuer.
    pub issuer: String,
    /// The subject and roles of the next log-in, and how to misbehave.
    pub user: Arc<Mutex<(String, Vec<String>, Misbehave)>>,
    /// Token requests seen: (client_id, whether the PKCE verifier matched).
    pub token_requests: Arc<Mutex<Vec<(String, bool)>>>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: String,
    challenge: String,
}

fn respond(stream: &mut std::net::TcpStream, status: &str, headers: &[(&str, String)], body: &str) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
}

fn query(s: &str) -> HashMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

impl Provider {
    /// Starts the provider on a free port (a thread; it lives as long as the test process).
    pub fn start(keys: Oidc, jwks: String) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let user = Arc::new(Mutex::new(("operatore-oidc".to_string(), Vec::new(), Misbehave::No)));
        let token_requests = Arc::new(Mutex::new(Vec::new()));
        let (iss, who, seen) = (issuer.clone(), user.clone(), token_requests.clone());
        std::thread::spawn(move || {
            let mut grants: HashMap<String, Grant> = HashMap::new();
            let mut n = 0u64;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let target = line.split(' ').nth(1).unwrap_or("/").to_string();
                let (path, q) = target.split_once('?').unwrap_or((&target, ""));
                match path {
                    "/jwks.json" => respond(&mut stream, "200 OK", &[("Content-Type", "application/json".into())], &jwks),
                    "/authorize" => {
                        let q = query(q);
                        let ok = q.get("response_type").map(String::as_str) == Some("code")
                            && q.get("code_challenge_method").map(String::as_str) == Some("S256")
                            && q.get("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid"));
                        let (Some(redirect), Some(state), true) = (q.get("redirect_uri"), q.get("state"), ok) else {
                            respond(&mut stream, "400 Bad Request", &[], "bad authorization request");
                            continue;
                        };
                        n += 1;
                        let code = format!("code-{n}");
                        grants.insert(
                            code.clone(),
                            Grant {
                                client_id: q.get("client_id").cloned().unwrap_or_default(),
                                redirect_uri: redirect.clone(),
                                nonce: q.get("nonce").cloned().unwrap_or_default(),
                                challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                            },
                        );
                        let state: String = form_urlencoded::byte_serialize(state.as_bytes()).collect();
                        respond(&mut stream, "302 Found", &[("Location", format!("{redirect}?code={code}&state={state}"))], "");
                    }
                    "/token" => {
                        let f = query(&String::from_utf8_lossy(&body));
                        let grant = f.get("code").and_then(|c| grants.remove(c));
                        let Some(g) = grant else {
                            respond(
                                &mut stream,
                                "400 Bad Request",
                                &[("Content-Type", "application/json".into())],
                                r#"{"error":"invalid_grant"}"#,
                            );
                            continue;
                        };
                        let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                        let pkce = b64url(&Sha256::digest(verifier.as_bytes())) == g.challenge;
                        seen.lock().unwrap().push((f.get("client_id").cloned().unwrap_or_default(), pkce));
                        let same_client = f.get("client_id") == Some(&g.client_id) && f.get("redirect_uri") == Some(&g.redirect_uri);
                        if !pkce || !same_client || f.get("grant_type").map(String::as_str) != Some("authorization_code") {
                            respond(
                                &mut stream,
                                "400 Bad Request",
                                &[("Content-Type", "application/json".into())],
                                r#"{"error":"invalid_grant"}"#,
                            );
                            continue;
                        }
                        let (sub, roles, misbehave) = who.lock().unwrap().clone();
                        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                        let claims = json!({
                            "iss": iss, "sub": sub, "iat": now, "exp": now + 300, "roles": roles,
                            "aud": if misbehave == Misbehave::WrongAudience { "someone-else".to_string() } else { g.client_id.clone() },
                            "nonce": if misbehave == Misbehave::WrongNonce { "another".to_string() } else { g.nonce.clone() },
                        });
                        let id_token = keys.rs256(&claims, Some("rsa-1"));
                        let body = json!({ "access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": id_token });
                        respond(&mut stream, "200 OK", &[("Content-Type", "application/json".into())], &body.to_string());
                    }
                    _ => respond(&mut stream, "404 Not Found", &[], ""),
                }
            }
        });
        Provider { issuer, user, token_requests }
    }
}
