//! The outbox worker: the only code that sends mail.
//!
//! It claims a batch of due rows with a lease (a short transaction), then sends them one
//! outside any transaction (on a few SMTP connections at once), marking each sent as
//! soon as the server accepted it. If the process dies mid-batch, the rows it had not
//! marked are claimed again when their lease runs out: at most the messages in flight at
//! the moment of death (one per connection, never more than a batch) can arrive twice. It runs as a thread inside `serve` and in `cleanmatch outbox work`;
//! tests call [`drain_once`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::links::Links;
use super::mailer::{Mailer, SendError, SMTP_TIMEOUT};
use super::outbox::{self, OutboxStatus};
use crate::config::OutboxSettings;
use crate::db::models::OutboxRow;
use crate::db::DbPool;
use crate::domain::now;

/// How often the worker looks for users whose digest is due.
pub const DIGEST_CHECK_EVERY: Duration = Duration::from_secs(300);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub claimed: usize,
    pub sent: usize,
    /// Failed, to be tried again later.
    pub retried: usize,
    /// Failed for good.
    pub dead: usize,
    /// Given back unsent because the lease ran short or the worker is stopping.
    pub released: usize,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.dead += other.dead;
        self.released += other.released;
    }
}

/// Claims one batch and sends it on up to `settings.concurrency` connections. Each row
/// is marked as soon as its result is known. `stopping` is asked before each message.
pub fn work_batch(
    pool: &DbPool,
    mailer: &Mailer,
    settings: &OutboxSettings,
    stopping: &(dyn Fn() -> bool + Sync),
) -> anyhow::Result<Report> {
    let mut conn = pool
        .get()
        .context("no database connection for the outbox")?;
    let claimed_at = Instant::now();
    let rows = outbox::claim(&mut conn, settings, now()).context("claiming outbox rows")?;
    let mut report = Report {
        claimed: rows.len(),
        ..Report::default()
    };
    if rows.is_empty() {
        return Ok(report);
    }
    let lease = Duration::from_secs(u64::try_from(settings.lease_secs).unwrap_or(60));
    // A send that starts before this ends before the lease does, even at the SMTP timeout.
    let send_until = claimed_at + lease - SMTP_TIMEOUT.min(lease / 4);
    let next = AtomicUsize::new(0);
    let (results, finished) = mpsc::channel::<(usize, Result<(), SendError>)>();
    let mut first_error = None;
    std::thread::scope(|scope| {
        for _ in 0..settings.concurrency.clamp(1, rows.len()) {
            let results = results.clone();
            let (rows, next) = (&rows, &next);
            scope.spawn(move || loop {
                if stopping() || Instant::now() >= send_until {
                    return;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(row) = rows.get(index) else {
                    return;
                };
                if results.send((index, mailer.send(row))).is_err() {
                    return;
                }
            });
        }
        drop(results);
        // Marked here, one connection, as results arrive: a row sent but not yet marked
        // when the process dies is the only kind that can be sent twice.
        for (index, result) in finished {
            if first_error.is_none() {
                if let Err(e) = record(&mut conn, &rows[index], result, settings, &mut report) {
                    first_error = Some(e);
                }
            }
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    // Senders take rows in order and check before taking one: the rest were never tried.
    let tried = next.load(Ordering::SeqCst).min(rows.len());
    let rest: Vec<String> = rows[tried..].iter().map(|r| r.id.clone()).collect();
    report.released = outbox::release(&mut conn, &rest)?;
    Ok(report)
}

fn record(
    conn: &mut crate::db::DbConn,
    row: &OutboxRow,
    result: Result<(), SendError>,
    settings: &OutboxSettings,
    report: &mut Report,
) -> anyhow::Result<()> {
    match result {
        Ok(()) => {
            outbox::mark_sent(conn, &row.id)
                .with_context(|| format!("marking outbox row {} sent", row.id))?;
            report.sent += 1;
            tracing::debug!(id = %row.id, template = %row.template, "e-mail sent");
        }
        Err(e) => {
            let status = outbox::mark_failed(conn, row, &e.message, e.permanent, settings)?;
            if status == OutboxStatus::Dead {
                report.dead += 1;
                tracing::error!(id = %row.id, template = %row.template, attempts = row.attempts, error = %e.message, "e-mail is dead: no more attempts");
            } else {
                report.retried += 1;
                tracing::warn!(id = %row.id, template = %row.template, attempts = row.attempts, error = %e.message, "e-mail failed; will retry");
            }
        }
    }
    Ok(())
}

/// Sends everything that is due now, batch after batch, and returns what happened.
/// Failed rows are rescheduled for later, so this ends.
pub fn drain_once(
    pool: &DbPool,
    mailer: &Mailer,
    settings: &OutboxSettings,
) -> anyhow::Result<Report> {
    let mut total = Report::default();
    loop {
        let report = work_batch(pool, mailer, settings, &|| false)?;
        total.add(report);
        if report.claimed == 0 {
            return Ok(total);
        }
    }
}

/// A running worker thread.
pub struct WorkerHandle {
    stopping: Arc<AtomicBool>,
    wake: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl WorkerHandle {
    /// Asks the worker to stop after the message in flight (the rest of its batch goes
    /// back to the queue) and waits for it. Blocking: call it off the async executor.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.wake.send(());
        if self.thread.join().is_err() {
            tracing::error!("the outbox worker panicked");
        }
    }
}

/// Starts the worker on a thread of its own: it sends due e-mails, and every few
/// minutes queues the digests that are due.
pub fn spawn(
    pool: DbPool,
    mailer: Mailer,
    links: Links,
    settings: OutboxSettings,
) -> std::io::Result<WorkerHandle> {
    let stopping = Arc::new(AtomicBool::new(false));
    let (wake, woken) = mpsc::channel();
    let flag = stopping.clone();
    let thread = std::thread::Builder::new()
        .name("outbox-worker".into())
        .spawn(move || run(&pool, &mailer, &links, &settings, &flag, &woken))?;
    Ok(WorkerHandle {
        stopping,
        wake,
        thread,
    })
}

fn run(
    pool: &DbPool,
    mailer: &Mailer,
    links: &Links,
    settings: &OutboxSettings,
    stopping: &AtomicBool,
    woken: &mpsc::Receiver<()>,
) {
    tracing::info!(mail = %mailer.describe(), "outbox worker started");
    let poll = Duration::from_millis(settings.poll_ms);
    let mut next_digest_check = Instant::now();
    let is_stopping = || stopping.load(Ordering::SeqCst);
    while !is_stopping() {
        if Instant::now() >= next_digest_check {
            next_digest_check = Instant::now() + DIGEST_CHECK_EVERY;
            match pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| {
                    super::digest::queue_due(&mut conn, links, now()).map_err(anyhow::Error::from)
                }) {
                Ok(0) => {}
                Ok(n) => tracing::info!(digests = n, "digests queued"),
                Err(e) => tracing::error!(error = ?e, "queueing digests failed"),
            }
        }
        let busy = match work_batch(pool, mailer, settings, &is_stopping) {
            Ok(report) => {
                if report.sent + report.retried + report.dead > 0 {
                    tracing::info!(
                        sent = report.sent,
                        retried = report.retried,
                        dead = report.dead,
                        "outbox batch"
                    );
                }
                report.claimed as i64 >= settings.batch_size
            }
            Err(e) => {
                tracing::error!(error = ?e, "outbox batch failed");
                false
            }
        };
        if busy {
            continue;
        }
        match woken.recv_timeout(poll) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    tracing::info!("outbox worker stopped");
}
