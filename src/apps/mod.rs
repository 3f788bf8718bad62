//! Applications built on the services, one module per URL family with the same shape as the
//! protocols in `ogc/`: `routes` to mount, thin handlers on [`crate::http::Scope`]: the
//! citizen's roof check API ([`roofs`]) and the comuni's web map apps — their document
//! ([`document`]), the viewer ([`viewer`], pages in [`page`]) and the builder's API ([`builder`],
//! saving through [`admin`]), the printed sheet ([`print`]), the citizen's roof page ([`tetti`]); and the place search the viewer and the roof page use
//! ([`search`], over [`crate::search`]).

pub mod admin;
pub mod builder;
pub mod demo;
mod diff;
pub mod document;
pub mod geoportale;
pub mod login;
mod page;
pub mod print;
pub mod roofs;
pub mod search;
pub mod tetti;
pub mod viewer;

/// Mounts every application's routes.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    roofs::routes(cfg);
    viewer::routes(cfg);
    geoportale::routes(cfg);
    builder::routes(cfg);
    search::routes(cfg);
    login::routes(cfg);
    print::routes(cfg);
    tetti::routes(cfg);
}
