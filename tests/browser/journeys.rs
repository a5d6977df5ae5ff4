//! What people do in the browser, end to end.

use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Browser, Server, PASSWORD};
use crate::smtp::SmtpSink;

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

async fn org_id(s: &Server, token: &str) -> String {
    let (status, body) = s.api("GET", "/api/v1/me", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["organization"]["id"]
        .as_str()
        .expect("org id")
        .to_owned()
}

async fn publish_solution(s: &Server, token: &str, title: &str) -> String {
    let (status, body) = s
        .api(
            "POST",
            "/api/v1/solutions",
            Some(token),
            Some(json!({
                "title": title,
                "summary": "Large heat pumps from 5 to 50 MW for district heating networks.",
                "description": "Our heat pumps replace coal peak boilers in district heating.",
                "sectors": ["energy"],
                "trl": 9,
                "countries": ["FI", "NO", "SE"],
                "language": "en",
                "status": "published"
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Follows the link `text` (the first one, e.g. in the navigation) and waits for the page.
async fn click_link(b: &Browser, text: &str) {
    let link = b
        .client
        .find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("link {text:?}: {e}"));
    b.client
        .execute(
            "document.documentElement.setAttribute('data-old-page', '1')",
            vec![],
        )
        .await
        .expect("mark the page");
    link.click().await.expect("click the link");
    b.wait_for_new_page().await;
}

/// The figure of the dashboard tile whose label is `label`.
async fn tile(b: &Browser, label: &str) -> String {
    for t in b
        .client
        .find_all(Locator::Css(".stat-tile"))
        .await
        .expect("tiles")
    {
        let dt = t
            .find(Locator::Css("dt"))
            .await
            .expect("dt")
            .text()
            .await
            .expect("text");
        if dt == label {
            return t
                .find(Locator::Css("dd"))
                .await
                .expect("dd")
                .text()
                .await
                .expect("text");
        }
    }
    panic!("no tile {label:?}")
}

#[tokio::test]
async fn a_company_registers_a_solution_sees_the_challenge_among_its_fits_and_responds() {
    let Some((s, b)) = setup().await else { return };
    let (_, city_token) = s.register("city", "Helsinki", "FI").await;
    let title = "Large heat pumps for the district heating network";
    let challenge = open_challenge(&s, &city_token, title).await;

    register_in_browser(&b, &s, "company", "Lämpö Oy", "FI", "myynti@lampo.example").await;
    b.fill("title", "Seawater heat pumps for district heating")
        .await;
    b.fill("summary", "Large heat pumps from 5 to 50 MW.").await;
    b.fill(
        "description",
        "Our heat pumps replace coal peak boilers in district heating networks.",
    )
    .await;
    b.check("sectors", "energy").await;
    b.select("trl", "9").await;
    b.fill("countries", "FI, SE").await;
    b.press("Publish now").await;
    assert!(b
        .text(".detail__head .badge")
        .await
        .eq_ignore_ascii_case("published"));

    // The navigation leads to the fits; the challenge is there with why it fits.
    click_link(&b, "Fits for us").await;
    assert_eq!(b.path().await, "/fits");
    assert_eq!(b.text("h1").await, "Challenges that fit your solutions");
    let fits = b.text(".matches").await;
    assert!(fits.contains(title), "{fits}");
    assert!(fits.contains("Helsinki"), "{fits}");
    let summary = b.text(".match__summary").await;
    assert!(
        summary.contains("fit (") && summary.contains("/100)"),
        "{summary}"
    );
    b.open_explanation(".matches").await;
    let why = b.text(".matches .why").await;
    assert!(why.contains("Words in common"), "{why}");
    assert!(why.contains("Readiness"), "{why}");
    assert!(why.contains("of 80"), "the part's maximum is shown: {why}");

    click_link(&b, "Respond to this challenge").await;
    assert_eq!(b.path().await, format!("/challenges/{challenge}"));
    b.fill(
        "message",
        "We can deliver 80 MW of seawater heat pumps by 2028.",
    )
    .await;
    b.press("Send the response").await;
    assert!(b.body_text().await.contains("Your response is sent"));

    b.goto(&s, "/fits").await;
    let fits = b.text(".matches").await;
    assert!(fits.to_lowercase().contains("responded"), "{fits}");
    assert!(
        b.client
            .find(Locator::LinkText("Respond to this challenge"))
            .await
            .is_err(),
        "no second response is offered"
    );
    b.quit().await;
}

#[tokio::test]
async fn a_city_sees_why_solutions_fit_then_shortlists_and_awards_a_response() {
    let Some((s, b)) = setup().await else { return };
    let (city_email, city_token) = s.register("city", "Helsinki", "FI").await;
    let (_, company_token) = s.register("company", "Fjordvarme AS", "NO").await;
    let challenge = open_challenge(&s, &city_token, "Large heat pumps for district heating").await;
    let solution = publish_solution(
        &s,
        &company_token,
        "Seawater heat pumps for district heating",
    )
    .await;
    let (status, body) = s
        .api(
            "POST",
            &format!("/api/v1/challenges/{challenge}/responses"),
            Some(&company_token),
            Some(json!({"solution_id": solution, "message": "We delivered 70 MW in Drammen."})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    log_in(&b, &s, &city_email).await;
    b.goto(&s, &format!("/challenges/{challenge}")).await;
    let ranked = b.text("#matches").await;
    assert!(
        ranked.contains("Seawater heat pumps for district heating"),
        "{ranked}"
    );
    assert!(ranked.contains("Fjordvarme AS"), "{ranked}");
    b.open_explanation("#matches").await;
    let why = b.text("#matches .why").await;
    assert!(
        why.contains("Words in common") && why.contains("Sector"),
        "{why}"
    );

    b.press("Shortlist").await;
    assert!(b
        .body_text()
        .await
        .contains("Fjordvarme AS is on the shortlist"));
    assert!(b
        .text("#responses .badge")
        .await
        .eq_ignore_ascii_case("shortlisted"));
    b.press_and_confirm("Award").await;
    assert!(b.body_text().await.contains("Awarded to Fjordvarme AS"));
    assert!(b
        .text("#responses .badge")
        .await
        .eq_ignore_ascii_case("awarded"));
    assert!(
        b.client
            .find(Locator::Css("#responses button"))
            .await
            .is_err(),
        "an award is final: no more decisions offered"
    );
    let (_, list) = s
        .api(
            "GET",
            &format!("/api/v1/challenges/{challenge}/responses"),
            Some(&city_token),
            None,
        )
        .await;
    assert_eq!(list["items"][0]["status"], "awarded");
    b.quit().await;
}

#[tokio::test]
async fn a_coordinator_accepts_a_company_introduces_its_match_and_both_emails_arrive() {
    let Some(b) = Browser::launch().await else {
        return;
    };
    let sink = SmtpSink::start();
    let s = Server::start_with(
        false,
        &[
            ("SMTP_URL", &sink.url()),
            ("MATCH_AUTO_INTRODUCE_MIN_SCORE", "off"),
            ("OUTBOX_POLL_MS", "100"),
        ],
    )
    .await;
    let admin_email = s.platform_admin().await;
    let (city_email, city_token) = s.register("city", "Helsinki", "FI").await;
    let (company_email, company_token) = s.register("company", "Fjordvarme AS", "NO").await;
    let (coordinator_email, coordinator_token) =
        s.register("cluster", "Nordic Heat Cluster", "NO").await;
    let cluster = org_id(&s, &coordinator_token).await;

    // The platform admin verifies the new cluster on the admin page.
    log_in(&b, &s, &admin_email).await;
    click_link(&b, "Admin").await;
    click_link(&b, "Clusters").await;
    assert!(b.text("#verify").await.contains("Nordic Heat Cluster"));
    b.press("Verify").await;
    assert!(b
        .body_text()
        .await
        .contains("Nordic Heat Cluster is verified"));
    assert!(!b.text("#verify").await.contains("Nordic Heat Cluster"));
    let (status, body) = s
        .api(
            "GET",
            &format!("/api/v1/organizations/{cluster}"),
            None,
            None,
        )
        .await;
    assert_eq!((status, &body["verified"]), (200, &json!(true)), "{body}");
    b.press("Log out").await;

    let title = "Large heat pumps for district heating";
    let challenge = open_challenge(&s, &city_token, title).await;
    publish_solution(
        &s,
        &company_token,
        "Seawater heat pumps for district heating",
    )
    .await;
    let (status, body) = s
        .api(
            "POST",
            &format!("/api/v1/clusters/{cluster}/memberships"),
            Some(&company_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    log_in(&b, &s, &coordinator_email).await;
    click_link(&b, "Members").await;
    assert!(b.text("#requests").await.contains("Fjordvarme AS"));
    b.press("Accept").await;
    assert!(b
        .body_text()
        .await
        .contains("Fjordvarme AS is a member now"));
    assert!(b.text("#members").await.contains("Fjordvarme AS"));

    click_link(&b, "Queue").await;
    let queue = b.text(".matches").await;
    assert!(queue.contains(title), "{queue}");
    assert!(
        queue.contains("Seawater heat pumps for district heating"),
        "{queue}"
    );
    b.press("Introduce").await;
    assert!(b
        .body_text()
        .await
        .contains("Introduced: the city and the company are e-mailed."));

    // The outbox worker of the server sends both e-mails to the SMTP server.
    let introductions = |to: &str| {
        sink.received_by(to)
            .into_iter()
            .filter(|m| m.subject.starts_with("Introduction"))
            .collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while introductions(&city_email).is_empty() || introductions(&company_email).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the introduction e-mails did not arrive: {:?}",
            sink.received()
                .iter()
                .map(|m| &m.subject)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let to_city = introductions(&city_email);
    assert_eq!(to_city.len(), 1);
    assert_eq!(
        to_city[0].subject,
        format!("Introduction: Fjordvarme AS for \"{title}\"")
    );
    let to_company = introductions(&company_email);
    assert_eq!(to_company.len(), 1);
    assert_eq!(
        to_company[0].subject,
        format!("Introduction: Helsinki is looking for \"{title}\"")
    );
    assert!(
        to_company[0]
            .text
            .contains(&format!("/challenges/{challenge}#respond")),
        "{}",
        to_company[0].text
    );

    click_link(&b, "Dashboard").await;
    assert_eq!(tile(&b, "Introductions made").await, "1");
    assert_eq!(tile(&b, "Member companies").await, "1");
    assert_eq!(tile(&b, "Waiting in your queue").await, "0");
    b.quit().await;
}
