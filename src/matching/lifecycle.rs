//! Match decisions: who may move a match, from which status, and what each move leaves
//! behind (an audit row, and for introductions the e-mails to both sides).

use diesel::prelude::*;

use crate::auth::Auth;
use crate::db::models::{Match, Solution};
use crate::db::schema::{cluster_memberships, matches, solutions};
use crate::db::{store, DbConn};
use crate::domain::{now, MatchStatus, OrgKind};
use crate::error::ApiError;
use crate::mail::{notify, Links};

pub fn load(conn: &mut DbConn, match_id: &str) -> Result<Match, ApiError> {
    matches::table
        .find(match_id)
        .select(Match::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("match"))
}

/// Whether the company is an accepted member of the cluster.
pub fn is_member(conn: &mut DbConn, cluster_id: &str, company_id: &str) -> QueryResult<bool> {
    let n: i64 = cluster_memberships::table
        .filter(cluster_memberships::cluster_id.eq(cluster_id))
        .filter(cluster_memberships::company_id.eq(company_id))
        .filter(cluster_memberships::status.eq("accepted"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Platform admins, and coordinators of a verified cluster the solution's company belongs to.
pub fn require_curator(conn: &mut DbConn, auth: &Auth, m: &Match) -> Result<(), ApiError> {
    if auth.is_platform_admin() {
        return Ok(());
    }
    if auth.kind() != Some(OrgKind::Cluster) {
        return Err(ApiError::forbidden(
            "only coordinators of the company's cluster can decide on this match",
        ));
    }
    if !auth.org.verified {
        return Err(ApiError::forbidden(
            "your cluster is not verified yet; a platform admin verifies it",
        ));
    }
    let company: String = solutions::table
        .find(&m.solution_id)
        .select(solutions::organization_id)
        .first(conn)?;
    if !is_member(conn, &auth.org.id, &company)? {
        return Err(ApiError::forbidden(
            "this match's company is not a member of your cluster",
        ));
    }
    Ok(())
}

/// Moves a match to `to`, checking the lifecycle, and records who did it (`None`: the
/// platform itself). Introductions queue the e-mails to both sides in the same
/// transaction.
pub fn transition(
    conn: &mut DbConn,
    links: &Links,
    match_id: &str,
    to: MatchStatus,
    actor: Option<&str>,
) -> Result<Match, ApiError> {
    crate::db::write_tx(conn, |conn| {
        let mut m = load(conn, match_id)?;
        let from = MatchStatus::parse(&m.status).unwrap_or(MatchStatus::Suggested);
        if !from.can_move_to(to) {
            return Err(ApiError::conflict(format!(
                "a match that is {from} cannot become {to}"
            )));
        }
        let at = now();
        diesel::update(matches::table.find(&m.id))
            .set((matches::status.eq(to.as_str()), matches::updated_at.eq(at)))
            .execute(conn)?;
        let action = if actor.is_none() && to == MatchStatus::Introduced {
            "auto_introduced"
        } else {
            to.as_str()
        };
        store::audit(
            conn,
            "match",
            &m.id,
            action,
            Some(from.as_str()),
            Some(to.as_str()),
            actor,
        )?;
        m.status = to.as_str().into();
        m.updated_at = at;
        if to == MatchStatus::Introduced {
            notify::queue_introduction(conn, links, &m.id)?;
        }
        Ok(m)
    })
}

/// Moves the match of a (challenge, solution) pair when it exists and the move is
/// allowed; used when responses change (a company responds, a city shortlists, ...).
pub fn follow_response(
    conn: &mut DbConn,
    links: &Links,
    challenge_id: &str,
    solution_id: &str,
    to: MatchStatus,
    actor: Option<&str>,
) -> Result<(), ApiError> {
    let found: Option<Match> = matches::table
        .filter(matches::challenge_id.eq(challenge_id))
        .filter(matches::solution_id.eq(solution_id))
        .select(Match::as_select())
        .first(conn)
        .optional()?;
    if let Some(m) = found {
        let from = MatchStatus::parse(&m.status).unwrap_or(MatchStatus::Suggested);
        if from.can_move_to(to) {
            transition(conn, links, &m.id, to, actor)?;
        }
    }
    Ok(())
}

/// The solution of a match (for the company side of a decision).
pub fn solution_of(conn: &mut DbConn, m: &Match) -> QueryResult<Solution> {
    solutions::table
        .find(&m.solution_id)
        .select(Solution::as_select())
        .first(conn)
}
