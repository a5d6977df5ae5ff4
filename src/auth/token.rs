//! Session tokens: HS256 JWTs whose every registered claim is required and checked. The
//! `jti` is recorded in `auth_tokens`, so logout (or a disabled user) ends a token at once.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "cleanmatch";
pub const AUDIENCE: &str = "cleanmatch-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct Issued {
    pub token: String,
    pub jti: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn issue(secret: &str, user_id: &str, ttl_hours: i64) -> anyhow::Result<Issued> {
    let issued_at = Utc::now();
    let expires_at = issued_at + Duration::hours(ttl_hours);
    let jti = uuid::Uuid::new_v4().to_string();
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: user_id.into(),
        jti: jti.clone(),
        iat: issued_at.timestamp(),
        exp: expires_at.timestamp(),
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?;
    Ok(Issued {
        token,
        jti,
        issued_at,
        expires_at,
    })
}

/// The claims of a well-formed, correctly signed, unexpired token of ours.
pub fn verify(secret: &str, token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 5;
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()?;
    // `iat` and `jti` are required by the type; an `iat` in the future is forged or skewed.
    if data.claims.iat > Utc::now().timestamp() + 60 || data.claims.jti.is_empty() {
        return None;
    }
    Some(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_rejections() {
        let issued = issue(SECRET, "user-1", 8).expect("issue");
        let claims = verify(SECRET, &issued.token).expect("valid");
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.jti, issued.jti);
        assert!(verify("another secret that is long enough!!", &issued.token).is_none());
        assert!(verify(SECRET, "not.a.token").is_none());

        // A token without `jti` is refused even when correctly signed.
        #[derive(Serialize)]
        struct Partial<'a> {
            iss: &'a str,
            aud: &'a str,
            sub: &'a str,
            iat: i64,
            exp: i64,
        }
        let now = Utc::now().timestamp();
        let partial = encode(
            &Header::new(Algorithm::HS256),
            &Partial {
                iss: ISSUER,
                aud: AUDIENCE,
                sub: "u",
                iat: now,
                exp: now + 3600,
            },
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode");
        assert!(verify(SECRET, &partial).is_none());

        let expired = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                sub: "u".into(),
                jti: "j".into(),
                iat: now - 7200,
                exp: now - 3600,
            },
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode");
        assert!(verify(SECRET, &expired).is_none());
    }
}
