//! The home page: what cleanmatch is, a search box, figures and the latest open challenges.

use actix_web::HttpResponse;
use askama::Template;
use diesel::prelude::*;

use super::views::{sector_choices, ChallengeCard, Choice};
use super::{render, Layout, PageCtx, PageError};
use crate::db::schema::{challenges, matches, solutions};
use crate::domain::challenge::ChallengeStatus;
use crate::web::api::challenges::ChallengeFilter;

/// Match statuses that mean both sides were introduced.
pub const INTRODUCED_OR_LATER: &[&str] = &[
    "introduced",
    "responded",
    "shortlisted",
    "awarded",
    "declined",
];

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    open_challenges: String,
    solutions: String,
    introductions: String,
    latest: Vec<ChallengeCard>,
    sectors: Vec<Choice>,
}

pub async fn home(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let matcher = ctx.state.matcher.clone();
    let (open, published, introduced, latest) = ctx
        .state
        .db(move |conn| {
            let open = challenges::table
                .filter(challenges::status.eq(ChallengeStatus::Open.as_str()))
                .count()
                .get_result::<i64>(conn)?;
            let published = solutions::table
                .filter(solutions::status.eq("published"))
                .count()
                .get_result::<i64>(conn)?;
            let introduced = matches::table
                .filter(matches::status.eq_any(INTRODUCED_OR_LATER))
                .count()
                .get_result::<i64>(conn)?;
            let filter = ChallengeFilter::public_with_status(ChallengeStatus::Open);
            let (latest, _) = filter.run(conn, &matcher, 1, 6)?;
            Ok((open, published, introduced, latest))
        })
        .await?;
    render(&HomePage {
        layout: ctx.layout(
            "Climate challenges of cities, solutions of cleantech companies",
            "home",
        ),
        open_challenges: super::views::grouped(open),
        solutions: super::views::grouped(published),
        introductions: super::views::grouped(introduced),
        latest: latest
            .iter()
            .map(|(c, o)| ChallengeCard::new(c, o))
            .collect(),
        sectors: sector_choices(),
    })
}
