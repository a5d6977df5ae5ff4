//! Writes shared by the API, the demo loader and the importer, so that every way a
//! record enters the database stores it the same way (and leaves the same audit trail).

use diesel::prelude::*;

use super::models::{AuditEntry, Challenge, Solution};
use super::schema::{audit_log, challenges, solutions};
use super::DbConn;
use crate::domain::challenge::{ChallengeData, ChallengeStatus};
use crate::domain::solution::{SolutionData, SolutionStatus};
use crate::domain::{list_to_json, new_id, now, sectors_to_json};

pub fn audit(
    conn: &mut DbConn,
    entity_kind: &str,
    entity_id: &str,
    action: &str,
    from_status: Option<&str>,
    to_status: Option<&str>,
    actor_user_id: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(AuditEntry {
            id: new_id(),
            entity_kind: entity_kind.into(),
            entity_id: entity_id.into(),
            action: action.into(),
            from_status: from_status.map(Into::into),
            to_status: to_status.map(Into::into),
            actor_user_id: actor_user_id.map(Into::into),
            details: "{}".into(),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// The stored row for checked data; `existing` keeps id, owner and history.
pub fn challenge_row(
    data: &ChallengeData,
    organization_id: &str,
    created_by: Option<&str>,
    existing: Option<&Challenge>,
) -> Challenge {
    let at = now();
    let opened_at = match existing.and_then(|e| e.opened_at) {
        Some(t) => Some(t),
        None if data.status == ChallengeStatus::Open => Some(at),
        None => None,
    };
    Challenge {
        id: existing.map(|e| e.id.clone()).unwrap_or_else(new_id),
        organization_id: organization_id.into(),
        title: data.title.clone(),
        summary: data.summary.clone(),
        description: data.description.clone(),
        sectors: sectors_to_json(&data.sectors),
        plan_name: data.plan_name.clone(),
        action_reference: data.action_reference.clone(),
        target_year: data.target_year,
        baseline_tco2e: data.baseline_tco2e,
        target_reduction_tco2e: data.target_reduction_tco2e,
        budget_min_eur: data.budget_min_eur,
        budget_max_eur: data.budget_max_eur,
        stage: data.stage.as_str().into(),
        min_trl: data.min_trl,
        co_benefits: list_to_json(&data.co_benefits),
        language: data.language.as_str().into(),
        response_deadline: data.response_deadline.clone(),
        status: data.status.as_str().into(),
        created_by: existing.map_or_else(|| created_by.map(Into::into), |e| e.created_by.clone()),
        created_at: existing.map_or(at, |e| e.created_at),
        updated_at: at,
        opened_at,
    }
}

pub fn insert_challenge(
    conn: &mut DbConn,
    data: &ChallengeData,
    organization_id: &str,
    actor: Option<&str>,
) -> QueryResult<Challenge> {
    let row = challenge_row(data, organization_id, actor, None);
    crate::db::write_tx(conn, |conn| {
        diesel::insert_into(challenges::table)
            .values(&row)
            .execute(conn)?;
        audit(
            conn,
            "challenge",
            &row.id,
            "created",
            None,
            Some(&row.status),
            actor,
        )?;
        Ok(row)
    })
}

pub fn update_challenge(
    conn: &mut DbConn,
    existing: &Challenge,
    data: &ChallengeData,
    actor: Option<&str>,
) -> QueryResult<Challenge> {
    let row = challenge_row(data, &existing.organization_id, actor, Some(existing));
    crate::db::write_tx(conn, |conn| {
        diesel::update(challenges::table.find(&row.id))
            .set(&row)
            .execute(conn)?;
        let action = if existing.status != row.status {
            "status_changed"
        } else {
            "edited"
        };
        audit(
            conn,
            "challenge",
            &row.id,
            action,
            Some(&existing.status),
            Some(&row.status),
            actor,
        )?;
        Ok(row)
    })
}

pub fn solution_row(
    data: &SolutionData,
    organization_id: &str,
    created_by: Option<&str>,
    existing: Option<&Solution>,
) -> Solution {
    let at = now();
    let published_at = match existing.and_then(|e| e.published_at) {
        Some(t) => Some(t),
        None if data.status == SolutionStatus::Published => Some(at),
        None => None,
    };
    Solution {
        id: existing.map(|e| e.id.clone()).unwrap_or_else(new_id),
        organization_id: organization_id.into(),
        title: data.title.clone(),
        summary: data.summary.clone(),
        description: data.description.clone(),
        sectors: sectors_to_json(&data.sectors),
        trl: data.trl,
        countries: list_to_json(&data.countries),
        global: data.global,
        reference_deployments: data.reference_deployments.clone(),
        claimed_reduction: data.claimed_reduction.clone(),
        claimed_reduction_tco2e: data.claimed_reduction_tco2e,
        price_model: data.price_model.clone(),
        language: data.language.as_str().into(),
        status: data.status.as_str().into(),
        created_by: existing.map_or_else(|| created_by.map(Into::into), |e| e.created_by.clone()),
        created_at: existing.map_or(at, |e| e.created_at),
        updated_at: at,
        published_at,
    }
}

pub fn insert_solution(
    conn: &mut DbConn,
    data: &SolutionData,
    organization_id: &str,
    actor: Option<&str>,
) -> QueryResult<Solution> {
    let row = solution_row(data, organization_id, actor, None);
    crate::db::write_tx(conn, |conn| {
        diesel::insert_into(solutions::table)
            .values(&row)
            .execute(conn)?;
        audit(
            conn,
            "solution",
            &row.id,
            "created",
            None,
            Some(&row.status),
            actor,
        )?;
        Ok(row)
    })
}

pub fn update_solution(
    conn: &mut DbConn,
    existing: &Solution,
    data: &SolutionData,
    actor: Option<&str>,
) -> QueryResult<Solution> {
    let row = solution_row(data, &existing.organization_id, actor, Some(existing));
    crate::db::write_tx(conn, |conn| {
        diesel::update(solutions::table.find(&row.id))
            .set(&row)
            .execute(conn)?;
        let action = if existing.status != row.status {
            "status_changed"
        } else {
            "edited"
        };
        audit(
            conn,
            "solution",
            &row.id,
            action,
            Some(&existing.status),
            Some(&row.status),
            actor,
        )?;
        Ok(row)
    })
}
