//! Streaming feature encoders. An encoder writes a document head, then one feature at a time,
//! then the tail, into a byte buffer that [`body_stream`] hands to the HTTP layer in chunks as
//! it fills: a response never holds more than one chunk and the row channel's buffer.

pub mod geojson;
pub mod gml;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};

use crate::source::{Feature, FeatureStream, SourceError};

/// An encoding failure (bad stored geometry, I/O into the buffer).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The stored geometry could not be decoded.
    #[error("feature {id}: cannot decode geometry: {message}")]
    Geometry {
        /// Feature id.
        id: i64,
        /// Why.
        message: String,
    },
    /// The source failed mid-stream.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Writes one output format.
pub trait FeatureEncoder: Send + 'static {
    /// Document head (before the first feature).
    fn begin(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
    /// One feature.
    fn feature(&mut self, out: &mut Vec<u8>, feature: &Feature) -> Result<(), EncodeError>;
    /// Document tail.
    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
    /// The next features come from the next stream (the next feature type).
    fn next_stream(&mut self) {}
}

/// Flush to the client once this many bytes are buffered.
const CHUNK: usize = 64 * 1024;

/// The features of several streams, one after the other, encoded as one document.
pub fn body_stream<E: FeatureEncoder>(
    encoder: E,
    streams: Vec<FeatureStream>,
) -> impl Stream<Item = Result<Bytes, EncodeError>> + Send + 'static {
    struct State<E> {
        encoder: E,
        streams: std::vec::IntoIter<FeatureStream>,
        current: Option<FeatureStream>,
        started: bool,
        done: bool,
    }
    let mut streams = streams.into_iter();
    let current = streams.next();
    let state = State { encoder, streams, current, started: false, done: false };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK + 4096);
        if !s.started {
            s.started = true;
            if let Err(e) = s.encoder.begin(&mut out) {
                s.done = true;
                return Some((Err(e), s));
            }
        }
        while out.len() < CHUNK {
            let Some(stream) = s.current.as_mut() else {
                if let Err(e) = s.encoder.end(&mut out) {
                    s.done = true;
                    return Some((Err(e), s));
                }
                s.done = true;
                break;
            };
            match stream.next().await {
                Some(Ok(feature)) => {
                    if let Err(e) = s.encoder.feature(&mut out, &feature) {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
                Some(Err(e)) => {
                    s.done = true;
                    tracing::warn!("response aborted mid-stream: {e}");
                    return Some((Err(e.into()), s));
                }
                None => {
                    s.current = s.streams.next();
                    if s.current.is_some() {
                        s.encoder.next_stream();
                    }
                }
            }
        }
        Some((Ok(Bytes::from(out)), s))
    })
}

/// Decodes WKB into a `geo` geometry.
pub fn decode_wkb(id: i64, wkb: &[u8]) -> Result<geo::Geometry<f64>, EncodeError> {
    use geozero::ToGeo;
    geozero::wkb::Wkb(wkb.to_vec()).to_geo().map_err(|e| EncodeError::Geometry { id, message: e.to_string() })
}
/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> std::borrow::Cow<'_, str> {
    let forbidden = |c: char| ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}';
    if !s.contains(['&', '<', '>', '"', '\'']) && !s.chars().any(forbidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(super::xml_escape("a<b & 'c' \"d\"\u{1}"), "a&lt;b &amp; &apos;c&apos; &quot;d&quot;");
        assert!(matches!(super::xml_escape("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
