//! What every request handler shares.

use std::time::Duration;

use crate::auth::rate_limit::FailureLimiter;
use crate::config::Config;
use crate::db::{DbConn, DbPool};
use crate::error::ApiError;
use crate::mail::Links;
use crate::matching::Matcher;

pub struct AppState {
    pub pool: DbPool,
    pub config: Config,
    pub matcher: std::sync::Arc<Matcher>,
    /// Absolute links and signed tokens for e-mails.
    pub links: Links,
    pub failed_logins_by_account: FailureLimiter,
    pub failed_logins_by_address: FailureLimiter,
    pub password_resets_by_account: FailureLimiter,
    pub password_resets_by_address: FailureLimiter,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config, matcher: std::sync::Arc<Matcher>) -> Self {
        Self {
            pool,
            links: Links::new(&config),
            config,
            matcher,
            failed_logins_by_account: FailureLimiter::new(5, Duration::from_secs(15 * 60)),
            failed_logins_by_address: FailureLimiter::new(30, Duration::from_secs(15 * 60)),
            // Every request counts, so that nobody can fill an inbox with reset e-mails.
            password_resets_by_account: FailureLimiter::new(3, Duration::from_secs(60 * 60)),
            password_resets_by_address: FailureLimiter::new(20, Duration::from_secs(60 * 60)),
        }
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
