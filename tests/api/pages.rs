//! The web pages over plain HTTP: headers, cookies, CSRF, errors and a form round trip.
//! (tests/browser drives the same pages in a real browser.)

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::visitor::{csrf_of, Visitor};

async fn my_challenges(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get("/api/v1/challenges?mine=true", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn pages_are_html_with_security_headers_and_a_csrf_cookie() {
    let app = spawn_app().await;
    for path in ["/", "/challenges", "/solutions", "/login", "/register"] {
        let mut visitor = Visitor::new(&app);
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.content_type.starts_with("text/html"), "{path}");
        let csp = page.headers["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert!(page.headers.contains_key("referrer-policy"));
        assert!(
            !page.body.contains("<script>"),
            "no inline script on {path}"
        );
        let csrf = page
            .set_cookies
            .iter()
            .find(|c| c.starts_with("cm_csrf="))
            .expect("csrf cookie");
        assert!(
            csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax"),
            "{csrf}"
        );
    }
}

#[tokio::test]
async fn unknown_pages_are_friendly_html_and_the_api_keeps_its_error_shape() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("Page not found"));
    let page = visitor.get("/challenges/no-such-id").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type.starts_with("text/html"));
    let (status, body) = app.get("/api/v1/no/such/endpoint", None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let page = visitor.get("/static/app.css").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/css"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let city = app.register("city", "Aarhus", "DK").await;
    let mut visitor = Visitor::logged_in(&app, &city.token);
    let form = visitor.get("/challenges/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let good = csrf_of(&form);
    let fields = [
        ("title", "Electrify the bus depot"),
        ("summary", "Charging for 120 buses"),
        ("description", "Overnight charging at Sydhavn."),
        ("sectors", "transport"),
        ("intent", "open"),
    ];
    let refused = visitor.post("/challenges", &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Nothing was changed"));
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "00ff"));
    assert_eq!(
        visitor.post("/challenges", &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    // A token from another browser (another nonce) is refused too.
    let mut other = Visitor::new(&app);
    let theirs = csrf_of(&other.get("/login").await);
    let mut foreign = fields.to_vec();
    foreign.push(("csrf", &theirs));
    assert_eq!(
        visitor.post("/challenges", &foreign).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(my_challenges(&app, &city.token).await["total"], 0);

    let mut right = fields.to_vec();
    right.push(("csrf", &good));
    let created = visitor.post("/challenges", &right).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(my_challenges(&app, &city.token).await["total"], 1);
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_its_field_and_kept() {
    let app = spawn_app().await;
    let city = app.register("city", "Oslo", "NO").await;
    let mut visitor = Visitor::logged_in(&app, &city.token);
    let token = csrf_of(&visitor.get("/challenges/new").await);
    let page = visitor
        .post(
            "/challenges",
            &[
                ("csrf", &token),
                ("title", "Fjernvarme uten kull"),
                ("summary", ""),
                ("description", "Oslo trenger varmepumper."),
                ("sectors", "energy"),
                ("budget_min_eur", "9 000"),
                ("budget_max_eur", "a lot"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("id=\"e-summary\""),
        "summary error shown"
    );
    assert!(
        page.body.contains("id=\"e-budget_max_eur\""),
        "number error shown"
    );
    assert!(
        page.body.contains("value=\"Fjernvarme uten kull\""),
        "title kept"
    );
    assert!(
        page.body.contains("value=\"9 000\""),
        "budget kept as typed"
    );
    assert_eq!(my_challenges(&app, &city.token).await["total"], 0);
}

#[tokio::test]
async fn logging_in_sets_the_session_cookie_and_logging_out_ends_the_session() {
    let app = spawn_app().await;
    let company = app.register("company", "Fjord Heat", "NO").await;
    let mut visitor = Visitor::new(&app);
    let token = csrf_of(&visitor.get("/login?next=/solutions/new").await);
    let wrong = visitor
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("email", &company.email),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains(&format!("value=\"{}\"", company.email)));
    let ok = visitor
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("email", &company.email),
                ("password", &company.password),
                ("next", "/solutions/new"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some("/solutions/new"));
    let session = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("cm_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http: {session}");
    assert!(
        ok.set_cookies.iter().any(|c| c.starts_with("cm_csrf=")),
        "a new CSRF nonce after login"
    );
    let jwt = visitor.cookies["cm_session"].clone();
    let account = visitor.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("Fjord Heat"));
    assert!(
        account.body.contains("You are logged in."),
        "flash shown once"
    );
    assert!(!visitor
        .get("/account")
        .await
        .body
        .contains("You are logged in."));

    let token = csrf_of(&account);
    let out = visitor.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let (status, _) = app.get("/api/v1/me", Some(&jwt)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token stops working");
    let account = visitor.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER);
    assert!(account
        .location
        .is_some_and(|l| l.starts_with("/login?next=")));
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_https() {
    let app = spawn_app_with(|c| c.public_url = "https://cleanmatch.example".into()).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/login").await;
    let csrf = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("cm_csrf="))
        .expect("csrf cookie");
    assert!(csrf.contains("Secure"), "{csrf}");
}

#[tokio::test]
async fn pages_refuse_the_wrong_kind_of_organisation() {
    let app = spawn_app().await;
    let company = app.register("company", "Fjord Heat", "NO").await;
    let city = app.register("city", "Bergen", "NO").await;
    let id = app.create_challenge(&city, serde_json::json!({})).await;
    let mut visitor = Visitor::logged_in(&app, &company.token);
    let page = visitor.get("/challenges/new").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.content_type.starts_with("text/html"));
    // The draft of another city is not even visible.
    assert_eq!(
        visitor.get(&format!("/challenges/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        visitor.get(&format!("/challenges/{id}/edit")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Marks an organisation verified, as a platform admin would.
async fn verify_org(app: &TestApp, org_id: &str) {
    use cleanmatch::db::schema::organizations;
    use diesel::prelude::*;
    let id = org_id.to_owned();
    app.with_db(move |conn| {
        diesel::update(organizations::table.find(&id))
            .set(organizations::verified.eq(true))
            .execute(conn)
            .expect("verify")
    })
    .await;
}

/// E-mails queued to `address` from `template` (the outbox, before any worker sends them).
async fn queued(app: &TestApp, address: &str, template: &str) -> i64 {
    use cleanmatch::db::schema::outbox;
    use diesel::prelude::*;
    let (address, template) = (address.to_owned(), template.to_owned());
    app.with_db(move |conn| {
        outbox::table
            .filter(outbox::to_address.eq(&address))
            .filter(outbox::template.eq(&template))
            .count()
            .get_result::<i64>(conn)
            .expect("count")
    })
    .await
}

/// A verified cluster whose member company's published solution fits a city's open
/// challenge (the match waits in the queue), and a second verified cluster.
struct Curation {
    app: TestApp,
    city: Account,
    company: Account,
    coordinator: Account,
    other_coordinator: Account,
    challenge: String,
    match_id: String,
}

async fn curation_world() -> Curation {
    let app = spawn_app().await;
    let city = app.register("city", "Copenhagen", "DK").await;
    let company = app.register("company", "Heat A/S", "DK").await;
    let coordinator = app
        .register("cluster", "Danish Cleantech Cluster", "DK")
        .await;
    let other_coordinator = app.register("cluster", "Other Cluster", "SE").await;
    verify_org(&app, &coordinator.org_id).await;
    verify_org(&app, &other_coordinator.org_id).await;
    let (status, membership) = app
        .post(
            &format!("/api/v1/clusters/{}/memberships", coordinator.org_id),
            Some(&company.token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{membership}");
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/memberships/{}/accept",
                membership["id"].as_str().expect("id")
            ),
            Some(&coordinator.token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.create_solution(
        &company,
        serde_json::json!({
            "title": "Large heat pumps for district heating",
            "summary": "Heat pumps that feed district heating networks with waste heat.",
            "description": "We deliver large heat pumps for district heating networks, replacing coal boilers.",
            "global": true
        }),
    )
    .await;
    let challenge = app
        .create_challenge(
            &city,
            serde_json::json!({
                "title": "Heat pumps for the district heating network",
                "summary": "Replace coal boilers in district heating with heat pumps.",
                "status": "open"
            }),
        )
        .await;
    let (status, body) = app
        .get("/api/v1/curation/queue", Some(&coordinator.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let match_id = body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a match waits in the queue: {body}"))
        .to_owned();
    Curation {
        app,
        city,
        company,
        coordinator,
        other_coordinator,
        challenge,
        match_id,
    }
}

impl Curation {
    async fn match_status(&self) -> String {
        let (status, body) = self
            .app
            .get(
                &format!("/api/v1/matches/{}", self.match_id),
                Some(&self.coordinator.token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["status"].as_str().expect("status").to_owned()
    }

    fn visitor(&self, who: &Account) -> Visitor<'_> {
        Visitor::logged_in(&self.app, &who.token)
    }
}

#[tokio::test]
async fn only_coordinators_see_the_queue_the_members_and_the_dashboard() {
    let w = curation_world().await;
    let mut company = w.visitor(&w.company);
    for path in ["/curation", "/cluster/members", "/dashboard"] {
        let page = company.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.content_type.starts_with("text/html"), "{path}");
        assert!(page.body.contains("You cannot do this here"), "{path}");
    }
    let mut anonymous = Visitor::new(&w.app);
    let page = anonymous.get("/curation").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fcuration"));

    let mut coordinator = w.visitor(&w.coordinator);
    let queue = coordinator.get("/curation").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue
        .body
        .contains("Heat pumps for the district heating network"));
    assert!(queue.body.contains("Heat A/S"));
    assert!(
        queue.body.contains("Why it fits"),
        "the explanation is shown"
    );
    assert!(queue.body.contains("Words in common"));
    assert!(queue
        .body
        .contains(&format!("value=\"introduce:{}\"", w.match_id)));
    // Filters: another sector leaves nothing; the city keeps the match.
    let energy_less = coordinator.get("/curation?sector=transport").await;
    assert!(energy_less.body.contains("Nothing waits for a decision"));
    let by_city = coordinator
        .get(&format!("/curation?city={}", w.city.org_id))
        .await;
    assert!(by_city.body.contains(&w.match_id));

    let dashboard = coordinator.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    for words in [
        "<svg",
        "role=\"img\"",
        "From suggestion to award",
        "Open challenges by sector",
        "Time from posting a challenge to its first introduction",
        "New matches per week",
    ] {
        assert!(dashboard.body.contains(words), "dashboard: {words}");
    }
    assert!(!dashboard.body.contains("style="), "no inline styles");
}

#[tokio::test]
async fn a_coordinator_of_another_cluster_cannot_introduce_and_nothing_changes() {
    let w = curation_world().await;
    let mut other = w.visitor(&w.other_coordinator);
    let token = csrf_of(&other.get("/curation").await);
    let one = format!("introduce:{}", w.match_id);
    let refused = other
        .post("/curation", &[("csrf", &token), ("one", &one)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("not a member of your cluster"));
    let bulk = other
        .post(
            "/curation",
            &[
                ("csrf", &token),
                ("action", "introduce"),
                ("match", &w.match_id),
            ],
        )
        .await;
    assert_eq!(bulk.status, StatusCode::FORBIDDEN);
    assert_eq!(w.match_status().await, "suggested");
    assert_eq!(queued(&w.app, &w.city.email, "introduction_city").await, 0);

    // The company's own coordinator introduces it: both sides get their e-mail queued.
    let mut coordinator = w.visitor(&w.coordinator);
    let token = csrf_of(&coordinator.get("/curation").await);
    let done = coordinator
        .post(
            "/curation",
            &[("csrf", &token), ("one", &one), ("sector", "energy")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/curation?sector=energy"));
    assert_eq!(w.match_status().await, "introduced");
    assert_eq!(queued(&w.app, &w.city.email, "introduction_city").await, 1);
    assert_eq!(
        queued(&w.app, &w.company.email, "introduction_company").await,
        1
    );
    let after = coordinator.get("/curation?sector=energy").await;
    assert!(after
        .body
        .contains("Introduced: the city and the company are e-mailed."));
    assert!(!after.body.contains(&one), "it left the queue");

    let (status, stats) = w
        .app
        .get("/api/v1/curation/stats", Some(&w.coordinator.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["funnel"]["suggested"], 1);
    assert_eq!(stats["funnel"]["introduced"], 1);
    assert_eq!(stats["time_to_introduction"]["challenges"], 1);
    assert_eq!(stats["time_to_introduction"]["buckets"][0]["count"], 1);
    let (status, _) = w
        .app
        .get("/api/v1/curation/stats", Some(&w.company.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_new_forms_refuse_a_missing_csrf_token_and_change_nothing() {
    let w = curation_world().await;
    let mut coordinator = w.visitor(&w.coordinator);
    let one = format!("introduce:{}", w.match_id);
    let refused = coordinator.post("/curation", &[("one", &one)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Nothing was changed"));
    assert_eq!(w.match_status().await, "suggested");

    let (status, response) = w
        .app
        .post(
            &format!("/api/v1/challenges/{}/responses", w.challenge),
            Some(&w.company.token),
            serde_json::json!({"solution_id": solution_of(&w).await, "message": "We can help."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    let response_id = response["id"].as_str().expect("id");
    let mut city = w.visitor(&w.city);
    let refused = city
        .post(
            &format!("/responses/{response_id}/decision"),
            &[("to", "shortlisted")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(response_status(&w, response_id).await, "submitted");

    let mut company = w.visitor(&w.company);
    let refused = company
        .post(
            &format!("/clusters/{}/join", w.other_coordinator.org_id),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (_, mine) = w
        .app
        .get("/api/v1/me/memberships", Some(&w.company.token))
        .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
}

async fn solution_of(w: &Curation) -> String {
    let (_, body) = w
        .app
        .get("/api/v1/solutions?mine=true", Some(&w.company.token))
        .await;
    body["items"][0]["id"]
        .as_str()
        .expect("solution")
        .to_owned()
}

async fn response_status(w: &Curation, id: &str) -> String {
    let (_, body) = w
        .app
        .get(
            &format!("/api/v1/challenges/{}/responses", w.challenge),
            Some(&w.city.token),
        )
        .await;
    body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["id"] == id))
        .and_then(|r| r["status"].as_str())
        .expect("the response")
        .to_owned()
}

#[tokio::test]
async fn bad_input_on_the_new_forms_is_named_next_to_its_field() {
    let w = curation_world().await;
    let mut coordinator = w.visitor(&w.coordinator);
    let token = csrf_of(&coordinator.get("/curation").await);
    let page = coordinator
        .post("/curation", &[("csrf", &token), ("action", "")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("id=\"e-match\""),
        "selection error shown"
    );
    assert!(page.body.contains("Select at least one match"));
    assert!(page.body.contains("id=\"e-action\""), "action error shown");
    let page = coordinator
        .post(
            "/curation",
            &[
                ("csrf", &token),
                ("action", "celebrate"),
                ("match", &w.match_id),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Must be approve, dismiss or introduce"));
    assert!(
        page.body
            .contains(&format!("value=\"{}\" checked", w.match_id)),
        "the selection is kept"
    );
    assert_eq!(w.match_status().await, "suggested");
    let page = coordinator.get("/curation?sector=nuclear").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"e-sector\""));

    // Forgot password: a malformed address is named, a good one queues the e-mail.
    let mut visitor = Visitor::new(&w.app);
    let token = csrf_of(&visitor.get("/forgot-password").await);
    let page = visitor
        .post(
            "/forgot-password",
            &[("csrf", &token), ("email", "not-an-address")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"e-email\""));
    assert!(page.body.contains("value=\"not-an-address\""));
    assert_eq!(queued(&w.app, &w.city.email, "password_reset").await, 0);
    let sent = visitor
        .post(
            "/forgot-password",
            &[("csrf", &token), ("email", &w.city.email)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location.as_deref(), Some("/login"));
    assert_eq!(queued(&w.app, &w.city.email, "password_reset").await, 1);
    let login = visitor.get("/login").await;
    assert!(login.body.contains("is on its way"));
    assert!(login.body.contains("href=\"/forgot-password\""));
}

#[tokio::test]
async fn a_city_decides_on_responses_from_its_challenge_page() {
    let w = curation_world().await;
    let solution = solution_of(&w).await;
    let (status, response) = w
        .app
        .post(
            &format!("/api/v1/challenges/{}/responses", w.challenge),
            Some(&w.company.token),
            serde_json::json!({"solution_id": solution, "message": "We delivered 70 MW in Esbjerg."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    let id = response["id"].as_str().expect("id").to_owned();
    let path = format!("/responses/{id}/decision");

    // The company that responded cannot decide on it.
    let mut company = w.visitor(&w.company);
    let token = csrf_of(&company.get("/fits").await);
    let refused = company
        .post(&path, &[("csrf", &token), ("to", "awarded")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut city = w.visitor(&w.city);
    let page = city.get(&format!("/challenges/{}", w.challenge)).await;
    assert!(page.body.contains("Solutions that fit"));
    assert!(page.body.contains("Large heat pumps for district heating"));
    assert!(page.body.contains(&format!("action=\"{path}\"")));
    let token = csrf_of(&page);
    let bad = city.post(&path, &[("csrf", &token), ("to", "hired")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("to: must be one of"), "{}", bad.body);
    // Awarding needs a shortlist first: refused with a message, nothing changes.
    let early = city
        .post(
            &path,
            &[
                ("csrf", &token),
                ("to", "awarded"),
                ("challenge_id", &w.challenge),
            ],
        )
        .await;
    assert_eq!(early.status, StatusCode::SEE_OTHER);
    assert_eq!(response_status(&w, &id).await, "submitted");
    let page = city.get(&format!("/challenges/{}", w.challenge)).await;
    assert!(page
        .body
        .contains("A submitted response cannot become awarded"));

    let done = city
        .post(&path, &[("csrf", &token), ("to", "shortlisted")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location,
        Some(format!("/challenges/{}#responses", w.challenge))
    );
    assert_eq!(response_status(&w, &id).await, "shortlisted");
    assert_eq!(
        queued(&w.app, &w.company.email, "response_decision").await,
        1
    );
    let page = city.get(&format!("/challenges/{}", w.challenge)).await;
    assert!(page.body.contains("Heat A/S is on the shortlist"));
    city.post(&path, &[("csrf", &token), ("to", "awarded")])
        .await;
    assert_eq!(response_status(&w, &id).await, "awarded");
}

#[tokio::test]
async fn companies_ask_to_join_and_coordinators_accept_on_the_pages() {
    let app = spawn_app().await;
    let company = app.register("company", "Vind ApS", "DK").await;
    let coordinator = app.register("cluster", "Wind Cluster", "DK").await;
    verify_org(&app, &coordinator.org_id).await;
    let mut visitor = Visitor::logged_in(&app, &company.token);
    let page = visitor.get("/clusters").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Wind Cluster"));
    let token = csrf_of(&page);
    let join = format!("/clusters/{}/join", coordinator.org_id);
    let asked = visitor.post(&join, &[("csrf", &token)]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let page = visitor.get("/clusters").await;
    assert!(page.body.contains("You asked to join Wind Cluster"));
    assert!(page.body.contains("Waiting for a decision"));
    let again = visitor.post(&join, &[("csrf", &token)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(visitor
        .get("/clusters")
        .await
        .body
        .contains("membership is pending already"));

    let mut coordinator_visitor = Visitor::logged_in(&app, &coordinator.token);
    let members = coordinator_visitor.get("/cluster/members").await;
    assert!(members.body.contains("Vind ApS"));
    let (_, list) = app
        .get(
            &format!("/api/v1/clusters/{}/memberships", coordinator.org_id),
            Some(&coordinator.token),
        )
        .await;
    let membership = list["items"][0]["id"].as_str().expect("id").to_owned();
    let token = csrf_of(&members);
    let done = coordinator_visitor
        .post(
            &format!("/memberships/{membership}/decision"),
            &[("csrf", &token), ("to", "accepted")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let (_, mine) = app
        .get("/api/v1/me/memberships", Some(&company.token))
        .await;
    assert_eq!(mine["items"][0]["status"], "accepted");
    let page = coordinator_visitor.get("/cluster/members").await;
    assert!(page.body.contains("Vind ApS is a member now"));
    assert!(visitor
        .get("/clusters")
        .await
        .body
        .contains("Your company is a member"));
}

#[tokio::test]
async fn a_company_sees_the_challenges_that_fit_its_solutions() {
    let w = curation_world().await;
    let mut company = w.visitor(&w.company);
    let page = company.get("/fits").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Heat pumps for the district heating network"));
    assert!(page.body.contains("Why it fits"));
    assert!(page
        .body
        .contains(&format!("href=\"/challenges/{}#respond\"", w.challenge)));
    let mut city = w.visitor(&w.city);
    assert_eq!(city.get("/fits").await.status, StatusCode::FORBIDDEN);
}
