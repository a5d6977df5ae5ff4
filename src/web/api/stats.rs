//! The coordinators' figures: open challenges by sector, matches per week, the funnel
//! from suggestion to award, and how long challenges wait for their first introduction.
//! The API (`GET /api/v1/curation/stats`) and the dashboard page both read them here.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::curation::require_coordinator;
use super::matches::member_companies;
use crate::auth::Auth;
use crate::db::schema::{audit_log, challenges, matches, solutions};
use crate::db::DbConn;
use crate::domain::{json_list, now, MatchStatus, Sector};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How many weeks the "matches per week" series covers, this week included.
pub const WEEKS: i64 = 12;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectorCount {
    /// A sector code.
    pub sector: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekCount {
    /// The Monday the week starts on.
    pub week: NaiveDate,
    pub count: i64,
}

/// Matches that reached at least each stage (a declined match had responded, so it
/// counts as responded; a dismissed one only as suggested).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Funnel {
    pub suggested: i64,
    pub introduced: i64,
    pub responded: i64,
    pub awarded: i64,
    /// Of the suggested: dismissed by a coordinator.
    pub dismissed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitBucket {
    /// e.g. "1–7 days".
    pub label: String,
    /// Challenges whose first introduction came after that long.
    pub count: i64,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TimeToIntroduction {
    /// Challenges with at least one introduction.
    pub challenges: i64,
    /// Days from opening (or posting) to the first introduction, the median.
    pub median_days: Option<f64>,
    pub buckets: Vec<WaitBucket>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurationStats {
    /// Open challenges on the platform per sector (a challenge in two sectors counts in
    /// both), in the order of the sector codes.
    pub challenges_by_sector: Vec<SectorCount>,
    /// Matches of the member companies first stored in each of the last weeks, oldest first.
    pub matches_per_week: Vec<WeekCount>,
    /// The member companies' matches, by how far they got.
    pub funnel: Funnel,
    /// For challenges matched to member companies: from opening to the first introduction.
    pub time_to_introduction: TimeToIntroduction,
}

/// Statuses that mean a match reached `stage` or went further.
fn at_least(stage: MatchStatus) -> &'static [&'static str] {
    match stage {
        MatchStatus::Introduced => &[
            "introduced",
            "responded",
            "shortlisted",
            "awarded",
            "declined",
        ],
        MatchStatus::Responded => &["responded", "shortlisted", "awarded", "declined"],
        MatchStatus::Awarded => &["awarded"],
        _ => &[],
    }
}

/// The Monday of the week `day` is in.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Upper bounds (in days, exclusive) and labels of the waiting-time buckets.
const WAITS: &[(f64, &str)] = &[
    (1.0, "Within a day"),
    (7.0, "1–7 days"),
    (30.0, "1–4 weeks"),
    (90.0, "1–3 months"),
    (f64::INFINITY, "Longer"),
];

pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if !n.is_multiple_of(2) => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The figures for a coordinator (their member companies' matches) or a platform admin
/// (every match).
pub fn curation_stats(conn: &mut DbConn, auth: &Auth) -> Result<CurationStats, ApiError> {
    require_coordinator(auth)?;
    let members = member_companies(conn, &auth.org.id)?;
    let everyone = auth.is_platform_admin();
    // The member companies' matches, as a query each figure starts from.
    let scoped = || {
        let mut q = matches::table.inner_join(solutions::table).into_boxed();
        if !everyone {
            q = q.filter(solutions::organization_id.eq_any(members.clone()));
        }
        q
    };

    let open_sectors: Vec<String> = challenges::table
        .filter(challenges::status.eq("open"))
        .select(challenges::sectors)
        .load(conn)?;
    let mut per_sector: BTreeMap<&str, i64> = BTreeMap::new();
    for stored in &open_sectors {
        for code in json_list(stored) {
            if let Some(s) = Sector::parse(&code) {
                *per_sector.entry(s.as_str()).or_default() += 1;
            }
        }
    }
    let challenges_by_sector = Sector::ALL
        .iter()
        .map(|s| SectorCount {
            sector: s.as_str().to_owned(),
            count: per_sector.get(s.as_str()).copied().unwrap_or(0),
        })
        .collect();

    let this_week = week_of(now().date());
    let first_week = this_week - Duration::weeks(WEEKS - 1);
    let since = first_week.and_hms_opt(0, 0, 0).unwrap_or_default();
    let created: Vec<NaiveDateTime> = scoped()
        .filter(matches::created_at.ge(since))
        .select(matches::created_at)
        .load(conn)?;
    let mut per_week: BTreeMap<NaiveDate, i64> = (0..WEEKS)
        .map(|i| (first_week + Duration::weeks(i), 0))
        .collect();
    for at in created {
        if let Some(n) = per_week.get_mut(&week_of(at.date())) {
            *n += 1;
        }
    }
    let matches_per_week = per_week
        .into_iter()
        .map(|(week, count)| WeekCount { week, count })
        .collect();

    let count_in = |conn: &mut DbConn, statuses: &[&str]| -> QueryResult<i64> {
        scoped()
            .filter(matches::status.eq_any(statuses.to_vec()))
            .count()
            .get_result(conn)
    };
    let funnel = Funnel {
        suggested: scoped().count().get_result(conn)?,
        introduced: count_in(conn, at_least(MatchStatus::Introduced))?,
        responded: count_in(conn, at_least(MatchStatus::Responded))?,
        awarded: count_in(conn, at_least(MatchStatus::Awarded))?,
        dismissed: count_in(conn, &["dismissed"])?,
    };

    // Every introduction of a member's match, with the challenge it belongs to.
    let mut introductions = audit_log::table
        .inner_join(matches::table.on(matches::id.eq(audit_log::entity_id)))
        .inner_join(challenges::table.on(challenges::id.eq(matches::challenge_id)))
        .inner_join(solutions::table.on(solutions::id.eq(matches::solution_id)))
        .filter(audit_log::entity_kind.eq("match"))
        .filter(audit_log::to_status.eq(MatchStatus::Introduced.as_str()))
        .into_boxed();
    if !everyone {
        introductions = introductions.filter(solutions::organization_id.eq_any(members.clone()));
    }
    let rows: Vec<(String, Option<NaiveDateTime>, NaiveDateTime, NaiveDateTime)> = introductions
        .select((
            challenges::id,
            challenges::opened_at,
            challenges::created_at,
            audit_log::created_at,
        ))
        .load(conn)?;
    let mut first: BTreeMap<String, (NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
    for (challenge, opened, created, introduced) in rows {
        let posted = opened.unwrap_or(created);
        first
            .entry(challenge)
            .and_modify(|e| e.1 = e.1.min(introduced))
            .or_insert((posted, introduced));
    }
    let mut waits: Vec<f64> = first
        .values()
        .map(|(posted, introduced)| {
            ((*introduced - *posted).num_seconds().max(0) as f64) / 86_400.0
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    let mut buckets: Vec<WaitBucket> = WAITS
        .iter()
        .map(|(_, label)| WaitBucket {
            label: (*label).to_owned(),
            count: 0,
        })
        .collect();
    for w in &waits {
        if let Some(i) = WAITS.iter().position(|(upper, _)| w < upper) {
            buckets[i].count += 1;
        }
    }
    let time_to_introduction = TimeToIntroduction {
        challenges: waits.len() as i64,
        median_days: median(&waits),
        buckets,
    };
    Ok(CurationStats {
        challenges_by_sector,
        matches_per_week,
        funnel,
        time_to_introduction,
    })
}

/// The coordinator's figures (see the dashboard page).
#[utoipa::path(get, path = "/api/v1/curation/stats", tag = "curation",
    responses((status = 200, body = CurationStats), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    require_coordinator(&auth)?;
    let out = state.db(move |conn| curation_stats(conn, &auth)).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_medians_split_the_middle() {
        let thursday = NaiveDate::from_ymd_opt(2026, 3, 5).expect("date");
        assert_eq!(
            week_of(thursday),
            NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
        );
        assert_eq!(week_of(week_of(thursday)), week_of(thursday));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, 3.0, 10.0]), Some(3.0));
        assert_eq!(median(&[1.0, 3.0]), Some(2.0));
    }
}
