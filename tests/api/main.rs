//! One integration test binary on the real application factory.

mod account_mail;
mod auth;
mod challenges;
mod crash;
mod errors;
mod helpers;
mod mail;
mod migrations;
mod organizations;
mod responses;
mod smtp;
mod solutions;
mod tooling;
