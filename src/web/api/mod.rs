//! The JSON API under `/api/v1`.

pub mod account;
pub mod auth;
pub mod challenges;
pub mod clusters;
pub mod curation;
pub mod matches;
pub mod me;
pub mod organizations;
pub mod outbox;
pub mod responses;
pub mod solutions;
pub mod stats;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::{Challenge, Organization, Solution};
use crate::domain::json_list;
use crate::error::{ApiError, FieldErrors};

/// An organisation as others see it: never with contact addresses.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: String,
    /// city, company or cluster.
    pub kind: String,
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub website: Option<String>,
    pub description: String,
    pub verified: bool,
    pub population: Option<i64>,
    pub networks: Vec<String>,
    pub size_band: Option<String>,
    pub created_at: NaiveDateTime,
}

impl From<&Organization> for OrganizationOut {
    fn from(o: &Organization) -> Self {
        OrganizationOut {
            id: o.id.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            country: o.country.clone(),
            region: o.region.clone(),
            website: o.website.clone(),
            description: o.description.clone(),
            verified: o.verified,
            population: o.population,
            networks: json_list(&o.networks),
            size_band: o.size_band.clone(),
            created_at: o.created_at,
        }
    }
}

/// The owner of a challenge or solution, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
    pub country: String,
    pub verified: bool,
}

impl From<&Organization> for OrgRef {
    fn from(o: &Organization) -> Self {
        OrgRef {
            id: o.id.clone(),
            name: o.name.clone(),
            country: o.country.clone(),
            verified: o.verified,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeOut {
    pub id: String,
    /// The city that posted it.
    pub organization: OrgRef,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: Vec<String>,
    pub plan_name: Option<String>,
    pub action_reference: Option<String>,
    pub target_year: Option<i32>,
    pub baseline_tco2e: Option<f64>,
    pub target_reduction_tco2e: Option<f64>,
    pub budget_min_eur: Option<i64>,
    pub budget_max_eur: Option<i64>,
    pub stage: String,
    pub min_trl: Option<i32>,
    pub co_benefits: Vec<String>,
    pub language: String,
    pub response_deadline: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
}

impl ChallengeOut {
    pub fn new(c: &Challenge, org: &Organization) -> Self {
        ChallengeOut {
            id: c.id.clone(),
            organization: org.into(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            description: c.description.clone(),
            sectors: json_list(&c.sectors),
            plan_name: c.plan_name.clone(),
            action_reference: c.action_reference.clone(),
            target_year: c.target_year,
            baseline_tco2e: c.baseline_tco2e,
            target_reduction_tco2e: c.target_reduction_tco2e,
            budget_min_eur: c.budget_min_eur,
            budget_max_eur: c.budget_max_eur,
            stage: c.stage.clone(),
            min_trl: c.min_trl,
            co_benefits: json_list(&c.co_benefits),
            language: c.language.clone(),
            response_deadline: c.response_deadline.clone(),
            status: c.status.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            opened_at: c.opened_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionOut {
    pub id: String,
    /// The company that offers it.
    pub organization: OrgRef,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: Vec<String>,
    pub trl: i32,
    pub countries: Vec<String>,
    pub global: bool,
    pub reference_deployments: String,
    pub claimed_reduction: String,
    pub claimed_reduction_tco2e: Option<f64>,
    pub price_model: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

impl SolutionOut {
    pub fn new(s: &Solution, org: &Organization) -> Self {
        SolutionOut {
            id: s.id.clone(),
            organization: org.into(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            description: s.description.clone(),
            sectors: json_list(&s.sectors),
            trl: s.trl,
            countries: json_list(&s.countries),
            global: s.global,
            reference_deployments: s.reference_deployments.clone(),
            claimed_reduction: s.claimed_reduction.clone(),
            claimed_reduction_tco2e: s.claimed_reduction_tco2e,
            price_model: s.price_model.clone(),
            language: s.language.clone(),
            status: s.status.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            published_at: s.published_at,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match the filters, on all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

pub const PER_PAGE_DEFAULT: i64 = 20;
pub const PER_PAGE_MAX: i64 = 100;

/// `page` (from 1) and `per_page` (1-100) from query text.
pub fn paging(page: Option<&str>, per_page: Option<&str>) -> Result<(i64, i64), ApiError> {
    let mut errors = FieldErrors::new();
    let page = match page.map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => {
                errors.add("page", "must be a whole number from 1");
                1
            }
        },
    };
    let per_page = match per_page.map(str::trim).filter(|s| !s.is_empty()) {
        None => PER_PAGE_DEFAULT,
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=PER_PAGE_MAX).contains(&n) => n,
            _ => {
                errors.add(
                    "per_page",
                    format!("must be a whole number from 1 to {PER_PAGE_MAX}"),
                );
                PER_PAGE_DEFAULT
            }
        },
    };
    Ok(errors.into_result((page, per_page))?)
}

/// The rows in the order of `ranked` (the search index's ids, best first), cut to one
/// page; with the total.
pub fn ranked_page<T>(
    mut rows: Vec<T>,
    ranked: &[String],
    id: impl Fn(&T) -> &String,
    offset: i64,
    per_page: i64,
) -> (Vec<T>, i64) {
    rows.sort_by_key(|r| ranked.iter().position(|x| x == id(r)));
    let total = rows.len() as i64;
    let page = rows
        .into_iter()
        .skip(offset.max(0) as usize)
        .take(per_page.max(0) as usize)
        .collect();
    (page, total)
}

/// At most this many search hits are ranked for a listing query.
pub const SEARCH_LIMIT: usize = 1000;
