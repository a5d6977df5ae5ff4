//! Middleware for every response (security headers) and for the web pages (the CSRF
//! nonce cookie and the one-time flash message).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};

use crate::state::AppState;
use crate::web::pages::session::{self, CSRF_COOKIE, FLASH_COOKIE};

/// No inline scripts or styles, no framing, nothing from other origins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

/// The Swagger UI starts itself with inline code; it gets no framing either.
const DOCS_POLICY: &str = "frame-ancestors 'none'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path().starts_with("/api/docs");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let policy = if docs {
        DOCS_POLICY
    } else {
        CONTENT_SECURITY_POLICY
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Ok(res)
}

/// The browser's CSRF nonce, for the page handlers (see `pages::session`).
#[derive(Debug, Clone)]
pub struct CsrfNonce(pub String);

/// Paths served to people's browsers (everything but the API, health check and assets).
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/api"
        || path == "/healthz"
        || path.starts_with("/static/"))
}

/// Gives every browser a CSRF nonce cookie, and forgets a flash message once a page has
/// shown it.
pub async fn page_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| is_page_path(req.path())) else {
        return next.call(req).await;
    };
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| session::is_nonce(v));
    let fresh = existing.is_none();
    let nonce = existing.unwrap_or_else(session::new_nonce);
    req.extensions_mut().insert(CsrfNonce(nonce.clone()));
    let had_flash = req.cookie(FLASH_COOKIE).is_some();

    let mut res = next.call(req).await?;
    let sets =
        |res: &ServiceResponse<_>, name: &str| res.response().cookies().any(|c| c.name() == name);
    if fresh && !sets(&res, CSRF_COOKIE) {
        res.response_mut()
            .add_cookie(&session::csrf_cookie(nonce, &state.config))?;
    }
    if had_flash && !res.status().is_redirection() && !sets(&res, FLASH_COOKIE) {
        res.response_mut()
            .add_cookie(&session::removal(FLASH_COOKIE, &state.config))?;
    }
    Ok(res)
}
