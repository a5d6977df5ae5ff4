use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_creates_the_organisation_with_the_user_as_admin() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "Ana.Berg@Copenhagen.Example", "password": PASSWORD, "name": "Ana Berg",
                   "organization": {"kind": "city", "name": "Copenhagen", "country": "dk"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "ana.berg@copenhagen.example");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["organization"]["kind"], "city");
    assert_eq!(body["organization"]["country"], "DK");
    assert!(body["organization"]["id"].is_string());
    let token = body["token"].as_str().expect("token");

    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["name"], "Ana Berg");
    assert_eq!(me["organization"]["name"], "Copenhagen");
    assert!(me["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn a_cluster_registers_unverified() {
    let app = spawn_app().await;
    let cluster = app.register("cluster", "Cleantech Cluster", "DK").await;
    let (_, org) = app
        .get(&format!("/api/v1/organizations/{}", cluster.org_id), None)
        .await;
    assert_eq!(org["verified"], false);
    assert_eq!(org["kind"], "cluster");
}

#[tokio::test]
async fn the_same_email_cannot_register_twice_in_any_case() {
    let app = spawn_app().await;
    let first = app.register("company", "Heat AB", "SE").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": first.email.to_uppercase(), "password": PASSWORD, "name": "Other",
                   "organization": {"kind": "company", "name": "Other AB", "country": "SE"}}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    // The refused registration left no organisation behind.
    let (_, list) = app
        .get("/api/v1/solutions?mine=true", Some(&first.token))
        .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn bad_registrations_name_each_field() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short", "name": "",
                   "organization": {"kind": "ngo", "name": "X", "country": "XX"}}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    for field in [
        "email",
        "password",
        "name",
        "organization.kind",
        "organization.name",
        "organization.country",
    ] {
        assert!(fields.contains_key(field), "{field} missing in {body}");
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@b.example", "password": PASSWORD, "name": "A"}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("organization"));
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@b.example", "password": PASSWORD, "name": "A", "role": "admin",
                   "organization": {"kind": "city", "name": "Oslo", "country": "NO"}}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("role"), "{body}");
}

#[tokio::test]
async fn login_gives_a_working_token_and_refuses_bad_credentials() {
    let app = spawn_app().await;
    let account = app.register("company", "Solar Oy", "FI").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": account.email.to_uppercase(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["expires_at"].is_string());
    let (status, _) = app.get("/api/v1/me", body["token"].as_str()).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": account.email, "password": "wrong password!!"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@nowhere.example", "password": PASSWORD}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .post("/api/v1/auth/login", None, json!({"email": account.email}))
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("password"));
}

#[tokio::test]
async fn repeated_failed_logins_are_limited_per_account() {
    let app = spawn_app().await;
    let account = app.register("city", "Aarhus", "DK").await;
    for _ in 0..5 {
        let (status, _) = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": account.email, "password": "guess guess guess"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": account.email, "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After header");
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another account from the same address still logs in.
    let other = app.register("city", "Odense", "DK").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": other.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_token_at_once() {
    let app = spawn_app().await;
    let account = app.register("city", "Oslo", "NO").await;
    let (status, _) = app
        .post("/api/v1/auth/logout", Some(&account.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get("/api/v1/me", Some(&account.token)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app.post("/api/v1/auth/logout", None, json!({})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn forged_or_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let account = app.register("city", "Malmo", "SE").await;
    let mut forged = account.token.clone();
    forged.pop();
    forged.push(if account.token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    for token in [forged.as_str(), "garbage", ""] {
        let (status, body) = app.get("/api/v1/me", Some(token)).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // A token of another installation (another secret) does not work here.
    let other = spawn_app().await;
    let stranger = other.register("city", "Turku", "FI").await;
    let (status, _) = app.get("/api/v1/me", Some(&stranger.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.get("/api/v1/me", None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn notification_preferences_round_trip() {
    let app = spawn_app().await;
    let account = app.register("company", "Wind AS", "NO").await;
    let (status, body) = app
        .get("/api/v1/me/notifications", Some(&account.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["mode"], "instant");
    let (status, body) = app
        .put(
            "/api/v1/me/notifications",
            Some(&account.token),
            json!({"mode": "weekly"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app
        .get("/api/v1/me/notifications", Some(&account.token))
        .await;
    assert_eq!(body["mode"], "weekly");

    let (status, body) = app
        .put(
            "/api/v1/me/notifications",
            Some(&account.token),
            json!({"mode": "hourly"}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("mode"));
    let (_, body) = app
        .get("/api/v1/me/notifications", Some(&account.token))
        .await;
    assert_eq!(
        body["mode"], "weekly",
        "a refused change keeps the stored preference"
    );
    let (status, _) = app
        .put("/api/v1/me/notifications", None, json!({"mode": "off"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
