use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn health_fails_when_the_database_is_gone() {
    if !is_postgres() {
        // An open SQLite file cannot be taken away from a running process; the
        // PostgreSQL run of the suite covers this.
        return;
    }
    let app = spawn_app().await;
    let name = app
        .database_url
        .rsplit('/')
        .next()
        .expect("db name")
        .to_owned();
    let admin = std::env::var("TEST_DATABASE_URL").expect("url");
    tokio::task::spawn_blocking(move || {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&admin).expect("connect");
        diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .expect("drop");
    })
    .await
    .expect("join");
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "database_unavailable");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.delete("/api/v1/challenges", None).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let (status, body) = app.put("/healthz", None, json!({})).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let (status, body) = app.get("/api/v1/challenges/no-such-id", None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn malformed_oversized_and_non_json_bodies_are_refused() {
    let app = spawn_app().await;
    let city = app.register("city", "Helsinki", "FI").await;
    let send = |body: String, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/challenges"))
            .bearer_auth(&city.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = send("{\"title\": ".into(), "application/json")
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "malformed_json");

    let response = send("title=x".into(), "application/x-www-form-urlencoded")
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = serde_json::to_string(&merged(
        valid_challenge(),
        json!({"description": "x".repeat(200_000)}),
    ))
    .expect("json");
    let response = send(huge, "application/json").await.expect("send");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "payload_too_large");

    let response = send("[1, 2]".into(), "application/json")
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // None of it was stored.
    let (_, list) = app
        .get("/api/v1/challenges?mine=true", Some(&city.token))
        .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract() {
    let app = spawn_app().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/healthz",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/notifications",
        "/api/v1/challenges",
        "/api/v1/challenges/{id}",
        "/api/v1/challenges/{id}/responses",
        "/api/v1/solutions",
        "/api/v1/solutions/{id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let response = app
        .client
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("docs");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.expect("text").contains("swagger"));
}
