//! HTTP: routes, the health check, the OpenAPI document, the web pages and the error
//! fallbacks.

pub mod api;
pub mod json;
pub mod links;
pub mod middleware;
pub mod openapi;
pub mod pages;

use actix_web::{web, HttpRequest, HttpResponse, Route};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A resource whose unmatched methods answer 405 in the error shape.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        ApiError::MethodNotAllowed.into_response()
    }))
}

trait IntoResponse {
    fn into_response(self) -> HttpResponse;
}

impl IntoResponse for ApiError {
    fn into_response(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}

fn get() -> Route {
    web::get()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.configure(links::configure)
        .service(resource("/healthz").route(get().to(health)))
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .service(
            web::scope("/api/v1")
                .service(resource("/auth/register").route(web::post().to(auth::register)))
                .service(resource("/auth/login").route(web::post().to(auth::login)))
                .service(resource("/auth/logout").route(web::post().to(auth::logout)))
                .service(
                    resource("/auth/verify-email").route(web::post().to(account::verify_email_api)),
                )
                .service(
                    resource("/auth/password-reset")
                        .route(web::post().to(account::request_password_reset)),
                )
                .service(
                    resource("/auth/password-reset/confirm")
                        .route(web::post().to(account::confirm_password_reset)),
                )
                .service(resource("/me").route(get().to(me::me)))
                .service(
                    resource("/me/notifications")
                        .route(get().to(me::get_notifications))
                        .route(web::put().to(me::put_notifications)),
                )
                .service(
                    resource("/challenges")
                        .route(get().to(challenges::list))
                        .route(web::post().to(challenges::create)),
                )
                .service(
                    resource("/challenges/{id}")
                        .route(get().to(challenges::get))
                        .route(web::patch().to(challenges::patch))
                        .route(web::delete().to(challenges::delete)),
                )
                .service(
                    resource("/challenges/{id}/matches").route(get().to(matches::for_challenge)),
                )
                .service(resource("/solutions/{id}/matches").route(get().to(matches::for_solution)))
                .service(
                    resource("/challenges/{id}/responses")
                        .route(get().to(responses::list))
                        .route(web::post().to(responses::create)),
                )
                .service(
                    resource("/responses/{id}/shortlist")
                        .route(web::post().to(responses::shortlist)),
                )
                .service(
                    resource("/responses/{id}/decline").route(web::post().to(responses::decline)),
                )
                .service(resource("/responses/{id}/award").route(web::post().to(responses::award)))
                .service(
                    resource("/solutions")
                        .route(get().to(solutions::list))
                        .route(web::post().to(solutions::create)),
                )
                .service(
                    resource("/solutions/{id}")
                        .route(get().to(solutions::get))
                        .route(web::patch().to(solutions::patch))
                        .route(web::delete().to(solutions::delete)),
                )
                .service(
                    resource("/organizations/{id}")
                        .route(get().to(organizations::get))
                        .route(web::patch().to(organizations::patch)),
                )
                .service(resource("/curation/queue").route(get().to(curation::queue)))
                .service(resource("/curation/stats").route(get().to(stats::stats)))
                .service(resource("/matches/{id}").route(get().to(curation::get)))
                .service(resource("/matches/{id}/approve").route(web::post().to(curation::approve)))
                .service(resource("/matches/{id}/dismiss").route(web::post().to(curation::dismiss)))
                .service(
                    resource("/matches/{id}/introduce").route(web::post().to(curation::introduce)),
                )
                .service(resource("/clusters").route(get().to(clusters::list)))
                .service(
                    resource("/clusters/{id}/memberships")
                        .route(get().to(clusters::memberships))
                        .route(web::post().to(clusters::request)),
                )
                .service(resource("/me/memberships").route(get().to(clusters::mine)))
                .service(
                    resource("/memberships/{id}/accept").route(web::post().to(clusters::accept)),
                )
                .service(
                    resource("/memberships/{id}/refuse").route(web::post().to(clusters::refuse)),
                )
                .service(
                    resource("/admin/organizations/{id}/verify")
                        .route(web::post().to(organizations::verify)),
                )
                .service(resource("/admin/outbox").route(get().to(outbox::list)))
                .service(resource("/admin/outbox/{id}/retry").route(web::post().to(outbox::retry))),
        )
        .configure(pages::configure);
}

/// Anything no route serves: the error shape for API clients, a page for browsers.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if middleware::is_page_path(req.path()) {
        pages::not_found()
    } else {
        ApiError::NotFound("no such page or endpoint".into()).into_response()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = HealthOut), (status = 503, body = ErrorBody)))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let answered = state
        .db(|conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
                .get_result::<i32>(conn)
                .map_err(ApiError::from)
        })
        .await;
    match answered {
        Ok(_) => HttpResponse::Ok().json(HealthOut {
            status: "ok".into(),
        }),
        Err(e) => {
            tracing::warn!(error = ?e, "health check: the database does not answer");
            HttpResponse::ServiceUnavailable().json(ErrorBody {
                error: crate::error::ErrorDetail {
                    code: "database_unavailable".into(),
                    message: "the database does not answer".into(),
                    fields: Default::default(),
                },
            })
        }
    }
}
