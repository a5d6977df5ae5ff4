//! Solutions: listing, registering, reading, editing, deleting drafts.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{paging, ranked_page, Page, SolutionOut, SEARCH_LIMIT};
use crate::auth::{Auth, MaybeAuth};
use crate::db::models::{Organization, Solution};
use crate::db::schema::{organizations, responses, solutions};
use crate::db::store;
use crate::db::DbConn;
use crate::domain::solution::{SolutionData, SolutionInput, SolutionStatus};
use crate::domain::{Check, OrgKind, Sector};
use crate::error::{ApiError, ErrorBody, FieldErrors};
use crate::matching::{self, Matcher};
use crate::state::AppState;
use crate::web::json::{merge_patch, JsonBody};

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SolutionListParams {
    /// Words to look for in title, summary and description.
    pub q: Option<String>,
    /// A sector code.
    pub sector: Option<String>,
    /// Only solutions serving this country (ISO 3166-1 alpha-2), global ones included.
    pub country: Option<String>,
    /// Only solutions at or above this technology readiness level.
    pub trl_min: Option<String>,
    /// draft, published, archived (drafts and archived: own only).
    pub status: Option<String>,
    pub organization_id: Option<String>,
    /// `true`: only my organisation's solutions, drafts included.
    pub mine: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

pub struct SolutionFilter {
    pub q: Option<String>,
    pub sector: Option<Sector>,
    pub country: Option<String>,
    pub trl_min: Option<i32>,
    pub status: Option<SolutionStatus>,
    pub organization_id: Option<String>,
    pub viewer_org: Option<String>,
    pub viewer_is_admin: bool,
}

impl SolutionFilter {
    pub fn parse(p: SolutionListParams, viewer: Option<&Auth>) -> Result<Self, ApiError> {
        let mut c = Check::new();
        let sector = c.code("sector", p.sector, Sector::parse, Sector::codes);
        let country = c.country("country", p.country);
        let trl_min = match p
            .trl_min
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(t) => match t.parse::<i64>() {
                Ok(n) => c.trl("trl_min", Some(n)),
                Err(_) => {
                    c.fail(
                        "trl_min",
                        "must be a technology readiness level from 1 to 9",
                    );
                    None
                }
            },
        };
        let status = c.code(
            "status",
            p.status,
            SolutionStatus::parse,
            SolutionStatus::codes,
        );
        let q = c.optional_text("q", p.q, 200);
        let mut organization_id = p.organization_id.filter(|s| !s.trim().is_empty());
        if matches!(p.mine.as_deref(), Some("true" | "1")) {
            match viewer {
                Some(auth) => organization_id = Some(auth.org.id.clone()),
                None => {
                    return Err(ApiError::Unauthorized(
                        "log in to list your own solutions".into(),
                    ))
                }
            }
        }
        c.finish(SolutionFilter {
            q,
            sector,
            country,
            trl_min,
            status,
            organization_id,
            viewer_org: viewer.map(|a| a.org.id.clone()),
            viewer_is_admin: viewer.is_some_and(|a| a.is_platform_admin()),
        })
        .map_err(ApiError::from)
    }

    fn query<'a>(&'a self) -> solutions::BoxedQuery<'a, crate::db::MultiBackend> {
        let mut query = solutions::table.into_boxed();
        if !self.viewer_is_admin {
            query = match &self.viewer_org {
                Some(org) => query.filter(
                    solutions::status
                        .eq("published")
                        .or(solutions::organization_id.eq(org)),
                ),
                None => query.filter(solutions::status.eq("published")),
            };
        }
        if let Some(sector) = self.sector {
            query = query.filter(solutions::sectors.like(format!("%\"{}\"%", sector.as_str())));
        }
        if let Some(country) = &self.country {
            query = query.filter(
                solutions::global
                    .eq(true)
                    .or(solutions::countries.like(format!("%\"{country}\"%"))),
            );
        }
        if let Some(trl) = self.trl_min {
            query = query.filter(solutions::trl.ge(trl));
        }
        if let Some(status) = self.status {
            query = query.filter(solutions::status.eq(status.as_str()));
        }
        if let Some(org) = &self.organization_id {
            query = query.filter(solutions::organization_id.eq(org));
        }
        query
    }

    /// One page of matching solutions and the total: newest first, or by relevance when
    /// there is a query (served by the search index; the database still decides what
    /// the viewer may see).
    pub fn run(
        &self,
        conn: &mut DbConn,
        matcher: &Matcher,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<(Solution, Organization)>, i64), ApiError> {
        let offset = (page - 1) * per_page;
        let Some(q) = &self.q else {
            let total = self.query().count().get_result::<i64>(conn)?;
            let rows: Vec<Solution> = self
                .query()
                .order((solutions::updated_at.desc(), solutions::id))
                .limit(per_page)
                .offset(offset)
                .select(Solution::as_select())
                .load(conn)?;
            return Ok((with_owners(conn, rows)?, total));
        };
        let filter = search_index::SolutionFilter {
            sector: self.sector.map(|s| s.as_str().to_owned()),
            country: self.country.clone(),
            trl_min: self.trl_min.and_then(|t| u8::try_from(t).ok()),
            published_only: false,
        };
        let (ranked, _) = matcher
            .solutions()
            .search_solutions(q, &filter, 0, SEARCH_LIMIT)
            .map_err(|e| {
                ApiError::Internal(anyhow::Error::new(e).context("searching the index"))
            })?;
        let rows: Vec<Solution> = self
            .query()
            .filter(solutions::id.eq_any(&ranked))
            .select(Solution::as_select())
            .load(conn)?;
        let (page_rows, total) = ranked_page(rows, &ranked, |r| &r.id, offset, per_page);
        Ok((with_owners(conn, page_rows)?, total))
    }
}

pub fn with_owners(
    conn: &mut DbConn,
    rows: Vec<Solution>,
) -> QueryResult<Vec<(Solution, Organization)>> {
    let ids: Vec<&String> = rows.iter().map(|s| &s.organization_id).collect();
    let orgs: Vec<Organization> = organizations::table
        .filter(organizations::id.eq_any(ids))
        .select(Organization::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|s| {
            let org = orgs.iter().find(|o| o.id == s.organization_id)?.clone();
            Some((s, org))
        })
        .collect())
}

/// A solution the viewer may see (unpublished ones only by their company and admins), or 404.
pub fn load_visible(
    conn: &mut DbConn,
    id: &str,
    viewer: Option<&Auth>,
) -> Result<(Solution, Organization), ApiError> {
    let found = solutions::table
        .inner_join(organizations::table)
        .filter(solutions::id.eq(id))
        .select((Solution::as_select(), Organization::as_select()))
        .first::<(Solution, Organization)>(conn)
        .optional()?;
    match found {
        Some((s, o))
            if s.status == "published"
                || viewer.is_some_and(|a| a.may_act_for(&s.organization_id)) =>
        {
            Ok((s, o))
        }
        _ => Err(ApiError::not_found("solution")),
    }
}

pub fn load_owned(
    conn: &mut DbConn,
    id: &str,
    auth: &Auth,
) -> Result<(Solution, Organization), ApiError> {
    let (s, o) = load_visible(conn, id, Some(auth))?;
    if !auth.may_act_for(&s.organization_id) {
        return Err(ApiError::forbidden(
            "only the company that offers this solution can change it",
        ));
    }
    Ok((s, o))
}

/// Browse published solutions (and the caller's own).
#[utoipa::path(get, path = "/api/v1/solutions", tag = "solutions", params(SolutionListParams),
    responses((status = 200, body = Page<SolutionOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    params: web::Query<SolutionListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let (page, per_page) = paging(params.page.as_deref(), params.per_page.as_deref())?;
    let filter = SolutionFilter::parse(params, auth.0.as_ref())?;
    let matcher = state.matcher.clone();
    let (rows, total) = state
        .db(move |conn| filter.run(conn, &matcher, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.iter().map(|(s, o)| SolutionOut::new(s, o)).collect(),
        total,
        page,
        per_page,
    }))
}

/// Register a solution for the caller's company (a draft unless `status` is `published`).
#[utoipa::path(post, path = "/api/v1/solutions", tag = "solutions", request_body = SolutionInput,
    responses((status = 201, body = SolutionOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<SolutionInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require_kind(OrgKind::Company, "register solutions")?;
    let data = SolutionData::parse(body.0)?;
    let matcher = state.matcher.clone();
    let out = state
        .db(move |conn| {
            let row = create_solution(conn, &matcher, &auth, &data)?;
            Ok(SolutionOut::new(&row, &auth.org))
        })
        .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Registers a solution for the caller's company; the API and the pages both create through this.
pub fn create_solution(
    conn: &mut DbConn,
    matcher: &Matcher,
    auth: &Auth,
    data: &SolutionData,
) -> Result<Solution, ApiError> {
    auth.require_kind(OrgKind::Company, "register solutions")?;
    if data.status == SolutionStatus::Archived {
        return Err(FieldErrors::single("status", "a new solution is draft or published").into());
    }
    let row = store::insert_solution(conn, data, &auth.org.id, Some(&auth.user.id))?;
    matching::after_solution_change(matcher, conn, &row.id);
    Ok(row)
}

/// Read one solution.
#[utoipa::path(get, path = "/api/v1/solutions/{id}", tag = "solutions",
    responses((status = 200, body = SolutionOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (s, o) = state
        .db(move |conn| load_visible(conn, &id, auth.0.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(SolutionOut::new(&s, &o)))
}

/// Change a solution (a JSON merge patch; `status` publishes or archives it).
#[utoipa::path(patch, path = "/api/v1/solutions/{id}", tag = "solutions", request_body = SolutionInput,
    responses((status = 200, body = SolutionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
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
            let (row, org) = edit_solution(conn, &matcher, &auth, &id, |stored| {
                merge_patch(
                    &stored,
                    body.0,
                    &[
                        "title",
                        "summary",
                        "description",
                        "sectors",
                        "trl",
                        "language",
                        "status",
                    ],
                )
            })?;
            Ok(SolutionOut::new(&row, &org))
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Changes a solution the caller may change: `edit` turns the stored record's input form
/// into the new one, checked by the same parser as a create (see `edit_challenge`).
pub fn edit_solution(
    conn: &mut DbConn,
    matcher: &Matcher,
    auth: &Auth,
    id: &str,
    edit: impl FnOnce(SolutionInput) -> Result<SolutionInput, ApiError>,
) -> Result<(Solution, Organization), ApiError> {
    let (existing, org) = load_owned(conn, id, auth)?;
    let data = SolutionData::parse(edit(SolutionInput::from_stored(&existing))?)?;
    let from = SolutionStatus::parse(&existing.status).unwrap_or(SolutionStatus::Draft);
    if !from.can_move_to(data.status) {
        return Err(ApiError::conflict(format!(
            "a solution that is {} cannot become {}",
            from.as_str(),
            data.status.as_str()
        )));
    }
    let row = store::update_solution(conn, &existing, &data, Some(&auth.user.id))?;
    matching::after_solution_change(matcher, conn, &row.id);
    Ok((row, org))
}

/// Delete a draft solution that no response names (otherwise archive it).
#[utoipa::path(delete, path = "/api/v1/solutions/{id}", tag = "solutions",
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
            let answered = responses::table
                .filter(responses::solution_id.eq(&id))
                .count()
                .get_result::<i64>(conn)?;
            if existing.status != "draft" || answered > 0 {
                return Err(ApiError::conflict(
                    "only unused drafts can be deleted; archive the solution instead",
                ));
            }
            crate::db::write_tx(conn, |conn| {
                diesel::delete(solutions::table.find(&id)).execute(conn)?;
                store::audit(
                    conn,
                    "solution",
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
