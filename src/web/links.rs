//! The small, self-contained HTML pages behind the links in e-mails: one-click
//! unsubscribe (RFC 8058), e-mail verification and password reset. They work without a
//! session: the signed token in the link is the credential, so they need no CSRF token
//! and no JavaScript (plain form posts).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::purpose::{self, Purpose};
use crate::db::models::User;
use crate::db::schema::users;
use crate::db::{store, DbConn};
use crate::domain::{now, NotificationMode};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::api::account;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/unsubscribe")
            .route(web::get().to(unsubscribe_page))
            .route(web::post().to(unsubscribe)),
    )
    .service(web::resource("/verify-email").route(web::get().to(verify_email_page)))
    .service(
        web::resource("/reset-password")
            .route(web::get().to(reset_password_page))
            .route(web::post().to(reset_password)),
    );
}

#[derive(Template)]
#[template(path = "links/page.html")]
struct Page {
    title: String,
    paragraphs: Vec<String>,
    error: Option<String>,
    form: Option<Form>,
    home: String,
}

struct Form {
    action: String,
    hidden: Vec<(String, String)>,
    password: bool,
    button: String,
}

impl Page {
    fn new(state: &AppState, title: &str, paragraphs: &[&str]) -> Page {
        Page {
            title: title.into(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            error: None,
            form: None,
            home: state.links.url("/"),
        }
    }

    fn respond(self, status: StatusCode) -> Result<HttpResponse, ApiError> {
        let body = self
            .render()
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering a page")))?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .body(body))
    }
}

fn bad_link(state: &AppState, what: &str) -> Result<HttpResponse, ApiError> {
    Page::new(
        state,
        "This link does not work",
        &[&format!(
            "The {what} link is incomplete, damaged or too old. Copy the whole link from the e-mail, or ask for a new one."
        )],
    )
    .respond(StatusCode::BAD_REQUEST)
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// Who an unsubscribe token is for: a user, or an address with no account.
enum Subscriber {
    User(User),
    Address(String),
    Gone,
}

fn subscriber(conn: &mut DbConn, subject: &str) -> QueryResult<Subscriber> {
    if let Some(address) = subject.strip_prefix("mailto:") {
        let user = users::table
            .filter(users::email.eq(address))
            .select(User::as_select())
            .first::<User>(conn)
            .optional()?;
        return Ok(user.map_or_else(|| Subscriber::Address(address.to_owned()), Subscriber::User));
    }
    Ok(users::table
        .find(subject)
        .select(User::as_select())
        .first::<User>(conn)
        .optional()?
        .map_or(Subscriber::Gone, Subscriber::User))
}

fn unsubscribe_subject(state: &AppState, query: &TokenQuery) -> Option<String> {
    let token = query.token.as_deref()?;
    purpose::verify(
        state.config.jwt_secret.expose(),
        Purpose::Unsubscribe,
        token,
    )
    .map(|c| c.sub)
}

/// Asks before unsubscribing: mail scanners open links, and must not unsubscribe anyone.
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(subject) = unsubscribe_subject(&state, &query) else {
        return bad_link(&state, "unsubscribe");
    };
    let found = state
        .db(move |conn| Ok(subscriber(conn, &subject)?))
        .await?;
    let address = match &found {
        Subscriber::User(u) => u.email.clone(),
        Subscriber::Address(a) => a.clone(),
        Subscriber::Gone => {
            return Page::new(
                &state,
                "Nothing to unsubscribe",
                &["This account no longer exists; it gets no e-mail from us."],
            )
            .respond(StatusCode::OK)
        }
    };
    let mut page = Page::new(
        &state,
        "Unsubscribe",
        &[
            &format!("Stop e-mails about matches, responses and digests to {address}?"),
            "E-mails about your account itself (such as password reset) still reach you. You can turn notifications back on in your settings at any time.",
        ],
    );
    page.form = Some(Form {
        action: format!(
            "/unsubscribe?token={}",
            query.token.as_deref().unwrap_or_default()
        ),
        hidden: vec![("List-Unsubscribe".into(), "One-Click".into())],
        password: false,
        button: "Unsubscribe".into(),
    });
    page.respond(StatusCode::OK)
}

/// Unsubscribes: the page's button, and mail clients' one-click POST (RFC 8058, body
/// `List-Unsubscribe=One-Click`). Sets the user's notification mode to `off`.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(subject) = unsubscribe_subject(&state, &query) else {
        return bad_link(&state, "unsubscribe");
    };
    state
        .db(move |conn| {
            if let Subscriber::User(user) = subscriber(conn, &subject)? {
                let off = NotificationMode::Off.as_str();
                if user.notification_mode != off {
                    crate::db::write_tx(conn, |conn| {
                        diesel::update(users::table.find(&user.id))
                            .set((
                                users::notification_mode.eq(off),
                                users::updated_at.eq(now()),
                            ))
                            .execute(conn)?;
                        store::audit(
                            conn,
                            "user",
                            &user.id,
                            "unsubscribed",
                            Some(&user.notification_mode),
                            Some(off),
                            Some(&user.id),
                        )
                    })?;
                }
            }
            Ok(())
        })
        .await?;
    Page::new(
        &state,
        "You are unsubscribed",
        &["We will not send you e-mails about matches, responses or digests any more. You can turn them back on in your notification settings."],
    )
    .respond(StatusCode::OK)
}

/// Verifying on GET is safe: it only records that the link reached the mailbox.
pub async fn verify_email_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(token) = query.into_inner().token else {
        return bad_link(&state, "verification");
    };
    let secret = state.config.jwt_secret.expose().to_owned();
    let verified = state
        .db(
            move |conn| match account::verify_email(conn, &secret, &token) {
                Ok(user) => Ok(Some(user)),
                Err(ApiError::Validation(_)) => Ok(None),
                Err(other) => Err(other),
            },
        )
        .await?;
    match verified {
        Some(user) => Page::new(
            &state,
            "Your e-mail address is confirmed",
            &[&format!("Thank you: {} is confirmed.", user.email)],
        )
        .respond(StatusCode::OK),
        None => bad_link(&state, "verification"),
    }
}

fn reset_form(state: &AppState, token: &str, error: Option<String>) -> Page {
    let mut page = Page::new(
        state,
        "Choose a new password",
        &["Setting a new password logs you out on every device."],
    );
    page.error = error;
    page.form = Some(Form {
        action: "/reset-password".into(),
        hidden: vec![("token".into(), token.to_owned())],
        password: true,
        button: "Set the new password".into(),
    });
    page
}

pub async fn reset_password_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token.unwrap_or_default();
    if purpose::verify(
        state.config.jwt_secret.expose(),
        Purpose::PasswordReset,
        &token,
    )
    .is_none()
    {
        return bad_link(&state, "password reset");
    }
    reset_form(&state, &token, None).respond(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    pub token: Option<String>,
    pub password: Option<String>,
}

pub async fn reset_password(
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, ApiError> {
    let ResetForm { token, password } = form.into_inner();
    let token_text = token.clone().unwrap_or_default();
    let result = match account::check_new_password(&state, token, password).await {
        Ok(new) => {
            state
                .db(move |conn| account::reset_password(conn, &new))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Page::new(
            &state,
            "Your password is changed",
            &["Log in with your new password. Every other session has ended."],
        )
        .respond(StatusCode::OK),
        Err(ApiError::Validation(fields)) => match fields.0.get("token") {
            Some(_) => bad_link(&state, "password reset"),
            None => reset_form(&state, &token_text, Some(fields.to_string()))
                .respond(StatusCode::UNPROCESSABLE_ENTITY),
        },
        Err(other) => Err(other),
    }
}
