//! cleanmatch: matches the climate challenges of cities to the solutions of cleantech
//! companies. See ARCHITECTURE.md for the map of the parts.

pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod import;
pub mod mail;
pub mod matching;
pub mod state;
pub mod web;

pub use app::Application;
pub use config::Config;
