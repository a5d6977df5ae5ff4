//! `Check` collects field errors while input is turned into domain values, so that a
//! client learns about every bad field at once.

use chrono::NaiveDate;

use super::{Language, Sector};
use crate::error::FieldErrors;

#[derive(Default)]
pub struct Check {
    errors: FieldErrors,
}

fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    pub fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        self.errors.into_result(value)
    }

    /// Trimmed text of `min..=max` characters.
    pub fn required_text(
        &mut self,
        field: &str,
        v: Option<String>,
        min: usize,
        max: usize,
    ) -> String {
        match trimmed(v) {
            None => {
                self.fail(field, "is required");
                String::new()
            }
            Some(s) => {
                self.length(field, &s, min, max);
                s
            }
        }
    }

    /// Trimmed text of at most `max` characters; empty becomes `None`.
    pub fn optional_text(&mut self, field: &str, v: Option<String>, max: usize) -> Option<String> {
        let s = trimmed(v)?;
        self.length(field, &s, 0, max);
        Some(s)
    }

    fn length(&mut self, field: &str, s: &str, min: usize, max: usize) {
        let n = s.chars().count();
        if n < min {
            self.fail(field, format!("must be at least {min} characters"));
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.fail(field, "must not contain control characters");
        }
    }

    /// A code from a closed set; `None` when absent.
    pub fn code<T>(
        &mut self,
        field: &str,
        v: Option<String>,
        parse: impl Fn(&str) -> Option<T>,
        codes: impl Fn() -> String,
    ) -> Option<T> {
        let s = trimmed(v)?;
        match parse(&s) {
            Some(t) => Some(t),
            None => {
                self.fail(field, format!("must be one of: {}", codes()));
                None
            }
        }
    }

    pub fn sectors(&mut self, field: &str, v: Option<Vec<String>>) -> Vec<Sector> {
        let Some(list) = v else {
            self.fail(field, "is required: give at least one sector code");
            return Vec::new();
        };
        let mut out = Vec::new();
        for s in list {
            match Sector::parse(s.trim()) {
                Some(sector) if !out.contains(&sector) => out.push(sector),
                Some(_) => {}
                None => {
                    self.fail(
                        field,
                        format!("unknown sector {s:?}; use: {}", Sector::codes()),
                    );
                    return Vec::new();
                }
            }
        }
        if out.is_empty() {
            self.fail(field, "give at least one sector code");
        }
        out
    }

    pub fn language(&mut self, field: &str, v: Option<String>) -> Option<Language> {
        self.code(field, v, Language::parse, Language::codes)
    }

    /// An ISO 3166-1 alpha-2 code, upper-cased.
    pub fn country(&mut self, field: &str, v: Option<String>) -> Option<String> {
        let s = trimmed(v)?.to_ascii_uppercase();
        if is_country_code(&s) {
            Some(s)
        } else {
            self.fail(
                field,
                format!("{s:?} is not an ISO 3166-1 alpha-2 country code"),
            );
            None
        }
    }

    pub fn required_country(&mut self, field: &str, v: Option<String>) -> String {
        if trimmed(v.clone()).is_none() {
            self.fail(field, "is required (ISO 3166-1 alpha-2, e.g. DK)");
            return String::new();
        }
        self.country(field, v).unwrap_or_default()
    }

    pub fn trl(&mut self, field: &str, v: Option<i64>) -> Option<i32> {
        let t = v?;
        if (1..=9).contains(&t) {
            Some(t as i32)
        } else {
            self.fail(field, "must be a technology readiness level from 1 to 9");
            None
        }
    }

    pub fn int_range(&mut self, field: &str, v: Option<i64>, min: i64, max: i64) -> Option<i64> {
        let n = v?;
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            self.fail(field, format!("must be between {min} and {max}"));
            None
        }
    }

    pub fn non_negative(&mut self, field: &str, v: Option<f64>) -> Option<f64> {
        let x = v?;
        if x.is_finite() && (0.0..=1e12).contains(&x) {
            Some(x)
        } else {
            self.fail(field, "must be a number of at least 0");
            None
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&mut self, field: &str, v: Option<String>) -> Option<NaiveDate> {
        let s = trimmed(v)?;
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.fail(field, "must be a date written YYYY-MM-DD");
                None
            }
        }
    }

    /// Short lowercase tags (co-benefits, networks).
    pub fn tags(&mut self, field: &str, v: Option<Vec<String>>, max_items: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for raw in v.unwrap_or_default() {
            let tag = raw.trim().to_lowercase();
            if tag.is_empty() {
                continue;
            }
            if tag.chars().count() > 40 || tag.chars().any(|c| c.is_control()) {
                self.fail(field, "each entry must be 1 to 40 characters");
                return Vec::new();
            }
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        if out.len() > max_items {
            self.fail(field, format!("at most {max_items} entries"));
        }
        out
    }

    pub fn url(&mut self, field: &str, v: Option<String>) -> Option<String> {
        let s = self.optional_text(field, v, 300)?;
        let ok = (s.starts_with("https://") || s.starts_with("http://"))
            && s.len() > 10
            && !s.contains(char::is_whitespace);
        if !ok {
            self.fail(
                field,
                "must be a web address starting with https:// or http://",
            );
        }
        Some(s)
    }

    pub fn email(&mut self, field: &str, v: Option<String>) -> String {
        let s = self.required_text(field, v, 3, 254).to_lowercase();
        if !s.is_empty() && !email_address::EmailAddress::is_valid(&s) {
            self.fail(field, "is not a valid e-mail address");
        }
        s
    }
}

pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && isocountry::CountryCode::for_alpha2(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_bad_field() {
        let mut c = Check::new();
        c.required_text("title", Some("  ".into()), 3, 10);
        c.trl("trl", Some(10));
        c.country("country", Some("XX".into()));
        c.sectors("sectors", Some(vec!["energy".into(), "space".into()]));
        let errors = c.finish(()).expect_err("invalid");
        assert_eq!(
            errors.0.keys().collect::<Vec<_>>(),
            vec!["country", "sectors", "title", "trl"]
        );
    }

    #[test]
    fn normalises_good_values() {
        let mut c = Check::new();
        assert_eq!(c.country("c", Some("dk".into())).as_deref(), Some("DK"));
        assert_eq!(
            c.sectors(
                "s",
                Some(vec!["energy".into(), "energy".into(), "water".into()])
            ),
            vec![Sector::Energy, Sector::Water]
        );
        assert_eq!(
            c.email("e", Some(" Ana@City.Example ".into())),
            "ana@city.example"
        );
        assert!(c.finish(()).is_ok());
    }
}
