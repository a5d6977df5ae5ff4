//! One integration test binary on the real application factory.

mod account_mail;
mod admin_pages;
mod auth;
mod challenges;
mod crash;
mod curation;
mod digest_mail;
mod errors;
mod helpers;
mod introduction_mail;
mod mail;
mod matching;
mod measuring;
mod migrations;
mod organizations;
mod pages;
mod response_mail;
mod responses;
mod smtp;
mod solutions;
mod tooling;
mod visitor;
