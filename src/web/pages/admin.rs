//! The platform admin's page: organisations waiting to be verified (a coordinator cannot
//! accept members or curate before), and e-mails that failed for good, to queue again.
//! Everything goes through `api::organizations` and `api::outbox`, as for the API.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::views::{self, Pager};
use super::{outcome, redirect, render, session::Flash, Layout, PageCtx, PageError};
use crate::auth::Auth;
use crate::domain::{Check, OrgKind};
use crate::error::ApiError;
use crate::mail::outbox::OutboxStatus;
use crate::web::api::organizations::{unverified_organizations, verify_organization};
use crate::web::api::outbox::{outbox_counts, outbox_page, retry_email};
use crate::web::api::paging;

#[derive(Debug, Default, Deserialize)]
pub struct AdminParams {
    /// city, company or cluster: only organisations of this kind wait in the list.
    pub kind: Option<String>,
    /// The page of dead e-mails (the listings' usual page size).
    pub page: Option<String>,
}

/// An organisation waiting for verification.
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub country: String,
    pub registered: String,
    pub website: Option<String>,
}

/// An e-mail that failed for good.
pub struct DeadRow {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub template: String,
    pub attempts: i32,
    pub error: String,
    pub queued: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    layout: Layout,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    waiting: Vec<OrgRow>,
    counts: Vec<(&'static str, i64)>,
    dead: Vec<DeadRow>,
    pager: Pager,
}

fn require_admin(ctx: &PageCtx) -> Result<Auth, PageError> {
    let auth = ctx.require_login()?.clone();
    auth.require_platform_admin()?;
    Ok(auth)
}

/// Where the forms come back to: the list of the kind that was shown.
fn back_to(kind: Option<String>) -> String {
    match kind.filter(|k| OrgKind::parse(k).is_some()) {
        Some(kind) => format!("/admin?kind={kind}"),
        None => "/admin".into(),
    }
}

pub async fn index(
    ctx: PageCtx,
    params: web::Query<AdminParams>,
) -> Result<HttpResponse, PageError> {
    let auth = require_admin(&ctx)?;
    let p = params.into_inner();
    let (page, per_page) = paging(p.page.as_deref(), None)?;
    let mut check = Check::new();
    let kind = check.code(
        "kind",
        p.kind.clone().filter(|k| !k.is_empty()),
        OrgKind::parse,
        OrgKind::codes,
    );
    let kind = check.finish(kind).map_err(ApiError::from)?;
    let (waiting, counts, (dead, total)) = ctx
        .state
        .db(move |conn| {
            Ok((
                unverified_organizations(conn, &auth, kind)?,
                outbox_counts(conn)?,
                outbox_page(conn, Some(OutboxStatus::Dead), page, per_page)?,
            ))
        })
        .await?;
    let count_of = |status: OutboxStatus| {
        counts
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let kind_code = kind.map_or("", OrgKind::as_str).to_owned();
    render(&AdminPage {
        layout: ctx.layout("Platform administration", "admin"),
        kinds: vec![
            ("", "All"),
            ("city", "Cities"),
            ("company", "Companies"),
            ("cluster", "Clusters"),
        ],
        waiting: waiting
            .into_iter()
            .map(|o| OrgRow {
                kind: views::kind_label(&o.kind),
                country: views::country_name(&o.country),
                registered: views::date(&o.created_at),
                id: o.id,
                name: o.name,
                website: o.website,
            })
            .collect(),
        counts: vec![
            ("Waiting to be sent", count_of(OutboxStatus::Pending)),
            ("Being sent", count_of(OutboxStatus::Sending)),
            ("Sent", count_of(OutboxStatus::Sent)),
            ("Failed for good", count_of(OutboxStatus::Dead)),
        ],
        dead: dead
            .into_iter()
            .map(|r| DeadRow {
                id: r.id,
                to: r.to_address,
                subject: r.subject,
                template: r.template,
                attempts: r.attempts,
                error: r.last_error.unwrap_or_default(),
                queued: views::date(&r.created_at),
            })
            .collect(),
        pager: Pager::new(
            "/admin",
            &[("kind", Some(kind_code.clone()))],
            page,
            per_page,
            total,
        ),
        kind: kind_code,
    })
}

/// Verify an organisation from the list.
pub async fn verify(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = require_admin(&ctx)?;
    let id = id.into_inner();
    let org = ctx
        .state
        .db(move |conn| verify_organization(conn, &auth, &id))
        .await?;
    let flash = Flash::success(match OrgKind::parse(&org.kind) {
        Some(OrgKind::Cluster) => format!(
            "{} is verified: its coordinators can accept members and curate their matches now.",
            org.name
        ),
        _ => format!("{} is verified: its pages show it as verified.", org.name),
    });
    Ok(redirect(&back_to(fields.get("kind")), Some(flash), &ctx))
}

/// Queue a dead e-mail again.
pub async fn retry(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    require_admin(&ctx)?;
    let id = id.into_inner();
    let retried = ctx.state.db(move |conn| retry_email(conn, &id)).await;
    let flash = outcome(retried, |to| {
        format!(
            "The e-mail to {to} is queued again: the outbox sends it with a fresh set of attempts."
        )
    })?;
    Ok(redirect(&back_to(fields.get("kind")), Some(flash), &ctx))
}
