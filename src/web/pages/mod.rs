//! The web pages: server-rendered HTML from `templates/` (askama) for people's browsers.
//!
//! Pages call the same functions as the JSON API (`web::api::*::create_challenge`,
//! `edit_challenge`, `submit_response`, `decide_response`, `matches_of_challenge`,
//! `curation_queue`, `decide_match`, `request_membership`, `curation_stats`,
//! `verify_organization`, `retry_email`, `log_in`, ...
//! and the list filters) and never the API over HTTP, so both share one set of rules. Every form post goes through `form::Form`,
//! which refuses a missing or wrong CSRF token (403) before the handler runs.

pub mod account;
pub mod admin;
pub mod assets;
pub mod challenges;
pub mod charts;
pub mod clusters;
pub mod curation;
pub mod dashboard;
pub mod explain;
pub mod form;
pub mod home;
pub mod matches;
pub mod organizations;
pub mod session;
pub mod solutions;
pub mod views;

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::Auth;
use crate::domain::OrgKind;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::middleware::CsrfNonce;
use session::Flash;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/static/{file}").route(web::get().to(assets::serve)))
        .service(page("/").route(web::get().to(home::home)))
        .service(
            page("/login")
                .route(web::get().to(account::login_form))
                .route(web::post().to(account::login)),
        )
        .service(
            page("/register")
                .route(web::get().to(account::register_form))
                .route(web::post().to(account::register)),
        )
        .service(page("/logout").route(web::post().to(account::logout)))
        .service(page("/account").route(web::get().to(account::account)))
        .service(page("/account/notifications").route(web::post().to(account::notifications)))
        .service(
            page("/challenges")
                .route(web::get().to(challenges::list))
                .route(web::post().to(challenges::create)),
        )
        .service(page("/challenges/new").route(web::get().to(challenges::new_form)))
        .service(page("/challenges/{id}").route(web::get().to(challenges::show)))
        .service(
            page("/challenges/{id}/edit")
                .route(web::get().to(challenges::edit_form))
                .route(web::post().to(challenges::update)),
        )
        .service(page("/challenges/{id}/status").route(web::post().to(challenges::set_status)))
        .service(page("/challenges/{id}/responses").route(web::post().to(challenges::respond)))
        .service(
            page("/solutions")
                .route(web::get().to(solutions::list))
                .route(web::post().to(solutions::create)),
        )
        .service(page("/solutions/new").route(web::get().to(solutions::new_form)))
        .service(page("/solutions/{id}").route(web::get().to(solutions::show)))
        .service(
            page("/solutions/{id}/edit")
                .route(web::get().to(solutions::edit_form))
                .route(web::post().to(solutions::update)),
        )
        .service(page("/solutions/{id}/status").route(web::post().to(solutions::set_status)))
        .service(page("/organizations/{id}").route(web::get().to(organizations::show)))
        .service(
            page("/forgot-password")
                .route(web::get().to(account::forgot_form))
                .route(web::post().to(account::forgot)),
        )
        .service(page("/responses/{id}/decision").route(web::post().to(challenges::decide)))
        .service(page("/fits").route(web::get().to(matches::fits)))
        .service(page("/clusters").route(web::get().to(clusters::clusters)))
        .service(page("/clusters/{id}/join").route(web::post().to(clusters::join)))
        .service(
            page("/curation")
                .route(web::get().to(curation::queue))
                .route(web::post().to(curation::decide)),
        )
        .service(page("/cluster/members").route(web::get().to(clusters::members)))
        .service(page("/memberships/{id}/decision").route(web::post().to(clusters::decide)))
        .service(page("/dashboard").route(web::get().to(dashboard::dashboard)))
        .service(page("/admin").route(web::get().to(admin::index)))
        .service(page("/admin/organizations/{id}/verify").route(web::post().to(admin::verify)))
        .service(page("/admin/outbox/{id}/retry").route(web::post().to(admin::retry)));
}

/// A page resource whose unmatched methods answer with the HTML error page.
fn page(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        actix_web::ResponseError::error_response(&PageError::from(ApiError::MethodNotAllowed))
    }))
}

/// Who is looking, and what every page needs to render its frame.
pub struct PageCtx {
    pub state: web::Data<AppState>,
    pub auth: Option<Auth>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Path and query of this request, to come back to after logging in.
    pub here: String,
}

impl PageCtx {
    /// The frame of a page titled `title`, with `section` marked in the navigation.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        Layout {
            title: title.into(),
            section,
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
            viewer: self.auth.as_ref().map(Viewer::from),
        }
    }

    /// The logged-in user, or a redirect to the login page that comes back here.
    pub fn require_login(&self) -> Result<&Auth, PageError> {
        self.auth
            .as_ref()
            .ok_or_else(|| PageError::LoginRequired(self.here.clone()))
    }

    pub fn config(&self) -> &crate::config::Config {
        &self.state.config
    }
}

impl FromRequest for PageCtx {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            let nonce = req
                .extensions()
                .get::<CsrfNonce>()
                .map(|n| n.0.clone())
                .ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("page_cookies middleware missing"))
                })?;
            let csrf = session::csrf_token(state.config.jwt_secret.expose(), &nonce);
            let flash = req
                .cookie(session::FLASH_COOKIE)
                .and_then(|c| session::read_flash(c.value(), &state.config));
            let auth = crate::auth::cookie_session(&req).await?;
            let here = match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{q}", req.path()),
            };
            Ok(PageCtx {
                state,
                auth,
                csrf,
                flash,
                here,
            })
        })
    }
}

/// The frame around every page: title, navigation, CSRF token for its forms, flash.
pub struct Layout {
    pub title: String,
    pub section: &'static str,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub viewer: Option<Viewer>,
}

impl Layout {
    /// The frame of error pages, which may not know who is looking.
    fn bare(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            section: "",
            csrf: String::new(),
            flash: None,
            viewer: None,
        }
    }

    pub fn is_city(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.kind == Some(OrgKind::City))
    }
    pub fn is_company(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.kind == Some(OrgKind::Company))
    }
    /// Coordinators (platform admins belong to a cluster of their own).
    pub fn is_coordinator(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.kind == Some(OrgKind::Cluster))
    }
}

/// The logged-in user as the navigation shows them.
pub struct Viewer {
    pub name: String,
    pub org_id: String,
    pub org_name: String,
    pub kind: Option<OrgKind>,
    pub is_admin: bool,
}

impl From<&Auth> for Viewer {
    fn from(a: &Auth) -> Self {
        Viewer {
            name: a.user.display_name.clone(),
            org_id: a.org.id.clone(),
            org_name: a.org.name.clone(),
            kind: a.kind(),
            is_admin: a.is_platform_admin(),
        }
    }
}

/// 200 with the rendered page.
pub fn render(page: &impl Template) -> Result<HttpResponse, PageError> {
    render_status(StatusCode::OK, page)
}

/// A page with another status: 422 for a form shown again with its errors.
pub fn render_status(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    let html = page
        .render()
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering a page")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// 303 to `to`, with a message for the next page.
pub fn redirect(to: &str, flash: Option<Flash>, ctx: &PageCtx) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, to.to_owned()));
    if let Some(flash) = flash {
        response.cookie(session::flash_cookie(&flash, ctx.config()));
    }
    response.finish()
}

/// What a page handler may fail with; shown as a friendly HTML page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("log in first")]
    LoginRequired(String),
    #[error("the form's security token is missing or out of date")]
    BadCsrf,
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
}

impl actix_web::ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Api(e) => e.status_code(),
            PageError::LoginRequired(_) => StatusCode::SEE_OTHER,
            PageError::BadCsrf => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (heading, message) = match self {
            PageError::LoginRequired(next) => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/login?next={next}")))
                    .finish();
            }
            PageError::BadCsrf => (
                "This form cannot be accepted",
                "It was sent without its security token, or the token is out of date. Nothing \
                 was changed. Go back, reload the page and try again."
                    .to_owned(),
            ),
            PageError::Api(ApiError::Internal(cause)) => {
                tracing::error!(error = ?cause, "page failed");
                (
                    "Something went wrong on our side",
                    "We could not show this page. Please try again in a moment.".to_owned(),
                )
            }
            PageError::Api(ApiError::NotFound(_)) => (
                "Page not found",
                "There is no page at this address, or it is not public. Check the address, or \
                 start again from the challenges."
                    .to_owned(),
            ),
            PageError::Api(ApiError::Forbidden(message)) => (
                "You cannot do this here",
                format!("{}.", capitalise(message)),
            ),
            PageError::Api(ApiError::MethodNotAllowed) => (
                "This address does not take that kind of request",
                "Follow a link or a button instead of typing the address.".to_owned(),
            ),
            PageError::Api(other) => (
                "This did not work",
                format!("{}.", capitalise(&other.to_string())),
            ),
        };
        let page = ErrorPage {
            layout: Layout::bare(heading),
            status: status.as_u16(),
            heading,
            message,
        };
        match render_status(status, &page) {
            Ok(response) => response,
            Err(_) => HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(heading),
        }
    }
}

/// The message after a form post: `ok`'s words for a success, the conflict's own words for
/// a 409 (told on the next page, not as an error page); any other error stays an error.
pub fn outcome<T>(
    result: Result<T, ApiError>,
    ok: impl FnOnce(T) -> String,
) -> Result<Flash, PageError> {
    match result {
        Ok(done) => Ok(Flash::success(ok(done))),
        Err(ApiError::Conflict(message)) => Ok(Flash::error(capitalise(&message))),
        Err(e) => Err(e.into()),
    }
}

pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Anything no route serves, for a browser.
pub fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&PageError::Api(ApiError::NotFound(
        "no such page".into(),
    )))
}
