//! Logging in and out, registering, and the account page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::form::{Form, FormState};
use super::session::{self, Flash, SESSION_COOKIE};
use super::views::{self, ChallengeCard, Choice, SolutionCard};
use super::{redirect, render, render_status, Layout, PageCtx, PageError};
use crate::domain::organization::{OrganizationInput, RegisterInput, Registration};
use crate::domain::{NotificationMode, OrgKind};
use crate::error::{ApiError, FieldErrors};
use crate::web::api::account::ask_for_password_reset;
use crate::web::api::auth::{client_address, end_session, log_in, register_account, LoginInput};
use crate::web::api::challenges::{ChallengeFilter, ChallengeListParams};
use crate::web::api::me::set_notification_mode;
use crate::web::api::solutions::{SolutionFilter, SolutionListParams};

/// Where to go after logging in: only paths on this site.
fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

/// After logging in or out the browser gets a new CSRF nonce, so that a token seen before
/// cannot be used with the new session.
fn with_session_cookies(
    mut response: HttpResponse,
    ctx: &PageCtx,
    token: Option<String>,
) -> HttpResponse {
    let config = ctx.config();
    let session_cookie = match token {
        Some(token) => session::session_cookie(token, config),
        None => session::removal(SESSION_COOKIE, config),
    };
    // Adding a cookie fails only for a value that is not a valid header; ours are hex.
    let _ = response.add_cookie(&session_cookie);
    let _ = response.add_cookie(&session::csrf_cookie(session::new_nonce(), config));
    response
}

#[derive(Template)]
#[template(path = "account/login.html")]
pub struct LoginPage {
    layout: Layout,
    form: FormState,
    problem: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

pub async fn login_form(
    ctx: PageCtx,
    params: actix_web::web::Query<NextParam>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(params.into_inner().next);
    if ctx.auth.is_some() {
        return Ok(redirect(next.as_deref().unwrap_or("/account"), None, &ctx));
    }
    let mut form = FormState::new();
    form.set_opt("next", next);
    render(&LoginPage {
        layout: ctx.layout("Log in", "login"),
        form,
        problem: None,
    })
}

pub async fn login(
    req: HttpRequest,
    ctx: PageCtx,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let input = LoginInput {
        email: fields.get("email"),
        password: fields.get("password"),
    };
    let next = safe_next(fields.text("next"));
    let mut shown = FormState::from_fields(&fields);
    shown.set("password", "");
    let refused = |status: StatusCode, problem: String, form: FormState| {
        render_status(
            status,
            &LoginPage {
                layout: ctx.layout("Log in", "login"),
                form,
                problem: Some(problem),
            },
        )
    };
    match log_in(&ctx.state, &client_address(&req), input).await {
        Ok(issued) => {
            let to = next.unwrap_or_else(|| "/account".to_owned());
            let response = redirect(&to, Some(Flash::success("You are logged in.")), &ctx);
            Ok(with_session_cookies(response, &ctx, Some(issued.token)))
        }
        Err(ApiError::Validation(errors)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please give your e-mail address and password.".into(),
            shown.with_errors(&errors),
        ),
        Err(ApiError::Unauthorized(_)) => refused(
            StatusCode::UNAUTHORIZED,
            "The e-mail address or the password is wrong.".into(),
            shown,
        ),
        Err(ApiError::RateLimited { retry_after_secs }) => refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed attempts. Try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            ),
            shown,
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(ctx: PageCtx, Form(_): Form) -> Result<HttpResponse, PageError> {
    if let Some(auth) = &ctx.auth {
        end_session(&ctx.state, auth.jti.clone()).await?;
    }
    let response = redirect("/", Some(Flash::info("You are logged out.")), &ctx);
    Ok(with_session_cookies(response, &ctx, None))
}

#[derive(Template)]
#[template(path = "account/register.html")]
pub struct RegisterPage {
    layout: Layout,
    form: FormState,
    countries: Vec<(String, String)>,
    kinds: Vec<KindChoice>,
}

pub struct KindChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

fn kinds() -> Vec<KindChoice> {
    vec![
        KindChoice {
            code: "city",
            label: "A city",
            hint: "Post challenges from your climate action plan and meet the companies that can solve them.",
        },
        KindChoice {
            code: "company",
            label: "A company",
            hint: "Register your cleantech solutions and respond to the cities' challenges that fit them.",
        },
        KindChoice {
            code: "cluster",
            label: "A cluster",
            hint: "Curate matches for your member companies and introduce them to cities.",
        },
    ]
}

const REGISTER_FIELDS: &[&str] = &[
    "organization.kind",
    "organization.name",
    "organization.country",
    "name",
    "email",
    "password",
];

impl RegisterPage {
    fn new(ctx: &PageCtx, form: FormState) -> RegisterPage {
        RegisterPage {
            layout: ctx.layout("Create an account", "register"),
            form,
            countries: super::solutions::all_countries(),
            kinds: kinds(),
        }
    }

    pub fn other_errors(&self) -> Vec<String> {
        self.form.other_errors(REGISTER_FIELDS)
    }
}

pub async fn register_form(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    if ctx.auth.is_some() {
        return Ok(redirect("/account", None, &ctx));
    }
    render(&RegisterPage::new(&ctx, FormState::new()))
}

pub async fn register(ctx: PageCtx, Form(fields): Form) -> Result<HttpResponse, PageError> {
    let input = RegisterInput {
        email: fields.get("email"),
        password: fields.get("password"),
        name: fields.get("name"),
        organization: Some(OrganizationInput {
            kind: fields.text("organization.kind"),
            name: fields.get("organization.name"),
            country: fields.text("organization.country"),
            ..Default::default()
        }),
        locale: None,
    };
    let mut shown = FormState::from_fields(&fields);
    shown.set("password", "");
    let again = |errors: &FieldErrors, shown: FormState| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage::new(&ctx, shown.with_errors(errors)),
        )
    };
    let reg = match Registration::parse(input) {
        Ok(reg) => reg,
        Err(errors) => return again(&errors, shown),
    };
    match register_account(&ctx.state, reg).await {
        Ok((_, org, issued)) => {
            let (to, message) = match OrgKind::parse(&org.kind) {
                Some(OrgKind::City) => (
                    "/challenges/new".to_owned(),
                    format!("Welcome to cleanmatch, {}. Post your first challenge.", org.name),
                ),
                Some(OrgKind::Company) => (
                    "/solutions/new".to_owned(),
                    format!("Welcome to cleanmatch, {}. Register your first solution.", org.name),
                ),
                _ => (
                    "/account".to_owned(),
                    format!(
                        "Welcome to cleanmatch, {}. A platform administrator will verify your cluster.",
                        org.name
                    ),
                ),
            };
            let response = redirect(&to, Some(Flash::success(message)), &ctx);
            Ok(with_session_cookies(response, &ctx, Some(issued.token)))
        }
        Err(ApiError::Conflict(_)) => again(
            &FieldErrors::single(
                "email",
                "already has an account: log in instead, or use another address",
            ),
            shown,
        ),
        Err(ApiError::Validation(errors)) => again(&errors, shown),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "account/index.html")]
pub struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    role: String,
    org_id: String,
    org_name: String,
    kind: &'static str,
    verified: bool,
    mode: String,
    modes: Vec<Choice>,
    challenges: Vec<ChallengeCard>,
    solutions: Vec<SolutionCard>,
    is_city: bool,
    is_company: bool,
}

fn mode_choices() -> Vec<Choice> {
    NotificationMode::ALL
        .iter()
        .map(|m| Choice {
            code: m.as_str(),
            label: match m {
                NotificationMode::Instant => "Right away, one e-mail per match",
                NotificationMode::Daily => "A daily digest",
                NotificationMode::Weekly => "A weekly digest",
                NotificationMode::Off => "No e-mails about new matches",
            },
        })
        .collect()
}

pub async fn account(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let viewer = auth.clone();
    let matcher = ctx.state.matcher.clone();
    let (challenges, solutions) = ctx
        .state
        .db(move |conn| {
            let mut challenges = Vec::new();
            let mut solutions = Vec::new();
            match viewer.kind() {
                Some(OrgKind::City) => {
                    let filter = ChallengeFilter::parse(
                        ChallengeListParams {
                            mine: Some("true".into()),
                            ..Default::default()
                        },
                        Some(&viewer),
                    )?;
                    challenges = filter.run(conn, &matcher, 1, 50)?.0;
                }
                Some(OrgKind::Company) => {
                    let filter = SolutionFilter::parse(
                        SolutionListParams {
                            mine: Some("true".into()),
                            ..Default::default()
                        },
                        Some(&viewer),
                    )?;
                    solutions = filter.run(conn, &matcher, 1, 50)?.0;
                }
                _ => {}
            }
            Ok((challenges, solutions))
        })
        .await?;
    render(&AccountPage {
        layout: ctx.layout("Your account", "account"),
        name: auth.user.display_name.clone(),
        email: auth.user.email.clone(),
        role: auth.user.org_role.clone(),
        org_id: auth.org.id.clone(),
        org_name: auth.org.name.clone(),
        kind: views::kind_label(&auth.org.kind),
        verified: auth.org.verified,
        mode: auth.user.notification_mode.clone(),
        modes: mode_choices(),
        challenges: challenges
            .iter()
            .map(|(c, o)| ChallengeCard::new(c, o))
            .collect(),
        solutions: solutions
            .iter()
            .map(|(s, o)| SolutionCard::new(s, o))
            .collect(),
        is_city: auth.kind() == Some(OrgKind::City),
        is_company: auth.kind() == Some(OrgKind::Company),
    })
}

pub async fn notifications(ctx: PageCtx, Form(fields): Form) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let flash = match set_notification_mode(&ctx.state, &auth, fields.get("mode")).await {
        Ok(_) => Flash::success("Your e-mail preferences are saved."),
        Err(ApiError::Validation(errors)) => Flash::error(format!("Not saved: {errors}.")),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect("/account", Some(flash), &ctx))
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
pub struct ForgotPage {
    layout: Layout,
    form: FormState,
    problem: Option<String>,
}

pub async fn forgot_form(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    render(&ForgotPage {
        layout: ctx.layout("Forgot your password?", "login"),
        form: FormState::new(),
        problem: None,
    })
}

/// Asks for a reset link through the same function as the API; whether an account has
/// the address is not told.
pub async fn forgot(
    req: HttpRequest,
    ctx: PageCtx,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let shown = FormState::from_fields(&fields);
    let again = |status: StatusCode, form: FormState, problem: Option<String>| {
        render_status(
            status,
            &ForgotPage {
                layout: ctx.layout("Forgot your password?", "login"),
                form,
                problem,
            },
        )
    };
    match ask_for_password_reset(&ctx.state, &client_address(&req), fields.get("email")).await {
        Ok(()) => Ok(redirect(
            "/login",
            Some(Flash::info(
                "If an account has this address, an e-mail with a link to choose a new \
                 password is on its way. The link works for an hour.",
            )),
            &ctx,
        )),
        Err(ApiError::Validation(errors)) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            shown.with_errors(&errors),
            None,
        ),
        Err(ApiError::RateLimited { retry_after_secs }) => again(
            StatusCode::TOO_MANY_REQUESTS,
            shown,
            Some(format!(
                "Too many requests for a new password. Try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            )),
        ),
        Err(e) => Err(e.into()),
    }
}
