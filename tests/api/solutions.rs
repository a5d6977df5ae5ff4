//! Solutions: create, read, list with filters, change, delete; the refusals and each kind of
//! bad input.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn path(id: &str) -> String {
    format!("/api/v1/solutions/{id}")
}

/// The ids of a listing's items, in order.
fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items array")
        .iter()
        .map(|i| i["id"].as_str().expect("item id").to_owned())
        .collect()
}

/// Lists `query` as `token`; asserts 200 and returns the body.
async fn list(app: &TestApp, query: &str, token: Option<&str>) -> Value {
    let (status, body) = app.get(&format!("/api/v1/solutions{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The ids a listing returns, sorted.
async fn sorted_ids(app: &TestApp, query: &str, token: Option<&str>) -> Vec<String> {
    sorted(ids(&list(app, query, token).await))
}

/// Moves solution `id` to `status` as `token`; returns the response.
async fn set_status(app: &TestApp, id: &str, token: &str, status: &str) -> (StatusCode, Value) {
    app.patch(&path(id), Some(token), json!({ "status": status }))
        .await
}

/// Asserts a 422 naming `field`.
fn assert_field(status: StatusCode, body: &Value, field: &str) {
    let fields = assert_error(
        status,
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(fields.contains_key(field), "expected {field} in {body}");
}

#[tokio::test]
async fn create_defaults_to_draft_and_publishes_on_request() {
    let app = spawn_app().await;
    let company = app.register("company", "Nordic Heat A/S", "DK").await;

    let (status, draft) = app
        .post(
            "/api/v1/solutions",
            Some(&company.token),
            merged(valid_solution(), json!({"status": null})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["trl"], 9);
    assert_eq!(draft["countries"], json!(["DK", "SE"]));
    assert_eq!(draft["sectors"], json!(["energy"]));
    assert_eq!(draft["organization"]["id"], company.org_id.as_str());
    assert!(draft["published_at"].is_null(), "{draft}");

    let (status, published) = app
        .post("/api/v1/solutions", Some(&company.token), valid_solution())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string(), "{published}");

    // What was stored reads back the same.
    let id = published["id"].as_str().expect("id");
    let (status, read) = app.get(&path(id), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["title"], valid_solution()["title"]);
    assert_eq!(read["claimed_reduction_tco2e"], 100000.0);
}

#[tokio::test]
async fn drafts_are_visible_to_their_company_only() {
    let app = spawn_app().await;
    let owner = app.register("company", "Owner Oy", "FI").await;
    let other = app.register("company", "Other AB", "SE").await;
    let city = app.register("city", "Aarhus", "DK").await;
    let published = app.create_solution(&owner, json!({})).await;
    let draft = app
        .create_solution(&owner, json!({"status": "draft"}))
        .await;

    let (status, body) = app.get(&path(&published), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], published.as_str());

    for token in [None, Some(other.token.as_str()), Some(city.token.as_str())] {
        let (status, body) = app.get(&path(&draft), token).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let (status, body) = app.get(&path(&draft), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "draft");

    let (status, body) = app.get(&path("no-such-solution"), None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Listings hide the draft from others too.
    assert_eq!(ids(&list(&app, "", None).await), vec![published.clone()]);
    assert_eq!(
        ids(&list(&app, "", Some(&other.token)).await),
        vec![published.clone()]
    );
    assert_eq!(list(&app, "", Some(&owner.token)).await["total"], 2);
}

#[tokio::test]
async fn listing_filters_by_text_sector_country_trl_and_status() {
    let app = spawn_app().await;
    let company = app.register("company", "Filter GmbH", "DE").await;
    let heat = app
        .create_solution(&company, json!({"title": "Seawater heat pumps", "trl": 9}))
        .await;
    let bus = app
        .create_solution(
            &company,
            json!({"title": "Electric bus charging", "summary": "Depot chargers.", "description": "Pantograph chargers.",
                   "sectors": ["transport"], "trl": 6, "countries": ["NO"]}),
        )
        .await;
    let sensor = app
        .create_solution(
            &company,
            json!({"title": "Stormwater sensors", "summary": "Sewer level sensing.", "description": "Radar level sensors.",
                   "sectors": ["water", "adaptation"], "trl": 4, "countries": [], "global": true}),
        )
        .await;
    let draft = app
        .create_solution(
            &company,
            json!({"title": "Secret draft pumps", "status": "draft"}),
        )
        .await;

    let anon = |query: &'static str| sorted_ids(&app, query, None);
    assert_eq!(anon("?q=BUS").await, vec![bus.clone()]);
    assert_eq!(anon("?q=pumps").await, vec![heat.clone()]);
    assert_eq!(anon("?q=nothing+like+this").await, Vec::<String>::new());
    assert_eq!(anon("?sector=transport").await, vec![bus.clone()]);
    assert_eq!(anon("?sector=adaptation").await, vec![sensor.clone()]);
    // A country filter includes solutions that serve every country.
    assert_eq!(
        anon("?country=no").await,
        sorted(vec![bus.clone(), sensor.clone()])
    );
    assert_eq!(
        anon("?country=DK").await,
        sorted(vec![heat.clone(), sensor.clone()])
    );
    assert_eq!(
        anon("?trl_min=6").await,
        sorted(vec![heat.clone(), bus.clone()])
    );
    assert_eq!(anon("?trl_min=9").await, vec![heat.clone()]);
    assert_eq!(
        anon("?sector=energy&trl_min=5&country=SE").await,
        vec![heat.clone()]
    );
    // Anonymous readers never see drafts, even when asking for them.
    assert_eq!(anon("?status=draft").await, Vec::<String>::new());

    assert_eq!(
        sorted_ids(&app, "?status=draft", Some(&company.token)).await,
        vec![draft.clone()]
    );
    assert_eq!(
        sorted_ids(&app, "?q=pumps", Some(&company.token)).await,
        sorted(vec![heat, draft])
    );
}

#[tokio::test]
async fn mine_lists_own_solutions_with_drafts_and_pages() {
    let app = spawn_app().await;
    let company = app.register("company", "Mine ApS", "DK").await;
    let other = app.register("company", "Neighbour ApS", "DK").await;
    let mut own = Vec::new();
    for title in ["Own solution 1", "Own solution 2", "Own solution 3"] {
        let draft = json!({"title": title, "status": "draft"});
        own.push(app.create_solution(&company, draft).await);
    }
    app.create_solution(&other, json!({})).await;

    let body = list(&app, "?mine=true", Some(&company.token)).await;
    assert_eq!(body["total"], 3);
    own.sort();
    assert_eq!(sorted(ids(&body)), own);

    let first = list(&app, "?mine=true&per_page=2", Some(&company.token)).await;
    assert_eq!(first["total"], 3);
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 2);
    assert_eq!(ids(&first).len(), 2);
    let second = list(&app, "?mine=true&per_page=2&page=2", Some(&company.token)).await;
    assert_eq!(second["total"], 3);
    assert_eq!(second["page"], 2);
    assert_eq!(ids(&second).len(), 1);
    let both = sorted([ids(&first), ids(&second)].concat());
    assert_eq!(both, own, "pages overlap or miss items");
    let beyond = list(&app, "?mine=true&per_page=2&page=3", Some(&company.token)).await;
    assert_eq!(ids(&beyond), Vec::<String>::new());

    let (status, body) = app.get("/api/v1/solutions?mine=true", None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn bad_list_parameters_are_rejected() {
    let app = spawn_app().await;
    for (query, field) in [
        ("trl_min=abc", "trl_min"),
        ("trl_min=0", "trl_min"),
        ("trl_min=10", "trl_min"),
        ("sector=space", "sector"),
        ("country=XX", "country"),
        ("status=lost", "status"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("per_page=1000", "per_page"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/solutions?{query}"), None).await;
        assert_field(status, &body, field);
    }
}

#[tokio::test]
async fn only_company_members_may_create() {
    let app = spawn_app().await;
    let city = app.register("city", "Oslo", "NO").await;
    let (status, body) = app.post("/api/v1/solutions", None, valid_solution()).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .post("/api/v1/solutions", Some(&city.token), valid_solution())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        list(&app, "", None).await["total"],
        0,
        "a refused create stored something"
    );
}

#[tokio::test]
async fn each_kind_of_bad_input_names_its_field() {
    let app = spawn_app().await;
    let company = app.register("company", "Strict AB", "SE").await;
    let cases = [
        (json!({"trl": 0}), "trl"),
        (json!({"trl": 10}), "trl"),
        (json!({"trl": null}), "trl"),
        (json!({"trl": "nine"}), "trl"),
        (json!({"countries": ["XX"]}), "countries"),
        (json!({"countries": [], "global": false}), "countries"),
        (json!({"countries": null, "global": null}), "countries"),
        (json!({"sectors": ["space"]}), "sectors"),
        (json!({"sectors": []}), "sectors"),
        (json!({"colour": "green"}), "colour"),
        (json!({"title": "ab"}), "title"),
        (
            json!({"claimed_reduction_tco2e": -1.0}),
            "claimed_reduction_tco2e",
        ),
        (json!({"language": "xx"}), "language"),
        (json!({"status": "archived"}), "status"),
        (json!({"status": "gone"}), "status"),
    ];
    for (overrides, field) in cases {
        let (status, body) = app
            .post(
                "/api/v1/solutions",
                Some(&company.token),
                merged(valid_solution(), overrides.clone()),
            )
            .await;
        assert_field(status, &body, field);
    }
    let body = list(&app, "?mine=true", Some(&company.token)).await;
    assert_eq!(body["total"], 0, "a rejected create stored something");
}

#[tokio::test]
async fn patch_changes_own_solution_and_rejects_bad_input_without_storing() {
    let app = spawn_app().await;
    let company = app.register("company", "Patch Oy", "FI").await;
    let id = app.create_solution(&company, json!({})).await;

    let (status, body) = app
        .patch(
            &path(&id),
            Some(&company.token),
            json!({"title": "Bigger heat pumps", "trl": 8, "countries": ["fi"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "Bigger heat pumps");
    let (_, before) = app.get(&path(&id), None).await;
    assert_eq!(
        (before["trl"].clone(), before["countries"].clone()),
        (json!(8), json!(["FI"]))
    );
    assert_eq!(
        before["summary"],
        valid_solution()["summary"],
        "fields not in the patch must stay"
    );

    for (patch, field) in [
        (json!({"trl": 10}), "trl"),
        (json!({"trl": "nine"}), "trl"),
        (json!({"countries": ["XX"]}), "countries"),
        (json!({"countries": []}), "countries"),
        (json!({"sectors": ["space"]}), "sectors"),
        (json!({"colour": "green"}), "colour"),
        (json!({"status": "gone"}), "status"),
    ] {
        // Each bad patch also carries a good change, which must not be stored either.
        let patch = merged(patch, json!({"title": "Should not be stored"}));
        let (status, body) = app.patch(&path(&id), Some(&company.token), patch).await;
        assert_field(status, &body, field);
        let (_, after) = app.get(&path(&id), Some(&company.token)).await;
        assert_eq!(after, before, "a rejected patch changed the record");
    }
}

#[tokio::test]
async fn others_may_not_change_or_delete() {
    let app = spawn_app().await;
    let owner = app.register("company", "Owner AS", "NO").await;
    let other = app.register("company", "Intruder AS", "NO").await;
    let city = app.register("city", "Bergen", "NO").await;
    let published = app.create_solution(&owner, json!({})).await;
    let draft = app
        .create_solution(&owner, json!({"status": "draft"}))
        .await;
    let (_, before) = app.get(&path(&published), None).await;

    let change = json!({"title": "Hijacked"});
    for token in [&other.token, &city.token] {
        let (status, body) = app
            .patch(&path(&published), Some(token), change.clone())
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
        let (status, body) = app.delete(&path(&published), Some(token)).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
        // A draft is not even visible to them.
        let (status, body) = app.delete(&path(&draft), Some(token)).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let (status, body) = app.patch(&path(&published), None, change).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app.delete(&path(&published), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    let (_, after) = app.get(&path(&published), None).await;
    assert_eq!(after, before, "a refused request changed the record");
    let (status, _) = app.get(&path(&draft), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "a refused delete removed the draft");
}

#[tokio::test]
async fn status_moves_and_deletion() {
    let app = spawn_app().await;
    let company = app.register("company", "Lifecycle A/S", "DK").await;
    let id = app.create_solution(&company, json!({})).await;

    for to in ["archived", "published", "archived"] {
        let (status, body) = set_status(&app, &id, &company.token, to).await;
        assert_eq!(status, StatusCode::OK, "-> {to}: {body}");
        assert_eq!(body["status"], to);
        let (_, read) = app.get(&path(&id), Some(&company.token)).await;
        assert_eq!(read["status"], to);
    }
    // Archived solutions leave the public listing, and do not go back to draft.
    assert_eq!(list(&app, "", None).await["total"], 0);
    let (status, body) = set_status(&app, &id, &company.token, "draft").await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, body) = set_status(&app, &id, &company.token, "published").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app.delete(&path(&id), Some(&company.token)).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, _) = app.get(&path(&id), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a refused delete removed the solution"
    );

    let draft = app
        .create_solution(&company, json!({"status": "draft"}))
        .await;
    let (status, body) = app.delete(&path(&draft), Some(&company.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.get(&path(&draft), Some(&company.token)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.delete(&path(&draft), Some(&company.token)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
