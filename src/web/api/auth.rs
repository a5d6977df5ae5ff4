//! Register, log in, log out.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrganizationOut;
use crate::auth::{password, token, Auth};
use crate::db::models::{AuthToken, Organization, User};
use crate::db::schema::{auth_tokens, organizations, users};
use crate::db::DbConn;
use crate::domain::organization::{RegisterInput, Registration};
use crate::domain::{list_to_json, new_id, now, Check, OrgRole};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::web::json::JsonBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub name: String,
    /// admin or member of the organisation.
    pub role: String,
    pub is_platform_admin: bool,
    pub locale: String,
    pub email_verified: bool,
    pub notification_mode: String,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.display_name.clone(),
            role: u.org_role.clone(),
            is_platform_admin: u.is_platform_admin,
            locale: u.locale.clone(),
            email_verified: u.email_verified,
            notification_mode: u.notification_mode.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredOut {
    pub user: UserOut,
    pub organization: OrganizationOut,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a token and records its id, so that it can be revoked.
pub fn start_session(
    conn: &mut DbConn,
    secret: &str,
    ttl_hours: i64,
    user_id: &str,
) -> Result<token::Issued, ApiError> {
    let issued = token::issue(secret, user_id, ttl_hours)?;
    diesel::insert_into(auth_tokens::table)
        .values(AuthToken {
            jti: issued.jti.clone(),
            user_id: user_id.to_owned(),
            issued_at: issued.issued_at.naive_utc(),
            expires_at: issued.expires_at.naive_utc(),
            revoked_at: None,
        })
        .execute(conn)?;
    Ok(issued)
}

/// Creates an organisation with its first user as administrator.
pub fn create_account(
    conn: &mut DbConn,
    reg: &Registration,
    password_hash: String,
) -> Result<(User, Organization), ApiError> {
    crate::db::write_tx(conn, |conn| {
        let taken = users::table
            .filter(users::email.eq(&reg.email))
            .count()
            .get_result::<i64>(conn)?;
        if taken > 0 {
            return Err(ApiError::conflict(
                "an account with this e-mail address exists already",
            ));
        }
        let at = now();
        let o = &reg.organization;
        let org = Organization {
            id: new_id(),
            kind: o.kind.as_str().into(),
            name: o.name.clone(),
            country: o.country.clone(),
            region: o.region.clone(),
            website: o.website.clone(),
            description: o.description.clone(),
            verified: false,
            population: o.population,
            networks: list_to_json(&o.networks),
            size_band: o.size_band.map(|s| s.as_str().to_owned()),
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(organizations::table)
            .values(&org)
            .execute(conn)?;
        let user = User {
            id: new_id(),
            organization_id: org.id.clone(),
            email: reg.email.clone(),
            password_hash,
            display_name: reg.name.clone(),
            org_role: OrgRole::Admin.as_str().into(),
            is_platform_admin: false,
            locale: reg.locale.as_str().into(),
            notification_mode: "instant".into(),
            email_verified: false,
            disabled: false,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)?;
        Ok((user, org))
    })
}

/// Create an account and its organisation.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterInput,
    responses((status = 201, body = RegisteredOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    state: web::Data<AppState>,
    body: JsonBody<RegisterInput>,
) -> Result<HttpResponse, ApiError> {
    let reg = Registration::parse(body.0)?;
    let (user, org, issued) = register_account(&state, reg).await?;
    Ok(HttpResponse::Created().json(RegisteredOut {
        user: (&user).into(),
        organization: (&org).into(),
        token: issued.token,
        expires_at: issued.expires_at,
    }))
}

/// Creates the account and its organisation and opens a session; the API and the pages
/// both register through this.
pub async fn register_account(
    state: &AppState,
    reg: Registration,
) -> Result<(User, Organization, token::Issued), ApiError> {
    let plain = reg.password.clone();
    let hash = web::block(move || password::hash_password(&plain)).await??;
    let secret = state.config.jwt_secret.expose().to_owned();
    let ttl = state.config.token_ttl_hours;
    let links = state.links.clone();
    let (user, org, issued) = state
        .db(move |conn| {
            // The verification e-mail exists exactly when the account does.
            crate::db::write_tx(conn, |conn| {
                let (user, org) = create_account(conn, &reg, hash)?;
                crate::mail::notify::queue_verification(conn, &links, &user)?;
                let issued = start_session(conn, &secret, ttl, &user.id)?;
                Ok((user, org, issued))
            })
        })
        .await?;
    tracing::info!(user_id = %user.id, org_id = %org.id, kind = %org.kind, "registered");
    Ok((user, org, issued))
}

/// Log in with e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginInput,
    responses((status = 200, body = TokenOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginInput>,
) -> Result<HttpResponse, ApiError> {
    let issued = log_in(&state, &client_address(&req), body.0).await?;
    Ok(HttpResponse::Ok().json(TokenOut {
        token: issued.token,
        expires_at: issued.expires_at,
    }))
}

/// The address failed logins are counted against.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Checks e-mail and password (limited per account and per client address) and opens a
/// session; the API and the pages both log in through this.
pub async fn log_in(
    state: &AppState,
    address: &str,
    input: LoginInput,
) -> Result<token::Issued, ApiError> {
    let mut c = Check::new();
    let email = c.required_text("email", input.email, 1, 254).to_lowercase();
    let given = input.password.unwrap_or_default();
    if given.is_empty() {
        c.fail("password", "is required");
    }
    c.finish(())?;
    let account_key = format!("account:{email}");
    let address_key = format!("address:{address}");
    let blocked = state
        .failed_logins_by_account
        .blocked_for(&account_key)
        .or_else(|| state.failed_logins_by_address.blocked_for(&address_key));
    if let Some(retry_after_secs) = blocked {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let lookup = email.clone();
    let user = state
        .db(move |conn| {
            Ok(users::table
                .filter(users::email.eq(&lookup))
                .filter(users::disabled.eq(false))
                .select(User::as_select())
                .first::<User>(conn)
                .optional()?)
        })
        .await?;
    let ok = match &user {
        Some(u) => {
            let stored = u.password_hash.clone();
            web::block(move || password::verify_password(&given, &stored)).await?
        }
        None => {
            web::block(move || password::verify_against_dummy(&given)).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.failed_logins_by_account.record_failure(&account_key);
        state.failed_logins_by_address.record_failure(&address_key);
        return Err(ApiError::Unauthorized(
            "wrong e-mail address or password".into(),
        ));
    };
    state.failed_logins_by_account.reset(&account_key);
    let secret = state.config.jwt_secret.expose().to_owned();
    let ttl = state.config.token_ttl_hours;
    state
        .db(move |conn| start_session(conn, &secret, ttl, &user.id))
        .await
}

/// End the session: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    end_session(&state, auth.jti).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a session token: it stops working at once.
pub async fn end_session(state: &AppState, jti: String) -> Result<(), ApiError> {
    state
        .db(move |conn| {
            diesel::update(auth_tokens::table.filter(auth_tokens::jti.eq(&jti)))
                .set(auth_tokens::revoked_at.eq(Some(now())))
                .execute(conn)?;
            Ok(())
        })
        .await
}
