//! Absolute links for e-mails, built from `PUBLIC_URL`, and the signed tokens in them.
//! Every web path an e-mail points at is named here, in one place.

use crate::auth::purpose::{self, Purpose};
use crate::config::{url_host, Config, Secret};

#[derive(Clone)]
pub struct Links {
    public_url: String,
    host: String,
    secret: Secret,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl Links {
    pub fn new(config: &Config) -> Links {
        let public_url = config.public_url.trim_end_matches('/').to_owned();
        let host = url_host(&public_url).unwrap_or_else(|| "localhost".into());
        Links {
            public_url,
            host,
            secret: config.jwt_secret.clone(),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub(crate) fn secret(&self) -> &str {
        self.secret.expose()
    }

    /// `path` (starting with `/`) as an absolute URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// A stable Message-ID for an outbox row: retries of one e-mail carry the same one.
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.host)
    }

    pub fn challenge(&self, id: &str) -> String {
        self.url(&format!("/challenges/{id}"))
    }

    pub fn solution(&self, id: &str) -> String {
        self.url(&format!("/solutions/{id}"))
    }

    /// Where a city reads the responses to its challenge.
    pub fn challenge_responses(&self, id: &str) -> String {
        self.url(&format!("/challenges/{id}#responses"))
    }

    /// Where a company responds to a challenge.
    pub fn respond(&self, challenge_id: &str) -> String {
        self.url(&format!("/challenges/{challenge_id}#respond"))
    }

    /// Where a user finds their matches.
    pub fn matches(&self) -> String {
        self.url("/matches")
    }

    /// The one-click unsubscribe link for a user (or, for mail to an address with no
    /// account, for that address).
    pub fn unsubscribe(&self, subject: &str) -> anyhow::Result<String> {
        let token = purpose::sign(self.secret(), Purpose::Unsubscribe, subject, None, None)?;
        Ok(self.url(&format!("/unsubscribe?token={token}")))
    }

    pub fn verify_email(&self, user_id: &str, email: &str) -> anyhow::Result<String> {
        let token = purpose::sign(
            self.secret(),
            Purpose::VerifyEmail,
            user_id,
            Some(email),
            None,
        )?;
        Ok(self.url(&format!("/verify-email?token={token}")))
    }

    pub fn password_reset(&self, user_id: &str, jti: &str) -> anyhow::Result<String> {
        let token = purpose::sign(
            self.secret(),
            Purpose::PasswordReset,
            user_id,
            None,
            Some(jti),
        )?;
        Ok(self.url(&format!("/reset-password?token={token}")))
    }
}
