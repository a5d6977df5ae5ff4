//! E-mail through a real SMTP server: the outbox, retries, dead letters, and the
//! e-mails that registration, password reset, responses and digests cause.

use cleanmatch::config::OutboxSettings;
use cleanmatch::db::models::OutboxRow;
use cleanmatch::db::schema::{outbox, users};
use cleanmatch::mail::templates::VerifyEmail;
use cleanmatch::mail::{enqueue, EmailTemplate, Mailer, OutgoingEmail};
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::smtp::SmtpSink;

/// Queues one e-mail to `to` directly through the library, as a handler would.
pub async fn queue_test_email(app: &TestApp, to: &str, key: &str) -> bool {
    let links = app.state().links.clone();
    let (to, key) = (to.to_owned(), key.to_owned());
    app.with_db(move |conn| {
        enqueue(
            conn,
            &links,
            &OutgoingEmail {
                to,
                user_id: None,
                template: EmailTemplate::VerifyEmail(VerifyEmail {
                    name: "Test".into(),
                    link: links.url("/somewhere"),
                }),
                dedupe_key: key,
            },
        )
        .expect("enqueue")
    })
    .await
}

pub async fn outbox_rows(app: &TestApp) -> Vec<OutboxRow> {
    app.with_db(|conn| {
        outbox::table
            .order(outbox::created_at.asc())
            .select(OutboxRow::as_select())
            .load(conn)
            .expect("outbox rows")
    })
    .await
}

/// Makes every queued row due now (skips the backoff wait).
async fn make_due(app: &TestApp) {
    app.with_db(|conn| {
        diesel::update(outbox::table)
            .set(
                outbox::next_attempt_at
                    .eq(cleanmatch::domain::now() - chrono::Duration::seconds(1)),
            )
            .execute(conn)
            .expect("make due")
    })
    .await;
}

pub async fn make_platform_admin(app: &TestApp, account: &Account) {
    let id = account.user_id.clone();
    app.with_db(move |conn| {
        diesel::update(users::table.find(id))
            .set(users::is_platform_admin.eq(true))
            .execute(conn)
            .expect("make admin")
    })
    .await;
}

#[tokio::test]
async fn a_queued_email_is_sent_once_with_both_parts_and_the_unsubscribe_headers() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    assert!(queue_test_email(&app, "ana@city.example", "k1").await);
    // The same key again (a retried request) queues nothing.
    assert!(!queue_test_email(&app, "ana@city.example", "k1").await);

    let report = app.drain(&sink).await;
    assert_eq!(report.sent, 1, "{report:?}");
    let again = app.drain(&sink).await;
    assert_eq!(again.claimed, 0, "{again:?}");

    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let rows = outbox_rows(&app).await;
    assert_eq!(rows[0].status, "sent");
    assert!(rows[0].sent_at.is_some());
    assert_eq!(mail.to, "ana@city.example");
    assert_eq!(mail.subject, "Confirm your e-mail address for cleanmatch");
    assert_eq!(mail.message_id, format!("<{}@127.0.0.1>", rows[0].id));
    assert_eq!(mail.message_id, rows[0].message_id);
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(
        mail.text.contains("http://127.0.0.1/somewhere"),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("href=\"http://127.0.0.1/somewhere\""),
        "{}",
        mail.html
    );
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<http://127.0.0.1/unsubscribe?token="),
        "{unsubscribe}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(mail.text.contains("/unsubscribe?token="), "{}", mail.text);
}

#[tokio::test]
async fn a_temporary_failure_is_retried_later_with_the_same_message_id() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_with(&["--fail-first", "1"]);
    queue_test_email(&app, "bo@company.example", "retry").await;

    let first = app.drain(&sink).await;
    assert_eq!((first.sent, first.retried), (0, 1), "{first:?}");
    let row = &outbox_rows(&app).await[0];
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 1);
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("451")),
        "{row:?}"
    );
    // Backoff: not due again for about 30 s.
    assert!(row.next_attempt_at > cleanmatch::domain::now() + chrono::Duration::seconds(20));
    assert_eq!(app.drain(&sink).await.claimed, 0);

    make_due(&app).await;
    let second = app.drain(&sink).await;
    assert_eq!(second.sent, 1, "{second:?}");
    let rejected = sink.rejected();
    let received = sink.received();
    assert_eq!((rejected.len(), received.len()), (1, 1));
    assert_eq!(rejected[0].message_id, received[0].message_id);
    assert_eq!(received[0].message_id, row.message_id);
}

#[tokio::test]
async fn failures_end_dead_and_only_platform_admins_see_and_retry_them() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    // Refused for good by the server: dead at once.
    queue_test_email(&app, "bounce@company.example", "bounce").await;
    let report = app.drain(&sink).await;
    assert_eq!(report.dead, 1, "{report:?}");

    // No server at all: retried until the attempts run out.
    queue_test_email(&app, "cy@company.example", "unreachable").await;
    let nowhere = || Mailer::smtp("smtp://127.0.0.1:1", "noreply@cleanmatch.test").expect("mailer");
    let settings = OutboxSettings {
        max_attempts: 2,
        ..OutboxSettings::default()
    };
    let first = app.drain_with(nowhere(), settings.clone()).await;
    assert_eq!((first.retried, first.dead), (1, 0), "{first:?}");
    make_due(&app).await;
    let second = app.drain_with(nowhere(), settings).await;
    assert_eq!((second.retried, second.dead), (0, 1), "{second:?}");

    let admin = app.register("cluster", "Operators", "DK").await;
    make_platform_admin(&app, &admin).await;
    let (status, body) = app
        .get("/api/v1/admin/outbox?status=dead", Some(&admin.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2, "{body}");
    let items = body["items"].as_array().expect("items");
    assert!(items.iter().all(|i| i["status"] == "dead"));
    assert!(items
        .iter()
        .all(|i| i["last_error"].as_str().is_some_and(|e| !e.is_empty())));
    assert!(items.iter().any(|i| i["to"] == "bounce@company.example"));

    let city = app.register("city", "Aarhus", "DK").await;
    let (status, body) = app
        .get("/api/v1/admin/outbox?status=dead", Some(&city.token))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.get("/api/v1/admin/outbox", None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .get("/api/v1/admin/outbox?status=lost", Some(&admin.token))
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("status"));

    // A dead e-mail can be queued again once the problem is fixed.
    let id = items[0]["id"].as_str().expect("id");
    let path = format!("/api/v1/admin/outbox/{id}/retry");
    let (status, body) = app
        .post(&path, Some(&city.token), serde_json::json!({}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = app
        .post(&path, Some(&admin.token), serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(&path, Some(&admin.token), serde_json::json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, body) = app
        .post(
            "/api/v1/admin/outbox/nope/retry",
            Some(&admin.token),
            serde_json::json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
