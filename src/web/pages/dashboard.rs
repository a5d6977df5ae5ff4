//! The coordinator's dashboard: a few figures and four charts drawn on the server as SVG
//! (open challenges by sector, matches per week, the funnel from suggestion to award, and
//! the time from posting a challenge to its first introduction). The numbers come from
//! `api::stats::curation_stats`, the same as `GET /api/v1/curation/stats`.

use actix_web::HttpResponse;
use askama::Template;

use super::charts::{HChart, VChart, WIDTH};
use super::views;
use super::{render, Layout, PageCtx, PageError};
use crate::domain::{MembershipStatus, Sector};
use crate::web::api::clusters::list_memberships;
use crate::web::api::curation::{curation_queue, require_coordinator, QueueFilter};
use crate::web::api::stats::{curation_stats, CurationStats};

#[derive(Template)]
#[template(path = "dashboard/index.html")]
pub struct DashboardPage {
    layout: Layout,
    cluster: String,
    is_admin: bool,
    waiting: String,
    members: String,
    requests: String,
    introduced: String,
    median: String,
    width: u32,
    sectors: HChart,
    weeks: VChart,
    funnel: HChart,
    waits: HChart,
}

fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        "–".to_owned()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

fn charts(stats: &CurationStats) -> (HChart, VChart, HChart, HChart) {
    let sectors = HChart::new(
        "chart-sectors",
        "Open challenges by sector",
        ("Sector", "Open challenges"),
        stats
            .challenges_by_sector
            .iter()
            .map(|s| {
                let label = Sector::parse(&s.sector)
                    .map_or_else(|| s.sector.clone(), |x| x.label().to_owned());
                (label, s.count, s.count.to_string())
            })
            .collect(),
        false,
    );
    let weeks = VChart::new(
        "chart-weeks",
        format!(
            "New matches per week, the last {} weeks",
            stats.matches_per_week.len()
        ),
        ("Week starting", "New matches"),
        stats
            .matches_per_week
            .iter()
            .map(|w| {
                let day = w.week.format("%-d %b").to_string();
                (w.week.format("%-d %b %Y").to_string(), day, w.count)
            })
            .collect(),
    );
    let f = &stats.funnel;
    let stage = |label: &str, n: i64| {
        (
            label.to_owned(),
            n,
            format!("{} · {}", views::grouped(n), percent(n, f.suggested)),
        )
    };
    let funnel = HChart::new(
        "chart-funnel",
        "From suggestion to award",
        ("Stage reached", "Matches · share of suggested"),
        vec![
            stage("Suggested", f.suggested),
            stage("Introduced", f.introduced),
            stage("Responded", f.responded),
            stage("Awarded", f.awarded),
        ],
        true,
    );
    let t = &stats.time_to_introduction;
    let waits = HChart::new(
        "chart-waits",
        "Time from posting a challenge to its first introduction",
        ("Waited", "Challenges"),
        t.buckets
            .iter()
            .map(|b| (b.label.clone(), b.count, b.count.to_string()))
            .collect(),
        false,
    );
    (sectors, weeks, funnel, waits)
}

/// A waiting time as it reads after "within".
fn days(d: f64) -> String {
    if d < 1.0 {
        match (d * 24.0).ceil() as i64 {
            ..=1 => "an hour".to_owned(),
            h => format!("{h} hours"),
        }
    } else {
        match d.round() as i64 {
            ..=1 => "a day".to_owned(),
            n => format!("{n} days"),
        }
    }
}

pub async fn dashboard(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    require_coordinator(&auth)?;
    let viewer = auth.clone();
    let (stats, waiting, memberships) = ctx
        .state
        .db(move |conn| {
            let stats = curation_stats(conn, &viewer)?;
            let waiting = curation_queue(conn, &viewer, &QueueFilter::default())?.len();
            let memberships = list_memberships(conn, &viewer, &viewer.org.id, None)?;
            Ok((stats, waiting, memberships))
        })
        .await?;
    let count = |status: MembershipStatus| {
        memberships
            .iter()
            .filter(|m| m.status == status.as_str())
            .count() as i64
    };
    let (sectors, weeks, funnel, waits) = charts(&stats);
    let t = &stats.time_to_introduction;
    render(&DashboardPage {
        layout: ctx.layout("Dashboard", "dashboard"),
        cluster: auth.org.name.clone(),
        is_admin: auth.is_platform_admin(),
        waiting: views::grouped(waiting as i64),
        members: views::grouped(count(MembershipStatus::Accepted)),
        requests: views::grouped(count(MembershipStatus::Pending)),
        introduced: views::grouped(stats.funnel.introduced),
        median: match t.median_days {
            Some(d) if t.challenges == 1 => format!(
                "The one challenge introduced so far met its first company within {}.",
                days(d)
            ),
            Some(d) => format!(
                "Half of the {} challenges introduced so far met their first company within {}.",
                t.challenges,
                days(d)
            ),
            None => "No challenge has been introduced to a member company yet.".to_owned(),
        },
        width: WIDTH,
        sectors,
        weeks,
        funnel,
        waits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_hours_or_days() {
        assert_eq!(days(0.01), "an hour");
        assert_eq!(days(0.5), "12 hours");
        assert_eq!(days(1.2), "a day");
        assert_eq!(days(9.6), "10 days");
        assert_eq!(percent(1, 4), "25%");
        assert_eq!(percent(1, 0), "–");
    }
}
