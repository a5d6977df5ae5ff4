//! The outbox worker in the real binary: `serve` sends through its worker and stops
//! cleanly; killed with SIGKILL mid-send and started again, it delivers every e-mail
//! (the ones in flight at the kill may arrive twice); two worker processes on one
//! database send each e-mail exactly once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cleanmatch::db::schema::outbox;
use cleanmatch::db::DbPool;
use cleanmatch::mail::templates::VerifyEmail;
use cleanmatch::mail::{enqueue, EmailTemplate, Links, OutgoingEmail};
use diesel::prelude::*;
use tokio::process::{Child, Command};

use crate::helpers::{fresh_database, test_config, PgDatabase};
use crate::smtp::SmtpSink;

const BATCH: usize = 20;

/// A database of its own that the test and the processes it starts share.
struct SharedDb {
    url: String,
    pool: DbPool,
    links: Links,
    dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl SharedDb {
    fn new() -> SharedDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = fresh_database(dir.path());
        let pool = cleanmatch::db::connect(&url, 2).expect("database");
        let links = Links::new(&test_config(dir.path(), url.clone()));
        SharedDb {
            url,
            pool,
            links,
            dir,
            _pg: pg,
        }
    }

    /// Queues `count` e-mails in one transaction.
    async fn queue(&self, count: usize) {
        let pool = self.pool.clone();
        let links = self.links.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("connection");
            conn.transaction(|conn| {
                for n in 0..count {
                    let queued = enqueue(
                        conn,
                        &links,
                        &OutgoingEmail {
                            to: format!("reader{n}@city.example"),
                            user_id: None,
                            template: EmailTemplate::VerifyEmail(VerifyEmail {
                                name: format!("Reader {n}"),
                                link: links.url(&format!("/n/{n}")),
                            }),
                            dedupe_key: format!("crash-test:{n}"),
                        },
                    )?;
                    assert!(queued);
                }
                diesel::QueryResult::Ok(())
            })
            .expect("queue");
        })
        .await
        .expect("queue task");
    }

    async fn unsent(&self) -> i64 {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            outbox::table
                .filter(outbox::status.ne("sent"))
                .count()
                .get_result::<i64>(&mut pool.get().expect("connection"))
                .expect("count")
        })
        .await
        .expect("count task")
    }

    /// Waits until every row is sent: a row is marked sent only after the SMTP server
    /// accepted it, so the sink holds everything then.
    async fn wait_all_sent(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let unsent = self.unsent().await;
            if unsent == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{unsent} e-mails still unsent after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `cleanmatch ARGS` on this database, sending to `sink`, started.
    fn start(&self, sink: &SmtpSink, args: &[&str]) -> Child {
        self.command(sink, args)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start cleanmatch")
    }

    fn command(&self, sink: &SmtpSink, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cleanmatch"));
        command
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("DATA_DIR", self.dir.path())
            .env("JWT_SECRET", "x".repeat(40))
            .env("SMTP_URL", sink.url())
            .env("MAIL_FROM", "cleanmatch <noreply@cleanmatch.test>")
            .env("OUTBOX_BATCH_SIZE", BATCH.to_string())
            .env("OUTBOX_LEASE_SECS", "2")
            .env("OUTBOX_POLL_MS", "50")
            .env("LOG_LEVEL", "warn")
            .env_remove("RUST_LOG")
            .kill_on_drop(true);
        command
    }
}

async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().expect("running").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill -TERM");
    assert!(sent.success());
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("stops within 30 s")
        .expect("exit status")
}

/// Message-ID -> how many times it arrived.
fn arrivals(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for mail in sink.received() {
        *seen.entry(mail.message_id).or_insert(0) += 1;
    }
    seen
}

#[tokio::test]
async fn serve_sends_through_its_worker_and_stops_cleanly_on_sigterm() {
    let db = SharedDb::new();
    let sink = SmtpSink::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut serve = db.start(&sink, &["serve", "--bind", &bind]);
    db.queue(3).await;
    db.wait_all_sent(Duration::from_secs(30)).await;
    assert_eq!(sink.count(), 3);
    // SIGTERM once the server runs (before that, nothing handles the signal yet).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(format!("http://{bind}/healthz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "serve never answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = terminate(&mut serve).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_worker_killed_mid_send_delivers_everything_after_a_restart() {
    const TOTAL: usize = 500;
    let db = SharedDb::new();
    let sink = SmtpSink::start();
    db.queue(TOTAL).await;

    let mut serve = db.start(&sink, &["serve", "--bind", "127.0.0.1:0"]);
    assert!(sink.wait_for_count(1, Duration::from_secs(60)).await >= 1);
    let first_arrived = Instant::now();
    let before_kill = sink
        .wait_for_count(TOTAL / 2, Duration::from_secs(60))
        .await;
    let rate = (before_kill - 1) as f64 / first_arrived.elapsed().as_secs_f64();
    serve.kill().await.expect("SIGKILL");
    let arrived_at_kill = sink.count();
    assert!(
        arrived_at_kill < TOTAL,
        "the worker finished before it could be killed ({arrived_at_kill} arrived)"
    );

    let restarted = Instant::now();
    let mut serve = db.start(&sink, &["serve", "--bind", "127.0.0.1:0"]);
    db.wait_all_sent(Duration::from_secs(120)).await;
    let after_restart = restarted.elapsed();
    let seen = arrivals(&sink);
    let twice: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "crash test: {arrived_at_kill} of {TOTAL} e-mails had arrived at SIGKILL; after the \
         restart all {} arrived in {:.1} s (lease 2 s); {twice} arrived twice; sending rate \
         before the kill {rate:.0} e-mails/s",
        seen.len(),
        after_restart.as_secs_f64()
    );
    assert_eq!(seen.len(), TOTAL, "every e-mail arrives");
    assert!(
        twice <= BATCH,
        "at most the batch in flight may arrive twice, not {twice}"
    );
    assert!(terminate(&mut serve).await.success());
}

#[tokio::test]
async fn two_worker_processes_send_every_email_exactly_once() {
    const TOTAL: usize = 500;
    let db = SharedDb::new();
    let sink = SmtpSink::start();
    let mut first = db.start(&sink, &["outbox", "work"]);
    let mut second = db.start(&sink, &["outbox", "work"]);
    let started = Instant::now();
    db.queue(TOTAL).await;
    db.wait_all_sent(Duration::from_secs(120)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let seen = arrivals(&sink);
    let twice: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "two workers: {} distinct e-mails of {TOTAL}, {twice} duplicates, {:.0} e-mails/s",
        seen.len(),
        TOTAL as f64 / elapsed
    );
    assert_eq!(seen.len(), TOTAL);
    assert_eq!(twice, 0, "no e-mail is sent twice");
    assert_eq!(sink.count(), TOTAL);
    assert!(terminate(&mut first).await.success());
    assert!(terminate(&mut second).await.success());
}

#[tokio::test]
async fn the_bench_command_reports_emails_per_second() {
    let db = SharedDb::new();
    let sink = SmtpSink::start();
    let output = db
        .command(
            &sink,
            &[
                "outbox",
                "bench",
                "--count",
                "300",
                "--to",
                "bench@cleanmatch.test",
            ],
        )
        .output()
        .await
        .expect("bench");
    let printed = String::from_utf8_lossy(&output.stdout);
    println!("outbox bench: {printed}");
    assert!(output.status.success(), "{output:?}");
    assert!(printed.contains("sent 300"), "{printed}");
    assert!(printed.contains("e-mails/s"), "{printed}");
    assert_eq!(sink.count(), 300);
}
