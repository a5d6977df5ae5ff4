//! The application factory shared by `main` and the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::db;
use crate::matching::{self, Matcher};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Opens the database (migrating it), binds the address and prepares the server.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let (pool, matcher) = {
            let url = config.database_url.clone();
            let size = config.db_pool_size;
            let index_dir = config.index_dir.clone();
            let min_score = config.match_min_score;
            let auto = config.auto_introduce_min_score;
            let links = crate::mail::Links::new(&config);
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let pool = db::connect(&url, size)?;
                let mut conn = pool.get()?;
                let matcher = Matcher::open(&index_dir, &mut conn, min_score, auto, links)?;
                Ok((pool, Arc::new(matcher)))
            })
            .await??
        };
        matching::spawn_sync_loop(matcher.clone(), pool.clone());
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(pool, config, matcher));
        let server = serve(listener, state.clone())?;
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT or SIGTERM; requests in flight are allowed to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware::from_fn(crate::web::middleware::page_cookies))
            .wrap(middleware::from_fn(
                crate::web::middleware::security_headers,
            ))
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                crate::error::ApiError::BadRequest {
                    code: "bad_path",
                    message: err.to_string(),
                }
                .into()
            }))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                crate::error::ApiError::BadRequest {
                    code: "bad_query",
                    message: err.to_string(),
                }
                .into()
            }))
            .configure(crate::web::configure)
            .default_service(web::to(crate::web::not_found))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}
