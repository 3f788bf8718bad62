//! Operators' log-in to the builder: `GET /{tenant}/login` (the form), `POST /{tenant}/login`
//! (an API key; on success a session cookie and a redirect to `next`), `POST /{tenant}/logout`;
//! and, with `[oidc.login]`, through the identity provider by the authorization code flow with
//! PKCE: `GET /{tenant}/login/oidc` sends the browser to the provider (state, nonce and the
//! PKCE verifier travel in a signed, `HttpOnly`, 10-minute cookie, `SameSite=Lax` so that it
//! comes back with the provider's redirect), `GET /auth/oidc/callback` checks the state,
//! exchanges the code (with the verifier) for the ID token, checks its signature, issuer,
//! audience (the client id), expiry and nonce, and opens the session.
//!
//! The session cookie is `HttpOnly`, `SameSite=Strict`, `Secure` when the server is reached by
//! HTTPS, signed by the server ([`crate::auth`]); it never holds the key. The form itself is
//! protected against log-in CSRF by a double-submitted token (a short-lived `SameSite=Strict`
//! cookie that the form must repeat). `next` is a path on this server only.

use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::page::{head, switch};
use super::viewer::{h, lang};
use crate::auth::{hex, random_bytes};
use crate::http::exception::ReportFormat;
use crate::http::{cookie, read_body, Scope, ServiceError, SESSION_COOKIE};

/// Mounts the log-in routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/oidc/callback", web::get().to(callback))
        .route("/{tenant}/login", web::get().to(form))
        .route("/{tenant}/login", web::post().to(login))
        .route("/{tenant}/login/oidc", web::get().to(oidc_start))
        .route("/{tenant}/logout", web::post().to(logout));
}

/// The cookie the log-in form's token is double-submitted with.
const FORM_COOKIE: &str = "navigli_login";

fn t(lang: &str, key: &str) -> &'static str {
    let it = lang != "en";
    match key {
        "title" if it => "Accesso operatori",
        "title" => "Operator sign-in",
        "intro" if it => "Accedi per creare e pubblicare le mappe di questo ente.",
        "intro" => "Sign in to make and publish this administration's maps.",
        "key" if it => "Chiave API",
        "key" => "API key",
        "hint" if it => "La chiave che l'amministratore di navigli ti ha consegnato (navigli apikey add).",
        "hint" => "The key navigli's administrator gave you (navigli apikey add).",
        "submit" if it => "Accedi",
        "submit" => "Sign in",
        "bad" if it => "Chiave non valida.",
        "bad" => "Invalid key.",
        "stale" if it => "Il modulo è scaduto: riprova.",
        "stale" => "The form expired: try again.",
        "with" if it => "Accedi con",
        "with" => "Sign in with",
        "or" if it => "oppure con una chiave API:",
        "or" => "or with an API key:",
        _ => "",
    }
}

/// A path on this server to go to after the log-in (anything else: the tenant's builder).
pub fn safe_next(next: Option<&str>, tenant_key: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() <= 500 && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => format!("/{tenant_key}/admin/apps"),
    }
}

/// Whether the request came over HTTPS (directly, or as the proxy in front says).
fn https(req: &HttpRequest, scope: &Scope) -> bool {
    req.connection_info().scheme() == "https" || scope.catalog().server.base_url().starts_with("https://")
}

fn cookie_header(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}", if secure { "; Secure" } else { "" })
}

fn page(scope: &Scope, next: &str, token: &str, error: Option<&str>) -> String {
    let lang = lang(scope);
    let css = super::viewer::manifest(&scope.catalog().server.web_dir)
        .and_then(|m| m.get("builder.css").and_then(|v| v.as_str().map(str::to_string)));
    let mut out = String::with_capacity(4096);
    head(&mut out, lang, &format!("{} — {}", t(lang, "title"), scope.tenant().title), css.as_deref());
    let (other, href) = switch(lang);
    let key = scope.tenant().url_key();
    let _ = write!(
        out,
        "<body class=\"list\">\n<header class=\"bar\"><div class=\"titles\"><h1>{}</h1><p class=\"tenant\">{}</p></div>\
         <a class=\"lang\" href=\"{href}\" lang=\"{other}\" hreflang=\"{other}\">{}</a></header>\n<main class=\"page\">\n<p>{}</p>\n",
        t(lang, "title"),
        h(&scope.tenant().title),
        if lang == "en" { "Italiano" } else { "English" },
        t(lang, "intro"),
    );
    if let Some(e) = error {
        let _ = writeln!(out, "<p class=\"form-error\" role=\"alert\" id=\"login-error\">{}</p>", h(e));
    }
    if let Some(l) = scope.catalog().auth.oidc_login() {
        let _ = writeln!(
            out,
            "<p><a class=\"tool\" id=\"oidc\" href=\"/{}/login/oidc?next={}\">{} {}</a></p>\n<p>{}</p>",
            h(key),
            h(&form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()),
            t(lang, "with"),
            h(&l.label),
            t(lang, "or")
        );
    }
    let described = if error.is_some() { "key-hint login-error" } else { "key-hint" };
    let _ = write!(
        out,
        "<form class=\"login\" method=\"post\" action=\"/{}/login{}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\n<input type=\"hidden\" name=\"form_token\" value=\"{}\">\n\
         <label for=\"key\">{}</label>\n<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required \
         maxlength=\"512\" aria-describedby=\"{described}\">\n<p id=\"key-hint\" class=\"hint\">{}</p>\n\
         <button type=\"submit\" class=\"tool\">{}</button>\n</form>\n</main>\n</body>\n</html>\n",
        h(key),
        if lang == "en" { "?lang=en" } else { "" },
        h(next),
        h(token),
        t(lang, "key"),
        t(lang, "hint"),
        t(lang, "submit"),
    );
    out
}

/// The page's Content Security Policy: nothing but this server's style sheet, posting to itself.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn html(status: actix_web::http::StatusCode, scope: &Scope, req: &HttpRequest, next: &str, error: Option<&str>) -> HttpResponse {
    let token = hex(&random_bytes());
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::SET_COOKIE, cookie_header(FORM_COOKIE, &token, 900, https(req, scope))))
        .body(page(scope, next, &token, error))
}

async fn form(scope: Scope, req: HttpRequest) -> HttpResponse {
    let next = safe_next(scope.kvp.get("next"), scope.tenant().url_key());
    html(actix_web::http::StatusCode::OK, &scope, &req, &next, None)
}

async fn login(scope: Scope, req: HttpRequest, body: web::Payload) -> Result<HttpResponse, ServiceError> {
    let bytes = read_body(body, 8192, ReportFormat::Json).await?;
    let fields: std::collections::HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    let next = safe_next(fields.get("next").map(String::as_str), scope.tenant().url_key());
    let lang = lang(&scope);
    let given = fields.get("form_token").map(String::as_str).unwrap_or("");
    let expected = cookie(&req, FORM_COOKIE).unwrap_or("");
    let same = !expected.is_empty()
        && given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    if !same {
        return Ok(html(actix_web::http::StatusCode::FORBIDDEN, &scope, &req, &next, Some(t(lang, "stale"))));
    }
    let auth = &scope.catalog().auth;
    match auth.login_with_key(fields.get("key").map(String::as_str).unwrap_or("")) {
        Ok(session) => {
            tracing::info!(tenant = scope.tenant().id.as_str(), "builder log-in");
            let secure = https(&req, &scope);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .append_header((header::SET_COOKIE, cookie_header(SESSION_COOKIE, &session.token, auth.session_ttl().as_secs(), secure)))
                .append_header((header::SET_COOKIE, cookie_header(FORM_COOKIE, "", 0, secure)))
                .finish())
        }
        Err(_) => Ok(html(actix_web::http::StatusCode::UNAUTHORIZED, &scope, &req, &next, Some(t(lang, "bad")))),
    }
}

/// The cookie a provider log-in in flight travels in.
const FLOW_COOKIE: &str = "navigli_oidc";

/// The redirect URI registered with the provider.
fn redirect_uri(catalog: &crate::catalog::Catalog) -> String {
    format!("{}/auth/oidc/callback", catalog.server.base_url())
}

fn plain(status: actix_web::http::StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text.to_string())
}

/// Sends the browser to the provider.
async fn oidc_start(scope: Scope, req: HttpRequest) -> HttpResponse {
    let catalog = scope.catalog();
    let Some(login) = catalog.auth.oidc_login() else {
        return plain(actix_web::http::StatusCode::NOT_FOUND, "log-in through an identity provider is not configured");
    };
    let (state, nonce, verifier) = (hex(&random_bytes()), hex(&random_bytes()), hex(&random_bytes()));
    let challenge = crate::auth::b64url(&<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    let next = safe_next(scope.kvp.get("next"), scope.tenant().url_key());
    let flow = serde_json::json!({
        "state": state, "nonce": nonce, "verifier": verifier, "next": next, "exp": jiff::Timestamp::now().as_second() + 600,
    });
    let Ok(sealed) = catalog.auth.seal("oidc", &flow) else {
        return plain(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "cannot start the log-in");
    };
    let mut scopes: Vec<&str> = login.scopes.split_whitespace().collect();
    if !scopes.contains(&"openid") {
        scopes.insert(0, "openid");
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &login.client_id)
        .append_pair("redirect_uri", &redirect_uri(catalog))
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let sep = if login.authorization_endpoint.contains('?') { '&' } else { '?' };
    let secure = if https(&req, &scope) { "; Secure" } else { "" };
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("{}{sep}{query}", login.authorization_endpoint)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::SET_COOKIE,
            format!("{FLOW_COOKIE}={sealed}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600{secure}"),
        ))
        .finish()
}

/// The provider's redirect back: the session, or why not (never the provider's own text).
async fn callback(state: web::Data<crate::http::AppState>, req: HttpRequest) -> HttpResponse {
    use actix_web::http::StatusCode;
    let catalog = state.live().catalog;
    let q: std::collections::HashMap<String, String> = form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let clear = format!("{FLOW_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0");
    let fail = |status: StatusCode, text: &str| {
        let mut r = plain(status, text);
        r.headers_mut().insert(header::SET_COOKIE, header::HeaderValue::from_str(&clear).expect("a valid header"));
        r
    };
    let Some(login) = catalog.auth.oidc_login() else {
        return fail(StatusCode::NOT_FOUND, "log-in through an identity provider is not configured");
    };
    let Some(flow) = cookie(&req, FLOW_COOKIE).and_then(|c| catalog.auth.unseal("oidc", c)) else {
        return fail(StatusCode::BAD_REQUEST, "no log-in in progress in this browser (or it took more than 10 minutes): start again");
    };
    let field = |k: &str| flow.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let expected = field("state");
    let given = q.get("state").map(String::as_str).unwrap_or("");
    if !crate::auth::same_secret(given, &expected) {
        return fail(StatusCode::BAD_REQUEST, "the provider's answer is not for this log-in (state)");
    }
    if q.contains_key("error") {
        return fail(StatusCode::UNAUTHORIZED, "the identity provider did not log you in");
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 2048).cloned() else {
        return fail(StatusCode::BAD_REQUEST, "the provider's answer has no code");
    };
    let (login, uri, verifier) = (login.clone(), redirect_uri(&catalog), field("verifier"));
    let id_token = match tokio::task::spawn_blocking(move || crate::auth::exchange_code(&login, &code, &uri, &verifier)).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            tracing::warn!("OIDC code exchange: {e}");
            return fail(StatusCode::BAD_GATEWAY, "the identity provider refused the log-in");
        }
        Err(_) => return fail(StatusCode::BAD_GATEWAY, "the identity provider refused the log-in"),
    };
    let session = match catalog.auth.login_with_id_token(&id_token, &field("nonce")) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("OIDC ID token refused: {e}");
            return fail(StatusCode::UNAUTHORIZED, "the identity provider's token was not accepted");
        }
    };
    let next = safe_next(Some(&field("next")), "cmm");
    let secure = req.connection_info().scheme() == "https" || catalog.server.base_url().starts_with("https://");
    // A page that moves on by itself: the session cookie is SameSite=Strict, and a browser
    // would not send it on a redirect that started at the provider's site.
    let body = format!(
        "<!doctype html>\n<html lang=\"it\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={0}\"><title>navigli</title></head>\
         <body><p><a href=\"{0}\">Continua / Continue</a></p></body></html>\n",
        h(&next)
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header((header::SET_COOKIE, cookie_header(SESSION_COOKIE, &session.token, catalog.auth.session_ttl().as_secs(), secure)))
        .append_header((header::SET_COOKIE, clear.clone()))
        .body(body)
}

/// Ends the session (the cookie is cleared; a POST, so it needs the CSRF token like any change).
async fn logout(scope: Scope, req: HttpRequest) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/{}/login", scope.tenant().url_key())))
        .insert_header((header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0, https(&req, &scope))))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next(Some("/milano/admin/apps/x"), "milano"), "/milano/admin/apps/x");
        for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/a\nb"] {
            assert_eq!(safe_next(Some(bad), "milano"), "/milano/admin/apps", "{bad:?}");
        }
        assert_eq!(safe_next(None, "cmm"), "/cmm/admin/apps");
    }
}
