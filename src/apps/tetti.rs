//! "Il mio tetto", the citizen's roof check page: `GET /{tenant}/tetti` is the viewer with the
//! roof panel (tool `roof`, in `web/src/roof.js`). A tenant that published an app of slug
//! `tetti` (its own variant, made in the builder) gets that app; otherwise the page is
//! [`super::document::roof_template`] for the tenant, checked like any document.

use actix_web::{web, HttpResponse};

use super::document::{self, AppDocument};
use crate::appstore::StoreError;
use crate::http::exception::ExceptionCode;
use crate::http::{Scope, ServiceError};

/// Slug of a tenant's own variant of the page.
pub const SLUG: &str = "tetti";

/// Mounts the page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/tetti", web::get().to(page));
}

async fn page(scope: Scope) -> Result<HttpResponse, ServiceError> {
    let own = scope.apps().published(&scope.tenant().id, SLUG).await;
    if let Ok(Some(_)) | Err(StoreError::Backend(_)) = own {
        // The tenant's variant (access rules and errors as for any app).
        let (rev, doc) = super::viewer::published(&scope, SLUG).await?;
        return Ok(super::viewer::viewer_page(&scope, SLUG, rev.number, &doc));
    }
    let template = document::roof_template(scope.catalog(), scope.tenant());
    let doc: AppDocument =
        document::validate(&template, scope.catalog(), scope.tenant(), &crate::auth::Caller::Anonymous).map_err(|p| {
            tracing::error!("the roof page template is not valid here: {:?}", p.0);
            super::viewer::json_error(404, ExceptionCode::NotFound, "this service has no roof layers to check")
        })?;
    Ok(super::viewer::viewer_page(&scope, SLUG, 0, &doc))
}
