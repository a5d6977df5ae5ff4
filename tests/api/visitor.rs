//! A browser stand-in for the page tests over plain HTTP: it keeps cookies and reads the
//! CSRF token out of pages (tests/browser drives the pages in a real browser).

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use crate::helpers::*;

/// A browser stand-in: keeps cookies, reads the CSRF token out of pages.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Visitor {
            app,
            cookies: BTreeMap::new(),
        }
    }

    /// A visitor with the session cookie of `token`, as after logging in.
    pub fn logged_in(app: &'a TestApp, token: &str) -> Self {
        let mut v = Visitor::new(app);
        v.cookies.insert("cm_session".into(), token.to_owned());
        v
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

    pub async fn get(&mut self, path: &str) -> Page {
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

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
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

pub fn csrf_of(page: &Page) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).expect("a form with a CSRF token") + marker.len();
    page.body[start..]
        .split('"')
        .next()
        .expect("token")
        .to_owned()
}
