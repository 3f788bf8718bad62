//! Applications built on the services, one module per URL family with the same shape as the
//! protocols in `ogc/`: `routes` to mount, thin handlers on [`crate::http::Scope`]. Today the
//! citizen's roof check API ([`roofs`]).

pub mod roofs;

/// Mounts every application's routes.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    roofs::routes(cfg);
}
