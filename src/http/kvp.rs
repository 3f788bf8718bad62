//! OGC key-value-pair requests: parameter names are case-insensitive, values are
//! percent-decoded once, and the number and size of parameters are capped.

use super::exception::{ExceptionCode, OgcException};

/// Most parameters one request may carry.
pub const MAX_PARAMS: usize = 100;
/// Longest accepted query string, bytes.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// A decoded KVP request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kvp {
    /// (lower-cased name, decoded value), in request order; the first of repeated names wins.
    params: Vec<(String, String)>,
}

impl Kvp {
    /// Parses a raw (still percent-encoded) query string.
    pub fn parse(query: &str) -> Result<Kvp, OgcException> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(OgcException::new(ExceptionCode::NoApplicableCode, format!("query string longer than {MAX_QUERY_BYTES} bytes"))
                .with_status(414));
        }
        let mut params: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k.is_empty() {
                continue;
            }
            if params.len() >= MAX_PARAMS {
                return Err(
                    OgcException::new(ExceptionCode::NoApplicableCode, format!("more than {MAX_PARAMS} parameters")).with_status(400)
                );
            }
            let key = k.to_ascii_lowercase();
            if !params.iter().any(|(existing, _)| *existing == key) {
                params.push((key, v.into_owned()));
            }
        }
        Ok(Kvp { params })
    }

    /// The value of a parameter (name case-insensitive); empty values count as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }

    /// The value of a mandatory parameter, or a `MissingParameterValue` exception.
    pub fn require(&self, name: &str) -> Result<&str, OgcException> {
        self.get(name).ok_or_else(|| {
            OgcException::new(ExceptionCode::MissingParameterValue, format!("parameter {} is mandatory", name.to_ascii_uppercase()))
                .at(name)
        })
    }

    /// A comma-separated list parameter.
    pub fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name).map(|v| v.split(',').map(str::trim).collect())
    }

    /// Every (lower-cased name, value) pair, in request order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether the parameter is present at all (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_values_decoded() {
        let k = Kvp::parse("SERVICE=WFS&request=GetFeature&TypeNames=edifici&FILTER=%3CFilter%3E&bbox=9%2C45,9.1,45.1&empty=").unwrap();
        assert_eq!(k.get("service"), Some("WFS"));
        assert_eq!(k.get("REQUEST"), Some("GetFeature"));
        assert_eq!(k.get("typenames"), Some("edifici"));
        assert_eq!(k.get("filter"), Some("<Filter>"));
        assert_eq!(k.list("BBOX").unwrap(), vec!["9", "45", "9.1", "45.1"]);
        assert_eq!(k.get("empty"), None);
        assert!(k.has("empty"));
        let e = k.require("version").unwrap_err();
        assert_eq!(e.code, ExceptionCode::MissingParameterValue);
        assert_eq!(e.locator.as_deref(), Some("version"));
    }

    #[test]
    fn first_of_repeated_names_wins_and_sizes_are_capped() {
        assert_eq!(Kvp::parse("a=1&A=2").unwrap().get("a"), Some("1"));
        let many: String = (0..200).map(|i| format!("p{i}=1&")).collect();
        assert!(Kvp::parse(&many).is_err());
        assert!(Kvp::parse(&"x".repeat(MAX_QUERY_BYTES + 1)).is_err());
    }
}
