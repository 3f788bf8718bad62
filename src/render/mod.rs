//! Map rendering for WMS: the styling model ([`style`]), SLD parsing ([`sld`]) and the
//! tiny-skia renderer ([`map`]).

pub mod map;
pub mod sld;
pub mod style;
