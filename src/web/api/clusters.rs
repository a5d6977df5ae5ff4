//! Clusters and their member companies: companies ask to join, coordinators accept or
//! refuse. Only accepted members' matches reach a coordinator.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{OrgRef, OrganizationOut};
use crate::auth::Auth;
use crate::db::models::{ClusterMembership, Organization};
use crate::db::schema::{cluster_memberships, organizations};
use crate::db::{store, DbConn};
use crate::domain::{new_id, now, Check, MembershipStatus, OrgKind};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipOut {
    pub id: String,
    pub cluster: OrgRef,
    pub company: OrgRef,
    /// pending, accepted or refused.
    pub status: String,
    pub requested_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipList {
    pub items: Vec<MembershipOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterList {
    pub items: Vec<OrganizationOut>,
}

fn org(conn: &mut DbConn, id: &str) -> Result<Organization, ApiError> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("organization"))
}

fn out(conn: &mut DbConn, m: &ClusterMembership) -> Result<MembershipOut, ApiError> {
    let cluster = org(conn, &m.cluster_id)?;
    let company = org(conn, &m.company_id)?;
    Ok(MembershipOut {
        id: m.id.clone(),
        cluster: (&cluster).into(),
        company: (&company).into(),
        status: m.status.clone(),
        requested_at: m.requested_at,
        decided_at: m.decided_at,
    })
}

/// The clusters companies can join.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters", responses((status = 200, body = ClusterList)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = state
        .db(|conn| {
            let rows = list_clusters(conn)?;
            Ok(rows.iter().map(OrganizationOut::from).collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ClusterList { items }))
}

/// The clusters companies can join, by name (not the platform's own organisation).
pub fn list_clusters(conn: &mut DbConn) -> QueryResult<Vec<Organization>> {
    organizations::table
        .filter(organizations::kind.eq("cluster"))
        .filter(organizations::name.ne(crate::cli::PLATFORM_ORG))
        .order(organizations::name)
        .select(Organization::as_select())
        .load(conn)
}

/// A company asks to join a cluster (again, after a refusal).
#[utoipa::path(post, path = "/api/v1/clusters/{id}/memberships", tag = "clusters",
    responses((status = 201, body = MembershipOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn request(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cluster_id = id.into_inner();
    let membership = state
        .db(move |conn| request_membership(conn, &auth, &cluster_id))
        .await?;
    Ok(HttpResponse::Created().json(membership))
}

/// A company asks to join a cluster (again, after a refusal); the API and the clusters
/// page both ask through this.
pub fn request_membership(
    conn: &mut DbConn,
    auth: &Auth,
    cluster_id: &str,
) -> Result<MembershipOut, ApiError> {
    auth.require_kind(OrgKind::Company, "join clusters")?;
    let cluster = org(conn, cluster_id)?;
    if cluster.kind != "cluster" || cluster.name == crate::cli::PLATFORM_ORG {
        return Err(ApiError::not_found("cluster"));
    }
    crate::db::write_tx(conn, |conn| {
        let existing: Option<ClusterMembership> = cluster_memberships::table
            .filter(cluster_memberships::cluster_id.eq(&cluster.id))
            .filter(cluster_memberships::company_id.eq(&auth.org.id))
            .select(ClusterMembership::as_select())
            .first(conn)
            .optional()?;
        let membership = match existing {
            Some(m) if m.status != MembershipStatus::Refused.as_str() => {
                return Err(ApiError::conflict(format!(
                    "your company's membership is {} already",
                    m.status
                )));
            }
            Some(mut m) => {
                m.status = MembershipStatus::Pending.as_str().into();
                m.requested_at = now();
                m.decided_at = None;
                m.decided_by = None;
                diesel::update(cluster_memberships::table.find(&m.id))
                    .set((
                        cluster_memberships::status.eq(&m.status),
                        cluster_memberships::requested_at.eq(m.requested_at),
                        cluster_memberships::decided_at.eq(None::<NaiveDateTime>),
                        cluster_memberships::decided_by.eq(None::<String>),
                    ))
                    .execute(conn)?;
                m
            }
            None => {
                let m = ClusterMembership {
                    id: new_id(),
                    cluster_id: cluster.id.clone(),
                    company_id: auth.org.id.clone(),
                    status: MembershipStatus::Pending.as_str().into(),
                    requested_at: now(),
                    decided_at: None,
                    decided_by: None,
                };
                diesel::insert_into(cluster_memberships::table)
                    .values(&m)
                    .execute(conn)?;
                m
            }
        };
        store::audit(
            conn,
            "membership",
            &membership.id,
            "requested",
            None,
            Some("pending"),
            Some(&auth.user.id),
        )?;
        out(conn, &membership)
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct MembershipParams {
    /// pending, accepted or refused.
    pub status: Option<String>,
}

fn require_coordinator_of(auth: &Auth, cluster_id: &str) -> Result<(), ApiError> {
    if auth.is_platform_admin()
        || (auth.kind() == Some(OrgKind::Cluster) && auth.org.id == cluster_id)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the cluster's coordinators can see and decide its memberships",
        ))
    }
}

/// A cluster's membership requests and members (its coordinators, platform admins).
#[utoipa::path(get, path = "/api/v1/clusters/{id}/memberships", tag = "clusters", params(MembershipParams),
    responses((status = 200, body = MembershipList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn memberships(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    params: web::Query<MembershipParams>,
) -> Result<HttpResponse, ApiError> {
    let cluster_id = id.into_inner();
    require_coordinator_of(&auth, &cluster_id)?;
    let mut c = Check::new();
    let status = c.code(
        "status",
        params.into_inner().status,
        MembershipStatus::parse,
        MembershipStatus::codes,
    );
    c.finish(())?;
    let items = state
        .db(move |conn| list_memberships(conn, &auth, &cluster_id, status))
        .await?;
    Ok(HttpResponse::Ok().json(MembershipList { items }))
}

/// A cluster's membership requests and members, newest request first, for its
/// coordinators and platform admins.
pub fn list_memberships(
    conn: &mut DbConn,
    auth: &Auth,
    cluster_id: &str,
    status: Option<MembershipStatus>,
) -> Result<Vec<MembershipOut>, ApiError> {
    require_coordinator_of(auth, cluster_id)?;
    let mut query = cluster_memberships::table
        .filter(cluster_memberships::cluster_id.eq(cluster_id))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(cluster_memberships::status.eq(status.as_str()));
    }
    let rows: Vec<ClusterMembership> = query
        .order(cluster_memberships::requested_at.desc())
        .select(ClusterMembership::as_select())
        .load(conn)?;
    rows.iter().map(|m| out(conn, m)).collect()
}

/// The caller's company's cluster memberships.
#[utoipa::path(get, path = "/api/v1/me/memberships", tag = "clusters",
    responses((status = 200, body = MembershipList), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mine(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let items = state.db(move |conn| my_memberships(conn, &auth)).await?;
    Ok(HttpResponse::Ok().json(MembershipList { items }))
}

/// The caller's company's cluster memberships, newest request first.
pub fn my_memberships(conn: &mut DbConn, auth: &Auth) -> Result<Vec<MembershipOut>, ApiError> {
    let rows: Vec<ClusterMembership> = cluster_memberships::table
        .filter(cluster_memberships::company_id.eq(&auth.org.id))
        .order(cluster_memberships::requested_at.desc())
        .select(ClusterMembership::as_select())
        .load(conn)?;
    rows.iter().map(|m| out(conn, m)).collect()
}

/// A coordinator accepts or refuses a pending request: checked, audited. The API and the
/// members page both decide through this.
pub fn decide_membership(
    conn: &mut DbConn,
    auth: &Auth,
    id: &str,
    to: MembershipStatus,
) -> Result<MembershipOut, ApiError> {
    let mut m: ClusterMembership = cluster_memberships::table
        .find(id)
        .select(ClusterMembership::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("membership"))?;
    require_coordinator_of(auth, &m.cluster_id)?;
    if !auth.is_platform_admin() && !auth.org.verified {
        return Err(ApiError::forbidden(
            "your cluster is not verified yet; a platform admin verifies it",
        ));
    }
    if m.status != MembershipStatus::Pending.as_str() {
        return Err(ApiError::conflict(format!(
            "this membership is {} already",
            m.status
        )));
    }
    crate::db::write_tx(conn, |conn| {
        m.status = to.as_str().into();
        m.decided_at = Some(now());
        m.decided_by = Some(auth.user.id.clone());
        diesel::update(cluster_memberships::table.find(&m.id))
            .set((
                cluster_memberships::status.eq(&m.status),
                cluster_memberships::decided_at.eq(m.decided_at),
                cluster_memberships::decided_by.eq(&m.decided_by),
            ))
            .execute(conn)?;
        store::audit(
            conn,
            "membership",
            &m.id,
            to.as_str(),
            Some("pending"),
            Some(to.as_str()),
            Some(&auth.user.id),
        )?;
        out(conn, &m)
    })
}

async fn decide(
    state: web::Data<AppState>,
    auth: Auth,
    id: String,
    to: MembershipStatus,
) -> Result<HttpResponse, ApiError> {
    let membership = state
        .db(move |conn| decide_membership(conn, &auth, &id, to))
        .await?;
    Ok(HttpResponse::Ok().json(membership))
}

/// Accept a company into the cluster.
#[utoipa::path(post, path = "/api/v1/memberships/{id}/accept", tag = "clusters",
    responses((status = 200, body = MembershipOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), MembershipStatus::Accepted).await
}

/// Refuse a company's request.
#[utoipa::path(post, path = "/api/v1/memberships/{id}/refuse", tag = "clusters",
    responses((status = 200, body = MembershipOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn refuse(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(state, auth, id.into_inner(), MembershipStatus::Refused).await
}
