//! Authentication: turns a request's credentials into a [`Caller`]. Two kinds are accepted, in
//! the `Authorization` header (`Bearer …`, or `ApiKey …`) or, for clients such as QGIS that
//! cannot set headers, in an `apikey` query parameter (never logged: the access log records
//! paths only):
//! - **API keys**, stored only as their SHA-256 — in `layers.toml` (`[[api_key]]`) or in the
//!   database table `navigli_api_keys` (re-read every `api_keys_refresh_s`, so revocations take
//!   effect without a restart) — compared in constant time;
//! - **OIDC bearer JWTs** (RS256, ES256), signature checked against the provider's JWKS (a file,
//!   or a URL fetched at start and every `jwks_refresh_s` for key rotation), `iss`, `aud`, `exp`
//!   and `nbf` checked (`[oidc]`); roles come from a claim.
//!
//! - **sessions** of the app builder: a signed cookie (HS256 over `[server] session_secret`)
//!   made when an operator logs in with a key ([`Authenticator::login_with_key`]); it carries
//!   the key's digest, so the key's current roles apply and a revoked key ends its sessions.
//!   A session authorises reads; any other method also needs its CSRF token in the
//!   `X-CSRF-Token` header ([`Authenticator::session_caller`]).
//!
//! Roles (`[[role]]`) grant restricted layers per tenant; the grants travel with the caller and
//! `catalog::Layer::visible_to` is the one authorisation check every protocol goes through.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::config::{ApiKeyConfig, Config, OidcConfig, RoleConfig};

/// Who is asking: nobody in particular, or the holder of valid credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    /// No credentials.
    #[default]
    Anonymous,
    /// Valid credentials (an API key or a token), with what its roles grant.
    Authenticated {
        /// Key holder or token subject (for logs).
        name: String,
        /// Restricted layers granted, per tenant.
        grants: Vec<Grant>,
        /// Tenants (ids or slugs, `*` for all) whose web map apps it may compose and publish.
        app_tenants: Vec<String>,
        /// The names of its roles (that exist in the configuration).
        roles: Vec<String>,
    },
}

/// A layer granted to a caller in some tenants: to see (a restricted layer) or to edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Layer name.
    pub layer: String,
    /// Tenant ids or slugs; `*` for all.
    pub tenants: Vec<String>,
    /// The grant is to edit the layer's features (which includes seeing them).
    pub edit: bool,
}

impl Grant {
    fn covers(&self, layer: &str, tenant_id: &str, tenant_slug: Option<&str>) -> bool {
        self.layer == layer && self.tenants.iter().any(|t| t == "*" || t == tenant_id || tenant_slug == Some(t.as_str()))
    }
}

impl Caller {
    /// Whether the caller's grants cover the restricted layer `layer` in the tenant with this
    /// id and slug (the catalog's `Layer::visible_to` asks it).
    pub fn granted(&self, layer: &str, tenant_id: &str, tenant_slug: Option<&str>) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Authenticated { grants, .. } => grants.iter().any(|g| g.covers(layer, tenant_id, tenant_slug)),
        }
    }

    /// Whether the caller's roles let it edit `layer` in the tenant with this id and slug.
    pub fn may_edit(&self, layer: &str, tenant_id: &str, tenant_slug: Option<&str>) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Authenticated { grants, .. } => grants.iter().any(|g| g.edit && g.covers(layer, tenant_id, tenant_slug)),
        }
    }

    /// Whether the caller holds one of `roles`.
    pub fn has_any_role(&self, wanted: &[String]) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Authenticated { roles, .. } => roles.iter().any(|r| wanted.contains(r)),
        }
    }

    /// Whether the caller may compose, publish and delete the web map apps of the tenant with
    /// this id and slug (a role with `apps = true` covering the tenant).
    pub fn may_manage_apps(&self, tenant_id: &str, tenant_slug: Option<&str>) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Authenticated { app_tenants, .. } => {
                app_tenants.iter().any(|t| t == "*" || t == tenant_id || tenant_slug == Some(t.as_str()))
            }
        }
    }

    /// The name to record in the audit trail (`anonymous` without credentials).
    pub fn name(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Authenticated { name, .. } => name,
        }
    }

    /// Whether the caller presented valid credentials.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Caller::Authenticated { .. })
    }
}

/// Credentials were given but are not valid (→ 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(pub String);

/// Parses a JWKS document (RSA and EC P-256 keys).
pub fn parse_jwks(text: &str) -> Result<jsonwebtoken::jwk::JwkSet, String> {
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(text).map_err(|e| format!("not a JWKS document: {e}"))?;
    if set.keys.is_empty() {
        return Err("no keys".into());
    }
    for k in &set.keys {
        jsonwebtoken::DecodingKey::from_jwk(k).map_err(|e| format!("key {:?}: {e}", k.common.key_id))?;
    }
    Ok(set)
}

/// A provider key: its `kid`, the key, and the algorithm it verifies.
type ProviderKey = (Option<String>, jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm);

struct Oidc {
    config: OidcConfig,
    keys: RwLock<Vec<ProviderKey>>,
}

/// The RS256 / ES256 keys of a JWKS document (other kinds are skipped).
fn decoding_keys(text: &str) -> Result<Vec<ProviderKey>, String> {
    let set = parse_jwks(text)?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let alg = match &jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => jsonwebtoken::Algorithm::RS256,
            jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => jsonwebtoken::Algorithm::ES256,
            _ => continue,
        };
        keys.push((jwk.common.key_id.clone(), key, alg));
    }
    Ok(keys)
}

/// Largest JWKS document fetched, bytes.
const MAX_JWKS_BYTES: u64 = 1 << 20;

/// Fetches a JWKS document (blocking; 10 s timeout, 1 MiB cap, no redirects to other schemes).
pub fn fetch_jwks(url: &str) -> Result<String, String> {
    if !crate::config::jwks_url_allowed(url) {
        return Err("jwks_url must be https:// (or http:// to this machine)".into());
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .max_redirects(3)
        .https_only(url.starts_with("https://"))
        .build()
        .into();
    let mut resp = agent.get(url).call().map_err(|e| format!("GET {url}: {e}"))?;
    resp.body_mut().with_config().limit(MAX_JWKS_BYTES).read_to_string().map_err(|e| format!("GET {url}: {e}"))
}

/// Exchanges a log-in's authorization code at the provider's token endpoint (with the PKCE
/// verifier, and the client secret when configured) and returns the ID token. Blocking: call it
/// on a blocking thread. The provider's error text is not passed on (it may echo the code).
pub fn exchange_code(login: &crate::config::OidcLoginConfig, code: &str, redirect_uri: &str, verifier: &str) -> Result<String, String> {
    let url = &login.token_endpoint;
    if !crate::config::jwks_url_allowed(url) {
        return Err("token_endpoint must be https:// (or http:// to this machine)".into());
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .max_redirects(0)
        .https_only(url.starts_with("https://"))
        .http_status_as_error(false)
        .build()
        .into();
    let secret = std::env::var("NAVIGLI_OIDC_CLIENT_SECRET").ok().filter(|s| !s.is_empty()).or_else(|| login.client_secret.clone());
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", &login.client_id),
        ("code_verifier", verifier),
    ];
    if let Some(s) = &secret {
        form.push(("client_secret", s));
    }
    let mut resp = agent.post(url).send_form(form).map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().with_config().limit(MAX_JWKS_BYTES).read_to_string().map_err(|e| format!("POST {url}: {e}"))?;
    if status != 200 {
        return Err(format!("the token endpoint answered {status}"));
    }
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| "the token endpoint's answer is not JSON".to_string())?;
    json.get("id_token").and_then(|t| t.as_str()).map(str::to_string).ok_or_else(|| "the token endpoint gave no id_token".into())
}

/// base64url without padding (RFC 4648 §5), as PKCE's S256 challenge wants it.
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// Reads the unexpired rows of `navigli_api_keys`.
pub async fn read_db_keys(url: &str) -> Result<Vec<ApiKeyConfig>, String> {
    let client = crate::migrate::connect(url).await.map_err(|e| e.to_string())?;
    let rows = client
        .query("SELECT name, sha256, roles FROM navigli_api_keys WHERE expires_at IS NULL OR expires_at > now()", &[])
        .await
        .map_err(|e| format!("navigli_api_keys: {e}"))?;
    Ok(rows.iter().map(|r| ApiKeyConfig { name: r.get(0), sha256: r.get(1), roles: r.get(2) }).collect())
}

/// Starts the background refreshes an [`Authenticator`] needs: database keys and a JWKS URL.
/// Each keeps the last good set when a refresh fails (and logs why).
pub fn spawn_refresh(auth: Arc<Authenticator>) {
    // The loops hold the authenticator weakly: a reload that replaces it ends them.
    if let Some((url, every)) = auth.db_source.clone() {
        let weak = Arc::downgrade(&auth);
        tokio::spawn(async move {
            loop {
                let Some(auth) = weak.upgrade() else { break };
                match read_db_keys(&url).await {
                    Ok(rows) => {
                        tracing::debug!("{} API keys from the database", rows.len());
                        auth.set_db_keys(rows);
                    }
                    Err(e) => tracing::warn!("API keys not refreshed: {e}"),
                }
                drop(auth);
                tokio::time::sleep(every).await;
            }
        });
    }
    if let Some(url) = auth.oidc.as_ref().and_then(|o| o.config.jwks_url.clone()) {
        let every = Duration::from_secs(auth.oidc.as_ref().map_or(300, |o| o.config.jwks_refresh_s).max(1));
        let weak = Arc::downgrade(&auth);
        tokio::spawn(async move {
            loop {
                let Some(auth) = weak.upgrade() else { break };
                let u = url.clone();
                match tokio::task::spawn_blocking(move || fetch_jwks(&u)).await {
                    Ok(Ok(text)) => match auth.set_jwks(&text) {
                        Ok(n) => tracing::debug!("{n} keys from {url}"),
                        Err(e) => tracing::warn!("JWKS from {url} not used: {e}"),
                    },
                    Ok(Err(e)) => tracing::warn!("JWKS not refreshed: {e}"),
                    Err(e) => tracing::warn!("JWKS refresh failed: {e}"),
                }
                drop(auth);
                tokio::time::sleep(every).await;
            }
        });
    }
}

/// Checks credentials against the configuration.
pub struct Authenticator {
    /// Signs and checks session cookies.
    session_key: [u8; 32],
    /// How long sessions last.
    session_ttl: Duration,
    keys: HashMap<[u8; 32], ApiKeyConfig>,
    /// Keys read from the database (`navigli_api_keys`), replaced on every refresh.
    db_keys: RwLock<HashMap<[u8; 32], ApiKeyConfig>>,
    /// URL of the PostGIS database holding `navigli_api_keys`, and the refresh interval.
    db_source: Option<(String, Duration)>,
    roles: HashMap<String, RoleConfig>,
    oidc: Option<Oidc>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("api_keys", &self.keys.len())
            .field("db_keys", &self.db_keys.read().map(|k| k.len()).unwrap_or(0))
            .field("oidc", &self.oidc.is_some())
            .finish()
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Constant-time equality of two digests.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `iss` of session tokens.
const SESSION_ISSUER: &str = "navigli-session";

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 bytes from the operating system's random source.
pub fn random_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

/// What a session stands for.
enum Credential {
    /// An API key, by the hex of its digest: its current roles apply.
    Key(String),
    /// Roles an identity provider gave at log-in.
    Roles(Vec<String>),
}

/// The signed content of a session cookie.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SessionClaims {
    /// Always `navigli-session`.
    pub iss: String,
    /// Who logged in (the key's holder, or the provider's subject).
    pub sub: String,
    /// When, Unix seconds.
    pub iat: i64,
    /// Until when, Unix seconds.
    pub exp: i64,
    /// The token every state-changing request of the session must carry.
    pub csrf: String,
    /// Hex SHA-256 of the key the session was opened with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Roles from the identity provider.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A session just made: the cookie value, its CSRF token, its expiry (Unix seconds).
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The cookie value.
    pub token: String,
    /// The CSRF token.
    pub csrf: String,
    /// Expiry, Unix seconds.
    pub expires: i64,
}

/// Whether two secrets (tokens, nonces) are equal and not empty, compared in constant time
/// for equal lengths.
pub fn same_secret(given: &str, expected: &str) -> bool {
    !expected.is_empty() && given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

/// Most bytes of a credential looked at.
const MAX_CREDENTIAL: usize = 8192;

impl Authenticator {
    /// From the `[[api_key]]`, `[[role]]` and `[oidc]` sections (already validated), with the
    /// sources as overridden on the command line. Keys from a database or a JWKS URL arrive
    /// later, from [`spawn_refresh`].
    pub fn new(config: &Config) -> Result<Authenticator, String> {
        let keys = config.api_keys.iter().filter_map(|k| hex32(&k.sha256).map(|h| (h, k.clone()))).collect();
        let roles = config.roles.iter().map(|r| (r.name.clone(), r.clone())).collect();
        let db_source = match &config.server.api_keys_source {
            None => None,
            Some(id) => {
                let source = config.sources.iter().find(|s| &s.id == id).ok_or_else(|| format!("api_keys_source: no source '{id}'"))?;
                if source.kind != crate::config::SourceKind::Postgis {
                    return Err(format!("api_keys_source: source '{id}' is not PostGIS (use --source {id}=postgresql://…)"));
                }
                let url = source.effective_url().ok_or_else(|| format!("api_keys_source: source '{id}' has no url"))?;
                Some((url, Duration::from_secs(config.server.api_keys_refresh_s.max(1))))
            }
        };
        let oidc = match &config.oidc {
            None => None,
            Some(o) => {
                let keys = match &o.jwks_file {
                    Some(file) => {
                        let path = config.base_dir.join(file);
                        let text = std::fs::read_to_string(&path).map_err(|e| format!("jwks_file {}: {e}", path.display()))?;
                        decoding_keys(&text)?
                    }
                    None => Vec::new(),
                };
                Some(Oidc { config: o.clone(), keys: RwLock::new(keys) })
            }
        };
        let secret =
            std::env::var("NAVIGLI_SESSION_SECRET").ok().filter(|s| !s.is_empty()).or_else(|| config.server.session_secret.clone());
        let session_key: [u8; 32] = match secret {
            Some(s) => Sha256::digest(s.as_bytes()).into(),
            None => random_bytes(),
        };
        let session_ttl = Duration::from_secs(config.server.session_ttl_s.max(60));
        Ok(Authenticator { session_key, session_ttl, keys, db_keys: RwLock::new(HashMap::new()), db_source, roles, oidc })
    }

    /// How long a session lasts.
    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// Checks a key for a log-in: a session token for it, or why not.
    pub fn login_with_key(&self, key: &str) -> Result<NewSession, AuthError> {
        let key = key.trim();
        if key.is_empty() || key.len() > MAX_CREDENTIAL {
            return Err(AuthError("invalid API key".into()));
        }
        let caller = self.api_key(key)?;
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        self.issue(caller.name(), Credential::Key(hex(&digest)))
    }

    /// A session for `name` holding `credential`.
    fn issue(&self, name: &str, credential: Credential) -> Result<NewSession, AuthError> {
        let now = jiff::Timestamp::now().as_second();
        let csrf = hex(&random_bytes());
        let (key, roles) = match credential {
            Credential::Key(k) => (Some(k), Vec::new()),
            Credential::Roles(r) => (None, r),
        };
        let claims = SessionClaims {
            iss: SESSION_ISSUER.into(),
            sub: name.into(),
            iat: now,
            exp: now + self.session_ttl.as_secs() as i64,
            csrf: csrf.clone(),
            key,
            roles,
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.session_key),
        )
        .map_err(|e| AuthError(format!("cannot sign the session: {e}")))?;
        Ok(NewSession { token, csrf, expires: claims.exp })
    }

    /// A session made for an identity provider's user (`roles` from its token).
    pub fn login_with_roles(&self, name: &str, roles: Vec<String>) -> Result<NewSession, AuthError> {
        self.issue(name, Credential::Roles(roles))
    }

    /// The claims of a valid session cookie.
    pub fn session(&self, token: &str) -> Option<SessionClaims> {
        if token.len() > MAX_CREDENTIAL {
            return None;
        }
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_issuer(&[SESSION_ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false;
        validation.leeway = 0;
        jsonwebtoken::decode::<SessionClaims>(token, &jsonwebtoken::DecodingKey::from_secret(&self.session_key), &validation)
            .ok()
            .map(|d| d.claims)
    }

    /// The caller of a request carrying a session cookie: anonymous when the session is not
    /// valid (expired, forged, or its key revoked); an error when the request changes something
    /// (`unsafe_method`) without the session's CSRF token in `csrf`.
    pub fn session_caller(&self, token: &str, csrf: Option<&str>, unsafe_method: bool) -> Result<Caller, AuthError> {
        let Some(claims) = self.session(token) else { return Ok(Caller::Anonymous) };
        if unsafe_method && !same_secret(csrf.map(str::trim).unwrap_or(""), &claims.csrf) {
            return Err(AuthError("this request needs the session's CSRF token (X-CSRF-Token)".into()));
        }
        match &claims.key {
            Some(digest) => {
                let Some(d) = hex32(digest) else { return Ok(Caller::Anonymous) };
                Ok(self.by_digest(&d).map(|(name, roles)| self.authenticated(name, &roles)).unwrap_or(Caller::Anonymous))
            }
            None => Ok(self.authenticated(claims.sub.clone(), &claims.roles)),
        }
    }

    /// Replaces the database keys (rows of `navigli_api_keys` that have not expired).
    pub fn set_db_keys(&self, rows: Vec<ApiKeyConfig>) {
        let map = rows.into_iter().filter_map(|k| hex32(&k.sha256).map(|h| (h, k))).collect();
        if let Ok(mut keys) = self.db_keys.write() {
            *keys = map;
        }
    }

    /// Replaces the identity provider's keys with those of a JWKS document.
    pub fn set_jwks(&self, text: &str) -> Result<usize, String> {
        let oidc = self.oidc.as_ref().ok_or("no [oidc] section")?;
        let keys = decoding_keys(text)?;
        let n = keys.len();
        if let Ok(mut current) = oidc.keys.write() {
            *current = keys;
        }
        Ok(n)
    }

    /// The grants of a set of role names (unknown roles grant nothing).
    fn grants(&self, roles: &[String]) -> Vec<Grant> {
        roles
            .iter()
            .filter_map(|r| self.roles.get(r))
            .flat_map(|r| {
                let read = r.layers.iter().map(move |l| Grant { layer: l.clone(), tenants: r.tenants.clone(), edit: false });
                read.chain(r.edit.iter().map(move |l| Grant { layer: l.clone(), tenants: r.tenants.clone(), edit: true }))
            })
            .collect()
    }

    /// The configured role names, sorted.
    pub fn role_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.roles.keys().cloned().collect();
        names.sort();
        names
    }

    /// Whether the configuration has a role of this name.
    pub fn has_role(&self, name: &str) -> bool {
        self.roles.contains_key(name)
    }

    fn app_tenants(&self, roles: &[String]) -> Vec<String> {
        roles.iter().filter_map(|r| self.roles.get(r)).filter(|r| r.apps).flat_map(|r| r.tenants.clone()).collect()
    }

    fn authenticated(&self, name: String, roles: &[String]) -> Caller {
        let known = roles.iter().filter(|r| self.roles.contains_key(*r)).cloned().collect();
        Caller::Authenticated { name, grants: self.grants(roles), app_tenants: self.app_tenants(roles), roles: known }
    }

    /// The caller of a request: anonymous without credentials, authenticated with valid ones,
    /// an error with invalid ones. `authorization` is the header value, `apikey` the query
    /// parameter.
    pub fn caller(&self, authorization: Option<&str>, apikey: Option<&str>) -> Result<Caller, AuthError> {
        if let Some(h) = authorization.map(str::trim).filter(|h| !h.is_empty()) {
            if h.len() > MAX_CREDENTIAL {
                return Err(AuthError("credentials too long".into()));
            }
            let (scheme, value) = h.split_once(' ').map_or((h, ""), |(s, v)| (s, v.trim()));
            return match scheme.to_ascii_lowercase().as_str() {
                "bearer" if value.matches('.').count() == 2 => self.jwt(value),
                "bearer" | "apikey" => self.api_key(value),
                // Never echo it: a key sent without a scheme would end up in messages and logs.
                _ => Err(AuthError("unsupported authorization scheme (use ApiKey or Bearer)".into())),
            };
        }
        match apikey {
            Some(k) if k.len() > MAX_CREDENTIAL => Err(AuthError("credentials too long".into())),
            Some(k) => self.api_key(k.trim()),
            None => Ok(Caller::Anonymous),
        }
    }

    fn api_key(&self, key: &str) -> Result<Caller, AuthError> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        match self.by_digest(&digest) {
            Some((name, roles)) => Ok(self.authenticated(name, &roles)),
            None => Err(AuthError("invalid API key".into())),
        }
    }

    /// The holder and roles of the key with this digest (configured or in the database).
    fn by_digest(&self, digest: &[u8; 32]) -> Option<(String, Vec<String>)> {
        // Compare with every stored digest in constant time (no early exit on a match).
        let mut found = None;
        for (stored, entry) in &self.keys {
            if same(stored, digest) {
                found = Some((entry.name.clone(), entry.roles.clone()));
            }
        }
        if let Ok(db) = self.db_keys.read() {
            for (stored, entry) in db.iter() {
                if same(stored, digest) {
                    found = Some((entry.name.clone(), entry.roles.clone()));
                }
            }
        }
        found
    }

    fn jwt(&self, token: &str) -> Result<Caller, AuthError> {
        let oidc = self.oidc.as_ref().ok_or_else(|| AuthError("bearer tokens are not accepted by this server".into()))?;
        let claims = self.verified(token, &oidc.config.audience)?;
        let (name, roles) = self.identity(&claims);
        Ok(self.authenticated(name, &roles))
    }

    /// The subject (at most 128 characters) and role names (at most 64) of verified claims.
    fn identity(&self, claims: &serde_json::Value) -> (String, Vec<String>) {
        let roles_claim = self.oidc.as_ref().map_or("roles", |o| o.config.roles_claim.as_str());
        let name = claims.get("sub").and_then(|s| s.as_str()).unwrap_or("?").chars().take(128).collect();
        let roles = claims
            .get(roles_claim)
            .and_then(|r| r.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).take(64).collect())
            .unwrap_or_default();
        (name, roles)
    }

    /// The claims of a provider's token for `audience`: RS256/ES256 signature by one of the
    /// provider's keys, `iss`, `aud`, `exp`, `nbf`.
    fn verified(&self, token: &str, audience: &str) -> Result<serde_json::Value, AuthError> {
        let oidc = self.oidc.as_ref().ok_or_else(|| AuthError("bearer tokens are not accepted by this server".into()))?;
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError(format!("invalid token: {e}")))?;
        if !matches!(header.alg, jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::ES256) {
            return Err(AuthError(format!("token algorithm {:?} is not accepted (RS256, ES256)", header.alg)));
        }
        let keys = oidc.keys.read().map_err(|_| AuthError("provider keys unavailable".into()))?;
        if keys.is_empty() {
            return Err(AuthError("the identity provider's keys are not loaded yet".into()));
        }
        let candidates = keys.iter().filter(|(kid, _, alg)| *alg == header.alg && (header.kid.is_none() || *kid == header.kid));
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_issuer(&[&oidc.config.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = oidc.config.leeway_s;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut last = AuthError("no key of the provider matches the token".into());
        for (_, key, _) in candidates {
            match jsonwebtoken::decode::<serde_json::Value>(token, key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => last = AuthError(format!("invalid token: {e}")),
            }
        }
        Err(last)
    }

    /// The builder's log-in through the provider, when configured (`[oidc.login]`).
    pub fn oidc_login(&self) -> Option<&crate::config::OidcLoginConfig> {
        self.oidc.as_ref().and_then(|o| o.config.login.as_ref())
    }

    /// Checks the ID token of a log-in (for this server's client id, with the log-in's
    /// `nonce`) and opens a session for its subject with its roles.
    pub fn login_with_id_token(&self, id_token: &str, nonce: &str) -> Result<NewSession, AuthError> {
        let login = self.oidc_login().ok_or_else(|| AuthError("log-in through the provider is not configured".into()))?;
        let claims = self.verified(id_token, &login.client_id)?;
        let given = claims.get("nonce").and_then(|n| n.as_str()).unwrap_or("");
        if !same_secret(given, nonce) {
            return Err(AuthError("the ID token is not for this log-in (nonce)".into()));
        }
        let (name, roles) = self.identity(&claims);
        self.login_with_roles(&name, roles)
    }

    /// `claims` signed by this server for `purpose` (a short-lived cookie: a log-in in flight).
    pub fn seal(&self, purpose: &str, claims: &serde_json::Value) -> Result<String, AuthError> {
        let mut c = claims.clone();
        c["iss"] = serde_json::Value::String(format!("navigli-{purpose}"));
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &c,
            &jsonwebtoken::EncodingKey::from_secret(&self.session_key),
        )
        .map_err(|e| AuthError(format!("cannot sign: {e}")))
    }

    /// What [`Authenticator::seal`] signed for `purpose`, unless forged or expired (`exp`).
    pub fn unseal(&self, purpose: &str, token: &str) -> Option<serde_json::Value> {
        if token.len() > MAX_CREDENTIAL {
            return None;
        }
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_issuer(&[format!("navigli-{purpose}")]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_aud = false;
        validation.leeway = 0;
        jsonwebtoken::decode::<serde_json::Value>(token, &jsonwebtoken::DecodingKey::from_secret(&self.session_key), &validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator(key: &str) -> Authenticator {
        let digest = hex(&Sha256::digest(key.as_bytes()));
        let text = format!(
            "[server]\nsession_secret = \"s3cret\"\n[tenants]\ncomuni = \"data/comuni.csv\"\nmetro_id = \"cmm\"\nmetro_title = \"Città Metropolitana di Milano\"\ngroups = []\n\
             [[role]]\nname = \"op\"\nlayers = []\napps = true\ntenants = [\"milano\"]\n\
             [[api_key]]\nname = \"Operatore\"\nsha256 = \"{digest}\"\nroles = [\"op\"]\n"
        );
        let (config, _) = crate::config::load_str(&text, "test.toml", std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("config");
        Authenticator::new(&config).unwrap()
    }

    #[test]
    fn sessions_carry_the_key_and_need_csrf_to_change_things() {
        let auth = authenticator("chiave-operatore");
        assert!(auth.login_with_key("sbagliata").is_err());
        let s = auth.login_with_key("chiave-operatore").unwrap();
        assert_eq!(s.csrf.len(), 64);
        let reader = auth.session_caller(&s.token, None, false).unwrap();
        assert_eq!(reader.name(), "Operatore");
        assert!(reader.may_manage_apps("015146", Some("milano")));
        // writes need the token
        assert!(auth.session_caller(&s.token, None, true).is_err());
        assert!(auth.session_caller(&s.token, Some("00"), true).is_err());
        assert!(auth.session_caller(&s.token, Some(&s.csrf), true).unwrap().is_authenticated());
        // a forged or tampered cookie is no session
        let mut bad = s.token.clone();
        bad.pop();
        assert_eq!(auth.session_caller(&bad, None, false).unwrap(), Caller::Anonymous);
        let other = authenticator("altra");
        assert_eq!(other.session_caller(&s.token, None, false).unwrap(), Caller::Anonymous, "another key's holder");
        // the same secret in another process (a replica) accepts it: the key is configured there too
        let replica = authenticator("chiave-operatore");
        assert!(replica.session_caller(&s.token, None, false).unwrap().is_authenticated());
    }

    #[test]
    fn pkce_challenges_follow_rfc_7636() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(b64url(&Sha256::digest(verifier.as_bytes())), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
    }

    #[test]
    fn hex_digests_parse_and_compare() {
        let d: [u8; 32] = Sha256::digest(b"segreto").into();
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex32(&hex), Some(d));
        assert!(hex32("zz").is_none());
        assert!(same(&d, &d));
        let mut e = d;
        e[31] ^= 1;
        assert!(!same(&d, &e));
    }
}
