//! Ranked matches of a challenge or a solution, with their explanations.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ChallengeOut, SolutionOut};
use crate::auth::Auth;
use crate::db::models::{Challenge, Match, Organization, Solution};
use crate::db::schema::{challenges, cluster_memberships, matches, organizations, solutions};
use crate::db::DbConn;
use crate::domain::OrgKind;
use crate::error::{ApiError, ErrorBody};
use crate::matching::relabel;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionMatchOut {
    /// The match id.
    pub id: String,
    pub solution: SolutionOut,
    /// 0-100; the same number means the same fit across challenges.
    pub score: f64,
    /// 1 = best fit for this challenge.
    pub rank: i32,
    /// suggested, approved, introduced, dismissed, responded, shortlisted, awarded, declined.
    pub status: String,
    /// Why it fits: concepts and words in common, sector, TRL and country fit, score parts.
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeMatchOut {
    pub id: String,
    pub challenge: ChallengeOut,
    pub score: f64,
    /// 1 = best fit for this solution.
    pub rank: i32,
    pub status: String,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionMatches {
    pub items: Vec<SolutionMatchOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeMatches {
    pub items: Vec<ChallengeMatchOut>,
}

/// Companies that are accepted members of the caller's cluster.
pub fn member_companies(conn: &mut DbConn, cluster_id: &str) -> QueryResult<Vec<String>> {
    cluster_memberships::table
        .filter(cluster_memberships::cluster_id.eq(cluster_id))
        .filter(cluster_memberships::status.eq("accepted"))
        .select(cluster_memberships::company_id)
        .load(conn)
}

/// A stored match with the solution and its company.
pub type SolutionMatch = (Match, Solution, Organization);
/// A stored match with the challenge and its city.
pub type ChallengeMatch = (Match, Challenge, Organization);

/// The stored matches of a challenge, best first, with their solutions and companies: all
/// of them for its city and platform admins, those of member companies for a coordinator.
/// The API and the challenge page both read them through this.
pub fn matches_of_challenge(
    conn: &mut DbConn,
    auth: &Auth,
    challenge_id: &str,
) -> Result<(Challenge, Vec<SolutionMatch>), ApiError> {
    let (challenge, _) = super::challenges::load_visible(conn, challenge_id, Some(auth))?;
    let mut query = matches::table
        .inner_join(solutions::table)
        .inner_join(organizations::table.on(organizations::id.eq(solutions::organization_id)))
        .filter(matches::challenge_id.eq(&challenge.id))
        .into_boxed();
    if !auth.may_act_for(&challenge.organization_id) {
        if auth.kind() != Some(OrgKind::Cluster) {
            return Err(ApiError::forbidden(
                "only the challenge's city and coordinators see its matches",
            ));
        }
        let members = member_companies(conn, &auth.org.id)?;
        query = query.filter(solutions::organization_id.eq_any(members));
    }
    let rows = query
        .order((matches::score.desc(), matches::id))
        .select((
            Match::as_select(),
            Solution::as_select(),
            Organization::as_select(),
        ))
        .load(conn)?;
    Ok((challenge, rows))
}

/// The stored matches of a solution, best first, with their challenges and cities: for
/// its company, platform admins and coordinators of a cluster the company belongs to.
/// The API, the solution page and the company's "challenges that fit" page read them
/// through this.
pub fn matches_of_solution(
    conn: &mut DbConn,
    auth: &Auth,
    solution_id: &str,
) -> Result<(Solution, Vec<ChallengeMatch>), ApiError> {
    let solution = solutions::table
        .find(solution_id)
        .select(Solution::as_select())
        .first::<Solution>(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("solution"))?;
    if !auth.may_act_for(&solution.organization_id) {
        let coordinates = auth.kind() == Some(OrgKind::Cluster)
            && member_companies(conn, &auth.org.id)?.contains(&solution.organization_id);
        if !coordinates {
            if solution.status != "published" {
                return Err(ApiError::not_found("solution"));
            }
            return Err(ApiError::forbidden(
                "only the solution's company and its cluster coordinators see its matches",
            ));
        }
    }
    let rows = matches::table
        .inner_join(challenges::table)
        .inner_join(organizations::table.on(organizations::id.eq(challenges::organization_id)))
        .filter(matches::solution_id.eq(&solution.id))
        .order((matches::score.desc(), matches::id))
        .select((
            Match::as_select(),
            Challenge::as_select(),
            Organization::as_select(),
        ))
        .load(conn)?;
    Ok((solution, rows))
}

/// The solutions that fit a challenge, best first: for its city, platform admins, and
/// coordinators (who see the matches of their member companies).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/matches", tag = "matches",
    responses((status = 200, body = SolutionMatches), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn for_challenge(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let items = state
        .db(move |conn| {
            let (_, rows) = matches_of_challenge(conn, &auth, &id)?;
            let reader = auth.user.locale.clone();
            Ok(rows
                .iter()
                .map(|(m, s, o)| SolutionMatchOut {
                    id: m.id.clone(),
                    solution: SolutionOut::new(s, o),
                    score: m.score,
                    rank: m.rank,
                    status: m.status.clone(),
                    explanation: relabel(&m.explanation, &reader),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(SolutionMatches { items }))
}

/// The open challenges a solution fits, best first: for its company, platform admins and
/// coordinators of a cluster the company belongs to.
#[utoipa::path(get, path = "/api/v1/solutions/{id}/matches", tag = "matches",
    responses((status = 200, body = ChallengeMatches), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn for_solution(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let items = state
        .db(move |conn| {
            let (_, rows) = matches_of_solution(conn, &auth, &id)?;
            let reader = auth.user.locale.clone();
            Ok(rows
                .iter()
                .enumerate()
                .map(|(i, (m, c, o))| ChallengeMatchOut {
                    id: m.id.clone(),
                    challenge: ChallengeOut::new(c, o),
                    score: m.score,
                    rank: i as i32 + 1,
                    status: m.status.clone(),
                    explanation: relabel(&m.explanation, &reader),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ChallengeMatches { items }))
}
