use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_city_posts_a_draft_that_only_it_sees_until_opened() {
    let app = spawn_app().await;
    let city = app.register("city", "Copenhagen", "DK").await;
    let other_city = app.register("city", "Stockholm", "SE").await;
    let (status, body) = app
        .post("/api/v1/challenges", Some(&city.token), valid_challenge())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["organization"]["id"], city.org_id.as_str());
    assert_eq!(body["sectors"], json!(["energy"]));
    assert_eq!(body["budget_max_eur"], 5000000);
    let id = body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/challenges/{id}");

    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not public");
    let (status, _) = app.get(&path, Some(&other_city.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&path, Some(&city.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get("/api/v1/challenges", None).await;
    assert_eq!(list["total"], 0);

    let (status, body) = app
        .patch(&path, Some(&city.token), json!({"status": "open"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["opened_at"].is_string());
    let (status, public) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["title"], "Decarbonise the district heating network");
    assert!(
        !public.to_string().contains('@'),
        "no contact e-mail in public data"
    );
    let (_, list) = app.get("/api/v1/challenges", None).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn only_city_members_post_challenges() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat A/S", "DK").await;
    let cluster = app.register("cluster", "Cluster", "DK").await;
    let (status, body) = app
        .post("/api/v1/challenges", None, valid_challenge())
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    for account in [&company, &cluster] {
        let (status, body) = app
            .post(
                "/api/v1/challenges",
                Some(&account.token),
                valid_challenge(),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
}

#[tokio::test]
async fn each_kind_of_bad_challenge_is_refused_by_field() {
    let app = spawn_app().await;
    let city = app.register("city", "Wuhan", "CN").await;
    let cases = [
        (json!({"title": null}), "title"),
        (json!({"title": "ab"}), "title"),
        (json!({"title": "x".repeat(151)}), "title"),
        (json!({"summary": "   "}), "summary"),
        (json!({"sectors": []}), "sectors"),
        (json!({"sectors": ["energy", "space"]}), "sectors"),
        (json!({"min_trl": 0}), "min_trl"),
        (json!({"min_trl": 10}), "min_trl"),
        (json!({"min_trl": "six"}), "min_trl"),
        (json!({"budget_min_eur": 9000000}), "budget_min_eur"),
        (json!({"budget_max_eur": -1}), "budget_max_eur"),
        (json!({"baseline_tco2e": -5.0}), "baseline_tco2e"),
        (
            json!({"target_reduction_tco2e": 999999.0}),
            "target_reduction_tco2e",
        ),
        (json!({"stage": "auction"}), "stage"),
        (json!({"language": "fr"}), "language"),
        (
            json!({"response_deadline": "31/12/2027"}),
            "response_deadline",
        ),
        (json!({"target_year": 1900}), "target_year"),
        (json!({"status": "awarded"}), "status"),
        (json!({"colour": "green"}), "colour"),
        (json!({"sectors": "energy"}), "sectors"),
    ];
    for (overrides, field) in cases {
        let (status, body) = app
            .post(
                "/api/v1/challenges",
                Some(&city.token),
                merged(valid_challenge(), overrides.clone()),
            )
            .await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(
            fields.contains_key(field),
            "{overrides} should name {field}: {body}"
        );
    }
    let (_, list) = app
        .get("/api/v1/challenges?mine=true", Some(&city.token))
        .await;
    assert_eq!(list["total"], 0, "nothing invalid was stored");
}

#[tokio::test]
async fn the_owner_edits_and_others_are_refused_without_changing_anything() {
    let app = spawn_app().await;
    let city = app.register("city", "Oslo", "NO").await;
    let other_city = app.register("city", "Bergen", "NO").await;
    let company = app.register("company", "Fjord AS", "NO").await;
    let id = app.create_challenge(&city, json!({"status": "open"})).await;
    let path = format!("/api/v1/challenges/{id}");

    let (status, body) = app
        .patch(
            &path,
            Some(&city.token),
            json!({"title": "Electrify the ferries", "min_trl": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "Electrify the ferries");
    assert_eq!(body["min_trl"], serde_json::Value::Null);
    assert_eq!(
        body["summary"],
        valid_challenge()["summary"],
        "untouched fields stay"
    );

    let (status, body) = app
        .patch(&path, Some(&other_city.token), json!({"title": "Hijacked"}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app
        .patch(&path, Some(&company.token), json!({"title": "Hijacked"}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.patch(&path, None, json!({"title": "Hijacked"})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .patch(
            &path,
            Some(&city.token),
            json!({"title": "", "budget_min_eur": 10, "budget_max_eur": 1}),
        )
        .await;
    let fields = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key("title") && fields.contains_key("budget_min_eur"));

    let (_, stored) = app.get(&path, None).await;
    assert_eq!(stored["title"], "Electrify the ferries");
    assert_eq!(stored["budget_min_eur"], 1000000);
}

#[tokio::test]
async fn status_moves_follow_the_lifecycle() {
    let app = spawn_app().await;
    let city = app.register("city", "Shanghai", "CN").await;
    let id = app.create_challenge(&city, json!({})).await;
    let path = format!("/api/v1/challenges/{id}");
    for (to, expected) in [
        ("awarded", StatusCode::CONFLICT),
        ("open", StatusCode::OK),
        ("closed", StatusCode::OK),
        ("open", StatusCode::OK),
        ("awarded", StatusCode::OK),
        ("open", StatusCode::CONFLICT),
        ("draft", StatusCode::CONFLICT),
    ] {
        let (status, body) = app
            .patch(&path, Some(&city.token), json!({"status": to}))
            .await;
        assert_eq!(status, expected, "to {to}: {body}");
    }
    let (_, stored) = app.get(&path, None).await;
    assert_eq!(stored["status"], "awarded");
}

#[tokio::test]
async fn drafts_can_be_deleted_and_published_challenges_cannot() {
    let app = spawn_app().await;
    let city = app.register("city", "Qingdao", "CN").await;
    let other_city = app.register("city", "Fuzhou", "CN").await;
    let draft = app.create_challenge(&city, json!({})).await;
    let open = app.create_challenge(&city, json!({"status": "open"})).await;

    let (status, body) = app
        .delete(
            &format!("/api/v1/challenges/{open}"),
            Some(&other_city.token),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app
        .delete(&format!("/api/v1/challenges/{open}"), Some(&city.token))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, _) = app
        .delete(&format!("/api/v1/challenges/{draft}"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .delete(&format!("/api/v1/challenges/{draft}"), Some(&city.token))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .get(&format!("/api/v1/challenges/{draft}"), Some(&city.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("/api/v1/challenges/{open}"), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn listings_filter_search_and_paginate() {
    let app = spawn_app().await;
    let copenhagen = app.register("city", "Copenhagen", "DK").await;
    let beijing = app.register("city", "Beijing", "CN").await;
    app.create_challenge(&copenhagen, json!({"status": "open", "title": "Cloudburst protection for Amager", "sectors": ["water", "adaptation"]})).await;
    app.create_challenge(
        &copenhagen,
        json!({"status": "open", "title": "Electric bus depot charging", "sectors": ["transport"]}),
    )
    .await;
    app.create_challenge(&beijing, json!({"status": "open", "title": "Ultra-low-energy public buildings", "sectors": ["buildings"]})).await;
    app.create_challenge(
        &beijing,
        json!({"title": "Draft on waste sorting", "sectors": ["waste"]}),
    )
    .await;

    let (_, all) = app.get("/api/v1/challenges", None).await;
    assert_eq!(all["total"], 3);
    let (_, found) = app.get("/api/v1/challenges?q=CLOUDBURST", None).await;
    assert_eq!(found["total"], 1);
    assert_eq!(
        found["items"][0]["title"],
        "Cloudburst protection for Amager"
    );
    let (_, found) = app.get("/api/v1/challenges?sector=transport", None).await;
    assert_eq!(found["items"][0]["title"], "Electric bus depot charging");
    assert_eq!(found["total"], 1);
    let (_, found) = app.get("/api/v1/challenges?country=cn", None).await;
    assert_eq!(found["total"], 1, "Beijing's draft stays hidden");
    let (_, found) = app
        .get(
            "/api/v1/challenges?country=CN&mine=true",
            Some(&beijing.token),
        )
        .await;
    assert_eq!(found["total"], 2);
    let (_, found) = app.get("/api/v1/challenges?status=draft", None).await;
    assert_eq!(found["total"], 0);
    let (_, page1) = app.get("/api/v1/challenges?per_page=2&page=1", None).await;
    let (_, page2) = app.get("/api/v1/challenges?per_page=2&page=2", None).await;
    assert_eq!(page1["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page2["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page2["total"], 3);
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);

    for (query, field) in [
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("sector=space", "sector"),
        ("country=XX", "country"),
        ("status=gone", "status"),
        ("page=abc", "page"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/challenges?{query}"), None).await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key(field), "{query}: {body}");
    }
    let (status, _) = app.get("/api/v1/challenges?mine=true", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_language_is_detected_when_not_given() {
    let app = spawn_app().await;
    let city = app.register("city", "Shenzhen", "CN").await;
    let (status, body) = app
        .post(
            "/api/v1/challenges",
            Some(&city.token),
            merged(valid_challenge(), json!({"language": null, "title": "区域供热系统低碳改造", "summary": "用大型热泵替代燃煤锅炉。", "description": "深圳市需要为区域供热网络引入低碳热源。"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["language"], "zh");
}

#[tokio::test]
async fn a_patch_cannot_remove_required_fields() {
    let app = spawn_app().await;
    let city = app.register("city", "Tampere", "FI").await;
    let id = app.create_challenge(&city, json!({"status": "open"})).await;
    let path = format!("/api/v1/challenges/{id}");
    for field in ["status", "title", "sectors"] {
        let (status, body) = app
            .patch(&path, Some(&city.token), json!({ field: null }))
            .await;
        let fields = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(fields.contains_key(field), "{body}");
    }
    let (_, stored) = app.get(&path, None).await;
    assert_eq!(stored["status"], "open");
}
