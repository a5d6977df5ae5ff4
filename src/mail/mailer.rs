//! The mailer: turns an outbox row into a MIME message (plain text and HTML
//! alternatives, a stable Message-ID, RFC 8058 one-click unsubscribe headers) and hands
//! it to one of three transports: SMTP in production, `.eml` files for development, in
//! memory for unit tests. Only the outbox worker calls it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::file::FileTransport;
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::stub::StubTransport;
use lettre::{Message, Transport as _};

use crate::config::{redact_url, Config};
use crate::db::models::OutboxRow;

/// How long one SMTP exchange may take; the outbox lease must be longer.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp {
        transport: SmtpTransport,
        redacted_url: String,
    },
    Files {
        transport: FileTransport,
        dir: PathBuf,
    },
    Memory(StubTransport),
}

/// Why a message was not sent; a permanent failure is not retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    fn transient(e: impl std::fmt::Display) -> Self {
        SendError {
            permanent: false,
            message: e.to_string(),
        }
    }
    fn permanent(e: impl std::fmt::Display) -> Self {
        SendError {
            permanent: true,
            message: e.to_string(),
        }
    }
}

impl Mailer {
    /// SMTP when `SMTP_URL` is set, else `.eml` files under `DATA_DIR/mail/`.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => Mailer::smtp(url.expose(), &config.mail_from),
            None => Mailer::files(&config.data_dir.join("mail"), &config.mail_from),
        }
    }

    /// `smtp://[user:password@]host[:port]` (plain, or `?tls=required` for STARTTLS),
    /// `smtps://...` for TLS from the first byte.
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Mailer> {
        let transport = SmtpTransport::from_url(url)
            .with_context(|| format!("SMTP_URL {} is not usable", redact_url(url)))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer {
            from: parse_from(from)?,
            transport: Transport::Smtp {
                transport,
                redacted_url: redact_url(url),
            },
        })
    }

    pub fn files(dir: &Path, from: &str) -> anyhow::Result<Mailer> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Mailer {
            from: parse_from(from)?,
            transport: Transport::Files {
                transport: FileTransport::new(dir),
                dir: dir.to_path_buf(),
            },
        })
    }

    /// Keeps messages in memory; see [`Mailer::sent`].
    pub fn in_memory(from: &str) -> anyhow::Result<Mailer> {
        Ok(Mailer {
            from: parse_from(from)?,
            transport: Transport::Memory(StubTransport::new_ok()),
        })
    }

    /// Where mail goes, for the log.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp { redacted_url, .. } => format!("SMTP at {redacted_url}"),
            Transport::Files { dir, .. } => format!(".eml files in {}", dir.display()),
            Transport::Memory(_) => "memory".into(),
        }
    }

    /// The raw messages an in-memory mailer has sent (empty for the other transports).
    pub fn sent(&self) -> Vec<String> {
        match &self.transport {
            Transport::Memory(stub) => stub.messages().into_iter().map(|(_, m)| m).collect(),
            _ => Vec::new(),
        }
    }

    pub fn message(&self, row: &OutboxRow) -> Result<Message, SendError> {
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()))
            .header(ListUnsubscribe(format!("<{}>", row.unsubscribe_url)))
            .header(ListUnsubscribePost)
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))
            .map_err(SendError::permanent)
    }

    pub fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        let message = self.message(row)?;
        match &self.transport {
            Transport::Smtp { transport, .. } => {
                transport.send(&message).map(|_| ()).map_err(|e| {
                    if e.is_permanent() {
                        SendError::permanent(format!("SMTP: {e}"))
                    } else {
                        SendError::transient(format!("SMTP: {e}"))
                    }
                })
            }
            Transport::Files { transport, .. } => transport
                .send(&message)
                .map(|_| ())
                .map_err(|e| SendError::transient(format!("writing the .eml file: {e}"))),
            Transport::Memory(stub) => stub
                .send(&message)
                .map_err(|e| SendError::transient(format!("{e:?}"))),
        }
    }
}

fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    from.parse()
        .with_context(|| format!("MAIL_FROM {from:?} is not an e-mail address"))
}

/// `List-Unsubscribe: <https://...>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mail clients may
/// unsubscribe with one POST to the link, without opening a page.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::now;

    fn row() -> OutboxRow {
        OutboxRow {
            id: "o1".into(),
            dedupe_key: "k".into(),
            to_address: "ana@city.example".into(),
            user_id: None,
            template: "verify_email".into(),
            subject: "Confirm your e-mail address".into(),
            body_text: "Hello Ana, open https://cm.example/verify-email?token=t".into(),
            body_html: "<p>Hello Ana</p>".into(),
            message_id: "<o1@cm.example>".into(),
            unsubscribe_url: "https://cm.example/unsubscribe?token=u".into(),
            status: "sending".into(),
            attempts: 1,
            next_attempt_at: now(),
            lease_until: None,
            last_error: None,
            created_at: now(),
            sent_at: None,
        }
    }

    #[test]
    fn messages_carry_both_parts_and_the_rfc_8058_headers() {
        let mailer = Mailer::in_memory("cleanmatch <noreply@cm.example>").expect("mailer");
        mailer.send(&row()).expect("sent");
        let sent = mailer.sent();
        assert_eq!(sent.len(), 1);
        let raw = &sent[0];
        assert!(raw.contains("Message-ID: <o1@cm.example>"), "{raw}");
        assert!(
            raw.contains("List-Unsubscribe: <https://cm.example/unsubscribe?token=u>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn a_bad_recipient_is_a_permanent_failure() {
        let mailer = Mailer::in_memory("noreply@cm.example").expect("mailer");
        let mut bad = row();
        bad.to_address = "not an address".into();
        let err = mailer.send(&bad).expect_err("refused");
        assert!(err.permanent);
    }
}
