//! The matcher through the API: cross-language matches, hard filters, updates, who may
//! see matches, index-served search, and recovery of a lost index.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn district_heating_solution() -> Value {
    json!({
        "title": "Large heat pumps for district heating",
        "summary": "Heat pumps that feed district heating networks with waste heat and seawater.",
        "description": "We design and deliver large-scale heat pumps for district heating networks, replacing coal and gas boilers. District heating utilities in Esbjerg and Aalborg use them.",
        "sectors": ["energy"], "trl": 9, "global": true, "language": "en", "status": "published"
    })
}

fn unrelated_solution() -> Value {
    json!({
        "title": "Smart bicycle parking racks",
        "summary": "Sensor-equipped bike racks that count free spaces.",
        "description": "Our racks help cyclists find parking at train stations.",
        "sectors": ["transport"], "trl": 9, "global": true, "language": "en", "status": "published"
    })
}

async fn matches_of(app: &TestApp, challenge_id: &str, token: &str) -> Vec<Value> {
    let (status, body) = app
        .get(
            &format!("/api/v1/challenges/{challenge_id}/matches"),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().expect("items")
}

fn matched_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|m| m["solution"]["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_swedish_challenge_finds_an_english_district_heating_solution() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat Pumps A/S", "DK").await;
    let city = app.register("city", "Stockholm", "SE").await;
    let heat = app
        .create_solution(&company, district_heating_solution())
        .await;
    let bikes = app.create_solution(&company, unrelated_solution()).await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"title": "Fossilfri fjärrvärme i Stockholm", "summary": "Staden vill ersätta fossila pannor i fjärrvärmenätet.",
                   "description": "Fjärrvärmenätet behöver nya värmekällor, till exempel stora värmepumpar, för att bli fossilfritt till 2030.",
                   "language": "sv", "sectors": ["energy"], "min_trl": null, "status": "open"}),
        )
        .await;
    let items = matches_of(&app, &challenge, &city.token).await;
    let ids = matched_ids(&items);
    assert_eq!(ids.first(), Some(&heat), "{items:?}");
    assert!(!ids.contains(&bikes));
    let best = &items[0];
    assert_eq!(best["rank"], 1);
    assert_eq!(best["status"], "suggested");
    let score = best["score"].as_f64().expect("score");
    assert!(score > 0.0 && score <= 100.0);
    let parts = &best["explanation"]["parts"];
    let sum: f64 = ["text", "concepts", "sectors", "trl", "country", "freshness"]
        .iter()
        .map(|k| parts[k].as_f64().expect("part"))
        .sum();
    assert!(
        (sum - score).abs() < 0.6,
        "parts {parts} add up to {sum}, score {score}"
    );
    assert!(
        !best["explanation"]["concepts"]
            .as_array()
            .expect("concepts")
            .is_empty(),
        "{best}"
    );

    // The company sees the challenge among its solution's fits.
    let (status, body) = app
        .get(
            &format!("/api/v1/solutions/{heat}/matches"),
            Some(&company.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["challenge"]["id"], challenge.as_str());
}

#[tokio::test]
async fn a_chinese_challenge_finds_a_danish_fjernvarme_solution() {
    let app = spawn_app().await;
    let company = app.register("company", "Fjernvarme ApS", "DK").await;
    let city = app.register("city", "Beijing", "CN").await;
    let solution = app
        .create_solution(
            &company,
            json!({"title": "Varmepumper til fjernvarme", "summary": "Store varmepumper der leverer fjernvarme fra overskudsvarme.",
                   "description": "Vi leverer store varmepumper til fjernvarmeværker og erstatter kul- og gaskedler i fjernvarmenettet.",
                   "sectors": ["energy"], "trl": 8, "countries": ["DK", "CN"], "language": "da", "status": "published"}),
        )
        .await;
    app.create_solution(&company, unrelated_solution()).await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"title": "区域供热低碳改造", "summary": "北京需要用热泵替代燃煤锅炉，实现区域供热低碳化。",
                   "description": "为实现碳达峰目标，北京市计划对区域供热系统进行低碳改造，引入大型热泵和余热回收。",
                   "language": "zh", "sectors": ["energy"], "min_trl": 7, "status": "open"}),
        )
        .await;
    let ids = matched_ids(&matches_of(&app, &challenge, &city.token).await);
    assert_eq!(ids.first(), Some(&solution));
}

#[tokio::test]
async fn hard_filters_keep_out_immature_foreign_and_unpublished_solutions() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat Oy", "FI").await;
    let city = app.register("city", "Helsinki", "FI").await;
    let fits = app
        .create_solution(
            &company,
            merged(
                district_heating_solution(),
                json!({"global": false, "countries": ["FI"]}),
            ),
        )
        .await;
    let immature = app
        .create_solution(
            &company,
            merged(district_heating_solution(), json!({"trl": 4})),
        )
        .await;
    let elsewhere = app
        .create_solution(
            &company,
            merged(
                district_heating_solution(),
                json!({"global": false, "countries": ["DE"]}),
            ),
        )
        .await;
    let draft = app
        .create_solution(
            &company,
            merged(district_heating_solution(), json!({"status": "draft"})),
        )
        .await;
    let challenge = app
        .create_challenge(&city, json!({"title": "Heat pumps for the district heating network", "min_trl": 7, "status": "open"}))
        .await;
    let ids = matched_ids(&matches_of(&app, &challenge, &city.token).await);
    assert!(ids.contains(&fits), "{ids:?}");
    for excluded in [&immature, &elsewhere, &draft] {
        assert!(
            !ids.contains(excluded),
            "{excluded} should be filtered out: {ids:?}"
        );
    }
    // A draft challenge is not matched at all.
    let draft_challenge = app
        .create_challenge(
            &city,
            json!({"title": "Heat pumps for district heating, draft"}),
        )
        .await;
    assert!(matches_of(&app, &draft_challenge, &city.token)
        .await
        .is_empty());
}

#[tokio::test]
async fn changes_reach_the_matches() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat AB", "SE").await;
    let city = app.register("city", "Gothenburg", "SE").await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"title": "Heat pumps for the district heating network", "status": "open"}),
        )
        .await;
    // A solution published after the challenge opened is matched against it.
    let solution = app
        .create_solution(&company, district_heating_solution())
        .await;
    assert_eq!(
        matched_ids(&matches_of(&app, &challenge, &city.token).await),
        vec![solution.clone()]
    );
    // Archiving withdraws the suggestion; publishing again brings it back.
    let (status, _) = app
        .patch(
            &format!("/api/v1/solutions/{solution}"),
            Some(&company.token),
            json!({"status": "archived"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches_of(&app, &challenge, &city.token).await.is_empty());
    app.patch(
        &format!("/api/v1/solutions/{solution}"),
        Some(&company.token),
        json!({"status": "published"}),
    )
    .await;
    assert_eq!(matches_of(&app, &challenge, &city.token).await.len(), 1);
    // Rewriting the solution into something unrelated withdraws it too.
    let (status, _) = app
        .patch(
            &format!("/api/v1/solutions/{solution}"),
            Some(&company.token),
            unrelated_solution(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches_of(&app, &challenge, &city.token).await.is_empty());
    // Closing the challenge withdraws its suggestions.
    app.patch(
        &format!("/api/v1/solutions/{solution}"),
        Some(&company.token),
        district_heating_solution(),
    )
    .await;
    assert_eq!(matches_of(&app, &challenge, &city.token).await.len(), 1);
    app.patch(
        &format!("/api/v1/challenges/{challenge}"),
        Some(&city.token),
        json!({"status": "closed"}),
    )
    .await;
    assert!(matches_of(&app, &challenge, &city.token).await.is_empty());
}

#[tokio::test]
async fn only_the_owners_see_matches() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat GmbH", "DE").await;
    let other_company = app.register("company", "Other GmbH", "DE").await;
    let city = app.register("city", "Hamburg", "DE").await;
    let other_city = app.register("city", "Berlin", "DE").await;
    let solution = app
        .create_solution(&company, district_heating_solution())
        .await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"title": "Heat pumps for district heating", "status": "open"}),
        )
        .await;
    let path = format!("/api/v1/challenges/{challenge}/matches");
    for account in [&other_city, &company] {
        let (status, body) = app.get(&path, Some(&account.token)).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let path = format!("/api/v1/solutions/{solution}/matches");
    for account in [&other_company, &city] {
        let (status, body) = app.get(&path, Some(&account.token)).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, _) = app
        .get("/api/v1/solutions/nope/matches", Some(&company.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listing_search_is_served_by_the_index_across_languages() {
    let app = spawn_app().await;
    let company = app.register("company", "Heat A/S", "DK").await;
    let heat = app
        .create_solution(&company, district_heating_solution())
        .await;
    app.create_solution(&company, unrelated_solution()).await;
    app.create_solution(
        &company,
        merged(
            district_heating_solution(),
            json!({"status": "draft", "title": "Draft district heating pumps"}),
        ),
    )
    .await;
    // A Swedish query finds the English solution through the thesaurus.
    let (status, body) = app
        .get("/api/v1/solutions?q=fj%C3%A4rrv%C3%A4rme", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["id"], heat.as_str());
    // Case and stemming do not matter; filters still apply.
    let (_, body) = app
        .get("/api/v1/solutions?q=HEATING&sector=transport", None)
        .await;
    assert_eq!(body["total"], 0);
    let (_, body) = app
        .get(
            "/api/v1/solutions?q=heating&mine=true",
            Some(&company.token),
        )
        .await;
    assert_eq!(body["total"], 2, "the owner also finds its draft: {body}");
}

/// Kills the server, deletes (or corrupts) the index, starts again: the rebuilt index
/// answers as before.
#[tokio::test]
async fn a_lost_or_corrupt_index_is_rebuilt_from_the_database() {
    for damage in ["delete", "corrupt"] {
        let server = Server::start().await;
        let company = server.app.register("company", "Heat A/S", "DK").await;
        let city = server.app.register("city", "Aarhus", "DK").await;
        let heat = server
            .app
            .create_solution(&company, district_heating_solution())
            .await;
        server
            .app
            .create_solution(&company, unrelated_solution())
            .await;
        let (_, before) = server
            .app
            .get("/api/v1/solutions?q=district+heating", None)
            .await;
        let server = server
            .restart_after(|index_dir| match damage {
                "delete" => std::fs::remove_dir_all(index_dir).expect("delete index"),
                _ => corrupt_files(index_dir),
            })
            .await;
        let (_, after) = server
            .app
            .get("/api/v1/solutions?q=district+heating", None)
            .await;
        assert_eq!(after["items"], before["items"], "after {damage}");
        // Old solutions are in the rebuilt index: a new challenge is matched to them.
        let challenge = server
            .app
            .create_challenge(
                &city,
                json!({"title": "Heat pumps for district heating", "status": "open"}),
            )
            .await;
        assert_eq!(
            matched_ids(&matches_of(&server.app, &challenge, &city.token).await),
            vec![heat.clone()],
            "after {damage}"
        );
    }
}

/// Overwrites every file below `dir` with garbage.
fn corrupt_files(dir: &std::path::Path) {
    let mut corrupted = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("index dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                std::fs::write(&path, b"garbage").expect("corrupt");
                corrupted += 1;
            }
        }
    }
    assert!(corrupted > 0, "the index folder held no files");
}
