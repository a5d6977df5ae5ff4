//! Organisation profiles, and their verification by platform admins.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;

use super::OrganizationOut;
use crate::auth::Auth;
use crate::db::models::Organization;
use crate::db::schema::organizations;
use crate::db::store;
use crate::domain::organization::{OrganizationData, OrganizationInput};
use crate::domain::{list_to_json, now, OrgKind};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::web::json::{merge_patch, JsonBody};

fn load(conn: &mut crate::db::DbConn, id: &str) -> Result<Organization, ApiError> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("organization"))
}

/// An organisation's public profile.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    responses((status = 200, body = OrganizationOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let org = state.db(move |conn| load(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(OrganizationOut::from(&org)))
}

/// Edit the caller's organisation (its administrators; the kind cannot change).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", request_body = OrganizationInput,
    responses((status = 200, body = OrganizationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let out = state
        .db(move |conn| {
            let existing = load(conn, &id)?;
            if !auth.may_act_for(&existing.id) {
                return Err(ApiError::forbidden(
                    "only members of this organisation can change it",
                ));
            }
            auth.require_org_admin()?;
            if body
                .0
                .get("kind")
                .is_some_and(|k| k.as_str() != Some(existing.kind.as_str()))
            {
                return Err(ApiError::field("kind", "cannot change after registration"));
            }
            let merged = merge_patch(
                &OrganizationInput::from_stored(&existing),
                body.0,
                &["kind", "name", "country"],
            )?;
            let data = OrganizationData::parse(merged)?;
            let row = Organization {
                name: data.name,
                country: data.country,
                region: data.region,
                website: data.website,
                description: data.description,
                population: data.population,
                networks: list_to_json(&data.networks),
                size_band: data.size_band.map(|s| s.as_str().to_owned()),
                updated_at: now(),
                ..existing
            };
            diesel::update(organizations::table.find(&row.id))
                .set(&row)
                .execute(conn)?;
            Ok(OrganizationOut::from(&row))
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Mark an organisation as verified (platform admins).
#[utoipa::path(post, path = "/api/v1/admin/organizations/{id}/verify", tag = "organizations",
    responses((status = 200, body = OrganizationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn verify(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let out = state
        .db(move |conn| verify_organization(conn, &auth, &id))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Marks an organisation verified and records who did it (platform admins; the API and
/// the admin page). Verifying a verified organisation changes nothing.
pub fn verify_organization(
    conn: &mut crate::db::DbConn,
    auth: &Auth,
    id: &str,
) -> Result<OrganizationOut, ApiError> {
    auth.require_platform_admin()?;
    let mut org = load(conn, id)?;
    if org.verified {
        return Ok(OrganizationOut::from(&org));
    }
    crate::db::write_tx(conn, |conn| {
        diesel::update(organizations::table.find(id))
            .set((
                organizations::verified.eq(true),
                organizations::updated_at.eq(now()),
            ))
            .execute(conn)?;
        store::audit(
            conn,
            "organization",
            id,
            "verified",
            None,
            None,
            Some(&auth.user.id),
        )
    })?;
    org.verified = true;
    Ok(OrganizationOut::from(&org))
}

/// Organisations not verified yet, oldest first (they have waited longest), optionally
/// of one kind (platform admins).
pub fn unverified_organizations(
    conn: &mut crate::db::DbConn,
    auth: &Auth,
    kind: Option<OrgKind>,
) -> Result<Vec<Organization>, ApiError> {
    auth.require_platform_admin()?;
    let mut q = organizations::table
        .filter(organizations::verified.eq(false))
        .into_boxed();
    if let Some(kind) = kind {
        q = q.filter(organizations::kind.eq(kind.as_str()));
    }
    Ok(
        q.order((organizations::created_at.asc(), organizations::id.asc()))
            .select(Organization::as_select())
            .load(conn)?,
    )
}
