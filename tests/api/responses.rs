//! Companies' responses to challenges: creating them, the refusals, and who reads them.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn path(challenge_id: &str) -> String {
    format!("/api/v1/challenges/{challenge_id}/responses")
}

fn response(solution_id: &str) -> Value {
    json!({"solution_id": solution_id, "message": "Our heat pumps cover your 80 MW need."})
}

/// A city with an open challenge, and a company with a published solution.
struct Scene {
    app: TestApp,
    city: Account,
    company: Account,
    challenge: String,
    solution: String,
}

async fn scene() -> Scene {
    let app = spawn_app().await;
    let city = app.register("city", "Copenhagen", "DK").await;
    let company = app.register("company", "Heat Pumps A/S", "DK").await;
    let challenge = app.create_challenge(&city, json!({"status": "open"})).await;
    let solution = app.create_solution(&company, json!({})).await;
    Scene {
        app,
        city,
        company,
        challenge,
        solution,
    }
}

/// The responses to `challenge` as `token` sees them; asserts 200.
async fn listed(app: &TestApp, challenge: &str, token: &str) -> Vec<Value> {
    let (status, body) = app.get(&path(challenge), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn company_responds_with_its_published_solution() {
    let s = scene().await;
    let (status, body) = s
        .app
        .post(
            &path(&s.challenge),
            Some(&s.company.token),
            response(&s.solution),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["solution"]["id"], s.solution.as_str());
    assert_eq!(body["challenge_id"], s.challenge.as_str());
    assert_eq!(body["organization"]["id"], s.company.org_id.as_str());
    assert_eq!(body["message"], "Our heat pumps cover your 80 MW need.");

    let items = listed(&s.app, &s.challenge, &s.city.token).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], body["id"]);

    let (status, body) = s
        .app
        .post(
            &path(&s.challenge),
            Some(&s.company.token),
            response(&s.solution),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    assert_eq!(
        listed(&s.app, &s.challenge, &s.city.token).await.len(),
        1,
        "the duplicate was stored"
    );
}

#[tokio::test]
async fn the_solution_must_be_the_companys_own_and_published() {
    let s = scene().await;
    let rival = s.app.register("company", "Rival AB", "SE").await;
    let rivals_solution = s.app.create_solution(&rival, json!({})).await;
    let draft = s
        .app
        .create_solution(&s.company, json!({"status": "draft"}))
        .await;

    for solution in [rivals_solution.as_str(), draft.as_str(), "no-such-solution"] {
        let (status, body) = s
            .app
            .post(
                &path(&s.challenge),
                Some(&s.company.token),
                response(solution),
            )
            .await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key("solution_id"), "{body}");
    }
    assert!(
        listed(&s.app, &s.challenge, &s.city.token).await.is_empty(),
        "a rejected response was stored"
    );
}

#[tokio::test]
async fn bad_bodies_name_their_field() {
    let s = scene().await;
    for (body, field) in [
        (json!({"solution_id": s.solution}), "message"),
        (
            json!({"solution_id": s.solution, "message": "   "}),
            "message",
        ),
        (json!({"message": "Hello"}), "solution_id"),
        (
            json!({"solution_id": 42, "message": "Hello"}),
            "solution_id",
        ),
        (
            json!({"solution_id": s.solution, "message": "Hello", "price": 1}),
            "price",
        ),
    ] {
        let (status, body) = s
            .app
            .post(&path(&s.challenge), Some(&s.company.token), body)
            .await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key(field), "expected {field} in {body}");
    }
    assert!(listed(&s.app, &s.challenge, &s.city.token).await.is_empty());
}

#[tokio::test]
async fn only_open_visible_challenges_before_their_deadline_take_responses() {
    let s = scene().await;
    let other_city = s.app.register("city", "Stockholm", "SE").await;
    let hidden_draft = s.app.create_challenge(&other_city, json!({})).await;
    let (status, body) = s
        .app
        .post(
            &path(&hidden_draft),
            Some(&s.company.token),
            response(&s.solution),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = s
        .app
        .post(
            &path("no-such-challenge"),
            Some(&s.company.token),
            response(&s.solution),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    let closed = s
        .app
        .create_challenge(&s.city, json!({"status": "open"}))
        .await;
    let (status, body) = s
        .app
        .patch(
            &format!("/api/v1/challenges/{closed}"),
            Some(&s.city.token),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    let (status, body) = s
        .app
        .post(
            &path(&closed),
            Some(&s.company.token),
            response(&s.solution),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");

    let late = s
        .app
        .create_challenge(
            &s.city,
            json!({"status": "open", "response_deadline": "2001-01-01"}),
        )
        .await;
    let (status, body) = s
        .app
        .post(&path(&late), Some(&s.company.token), response(&s.solution))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2001-01-01")),
        "{body}"
    );

    for challenge in [&closed, &late] {
        assert!(
            listed(&s.app, challenge, &s.city.token).await.is_empty(),
            "a refused response was stored"
        );
    }
}

#[tokio::test]
async fn only_company_members_may_respond() {
    let s = scene().await;
    let (status, body) = s
        .app
        .post(
            &path(&s.challenge),
            Some(&s.city.token),
            response(&s.solution),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s
        .app
        .post(&path(&s.challenge), None, response(&s.solution))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(listed(&s.app, &s.challenge, &s.city.token).await.is_empty());
}

#[tokio::test]
async fn the_city_reads_all_responses_and_a_company_its_own() {
    let s = scene().await;
    let second = s.app.register("company", "Second Oy", "FI").await;
    let second_solution = s
        .app
        .create_solution(&second, json!({"title": "Second heat pumps"}))
        .await;
    let silent = s.app.register("company", "Silent ApS", "DK").await;
    for (company, solution) in [(&s.company, &s.solution), (&second, &second_solution)] {
        let (status, body) = s
            .app
            .post(
                &path(&s.challenge),
                Some(&company.token),
                response(solution),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let all = listed(&s.app, &s.challenge, &s.city.token).await;
    let mut solutions: Vec<&str> = all
        .iter()
        .map(|r| r["solution"]["id"].as_str().expect("solution id"))
        .collect();
    solutions.sort_unstable();
    let mut expected = vec![s.solution.as_str(), second_solution.as_str()];
    expected.sort_unstable();
    assert_eq!(solutions, expected);

    for (company, solution) in [(&s.company, &s.solution), (&second, &second_solution)] {
        let own = listed(&s.app, &s.challenge, &company.token).await;
        assert_eq!(own.len(), 1, "{own:?}");
        assert_eq!(own[0]["solution"]["id"], solution.as_str());
        assert_eq!(own[0]["organization"]["id"], company.org_id.as_str());
    }
    assert!(listed(&s.app, &s.challenge, &silent.token).await.is_empty());

    let other_city = s.app.register("city", "Helsinki", "FI").await;
    let (status, body) = s
        .app
        .get(&path(&s.challenge), Some(&other_city.token))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.app.get(&path(&s.challenge), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}
