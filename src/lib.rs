//! navigli: an OGC geospatial server (WMS, WFS, vector tiles) for the Città Metropolitana di
//! Milano. See `README.md` for the URL scheme and `layers.toml` for the configuration.

pub mod apps;
pub mod appstore;
pub mod auth;
pub mod catalog;
pub mod clip;
pub mod config;
pub mod crs;
pub mod demo;
pub mod edit;
pub mod encode;
pub mod filter;
pub mod geojson;
pub mod http;
pub mod init;
pub mod lidar;
pub mod migrate;
pub mod model;
pub mod ogc;
pub mod render;
pub mod roofs;
pub mod search;
pub mod source;
pub mod tiles;
pub mod web;
pub mod xml;
