//! What the templates show: records turned into display values (labels instead of codes,
//! grouped numbers, country names, the `lang` of user-written text).

use chrono::NaiveDateTime;

use crate::db::models::{Challenge, Organization, Solution};
use crate::domain::challenge::{ChallengeStatus, Stage};
use crate::domain::solution::SolutionStatus;
use crate::domain::{json_list, Language, MatchStatus, OrgKind, ResponseStatus, Sector};

/// A sector code and its words.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

pub fn sector_choices() -> Vec<Choice> {
    Sector::ALL
        .iter()
        .map(|s| Choice {
            code: s.as_str(),
            label: s.label(),
        })
        .collect()
}

pub fn stage_choices() -> Vec<Choice> {
    Stage::ALL
        .iter()
        .map(|s| Choice {
            code: s.as_str(),
            label: s.label(),
        })
        .collect()
}

pub fn language_choices() -> Vec<Choice> {
    Language::ALL
        .iter()
        .map(|l| Choice {
            code: l.as_str(),
            label: l.label(),
        })
        .collect()
}

pub fn challenge_status_choices() -> Vec<Choice> {
    [
        ChallengeStatus::Open,
        ChallengeStatus::Closed,
        ChallengeStatus::Awarded,
    ]
    .iter()
    .map(|s| Choice {
        code: s.as_str(),
        label: challenge_status_label(s.as_str()),
    })
    .collect()
}

pub fn sector_labels(stored: &str) -> Vec<&'static str> {
    json_list(stored)
        .iter()
        .filter_map(|c| Sector::parse(c))
        .map(Sector::label)
        .collect()
}

pub fn stage_label(code: &str) -> &'static str {
    Stage::parse(code).map_or("Unknown stage", Stage::label)
}

pub fn challenge_status_label(code: &str) -> &'static str {
    match ChallengeStatus::parse(code) {
        Some(ChallengeStatus::Draft) => "Draft",
        Some(ChallengeStatus::Open) => "Open",
        Some(ChallengeStatus::Closed) => "Closed",
        Some(ChallengeStatus::Awarded) => "Awarded",
        None => "Unknown",
    }
}

pub fn solution_status_label(code: &str) -> &'static str {
    match SolutionStatus::parse(code) {
        Some(SolutionStatus::Draft) => "Draft",
        Some(SolutionStatus::Published) => "Published",
        Some(SolutionStatus::Archived) => "Archived",
        None => "Unknown",
    }
}

/// A match's status as the people on either side read it.
pub fn match_status_label(code: &str) -> &'static str {
    match MatchStatus::parse(code) {
        Some(MatchStatus::Suggested) => "Suggested",
        Some(MatchStatus::Approved) => "Approved by a cluster",
        Some(MatchStatus::Introduced) => "Introduced",
        Some(MatchStatus::Dismissed) => "Dismissed",
        Some(MatchStatus::Responded) => "Responded",
        Some(MatchStatus::Shortlisted) => "Shortlisted",
        Some(MatchStatus::Awarded) => "Awarded",
        Some(MatchStatus::Declined) => "Declined",
        None => "Unknown",
    }
}

pub fn response_status_label(code: &str) -> &'static str {
    match ResponseStatus::parse(code) {
        Some(ResponseStatus::Submitted) => "Submitted",
        Some(ResponseStatus::Shortlisted) => "Shortlisted",
        Some(ResponseStatus::Declined) => "Declined",
        Some(ResponseStatus::Awarded) => "Awarded",
        None => "Unknown",
    }
}

pub fn language_label(code: &str) -> &'static str {
    Language::parse(code).map_or("", Language::label)
}

/// The `lang` attribute for text written in `code` (all stored codes are valid BCP 47).
pub fn html_lang(code: &str) -> String {
    match Language::parse(code) {
        Some(l) => l.as_str().to_owned(),
        None => "und".to_owned(),
    }
}

pub fn country_name(code: &str) -> String {
    isocountry::CountryCode::for_alpha2(code)
        .map(|c| c.name().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

/// 1234567 -> "1,234,567".
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub fn tonnes(t: f64) -> String {
    format!("{}\u{a0}tCO₂e/yr", grouped(t.round() as i64))
}

pub fn date(t: &NaiveDateTime) -> String {
    t.format("%-d %b %Y").to_string()
}

/// "23 Nov 2026" from a stored `YYYY-MM-DD`.
pub fn day(ymd: &str) -> String {
    chrono::NaiveDate::parse_from_str(ymd, "%Y-%m-%d")
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|_| ymd.to_owned())
}

pub fn budget(min: Option<i64>, max: Option<i64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) if a == b => Some(format!("€{}", grouped(a))),
        (Some(a), Some(b)) => Some(format!("€{} – €{}", grouped(a), grouped(b))),
        (Some(a), None) => Some(format!("from €{}", grouped(a))),
        (None, Some(b)) => Some(format!("up to €{}", grouped(b))),
        (None, None) => None,
    }
}

/// A challenge in a list.
pub struct ChallengeCard {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub lang: String,
    pub city_id: String,
    pub city: String,
    pub country: String,
    pub sectors: Vec<&'static str>,
    pub stage: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub deadline: Option<String>,
    pub budget: Option<String>,
}

impl ChallengeCard {
    pub fn new(c: &Challenge, city: &Organization) -> ChallengeCard {
        ChallengeCard {
            id: c.id.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            lang: html_lang(&c.language),
            city_id: city.id.clone(),
            city: city.name.clone(),
            country: country_name(&city.country),
            sectors: sector_labels(&c.sectors),
            stage: stage_label(&c.stage),
            status: c.status.clone(),
            status_label: challenge_status_label(&c.status),
            deadline: c.response_deadline.as_deref().map(day),
            budget: budget(c.budget_min_eur, c.budget_max_eur),
        }
    }
}

/// A solution in a list.
pub struct SolutionCard {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub lang: String,
    pub company_id: String,
    pub company: String,
    pub sectors: Vec<&'static str>,
    pub trl: i32,
    pub serves: String,
    pub status: String,
    pub status_label: &'static str,
}

pub fn serves(s: &Solution) -> String {
    if s.global {
        return "Worldwide".into();
    }
    let names: Vec<String> = json_list(&s.countries)
        .iter()
        .map(|c| country_name(c))
        .collect();
    names.join(", ")
}

impl SolutionCard {
    pub fn new(s: &Solution, company: &Organization) -> SolutionCard {
        SolutionCard {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            lang: html_lang(&s.language),
            company_id: company.id.clone(),
            company: company.name.clone(),
            sectors: sector_labels(&s.sectors),
            trl: s.trl,
            serves: serves(s),
            status: s.status.clone(),
            status_label: solution_status_label(&s.status),
        }
    }
}

pub fn kind_label(kind: &str) -> &'static str {
    OrgKind::parse(kind).map_or("Organisation", OrgKind::label)
}

/// Page links for a listing: numbers, with the query of the current filters kept.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The current query without `page`, ready to append `page=N`.
    pub base: String,
}

impl Pager {
    pub fn new(
        path: &str,
        query: &[(&str, Option<String>)],
        page: i64,
        per_page: i64,
        total: i64,
    ) -> Pager {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                serializer.append_pair(k, v);
            }
        }
        let q = serializer.finish();
        let base = if q.is_empty() {
            format!("{path}?")
        } else {
            format!("{path}?{q}&")
        };
        Pager {
            page,
            pages: ((total + per_page - 1) / per_page).max(1),
            total,
            base,
        }
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
    pub fn prev(&self) -> String {
        format!("{}page={}", self.base, self.page - 1)
    }
    pub fn next(&self) -> String {
        format!("{}page={}", self.base, self.page + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_budgets_read_well() {
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(-1000), "-1,000");
        assert_eq!(
            budget(Some(1_000_000), Some(5_000_000)).as_deref(),
            Some("€1,000,000 – €5,000,000")
        );
        assert_eq!(budget(None, None), None);
        assert_eq!(day("2026-11-23"), "23 Nov 2026");
        assert_eq!(country_name("DK"), "Denmark");
    }
}
