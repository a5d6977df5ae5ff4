//! One integration test binary on the real application factory.

mod auth;
mod challenges;
mod curation;
mod errors;
mod helpers;
mod matching;
mod migrations;
mod organizations;
mod pages;
mod responses;
mod solutions;
mod tooling;
