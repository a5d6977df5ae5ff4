//! Configuration, read once from the environment (and the command line) into a typed
//! struct that is passed explicitly. Secrets never print: `Debug` redacts them.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::db::Backend;

/// Matches below this score are noise rather than leads.
pub const DEFAULT_MATCH_MIN_SCORE: f32 = 20.0;
/// Matches this strong are introduced without waiting for a coordinator.
pub const DEFAULT_AUTO_INTRODUCE_MIN_SCORE: f32 = 65.0;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub data_dir: PathBuf,
    pub jwt_secret: Secret,
    pub token_ttl_hours: i64,
    pub log_level: String,
    pub public_url: String,
    pub max_body_bytes: usize,
    pub db_pool_size: u32,
    /// The search index directory (rebuilt from the database when missing or stale).
    pub index_dir: PathBuf,
    /// Matches scoring below this (0-100) are not stored.
    pub match_min_score: f32,
    /// Matches at or above this score are introduced without a coordinator (`None`: never).
    pub auto_introduce_min_score: Option<f32>,
    /// `smtp://`, `smtps://` or `smtp://...?tls=required`, credentials in the URL; `None`
    /// writes `.eml` files under `DATA_DIR/mail/` instead.
    pub smtp_url: Option<Secret>,
    /// The `From` of every e-mail, e.g. `cleanmatch <noreply@example.org>`.
    pub mail_from: String,
    pub outbox: OutboxSettings,
}

/// How the outbox worker claims, retries and gives up.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// Run the worker inside `serve` (off when separate `outbox work` processes send).
    pub worker_in_serve: bool,
    /// Rows claimed at once; at most this many can be sent twice after a crash.
    pub batch_size: i64,
    /// How long a claim lasts; a row still `sending` after it is claimed again. Must
    /// exceed the SMTP timeout (10 s).
    pub lease_secs: i64,
    /// Attempts before a row is `dead`.
    pub max_attempts: i32,
    /// First retry delay; it doubles with each failure, capped at an hour.
    pub retry_base_secs: i64,
    /// How often an idle worker looks for due rows.
    pub poll_ms: u64,
    /// SMTP connections one worker sends on at once. lettre 0.11.23 leaves Nagle's
    /// algorithm on, which costs each message about 40 ms of waiting on one connection
    /// (fixed upstream in lettre#1159, unreleased); parallel connections hide it.
    pub concurrency: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            worker_in_serve: true,
            batch_size: 20,
            lease_secs: 60,
            max_attempts: 8,
            retry_base_secs: 30,
            poll_ms: 1000,
            concurrency: 4,
        }
    }
}

/// A value that must never appear in logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("jwt_secret", &self.jwt_secret)
            .field("token_ttl_hours", &self.token_ttl_hours)
            .field("public_url", &self.public_url)
            .field(
                "smtp_url",
                &self.smtp_url.as_ref().map(|u| redact_url(u.expose())),
            )
            .field("mail_from", &self.mail_from)
            .field("outbox", &self.outbox)
            .finish()
    }
}

/// `postgres://user:password@host/db` with the password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A whole number from `range`, or `default` when unset.
fn env_number<T>(name: &str, range: std::ops::RangeInclusive<T>, default: T) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .with_context(|| {
                format!(
                    "{name} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            }),
    }
}

/// The host part of an absolute URL, for Message-IDs and the default sender.
pub fn url_host(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_owned())
}

impl Config {
    /// The defaults for a data folder and database, as `from_env` would give them with
    /// nothing else set (tests start from this).
    pub fn with_defaults(data_dir: &Path, database_url: String, jwt_secret: Secret) -> Config {
        Config {
            database_url,
            bind: "127.0.0.1:0".into(),
            data_dir: data_dir.to_path_buf(),
            jwt_secret,
            token_ttl_hours: 8,
            log_level: "info".into(),
            public_url: "http://127.0.0.1".into(),
            max_body_bytes: 256 * 1024,
            db_pool_size: 4,
            index_dir: data_dir.join("index"),
            match_min_score: DEFAULT_MATCH_MIN_SCORE,
            auto_introduce_min_score: Some(DEFAULT_AUTO_INTRODUCE_MIN_SCORE),
            smtp_url: None,
            mail_from: "cleanmatch <noreply@cleanmatch.invalid>".into(),
            outbox: OutboxSettings::default(),
        }
    }

    /// Reads the environment. `bind` from the command line wins over `BIND`.
    pub fn from_env(bind_override: Option<String>) -> anyhow::Result<Config> {
        let data_dir = PathBuf::from(env("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = env("DATABASE_URL").unwrap_or_else(|| {
            data_dir
                .join("cleanmatch.db")
                .to_string_lossy()
                .into_owned()
        });
        let bind = bind_override
            .or_else(|| env("BIND"))
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let jwt_secret = match env("JWT_SECRET") {
            Some(s) if s.len() < 32 => bail!("JWT_SECRET must be at least 32 characters"),
            Some(s) => Secret::new(s),
            None if Backend::of(&database_url) == Backend::Postgres => {
                bail!("JWT_SECRET is required with PostgreSQL (several processes must share it)")
            }
            None => Secret::new(load_or_create_secret(&data_dir)?),
        };
        let token_ttl_hours = match env("TOKEN_TTL_HOURS") {
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=72).contains(h))
                .context("TOKEN_TTL_HOURS must be a whole number of hours from 1 to 72")?,
            None => 8,
        };
        let public_url = env("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let Some(host) = url_host(&public_url) else {
            bail!("PUBLIC_URL must be an absolute http(s) URL, such as https://cleanmatch.example.org");
        };
        let smtp_url = env("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url {
            let scheme = url.expose().split("://").next().unwrap_or_default();
            if scheme != "smtp" && scheme != "smtps" {
                bail!("SMTP_URL must start with smtp:// or smtps://");
            }
        }
        let mail_from = env("MAIL_FROM").unwrap_or_else(|| format!("cleanmatch <noreply@{host}>"));
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            bail!("MAIL_FROM must be an address such as `cleanmatch <noreply@example.org>`, not {mail_from:?}");
        }
        let defaults = OutboxSettings::default();
        let outbox = OutboxSettings {
            worker_in_serve: match env("OUTBOX_WORKER").as_deref().map(str::trim) {
                None | Some("on") => true,
                Some("off") => false,
                Some(_) => bail!("OUTBOX_WORKER must be `on` or `off`"),
            },
            batch_size: env_number("OUTBOX_BATCH_SIZE", 1..=500, defaults.batch_size)?,
            lease_secs: env_number("OUTBOX_LEASE_SECS", 1..=3600, defaults.lease_secs)?,
            max_attempts: env_number("OUTBOX_MAX_ATTEMPTS", 1..=50, defaults.max_attempts)?,
            retry_base_secs: env_number(
                "OUTBOX_RETRY_BASE_SECS",
                1..=3600,
                defaults.retry_base_secs,
            )?,
            poll_ms: env_number("OUTBOX_POLL_MS", 10..=60_000, defaults.poll_ms)?,
            concurrency: env_number("OUTBOX_CONCURRENCY", 1..=32, defaults.concurrency)?,
        };
        Ok(Config {
            database_url,
            bind,
            jwt_secret,
            token_ttl_hours,
            log_level: env("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            public_url,
            max_body_bytes: 256 * 1024,
            db_pool_size: env("DB_POOL_SIZE")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10),
            index_dir: env("INDEX_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("index")),
            data_dir,
            match_min_score: match env("MATCH_MIN_SCORE") {
                Some(v) => v
                    .parse::<f32>()
                    .ok()
                    .filter(|s| (0.0..=100.0).contains(s))
                    .context("MATCH_MIN_SCORE must be a number from 0 to 100")?,
                None => DEFAULT_MATCH_MIN_SCORE,
            },
            auto_introduce_min_score: match env("MATCH_AUTO_INTRODUCE_MIN_SCORE").as_deref() {
                Some("off") => None,
                Some(v) => Some(
                    v.parse::<f32>()
                        .ok()
                        .filter(|s| (0.0..=100.0).contains(s))
                        .context(
                            "MATCH_AUTO_INTRODUCE_MIN_SCORE must be a number from 0 to 100, or off",
                        )?,
                ),
                None => Some(DEFAULT_AUTO_INTRODUCE_MIN_SCORE),
            },
            smtp_url,
            mail_from,
            outbox,
        })
    }
}

/// On the embedded default a secret is generated once and kept, readable by the owner only.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let secret: String = {
        use rand::Rng;
        let bytes: [u8; 32] = rand::rng().random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_in_urls() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/cm"),
            "postgres://app:***@db:5432/cm"
        );
        assert_eq!(redact_url("./data/cleanmatch.db"), "./data/cleanmatch.db");
    }

    #[test]
    fn secret_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create_secret(dir.path()).expect("create");
        let second = load_or_create_secret(dir.path()).expect("load");
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt_secret"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
