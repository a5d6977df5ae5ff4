//! An organisation's public page: who they are, and their challenges or solutions.

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use super::views::{self, ChallengeCard, SolutionCard};
use super::{render, Layout, PageCtx, PageError};
use crate::db::models::Organization;
use crate::db::schema::organizations;
use crate::domain::{json_list, OrgKind};
use crate::error::ApiError;
use crate::web::api::challenges::{ChallengeFilter, ChallengeListParams};
use crate::web::api::solutions::{SolutionFilter, SolutionListParams};

#[derive(Template)]
#[template(path = "organizations/show.html")]
pub struct ShowPage {
    layout: Layout,
    org: Organization,
    kind: &'static str,
    country: String,
    population: Option<String>,
    networks: Vec<String>,
    is_member: bool,
    challenges: Vec<ChallengeCard>,
    solutions: Vec<SolutionCard>,
}

pub async fn show(ctx: PageCtx, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let viewer = ctx.auth.clone();
    let matcher = ctx.state.matcher.clone();
    let (org, challenges, solutions) = ctx
        .state
        .db(move |conn| {
            let org: Organization = organizations::table
                .find(&id)
                .select(Organization::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| ApiError::not_found("organization"))?;
            let mut challenges = Vec::new();
            let mut solutions = Vec::new();
            match OrgKind::parse(&org.kind) {
                Some(OrgKind::City) => {
                    let filter = ChallengeFilter::parse(
                        ChallengeListParams {
                            organization_id: Some(org.id.clone()),
                            ..Default::default()
                        },
                        viewer.as_ref(),
                    )?;
                    challenges = filter.run(conn, &matcher, 1, 100)?.0;
                }
                Some(OrgKind::Company) => {
                    let filter = SolutionFilter::parse(
                        SolutionListParams {
                            organization_id: Some(org.id.clone()),
                            ..Default::default()
                        },
                        viewer.as_ref(),
                    )?;
                    solutions = filter.run(conn, &matcher, 1, 100)?.0;
                }
                _ => {}
            }
            Ok((org, challenges, solutions))
        })
        .await?;
    let is_member = ctx.auth.as_ref().is_some_and(|a| a.org.id == org.id);
    render(&ShowPage {
        layout: ctx.layout(org.name.clone(), ""),
        kind: views::kind_label(&org.kind),
        country: views::country_name(&org.country),
        population: org.population.map(views::grouped),
        networks: json_list(&org.networks),
        is_member,
        challenges: challenges
            .iter()
            .map(|(c, o)| ChallengeCard::new(c, o))
            .collect(),
        solutions: solutions
            .iter()
            .map(|(s, o)| SolutionCard::new(s, o))
            .collect(),
        org,
    })
}
