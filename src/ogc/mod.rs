//! What every OGC protocol shares: the KVP request parser ([`kvp`]) and the exception model
//! ([`exception`]). Protocol modules (WMS, WFS, tiles) build on these; the web layer renders
//! exceptions in exactly one place (`crate::web::error`).

pub mod exception;
pub mod kvp;
pub mod wfs;
pub mod wms;

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
