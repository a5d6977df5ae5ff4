//! E-mail address verification and password reset, by the signed links we e-mail. The
//! rules live here once; the JSON API and the small HTML pages behind the links
//! (`web::links`) both call them.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password;
use crate::auth::purpose::{self, Purpose};
use crate::db::models::User;
use crate::db::schema::{auth_tokens, password_resets, users};
use crate::db::{store, DbConn};
use crate::domain::organization::check_password;
use crate::domain::{now, Check};
use crate::error::{ApiError, ErrorBody};
use crate::mail::notify;
use crate::state::AppState;
use crate::web::json::JsonBody;

fn invalid_token(message: &str) -> ApiError {
    ApiError::field("token", message)
}

/// Marks the address in a verification token as verified.
pub fn verify_email(conn: &mut DbConn, secret: &str, token: &str) -> Result<User, ApiError> {
    let claims = purpose::verify(secret, Purpose::VerifyEmail, token)
        .ok_or_else(|| invalid_token("is invalid or has expired; ask for a new link"))?;
    let email = claims.email.unwrap_or_default();
    let changed = diesel::update(
        users::table
            .find(&claims.sub)
            .filter(users::email.eq(&email))
            .filter(users::disabled.eq(false)),
    )
    .set((users::email_verified.eq(true), users::updated_at.eq(now())))
    .execute(conn)?;
    if changed == 0 {
        return Err(invalid_token(
            "is not for an active account with this address any more",
        ));
    }
    Ok(users::table
        .find(&claims.sub)
        .select(User::as_select())
        .first(conn)?)
}

/// A checked reset request: the token's claims and the new password's hash.
pub struct NewPassword {
    user_id: String,
    jti: String,
    hash: String,
}

/// Checks a reset token and the new password (hashing it off the executor).
pub async fn check_new_password(
    state: &AppState,
    token: Option<String>,
    new_password: Option<String>,
) -> Result<NewPassword, ApiError> {
    let mut c = Check::new();
    let token = c.required_text("token", token, 1, 4000);
    let new_password = check_password(&mut c, "password", new_password);
    let claims = if token.is_empty() {
        None
    } else {
        let claims = purpose::verify(
            state.config.jwt_secret.expose(),
            Purpose::PasswordReset,
            &token,
        );
        if claims.is_none() {
            c.fail("token", "is invalid or has expired; ask for a new link");
        }
        claims
    };
    let claims = c
        .finish(claims)?
        .ok_or_else(|| invalid_token("is required"))?;
    let hash = web::block(move || password::hash_password(&new_password)).await??;
    Ok(NewPassword {
        user_id: claims.sub,
        jti: claims.jti.unwrap_or_default(),
        hash,
    })
}

/// Uses the reset token (once), sets the password and ends every session of the user.
pub fn reset_password(conn: &mut DbConn, new: &NewPassword) -> Result<(), ApiError> {
    crate::db::write_tx(conn, |conn| {
        let at = now();
        let used = diesel::update(
            password_resets::table
                .find(&new.jti)
                .filter(password_resets::user_id.eq(&new.user_id))
                .filter(password_resets::used_at.is_null())
                .filter(password_resets::expires_at.gt(at)),
        )
        .set(password_resets::used_at.eq(Some(at)))
        .execute(conn)?;
        if used == 0 {
            return Err(invalid_token(
                "has been used already or has expired; ask for a new link",
            ));
        }
        let changed = diesel::update(
            users::table
                .find(&new.user_id)
                .filter(users::disabled.eq(false)),
        )
        .set((
            users::password_hash.eq(&new.hash),
            // The link arrived in the mailbox: the address works.
            users::email_verified.eq(true),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(invalid_token("is not for an active account"));
        }
        diesel::update(
            auth_tokens::table
                .filter(auth_tokens::user_id.eq(&new.user_id))
                .filter(auth_tokens::revoked_at.is_null()),
        )
        .set(auth_tokens::revoked_at.eq(Some(at)))
        .execute(conn)?;
        store::audit(
            conn,
            "user",
            &new.user_id,
            "password_reset",
            None,
            None,
            Some(&new.user_id),
        )?;
        Ok(())
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// The token from the link in the e-mail.
    pub token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedOut {
    pub email: String,
    pub email_verified: bool,
}

/// Confirm an e-mail address with the token from the verification e-mail.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = TokenInput,
    responses((status = 200, body = VerifiedOut), (status = 422, body = ErrorBody)))]
pub async fn verify_email_api(
    state: web::Data<AppState>,
    body: JsonBody<TokenInput>,
) -> Result<HttpResponse, ApiError> {
    let mut c = Check::new();
    let token = c.required_text("token", body.0.token, 1, 4000);
    c.finish(())?;
    let secret = state.config.jwt_secret.expose().to_owned();
    let user = state
        .db(move |conn| verify_email(conn, &secret, &token))
        .await?;
    Ok(HttpResponse::Ok().json(VerifiedOut {
        email: user.email,
        email_verified: user.email_verified,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestInput {
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedOut {
    pub message: String,
}

/// Ask for a password reset link. Always 202 (whether an account exists is not told);
/// the e-mail is queued only when it does. Limited per address and per client.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequestInput,
    responses((status = 202, body = AcceptedOut), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ResetRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let address = super::auth::client_address(&req);
    ask_for_password_reset(&state, &address, body.0.email).await?;
    Ok(HttpResponse::Accepted().json(AcceptedOut {
        message: "if an account has this address, a link to reset its password is on its way"
            .into(),
    }))
}

/// Checks the address and, when an active account has it, queues the reset e-mail;
/// limited per address and per client. Whether an account exists is never told. The API
/// and the "forgot password" page both ask through this.
pub async fn ask_for_password_reset(
    state: &AppState,
    client_address: &str,
    email: Option<String>,
) -> Result<(), ApiError> {
    let mut c = Check::new();
    let email = c.required_text("email", email, 3, 254).to_lowercase();
    if !email.is_empty() && !email_address::EmailAddress::is_valid(&email) {
        c.fail("email", "is not a valid e-mail address");
    }
    c.finish(())?;
    let account_key = format!("reset:{email}");
    let address_key = format!("reset-address:{client_address}");
    if let Some(retry_after_secs) = state
        .password_resets_by_account
        .blocked_for(&account_key)
        .or_else(|| state.password_resets_by_address.blocked_for(&address_key))
    {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    state
        .password_resets_by_account
        .record_failure(&account_key);
    state
        .password_resets_by_address
        .record_failure(&address_key);
    let links = state.links.clone();
    state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let user = users::table
                    .filter(users::email.eq(&email))
                    .filter(users::disabled.eq(false))
                    .select(User::as_select())
                    .first::<User>(conn)
                    .optional()?;
                if let Some(user) = user {
                    notify::queue_password_reset(conn, &links, &user)?;
                }
                Ok(())
            })
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmInput {
    /// The token from the link in the e-mail (works once, for an hour).
    pub token: Option<String>,
    /// The new password.
    pub password: Option<String>,
}

/// Set a new password with the token from the reset e-mail. Ends every session.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmInput,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    body: JsonBody<ResetConfirmInput>,
) -> Result<HttpResponse, ApiError> {
    let new = check_new_password(&state, body.0.token, body.0.password).await?;
    state.db(move |conn| reset_password(conn, &new)).await?;
    Ok(HttpResponse::NoContent().finish())
}
