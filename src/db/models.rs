//! Rows as stored. Input reaches these only through the validated types of `domain`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations)]
#[diesel(treat_none_as_null = true)]
pub struct Organization {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub website: Option<String>,
    pub description: String,
    pub verified: bool,
    pub population: Option<i64>,
    pub networks: String,
    pub size_band: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub org_role: String,
    pub is_platform_admin: bool,
    pub locale: String,
    pub notification_mode: String,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_tokens)]
pub struct AuthToken {
    pub jti: String,
    pub user_id: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cluster_memberships)]
pub struct ClusterMembership {
    pub id: String,
    pub cluster_id: String,
    pub company_id: String,
    pub status: String,
    pub requested_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = challenges)]
#[diesel(treat_none_as_null = true)]
pub struct Challenge {
    pub id: String,
    pub organization_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: String,
    pub plan_name: Option<String>,
    pub action_reference: Option<String>,
    pub target_year: Option<i32>,
    pub baseline_tco2e: Option<f64>,
    pub target_reduction_tco2e: Option<f64>,
    pub budget_min_eur: Option<i64>,
    pub budget_max_eur: Option<i64>,
    pub stage: String,
    pub min_trl: Option<i32>,
    pub co_benefits: String,
    pub language: String,
    pub response_deadline: Option<String>,
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = solutions)]
#[diesel(treat_none_as_null = true)]
pub struct Solution {
    pub id: String,
    pub organization_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: String,
    pub trl: i32,
    pub countries: String,
    pub global: bool,
    pub reference_deployments: String,
    pub claimed_reduction: String,
    pub claimed_reduction_tco2e: Option<f64>,
    pub price_model: String,
    pub language: String,
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = responses)]
pub struct Response {
    pub id: String,
    pub challenge_id: String,
    pub solution_id: String,
    pub organization_id: String,
    pub message: String,
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor_user_id: Option<String>,
    pub details: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = matches)]
pub struct Match {
    pub id: String,
    pub challenge_id: String,
    pub solution_id: String,
    pub score: f64,
    pub rank: i32,
    pub explanation: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One e-mail in the outbox, rendered when it was queued.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub dedupe_key: String,
    pub to_address: String,
    pub user_id: Option<String>,
    pub template: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub unsubscribe_url: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub jti: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}
