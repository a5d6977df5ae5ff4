//! Who is asking: the typed extractors a handler names in its signature (`Auth` for
//! logged-in users, `MaybeAuth` where anonymous callers are welcome too).

pub mod password;
pub mod purpose;
pub mod rate_limit;
pub mod token;

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use diesel::prelude::*;

use crate::db::models::{Organization, User};
use crate::db::schema::{auth_tokens, organizations, users};
use crate::domain::{now, OrgKind};
use crate::error::ApiError;
use crate::state::AppState;

/// The cookie that carries the session token for the web pages.
pub const SESSION_COOKIE: &str = "cm_session";

/// A logged-in user with their organisation.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub org: Organization,
    pub jti: String,
}

impl Auth {
    pub fn is_platform_admin(&self) -> bool {
        self.user.is_platform_admin
    }

    pub fn kind(&self) -> Option<OrgKind> {
        OrgKind::parse(&self.org.kind)
    }

    /// Members of the owning organisation, and platform admins.
    pub fn may_act_for(&self, organization_id: &str) -> bool {
        self.org.id == organization_id || self.is_platform_admin()
    }

    /// Refuses users whose organisation is not of `kind`.
    pub fn require_kind(&self, kind: OrgKind, action: &str) -> Result<(), ApiError> {
        if self.kind() == Some(kind) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only {kind} members can {action}"
            )))
        }
    }

    pub fn require_org_admin(&self) -> Result<(), ApiError> {
        if self.user.org_role == "admin" || self.is_platform_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only an administrator of the organisation can do this",
            ))
        }
    }

    pub fn require_platform_admin(&self) -> Result<(), ApiError> {
        if self.is_platform_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only platform administrators can do this",
            ))
        }
    }
}

/// `Some` for a logged-in caller; a token that is present but invalid is refused (401).
pub struct MaybeAuth(pub Option<Auth>);

fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some(token.trim().to_owned());
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// Loads the user behind a token whose signature is already checked; `None` when the
/// token was revoked or expired, or the user is gone or disabled.
pub fn load_session(
    conn: &mut crate::db::DbConn,
    user_id: &str,
    jti: &str,
) -> QueryResult<Option<Auth>> {
    let live = auth_tokens::table
        .filter(auth_tokens::jti.eq(jti))
        .filter(auth_tokens::user_id.eq(user_id))
        .filter(auth_tokens::revoked_at.is_null())
        .filter(auth_tokens::expires_at.gt(now()))
        .count()
        .get_result::<i64>(conn)?;
    if live == 0 {
        return Ok(None);
    }
    let found = users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(user_id))
        .filter(users::disabled.eq(false))
        .select((User::as_select(), Organization::as_select()))
        .first::<(User, Organization)>(conn)
        .optional()?;
    Ok(found.map(|(user, org)| Auth {
        user,
        org,
        jti: jti.to_owned(),
    }))
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))
}

/// The session behind the `cm_session` cookie alone, for the web pages: `None` when there
/// is none or it has ended, so that a stale cookie shows the public pages instead of an error.
pub async fn cookie_session(req: &HttpRequest) -> Result<Option<Auth>, ApiError> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let state = app_state(req)?;
    let Some(claims) = token::verify(state.config.jwt_secret.expose(), &token) else {
        return Ok(None);
    };
    state
        .db(move |conn| Ok(load_session(conn, &claims.sub, &claims.jti)?))
        .await
}

async fn authenticate(req: HttpRequest) -> Result<Option<Auth>, ApiError> {
    let Some(token) = bearer_token(&req) else {
        return Ok(None);
    };
    let state = app_state(&req)?;
    let claims = token::verify(state.config.jwt_secret.expose(), &token).ok_or_else(|| {
        ApiError::Unauthorized("the session token is invalid or expired; log in again".into())
    })?;
    let auth = state
        .db(move |conn| Ok(load_session(conn, &claims.sub, &claims.jti)?))
        .await?;
    match auth {
        Some(auth) => Ok(Some(auth)),
        None => Err(ApiError::Unauthorized(
            "the session has ended; log in again".into(),
        )),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req).await?.ok_or_else(|| {
                ApiError::Unauthorized("log in first: this needs a session token".into())
            })
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeAuth(authenticate(req).await?)) })
    }
}
