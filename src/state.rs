//! What every request handler shares.

use std::time::Duration;

use crate::auth::rate_limit::FailureLimiter;
use crate::config::Config;
use crate::db::{DbConn, DbPool};
use crate::error::ApiError;
use crate::matching::Matcher;

pub struct AppState {
    pub pool: DbPool,
    pub config: Config,
    pub matcher: std::sync::Arc<Matcher>,
    pub failed_logins_by_account: FailureLimiter,
    pub failed_logins_by_address: FailureLimiter,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config, matcher: std::sync::Arc<Matcher>) -> Self {
        Self {
            pool,
            config,
            matcher,
            failed_logins_by_account: FailureLimiter::new(5, Duration::from_secs(15 * 60)),
            failed_logins_by_address: FailureLimiter::new(30, Duration::from_secs(15 * 60)),
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
