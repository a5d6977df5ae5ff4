//! The caller's own account.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::UserOut;
use super::OrganizationOut;
use crate::auth::Auth;
use crate::db::schema::users;
use crate::domain::{now, Check, NotificationMode};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::web::json::JsonBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    pub organization: OrganizationOut,
}

/// The logged-in user and their organisation.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().json(MeOut {
        user: (&auth.user).into(),
        organization: (&auth.org).into(),
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsInput {
    /// instant, daily, weekly or off.
    pub mode: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsOut {
    pub mode: String,
}

/// How the user wants to hear about new matches.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "account",
    responses((status = 200, body = NotificationsOut), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_notifications(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().json(NotificationsOut {
        mode: auth.user.notification_mode,
    })
}

#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "account",
    request_body = NotificationsInput,
    responses((status = 200, body = NotificationsOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_notifications(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<NotificationsInput>,
) -> Result<HttpResponse, ApiError> {
    let mode = set_notification_mode(&state, &auth, body.0.mode).await?;
    Ok(HttpResponse::Ok().json(NotificationsOut {
        mode: mode.as_str().into(),
    }))
}

/// Stores how the user wants to hear about new matches; the API and the pages both set it
/// through this.
pub async fn set_notification_mode(
    state: &AppState,
    auth: &Auth,
    mode: Option<String>,
) -> Result<NotificationMode, ApiError> {
    let mut c = Check::new();
    let mode = c.code(
        "mode",
        mode,
        NotificationMode::parse,
        NotificationMode::codes,
    );
    if mode.is_none() {
        c.fail(
            "mode",
            format!("is required: one of {}", NotificationMode::codes()),
        );
    }
    let mode = c.finish(mode)?.unwrap_or(NotificationMode::Instant);
    let user_id = auth.user.id.clone();
    state
        .db(move |conn| {
            diesel::update(users::table.find(&user_id))
                .set((
                    users::notification_mode.eq(mode.as_str()),
                    users::updated_at.eq(now()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(mode)
}
