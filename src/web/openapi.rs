//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "cleanmatch API", description = "Matches the climate challenges of cities to the solutions of cleantech companies."),
    paths(
        super::health,
        api::auth::register, api::auth::login, api::auth::logout,
        api::account::verify_email_api, api::account::request_password_reset, api::account::confirm_password_reset,
        api::me::me, api::me::get_notifications, api::me::put_notifications,
        api::challenges::list, api::challenges::create, api::challenges::get, api::challenges::patch, api::challenges::delete,
        api::matches::for_challenge, api::matches::for_solution,
        api::curation::queue, api::curation::get, api::curation::approve, api::curation::dismiss, api::curation::introduce, api::stats::stats,
        api::clusters::list, api::clusters::request, api::clusters::memberships, api::clusters::mine,
        api::clusters::accept, api::clusters::refuse,
        api::responses::create, api::responses::list, api::responses::shortlist, api::responses::decline, api::responses::award,
        api::solutions::list, api::solutions::create, api::solutions::get, api::solutions::patch, api::solutions::delete,
        api::organizations::get, api::organizations::patch, api::organizations::verify,
        api::outbox::list, api::outbox::retry,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
