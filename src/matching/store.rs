//! Matches as stored: one row per (challenge, solution) pair. A new score updates a
//! match but never its status once someone has decided on it; suggestions that no longer
//! rank are withdrawn.

use std::collections::HashSet;

use diesel::prelude::*;
use search_index::{Explanation, Hit};

use crate::db::models::Match;
use crate::db::schema::{challenges, matches, solutions};
use crate::db::DbConn;
use crate::domain::{new_id, now, MatchStatus};
use crate::error::ApiError;
use crate::mail::Links;

/// The status of a match nobody has decided on yet.
pub const SUGGESTED: &str = "suggested";

fn upsert(conn: &mut DbConn, challenge_id: &str, solution_id: &str, hit: &Hit) -> QueryResult<()> {
    let explanation = serde_json::to_string(&hit.explanation).unwrap_or_else(|_| "{}".into());
    let updated = diesel::update(
        matches::table
            .filter(matches::challenge_id.eq(challenge_id))
            .filter(matches::solution_id.eq(solution_id)),
    )
    .set((
        matches::score.eq(f64::from(hit.score)),
        matches::explanation.eq(&explanation),
        matches::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        let at = now();
        diesel::insert_into(matches::table)
            .values(Match {
                id: new_id(),
                challenge_id: challenge_id.into(),
                solution_id: solution_id.into(),
                score: f64::from(hit.score),
                rank: 0,
                explanation,
                status: SUGGESTED.into(),
                created_at: at,
                updated_at: at,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Numbers a challenge's matches 1, 2, ... by score.
fn rerank(conn: &mut DbConn, challenge_id: &str) -> QueryResult<()> {
    let ordered: Vec<(String, i32)> = matches::table
        .filter(matches::challenge_id.eq(challenge_id))
        .order((matches::score.desc(), matches::id))
        .select((matches::id, matches::rank))
        .load(conn)?;
    for (i, (id, rank)) in ordered.iter().enumerate() {
        let want = i as i32 + 1;
        if *rank != want {
            diesel::update(matches::table.find(id))
                .set(matches::rank.eq(want))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Introduces the suggested matches at or above the threshold, as the platform.
fn auto_introduce(
    conn: &mut DbConn,
    links: &Links,
    threshold: Option<f32>,
    challenge_id: Option<&str>,
    solution_id: Option<&str>,
) -> Result<(), ApiError> {
    let Some(threshold) = threshold else {
        return Ok(());
    };
    let mut query = matches::table
        .filter(matches::status.eq(SUGGESTED))
        .filter(matches::score.ge(f64::from(threshold)))
        .select(matches::id)
        .into_boxed();
    if let Some(id) = challenge_id {
        query = query.filter(matches::challenge_id.eq(id.to_owned()));
    }
    if let Some(id) = solution_id {
        query = query.filter(matches::solution_id.eq(id.to_owned()));
    }
    for id in query.load::<String>(conn)? {
        super::lifecycle::transition(conn, links, &id, MatchStatus::Introduced, None)?;
    }
    Ok(())
}

/// Stores the ranked solutions of one challenge (hits are solutions); matches at or
/// above `auto_introduce_at` are introduced.
pub fn store_challenge_matches(
    conn: &mut DbConn,
    links: &Links,
    challenge_id: &str,
    hits: &[Hit],
    auto_introduce_at: Option<f32>,
) -> Result<(), ApiError> {
    crate::db::write_tx(conn, |conn| {
        // Only solutions that still exist: the index may briefly hold a deleted one.
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let existing: HashSet<String> = solutions::table
            .filter(solutions::id.eq_any(&ids))
            .select(solutions::id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let mut kept = Vec::new();
        for hit in hits.iter().filter(|h| existing.contains(&h.id)) {
            upsert(conn, challenge_id, &hit.id, hit)?;
            kept.push(hit.id.clone());
        }
        diesel::delete(
            matches::table
                .filter(matches::challenge_id.eq(challenge_id))
                .filter(matches::status.eq(SUGGESTED))
                .filter(matches::solution_id.ne_all(&kept)),
        )
        .execute(conn)?;
        rerank(conn, challenge_id)?;
        auto_introduce(conn, links, auto_introduce_at, Some(challenge_id), None)
    })
}

/// Stores the ranked open challenges of one solution (hits are challenges).
pub fn store_solution_matches(
    conn: &mut DbConn,
    links: &Links,
    solution_id: &str,
    hits: &[Hit],
    auto_introduce_at: Option<f32>,
) -> Result<(), ApiError> {
    crate::db::write_tx(conn, |conn| {
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let existing: HashSet<String> = challenges::table
            .filter(challenges::id.eq_any(&ids))
            .select(challenges::id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let mut touched: Vec<String> = Vec::new();
        for hit in hits.iter().filter(|h| existing.contains(&h.id)) {
            upsert(conn, &hit.id, solution_id, hit)?;
            touched.push(hit.id.clone());
        }
        let withdrawn: Vec<String> = matches::table
            .filter(matches::solution_id.eq(solution_id))
            .filter(matches::status.eq(SUGGESTED))
            .filter(matches::challenge_id.ne_all(&touched))
            .select(matches::challenge_id)
            .load(conn)?;
        diesel::delete(
            matches::table
                .filter(matches::solution_id.eq(solution_id))
                .filter(matches::status.eq(SUGGESTED))
                .filter(matches::challenge_id.ne_all(&touched)),
        )
        .execute(conn)?;
        for challenge_id in touched.iter().chain(withdrawn.iter()) {
            rerank(conn, challenge_id)?;
        }
        auto_introduce(conn, links, auto_introduce_at, None, Some(solution_id))
    })
}

/// A stored explanation with its concept labels in the reader's language.
pub fn relabel(stored: &str, reader_lang: &str) -> serde_json::Value {
    match serde_json::from_str::<Explanation>(stored) {
        Ok(mut explanation) => {
            for concept in &mut explanation.concepts {
                if let Some(label) = search_index::concept_label(&concept.id, reader_lang) {
                    concept.label = label;
                }
            }
            serde_json::to_value(&explanation).unwrap_or_default()
        }
        Err(_) => serde_json::from_str(stored).unwrap_or_default(),
    }
}
