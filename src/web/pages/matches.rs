//! Ranked matches on the pages: the rows of the challenge page (solutions that fit, for
//! its city), of the solution page and of the company's "challenges that fit" page, each
//! with its explanation. The matches come from `api::matches::matches_of_challenge` /
//! `matches_of_solution`, as for the API.

use actix_web::HttpResponse;
use askama::Template;
use diesel::prelude::*;

use super::explain::{Side, Why};
use super::views;
use super::{render, Layout, PageCtx, PageError};
use crate::auth::Auth;
use crate::db::models::{Challenge, Match, Organization, Solution};
use crate::db::schema::solutions;
use crate::db::DbConn;
use crate::domain::OrgKind;
use crate::error::ApiError;
use crate::web::api::matches::matches_of_solution;

/// One ranked match as a row of a list: the record on the other side, its score and
/// status, and why it fits.
pub struct MatchItem {
    pub id: String,
    pub rank: i32,
    pub score: String,
    pub status: String,
    pub status_label: &'static str,
    /// `/solutions/ID` or `/challenges/ID`.
    pub href: String,
    pub title: String,
    pub lang: String,
    pub org_id: String,
    pub org_name: String,
    /// Country, sectors, readiness: a few words about the other side.
    pub facts: String,
    /// Where a company responds to the challenge (on the fits page), when it still can.
    pub respond: Option<String>,
    pub why: Why,
}

fn sides<'a>(c: &'a Challenge, s: &'a Solution) -> [Side<'a>; 2] {
    [
        Side::new(&c.title, &c.summary, &c.description, &c.language),
        Side::new(&s.title, &s.summary, &s.description, &s.language),
    ]
}

/// A solution that fits `c`, for the challenge page.
pub fn solution_item(
    m: &Match,
    c: &Challenge,
    s: &Solution,
    company: &Organization,
    auth: &Auth,
    weights: &search_index::ranking::RankWeights,
) -> MatchItem {
    MatchItem {
        id: m.id.clone(),
        rank: m.rank,
        score: format!("{:.0}", m.score),
        status: m.status.clone(),
        status_label: views::match_status_label(&m.status),
        href: format!("/solutions/{}", s.id),
        title: s.title.clone(),
        lang: views::html_lang(&s.language),
        org_id: company.id.clone(),
        org_name: company.name.clone(),
        facts: format!("TRL {} · serves {}", s.trl, views::serves(s)),
        respond: None,
        why: Why::new(
            &m.explanation,
            m.score,
            &auth.user.locale,
            &sides(c, s),
            weights,
        ),
    }
}

/// A challenge that `s` fits, for the solution and fits pages.
pub fn challenge_item(
    rank: i32,
    m: &Match,
    c: &Challenge,
    city: &Organization,
    s: &Solution,
    auth: &Auth,
    weights: &search_index::ranking::RankWeights,
) -> MatchItem {
    let mut facts = vec![views::country_name(&city.country)];
    facts.extend(
        views::sector_labels(&c.sectors)
            .iter()
            .map(|s| s.to_string()),
    );
    if let Some(d) = &c.response_deadline {
        facts.push(format!("respond by {}", views::day(d)));
    }
    MatchItem {
        id: m.id.clone(),
        rank,
        score: format!("{:.0}", m.score),
        status: m.status.clone(),
        status_label: views::match_status_label(&m.status),
        href: format!("/challenges/{}", c.id),
        title: c.title.clone(),
        lang: views::html_lang(&c.language),
        org_id: city.id.clone(),
        org_name: city.name.clone(),
        facts: facts.join(" · "),
        respond: None,
        why: Why::new(
            &m.explanation,
            m.score,
            &auth.user.locale,
            &sides(c, s),
            weights,
        ),
    }
}

/// The open challenges a solution fits, best first, as `auth` may see them.
pub fn open_challenges_for(
    conn: &mut DbConn,
    auth: &Auth,
    solution_id: &str,
    weights: &search_index::ranking::RankWeights,
) -> Result<Vec<MatchItem>, ApiError> {
    let (solution, rows) = matches_of_solution(conn, auth, solution_id)?;
    let company = auth.kind() == Some(OrgKind::Company);
    Ok(rows
        .iter()
        .filter(|(_, c, _)| c.status == "open")
        .enumerate()
        .map(|(i, (m, c, o))| {
            let mut item = challenge_item(i as i32 + 1, m, c, o, &solution, auth, weights);
            // Until the company has responded with this solution.
            let answered = matches!(
                item.status.as_str(),
                "responded" | "shortlisted" | "awarded" | "declined"
            );
            if company && !answered {
                item.respond = Some(format!("{}#respond", item.href));
            }
            item
        })
        .collect())
}

/// A published solution with the challenges it fits.
pub struct SolutionFits {
    pub id: String,
    pub title: String,
    pub lang: String,
    pub items: Vec<MatchItem>,
}

#[derive(Template)]
#[template(path = "matches/fits.html")]
pub struct FitsPage {
    layout: Layout,
    solutions: Vec<SolutionFits>,
    total: usize,
}

/// "Challenges that fit my solutions": every published solution of the company with the
/// open challenges it fits, best first, each with its explanation and a way to respond.
pub async fn fits(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    auth.require_kind(
        OrgKind::Company,
        "see the challenges that fit their solutions",
    )?;
    let weights = ctx.state.matcher.challenges().weights();
    let solutions = ctx
        .state
        .db(move |conn| {
            let published: Vec<Solution> = solutions::table
                .filter(solutions::organization_id.eq(&auth.org.id))
                .filter(solutions::status.eq("published"))
                .order(solutions::title.asc())
                .select(Solution::as_select())
                .load(conn)?;
            published
                .into_iter()
                .map(|s| {
                    let items = open_challenges_for(conn, &auth, &s.id, &weights)?;
                    Ok(SolutionFits {
                        lang: views::html_lang(&s.language),
                        id: s.id,
                        title: s.title,
                        items,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    let total = solutions.iter().map(|s| s.items.len()).sum();
    render(&FitsPage {
        layout: ctx.layout("Challenges that fit your solutions", "fits"),
        solutions,
        total,
    })
}
