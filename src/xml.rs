//! The one hardened XML reader of navigli: every XML document a client or operator sends (FES
//! filters, SLD/SE styles, WFS POST requests) is read here into a small element tree, with:
//! - DTDs refused (`<!DOCTYPE`/`<!ENTITY` anywhere, even in CDATA: deliberately conservative),
//!   so no entity is ever expanded and nothing is ever fetched; only the five predefined
//!   entities and numeric character references are resolved;
//! - caps on the document size, the nesting depth, the number of elements and the length of
//!   attribute values, checked while reading (iteratively: hostile nesting cannot overflow the
//!   stack);
//! - namespaces resolved (each element's namespace URI, when bound), names kept by local name;
//! - the line of every element, for error messages.
//!
//! Built on quick-xml, which the GML and capabilities writers use too (one XML crate). The
//! protocol parsers interpret the tree and map [`XmlError`] to their own errors.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

/// The caps of one kind of document.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest document, bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most elements.
    pub max_elements: usize,
    /// Longest attribute value, bytes.
    pub max_attribute_bytes: usize,
    /// What the document is, for messages ("filter", "style document").
    pub what: &'static str,
}

/// One element: local name, namespace URI (when bound), attributes by local name (namespace
/// declarations left out), child elements, all its own text (mixed content concatenated), and
/// the line its start tag is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub local: String,
    /// Namespace URI, when the prefix is bound.
    pub ns: Option<String>,
    /// Attributes: (local name, value with entities resolved).
    pub attrs: Vec<(String, String)>,
    /// Child elements, in order.
    pub children: Vec<Element>,
    /// The element's own text, with entities resolved.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: usize,
    /// Where the element is in the document, bytes (start tag to end tag): its exact text is
    /// `&document[span]`.
    pub span: std::ops::Range<usize>,
}

impl Element {
    /// An attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether the local name is one of `names`.
    pub fn is(&self, names: &[&str]) -> bool {
        names.contains(&self.local.as_str())
    }

    /// The first child with this local name.
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.local == local)
    }

    /// The depth of this subtree (1 for a leaf) not counting what is inside elements named
    /// `opaque` (kept for another parser with its own caps, e.g. a `Filter`).
    pub fn depth_outside(&self, opaque: &str) -> usize {
        let mut depth = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            depth = depth.max(d);
            if e.local != opaque {
                stack.extend(e.children.iter().map(|c| (c, d + 1)));
            }
        }
        depth
    }

    /// Number of elements in this subtree and its depth (1 for a leaf), walked iteratively.
    pub fn size_and_depth(&self) -> (usize, usize) {
        let (mut count, mut depth) = (0, 0);
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            count += 1;
            depth = depth.max(d);
            stack.extend(e.children.iter().map(|c| (c, d + 1)));
        }
        (count, depth)
    }
}

/// Why a document was refused. Messages are short, for clients.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The document has a DTD or entity declarations.
    #[error("DTDs are not allowed")]
    Dtd,
    /// A cap was exceeded.
    #[error("{0}")]
    TooLarge(String),
    /// Not well-formed, or more than one root.
    #[error("{0}")]
    Syntax(String),
}

/// Longest piece of document text echoed in a message.
const ECHO_MAX: usize = 80;

/// Document text for a message: trimmed and cut to a few dozen characters.
pub fn echo(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(ECHO_MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Reads a document (a leading byte-order mark is skipped) into its root element.
pub fn read(xml: &str, limits: &Limits) -> Result<Element, XmlError> {
    if xml.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(format!("{} larger than {} KiB", limits.what, limits.max_bytes >> 10)));
    }
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    if contains_ignore_ascii_case(xml, "<!DOCTYPE") || contains_ignore_ascii_case(xml, "<!ENTITY") {
        return Err(XmlError::Dtd);
    }
    let mut reader = NsReader::from_str(xml);
    let mut lines = Lines { text: xml.as_bytes(), pos: 0, line: 1 };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let before = reader.buffer_position() as usize;
        let (resolved, event) = reader.read_resolved_event().map_err(malformed)?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(ns.0.to_string()),
            ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
        };
        let (start, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                let mut element = stack.pop().ok_or_else(|| XmlError::Syntax("unexpected closing tag".into()))?;
                element.span.end = reader.buffer_position() as usize;
                attach(&mut stack, &mut root, element);
                continue;
            }
            Event::Text(t) => {
                push_text(&mut stack, &t.xml10_content())?;
                continue;
            }
            Event::CData(t) => {
                push_text(&mut stack, &t.xml10_content())?;
                continue;
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => return Err(XmlError::Syntax(format!("unknown entity &{};", echo(&r)))),
                    },
                    Err(_) => return Err(XmlError::Syntax(format!("invalid character reference &{};", echo(&r)))),
                };
                push_text(&mut stack, &text)?;
                continue;
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            Event::Eof => break,
        };
        if root.is_some() {
            return Err(XmlError::Syntax(format!("unexpected element {} after the root element", echo(start.local_name().as_ref()))));
        }
        if stack.len() >= limits.max_depth {
            return Err(XmlError::TooLarge(format!("{} nested deeper than {} elements", limits.what, limits.max_depth)));
        }
        elements += 1;
        if elements > limits.max_elements {
            return Err(XmlError::TooLarge(format!("{} has more than {} elements", limits.what, limits.max_elements)));
        }
        let mut element = new_element(&start, ns, lines.at(before), limits)?;
        element.span = before..reader.buffer_position() as usize;
        if empty {
            attach(&mut stack, &mut root, element);
        } else {
            stack.push(element);
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::Syntax(format!("unexpected end of document: {} is not closed", echo(&open.local))));
    }
    root.ok_or_else(|| XmlError::Syntax(format!("empty {}", limits.what)))
}

/// Turns byte offsets (visited in increasing order) into 1-based line numbers.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos > self.pos {
            self.line += self.text[self.pos..pos].iter().filter(|&&b| b == b'\n').count();
            self.pos = pos;
        }
        self.line
    }
}

fn malformed(e: quick_xml::Error) -> XmlError {
    let msg: String = e.to_string().chars().take(2 * ECHO_MAX).collect();
    XmlError::Syntax(format!("malformed XML: {msg}"))
}

/// Whether a tag name is an XML name (quick-xml reads `<<a/>` as an element named `<a`).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '\u{B7}'))
}

fn new_element(e: &BytesStart<'_>, ns: Option<String>, line: usize, limits: &Limits) -> Result<Element, XmlError> {
    if !is_xml_name(e.name().as_ref()) {
        return Err(XmlError::Syntax(format!("malformed element name {} (line {line})", echo(e.name().as_ref()))));
    }
    let local = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| {
            XmlError::Syntax(format!("malformed attribute in {} (line {line}): {}", echo(&local), echo(&err.to_string())))
        })?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| XmlError::Syntax(format!("invalid attribute value in {} (line {line})", echo(&local))))?;
        if value.len() > limits.max_attribute_bytes {
            return Err(XmlError::TooLarge(format!("attribute value in {} too long", echo(&local))));
        }
        attrs.push((attr.key.local_name().as_ref().to_string(), value.into_owned()));
    }
    Ok(Element { local, ns, attrs, children: Vec::new(), text: String::new(), line, span: 0..0 })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::Syntax("text outside the root element".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_bytes: 1 << 16, max_depth: 8, max_elements: 50, max_attribute_bytes: 64, what: "test document" };

    #[test]
    fn reads_names_namespaces_attributes_text_and_lines() {
        let doc =
            "<?xml version=\"1.0\"?>\n<a:Root xmlns:a=\"urn:a\" x=\"1 &amp; 2\">\n  <B>t&lt;&#x41;<![CDATA[<c>]]></B>\n  <a:C/>\n</a:Root>";
        let root = read(doc, &LIMITS).unwrap();
        assert_eq!((root.local.as_str(), root.ns.as_deref(), root.line), ("Root", Some("urn:a"), 2));
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.attrs.len(), 1, "namespace declarations are not attributes");
        let b = root.child("B").unwrap();
        assert_eq!((b.text.as_str(), b.ns.as_deref(), b.line), ("t<A<c>", None, 3));
        assert_eq!(root.children[1].ns.as_deref(), Some("urn:a"));
        assert_eq!(root.size_and_depth(), (3, 2));
        assert_eq!(&doc[b.span.clone()], "<B>t&lt;&#x41;<![CDATA[<c>]]></B>");
        assert_eq!(&doc[root.children[1].span.clone()], "<a:C/>");
        assert!(doc[root.span.clone()].starts_with("<a:Root") && doc.ends_with(&doc[root.span.clone()]));
        assert_eq!(root.depth_outside("B"), 2);
        assert_eq!(read("<a><b><c/></b></a>", &LIMITS).unwrap().depth_outside("b"), 2);
    }

    #[test]
    fn refuses_dtds_and_unknown_entities_and_fetches_nothing() {
        let xxe = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assert_eq!(read(xxe, &LIMITS), Err(XmlError::Dtd));
        assert_eq!(read("<r><![CDATA[<!doctype x>]]></r>", &LIMITS), Err(XmlError::Dtd));
        assert!(matches!(read("<r>&x;</r>", &LIMITS), Err(XmlError::Syntax(m)) if m.contains("unknown entity")));
    }

    #[test]
    fn caps_size_depth_elements_and_attributes() {
        assert!(matches!(read(&"<a>".repeat(9), &LIMITS), Err(XmlError::TooLarge(m)) if m.contains("deeper than 8")));
        let wide = format!("<r>{}</r>", "<e/>".repeat(60));
        assert!(matches!(read(&wide, &LIMITS), Err(XmlError::TooLarge(m)) if m.contains("more than 50 elements")));
        let long = format!("<r a=\"{}\"/>", "x".repeat(65));
        assert!(matches!(read(&long, &LIMITS), Err(XmlError::TooLarge(_))));
        assert!(matches!(read(&"x".repeat(1 << 17), &LIMITS), Err(XmlError::TooLarge(_))));
        // A million unclosed elements stop at the depth cap at once, without recursion.
        assert!(matches!(read(&"<a>".repeat(20_000), &LIMITS), Err(XmlError::TooLarge(m)) if m.contains("deeper")));
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_element() {
        for bad in ["", "text", "<a>", "<a></b>", "<a/><b/>", "</a>", "<a x='1' x='2'/>", "<<a/>", "<1a/>", "<a$b/>"] {
            assert!(matches!(read(bad, &LIMITS), Err(XmlError::Syntax(_)) | Err(XmlError::TooLarge(_))), "{bad:?}");
        }
    }
}
