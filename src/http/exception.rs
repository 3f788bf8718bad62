//! The OGC exception model: codes from OWS Common 1.1/2.0, WMS 1.1.1/1.3.0 and WFS 2.0, the
//! HTTP status each maps to, and the report flavours a protocol answers with. Rendering lives
//! in [`super::error`], the one place errors become HTTP responses.

use crate::source::{QueryError, SourceError};

/// An OGC exception code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionCode {
    /// The operation is not supported.
    OperationNotSupported,
    /// A mandatory parameter is missing.
    MissingParameterValue,
    /// A parameter has an invalid value.
    InvalidParameterValue,
    /// No version in common.
    VersionNegotiationFailed,
    /// UPDATESEQUENCE is newer than the server's.
    InvalidUpdateSequence,
    /// WMS: UPDATESEQUENCE equals the server's (the client's capabilities are current).
    CurrentUpdateSequence,
    /// A requested option is not supported.
    OptionNotSupported,
    /// Anything else.
    NoApplicableCode,
    /// The request could not be parsed (WFS 2.0).
    OperationParsingFailed,
    /// The request failed while being processed (WFS 2.0).
    OperationProcessingFailed,
    /// The requested resource does not exist (tenant, feature id).
    NotFound,
    /// WMS: unknown output format.
    InvalidFormat,
    /// WMS 1.3.0: unknown CRS.
    InvalidCrs,
    /// WMS 1.1.1: unknown SRS.
    InvalidSrs,
    /// WMS: unknown layer.
    LayerNotDefined,
    /// WMS: unknown style.
    StyleNotDefined,
    /// WMS: layer not queryable.
    LayerNotQueryable,
    /// WMS: bad I/J.
    InvalidPoint,
}

impl ExceptionCode {
    /// The code as written in exception reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionCode::OperationNotSupported => "OperationNotSupported",
            ExceptionCode::MissingParameterValue => "MissingParameterValue",
            ExceptionCode::InvalidParameterValue => "InvalidParameterValue",
            ExceptionCode::VersionNegotiationFailed => "VersionNegotiationFailed",
            ExceptionCode::InvalidUpdateSequence => "InvalidUpdateSequence",
            ExceptionCode::CurrentUpdateSequence => "CurrentUpdateSequence",
            ExceptionCode::OptionNotSupported => "OptionNotSupported",
            ExceptionCode::NoApplicableCode => "NoApplicableCode",
            ExceptionCode::OperationParsingFailed => "OperationParsingFailed",
            ExceptionCode::OperationProcessingFailed => "OperationProcessingFailed",
            ExceptionCode::NotFound => "NotFound",
            ExceptionCode::InvalidFormat => "InvalidFormat",
            ExceptionCode::InvalidCrs => "InvalidCRS",
            ExceptionCode::InvalidSrs => "InvalidSRS",
            ExceptionCode::LayerNotDefined => "LayerNotDefined",
            ExceptionCode::StyleNotDefined => "StyleNotDefined",
            ExceptionCode::LayerNotQueryable => "LayerNotQueryable",
            ExceptionCode::InvalidPoint => "InvalidPoint",
        }
    }

    /// HTTP status per OWS Common 2.0 (table 28) and WFS 2.0; WMS codes are client errors.
    pub fn http_status(self) -> u16 {
        match self {
            ExceptionCode::OperationNotSupported | ExceptionCode::OptionNotSupported => 501,
            ExceptionCode::NoApplicableCode | ExceptionCode::OperationProcessingFailed => 500,
            ExceptionCode::NotFound => 404,
            _ => 400,
        }
    }
}

/// One exception: code, optional locator (the offending parameter), and a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {text}", code.as_str())]
pub struct OgcException {
    /// Code.
    pub code: ExceptionCode,
    /// The parameter or element at fault.
    pub locator: Option<String>,
    /// Human-readable explanation.
    pub text: String,
    /// HTTP status when it differs from the code's default (e.g. 503 for a source timeout).
    pub status: Option<u16>,
    /// Every problem of a refused document, as (JSON pointer, message), when there are
    /// several (JSON reports list them as `errors`; the locator is the first).
    pub problems: Vec<(String, String)>,
}

impl OgcException {
    /// A new exception without locator.
    pub fn new(code: ExceptionCode, text: impl Into<String>) -> OgcException {
        OgcException { code, locator: None, text: text.into(), status: None, problems: Vec::new() }
    }

    /// Sets the locator.
    pub fn at(mut self, locator: impl Into<String>) -> OgcException {
        self.locator = Some(locator.into());
        self
    }

    /// Sets the list of problems (pointer, message) of a refused document.
    pub fn with_problems(mut self, problems: Vec<(String, String)>) -> OgcException {
        self.problems = problems;
        self
    }

    /// Overrides the HTTP status.
    pub fn with_status(mut self, status: u16) -> OgcException {
        self.status = Some(status);
        self
    }

    /// The HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.http_status())
    }
}

impl From<QueryError> for OgcException {
    fn from(e: QueryError) -> Self {
        let locator = match &e {
            QueryError::UnknownProperty { .. } | QueryError::InvalidValue { .. } => "filter",
            QueryError::Transform(_) => "bbox",
            _ => "filter",
        };
        let code = match &e {
            QueryError::Unsupported(_) => ExceptionCode::OperationProcessingFailed,
            _ => ExceptionCode::InvalidParameterValue,
        };
        let status = if matches!(e, QueryError::Unsupported(_)) { Some(400) } else { None };
        OgcException { code, locator: Some(locator.into()), text: e.to_string(), status, problems: Vec::new() }
    }
}

impl From<crate::catalog::Denial> for OgcException {
    fn from(d: crate::catalog::Denial) -> Self {
        match d {
            crate::catalog::Denial::Forbidden(m) => OgcException::new(ExceptionCode::NoApplicableCode, m).with_status(403),
        }
    }
}

impl From<SourceError> for OgcException {
    /// Backend failures are logged in full by the web layer; the caller gets a short message
    /// (no SQL, no connection strings).
    fn from(e: SourceError) -> Self {
        let (text, status) = match &e {
            SourceError::Unavailable { .. } => ("data source unavailable, try again later".to_string(), 503),
            SourceError::Timeout { .. } => ("the request took too long and was cancelled".to_string(), 503),
            // The database's own words about the client's values (a NOT NULL column left
            // empty, a value out of range): no SQL, no names beyond the layer's own columns.
            SourceError::Refused { message, .. } => (format!("the data source refused the change: {message}"), 400),
            _ => ("internal error while reading data".to_string(), 500),
        };
        OgcException::new(ExceptionCode::OperationProcessingFailed, text).with_status(status)
    }
}

/// The exception report flavour of a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// OWS 1.1 `ows:ExceptionReport` version 2.0.0 (WFS 2.0, and the default).
    Ows11,
    /// OWS 1.0 `ows:ExceptionReport` version 1.0.0 (WFS 1.1).
    Ows10,
    /// WMS 1.3.0 `ServiceExceptionReport` (namespace `http://www.opengis.net/ogc`).
    Wms130,
    /// WMS 1.1.1 `ServiceExceptionReport` (DTD, no namespace).
    Wms111,
    /// JSON `{ "code", "description" }` for non-OGC endpoints (landing, tiles).
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_ows_common() {
        assert_eq!(ExceptionCode::OperationNotSupported.http_status(), 501);
        assert_eq!(ExceptionCode::InvalidParameterValue.http_status(), 400);
        assert_eq!(ExceptionCode::NoApplicableCode.http_status(), 500);
        assert_eq!(OgcException::new(ExceptionCode::NoApplicableCode, "x").with_status(503).http_status(), 503);
    }

    #[test]
    fn source_errors_hide_internals() {
        let e: OgcException =
            SourceError::Unavailable { source_id: "main".into(), message: "postgresql://u:pw@h/db refused".into() }.into();
        assert!(!e.text.contains("pw"));
        assert_eq!(e.http_status(), 503);
    }
}
