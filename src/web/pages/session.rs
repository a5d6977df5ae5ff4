//! The cookies of the web pages: the session (the API's JWT), the CSRF nonce and the
//! flash message. All are HttpOnly and SameSite=Lax, and Secure when the installation is
//! served over https (`PUBLIC_URL`).
//!
//! CSRF is a signed double submit: the `cm_csrf` cookie holds a random nonce, and every
//! form carries `HMAC(secret, nonce)`. A page on another site can neither read the cookie
//! nor compute the token, so a form it posts is refused before any handler runs.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::config::Config;

pub use crate::auth::SESSION_COOKIE;
pub const CSRF_COOKIE: &str = "cm_csrf";
pub const FLASH_COOKIE: &str = "cm_flash";
/// The hidden field every form carries.
pub const CSRF_FIELD: &str = "csrf";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, purpose: &str, message: &str) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(message.as_bytes());
    mac
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `message` signed for one `purpose`, as hex.
fn sign(secret: &str, purpose: &str, message: &str) -> String {
    to_hex(&mac(secret, purpose, message).finalize().into_bytes())
}

/// Compares in constant time.
fn verify(secret: &str, purpose: &str, message: &str, signature: &str) -> bool {
    match from_hex(signature) {
        Some(bytes) => mac(secret, purpose, message).verify_slice(&bytes).is_ok(),
        None => false,
    }
}

pub fn new_nonce() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    to_hex(&bytes)
}

pub fn is_nonce(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The token forms carry for the browser holding `nonce`.
pub fn csrf_token(secret: &str, nonce: &str) -> String {
    sign(secret, "csrf", nonce)
}

pub fn csrf_valid(secret: &str, nonce: Option<&str>, token: Option<&str>) -> bool {
    match (nonce, token) {
        (Some(nonce), Some(token)) if is_nonce(nonce) => verify(secret, "csrf", nonce, token),
        _ => false,
    }
}

/// Cookies are `Secure` when people reach the installation over https.
pub fn secure(config: &Config) -> bool {
    config.public_url.starts_with("https://")
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

pub fn session_cookie(token: String, config: &Config) -> Cookie<'static> {
    let mut c = cookie(SESSION_COOKIE, token, secure(config));
    c.set_max_age(Duration::hours(config.token_ttl_hours));
    c
}

pub fn csrf_cookie(nonce: String, config: &Config) -> Cookie<'static> {
    cookie(CSRF_COOKIE, nonce, secure(config))
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str, config: &Config) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure(config));
    c.make_removal();
    c
}

/// A one-time message shown on the next page, after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `success`, `info` or `error` (a CSS class too).
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Flash {
        Flash {
            kind: "success",
            message: message.into(),
        }
    }
    pub fn info(message: impl Into<String>) -> Flash {
        Flash {
            kind: "info",
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Flash {
        Flash {
            kind: "error",
            message: message.into(),
        }
    }
}

/// Signed, so that nobody can plant a message that seems to come from cleanmatch. Hex,
/// because actix percent-decodes request cookies.
pub fn flash_cookie(flash: &Flash, config: &Config) -> Cookie<'static> {
    let payload = to_hex(format!("{}\n{}", flash.kind, flash.message).as_bytes());
    let signature = sign(config.jwt_secret.expose(), "flash", &payload);
    cookie(
        FLASH_COOKIE,
        format!("{payload}.{signature}"),
        secure(config),
    )
}

pub fn read_flash(value: &str, config: &Config) -> Option<Flash> {
    let (payload, signature) = value.rsplit_once('.')?;
    if !verify(config.jwt_secret.expose(), "flash", payload, signature) {
        return None;
    }
    let decoded = String::from_utf8(from_hex(payload)?).ok()?;
    let (kind, message) = decoded.split_once('\n')?;
    let kind = ["success", "info", "error"]
        .into_iter()
        .find(|k| *k == kind)?;
    Some(Flash {
        kind,
        message: message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_fits_only_its_nonce_and_secret() {
        let nonce = new_nonce();
        let token = csrf_token("secret-one", &nonce);
        assert!(csrf_valid("secret-one", Some(&nonce), Some(&token)));
        assert!(!csrf_valid("secret-two", Some(&nonce), Some(&token)));
        assert!(!csrf_valid("secret-one", Some(&new_nonce()), Some(&token)));
        assert!(!csrf_valid("secret-one", Some(&nonce), None));
        assert!(!csrf_valid("secret-one", None, Some(&token)));
        assert!(!csrf_valid("secret-one", Some(&nonce), Some("zz")));
    }

    #[test]
    fn flash_survives_the_cookie_and_refuses_forgeries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config::with_defaults(
            dir.path(),
            String::new(),
            crate::config::Secret::new("a secret of more than thirty-two chars"),
        );
        let flash = Flash::success("Challenge “Heat pumps; 80 MW” opened.");
        let c = flash_cookie(&flash, &config);
        assert_eq!(read_flash(c.value(), &config), Some(flash));
        let (payload, signature) = c.value().split_once('.').expect("signed");
        let other = to_hex("error\nYour account is closed; call us.".as_bytes());
        assert_eq!(read_flash(&format!("{other}.{signature}"), &config), None);
        assert_eq!(read_flash(payload, &config), None);
    }
}
