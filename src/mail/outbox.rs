//! The transactional outbox: queue an e-mail in the caller's transaction, and the claims
//! and state changes the worker makes on its rows.
//!
//! Statuses: `pending` (due at `next_attempt_at`) -> `sending` (claimed until
//! `lease_until`) -> `sent`; a failure goes back to `pending` with a later
//! `next_attempt_at`, or to `dead` after the last attempt. A `sending` row whose lease
//! ran out (its worker died) is claimed again.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::links::Links;
use super::templates::{Category, EmailTemplate, Footer};
use crate::config::OutboxSettings;
use crate::db::models::{OutboxRow, User};
use crate::db::schema::{outbox, users};
use crate::db::DbConn;
use crate::domain::{codes, new_id, now, NotificationMode};

codes!(
    OutboxStatus {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Dead = "dead",
    }
);

/// An e-mail to queue.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    /// The recipient's account, when they have one: their preferences apply and the
    /// unsubscribe link is theirs.
    pub user_id: Option<String>,
    pub template: EmailTemplate,
    /// Unique per e-mail: queueing the same key again queues nothing. Build it from
    /// what caused the e-mail and who gets it, e.g. `response-received:{response}:{user}`.
    pub dedupe_key: String,
}

pub(crate) fn other(
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> diesel::result::Error {
    diesel::result::Error::SerializationError(e.into())
}

/// Renders `email` and writes it to the outbox. Call it inside the transaction that
/// makes the change the e-mail is about, so that both are stored or neither is.
///
/// Returns `false`, queueing nothing, when an e-mail with the same dedupe key was
/// queued before (a retried request, a re-run match) or when the recipient turned
/// notifications off and the e-mail is not about their account.
pub fn enqueue(conn: &mut DbConn, links: &Links, email: &OutgoingEmail) -> QueryResult<bool> {
    let exists = outbox::table
        .filter(outbox::dedupe_key.eq(&email.dedupe_key))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let user = match &email.user_id {
        Some(id) => users::table
            .find(id)
            .select(User::as_select())
            .first::<User>(conn)
            .optional()?,
        None => None,
    };
    if email.template.category() != Category::Account
        && user
            .as_ref()
            .is_some_and(|u| u.notification_mode == NotificationMode::Off.as_str())
    {
        return Ok(false);
    }
    let id = new_id();
    let unsubscribe_subject = match &user {
        Some(u) => u.id.clone(),
        None => format!("mailto:{}", email.to.trim().to_lowercase()),
    };
    let unsubscribe_url = links.unsubscribe(&unsubscribe_subject).map_err(other)?;
    let rendered = email
        .template
        .render(&Footer {
            unsubscribe_url: unsubscribe_url.clone(),
            public_url: links.public_url().to_owned(),
        })
        .map_err(other)?;
    let at = now();
    let row = OutboxRow {
        message_id: links.message_id(&id),
        id,
        dedupe_key: email.dedupe_key.clone(),
        to_address: email.to.trim().to_owned(),
        user_id: user.map(|u| u.id),
        template: email.template.name().into(),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        unsubscribe_url,
        status: OutboxStatus::Pending.as_str().into(),
        attempts: 0,
        next_attempt_at: at,
        lease_until: None,
        last_error: None,
        created_at: at,
        sent_at: None,
    };
    // Another transaction may queue the same key between the check and the insert;
    // the unique key decides, without aborting the caller's transaction.
    let inserted = match conn {
        DbConn::Pg(c) => diesel::insert_into(outbox::table)
            .values(&row)
            .on_conflict(outbox::dedupe_key)
            .do_nothing()
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(outbox::table)
            .values(&row)
            .on_conflict(outbox::dedupe_key)
            .do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Which users of an organisation an e-mail about something is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// Responses, decisions and introductions: everyone but those who turned
    /// notifications off.
    Activity,
    /// A new match, one e-mail each: only users in `instant` mode (the others get the
    /// digest they chose, or nothing).
    NewMatch,
}

/// The organisation's active users who want e-mails of `kind`, oldest account first.
pub fn recipients_for_org(
    conn: &mut DbConn,
    org_id: &str,
    kind: NotificationKind,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .filter(users::organization_id.eq(org_id))
        .filter(users::disabled.eq(false))
        .into_boxed();
    query = match kind {
        NotificationKind::Activity => {
            query.filter(users::notification_mode.ne(NotificationMode::Off.as_str()))
        }
        NotificationKind::NewMatch => {
            query.filter(users::notification_mode.eq(NotificationMode::Instant.as_str()))
        }
    };
    query
        .order((users::created_at.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// Claims up to `batch_size` due rows (pending and due, or sending with an expired
/// lease) for this worker until `now + lease`, counting an attempt on each. Two workers
/// never claim the same row: PostgreSQL skips rows another transaction has locked;
/// SQLite serialises the claim with an immediate (write-locked) transaction.
pub fn claim(
    conn: &mut DbConn,
    settings: &OutboxSettings,
    at: NaiveDateTime,
) -> QueryResult<Vec<OutboxRow>> {
    let lease_until = at + Duration::seconds(settings.lease_secs);
    let pending = OutboxStatus::Pending.as_str();
    let sending = OutboxStatus::Sending.as_str();
    macro_rules! claim_on {
        ($c:expr, $select_for_claim:expr) => {{
            let ids: Vec<String> = $select_for_claim;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((
                    outbox::status.eq(sending),
                    outbox::lease_until.eq(Some(lease_until)),
                    outbox::attempts.eq(outbox::attempts + 1),
                ))
                .execute($c)?;
            outbox::table
                .filter(outbox::id.eq_any(&ids))
                .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                .select(OutboxRow::as_select())
                .load($c)
        }};
    }
    macro_rules! due {
        () => {
            outbox::table
                .filter(
                    outbox::status
                        .eq(pending)
                        .and(outbox::next_attempt_at.le(at))
                        .or(outbox::status
                            .eq(sending)
                            .and(outbox::lease_until.lt(Some(at)))),
                )
                .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                .limit(settings.batch_size)
                .select(outbox::id)
        };
    }
    match conn {
        DbConn::Pg(c) => {
            c.transaction(|c| claim_on!(c, due!().for_update().skip_locked().load(c)?))
        }
        DbConn::Sqlite(c) => c.immediate_transaction(|c| claim_on!(c, due!().load(c)?)),
    }
}

pub fn mark_sent(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(OutboxStatus::Sent.as_str()),
            outbox::sent_at.eq(Some(now())),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The delay before attempt `attempts + 1`: `base * 2^(attempts - 1)`, at most an hour.
pub fn backoff(settings: &OutboxSettings, attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let secs = settings
        .retry_base_secs
        .saturating_mul(1_i64 << exponent)
        .min(3600);
    Duration::seconds(secs)
}

/// Records a failed attempt: retried later with backoff, or `dead` when the failure is
/// permanent or this was the last attempt. Returns the new status.
pub fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    error: &str,
    permanent: bool,
    settings: &OutboxSettings,
) -> QueryResult<OutboxStatus> {
    let error: String = error.chars().take(2000).collect();
    let status = if permanent || row.attempts >= settings.max_attempts {
        OutboxStatus::Dead
    } else {
        OutboxStatus::Pending
    };
    diesel::update(outbox::table.find(&row.id))
        .set((
            outbox::status.eq(status.as_str()),
            outbox::next_attempt_at.eq(now() + backoff(settings, row.attempts)),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(status)
}

/// Gives claimed rows back unsent (the worker is stopping or its lease runs short), so
/// that any worker sends them at once; the attempt does not count.
pub fn release(conn: &mut DbConn, ids: &[String]) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(OutboxStatus::Sending.as_str())),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending.as_str()),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts - 1),
        outbox::next_attempt_at.eq(now()),
    ))
    .execute(conn)
}

/// Puts a dead row back in the queue with a fresh set of attempts.
pub fn retry_dead(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq(OutboxStatus::Dead.as_str())),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending.as_str()),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let settings = OutboxSettings::default();
        assert_eq!(backoff(&settings, 1), Duration::seconds(30));
        assert_eq!(backoff(&settings, 2), Duration::seconds(60));
        assert_eq!(backoff(&settings, 4), Duration::seconds(240));
        assert_eq!(backoff(&settings, 12), Duration::seconds(3600));
        assert_eq!(backoff(&settings, 1000), Duration::seconds(3600));
    }
}
