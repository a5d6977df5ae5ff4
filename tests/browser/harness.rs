//! The real `cleanmatch` binary on its own database, driven by headless Chromium through
//! chromedriver (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::db::{fresh_database, PgDatabase};

/// Chromium must not look anything up on the network, or it hangs at start.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

pub const PHONE: u32 = 390;
pub const DESKTOP: u32 = 1280;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    candidates.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Kills a child and everything it started (it leads its own process group), by the
/// group's id through the system call: never through a `kill` program, whose parsing of a
/// negative id is not to be trusted (one here turns `-164` into `-1`: every process).
fn kill_group(child: &mut Child) {
    // Not yet reaped, so the id cannot belong to anyone else.
    let group = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

fn spawn_in_own_group(cmd: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0).spawn().expect("spawn")
}

/// One `cleanmatch serve` process with its own data dir and database.
pub struct Server {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    database_url: String,
    secret: String,
    _pg: Option<PgDatabase>,
}

impl Server {
    pub async fn start(demo: bool) -> Server {
        Self::start_with(demo, &[]).await
    }

    /// A server with extra environment variables (e.g. `SMTP_URL`).
    pub async fn start_with(demo: bool, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg) = fresh_database(dir.path());
        let port = free_port();
        let secret = format!("browser-test-secret-{}", uuid::Uuid::new_v4().simple());
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cleanmatch"));
        cmd.arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .env("DATA_DIR", dir.path())
            .env("DATABASE_URL", &database_url)
            .env("JWT_SECRET", &secret)
            .env("LOG_LEVEL", "warn")
            .env_remove("BIND")
            .env_remove("PUBLIC_URL")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if demo {
            cmd.arg("--demo");
        }
        let child = spawn_in_own_group(&mut cmd);
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
            database_url,
            secret,
            _pg: pg,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "cleanmatch did not start: {}",
                std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Calls the JSON API (to set up a scene or check what was stored).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = client.request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            self.url(path),
        );
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("api call");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        if status >= 500 {
            // the server's own account of it, for the failure message
            eprintln!(
                "{method} {path} answered {status}; server log:\n{}",
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
            );
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a platform admin with `cleanmatch admin create-admin` on this server's
    /// database, and returns its e-mail address (the password is `PASSWORD`).
    pub async fn platform_admin(&self) -> String {
        let email = format!("{}@admin.example", uuid::Uuid::new_v4().simple());
        let out = Command::new(env!("CARGO_BIN_EXE_cleanmatch"))
            .args([
                "admin",
                "create-admin",
                "--email",
                &email,
                "--password",
                PASSWORD,
            ])
            .env("DATA_DIR", self.dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SECRET", &self.secret)
            .env("LOG_LEVEL", "warn")
            .output()
            .expect("run cleanmatch admin create-admin");
        assert!(
            out.status.success(),
            "create-admin: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        email
    }

    /// Registers an organisation through the API; returns (email, token).
    pub async fn register(&self, kind: &str, name: &str, country: &str) -> (String, String) {
        let email = format!("{}@{kind}.example", uuid::Uuid::new_v4().simple());
        let (status, body) = self
            .api(
                "POST",
                "/api/v1/auth/register",
                None,
                Some(
                    json!({"email": email, "password": PASSWORD, "name": format!("{name} contact"),
                            "organization": {"kind": kind, "name": name, "country": country}}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (email, body["token"].as_str().expect("token").to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

pub const PASSWORD: &str = "a long enough password";

/// chromedriver and the Chromium it starts, with a fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Option<Child>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (with a notice) when Chromium is not installed outside CI; in CI a missing
    /// browser fails the test.
    pub async fn launch() -> Option<Browser> {
        let driver_path = find_program("CHROMEDRIVER", &["chromedriver"]);
        let chromium = find_program(
            "CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let (Some(driver_path), Some(chromium)) = (driver_path, chromium) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "browser tests need Debian's chromium and chromium-driver (see .ci/run)"
            );
            eprintln!("skipping a browser test: install chromium and chromium-driver to run it");
            return None;
        };
        let port = free_port();
        let mut cmd = Command::new(driver_path);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let driver = spawn_in_own_group(&mut cmd);
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={DESKTOP},900"));
        let caps = json!({
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let caps = caps.as_object().cloned().expect("object");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        started.elapsed() < Duration::from_secs(60),
                        "chromedriver did not start: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Some(Browser {
            client,
            driver: Some(driver),
            _profile: profile,
        })
    }

    pub async fn goto(&self, server: &Server, path: &str) {
        self.client.goto(&server.url(path)).await.expect("goto");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Types into the field named `name` (replacing what is there).
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("form [name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("field {name}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    pub async fn select(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("select {name}: {e}"))
            .select_by_value(value)
            .await
            .expect("select");
    }

    pub async fn check(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!(
                "input[name=\"{name}\"][value=\"{value}\"]"
            )))
            .await
            .unwrap_or_else(|e| panic!("choice {name}={value}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks the button whose text is `label` and waits for the next page.
    pub async fn press(&self, label: &str) {
        let button = self
            .client
            .find(Locator::XPath(&format!(
                "//button[normalize-space(.)=\"{label}\"]"
            )))
            .await
            .unwrap_or_else(|e| panic!("button {label:?}: {e}"));
        // A post may land on the same address again: mark this document, and wait for
        // one without the mark.
        self.client
            .execute(
                "document.documentElement.setAttribute('data-old-page', '1')",
                vec![],
            )
            .await
            .expect("mark the page");
        button.click().await.expect("click");
        self.wait_for_new_page().await;
    }

    /// Clicks the button `label`, accepts the confirmation it asks for, and waits for the
    /// next page.
    pub async fn press_and_confirm(&self, label: &str) {
        let button = self
            .client
            .find(Locator::XPath(&format!(
                "//button[normalize-space(.)=\"{label}\"]"
            )))
            .await
            .unwrap_or_else(|e| panic!("button {label:?}: {e}"));
        self.client
            .execute(
                "document.documentElement.setAttribute('data-old-page', '1')",
                vec![],
            )
            .await
            .expect("mark the page");
        button.click().await.expect("click");
        let started = Instant::now();
        loop {
            match self.client.accept_alert().await {
                Ok(()) => break,
                Err(e) => assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "no confirmation was asked for {label:?}: {e}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.wait_for_new_page().await;
    }

    /// Opens the first "Why it fits" of the page (a click, as a person would).
    pub async fn open_explanation(&self, within: &str) {
        self.client
            .find(Locator::Css(&format!("{within} details.why > summary")))
            .await
            .unwrap_or_else(|e| panic!("an explanation in {within}: {e}"))
            .click()
            .await
            .expect("open the explanation");
    }

    pub async fn wait_for_new_page(&self) {
        let started = Instant::now();
        loop {
            let loaded = self
                .client
                .execute(
                    "return document.readyState === 'complete' && \
                     !document.documentElement.hasAttribute('data-old-page')",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the next page did not load"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    /// Saves the current page, whole, at `width` under target/screenshots/NAME-{phone,desktop}.png.
    pub async fn screenshot(&self, server: &Server, path: &str, name: &str, width: u32) {
        self.screenshot_after(server, path, name, width, None).await;
    }

    /// As `screenshot`, after running `script` on the page (e.g. to open a `<details>`).
    pub async fn screenshot_after(
        &self,
        server: &Server,
        path: &str,
        name: &str,
        width: u32,
        script: Option<&str>,
    ) {
        self.client
            .set_window_size(width, 900)
            .await
            .expect("resize");
        self.goto(server, path).await;
        if let Some(script) = script {
            self.client
                .execute(script, vec![])
                .await
                .expect("prepare the page");
        }
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .expect("height")
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 4000) as u32;
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let size = if width <= PHONE { "phone" } else { "desktop" };
        std::fs::write(dir.join(format!("{name}-{size}.png")), png).expect("write screenshot");
        self.client
            .set_window_size(DESKTOP, 900)
            .await
            .expect("resize");
    }

    /// Ends the browser session (Chromium quits) and then chromedriver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        if let Some(mut driver) = self.driver.take() {
            kill_group(&mut driver);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            kill_group(&mut driver);
        }
    }
}
