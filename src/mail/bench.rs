//! `cleanmatch outbox bench`: how many e-mails a second one worker sends.

use std::fmt;
use std::time::Instant;

use super::links::Links;
use super::mailer::Mailer;
use super::outbox::{enqueue, OutgoingEmail};
use super::templates::{EmailTemplate, VerifyEmail};
use super::worker::drain_once;
use crate::config::OutboxSettings;
use crate::db::DbPool;
use crate::domain::new_id;

pub struct Figures {
    pub queued: usize,
    pub queue_secs: f64,
    pub sent: usize,
    pub send_secs: f64,
    pub mail: String,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queued {} e-mails in {:.2} s ({:.0}/s); sent {} to {} in {:.2} s: {:.0} e-mails/s",
            self.queued,
            self.queue_secs,
            self.queued as f64 / self.queue_secs.max(1e-9),
            self.sent,
            self.mail,
            self.send_secs,
            self.sent as f64 / self.send_secs.max(1e-9),
        )
    }
}

/// Queues `count` e-mails to `to`, one transaction each, then drains the outbox.
pub fn run(
    pool: &DbPool,
    links: &Links,
    mailer: &Mailer,
    settings: &OutboxSettings,
    count: usize,
    to: &str,
) -> anyhow::Result<Figures> {
    let mut conn = pool.get()?;
    let started = Instant::now();
    let run_id = new_id();
    for n in 0..count {
        enqueue(
            &mut conn,
            links,
            &OutgoingEmail {
                to: to.to_owned(),
                user_id: None,
                template: EmailTemplate::VerifyEmail(VerifyEmail {
                    name: format!("bench {n}"),
                    link: links.url(&format!("/bench/{run_id}/{n}")),
                }),
                dedupe_key: format!("bench:{run_id}:{n}"),
            },
        )?;
    }
    let queue_secs = started.elapsed().as_secs_f64();
    drop(conn);
    let started = Instant::now();
    let report = drain_once(pool, mailer, settings)?;
    Ok(Figures {
        queued: count,
        queue_secs,
        sent: report.sent,
        send_secs: started.elapsed().as_secs_f64(),
        mail: mailer.describe(),
    })
}
