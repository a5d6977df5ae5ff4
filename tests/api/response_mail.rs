//! Responses and the cities' decisions on them, and the e-mails both cause.

use cleanmatch::db::schema::audit_log;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpSink;

fn decide(response_id: &str, decision: &str) -> String {
    format!("/api/v1/responses/{response_id}/{decision}")
}

async fn respond(app: &TestApp, company: &Account, challenge: &str, solution: &str) -> String {
    let (status, body) = app
        .post(
            &format!("/api/v1/challenges/{challenge}/responses"),
            Some(&company.token),
            json!({"solution_id": solution, "message": "We <b>can</b> help: 80 MW by 2028."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_response_emails_the_city_and_each_decision_emails_the_company() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Aarhus", "DK").await;
    let company = app.register("company", "Heat & Pumps A/S", "DK").await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"status": "open", "title": "<script>alert(1)</script> Heat for Aarhus"}),
        )
        .await;
    let solution = app.create_solution(&company, json!({})).await;
    app.drain(&sink).await; // the verification e-mails
    let response = respond(&app, &company, &challenge, &solution).await;

    app.drain(&sink).await;
    let to_city: Vec<_> = sink
        .received_by(&city.email)
        .into_iter()
        .filter(|m| m.subject.contains("responded"))
        .collect();
    assert_eq!(to_city.len(), 1);
    let mail = &to_city[0];
    assert_eq!(
        mail.subject,
        "Heat & Pumps A/S responded to \"<script>alert(1)</script> Heat for Aarhus\""
    );
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(
        mail.html.contains("&#60;script&#62;") || mail.html.contains("&lt;script&gt;"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<b>can</b>"), "{}", mail.html);
    assert!(mail.text.contains("We <b>can</b> help"), "{}", mail.text);
    assert_eq!(
        mail.link("http://127.0.0.1/challenges/"),
        format!("http://127.0.0.1/challenges/{challenge}#responses")
    );
    assert!(mail.header("List-Unsubscribe").is_some());

    // Only the challenge's city decides.
    let other_city = app.register("city", "Oslo", "NO").await;
    for token in [&company.token, &other_city.token] {
        let (status, body) = app
            .post(&decide(&response, "shortlist"), Some(token), json!({}))
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, body) = app
        .post(&decide(&response, "shortlist"), None, json!({}))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .post(
            &decide("no-such-response", "shortlist"),
            Some(&city.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app
        .post(&decide(&response, "award"), Some(&city.token), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");

    let (status, body) = app
        .post(
            &decide(&response, "shortlist"),
            Some(&city.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "shortlisted");
    let (status, body) = app
        .post(
            &decide(&response, "shortlist"),
            Some(&city.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    app.drain(&sink).await;
    let to_company: Vec<_> = sink
        .received_by(&company.email)
        .into_iter()
        .filter(|m| m.subject.starts_with("You are shortlisted"))
        .collect();
    assert_eq!(to_company.len(), 1, "{to_company:#?}");
    assert!(
        to_company[0].text.contains("Aarhus shortlisted"),
        "{}",
        to_company[0].text
    );

    let (status, body) = app
        .post(&decide(&response, "award"), Some(&city.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "awarded");
    let (status, body) = app
        .post(&decide(&response, "decline"), Some(&city.token), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    app.drain(&sink).await;
    assert_eq!(
        sink.received_by(&company.email)
            .iter()
            .filter(|m| m.subject.starts_with("You won"))
            .count(),
        1
    );

    let id = response.clone();
    let actions = app
        .with_db(move |conn| {
            audit_log::table
                .filter(audit_log::entity_kind.eq("response"))
                .filter(audit_log::entity_id.eq(id))
                .order(audit_log::created_at.asc())
                .select((audit_log::action, audit_log::to_status))
                .load::<(String, Option<String>)>(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(
        actions,
        vec![
            ("created".to_owned(), Some("submitted".to_owned())),
            ("status_changed".to_owned(), Some("shortlisted".to_owned())),
            ("status_changed".to_owned(), Some("awarded".to_owned())),
        ]
    );
}

#[tokio::test]
async fn a_declined_company_that_turned_notifications_off_gets_no_email() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Helsinki", "FI").await;
    let company = app.register("company", "Quiet Oy", "FI").await;
    let challenge = app.create_challenge(&city, json!({"status": "open"})).await;
    let solution = app
        .create_solution(&company, json!({"countries": ["FI"]}))
        .await;
    let response = respond(&app, &company, &challenge, &solution).await;
    let (status, _) = app
        .put(
            "/api/v1/me/notifications",
            Some(&company.token),
            json!({"mode": "off"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(&decide(&response, "decline"), Some(&city.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "declined");
    app.drain(&sink).await;
    let to_company = sink.received_by(&company.email);
    assert!(
        to_company.iter().all(|m| m.subject.contains("Confirm")),
        "{to_company:#?}"
    );
}
