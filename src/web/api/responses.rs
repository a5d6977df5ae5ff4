//! Companies' responses to challenges.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrgRef;
use crate::auth::Auth;
use crate::db::models::{Challenge, Organization, Response, Solution};
use crate::db::schema::{challenges, organizations, responses, solutions};
use crate::db::store;
use crate::db::DbConn;
use crate::domain::{new_id, now, Check, MatchStatus, OrgKind, ResponseStatus};
use crate::error::{ApiError, ErrorBody};
use crate::mail::{notify, Links};
use crate::matching::lifecycle;
use crate::state::AppState;
use crate::web::json::JsonBody;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// One of the responding company's published solutions.
    pub solution_id: Option<String>,
    /// 1 to 5,000 characters.
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseOut {
    pub id: String,
    pub challenge_id: String,
    pub solution: SolutionRef,
    /// The responding company.
    pub organization: OrgRef,
    pub message: String,
    /// submitted, shortlisted, declined or awarded.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ResponseOut {
    fn new(r: &Response, s: &Solution, o: &Organization) -> Self {
        ResponseOut {
            id: r.id.clone(),
            challenge_id: r.challenge_id.clone(),
            solution: SolutionRef {
                id: s.id.clone(),
                title: s.title.clone(),
            },
            organization: o.into(),
            message: r.message.clone(),
            status: r.status.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Respond to an open challenge with one of the company's published solutions.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/responses", tag = "responses", request_body = ResponseInput,
    responses((status = 201, body = ResponseOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<ResponseInput>,
) -> Result<HttpResponse, ApiError> {
    let challenge_id = id.into_inner();
    let links = state.links.clone();
    let out = state
        .db(move |conn| submit_response(conn, &links, &auth, &challenge_id, body.0))
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// A company responds to an open challenge with one of its published solutions; the API
/// and the pages both respond through this.
pub fn submit_response(
    conn: &mut DbConn,
    links: &Links,
    auth: &Auth,
    challenge_id: &str,
    input: ResponseInput,
) -> Result<ResponseOut, ApiError> {
    auth.require_kind(OrgKind::Company, "respond to challenges")?;
    let mut c = Check::new();
    let solution_id = c.required_text("solution_id", input.solution_id, 1, 100);
    let message = c.required_text("message", input.message, 1, 5000);
    c.finish(())?;
    let (challenge, _) = super::challenges::load_visible(conn, challenge_id, Some(auth))?;
    let solution = solutions::table
        .find(&solution_id)
        .select(Solution::as_select())
        .first::<Solution>(conn)
        .optional()?
        .filter(|s| s.organization_id == auth.org.id)
        .ok_or_else(|| ApiError::field("solution_id", "is not one of your company's solutions"))?;
    if solution.status != "published" {
        return Err(ApiError::field(
            "solution_id",
            "publish the solution before responding with it",
        ));
    }
    if challenge.status != "open" {
        return Err(ApiError::conflict(
            "this challenge is not open for responses",
        ));
    }
    if let Some(deadline) = &challenge.response_deadline {
        if now().format("%Y-%m-%d").to_string().as_str() > deadline.as_str() {
            return Err(ApiError::conflict(format!(
                "the response deadline ({deadline}) has passed"
            )));
        }
    }
    let at = now();
    let response = Response {
        id: new_id(),
        challenge_id: challenge.id.clone(),
        solution_id: solution.id.clone(),
        organization_id: auth.org.id.clone(),
        message,
        status: ResponseStatus::Submitted.as_str().into(),
        created_by: Some(auth.user.id.clone()),
        created_at: at,
        updated_at: at,
    };
    crate::db::write_tx(conn, |conn| {
        let exists = responses::table
            .filter(responses::challenge_id.eq(&challenge.id))
            .filter(responses::solution_id.eq(&solution.id))
            .count()
            .get_result::<i64>(conn)?;
        if exists > 0 {
            return Err(ApiError::conflict(
                "you have already responded to this challenge with this solution",
            ));
        }
        diesel::insert_into(responses::table)
            .values(&response)
            .execute(conn)?;
        store::audit(
            conn,
            "response",
            &response.id,
            "created",
            None,
            Some("submitted"),
            Some(&auth.user.id),
        )?;
        notify::on_response_created(conn, links, &response)?;
        lifecycle::follow_response(
            conn,
            links,
            &challenge.id,
            &solution.id,
            MatchStatus::Responded,
            Some(&auth.user.id),
        )
    })?;
    Ok(ResponseOut::new(&response, &solution, &auth.org))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseList {
    pub items: Vec<ResponseOut>,
}

/// The responses to a challenge: all of them for its city, its own for a company.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/responses", tag = "responses",
    responses((status = 200, body = ResponseList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let challenge_id = id.into_inner();
    let items = state
        .db(move |conn| list_responses(conn, &auth, &challenge_id))
        .await?;
    Ok(HttpResponse::Ok().json(ResponseList { items }))
}

/// The responses to a challenge as `auth` may read them: all for its city, a company's own.
pub fn list_responses(
    conn: &mut DbConn,
    auth: &Auth,
    challenge_id: &str,
) -> Result<Vec<ResponseOut>, ApiError> {
    let (challenge, _) = super::challenges::load_visible(conn, challenge_id, Some(auth))?;
    let mut query = responses::table
        .inner_join(solutions::table)
        .inner_join(organizations::table.on(organizations::id.eq(responses::organization_id)))
        .filter(responses::challenge_id.eq(&challenge.id))
        .into_boxed();
    if !auth.may_act_for(&challenge.organization_id) {
        if auth.kind() != Some(OrgKind::Company) {
            return Err(ApiError::forbidden(
                "only the challenge's city and responding companies can read responses",
            ));
        }
        query = query.filter(responses::organization_id.eq(auth.org.id.clone()));
    }
    let rows = query
        .order(responses::created_at.asc())
        .select((
            Response::as_select(),
            Solution::as_select(),
            Organization::as_select(),
        ))
        .load::<(Response, Solution, Organization)>(conn)?;
    Ok(rows
        .iter()
        .map(|(r, s, o)| ResponseOut::new(r, s, o))
        .collect())
}

/// A city's decision on a response: checked (who, and from which status), recorded in
/// the audit log, and e-mailed to the responding company, in one transaction. The API and
/// the challenge page both decide through this.
pub fn decide_response(
    conn: &mut DbConn,
    links: &Links,
    auth: &Auth,
    id: &str,
    to: ResponseStatus,
) -> Result<ResponseOut, ApiError> {
    crate::db::write_tx(conn, |conn| {
        let (response, challenge) = responses::table
            .inner_join(challenges::table)
            .filter(responses::id.eq(id))
            .select((Response::as_select(), Challenge::as_select()))
            .first::<(Response, Challenge)>(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("response"))?;
        if !auth.may_act_for(&challenge.organization_id) {
            return Err(ApiError::forbidden(
                "only the challenge's city can decide on its responses",
            ));
        }
        let from = ResponseStatus::parse(&response.status).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "response {} has the unknown status {:?}",
                response.id,
                response.status
            ))
        })?;
        if !from.can_move_to(to) {
            return Err(ApiError::conflict(format!(
                "a {from} response cannot become {to}"
            )));
        }
        let at = now();
        // Only from the status just read: of two decisions at once, one wins.
        let changed = diesel::update(
            responses::table
                .find(&response.id)
                .filter(responses::status.eq(from.as_str())),
        )
        .set((
            responses::status.eq(to.as_str()),
            responses::updated_at.eq(at),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                "the response changed meanwhile; reload it",
            ));
        }
        store::audit(
            conn,
            "response",
            &response.id,
            "status_changed",
            Some(from.as_str()),
            Some(to.as_str()),
            Some(&auth.user.id),
        )?;
        let response = Response {
            status: to.as_str().into(),
            updated_at: at,
            ..response
        };
        notify::on_response_status(conn, links, &response)?;
        let follows = match to {
            ResponseStatus::Shortlisted => Some(MatchStatus::Shortlisted),
            ResponseStatus::Awarded => Some(MatchStatus::Awarded),
            ResponseStatus::Declined => Some(MatchStatus::Declined),
            ResponseStatus::Submitted => None,
        };
        if let Some(next) = follows {
            lifecycle::follow_response(
                conn,
                links,
                &response.challenge_id,
                &response.solution_id,
                next,
                Some(&auth.user.id),
            )?;
        }
        let (solution, company) = solutions::table
            .inner_join(organizations::table)
            .filter(solutions::id.eq(&response.solution_id))
            .select((Solution::as_select(), Organization::as_select()))
            .first::<(Solution, Organization)>(conn)?;
        Ok(ResponseOut::new(&response, &solution, &company))
    })
}

async fn decide(
    state: web::Data<AppState>,
    auth: Auth,
    id: String,
    to: ResponseStatus,
) -> Result<HttpResponse, ApiError> {
    let links = state.links.clone();
    let out = state
        .db(move |conn| decide_response(conn, &links, &auth, &id, to))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Shortlist a submitted response (the challenge's city or a platform admin); the
/// company is e-mailed.
#[utoipa::path(post, path = "/api/v1/responses/{id}/shortlist", tag = "responses",
    responses((status = 200, body = ResponseOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn shortlist(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), ResponseStatus::Shortlisted).await
}

/// Decline a submitted or shortlisted response; the company is e-mailed.
#[utoipa::path(post, path = "/api/v1/responses/{id}/decline", tag = "responses",
    responses((status = 200, body = ResponseOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decline(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), ResponseStatus::Declined).await
}

/// Award a shortlisted response; the company is e-mailed.
#[utoipa::path(post, path = "/api/v1/responses/{id}/award", tag = "responses",
    responses((status = 200, body = ResponseOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn award(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), ResponseStatus::Awarded).await
}
