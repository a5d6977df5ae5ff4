//! Signed tokens for links in e-mails: unsubscribe, e-mail verification and password
//! reset. They are HS256 JWTs signed with `JWT_SECRET`, each with its own audience, so a
//! token made for one purpose (or a session token) is refused for every other one, and
//! none can be forged without the secret.

use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::token::ISSUER;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Turns a user's match notifications off; never expires (RFC 8058 links must keep
    /// working in old e-mails).
    Unsubscribe,
    /// Marks the address as verified; lives a few days.
    VerifyEmail,
    /// Sets a new password once; lives an hour and its `jti` is recorded as single-use.
    PasswordReset,
}

pub const VERIFY_EMAIL_TTL: Duration = Duration::days(3);
pub const PASSWORD_RESET_TTL: Duration = Duration::hours(1);

impl Purpose {
    fn audience(self) -> &'static str {
        match self {
            Purpose::Unsubscribe => "cleanmatch-unsubscribe",
            Purpose::VerifyEmail => "cleanmatch-verify-email",
            Purpose::PasswordReset => "cleanmatch-password-reset",
        }
    }

    fn ttl(self) -> Option<Duration> {
        match self {
            Purpose::Unsubscribe => None,
            Purpose::VerifyEmail => Some(VERIFY_EMAIL_TTL),
            Purpose::PasswordReset => Some(PASSWORD_RESET_TTL),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// A verification token is for one address: changing it makes old links void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Password reset tokens are recorded by id so that each works once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// A token for `purpose` about `user_id`.
pub fn sign(
    secret: &str,
    purpose: Purpose,
    user_id: &str,
    email: Option<&str>,
    jti: Option<&str>,
) -> anyhow::Result<String> {
    let now = Utc::now();
    let claims = LinkClaims {
        iss: ISSUER.into(),
        aud: purpose.audience().into(),
        sub: user_id.into(),
        iat: now.timestamp(),
        exp: purpose.ttl().map(|ttl| (now + ttl).timestamp()),
        email: email.map(Into::into),
        jti: jti.map(Into::into),
    };
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// The claims of a correctly signed, unexpired token made for `purpose`.
pub fn verify(secret: &str, purpose: Purpose, token: &str) -> Option<LinkClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[purpose.audience()]);
    validation.leeway = 5;
    if purpose.ttl().is_some() {
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    } else {
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    }
    let claims = decode::<LinkClaims>(
        token.trim(),
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()?
    .claims;
    if claims.sub.is_empty() || claims.iat > Utc::now().timestamp() + 60 {
        return None;
    }
    if purpose == Purpose::PasswordReset && claims.jti.as_deref().is_none_or(str::is_empty) {
        return None;
    }
    Some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_work_for_their_purpose_only() {
        let unsubscribe = sign(SECRET, Purpose::Unsubscribe, "u1", None, None).expect("sign");
        let claims = verify(SECRET, Purpose::Unsubscribe, &unsubscribe).expect("valid");
        assert_eq!(claims.sub, "u1");
        assert!(claims.exp.is_none());
        assert!(verify(SECRET, Purpose::VerifyEmail, &unsubscribe).is_none());
        assert!(verify(SECRET, Purpose::PasswordReset, &unsubscribe).is_none());
        assert!(verify(
            "another secret that is long enough!!",
            Purpose::Unsubscribe,
            &unsubscribe
        )
        .is_none());
        assert!(super::super::token::verify(SECRET, &unsubscribe).is_none());

        let verify_token = sign(
            SECRET,
            Purpose::VerifyEmail,
            "u1",
            Some("a@b.example"),
            None,
        )
        .expect("sign");
        let claims = verify(SECRET, Purpose::VerifyEmail, &verify_token).expect("valid");
        assert_eq!(claims.email.as_deref(), Some("a@b.example"));
        assert!(claims.exp.is_some());

        // A reset token must carry the id that makes it single-use.
        let no_jti = sign(SECRET, Purpose::PasswordReset, "u1", None, None).expect("sign");
        assert!(verify(SECRET, Purpose::PasswordReset, &no_jti).is_none());
        let reset = sign(SECRET, Purpose::PasswordReset, "u1", None, Some("j1")).expect("sign");
        assert_eq!(
            verify(SECRET, Purpose::PasswordReset, &reset)
                .expect("valid")
                .jti
                .as_deref(),
            Some("j1")
        );
    }
}
