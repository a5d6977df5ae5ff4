//! The outbox as platform admins see it: what is queued, sent or dead, and why.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{paging, Page};
use crate::auth::Auth;
use crate::db::models::OutboxRow;
use crate::db::schema::outbox;
use crate::domain::Check;
use crate::error::{ApiError, ErrorBody};
use crate::mail::outbox::{retry_dead, OutboxStatus};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OutboxListParams {
    /// pending, sending, sent or dead.
    pub status: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// One outbox row, without its bodies.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxItemOut {
    pub id: String,
    pub to: String,
    pub user_id: Option<String>,
    pub template: String,
    pub subject: String,
    pub message_id: String,
    /// pending, sending, sent or dead.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl From<OutboxRow> for OutboxItemOut {
    fn from(r: OutboxRow) -> Self {
        OutboxItemOut {
            id: r.id,
            to: r.to_address,
            user_id: r.user_id,
            template: r.template,
            subject: r.subject,
            message_id: r.message_id,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}

/// The outbox, newest first, e.g. `?status=dead` for e-mails that failed for good.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", params(OutboxListParams),
    responses((status = 200, body = Page<OutboxItemOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<OutboxListParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require_platform_admin()?;
    let params = params.into_inner();
    let (page, per_page) = paging(params.page.as_deref(), params.per_page.as_deref())?;
    let mut c = Check::new();
    let status = c.code(
        "status",
        params.status,
        OutboxStatus::parse,
        OutboxStatus::codes,
    );
    let status = c.finish(status)?;
    let (rows, total) = state
        .db(move |conn| outbox_page(conn, status, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(OutboxItemOut::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// Queue a dead e-mail again, with a fresh set of attempts.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require_platform_admin()?;
    let id = id.into_inner();
    state.db(move |conn| retry_email(conn, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One page of the outbox, newest first, and how many rows the filter matches.
pub fn outbox_page(
    conn: &mut crate::db::DbConn,
    status: Option<OutboxStatus>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<OutboxRow>, i64), ApiError> {
    let filtered = || {
        let mut q = outbox::table.into_boxed();
        if let Some(s) = status {
            q = q.filter(outbox::status.eq(s.as_str()));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered()
        .order((outbox::created_at.desc(), outbox::id.asc()))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(OutboxRow::as_select())
        .load::<OutboxRow>(conn)?;
    Ok((rows, total))
}

/// How many e-mails the outbox holds in each status.
pub fn outbox_counts(conn: &mut crate::db::DbConn) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?)
}

/// Queues a dead e-mail again and returns its address (404 when there is none, 409 when
/// it is not dead).
pub fn retry_email(conn: &mut crate::db::DbConn, id: &str) -> Result<String, ApiError> {
    let (status, to) = outbox::table
        .find(id)
        .select((outbox::status, outbox::to_address))
        .first::<(String, String)>(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("outbox e-mail"))?;
    if !retry_dead(conn, id)? {
        return Err(ApiError::conflict(format!(
            "only dead e-mails can be retried; this one is {status}"
        )));
    }
    Ok(to)
}
