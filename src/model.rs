//! Leaf types every layer of navigli shares: attribute values and their declared types. This
//! module imports no other module of the crate (`make lint` checks it).

use std::fmt;

/// A typed attribute value (dates travel as ISO `YYYY-MM-DD` text).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// 64-bit integer.
    Int(i64),
    /// Double.
    Float(f64),
    /// Text (also dates).
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// The type of an exposed attribute, as declared in `layers.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    /// 64-bit integer.
    #[serde(alias = "integer")]
    Int,
    /// Double precision.
    #[serde(alias = "double", alias = "real")]
    Float,
    /// Text.
    #[serde(alias = "string")]
    Text,
    /// Boolean.
    #[serde(alias = "boolean")]
    Bool,
    /// Calendar date (ISO 8601, `YYYY-MM-DD`).
    Date,
}

impl AttributeType {
    /// The XML Schema type name (for DescribeFeatureType and friends).
    pub fn xsd(self) -> &'static str {
        match self {
            AttributeType::Int => "long",
            AttributeType::Float => "double",
            AttributeType::Text => "string",
            AttributeType::Bool => "boolean",
            AttributeType::Date => "date",
        }
    }
}
