//! Map rendering for WMS: the styling model ([`style`]), SLD parsing ([`sld`]), the tiny-skia
//! renderer ([`map`]) with its label engine ([`text`]), rule evaluation and style images
//! ([`rules`]), and image encoding ([`image`]).

pub mod image;
pub mod map;
pub mod rules;
pub mod sld;
pub mod style;
pub mod text;
