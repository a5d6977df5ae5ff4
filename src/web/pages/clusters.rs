//! Cluster membership on the pages: a coordinator's members page (requests to accept or
//! refuse, and the members), and a company's clusters page (ask to join, see how its
//! requests stand). Everything goes through `api::clusters`, as for the API.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::form::Form;
use super::views;
use super::{outcome, redirect, render, Layout, PageCtx, PageError};
use crate::domain::{MembershipStatus, OrgKind};
use crate::error::ApiError;
use crate::web::api::clusters::{
    decide_membership, list_clusters, list_memberships, my_memberships, request_membership,
    MembershipOut,
};
use crate::web::api::curation::require_coordinator;

/// A membership as a row: the other side, when it was asked and decided.
pub struct MembershipRow {
    pub id: String,
    pub company_id: String,
    pub company: String,
    pub status: String,
    pub status_label: &'static str,
    pub requested: String,
    pub decided: Option<String>,
}

fn status_label(code: &str) -> &'static str {
    match MembershipStatus::parse(code) {
        Some(MembershipStatus::Pending) => "Waiting for a decision",
        Some(MembershipStatus::Accepted) => "Member",
        Some(MembershipStatus::Refused) => "Refused",
        None => "Unknown",
    }
}

impl From<&MembershipOut> for MembershipRow {
    fn from(m: &MembershipOut) -> Self {
        MembershipRow {
            id: m.id.clone(),
            company_id: m.company.id.clone(),
            company: m.company.name.clone(),
            status: m.status.clone(),
            status_label: status_label(&m.status),
            requested: views::date(&m.requested_at),
            decided: m.decided_at.as_ref().map(views::date),
        }
    }
}

#[derive(Template)]
#[template(path = "clusters/members.html")]
pub struct MembersPage {
    layout: Layout,
    cluster: String,
    verified: bool,
    pending: Vec<MembershipRow>,
    members: Vec<MembershipRow>,
    refused: Vec<MembershipRow>,
}

/// The coordinator's members page: requests first.
pub async fn members(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    require_coordinator(&auth)?;
    let viewer = auth.clone();
    let all = ctx
        .state
        .db(move |conn| list_memberships(conn, &viewer, &viewer.org.id, None))
        .await?;
    let rows = |status: MembershipStatus| -> Vec<MembershipRow> {
        all.iter()
            .filter(|m| m.status == status.as_str())
            .map(MembershipRow::from)
            .collect()
    };
    render(&MembersPage {
        layout: ctx.layout("Members and requests", "members"),
        cluster: auth.org.name.clone(),
        verified: auth.org.verified || auth.is_platform_admin(),
        pending: rows(MembershipStatus::Pending),
        members: rows(MembershipStatus::Accepted),
        refused: rows(MembershipStatus::Refused),
    })
}

/// Accept or refuse a request (`to` = accepted or refused).
pub async fn decide(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let to = fields
        .get("to")
        .as_deref()
        .and_then(MembershipStatus::parse)
        .filter(|s| *s != MembershipStatus::Pending)
        .ok_or_else(|| ApiError::field("to", "must be accepted or refused"))?;
    let id = id.into_inner();
    let decided = ctx
        .state
        .db(move |conn| decide_membership(conn, &auth, &id, to))
        .await;
    let flash = outcome(decided, |m| match to {
        MembershipStatus::Accepted => format!(
            "{} is a member now: its matches reach your curation queue.",
            m.company.name
        ),
        _ => format!(
            "The request of {} is refused. They can ask again later.",
            m.company.name
        ),
    })?;
    Ok(redirect("/cluster/members", Some(flash), &ctx))
}

/// A cluster a company can join, with where the company stands with it.
pub struct ClusterRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub description: String,
    pub verified: bool,
    pub status: Option<String>,
    pub status_label: &'static str,
    pub can_ask: bool,
    pub asked: Option<String>,
}

#[derive(Template)]
#[template(path = "clusters/join.html")]
pub struct JoinPage {
    layout: Layout,
    clusters: Vec<ClusterRow>,
}

/// The clusters, with the company's requests and memberships.
pub async fn clusters(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    auth.require_kind(OrgKind::Company, "join clusters")?;
    let (clusters, mine) = ctx
        .state
        .db(move |conn| Ok((list_clusters(conn)?, my_memberships(conn, &auth)?)))
        .await?;
    let rows = clusters
        .iter()
        .map(|c| {
            let membership = mine.iter().find(|m| m.cluster.id == c.id);
            let status = membership.map(|m| m.status.clone());
            ClusterRow {
                id: c.id.clone(),
                name: c.name.clone(),
                country: views::country_name(&c.country),
                description: c.description.clone(),
                verified: c.verified,
                status_label: status.as_deref().map_or("", status_label),
                can_ask: status
                    .as_deref()
                    .is_none_or(|s| s == MembershipStatus::Refused.as_str()),
                asked: membership.map(|m| views::date(&m.requested_at)),
                status,
            }
        })
        .collect();
    render(&JoinPage {
        layout: ctx.layout("Clusters", "clusters"),
        clusters: rows,
    })
}

/// A company asks to join a cluster.
pub async fn join(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(_): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let id = id.into_inner();
    let asked = ctx
        .state
        .db(move |conn| request_membership(conn, &auth, &id))
        .await;
    let flash = outcome(asked, |m| {
        format!(
            "You asked to join {}. Its coordinators decide; the request shows here meanwhile.",
            m.cluster.name
        )
    })?;
    Ok(redirect("/clusters", Some(flash), &ctx))
}
