//! Daily and weekly digests of new matches.
//!
//! A digest covers one finished period: the previous UTC day for `daily` users, the
//! previous ISO week (Monday to Monday) for `weekly` ones. Its dedupe key
//! `digest:{user}:{period}` makes it exactly one per user and period, however often the
//! job runs and however many processes run it. No new matches, no e-mail.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::links::Links;
use super::outbox::{enqueue, OutgoingEmail};
use super::templates::{Digest, DigestItem, EmailTemplate};
use crate::db::models::{Challenge, Match, Organization, Solution, User};
use crate::db::schema::{challenges, matches, organizations, outbox, solutions, users};
use crate::db::DbConn;
use crate::domain::{NotificationMode, OrgKind};

/// At most this many matches are listed; the rest are counted.
pub const DIGEST_ITEMS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2026-11-22` or `2026-W47`.
    pub key: String,
    pub label: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The last finished period before `at` for a digest mode; `None` for other modes.
pub fn last_period(mode: NotificationMode, at: NaiveDateTime) -> Option<Period> {
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    match mode {
        NotificationMode::Daily => {
            let day = at.date() - Duration::days(1);
            Some(Period {
                key: day.format("%Y-%m-%d").to_string(),
                label: day.format("%A %-d %B %Y").to_string(),
                start: midnight(day),
                end: midnight(day + Duration::days(1)),
            })
        }
        NotificationMode::Weekly => {
            let this_monday =
                at.date() - Duration::days(i64::from(at.weekday().num_days_from_monday()));
            let monday = this_monday - Duration::days(7);
            let week = monday.iso_week();
            Some(Period {
                key: format!("{}-W{:02}", week.year(), week.week()),
                label: format!("the week of {}", monday.format("%-d %B %Y")),
                start: midnight(monday),
                end: midnight(this_monday),
            })
        }
        NotificationMode::Instant | NotificationMode::Off => None,
    }
}

pub fn dedupe_key(user_id: &str, period: &Period) -> String {
    format!("digest:{user_id}:{}", period.key)
}

/// Queues every digest that is due at `at` and not queued yet; returns how many.
pub fn queue_due(conn: &mut DbConn, links: &Links, at: NaiveDateTime) -> QueryResult<usize> {
    let candidates = users::table
        .inner_join(organizations::table)
        .filter(users::disabled.eq(false))
        .filter(users::notification_mode.eq_any([
            NotificationMode::Daily.as_str(),
            NotificationMode::Weekly.as_str(),
        ]))
        .order(users::id.asc())
        .select((User::as_select(), Organization::as_select()))
        .load::<(User, Organization)>(conn)?;
    let mut queued = 0;
    // Users of one organisation share its matches: load them once per org and period.
    let mut items_cache: HashMap<(String, String), Vec<DigestItem>> = HashMap::new();
    for (user, org) in candidates {
        let Some(period) =
            NotificationMode::parse(&user.notification_mode).and_then(|m| last_period(m, at))
        else {
            continue;
        };
        let key = dedupe_key(&user.id, &period);
        let done = outbox::table
            .filter(outbox::dedupe_key.eq(&key))
            .count()
            .get_result::<i64>(conn)?;
        if done > 0 {
            continue;
        }
        let cache_key = (org.id.clone(), period.key.clone());
        let items = match items_cache.get(&cache_key) {
            Some(items) => items.clone(),
            None => {
                let items = new_matches(conn, links, &org, &period)?;
                items_cache.insert(cache_key, items.clone());
                items
            }
        };
        if items.is_empty() {
            continue;
        }
        let more = items.len().saturating_sub(DIGEST_ITEMS);
        let email = OutgoingEmail {
            to: user.email.clone(),
            user_id: Some(user.id.clone()),
            template: EmailTemplate::Digest(Digest {
                name: user.display_name.clone(),
                period_label: period.label.clone(),
                items: items.into_iter().take(DIGEST_ITEMS).collect(),
                more,
                link: links.matches(),
            }),
            dedupe_key: key,
        };
        if enqueue(conn, links, &email)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The organisation's matches created in `period` (not dismissed), best first, as its
/// users read them: a city sees solutions for its challenges, a company the reverse.
fn new_matches(
    conn: &mut DbConn,
    links: &Links,
    org: &Organization,
    period: &Period,
) -> QueryResult<Vec<DigestItem>> {
    let query = matches::table
        .inner_join(challenges::table)
        .inner_join(solutions::table)
        .filter(matches::created_at.ge(period.start))
        .filter(matches::created_at.lt(period.end))
        .filter(matches::status.ne("dismissed"))
        .into_boxed();
    let query = match OrgKind::parse(&org.kind) {
        Some(OrgKind::City) => query.filter(challenges::organization_id.eq(org.id.clone())),
        Some(OrgKind::Company) => query.filter(solutions::organization_id.eq(org.id.clone())),
        _ => return Ok(Vec::new()),
    };
    let rows = query
        .order((matches::score.desc(), matches::id.asc()))
        .select((
            Match::as_select(),
            Challenge::as_select(),
            Solution::as_select(),
        ))
        .load::<(Match, Challenge, Solution)>(conn)?;
    let is_city = org.kind == OrgKind::City.as_str();
    let other_org_ids: Vec<String> = rows
        .iter()
        .map(|(_, c, s)| {
            if is_city {
                s.organization_id.clone()
            } else {
                c.organization_id.clone()
            }
        })
        .collect();
    let names: HashMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(&other_org_ids))
        .select((organizations::id, organizations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(m, c, s)| {
            let (own_title, other_title, other_org_id, link) = if is_city {
                (c.title, s.title, s.organization_id, links.solution(&s.id))
            } else {
                (s.title, c.title, c.organization_id, links.challenge(&c.id))
            };
            DigestItem {
                own_title,
                other_title,
                other_org: names.get(&other_org_id).cloned().unwrap_or_default(),
                score: m.score.round() as i64,
                link,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("date")
    }

    #[test]
    fn periods_are_the_last_finished_day_and_iso_week() {
        let daily =
            last_period(NotificationMode::Daily, at("2026-11-23 09:30")).expect("daily period");
        assert_eq!(daily.key, "2026-11-22");
        assert_eq!(daily.start, at("2026-11-22 00:00"));
        assert_eq!(daily.end, at("2026-11-23 00:00"));

        // 2026-11-23 is a Monday; the finished week is the one before.
        let weekly =
            last_period(NotificationMode::Weekly, at("2026-11-25 12:00")).expect("weekly period");
        assert_eq!(weekly.key, "2026-W47");
        assert_eq!(weekly.start, at("2026-11-16 00:00"));
        assert_eq!(weekly.end, at("2026-11-23 00:00"));
        assert_eq!(
            last_period(NotificationMode::Weekly, at("2026-11-23 00:00")).expect("weekly"),
            weekly
        );
        assert!(last_period(NotificationMode::Instant, at("2026-11-23 00:00")).is_none());
    }
}
