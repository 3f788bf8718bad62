//! The one place errors become HTTP responses: [`ServiceError`] renders an [`OgcException`] as
//! the report its protocol expects (OWS 1.1 / 1.0 `ExceptionReport`, WMS 1.3.0 / 1.1.1
//! `ServiceExceptionReport`, or JSON) with the matching HTTP status.

use std::fmt::Write as _;

use actix_web::http::header::{ContentType, CACHE_CONTROL};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::encode::xml_escape;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};

/// An error on its way to the caller, with the report format of the protocol that raised it.
#[derive(Debug, thiserror::Error)]
#[error("{exception}")]
pub struct ServiceError {
    /// What went wrong.
    pub exception: OgcException,
    /// How to report it.
    pub format: ReportFormat,
    /// `Retry-After` seconds, for 503 answers.
    pub retry_after: Option<u32>,
}

impl ServiceError {
    /// Wraps an exception with a report format.
    pub fn new(exception: impl Into<OgcException>, format: ReportFormat) -> ServiceError {
        ServiceError { exception: exception.into(), format, retry_after: None }
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, seconds: u32) -> ServiceError {
        self.retry_after = Some(seconds);
        self
    }

    /// An unknown tenant (404).
    pub fn tenant_not_found(key: &str, format: ReportFormat) -> ServiceError {
        let shown: String = key.chars().take(64).collect();
        ServiceError::new(
            OgcException::new(
                ExceptionCode::NotFound,
                format!("no tenant '{shown}': use the metropolitan id, a comune's ISTAT code (six digits) or its slug; see / for the list"),
            )
            .at("tenant"),
            format,
        )
    }
}

/// Renders the exception report body for `format`.
pub fn render_report(e: &OgcException, format: ReportFormat) -> (String, &'static str) {
    let code = e.code.as_str();
    let text = xml_escape(&e.text);
    let locator = e.locator.as_deref().map(|l| format!(" locator=\"{}\"", xml_escape(l))).unwrap_or_default();
    let mut out = String::with_capacity(512);
    match format {
        ReportFormat::Ows11 => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            out.push_str("<ows:ExceptionReport xmlns:ows=\"http://www.opengis.net/ows/1.1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/ows/1.1 http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd\" version=\"2.0.0\" xml:lang=\"en\">\n");
            let _ = write!(out, "  <ows:Exception exceptionCode=\"{code}\"{locator}>\n    <ows:ExceptionText>{text}</ows:ExceptionText>\n  </ows:Exception>\n</ows:ExceptionReport>\n");
            (out, "application/xml")
        }
        ReportFormat::Ows10 => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            out.push_str("<ows:ExceptionReport xmlns:ows=\"http://www.opengis.net/ows\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/ows http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd\" version=\"1.0.0\" language=\"en\">\n");
            let _ = write!(out, "  <ows:Exception exceptionCode=\"{code}\"{locator}>\n    <ows:ExceptionText>{text}</ows:ExceptionText>\n  </ows:Exception>\n</ows:ExceptionReport>\n");
            (out, "application/xml")
        }
        ReportFormat::Wms130 => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            out.push_str("<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/ogc http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd\">\n");
            let _ = write!(out, "  <ServiceException code=\"{code}\"{locator}>{text}</ServiceException>\n</ServiceExceptionReport>\n");
            (out, "text/xml")
        }
        ReportFormat::Wms111 => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            out.push_str("<!DOCTYPE ServiceExceptionReport SYSTEM \"http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd\">\n");
            // The 1.1.1 DTD has no locator attribute: name the parameter in the text instead.
            let text = match e.locator.as_deref() {
                Some(l) => format!("{} ({text})", xml_escape(l)),
                None => text.into_owned(),
            };
            let _ = write!(out, "<ServiceExceptionReport version=\"1.1.1\">\n  <ServiceException code=\"{code}\">{text}</ServiceException>\n</ServiceExceptionReport>\n");
            (out, "application/vnd.ogc.se_xml")
        }
        ReportFormat::Json => {
            let mut body = serde_json::json!({ "code": code, "locator": e.locator, "description": e.text });
            if !e.problems.is_empty() {
                body["errors"] = e.problems.iter().map(|(p, m)| serde_json::json!({ "pointer": p, "message": m })).collect();
            }
            (body.to_string(), "application/json")
        }
    }
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.exception.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let (body, content_type) = render_report(&self.exception, self.format);
        let status = self.status_code();
        if status.is_server_error() {
            tracing::warn!(code = self.exception.code.as_str(), status = status.as_u16(), "{}", self.exception.text);
        }
        let mut response = HttpResponse::build(status);
        response.insert_header(ContentType(content_type.parse().unwrap_or(mime_xml()))).insert_header((CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after.or((status == StatusCode::SERVICE_UNAVAILABLE).then_some(5)) {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"navigli\", ApiKey realm=\"navigli\""));
        }
        response.body(body)
    }
}

fn mime_xml() -> actix_web::mime::Mime {
    "application/xml".parse().expect("static mime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_escape_text_and_carry_locator() {
        let e = OgcException::new(ExceptionCode::InvalidParameterValue, "bad <value> & more").at("typeNames");
        let (body, ct) = render_report(&e, ReportFormat::Ows11);
        assert_eq!(ct, "application/xml");
        assert!(body.contains("exceptionCode=\"InvalidParameterValue\" locator=\"typeNames\""));
        assert!(body.contains("bad &lt;value&gt; &amp; more"));
        let (body, _) = render_report(&e, ReportFormat::Wms130);
        assert!(body.contains("<ServiceException code=\"InvalidParameterValue\" locator=\"typeNames\">"));
        let (body, ct) = render_report(&e, ReportFormat::Json);
        assert_eq!(ct, "application/json");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "InvalidParameterValue");
    }
}
