//! Map rendering for WMS: the styling model ([`style`]), SLD parsing ([`sld`]) and the
//! tiny-skia renderer ([`map`]) with its label engine ([`text`]).

pub mod map;
pub mod sld;
pub mod style;
pub mod text;
