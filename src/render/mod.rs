//! Map rendering for WMS: the styling model ([`style`]), SLD parsing ([`sld`]), the tiny-skia
//! renderer ([`map`]) with its label engine ([`text`]), rule evaluation and style images
//! ([`rules`]), image encoding ([`image`]) and the PDF writer of printed sheets ([`pdf`]).

pub mod image;
pub mod map;
pub mod pdf;
pub mod rules;
pub mod sld;
pub mod style;
pub mod text;
