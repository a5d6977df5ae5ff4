//! The test harness: every test gets its own application on a random port, with its own
//! database (a fresh SQLite file, or a fresh PostgreSQL database on the server named by
//! `TEST_DATABASE_URL`) and its own data directory.

use cleanmatch::config::{Config, OutboxSettings, Secret};
use cleanmatch::Application;
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub struct TestApp {
    pub address: String,
    state: Option<actix_web::web::Data<cleanmatch::state::AppState>>,
    pub client: reqwest::Client,
    pub database_url: String,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

/// A throw-away PostgreSQL database, dropped with the test.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{}{}", &base[..path_start], name, query)
}

/// A fresh database URL for one test, and the guard that drops a PostgreSQL one.
pub fn fresh_database(dir: &std::path::Path) -> (String, Option<PgDatabase>) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(admin_url) => {
            let name = format!("cm_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&admin_url)
                .expect("TEST_DATABASE_URL must reach a PostgreSQL server");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create test database");
            (
                with_database(&admin_url, &name),
                Some(PgDatabase { admin_url, name }),
            )
        }
        None => (
            dir.join("cleanmatch.db").to_string_lossy().into_owned(),
            None,
        ),
    }
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

pub fn test_config(dir: &std::path::Path, database_url: String) -> Config {
    let secret = Secret::new(format!("test-secret-{}", uuid::Uuid::new_v4().simple()));
    Config {
        token_ttl_hours: 1,
        log_level: "warn".into(),
        max_body_bytes: 64 * 1024,
        // Tests that want automatic introductions ask for them.
        auto_introduce_min_score: None,
        ..Config::with_defaults(dir, database_url, secret)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An application whose configuration `adjust` changes first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // Errors the app logs show with a failing test's output.
    cleanmatch::cli::init_tracing("warn");
    let dir = tempfile::tempdir().expect("tempdir");
    let (database_url, pg) = fresh_database(dir.path());
    let mut config = test_config(dir.path(), database_url.clone());
    adjust(&mut config);
    let app = Application::build(config).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state: Some(state),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        database_url,
        dir,
        _pg: pg,
    }
}

/// A registered user with a session.
#[derive(Debug, Clone)]
pub struct Account {
    pub token: String,
    pub user_id: String,
    pub org_id: String,
    pub email: String,
    pub password: String,
}

pub const PASSWORD: &str = "a long enough password";

impl TestApp {
    /// The in-process application's state (not for a `Server` running the binary).
    pub fn state(&self) -> &actix_web::web::Data<cleanmatch::state::AppState> {
        self.state
            .as_ref()
            .expect("an in-process app (spawn_app), not a Server")
    }

    /// Runs blocking database work on a connection of the app's pool.
    pub async fn with_db<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&mut cleanmatch::db::DbConn) -> T + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.state().pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("database connection");
            f(&mut conn)
        })
        .await
        .expect("database task")
    }

    /// Sends what the outbox holds that is due, through `mailer`, as the worker would.
    pub async fn drain_with(
        &self,
        mailer: cleanmatch::mail::Mailer,
        settings: OutboxSettings,
    ) -> cleanmatch::mail::worker::Report {
        let pool = self.state().pool.clone();
        tokio::task::spawn_blocking(move || {
            cleanmatch::mail::worker::drain_once(&pool, &mailer, &settings).expect("drain")
        })
        .await
        .expect("drain task")
    }

    /// Sends what is due to the SMTP server `sink`.
    pub async fn drain(&self, sink: &crate::smtp::SmtpSink) -> cleanmatch::mail::worker::Report {
        let mailer = cleanmatch::mail::Mailer::smtp(&sink.url(), &self.state().config.mail_from)
            .expect("mailer");
        self.drain_with(mailer, self.state().config.outbox.clone())
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request; `body` as JSON when given. Returns the status and the JSON body
    /// (`Value::Null` when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Registers an organisation of `kind` (city, company, cluster) in `country`.
    pub async fn register(&self, kind: &str, name: &str, country: &str) -> Account {
        let email = format!("{}@{}.example", uuid::Uuid::new_v4().simple(), kind);
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "name": format!("{name} contact"),
                       "organization": {"kind": kind, "name": name, "country": country}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "register: {body}");
        Account {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
            org_id: body["organization"]["id"]
                .as_str()
                .expect("org id")
                .to_owned(),
            email,
            password: PASSWORD.into(),
        }
    }

    /// Creates a challenge from `valid_challenge()` with `overrides`; returns its id.
    pub async fn create_challenge(&self, city: &Account, overrides: Value) -> String {
        let (status, body) = self
            .post(
                "/api/v1/challenges",
                Some(&city.token),
                merged(valid_challenge(), overrides),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create challenge: {body}");
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn create_solution(&self, company: &Account, overrides: Value) -> String {
        let (status, body) = self
            .post(
                "/api/v1/solutions",
                Some(&company.token),
                merged(valid_solution(), overrides),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create solution: {body}");
        body["id"].as_str().expect("id").to_owned()
    }
}

/// `base` with the keys of `overrides` replaced (a `null` override removes the key).
pub fn merged(mut base: Value, overrides: Value) -> Value {
    if let (Some(b), Some(o)) = (base.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            if v.is_null() {
                b.remove(k);
            } else {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

pub fn valid_challenge() -> Value {
    json!({
        "title": "Decarbonise the district heating network",
        "summary": "Replace coal peak boilers with large heat pumps.",
        "description": "The utility runs 1,200 km of district heating pipes and needs 80 MW of heat pumps by 2030.",
        "sectors": ["energy"],
        "plan_name": "Climate Plan 2030",
        "action_reference": "E-2.1",
        "target_year": 2030,
        "baseline_tco2e": 120000.0,
        "target_reduction_tco2e": 60000.0,
        "budget_min_eur": 1000000,
        "budget_max_eur": 5000000,
        "stage": "market_dialogue",
        "min_trl": 6,
        "co_benefits": ["air_quality"],
        "language": "en",
        "response_deadline": "2099-12-31"
    })
}

pub fn valid_solution() -> Value {
    json!({
        "title": "Large heat pumps for district heating",
        "summary": "Seawater heat pumps from 5 to 50 MW.",
        "description": "Our heat pumps lift seawater heat to 90 C for district heating networks.",
        "sectors": ["energy"],
        "trl": 9,
        "countries": ["DK", "SE"],
        "global": false,
        "reference_deployments": "Esbjerg 2023, 70 MW",
        "claimed_reduction": "100,000 t CO2e a year at Esbjerg",
        "claimed_reduction_tco2e": 100000.0,
        "price_model": "Capex plus service",
        "language": "en",
        "status": "published"
    })
}

/// Asserts the error shape and returns the `fields` object.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    code: &str,
) -> serde_json::Map<String, Value> {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["fields"]
        .as_object()
        .cloned()
        .expect("fields object")
}

/// Kills the process when dropped, so that a failing test leaves no server behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real `cleanmatch serve` binary, on its own database and data folder.
pub struct Server {
    pub app: TestApp,
    child: ChildGuard,
    secret: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg) = fresh_database(dir.path());
        let secret = format!("server-secret-{}", uuid::Uuid::new_v4().simple());
        Self::launch(dir, database_url, pg, secret).await
    }

    async fn launch(
        dir: tempfile::TempDir,
        database_url: String,
        pg: Option<PgDatabase>,
        secret: String,
    ) -> Server {
        let port = free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_cleanmatch"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &database_url)
            .env("DATA_DIR", dir.path())
            .env("JWT_SECRET", &secret)
            .env("LOG_LEVEL", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start cleanmatch serve");
        let child = ChildGuard(child);
        let app = TestApp {
            state: None,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            database_url,
            dir,
            _pg: pg,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(response) = app.client.get(app.url("/healthz")).send().await {
                if response.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "cleanmatch serve did not become healthy"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Server { app, child, secret }
    }

    /// Kills the server with SIGKILL, lets `damage` act on the index folder, starts again.
    pub async fn restart_after(self, damage: impl FnOnce(&std::path::Path)) -> Server {
        let Server { app, child, secret } = self;
        drop(child);
        damage(&app.dir.path().join("index"));
        let TestApp {
            dir,
            database_url,
            _pg,
            ..
        } = app;
        Self::launch(dir, database_url, _pg, secret).await
    }
}
