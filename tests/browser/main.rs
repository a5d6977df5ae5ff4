//! Browser tests: the real `cleanmatch` binary driven by headless Chromium. A separate
//! test target, so that the API tests stay fast; part of `cargo test --workspace`.

// The database helpers of the API tests (a fresh SQLite file or PostgreSQL database).
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod db;
mod harness;
// The SMTP server the e-mail flows are checked against.
mod journeys;
mod screenshots;
#[allow(dead_code)]
#[path = "../api/smtp.rs"]
mod smtp;
