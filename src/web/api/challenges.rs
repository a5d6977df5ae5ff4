//! Challenges: listing, posting, reading, editing, deleting drafts.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{paging, ranked_page, ChallengeOut, Page, SEARCH_LIMIT};
use crate::auth::{Auth, MaybeAuth};
use crate::db::models::{Challenge, Organization};
use crate::db::schema::{challenges, organizations, responses};
use crate::db::store;
use crate::db::DbConn;
use crate::domain::challenge::{ChallengeData, ChallengeInput, ChallengeStatus, Stage};
use crate::domain::{Check, OrgKind, Sector};
use crate::error::{ApiError, ErrorBody, FieldErrors};
use crate::matching::{self, Matcher};
use crate::state::AppState;
use crate::web::json::{merge_patch, JsonBody};

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ChallengeListParams {
    /// Words to look for in title, summary and description.
    pub q: Option<String>,
    /// A sector code.
    pub sector: Option<String>,
    /// The city's country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// draft (own only), open, closed, awarded.
    pub status: Option<String>,
    /// A procurement stage: market_dialogue, pre_commercial, tender, pilot, partnership.
    pub stage: Option<String>,
    /// Only challenges of this organisation.
    pub organization_id: Option<String>,
    /// `true`: only my organisation's challenges, drafts included.
    pub mine: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

pub struct ChallengeFilter {
    pub q: Option<String>,
    pub sector: Option<Sector>,
    pub country: Option<String>,
    pub status: Option<ChallengeStatus>,
    pub stage: Option<Stage>,
    pub organization_id: Option<String>,
    /// Drafts of this organisation are visible too (`None`: public view; admins see all).
    pub viewer_org: Option<String>,
    pub viewer_is_admin: bool,
}

impl ChallengeFilter {
    pub fn parse(p: ChallengeListParams, viewer: Option<&Auth>) -> Result<Self, ApiError> {
        let mut c = Check::new();
        let sector = c.code("sector", p.sector, Sector::parse, Sector::codes);
        let country = c.country("country", p.country);
        let status = c.code(
            "status",
            p.status,
            ChallengeStatus::parse,
            ChallengeStatus::codes,
        );
        let stage = c.code("stage", p.stage, Stage::parse, Stage::codes);
        let mine = matches!(p.mine.as_deref(), Some("true" | "1"));
        let q = c.optional_text("q", p.q, 200);
        let mut organization_id = p.organization_id.filter(|s| !s.trim().is_empty());
        if mine {
            match viewer {
                Some(auth) => organization_id = Some(auth.org.id.clone()),
                None => {
                    return Err(ApiError::Unauthorized(
                        "log in to list your own challenges".into(),
                    ))
                }
            }
        }
        c.finish(ChallengeFilter {
            q,
            sector,
            country,
            status,
            stage,
            organization_id,
            viewer_org: viewer.map(|a| a.org.id.clone()),
            viewer_is_admin: viewer.is_some_and(|a| a.is_platform_admin()),
        })
        .map_err(ApiError::from)
    }

    /// What anyone may see, with one status.
    pub fn public_with_status(status: ChallengeStatus) -> Self {
        ChallengeFilter {
            q: None,
            sector: None,
            country: None,
            status: Some(status),
            stage: None,
            organization_id: None,
            viewer_org: None,
            viewer_is_admin: false,
        }
    }

    fn query<'a>(&'a self) -> challenges::BoxedQuery<'a, crate::db::MultiBackend> {
        let mut query = challenges::table.into_boxed();
        if !self.viewer_is_admin {
            query = match &self.viewer_org {
                Some(org) => query.filter(
                    challenges::status
                        .ne("draft")
                        .or(challenges::organization_id.eq(org)),
                ),
                None => query.filter(challenges::status.ne("draft")),
            };
        }
        if let Some(sector) = self.sector {
            query = query.filter(challenges::sectors.like(format!("%\"{}\"%", sector.as_str())));
        }
        if let Some(country) = &self.country {
            let cities = organizations::table
                .filter(organizations::country.eq(country.clone()))
                .select(organizations::id);
            query = query.filter(challenges::organization_id.eq_any(cities));
        }
        if let Some(status) = self.status {
            query = query.filter(challenges::status.eq(status.as_str()));
        }
        if let Some(stage) = self.stage {
            query = query.filter(challenges::stage.eq(stage.as_str()));
        }
        if let Some(org) = &self.organization_id {
            query = query.filter(challenges::organization_id.eq(org));
        }
        query
    }

    /// One page of matching challenges and the total: newest first, or by relevance when
    /// there is a query (served by the search index; the database still decides what
    /// the viewer may see).
    pub fn run(
        &self,
        conn: &mut DbConn,
        matcher: &Matcher,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<(Challenge, Organization)>, i64), ApiError> {
        let offset = (page - 1) * per_page;
        let Some(q) = &self.q else {
            let total = self.query().count().get_result::<i64>(conn)?;
            let rows: Vec<Challenge> = self
                .query()
                .order((challenges::updated_at.desc(), challenges::id))
                .limit(per_page)
                .offset(offset)
                .select(Challenge::as_select())
                .load(conn)?;
            return Ok((with_owners(conn, rows)?, total));
        };
        let filter = search_index::ChallengeFilter {
            sector: self.sector.map(|s| s.as_str().to_owned()),
            country: self.country.clone(),
            status: self.status.map(|s| s.as_str().to_owned()),
        };
        let (ranked, _) = matcher
            .challenges()
            .search_challenges(q, &filter, 0, SEARCH_LIMIT)
            .map_err(|e| {
                ApiError::Internal(anyhow::Error::new(e).context("searching the index"))
            })?;
        let rows: Vec<Challenge> = self
            .query()
            .filter(challenges::id.eq_any(&ranked))
            .select(Challenge::as_select())
            .load(conn)?;
        let (page_rows, total) = ranked_page(rows, &ranked, |r| &r.id, offset, per_page);
        Ok((with_owners(conn, page_rows)?, total))
    }
}

/// Pairs challenges with their cities, in one query.
pub fn with_owners(
    conn: &mut DbConn,
    rows: Vec<Challenge>,
) -> QueryResult<Vec<(Challenge, Organization)>> {
    let ids: Vec<&String> = rows.iter().map(|c| &c.organization_id).collect();
    let orgs: Vec<Organization> = organizations::table
        .filter(organizations::id.eq_any(ids))
        .select(Organization::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|c| {
            let org = orgs.iter().find(|o| o.id == c.organization_id)?.clone();
            Some((c, org))
        })
        .collect())
}

/// A challenge the viewer may see (drafts only by their city and admins), or 404.
pub fn load_visible(
    conn: &mut DbConn,
    id: &str,
    viewer: Option<&Auth>,
) -> Result<(Challenge, Organization), ApiError> {
    let found = challenges::table
        .inner_join(organizations::table)
        .filter(challenges::id.eq(id))
        .select((Challenge::as_select(), Organization::as_select()))
        .first::<(Challenge, Organization)>(conn)
        .optional()?;
    match found {
        Some((c, o))
            if c.status != "draft" || viewer.is_some_and(|a| a.may_act_for(&c.organization_id)) =>
        {
            Ok((c, o))
        }
        _ => Err(ApiError::not_found("challenge")),
    }
}

/// A challenge the caller may change: 404 if it is hidden from them, 403 if only readable.
pub fn load_owned(
    conn: &mut DbConn,
    id: &str,
    auth: &Auth,
) -> Result<(Challenge, Organization), ApiError> {
    let (c, o) = load_visible(conn, id, Some(auth))?;
    if !auth.may_act_for(&c.organization_id) {
        return Err(ApiError::forbidden(
            "only the city that posted this challenge can change it",
        ));
    }
    Ok((c, o))
}

/// Browse challenges (drafts only for their own city).
#[utoipa::path(get, path = "/api/v1/challenges", tag = "challenges", params(ChallengeListParams),
    responses((status = 200, body = Page<ChallengeOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    params: web::Query<ChallengeListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let (page, per_page) = paging(params.page.as_deref(), params.per_page.as_deref())?;
    let filter = ChallengeFilter::parse(params, auth.0.as_ref())?;
    let matcher = state.matcher.clone();
    let (rows, total) = state
        .db(move |conn| filter.run(conn, &matcher, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.iter().map(|(c, o)| ChallengeOut::new(c, o)).collect(),
        total,
        page,
        per_page,
    }))
}

/// Post a challenge for the caller's city (a draft unless `status` is `open`).
#[utoipa::path(post, path = "/api/v1/challenges", tag = "challenges", request_body = ChallengeInput,
    responses((status = 201, body = ChallengeOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ChallengeInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require_kind(OrgKind::City, "post challenges")?;
    let data = ChallengeData::parse(body.0)?;
    let matcher = state.matcher.clone();
    let out = state
        .db(move |conn| {
            let row = create_challenge(conn, &matcher, &auth, &data)?;
            Ok(ChallengeOut::new(&row, &auth.org))
        })
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Posts a challenge for the caller's city; the API and the pages both create through this.
pub fn create_challenge(
    conn: &mut DbConn,
    matcher: &Matcher,
    auth: &Auth,
    data: &ChallengeData,
) -> Result<Challenge, ApiError> {
    auth.require_kind(OrgKind::City, "post challenges")?;
    if !matches!(data.status, ChallengeStatus::Draft | ChallengeStatus::Open) {
        return Err(FieldErrors::single("status", "a new challenge is draft or open").into());
    }
    let row = store::insert_challenge(conn, data, &auth.org.id, Some(&auth.user.id))?;
    matching::after_challenge_change(matcher, conn, &row.id);
    Ok(row)
}

/// Read one challenge.
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "challenges",
    responses((status = 200, body = ChallengeOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (c, o) = state
        .db(move |conn| load_visible(conn, &id, auth.0.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(ChallengeOut::new(&c, &o)))
}

/// Change a challenge (a JSON merge patch; `status` moves it: draft -> open -> closed/awarded).
#[utoipa::path(patch, path = "/api/v1/challenges/{id}", tag = "challenges", request_body = ChallengeInput,
    responses((status = 200, body = ChallengeOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let matcher = state.matcher.clone();
    let out = state
        .db(move |conn| {
            let (row, org) = edit_challenge(conn, &matcher, &auth, &id, |stored| {
                merge_patch(
                    &stored,
                    body.0,
                    &[
                        "title",
                        "summary",
                        "description",
                        "sectors",
                        "stage",
                        "language",
                        "status",
                    ],
                )
            })?;
            Ok(ChallengeOut::new(&row, &org))
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Changes a challenge the caller may change: `edit` turns the stored record's input form
/// into the new one, which is checked by the same parser as a create and must be a status
/// move the city may make. The API (a merge patch) and the pages (a form) both edit
/// through this.
pub fn edit_challenge(
    conn: &mut DbConn,
    matcher: &Matcher,
    auth: &Auth,
    id: &str,
    edit: impl FnOnce(ChallengeInput) -> Result<ChallengeInput, ApiError>,
) -> Result<(Challenge, Organization), ApiError> {
    let (existing, org) = load_owned(conn, id, auth)?;
    let data = ChallengeData::parse(edit(ChallengeInput::from_stored(&existing))?)?;
    let from = ChallengeStatus::parse(&existing.status).unwrap_or(ChallengeStatus::Draft);
    if !from.can_move_to(data.status) {
        return Err(ApiError::conflict(format!(
            "a challenge that is {} cannot become {}",
            from.as_str(),
            data.status.as_str()
        )));
    }
    let row = store::update_challenge(conn, &existing, &data, Some(&auth.user.id))?;
    matching::after_challenge_change(matcher, conn, &row.id);
    Ok((row, org))
}

/// Delete a draft challenge (a published one is closed instead).
#[utoipa::path(delete, path = "/api/v1/challenges/{id}", tag = "challenges",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let matcher = state.matcher.clone();
    state
        .db(move |conn| {
            let (existing, _) = load_owned(conn, &id, &auth)?;
            if existing.status != "draft" {
                return Err(ApiError::conflict(
                    "only drafts can be deleted; close the challenge instead",
                ));
            }
            crate::db::write_tx(conn, |conn| {
                diesel::delete(responses::table.filter(responses::challenge_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(challenges::table.find(&id)).execute(conn)?;
                store::audit(
                    conn,
                    "challenge",
                    &id,
                    "deleted",
                    Some("draft"),
                    None,
                    Some(&auth.user.id),
                )
            })?;
            matching::after_delete(&matcher, conn);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
