//! navigli: an OGC geospatial server (WMS, WFS, vector tiles) for the Città Metropolitana di
//! Milano. See `README.md` for the URL scheme and `layers.toml` for the configuration.

pub mod config;
pub mod crs;
pub mod filter;
pub mod source;
