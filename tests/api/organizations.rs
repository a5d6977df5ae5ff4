//! Organisation profiles: public reading, editing by the organisation's admin, and
//! verification by platform admins.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn path(id: &str) -> String {
    format!("/api/v1/organizations/{id}")
}

fn verify_path(id: &str) -> String {
    format!("/api/v1/admin/organizations/{id}/verify")
}

/// Makes the registered `account` a platform admin with the real binary.
async fn make_platform_admin(app: &TestApp, account: &Account) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cleanmatch"))
        .args(["admin", "create-admin", "--email", &account.email])
        .env("DATABASE_URL", &app.database_url)
        .env("DATA_DIR", app.dir.path())
        .env("JWT_SECRET", "x".repeat(40))
        .env_remove("CLEANMATCH_ADMIN_PASSWORD")
        .output()
        .await
        .expect("run cleanmatch");
    assert!(
        output.status.success(),
        "create-admin failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn read(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&path(id), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn profiles_are_public_and_never_show_an_email_address() {
    let app = spawn_app().await;
    let company = app.register("company", "Public Profile AB", "SE").await;
    let city = app.register("city", "Wuhan", "CN").await;
    for (account, kind) in [(&company, "company"), (&city, "city")] {
        let body = read(&app, &account.org_id).await;
        assert_eq!(body["id"], account.org_id.as_str());
        assert_eq!(body["kind"], kind);
        assert_eq!(body["verified"], false);
        let text = body.to_string();
        assert!(!text.contains('@'), "an email address leaked: {text}");
        assert!(!text.contains(&account.email), "{text}");
    }
    assert_eq!(read(&app, &city.org_id).await["country"], "CN");
    let (status, body) = app.get(&path("no-such-organization"), None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_registered_cluster_is_unverified() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "coordinator@cluster.example", "password": PASSWORD, "name": "Coordinator",
                   "organization": {"kind": "cluster", "name": "CleanTech Nordic", "country": "DK"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["organization"]["kind"], "cluster");
    assert_eq!(body["organization"]["verified"], false);
    let id = body["organization"]["id"].as_str().expect("org id");
    let stored = read(&app, id).await;
    assert_eq!(
        (stored["kind"].clone(), stored["verified"].clone()),
        (json!("cluster"), json!(false))
    );
}

#[tokio::test]
async fn the_admin_edits_the_profile() {
    let app = spawn_app().await;
    let company = app.register("company", "Editable Oy", "FI").await;
    let (status, body) = app
        .patch(
            &path(&company.org_id),
            Some(&company.token),
            json!({"description": "We build stormwater sensors.", "website": "https://editable.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["description"], "We build stormwater sensors.");
    let stored = read(&app, &company.org_id).await;
    assert_eq!(stored["description"], "We build stormwater sensors.");
    assert_eq!(stored["website"], "https://editable.example");
    assert_eq!(
        stored["name"], "Editable Oy",
        "fields not in the patch must stay"
    );
    assert_eq!(stored["kind"], "company");
}

#[tokio::test]
async fn bad_edits_are_rejected_and_change_nothing() {
    let app = spawn_app().await;
    let company = app.register("company", "Careful GmbH", "DE").await;
    let before = read(&app, &company.org_id).await;
    for (patch, field) in [
        (json!({"kind": "city"}), "kind"),
        (json!({"website": "ftp://careful.example"}), "website"),
        (json!({"website": "not a web address"}), "website"),
        (json!({"country": "XX"}), "country"),
        (json!({"name": ""}), "name"),
        (json!({"population": 5000}), "population"),
        (json!({"size_band": "huge"}), "size_band"),
        (json!({"colour": "green"}), "colour"),
    ] {
        let patch = merged(patch, json!({"description": "Should not be stored"}));
        let (status, body) = app
            .patch(&path(&company.org_id), Some(&company.token), patch)
            .await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key(field), "expected {field} in {body}");
        assert_eq!(
            read(&app, &company.org_id).await,
            before,
            "a rejected patch changed the profile"
        );
    }
}

#[tokio::test]
async fn others_may_not_edit() {
    let app = spawn_app().await;
    let company = app.register("company", "Target AS", "NO").await;
    let other = app.register("company", "Meddler AS", "NO").await;
    let before = read(&app, &company.org_id).await;
    let change = json!({"description": "Taken over"});
    let (status, body) = app
        .patch(&path(&company.org_id), Some(&other.token), change.clone())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app
        .patch(&path(&company.org_id), None, change.clone())
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .patch(&path("no-such-organization"), Some(&other.token), change)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        read(&app, &company.org_id).await,
        before,
        "a refused patch changed the profile"
    );
}

#[tokio::test]
async fn only_platform_admins_verify() {
    let app = spawn_app().await;
    let company = app.register("company", "Verify Me A/S", "DK").await;
    let operator = app.register("cluster", "Operators", "DK").await;

    let (status, body) = app
        .post(
            &verify_path(&company.org_id),
            Some(&company.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app
        .post(
            &verify_path(&company.org_id),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app
        .post(&verify_path(&company.org_id), None, json!({}))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(read(&app, &company.org_id).await["verified"], false);

    make_platform_admin(&app, &operator).await;
    let (status, login) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": operator.email, "password": operator.password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["token"].as_str().expect("token");
    // The existing account was promoted, not replaced.
    let (_, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me["user"]["id"], operator.user_id.as_str(), "{me}");
    assert_eq!(me["user"]["is_platform_admin"], true, "{me}");

    let (status, body) = app
        .post(&verify_path(&company.org_id), Some(token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
    assert_eq!(body["id"], company.org_id.as_str());
    assert_eq!(read(&app, &company.org_id).await["verified"], true);
    // The flag is read on every request, so the older token works too.
    let (status, body) = app
        .post(
            &verify_path(&operator.org_id),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(&verify_path("no-such-organization"), Some(token), json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
