//! Operators' log-in to the builder: `GET /{tenant}/login` (the form), `POST /{tenant}/login`
//! (an API key; on success a session cookie and a redirect to `next`), `POST /{tenant}/logout`.
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
    cfg.route("/{tenant}/login", web::get().to(form))
        .route("/{tenant}/login", web::post().to(login))
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
        .and_then(|m| m.get("viewer.css").and_then(|v| v.as_str().map(str::to_string)));
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
