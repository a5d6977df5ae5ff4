//! The command line: `serve`, `migrate`, `import`, `admin`, `outbox`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use diesel::prelude::*;

use crate::config::Config;
use crate::db::models::{Organization, User};
use crate::db::schema::{organizations, users};
use crate::mail::{worker, Links, Mailer};
use crate::{db, demo, import, Application};

#[derive(Debug, Parser)]
#[command(
    name = "cleanmatch",
    version,
    about = "Matches the climate challenges of cities to cleantech solutions"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application and the API.
    Serve {
        /// Address to listen on (default: BIND or 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo cities, companies, challenges and solutions (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load challenges or solutions in bulk from JSON lines or CSV.
    Import {
        kind: ImportKind,
        /// A .jsonl/.json file (one object a line) or a .csv file with a header row.
        file: PathBuf,
        /// The id of the organisation that will own the records.
        #[arg(long)]
        org: String,
        /// Exit with status 1 when any row was rejected (the good rows are stored anyway).
        #[arg(long)]
        strict: bool,
    },
    /// Rebuild the search index from the database and recompute every match.
    Reindex,
    /// Measure ranking quality on judged challenges (BEIR-style files).
    Eval {
        /// Solutions, one JSON object a line.
        #[arg(long)]
        corpus: PathBuf,
        /// Challenges, one JSON object a line; may be given several times.
        #[arg(long, required = true)]
        queries: Vec<PathBuf>,
        /// Judgements: query-id, corpus-id, score (tab-separated, with a header).
        #[arg(long)]
        qrels: PathBuf,
        /// Write the ranked top 100 of every query in TREC run format.
        #[arg(long)]
        run_out: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The e-mail outbox.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Send queued e-mails until SIGINT or SIGTERM (alongside or instead of the worker
    /// inside `serve`; any number of these may run on one PostgreSQL database).
    Work,
    /// Send what is due now, then exit.
    Drain,
    /// Queue COUNT e-mails to TO and time how fast they are sent (use a test mail
    /// server and a database no other worker sends from).
    Bench {
        #[arg(long, default_value_t = 500)]
        count: usize,
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Index a generated multilingual corpus and run matches as the product does, against
    /// SQLite FTS5 bm25() on the same corpus and queries as a baseline.
    Match {
        #[arg(long, default_value_t = 10_000)]
        solutions: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportKind {
    Challenges,
    Solutions,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a user a platform admin, creating the account when it does not exist.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Display name for a new account.
        #[arg(long, default_value = "Platform admin")]
        name: String,
        /// Password for a new account (or CLEANMATCH_ADMIN_PASSWORD).
        #[arg(long, env = "CLEANMATCH_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

pub fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},actix_server=warn"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind, demo } => {
            let config = Config::from_env(bind)?;
            init_tracing(&config.log_level);
            tracing::info!(?config, "starting");
            let app = Application::build(config).await?;
            let state = app.state();
            if demo {
                let pool = state.pool.clone();
                let matcher = state.matcher.clone();
                let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                    let summary = demo::load(&pool)?;
                    if summary.created {
                        let mut conn = pool.get()?;
                        crate::matching::rematch_all(&matcher, &mut conn, None)?;
                    }
                    Ok(summary)
                })
                .await??;
                println!("{summary}");
            }
            let mailer = Mailer::from_config(&state.config)?;
            println!("mail goes to {}", mailer.describe());
            let worker = if state.config.outbox.worker_in_serve {
                Some(worker::spawn(
                    state.pool.clone(),
                    mailer,
                    state.links.clone(),
                    state.config.outbox.clone(),
                )?)
            } else {
                println!("no outbox worker in this process (OUTBOX_WORKER=off)");
                None
            };
            println!(
                "cleanmatch listening on http://{}",
                state.config.bind.replace(":0", &format!(":{}", app.port()))
            );
            let served = app.run_until_stopped().await;
            if let Some(worker) = worker {
                tokio::task::spawn_blocking(move || worker.stop()).await?;
            }
            served?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Outbox { command } => outbox(command).await,
        Command::Migrate => {
            let config = Config::from_env(None)?;
            init_tracing(&config.log_level);
            let pool = db::connect(&config.database_url, 1)?;
            drop(pool);
            println!("migrations applied");
            Ok(())
        }
        Command::Import {
            kind,
            file,
            org,
            strict,
        } => {
            let config = Config::from_env(None)?;
            init_tracing("warn");
            let pool = db::connect(&config.database_url, 2)?;
            let report = import::run(&pool, kind, &file, &org)?;
            println!("{report}");
            if strict && report.rejected > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Reindex => {
            let config = Config::from_env(None)?;
            init_tracing("warn");
            let pool = db::connect(&config.database_url, 2)?;
            let mut conn = pool.get()?;
            let matcher = crate::matching::Matcher::open(
                &config.index_dir,
                &mut conn,
                config.match_min_score,
                config.auto_introduce_min_score,
                crate::mail::Links::new(&config),
            )?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            bar.set_message("indexing");
            let indexed = matcher.rebuild(&mut conn, Some(&progress))?;
            bar.set_message("matching");
            let matched = crate::matching::rematch_all(&matcher, &mut conn, Some(&progress))?;
            bar.finish_and_clear();
            println!("indexed {indexed} records; matched {matched} open challenges and published solutions");
            Ok(())
        }
        Command::Eval {
            corpus,
            queries,
            qrels,
            run_out,
            json,
        } => {
            let result = search_index::eval::run_eval(&corpus, &queries, &qrels)
                .context("evaluation failed")?;
            if let Some(path) = run_out {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("--run-out: creating {}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                search_index::eval::write_trec_run(&result.run, &mut out)?;
                std::io::Write::flush(&mut out)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&result.report)?);
            } else {
                print!("{}", result.report.to_table());
            }
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Match {
                    solutions,
                    queries,
                    json,
                },
        } => {
            init_tracing("warn");
            let report = crate::bench::run_match_bench(solutions, queries)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateAdmin {
                    email,
                    name,
                    password,
                },
        } => {
            let config = Config::from_env(None)?;
            init_tracing("warn");
            let pool = db::connect(&config.database_url, 1)?;
            let mut conn = pool.get()?;
            create_admin(&mut conn, &email, &name, password.as_deref())
        }
    }
}

async fn outbox(command: OutboxCommand) -> anyhow::Result<()> {
    let config = Config::from_env(None)?;
    init_tracing(&config.log_level);
    let pool = db::connect(&config.database_url, 2)?;
    let mailer = Mailer::from_config(&config)?;
    let links = Links::new(&config);
    let settings = config.outbox.clone();
    match command {
        OutboxCommand::Work => {
            println!("sending queued e-mail to {}", mailer.describe());
            let worker = worker::spawn(pool, mailer, links, settings)?;
            shutdown_signal().await?;
            tokio::task::spawn_blocking(move || worker.stop()).await?;
            Ok(())
        }
        OutboxCommand::Drain => {
            let report =
                tokio::task::spawn_blocking(move || worker::drain_once(&pool, &mailer, &settings))
                    .await??;
            println!(
                "sent {}, to retry {}, dead {}",
                report.sent, report.retried, report.dead
            );
            Ok(())
        }
        OutboxCommand::Bench { count, to } => {
            let figures = tokio::task::spawn_blocking(move || {
                crate::mail::bench::run(&pool, &links, &mailer, &settings, count, &to)
            })
            .await??;
            println!("{figures}");
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

fn create_admin(
    conn: &mut db::DbConn,
    email: &str,
    name: &str,
    password: Option<&str>,
) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    if !email_address::EmailAddress::is_valid(&email) {
        bail!("--email: {email:?} is not a valid e-mail address");
    }
    let existing = users::table
        .filter(users::email.eq(&email))
        .select(User::as_select())
        .first::<User>(conn)
        .optional()?;
    if let Some(user) = existing {
        diesel::update(users::table.find(&user.id))
            .set(users::is_platform_admin.eq(true))
            .execute(conn)?;
        println!("{email} is now a platform admin");
        return Ok(());
    }
    let Some(password) = password else {
        bail!(
            "no account for {email}: give --password (or CLEANMATCH_ADMIN_PASSWORD) to create one"
        );
    };
    let mut check = crate::domain::Check::new();
    crate::domain::organization::check_password(
        &mut check,
        "--password",
        Some(password.to_owned()),
    );
    check.finish(()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = crate::auth::password::hash_password(password)?;
    let at = crate::domain::now();
    conn.transaction(|conn| {
        let org_id = match organizations::table
            .filter(organizations::name.eq(PLATFORM_ORG))
            .select(Organization::as_select())
            .first::<Organization>(conn)
            .optional()?
        {
            Some(org) => org.id,
            None => {
                let org = Organization {
                    id: crate::domain::new_id(),
                    kind: "cluster".into(),
                    name: PLATFORM_ORG.into(),
                    country: "DK".into(),
                    region: None,
                    website: None,
                    description: "The operators of this cleanmatch installation.".into(),
                    verified: true,
                    population: None,
                    networks: "[]".into(),
                    size_band: None,
                    created_at: at,
                    updated_at: at,
                };
                diesel::insert_into(organizations::table)
                    .values(&org)
                    .execute(conn)?;
                org.id
            }
        };
        diesel::insert_into(users::table)
            .values(User {
                id: crate::domain::new_id(),
                organization_id: org_id,
                email: email.clone(),
                password_hash: hash,
                display_name: name.to_owned(),
                org_role: "admin".into(),
                is_platform_admin: true,
                locale: "en".into(),
                notification_mode: "instant".into(),
                email_verified: true,
                disabled: false,
                created_at: at,
                updated_at: at,
            })
            .execute(conn)
            .context("creating the admin account")?;
        println!("created platform admin {email}");
        Ok(())
    })
}

/// The organisation that platform admins created from the command line belong to.
pub const PLATFORM_ORG: &str = "cleanmatch platform";
