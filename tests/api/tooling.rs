//! The command line through the real binary (import, admin, migrate), and the demo loader.

use std::path::PathBuf;
use std::process::Output;

use cleanmatch::db::schema::{challenges, organizations, solutions, users};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Runs `cleanmatch ARGS` against the app's database and data directory.
async fn cli(app: &TestApp, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_cleanmatch"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("DATA_DIR", app.dir.path())
        .env("JWT_SECRET", "x".repeat(40))
        .env_remove("CLEANMATCH_ADMIN_PASSWORD")
        .output()
        .await
        .expect("run cleanmatch")
}

/// Everything the command printed, stdout then stderr.
fn printed(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write_file(app: &TestApp, name: &str, content: &str) -> PathBuf {
    let path = app.dir.path().join(name);
    std::fs::write(&path, content).expect("write import file");
    path
}

/// The items `GET path?mine=true` shows the account.
async fn mine(app: &TestApp, what: &str, account: &Account) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/v1/{what}?mine=true"), Some(&account.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn titles(items: &[Value]) -> Vec<String> {
    let mut titles: Vec<String> = items
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_owned())
        .collect();
    titles.sort();
    titles
}

fn challenge_line(title: &str, overrides: Value) -> String {
    merged(
        merged(valid_challenge(), json!({"title": title})),
        overrides,
    )
    .to_string()
}

const SOLUTIONS_CSV: &str = "title,summary,description,sectors,trl,countries,global\n\
    Heat pump kit,Air-to-water heat pumps.,For multi-family housing.,energy;buildings,8,DK; se,false\n\
    Broken row,A row with a bad TRL.,The trl is not a number.,energy,x,DK,false\n\
    Landfill gas capture,Methane to power.,Gas wells and engines.,waste,7,,true\n";

#[tokio::test]
async fn importing_challenges_reports_the_bad_line_and_stores_the_good_ones() {
    let app = spawn_app().await;
    let city = app.register("city", "Qingdao", "CN").await;
    let content = [
        challenge_line("Bus depot electrification", json!({})),
        challenge_line("Impossible readiness", json!({"min_trl": 12})),
        challenge_line("Stormwater retention", json!({"sectors": ["water"]})),
    ]
    .join("\n");
    let file = write_file(&app, "challenges.jsonl", &content);

    let output = cli(
        &app,
        &[
            "import",
            "challenges",
            file.to_str().expect("path"),
            "--org",
            &city.org_id,
        ],
    )
    .await;
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("line 2") && text.contains("min_trl"),
        "{text}"
    );
    assert!(
        !text.contains("line 1:") && !text.contains("line 3:"),
        "{text}"
    );

    let items = mine(&app, "challenges", &city).await;
    assert_eq!(
        titles(&items),
        vec!["Bus depot electrification", "Stormwater retention"]
    );
    assert!(items.iter().all(|i| i["status"] == "draft"), "{items:?}");
    assert!(
        items
            .iter()
            .all(|i| i["organization"]["id"] == city.org_id.as_str()),
        "{items:?}"
    );
}

#[tokio::test]
async fn importing_solutions_from_csv_splits_lists_and_names_the_bad_line() {
    let app = spawn_app().await;
    let company = app.register("company", "Import A/S", "DK").await;
    let file = write_file(&app, "solutions.csv", SOLUTIONS_CSV);

    let output = cli(
        &app,
        &[
            "import",
            "solutions",
            file.to_str().expect("path"),
            "--org",
            &company.org_id,
        ],
    )
    .await;
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    // Line 1 is the header; the broken row is the file's third line.
    assert!(text.contains("line 3") && text.contains("trl"), "{text}");
    assert!(
        !text.contains("line 2:") && !text.contains("line 4:"),
        "{text}"
    );

    let items = mine(&app, "solutions", &company).await;
    assert_eq!(
        titles(&items),
        vec!["Heat pump kit", "Landfill gas capture"]
    );
    let kit = items
        .iter()
        .find(|i| i["title"] == "Heat pump kit")
        .expect("kit");
    assert_eq!(kit["sectors"], json!(["energy", "buildings"]));
    assert_eq!(kit["countries"], json!(["DK", "SE"]));
    assert_eq!(
        (kit["trl"].clone(), kit["status"].clone()),
        (json!(8), json!("draft"))
    );
    let gas = items
        .iter()
        .find(|i| i["title"] == "Landfill gas capture")
        .expect("gas");
    assert_eq!(
        (gas["global"].clone(), gas["countries"].clone()),
        (json!(true), json!([]))
    );
}

#[tokio::test]
async fn import_refuses_an_organisation_of_the_wrong_kind_or_unknown() {
    let app = spawn_app().await;
    let city = app.register("city", "Fuzhou", "CN").await;
    let file = write_file(&app, "solutions.csv", SOLUTIONS_CSV);
    let path = file.to_str().expect("path");

    let output = cli(&app, &["import", "solutions", path, "--org", &city.org_id]).await;
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("companies"),
        "the message should say why: {text}"
    );
    assert!(mine(&app, "solutions", &city).await.is_empty());

    let output = cli(&app, &["import", "solutions", path, "--org", "no-such-org"]).await;
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("no-such-org"), "{text}");
    let (_, body) = app.get("/api/v1/solutions", None).await;
    assert_eq!(body["total"], 0);
}

#[tokio::test]
async fn strict_import_fails_but_keeps_the_good_rows() {
    let app = spawn_app().await;
    let company = app.register("company", "Strict Oy", "FI").await;
    let file = write_file(&app, "solutions.csv", SOLUTIONS_CSV);

    let output = cli(
        &app,
        &[
            "import",
            "solutions",
            file.to_str().expect("path"),
            "--org",
            &company.org_id,
            "--strict",
        ],
    )
    .await;
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("line 3"), "{text}");
    assert_eq!(mine(&app, "solutions", &company).await.len(), 2);
}

#[tokio::test]
async fn create_admin_needs_a_password_for_a_new_account() {
    let app = spawn_app().await;
    let email = "new@x.example";
    let output = cli(&app, &["admin", "create-admin", "--email", email]).await;
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("--password"), "{text}");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": "long enough pw 123"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    let output = cli(
        &app,
        &[
            "admin",
            "create-admin",
            "--email",
            email,
            "--password",
            "short",
        ],
    )
    .await;
    assert!(!output.status.success(), "{}", printed(&output));

    let output = cli(
        &app,
        &[
            "admin",
            "create-admin",
            "--email",
            email,
            "--password",
            "long enough pw 123",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", printed(&output));
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": "long enough pw 123"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().expect("token");
    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], email);
    assert_eq!(me["user"]["is_platform_admin"], true);
}

#[tokio::test]
async fn migrate_runs_twice() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let output = cli(&app, &["migrate"]).await;
        assert!(output.status.success(), "{}", printed(&output));
    }
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Counts of the demo's content: (cities, companies, clusters, challenges, open challenges, solutions, users).
fn demo_counts(conn: &mut cleanmatch::db::DbConn) -> [i64; 7] {
    let kind = |conn: &mut cleanmatch::db::DbConn, kind: &str| {
        organizations::table
            .filter(organizations::kind.eq(kind))
            .filter(organizations::name.ne(cleanmatch::cli::PLATFORM_ORG))
            .count()
            .get_result::<i64>(conn)
            .expect("count organisations")
    };
    [
        kind(conn, "city"),
        kind(conn, "company"),
        kind(conn, "cluster"),
        challenges::table
            .count()
            .get_result(conn)
            .expect("count challenges"),
        challenges::table
            .filter(challenges::status.eq("open"))
            .count()
            .get_result(conn)
            .expect("count open challenges"),
        solutions::table
            .count()
            .get_result(conn)
            .expect("count solutions"),
        users::table.count().get_result(conn).expect("count users"),
    ]
}

#[test]
fn the_demo_loads_once_with_its_promised_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _guard) = fresh_database(dir.path());
    let pool = cleanmatch::db::connect(&url, 2).expect("connect");

    let first = cleanmatch::demo::load(&pool).expect("first demo load");
    assert!(first.created);
    let mut conn = pool.get().expect("connection");
    let counts = demo_counts(&mut conn);
    let [cities, companies, clusters, all, open, solutions, _] = counts;
    assert!(cities >= 12, "{cities} cities");
    assert!(companies >= 25, "{companies} companies");
    assert_eq!(clusters, 2);
    assert!(all >= 30, "{all} challenges");
    assert!(open >= 20, "{open} open challenges");
    assert!(solutions >= 40, "{solutions} solutions");
    let named = [
        "Beijing",
        "Shanghai",
        "Qingdao",
        "Fuzhou",
        "Wuhan",
        "Shenzhen",
        "Copenhagen",
        "Aarhus",
        "Stockholm",
        "Oslo",
        "Helsinki",
    ];
    let found: Vec<String> = organizations::table
        .filter(organizations::kind.eq("city"))
        .filter(organizations::name.eq_any(named))
        .select(organizations::name)
        .load(&mut conn)
        .expect("city names");
    assert_eq!(found.len(), named.len(), "missing demo cities: {found:?}");

    let second = cleanmatch::demo::load(&pool).expect("second demo load");
    assert!(!second.created);
    assert_eq!(second.counts, (0, 0, 0));
    assert_eq!(
        demo_counts(&mut conn),
        counts,
        "the second run changed the data"
    );
    assert!(second.to_string().contains(cleanmatch::demo::DEMO_PASSWORD));
}
