//! Clusters, memberships and the coordinators' decisions on matches.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn heat_solution() -> Value {
    json!({
        "title": "Large heat pumps for district heating",
        "summary": "Heat pumps that feed district heating networks with waste heat.",
        "description": "We deliver large heat pumps for district heating networks, replacing coal boilers.",
        "sectors": ["energy"], "trl": 9, "global": true, "language": "en", "status": "published"
    })
}

fn heat_challenge() -> Value {
    json!({"title": "Heat pumps for the district heating network", "summary": "Replace coal boilers in district heating with heat pumps.",
           "sectors": ["energy"], "status": "open"})
}

/// Marks an organisation verified, as a platform admin would.
fn verify(app: &TestApp, org_id: &str) {
    use cleanmatch::db::schema::organizations;
    let pool = cleanmatch::db::connect(&app.database_url, 1).expect("db");
    let mut conn = pool.get().expect("conn");
    diesel::update(organizations::table.find(org_id))
        .set(organizations::verified.eq(true))
        .execute(&mut *conn)
        .expect("verify");
}

struct World {
    app: TestApp,
    city: Account,
    company: Account,
    coordinator: Account,
    other_coordinator: Account,
    challenge: String,
    solution: String,
}

/// A verified cluster with the company as accepted member, another verified cluster,
/// and an open challenge that fits the company's published solution.
async fn world(auto_introduce: Option<f32>) -> World {
    let app = spawn_app_with(|c| c.auto_introduce_min_score = auto_introduce).await;
    let city = app.register("city", "Copenhagen", "DK").await;
    let company = app.register("company", "Heat A/S", "DK").await;
    let coordinator = app
        .register("cluster", "Danish Cleantech Cluster", "DK")
        .await;
    let other_coordinator = app.register("cluster", "Other Cluster", "SE").await;
    verify(&app, &coordinator.org_id);
    verify(&app, &other_coordinator.org_id);
    let (status, membership) = app
        .post(
            &format!("/api/v1/clusters/{}/memberships", coordinator.org_id),
            Some(&company.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{membership}");
    assert_eq!(membership["status"], "pending");
    let (status, body) = app
        .post(
            &format!(
                "/api/v1/memberships/{}/accept",
                membership["id"].as_str().expect("id")
            ),
            Some(&coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted");
    let solution = app.create_solution(&company, heat_solution()).await;
    let challenge = app.create_challenge(&city, heat_challenge()).await;
    World {
        app,
        city,
        company,
        coordinator,
        other_coordinator,
        challenge,
        solution,
    }
}

async fn only_match(w: &World) -> Value {
    let (status, body) = w
        .app
        .get(
            &format!("/api/v1/challenges/{}/matches", w.challenge),
            Some(&w.city.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{body}");
    items[0].clone()
}

#[tokio::test]
async fn a_coordinator_curates_the_matches_of_member_companies() {
    let w = world(None).await;
    let m = only_match(&w).await;
    assert_eq!(m["status"], "suggested");
    let id = m["id"].as_str().expect("id").to_owned();

    let (status, queue) = w
        .app
        .get("/api/v1/curation/queue", Some(&w.coordinator.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1), "{queue}");
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["items"][0]["solution"]["id"], w.solution.as_str());
    assert_eq!(queue["items"][0]["challenge"]["id"], w.challenge.as_str());
    let (_, filtered) = w
        .app
        .get(
            "/api/v1/curation/queue?sector=transport",
            Some(&w.coordinator.token),
        )
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(0));
    let (_, filtered) = w
        .app
        .get(
            &format!("/api/v1/curation/queue?city={}", w.city.org_id),
            Some(&w.coordinator.token),
        )
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));

    // Another cluster's coordinator neither sees nor decides it.
    let (_, other_queue) = w
        .app
        .get("/api/v1/curation/queue", Some(&w.other_coordinator.token))
        .await;
    assert_eq!(other_queue["items"].as_array().map(Vec::len), Some(0));
    for action in ["approve", "dismiss", "introduce"] {
        let (status, body) = w
            .app
            .post(
                &format!("/api/v1/matches/{id}/{action}"),
                Some(&w.other_coordinator.token),
                json!({}),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
        let (status, _) = w
            .app
            .post(
                &format!("/api/v1/matches/{id}/{action}"),
                Some(&w.company.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/matches/{id}"),
            Some(&w.other_coordinator.token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w
        .app
        .get("/api/v1/curation/queue", Some(&w.city.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/approve"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/introduce"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "introduced");
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/dismiss"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (_, queue) = w
        .app
        .get("/api/v1/curation/queue", Some(&w.coordinator.token))
        .await;
    assert_eq!(
        queue["items"].as_array().map(Vec::len),
        Some(0),
        "decided matches leave the queue"
    );

    // Every decision is in the audit log, with who made it.
    let (status, detail) = w
        .app
        .get(&format!("/api/v1/matches/{id}"), Some(&w.city.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let history = detail["history"].as_array().expect("history");
    let moves: Vec<(&str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["to_status"].as_str().unwrap_or(""),
                h["actor_user_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            ("approved", w.coordinator.user_id.as_str()),
            ("introduced", w.coordinator.user_id.as_str())
        ]
    );

    // A rescored match keeps its decided status.
    w.app
        .patch(
            &format!("/api/v1/solutions/{}", w.solution),
            Some(&w.company.token),
            json!({"summary": "Heat pumps for district heating, now 60 MW."}),
        )
        .await;
    assert_eq!(only_match(&w).await["status"], "introduced");
}

#[tokio::test]
async fn dismissed_matches_leave_the_queue() {
    let w = world(None).await;
    let id = only_match(&w).await["id"].as_str().expect("id").to_owned();
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/dismiss"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "dismissed");
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/introduce"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = w
        .app
        .post(
            "/api/v1/matches/no-such-match/approve",
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn strong_matches_are_introduced_automatically() {
    let w = world(Some(0.0)).await;
    let m = only_match(&w).await;
    assert_eq!(m["status"], "introduced");
    let (_, detail) = w
        .app
        .get(
            &format!("/api/v1/matches/{}", m["id"].as_str().expect("id")),
            Some(&w.company.token),
        )
        .await;
    assert_eq!(detail["history"][0]["action"], "auto_introduced");
    assert_eq!(detail["history"][0]["actor_user_id"], Value::Null);
    let (_, queue) = w
        .app
        .get("/api/v1/curation/queue", Some(&w.coordinator.token))
        .await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_response_moves_the_match_to_responded() {
    let w = world(Some(0.0)).await;
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/challenges/{}/responses", w.challenge),
            Some(&w.company.token),
            json!({"solution_id": w.solution, "message": "We can deliver in 2027."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(only_match(&w).await["status"], "responded");
}

#[tokio::test]
async fn memberships_are_requested_and_decided_by_the_clusters_coordinators() {
    let app = spawn_app().await;
    let company = app.register("company", "Wind AB", "SE").await;
    let city = app.register("city", "Malmo", "SE").await;
    let cluster = app.register("cluster", "Swedish Cluster", "SE").await;
    let other = app.register("cluster", "Finnish Cluster", "FI").await;
    let path = format!("/api/v1/clusters/{}/memberships", cluster.org_id);

    let (_, clusters) = app.get("/api/v1/clusters", None).await;
    assert!(clusters["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|c| c["id"] == cluster.org_id.as_str()));
    let (status, _) = app.post(&path, Some(&city.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cities do not join clusters");
    let (status, _) = app.post(&path, None, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, membership) = app.post(&path, Some(&company.token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post(&path, Some(&company.token), json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, _) = app
        .post(
            &format!("/api/v1/clusters/{}/memberships", city.org_id),
            Some(&company.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a city is not a cluster");
    let id = membership["id"].as_str().expect("id").to_owned();

    // An unverified cluster cannot decide yet; another cluster never can.
    let (status, body) = app
        .post(
            &format!("/api/v1/memberships/{id}/accept"),
            Some(&cluster.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    verify(&app, &cluster.org_id);
    verify(&app, &other.org_id);
    let (status, _) = app
        .post(
            &format!("/api/v1/memberships/{id}/accept"),
            Some(&other.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&path, Some(&other.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, pending) = app
        .get(&format!("{path}?status=pending"), Some(&cluster.token))
        .await;
    assert_eq!(
        pending["items"][0]["company"]["id"],
        company.org_id.as_str()
    );

    let (status, body) = app
        .post(
            &format!("/api/v1/memberships/{id}/refuse"),
            Some(&cluster.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "refused");
    let (status, _) = app
        .post(
            &format!("/api/v1/memberships/{id}/accept"),
            Some(&cluster.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided already");
    // The company may ask again; then it is accepted.
    let (status, again) = app.post(&path, Some(&company.token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], id.as_str());
    let (status, _) = app
        .post(
            &format!("/api/v1/memberships/{id}/accept"),
            Some(&cluster.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = app
        .get("/api/v1/me/memberships", Some(&company.token))
        .await;
    assert_eq!(mine["items"][0]["status"], "accepted");
    let (status, body) = app
        .get(&format!("{path}?status=maybe"), Some(&cluster.token))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn an_introduction_by_a_coordinator_emails_both_sides_through_smtp() {
    let w = world(None).await;
    let sink = crate::smtp::SmtpSink::start();
    let id = only_match(&w).await["id"].as_str().expect("id").to_owned();
    // Nothing is e-mailed while the match waits for a decision.
    w.app.drain(&sink).await;
    let introductions = |to: &str| {
        sink.received_by(to)
            .into_iter()
            .filter(|m| m.subject.starts_with("Introduction"))
            .collect::<Vec<_>>()
    };
    assert!(introductions(&w.city.email).is_empty());
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/introduce"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A retried decision queues nothing more.
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/matches/{id}/introduce"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    w.app.drain(&sink).await;
    let to_city = introductions(&w.city.email);
    let to_company = introductions(&w.company.email);
    assert_eq!(
        (to_city.len(), to_company.len()),
        (1, 1),
        "one introduction to each side"
    );
    assert!(
        to_city[0].subject.contains("Heat A/S"),
        "{}",
        to_city[0].subject
    );
    assert!(
        to_city[0]
            .text
            .contains(&format!("/solutions/{}", w.solution)),
        "{}",
        to_city[0].text
    );
    assert!(
        to_company[0]
            .text
            .contains(&format!("/challenges/{}", w.challenge)),
        "{}",
        to_company[0].text
    );
    for mail in [&to_city[0], &to_company[0]] {
        assert!(mail.header("List-Unsubscribe").is_some());
        assert!(!mail.html.is_empty());
    }
    assert!(introductions(&w.other_coordinator.email).is_empty());
}

#[tokio::test]
async fn an_automatic_introduction_emails_both_sides() {
    let w = world(Some(0.0)).await;
    let sink = crate::smtp::SmtpSink::start();
    w.app.drain(&sink).await;
    let subjects = |to: &str| {
        sink.received_by(to)
            .into_iter()
            .map(|m| m.subject)
            .collect::<Vec<_>>()
    };
    assert!(
        subjects(&w.city.email)
            .iter()
            .any(|s| s.starts_with("Introduction")),
        "{:?}",
        subjects(&w.city.email)
    );
    assert!(
        subjects(&w.company.email)
            .iter()
            .any(|s| s.starts_with("Introduction")),
        "{:?}",
        subjects(&w.company.email)
    );
}
