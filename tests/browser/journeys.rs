//! What people do in the browser, end to end.

use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Browser, Server, PASSWORD};

async fn setup() -> Option<(Server, Browser)> {
    let browser = Browser::launch().await?;
    Some((Server::start(false).await, browser))
}

async fn register_in_browser(
    b: &Browser,
    s: &Server,
    kind: &str,
    org: &str,
    country: &str,
    email: &str,
) {
    b.goto(s, "/register").await;
    b.check("organization.kind", kind).await;
    b.fill("organization.name", org).await;
    b.select("organization.country", country).await;
    b.fill("name", "Ana Berg").await;
    b.fill("email", email).await;
    b.fill("password", PASSWORD).await;
    b.press("Create the account").await;
}

async fn log_in(b: &Browser, s: &Server, email: &str) {
    b.goto(s, "/login").await;
    b.fill("email", email).await;
    b.fill("password", PASSWORD).await;
    b.press("Log in").await;
    assert!(b.body_text().await.contains("You are logged in."));
}

async fn value_of(b: &Browser, name: &str) -> String {
    b.client
        .find(Locator::Css(&format!("form [name=\"{name}\"]")))
        .await
        .expect("field")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

async fn open_challenge(s: &Server, token: &str, title: &str) -> String {
    let (status, body) = s
        .api(
            "POST",
            "/api/v1/challenges",
            Some(token),
            Some(json!({
                "title": title,
                "summary": "Replace coal peak boilers with large heat pumps.",
                "description": "The utility needs 80 MW of heat pumps by 2030.",
                "sectors": ["energy"],
                "language": "en",
                "status": "open"
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn my_challenge_count(s: &Server, token: &str) -> i64 {
    let (status, body) = s
        .api("GET", "/api/v1/challenges?mine=true", Some(token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["total"].as_i64().expect("total")
}

#[tokio::test]
async fn a_city_registers_posts_a_challenge_opens_it_and_sees_it_on_its_page() {
    let Some((s, b)) = setup().await else { return };
    register_in_browser(&b, &s, "city", "Aarhus Kommune", "DK", "ana@aarhus.example").await;
    assert_eq!(b.path().await, "/challenges/new");
    assert!(b
        .body_text()
        .await
        .contains("Welcome to cleanmatch, Aarhus Kommune"));

    // Missing fields: the message shows next to each, and what was typed stays.
    b.fill("title", "Electrify the bus depot at Sydhavn").await;
    b.fill("budget_min_eur", "a lot").await;
    b.press("Save as draft").await;
    assert!(b.text("#e-summary").await.contains("Please fill this in"));
    assert!(b.text("#e-budget_min_eur").await.contains("whole number"));
    assert_eq!(
        value_of(&b, "title").await,
        "Electrify the bus depot at Sydhavn"
    );

    b.fill("summary", "Overnight charging for 120 electric buses.")
        .await;
    b.fill(
        "description",
        "The depot at Sydhavn needs chargers.\n\nGrid capacity is limited.",
    )
    .await;
    b.check("sectors", "transport").await;
    b.check("sectors", "energy").await;
    b.fill("plan_name", "Klimaplan 2030").await;
    b.fill("budget_min_eur", "1 000 000").await;
    b.fill("budget_max_eur", "4000000").await;
    b.select("stage", "tender").await;
    b.select("min_trl", "7").await;
    b.press("Save as draft").await;

    assert!(b.path().await.starts_with("/challenges/"));
    assert_eq!(b.text("h1").await, "Electrify the bus depot at Sydhavn");
    assert!(b
        .text(".detail__head .badge")
        .await
        .eq_ignore_ascii_case("draft"));
    let page = b.body_text().await;
    assert!(page.contains("Draft saved"), "flash after saving");
    assert!(
        page.contains("Transport") && page.contains("Energy"),
        "sectors as words"
    );
    assert!(page.contains("€1,000,000 – €4,000,000"));
    assert!(page.contains("Tender"));

    b.press("Open for responses").await;
    assert!(b
        .text(".detail__head .badge")
        .await
        .eq_ignore_ascii_case("open"));
    assert!(
        b.body_text().await.contains("Your challenge is open")
            || b.body_text().await.contains("The challenge is open")
    );
    let id = b.path().await.trim_start_matches("/challenges/").to_owned();

    b.goto(&s, "/account").await;
    assert!(b
        .body_text()
        .await
        .contains("Electrify the bus depot at Sydhavn"));
    b.goto(&s, "/challenges?q=bus+depot").await;
    assert!(b
        .body_text()
        .await
        .contains("Electrify the bus depot at Sydhavn"));
    let org_link = b
        .client
        .find(Locator::Css(".card__org a"))
        .await
        .expect("city link")
        .attr("href")
        .await
        .expect("href")
        .expect("href");
    b.goto(&s, &org_link).await;
    assert_eq!(b.text("h1").await, "Aarhus Kommune");
    assert!(b
        .body_text()
        .await
        .contains("Electrify the bus depot at Sydhavn"));

    b.goto(&s, &format!("/challenges/{id}/edit")).await;
    b.fill("title", "Electrify the Sydhavn bus depot").await;
    b.press("Save changes").await;
    assert_eq!(b.text("h1").await, "Electrify the Sydhavn bus depot");
    b.quit().await;
}

#[tokio::test]
async fn a_company_registers_a_solution_and_responds_to_a_challenge() {
    let Some((s, b)) = setup().await else { return };
    let (city_email, city_token) = s.register("city", "Helsinki", "FI").await;
    let challenge = open_challenge(&s, &city_token, "Decarbonise district heating").await;

    register_in_browser(
        &b,
        &s,
        "company",
        "Fjordvarme AS",
        "NO",
        "sales@fjordvarme.example",
    )
    .await;
    assert_eq!(b.path().await, "/solutions/new");
    b.fill("title", "Seawater heat pumps for district heating")
        .await;
    b.fill("summary", "Heat pumps from 5 to 50 MW.").await;
    b.fill("description", "Our heat pumps lift seawater heat to 90 °C.")
        .await;
    b.check("sectors", "energy").await;
    b.select("trl", "9").await;
    b.fill("countries", "FI, NO, SE").await;
    b.fill("claimed_reduction", "100,000 t CO2e a year in Drammen")
        .await;
    b.press("Publish now").await;
    assert_eq!(
        b.text("h1").await,
        "Seawater heat pumps for district heating"
    );
    assert!(b
        .text(".detail__head .badge")
        .await
        .eq_ignore_ascii_case("published"));
    assert!(b.body_text().await.contains("Finland, Norway, Sweden"));

    b.goto(&s, &format!("/challenges/{challenge}")).await;
    b.select("solution_id", &value_of(&b, "solution_id").await)
        .await;
    b.fill(
        "message",
        "We delivered 70 MW in Drammen; we can do 80 MW for you.",
    )
    .await;
    b.press("Send the response").await;
    assert!(b.body_text().await.contains("Your response is sent"));
    assert!(b.text("#responses").await.contains("Fjordvarme AS"));

    // The city reads it on its challenge page.
    b.press("Log out").await;
    assert!(b.body_text().await.contains("You are logged out."));
    log_in(&b, &s, &city_email).await;
    b.goto(&s, &format!("/challenges/{challenge}")).await;
    let responses = b.text("#responses").await;
    assert!(responses.contains("Fjordvarme AS"), "{responses}");
    assert!(
        responses.contains("We delivered 70 MW in Drammen"),
        "{responses}"
    );
    b.quit().await;
}

#[tokio::test]
async fn a_title_with_a_script_shows_as_text_and_no_script_runs() {
    let Some((s, b)) = setup().await else { return };
    let (_, token) = s.register("city", "Qingdao", "CN").await;
    let title = "<script>alert(1)</script>";
    let id = open_challenge(&s, &token, title).await;
    for path in ["/", "/challenges", &format!("/challenges/{id}")] {
        b.goto(&s, path).await;
        assert!(
            b.client.get_alert_text().await.is_err(),
            "an alert is open on {path}"
        );
        assert!(
            b.body_text().await.contains(title),
            "the title shows as text on {path}"
        );
    }
    assert_eq!(b.text("h1").await, title);
    b.quit().await;
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing() {
    let Some((s, b)) = setup().await else { return };
    let (email, token) = s.register("city", "Stockholm", "SE").await;
    log_in(&b, &s, &email).await;
    b.goto(&s, "/challenges/new").await;
    b.fill("title", "Cut landfill methane").await;
    b.fill("summary", "Capture gas at Löt.").await;
    b.fill("description", "The landfill emits methane.").await;
    b.check("sectors", "waste").await;
    b.client
        .execute(
            "const tokens = document.querySelectorAll('main form input[name=csrf]'); \
             tokens.forEach(t => t.remove()); return tokens.length",
            vec![],
        )
        .await
        .expect("remove the token");
    b.press("Publish now").await;
    assert_eq!(b.text("h1").await, "This form cannot be accepted");
    assert!(b.body_text().await.contains("Nothing was changed"));
    assert_eq!(my_challenge_count(&s, &token).await, 0);

    // With its token the same form goes through.
    b.goto(&s, "/challenges/new").await;
    b.fill("title", "Cut landfill methane").await;
    b.fill("summary", "Capture gas at Löt.").await;
    b.fill("description", "The landfill emits methane.").await;
    b.check("sectors", "waste").await;
    b.press("Publish now").await;
    assert_eq!(b.text("h1").await, "Cut landfill methane");
    assert_eq!(my_challenge_count(&s, &token).await, 1);
    b.quit().await;
}
