//! Daily and weekly digests of new matches: one per user and period, none when nothing
//! is new, none after unsubscribing.

use chrono::{Datelike, Duration, NaiveDateTime};
use cleanmatch::db::models::Match;
use cleanmatch::db::schema::matches;
use cleanmatch::domain::{new_id, now};
use cleanmatch::mail::digest::queue_due;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpSink;

async fn insert_match(app: &TestApp, challenge: &str, solution: &str, created_at: NaiveDateTime) {
    let row = Match {
        id: new_id(),
        challenge_id: challenge.to_owned(),
        solution_id: solution.to_owned(),
        score: 87.4,
        rank: 1,
        explanation: "{}".into(),
        status: "suggested".into(),
        created_at,
        updated_at: created_at,
    };
    app.with_db(move |conn| {
        // The matcher may have stored this pair already; the test sets its own row.
        diesel::delete(
            matches::table
                .filter(matches::challenge_id.eq(&row.challenge_id))
                .filter(matches::solution_id.eq(&row.solution_id)),
        )
        .execute(conn)
        .expect("clear match");
        diesel::insert_into(matches::table)
            .values(&row)
            .execute(conn)
            .expect("insert match")
    })
    .await;
}

/// Runs the digest job as the worker would, at `at`; returns how many were queued.
async fn run_digests(app: &TestApp, at: NaiveDateTime) -> usize {
    let links = app.state().links.clone();
    app.with_db(move |conn| queue_due(conn, &links, at).expect("digests"))
        .await
}

async fn set_mode(app: &TestApp, account: &Account, mode: &str) {
    let (status, body) = app
        .put(
            "/api/v1/me/notifications",
            Some(&account.token),
            json!({"mode": mode}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn digests(sink: &SmtpSink, to: &str) -> Vec<crate::smtp::Mail> {
    sink.received_by(to)
        .into_iter()
        .filter(|m| m.subject.contains("new match"))
        .collect()
}

#[tokio::test]
async fn a_digest_arrives_once_per_period_and_not_when_nothing_is_new() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Copenhagen", "DK").await;
    let company = app.register("company", "Pumps ApS", "DK").await;
    let challenge = app.create_challenge(&city, json!({"status": "open"})).await;
    let solution = app.create_solution(&company, json!({})).await;
    set_mode(&app, &city, "daily").await;
    set_mode(&app, &company, "weekly").await;

    // Nothing matched yesterday: no digest.
    assert_eq!(run_digests(&app, now()).await, 0);

    // A Wednesday, so that the day after it never ends the company's week (on a Sunday
    // "tomorrow" would also bring the weekly digest).
    let wednesday = now().date()
        - Duration::days(i64::from(now().weekday().num_days_from_monday()))
        + Duration::days(2);
    let today = wednesday.and_hms_opt(12, 0, 0).expect("noon");
    insert_match(&app, &challenge, &solution, today).await;
    let tomorrow = today + Duration::days(1);
    // The city's daily digest for today; the company's week is not over yet.
    assert_eq!(run_digests(&app, tomorrow).await, 1);
    // The job runs again (every few minutes, in every process, after restarts): nothing new.
    assert_eq!(run_digests(&app, tomorrow).await, 0);
    app.drain(&sink).await;
    assert_eq!(run_digests(&app, tomorrow + Duration::hours(3)).await, 0);
    app.drain(&sink).await;

    let to_city = digests(&sink, &city.email);
    assert_eq!(to_city.len(), 1, "{to_city:#?}");
    let digest = &to_city[0];
    assert!(
        digest.subject.starts_with("1 new match on cleanmatch"),
        "{}",
        digest.subject
    );
    assert!(
        digest
            .text
            .contains("Large heat pumps for district heating (Pumps ApS), score 87"),
        "{}",
        digest.text
    );
    assert_eq!(
        digest.link("http://127.0.0.1/solutions/"),
        format!("http://127.0.0.1/solutions/{solution}")
    );
    assert!(digest.header("List-Unsubscribe-Post").is_some());

    // A week later the company's weekly digest holds the same match, from its side.
    let next_week = today + Duration::days(7);
    assert_eq!(run_digests(&app, next_week).await, 1);
    assert_eq!(run_digests(&app, next_week).await, 0);
    app.drain(&sink).await;
    let to_company = digests(&sink, &company.email);
    assert_eq!(to_company.len(), 1, "{to_company:#?}");
    assert!(
        to_company[0].subject.contains("the week of"),
        "{}",
        to_company[0].subject
    );
    assert!(
        to_company[0]
            .text
            .contains("Decarbonise the district heating network (Copenhagen)"),
        "{}",
        to_company[0].text
    );
    assert_eq!(digests(&sink, &city.email).len(), 1);
}

#[tokio::test]
async fn unsubscribing_with_one_click_stops_the_next_digest() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Stockholm", "SE").await;
    let company = app.register("company", "Sol AB", "SE").await;
    let challenge = app.create_challenge(&city, json!({"status": "open"})).await;
    let first = app
        .create_solution(&company, json!({"countries": ["SE"]}))
        .await;
    let second = app
        .create_solution(
            &company,
            json!({"countries": ["SE"], "title": "Solar thermal for district heating"}),
        )
        .await;
    set_mode(&app, &city, "daily").await;
    let today = now();
    insert_match(&app, &challenge, &first, today).await;
    assert_eq!(run_digests(&app, today + Duration::days(1)).await, 1);
    app.drain(&sink).await;
    let digest = digests(&sink, &city.email).pop().expect("first digest");

    // The mail client's one-click unsubscribe: POST to the List-Unsubscribe URL.
    let url = digest
        .header("List-Unsubscribe")
        .expect("header")
        .trim_matches(['<', '>'])
        .to_owned();
    let path = url.strip_prefix("http://127.0.0.1").expect("our link");
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click");
    assert_eq!(response.status(), StatusCode::OK);

    // Something new the next day: no digest for the unsubscribed user.
    insert_match(&app, &challenge, &second, today + Duration::days(1)).await;
    assert_eq!(run_digests(&app, today + Duration::days(2)).await, 0);
    app.drain(&sink).await;
    assert_eq!(digests(&sink, &city.email).len(), 1);
}
