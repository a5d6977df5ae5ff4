//! A screenshot of each main page at phone and desktop width, on the demo data, under
//! target/screenshots/ (README.md shows copies from docs/screenshots/).

use crate::harness::{Browser, Server, DESKTOP, PHONE};

const DEMO_PASSWORD: &str = "cleanmatch-demo";

#[tokio::test]
async fn screenshots_of_the_main_pages() {
    let Some(b) = Browser::launch().await else {
        return;
    };
    let s = Server::start(true).await;
    let (_, body) = s
        .api(
            "GET",
            "/api/v1/challenges?status=open&per_page=100",
            None,
            None,
        )
        .await;
    let items = body["items"].as_array().cloned().unwrap_or_default();
    let challenge = items
        .iter()
        .find(|c| c["language"] == "en" && c["organization"]["name"] == "Copenhagen")
        .or_else(|| items.iter().find(|c| c["language"] == "en"))
        .expect("an open English demo challenge");
    let challenge_id = challenge["id"].as_str().expect("id").to_owned();
    let city_id = challenge["organization"]["id"]
        .as_str()
        .expect("city")
        .to_owned();
    let (_, body) = s
        .api("GET", "/api/v1/solutions?per_page=100", None, None)
        .await;
    let solution = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|x| x["language"] == "en").cloned())
        .expect("an English demo solution");
    let solution_id = solution["id"].as_str().expect("id").to_owned();
    let company_id = solution["organization"]["id"]
        .as_str()
        .expect("company")
        .to_owned();

    let public = [
        ("/".to_owned(), "home"),
        ("/challenges".to_owned(), "challenges"),
        (format!("/challenges/{challenge_id}"), "challenge"),
        ("/solutions".to_owned(), "solutions"),
        (format!("/solutions/{solution_id}"), "solution"),
        (format!("/organizations/{city_id}"), "city"),
        (format!("/organizations/{company_id}"), "company"),
        ("/login".to_owned(), "login"),
        ("/register".to_owned(), "register"),
        ("/forgot-password".to_owned(), "forgot-password"),
        ("/no/such/page".to_owned(), "not-found"),
    ];
    for (path, name) in &public {
        for width in [PHONE, DESKTOP] {
            b.screenshot(&s, path, name, width).await;
        }
    }

    // The city's own view: its challenge with responses and ranked solutions, the form.
    b.goto(&s, "/login").await;
    b.fill("email", "climate@copenhagen.example").await;
    b.fill("password", DEMO_PASSWORD).await;
    b.press("Log in").await;
    assert!(b.body_text().await.contains("You are logged in."));
    let own = if challenge["organization"]["name"] == "Copenhagen" {
        format!("/challenges/{challenge_id}")
    } else {
        "/account".to_owned()
    };
    for (path, name) in [
        (own.as_str(), "challenge-owner"),
        ("/challenges/new", "challenge-form"),
        ("/account", "account"),
    ] {
        for width in [PHONE, DESKTOP] {
            b.screenshot(&s, path, name, width).await;
        }
    }

    // A coordinator's pages, then a company's.
    for (login, pages) in [
        (
            "coordinator@dkclimatecluster.example",
            &[
                ("/curation", "coordinator-queue"),
                ("/dashboard", "coordinator-dashboard"),
                ("/cluster/members", "coordinator-members"),
            ][..],
        ),
        (
            "sales@fjordvarme.example",
            &[("/fits", "company-fits"), ("/clusters", "company-clusters")][..],
        ),
    ] {
        b.goto(&s, "/account").await;
        b.press("Log out").await;
        b.goto(&s, "/login").await;
        b.fill("email", login).await;
        b.fill("password", DEMO_PASSWORD).await;
        b.press("Log in").await;
        assert!(
            b.body_text().await.contains("You are logged in."),
            "{login}"
        );
        if login.starts_with("coordinator") {
            // Two introductions, so that the dashboard has something to show.
            for _ in 0..2 {
                b.goto(&s, "/curation").await;
                b.press("Introduce").await;
                assert!(b
                    .body_text()
                    .await
                    .contains("Introduced: the city and the company are e-mailed."));
            }
        }
        for (path, name) in pages {
            for width in [PHONE, DESKTOP] {
                b.screenshot(&s, path, name, width).await;
            }
        }
    }
    // The fits with the first explanation open.
    for width in [PHONE, DESKTOP] {
        b.screenshot_after(
            &s,
            "/fits",
            "company-fits-why",
            width,
            Some("document.querySelector('details.why').open = true"),
        )
        .await;
    }
    b.goto(&s, "/fits").await;
    b.open_explanation(".matches").await;
    assert!(
        b.text(".matches .why").await.contains("Words in common"),
        "the demo company has fits with explanations"
    );

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    assert!(dir.join("home-phone.png").is_file());
    assert!(dir.join("challenge-desktop.png").is_file());
    assert!(dir.join("coordinator-dashboard-desktop.png").is_file());
    b.quit().await;
}
