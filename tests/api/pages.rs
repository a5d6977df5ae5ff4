//! The web pages over plain HTTP: headers, cookies, CSRF, errors and a form round trip.
//! (tests/browser drives the same pages in a real browser.)

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// A browser stand-in: keeps cookies, reads the CSRF token out of pages.
struct Visitor<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl<'a> Visitor<'a> {
    fn new(app: &'a TestApp) -> Self {
        Visitor {
            app,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page {
            status: response.status(),
            location: headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            content_type: headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            set_cookies,
            headers,
            body: response.text().await.expect("body"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("get");
        self.finish(response).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        self.finish(response).await
    }
}

fn csrf_of(page: &Page) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
    page.body[start..]
        .split('"')
        .next()
        .expect("token")
        .to_owned()
}

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
    let mut visitor = Visitor::new(&app);
    visitor
        .cookies
        .insert("cm_session".into(), city.token.clone());
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
    let mut visitor = Visitor::new(&app);
    visitor
        .cookies
        .insert("cm_session".into(), city.token.clone());
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
    let mut visitor = Visitor::new(&app);
    visitor
        .cookies
        .insert("cm_session".into(), company.token.clone());
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
