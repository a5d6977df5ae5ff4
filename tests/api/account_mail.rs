//! Account e-mails through a real SMTP server: verification at registration, password
//! reset, and unsubscribing by the link in any e-mail.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::mail::outbox_rows;
use crate::smtp::{Mail, SmtpSink};

const PUBLIC: &str = "http://127.0.0.1";

/// The path and query of an absolute link of ours, to call on the test server.
fn path_of(link: &str) -> &str {
    link.strip_prefix(PUBLIC).expect("a link under PUBLIC_URL")
}

fn token_of(link: &str) -> String {
    link.split_once("token=").expect("a token").1.to_owned()
}

async fn only_mail(sink: &SmtpSink, to: &str, subject_part: &str) -> Mail {
    let mails: Vec<Mail> = sink
        .received_by(to)
        .into_iter()
        .filter(|m| m.subject.contains(subject_part))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    mails.into_iter().next().expect("one mail")
}

async fn page(app: &TestApp, method: reqwest::Method, path: &str) -> (StatusCode, String) {
    let response = app
        .client
        .request(method, app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn registration_emails_a_link_that_verifies_the_address() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Aarhus", "DK").await;
    // A refused registration (the address is taken) queues nothing.
    let (status, _) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": city.email, "password": PASSWORD, "name": "Again",
                   "organization": {"kind": "city", "name": "Aarhus", "country": "DK"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(outbox_rows(&app).await.len(), 1);

    app.drain(&sink).await;
    let mail = only_mail(&sink, &city.email, "Confirm your e-mail address").await;
    assert!(mail.text.contains("Aarhus contact"), "{}", mail.text);
    let link = mail.link(&format!("{PUBLIC}/verify-email?token="));
    assert!(
        mail.html.contains(&format!("href=\"{link}\"")),
        "{}",
        mail.html
    );

    let (_, me) = app.get("/api/v1/me", Some(&city.token)).await;
    assert_eq!(me["user"]["email_verified"], false);
    let (status, body) = page(&app, reqwest::Method::GET, path_of(&link)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("is confirmed"), "{body}");
    let (_, me) = app.get("/api/v1/me", Some(&city.token)).await;
    assert_eq!(me["user"]["email_verified"], true);

    // The API does the same with the token; bad tokens are refused in the error shape.
    let (status, body) = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": token_of(&link)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email_verified"], true);
    for bad in [json!({"token": "not-a-token"}), json!({})] {
        let (status, body) = app.post("/api/v1/auth/verify-email", None, bad).await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key("token"), "{body}");
    }
    let (status, body) = page(&app, reqwest::Method::GET, "/verify-email?token=forged").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let company = app.register("company", "Heat A/S", "DK").await;

    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": company.email.to_uppercase()}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Unknown addresses get the same answer, and no e-mail.
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "nobody@nowhere.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "not an address"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    app.drain(&sink).await;
    assert!(sink.received_by("nobody@nowhere.example").is_empty());
    let mail = only_mail(&sink, &company.email, "Reset your cleanmatch password").await;
    let link = mail.link(&format!("{PUBLIC}/reset-password?token="));
    let token = token_of(&link);

    // The link opens a form that posts the new password.
    let (status, body) = page(&app, reqwest::Method::GET, path_of(&link)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("type=\"password\""), "{body}");
    assert!(body.contains("action=\"/reset-password\""), "{body}");

    let confirm = "/api/v1/auth/password-reset/confirm";
    let (status, body) = app
        .post(confirm, None, json!({"token": token, "password": "short"}))
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("password"));
    let new_password = "a brand new long password";
    let (status, body) = app
        .post(
            confirm,
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Every session ended; the old password is gone; the new one works.
    let (status, _) = app.get("/api/v1/me", Some(&company.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": company.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": company.email, "password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Single use.
    let (status, body) = app
        .post(
            confirm,
            None,
            json!({"token": token, "password": "yet another long password"}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("token"));

    // The HTML form does the same.
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": company.email}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.drain(&sink).await;
    let second = sink
        .received_by(&company.email)
        .into_iter()
        .rfind(|m| m.subject.contains("Reset"))
        .expect("second reset mail");
    let second_token = token_of(&second.link(&format!("{PUBLIC}/reset-password?token=")));
    assert_ne!(second_token, token);
    let response = app
        .client
        .post(app.url("/reset-password"))
        .form(&[
            ("token", second_token.as_str()),
            ("password", "the form's long password"),
        ])
        .send()
        .await
        .expect("form post");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("Your password is changed"));
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": company.email, "password": "the form's long password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Asking again and again for one address is limited.
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": company.email}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": company.email}),
        )
        .await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn the_unsubscribe_link_asks_then_turns_notifications_off() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Oslo", "NO").await;
    app.drain(&sink).await;
    let mail = only_mail(&sink, &city.email, "Confirm").await;
    let header = mail.header("List-Unsubscribe").expect("header");
    let link = header.trim_matches(['<', '>']).to_owned();
    assert_eq!(mail.link(&format!("{PUBLIC}/unsubscribe?token=")), link);

    // Opening the link (as a mail scanner would) changes nothing; it asks first.
    let (status, body) = page(&app, reqwest::Method::GET, path_of(&link)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("method=\"post\""), "{body}");
    assert!(body.contains(&city.email), "{body}");
    let (_, prefs) = app.get("/api/v1/me/notifications", Some(&city.token)).await;
    assert_eq!(prefs["mode"], "instant");

    let (status, body) = page(&app, reqwest::Method::POST, path_of(&link)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("You are unsubscribed"), "{body}");
    let (_, prefs) = app.get("/api/v1/me/notifications", Some(&city.token)).await;
    assert_eq!(prefs["mode"], "off");

    // Forged or damaged tokens are refused with a page, not a 500.
    for bad in [
        "/unsubscribe?token=abc",
        "/unsubscribe",
        "/unsubscribe?token=eyJhbGciOiJIUzI1NiJ9.e30.x",
    ] {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let (status, body) = page(&app, method, bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        }
    }
    let other_secret = cleanmatch::auth::purpose::sign(
        "another secret that is long enough!!",
        cleanmatch::auth::purpose::Purpose::Unsubscribe,
        &city.user_id,
        None,
        None,
    )
    .expect("sign");
    let (status, _) = page(
        &app,
        reqwest::Method::POST,
        &format!("/unsubscribe?token={other_secret}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Account e-mails still reach an unsubscribed user.
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": city.email}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.drain(&sink).await;
    only_mail(&sink, &city.email, "Reset").await;
}
