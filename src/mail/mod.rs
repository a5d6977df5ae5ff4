//! E-mail: nothing sends mail except the outbox worker.
//!
//! A change that should tell someone (a registration, a response, an introduction)
//! queues its e-mails with [`outbox::enqueue`] in the same database transaction as the
//! change itself: the e-mail exists exactly when the change does. The
//! [`worker`] claims due rows with a lease, sends them through the [`mailer::Mailer`]
//! outside any transaction, and marks them sent, or retries them with backoff until they
//! are `dead`. The [`digest`] job, run by the worker, queues daily and weekly digests.

pub mod bench;
pub mod digest;
pub mod links;
pub mod mailer;
pub mod notify;
pub mod outbox;
pub mod templates;
pub mod worker;

pub use links::Links;
pub use mailer::Mailer;
pub use outbox::{enqueue, recipients_for_org, NotificationKind, OutgoingEmail};
pub use templates::EmailTemplate;
