//! Form posts from the pages: `Form` reads an urlencoded body and refuses it (403, before
//! the handler runs) unless it carries the CSRF token of this browser; `FormState` carries
//! what the user typed and the message per field back into a form shown again.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;

use super::session::{self, CSRF_COOKIE, CSRF_FIELD};
use super::PageError;
use crate::error::{ApiError, FieldErrors};
use crate::state::AppState;

/// The fields of a posted form, in order; a name may repeat (checkboxes).
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Fields {
        Fields(pairs)
    }

    /// The first value given for `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every value given for `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The value of `name` when it is not blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }
}

/// A form post that carried this browser's CSRF token.
pub struct Form(pub Fields);

impl FromRequest for Form {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let nonce = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
        let urlencoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let mut payload = payload.take();
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            if !urlencoded {
                return Err(ApiError::UnsupportedMediaType(
                    "send the form as application/x-www-form-urlencoded".into(),
                )
                .into());
            }
            let limit = state.config.max_body_bytes;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest {
                    code: "bad_body",
                    message: format!("the form could not be read: {e}"),
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit }.into());
                }
                body.extend_from_slice(&chunk);
            }
            let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let fields = Fields(pairs);
            let token = fields.get(CSRF_FIELD);
            if !session::csrf_valid(
                state.config.jwt_secret.expose(),
                nonce.as_deref(),
                token.as_deref(),
            ) {
                tracing::warn!("form refused: missing or wrong CSRF token");
                return Err(PageError::BadCsrf);
            }
            Ok(Form(fields))
        })
    }
}

/// A form's values (as typed, or from the stored record) and its errors per field.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    values: BTreeMap<String, Vec<String>>,
    errors: BTreeMap<String, String>,
}

impl FormState {
    pub fn new() -> FormState {
        FormState::default()
    }

    pub fn from_fields(fields: &Fields) -> FormState {
        let mut state = FormState::new();
        for (k, v) in &fields.0 {
            if k != CSRF_FIELD {
                state.values.entry(k.clone()).or_default().push(v.clone());
            }
        }
        state
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_owned(), vec![value.into()]);
    }

    pub fn set_opt<T: ToString>(&mut self, name: &str, value: Option<T>) {
        if let Some(v) = value {
            self.set(name, v.to_string());
        }
    }

    pub fn set_all(&mut self, name: &str, values: Vec<String>) {
        self.values.insert(name.to_owned(), values);
    }

    pub fn with_errors(mut self, errors: &FieldErrors) -> FormState {
        for (k, v) in &errors.0 {
            self.errors.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }

    pub fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Whether `option` is among the values of `name` (checkboxes, selects).
    pub fn has(&self, name: &str, option: &str) -> bool {
        self.values
            .get(name)
            .is_some_and(|v| v.iter().any(|x| x == option))
    }

    pub fn has_error(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }

    /// The message for `name`, as a sentence under the field's label.
    pub fn error(&self, name: &str) -> String {
        let Some(message) = self.errors.get(name) else {
            return String::new();
        };
        let sentence = match message.strip_prefix("is required") {
            Some(rest) => format!("Please fill this in{rest}"),
            None => super::capitalise(message),
        };
        if sentence.ends_with('.') {
            sentence
        } else {
            format!("{sentence}.")
        }
    }

    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// Errors for fields the form does not show (they go in the summary at the top).
    pub fn other_errors(&self, shown: &[&str]) -> Vec<String> {
        self.errors
            .keys()
            .filter(|k| !shown.contains(&k.as_str()))
            .map(|k| format!("{}: {}", k, self.error(k)))
            .collect()
    }
}

/// Whole numbers as people type them ("250 000", "250000"); `Err` names the field.
pub fn parse_int(errors: &mut FieldErrors, name: &str, value: Option<String>) -> Option<i64> {
    let v = value?;
    let cleaned: String = v
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '\u{202f}')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    match cleaned.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(name, "must be a whole number, e.g. 250000");
            None
        }
    }
}

/// Decimal numbers; a comma as the decimal mark is accepted too.
pub fn parse_number(errors: &mut FieldErrors, name: &str, value: Option<String>) -> Option<f64> {
    let v = value?;
    let mut cleaned: String = v
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '\u{202f}')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    if !cleaned.contains('.') && cleaned.matches(',').count() == 1 {
        cleaned = cleaned.replace(',', ".");
    }
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            errors.add(name, "must be a number, e.g. 1200.5");
            None
        }
    }
}

/// A list typed as text: separated by commas, semicolons or new lines.
pub fn split_list(value: Option<String>) -> Option<Vec<String>> {
    let v = value?;
    Some(
        v.split([',', ';', '\n'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them() {
        let mut e = FieldErrors::new();
        assert_eq!(
            parse_int(&mut e, "a", Some("1 250 000".into())),
            Some(1_250_000)
        );
        assert_eq!(parse_int(&mut e, "a", Some("  ".into())), None);
        assert_eq!(parse_number(&mut e, "b", Some("12,5".into())), Some(12.5));
        assert!(e.is_empty());
        assert_eq!(parse_int(&mut e, "c", Some("lots".into())), None);
        assert!(e.0.contains_key("c"));
        assert_eq!(
            split_list(Some("air quality, jobs;\nhealth".into())),
            Some(vec!["air quality".into(), "jobs".into(), "health".into()])
        );
    }

    #[test]
    fn messages_read_as_sentences() {
        let state = FormState::new().with_errors(&FieldErrors::single("title", "is required"));
        assert_eq!(state.error("title"), "Please fill this in.");
        assert_eq!(state.error("summary"), "");
    }
}
