//! Coordinators curate the matches of their member companies: the queue, and the
//! approve / dismiss / introduce decisions.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::matches::member_companies;
use super::{ChallengeOut, OrgRef, SolutionOut};
use crate::auth::Auth;
use crate::db::models::{AuditEntry, Challenge, Match, Organization, Solution};
use crate::db::schema::{audit_log, challenges, matches, organizations, solutions};
use crate::db::DbConn;
use crate::domain::{Check, MatchStatus, OrgKind, Sector};
use crate::error::{ApiError, ErrorBody};
use crate::mail::Links;
use crate::matching::{lifecycle, relabel};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// The match id.
    pub id: String,
    pub challenge: ChallengeOut,
    pub solution: SolutionOut,
    pub score: f64,
    pub rank: i32,
    /// suggested or approved.
    pub status: String,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    pub items: Vec<QueueItem>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct QueueParams {
    /// Only challenges in this sector.
    pub sector: Option<String>,
    /// Only challenges of this city (organisation id).
    pub city: Option<String>,
}

/// The checked filters of the curation queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub sector: Option<Sector>,
    /// A city's organisation id.
    pub city: Option<String>,
}

impl QueueFilter {
    pub fn parse(params: QueueParams) -> Result<QueueFilter, ApiError> {
        let mut c = Check::new();
        let sector = c.code("sector", params.sector, Sector::parse, Sector::codes);
        let city = c.optional_text("city", params.city, 100);
        c.finish(QueueFilter { sector, city })
            .map_err(ApiError::from)
    }
}

/// Coordinators (and platform admins) curate; everyone else is refused.
pub fn require_coordinator(auth: &Auth) -> Result<(), ApiError> {
    if auth.kind() != Some(OrgKind::Cluster) && !auth.is_platform_admin() {
        return Err(ApiError::forbidden(
            "the curation queue is for cluster coordinators",
        ));
    }
    Ok(())
}

/// The matches of the coordinator's member companies that wait for a decision (suggested
/// or approved), best first, with explanations in the reader's language. The API and the
/// queue page both read it through this.
pub fn curation_queue(
    conn: &mut DbConn,
    auth: &Auth,
    filter: &QueueFilter,
) -> Result<Vec<QueueItem>, ApiError> {
    require_coordinator(auth)?;
    let mut query = matches::table
        .inner_join(challenges::table)
        .inner_join(solutions::table)
        .filter(matches::status.eq_any([
            MatchStatus::Suggested.as_str(),
            MatchStatus::Approved.as_str(),
        ]))
        .into_boxed();
    if !auth.is_platform_admin() {
        query =
            query.filter(solutions::organization_id.eq_any(member_companies(conn, &auth.org.id)?));
    }
    if let Some(sector) = filter.sector {
        query = query.filter(challenges::sectors.like(format!("%\"{}\"%", sector.as_str())));
    }
    if let Some(city) = &filter.city {
        query = query.filter(challenges::organization_id.eq(city.clone()));
    }
    let rows: Vec<(Match, Challenge, Solution)> = query
        .order((matches::score.desc(), matches::id))
        .limit(500)
        .select((
            Match::as_select(),
            Challenge::as_select(),
            Solution::as_select(),
        ))
        .load(conn)?;
    let org_ids: Vec<&String> = rows
        .iter()
        .flat_map(|(_, c, s)| [&c.organization_id, &s.organization_id])
        .collect();
    let orgs: Vec<Organization> = organizations::table
        .filter(organizations::id.eq_any(org_ids))
        .select(Organization::as_select())
        .load(conn)?;
    let org = |id: &str| orgs.iter().find(|o| o.id == id).cloned();
    let reader = auth.user.locale.clone();
    Ok(rows
        .iter()
        .filter_map(|(m, c, s)| {
            Some(QueueItem {
                id: m.id.clone(),
                challenge: ChallengeOut::new(c, &org(&c.organization_id)?),
                solution: SolutionOut::new(s, &org(&s.organization_id)?),
                score: m.score,
                rank: m.rank,
                status: m.status.clone(),
                explanation: relabel(&m.explanation, &reader),
                updated_at: m.updated_at,
            })
        })
        .collect())
}

/// The matches of the coordinator's member companies that wait for a decision, best first.
#[utoipa::path(get, path = "/api/v1/curation/queue", tag = "curation", params(QueueParams),
    responses((status = 200, body = Queue), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn queue(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<QueueParams>,
) -> Result<HttpResponse, ApiError> {
    require_coordinator(&auth)?;
    let filter = QueueFilter::parse(params.into_inner())?;
    let items = state
        .db(move |conn| curation_queue(conn, &auth, &filter))
        .await?;
    Ok(HttpResponse::Ok().json(Queue { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionOut {
    /// The match id.
    pub id: String,
    pub status: String,
    pub challenge_id: String,
    pub solution_id: String,
    pub score: f64,
}

/// A coordinator's decision on a match: checked (a curator of the company's cluster, a
/// move the lifecycle allows), audited, and for an introduction e-mailed to both sides.
/// The API, the queue page's row buttons and its bulk actions all decide through this.
pub fn decide_match(
    conn: &mut DbConn,
    links: &Links,
    auth: &Auth,
    id: &str,
    to: MatchStatus,
) -> Result<Match, ApiError> {
    let m = lifecycle::load(conn, id)?;
    lifecycle::require_curator(conn, auth, &m)?;
    lifecycle::transition(conn, links, &m.id, to, Some(&auth.user.id))
}

async fn decide(
    state: web::Data<AppState>,
    auth: Auth,
    id: String,
    to: MatchStatus,
) -> Result<HttpResponse, ApiError> {
    let links = state.links.clone();
    let m = state
        .db(move |conn| decide_match(conn, &links, &auth, &id, to))
        .await?;
    Ok(HttpResponse::Ok().json(DecisionOut {
        id: m.id,
        status: m.status,
        challenge_id: m.challenge_id,
        solution_id: m.solution_id,
        score: m.score,
    }))
}

/// Approve a suggested match (it stays in the queue until introduced or dismissed).
#[utoipa::path(post, path = "/api/v1/matches/{id}/approve", tag = "curation",
    responses((status = 200, body = DecisionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), MatchStatus::Approved).await
}

/// Dismiss a match: it leaves the queue and nobody is e-mailed.
#[utoipa::path(post, path = "/api/v1/matches/{id}/dismiss", tag = "curation",
    responses((status = 200, body = DecisionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn dismiss(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), MatchStatus::Dismissed).await
}

/// Introduce both sides: the city's and the company's contacts are e-mailed.
#[utoipa::path(post, path = "/api/v1/matches/{id}/introduce", tag = "curation",
    responses((status = 200, body = DecisionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn introduce(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), MatchStatus::Introduced).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// Who decided (`None`: the platform, e.g. an automatic introduction).
    pub actor_user_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchDetail {
    pub id: String,
    pub challenge_id: String,
    pub solution_id: String,
    pub city: OrgRef,
    pub company: OrgRef,
    pub score: f64,
    pub rank: i32,
    pub status: String,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
    /// Every status change, oldest first.
    pub history: Vec<AuditOut>,
}

/// One match with its history: for both sides, their coordinators and platform admins.
#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "curation",
    responses((status = 200, body = MatchDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let detail = state
        .db(move |conn| {
            let m = lifecycle::load(conn, &id)?;
            let challenge: Challenge = challenges::table
                .find(&m.challenge_id)
                .select(Challenge::as_select())
                .first(conn)?;
            let solution: Solution = solutions::table
                .find(&m.solution_id)
                .select(Solution::as_select())
                .first(conn)?;
            let party = auth.may_act_for(&challenge.organization_id)
                || auth.may_act_for(&solution.organization_id);
            if !party {
                lifecycle::require_curator(conn, &auth, &m)?;
            }
            let city: Organization = organizations::table
                .find(&challenge.organization_id)
                .select(Organization::as_select())
                .first(conn)?;
            let company: Organization = organizations::table
                .find(&solution.organization_id)
                .select(Organization::as_select())
                .first(conn)?;
            let history: Vec<AuditEntry> = audit_log::table
                .filter(audit_log::entity_kind.eq("match"))
                .filter(audit_log::entity_id.eq(&m.id))
                .order((audit_log::created_at.asc(), audit_log::id))
                .select(AuditEntry::as_select())
                .load(conn)?;
            Ok(MatchDetail {
                id: m.id.clone(),
                challenge_id: m.challenge_id.clone(),
                solution_id: m.solution_id.clone(),
                city: (&city).into(),
                company: (&company).into(),
                score: m.score,
                rank: m.rank,
                status: m.status.clone(),
                explanation: relabel(&m.explanation, &auth.user.locale),
                history: history
                    .into_iter()
                    .map(|a| AuditOut {
                        action: a.action,
                        from_status: a.from_status,
                        to_status: a.to_status,
                        actor_user_id: a.actor_user_id,
                        created_at: a.created_at,
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}
