//! Limits failed logins per account and per client address, so that a password cannot
//! be guessed at speed. Counts live in memory, per process: with several processes the
//! effective limit is their number times the configured one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait when `key` has used up its failures in the current window.
    pub fn blocked_for(&self, key: &str) -> Option<u64> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (count, started) = entries.get(key)?;
        let elapsed = started.elapsed();
        if *count >= self.max_failures && elapsed < self.window {
            Some((self.window - elapsed).as_secs().max(1))
        } else {
            None
        }
    }

    pub fn record_failure(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, (_, started)| started.elapsed() < window);
        }
        let now = Instant::now();
        let entry = entries.entry(key.to_owned()).or_insert((0, now));
        if entry.1.elapsed() >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn reset(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let limiter = FailureLimiter::new(3, Duration::from_millis(200));
        for _ in 0..2 {
            limiter.record_failure("a");
        }
        assert!(limiter.blocked_for("a").is_none());
        limiter.record_failure("a");
        assert!(limiter.blocked_for("a").is_some());
        assert!(limiter.blocked_for("b").is_none());
        std::thread::sleep(Duration::from_millis(250));
        assert!(limiter.blocked_for("a").is_none());
    }
}
