//! The e-mails, each a folder `templates/email/<name>/` with `subject.txt`, `body.txt`
//! and `body.html`, rendered by askama (checked at compile time; `.html` is HTML-escaped,
//! `.txt` is not). Each template has a typed context; links in it are absolute.

use askama::Template;

use crate::domain::ResponseStatus;

/// An e-mail to render: which template, with its context.
#[derive(Debug, Clone)]
pub enum EmailTemplate {
    VerifyEmail(VerifyEmail),
    PasswordReset(PasswordReset),
    ResponseReceived(ResponseReceived),
    ResponseDecision(ResponseDecision),
    Digest(Digest),
    IntroductionToCity(IntroductionToCity),
    IntroductionToCompany(IntroductionToCompany),
}

/// Which preference decides whether an e-mail goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// About the account itself (verification, password reset): always sent.
    Account,
    /// Something happened that needs the reader (a response, a decision, an
    /// introduction): sent unless the user turned notifications off.
    Activity,
    /// New matches, one by one or in a digest: per the user's notification mode.
    NewMatches,
}

#[derive(Debug, Clone)]
pub struct VerifyEmail {
    pub name: String,
    pub link: String,
}

#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub name: String,
    pub link: String,
}

/// To a city: a company responded to its challenge.
#[derive(Debug, Clone)]
pub struct ResponseReceived {
    pub name: String,
    pub challenge_title: String,
    pub company_name: String,
    pub solution_title: String,
    pub message: String,
    pub link: String,
}

/// To a company: the city shortlisted, declined or awarded its response.
#[derive(Debug, Clone)]
pub struct ResponseDecision {
    pub name: String,
    pub decision: ResponseStatus,
    pub challenge_title: String,
    pub city_name: String,
    pub solution_title: String,
    pub link: String,
}

#[derive(Debug, Clone)]
pub struct Digest {
    pub name: String,
    /// "Sunday 22 November 2026" or "the week of 16 November 2026".
    pub period_label: String,
    pub items: Vec<DigestItem>,
    /// New matches beyond the ones listed.
    pub more: usize,
    pub link: String,
}

/// One new match, seen from the reader's side.
#[derive(Debug, Clone)]
pub struct DigestItem {
    /// The reader's own challenge or solution.
    pub own_title: String,
    /// The other side's solution or challenge, and its organisation.
    pub other_title: String,
    pub other_org: String,
    pub score: i64,
    pub link: String,
}

/// To a city: a solution was introduced to its challenge.
#[derive(Debug, Clone)]
pub struct IntroductionToCity {
    pub name: String,
    pub challenge_title: String,
    pub solution_title: String,
    pub solution_summary: String,
    pub company_name: String,
    pub company_country: String,
    pub company_website: Option<String>,
    pub score: i64,
    /// Why it fits, in words, one reason a line.
    pub reasons: Vec<String>,
    pub solution_link: String,
    pub challenge_link: String,
}

/// To a company: its solution was introduced to a city's challenge.
#[derive(Debug, Clone)]
pub struct IntroductionToCompany {
    pub name: String,
    pub challenge_title: String,
    pub challenge_summary: String,
    pub city_name: String,
    pub city_country: String,
    pub solution_title: String,
    pub deadline: Option<String>,
    pub score: i64,
    pub reasons: Vec<String>,
    pub challenge_link: String,
    pub respond_link: String,
}

/// What every e-mail ends with.
#[derive(Debug, Clone)]
pub struct Footer {
    pub unsubscribe_url: String,
    pub public_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl EmailTemplate {
    /// The template folder's name, stored with each outbox row.
    pub fn name(&self) -> &'static str {
        match self {
            EmailTemplate::VerifyEmail(_) => "verify_email",
            EmailTemplate::PasswordReset(_) => "password_reset",
            EmailTemplate::ResponseReceived(_) => "response_received",
            EmailTemplate::ResponseDecision(_) => "response_decision",
            EmailTemplate::Digest(_) => "digest",
            EmailTemplate::IntroductionToCity(_) => "introduction_city",
            EmailTemplate::IntroductionToCompany(_) => "introduction_company",
        }
    }

    pub fn category(&self) -> Category {
        match self {
            EmailTemplate::VerifyEmail(_) | EmailTemplate::PasswordReset(_) => Category::Account,
            EmailTemplate::Digest(_) => Category::NewMatches,
            EmailTemplate::ResponseReceived(_)
            | EmailTemplate::ResponseDecision(_)
            | EmailTemplate::IntroductionToCity(_)
            | EmailTemplate::IntroductionToCompany(_) => Category::Activity,
        }
    }

    pub fn render(&self, footer: &Footer) -> askama::Result<Rendered> {
        match self {
            EmailTemplate::VerifyEmail(c) => c.render_parts(footer),
            EmailTemplate::PasswordReset(c) => c.render_parts(footer),
            EmailTemplate::ResponseReceived(c) => c.render_parts(footer),
            EmailTemplate::ResponseDecision(c) => c.render_parts(footer),
            EmailTemplate::Digest(c) => c.render_parts(footer),
            EmailTemplate::IntroductionToCity(c) => c.render_parts(footer),
            EmailTemplate::IntroductionToCompany(c) => c.render_parts(footer),
        }
    }
}

/// A subject is one line: header injection is impossible and long titles stay readable.
fn one_line(s: &str) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 180 {
        let cut: String = line.chars().take(177).collect();
        format!("{cut}...")
    } else {
        line
    }
}

trait RenderParts {
    fn render_parts(&self, footer: &Footer) -> askama::Result<Rendered>;
}

/// Binds a context type to its template folder: three askama templates that see the
/// context as `c` and the footer as `footer`.
macro_rules! email_template {
    ($ctx:ident, $subject:tt, $text:tt, $html:tt) => {
        impl RenderParts for $ctx {
            fn render_parts(&self, footer: &Footer) -> askama::Result<Rendered> {
                #[derive(Template)]
                #[template(path = $subject)]
                #[allow(dead_code)] // some subjects are fixed text
                struct Subject<'a> {
                    c: &'a $ctx,
                }
                #[derive(Template)]
                #[template(path = $text)]
                struct Text<'a> {
                    c: &'a $ctx,
                    footer: &'a Footer,
                }
                #[derive(Template)]
                #[template(path = $html)]
                struct Html<'a> {
                    c: &'a $ctx,
                    footer: &'a Footer,
                }
                Ok(Rendered {
                    subject: one_line(&Subject { c: self }.render()?),
                    text: Text { c: self, footer }.render()?,
                    html: Html { c: self, footer }.render()?,
                })
            }
        }
    };
}

email_template!(
    VerifyEmail,
    "email/verify_email/subject.txt",
    "email/verify_email/body.txt",
    "email/verify_email/body.html"
);
email_template!(
    PasswordReset,
    "email/password_reset/subject.txt",
    "email/password_reset/body.txt",
    "email/password_reset/body.html"
);
email_template!(
    ResponseReceived,
    "email/response_received/subject.txt",
    "email/response_received/body.txt",
    "email/response_received/body.html"
);
email_template!(
    ResponseDecision,
    "email/response_decision/subject.txt",
    "email/response_decision/body.txt",
    "email/response_decision/body.html"
);
email_template!(
    Digest,
    "email/digest/subject.txt",
    "email/digest/body.txt",
    "email/digest/body.html"
);
email_template!(
    IntroductionToCity,
    "email/introduction_city/subject.txt",
    "email/introduction_city/body.txt",
    "email/introduction_city/body.html"
);
email_template!(
    IntroductionToCompany,
    "email/introduction_company/subject.txt",
    "email/introduction_company/body.txt",
    "email/introduction_company/body.html"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn footer() -> Footer {
        Footer {
            unsubscribe_url: "https://cm.example/unsubscribe?token=t".into(),
            public_url: "https://cm.example".into(),
        }
    }

    fn all() -> Vec<EmailTemplate> {
        let reasons = vec![
            "Both are about Energy".to_owned(),
            "Matched terms: heat pump".to_owned(),
        ];
        vec![
            EmailTemplate::VerifyEmail(VerifyEmail {
                name: "Ana".into(),
                link: "https://cm.example/verify-email?token=v".into(),
            }),
            EmailTemplate::PasswordReset(PasswordReset {
                name: "Ana".into(),
                link: "https://cm.example/reset-password?token=r".into(),
            }),
            EmailTemplate::ResponseReceived(ResponseReceived {
                name: "Ana".into(),
                challenge_title: "<script>alert(1)</script>".into(),
                company_name: "Heat & Co".into(),
                solution_title: "Pumps".into(),
                message: "We can help.".into(),
                link: "https://cm.example/challenges/c1#responses".into(),
            }),
            EmailTemplate::ResponseDecision(ResponseDecision {
                name: "Bo".into(),
                decision: ResponseStatus::Shortlisted,
                challenge_title: "Bus depot".into(),
                city_name: "Aarhus".into(),
                solution_title: "Chargers".into(),
                link: "https://cm.example/challenges/c1".into(),
            }),
            EmailTemplate::Digest(Digest {
                name: "Ana".into(),
                period_label: "Sunday 22 November 2026".into(),
                items: vec![DigestItem {
                    own_title: "Bus depot".into(),
                    other_title: "Chargers".into(),
                    other_org: "Volt A/S".into(),
                    score: 87,
                    link: "https://cm.example/solutions/s1".into(),
                }],
                more: 2,
                link: "https://cm.example/matches".into(),
            }),
            EmailTemplate::IntroductionToCity(IntroductionToCity {
                name: "Ana".into(),
                challenge_title: "Bus depot".into(),
                solution_title: "Chargers".into(),
                solution_summary: "Fast chargers.".into(),
                company_name: "Volt A/S".into(),
                company_country: "DK".into(),
                company_website: Some("https://volt.example".into()),
                score: 87,
                reasons: reasons.clone(),
                solution_link: "https://cm.example/solutions/s1".into(),
                challenge_link: "https://cm.example/challenges/c1".into(),
            }),
            EmailTemplate::IntroductionToCompany(IntroductionToCompany {
                name: "Bo".into(),
                challenge_title: "Bus depot".into(),
                challenge_summary: "120 buses.".into(),
                city_name: "Aarhus".into(),
                city_country: "DK".into(),
                solution_title: "Chargers".into(),
                deadline: Some("2027-01-31".into()),
                score: 87,
                reasons,
                challenge_link: "https://cm.example/challenges/c1".into(),
                respond_link: "https://cm.example/challenges/c1#respond".into(),
            }),
        ]
    }

    #[test]
    fn every_template_renders_with_the_unsubscribe_link() {
        for template in all() {
            let out = template.render(&footer()).expect("renders");
            let name = template.name();
            assert!(!out.subject.is_empty(), "{name}");
            assert!(!out.subject.contains('\n'), "{name}");
            assert!(
                out.text.contains("https://cm.example/unsubscribe?token=t"),
                "{name}: {}",
                out.text
            );
            assert!(
                out.html
                    .contains("href=\"https://cm.example/unsubscribe?token=t\""),
                "{name}: {}",
                out.html
            );
        }
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let template = &all()[2];
        let out = template.render(&footer()).expect("renders");
        assert!(!out.html.contains("<script>"), "{}", out.html);
        assert!(out.html.contains("&#60;script&#62;") || out.html.contains("&lt;script&gt;"));
        assert!(out.html.contains("Heat &#38; Co") || out.html.contains("Heat &amp; Co"));
        assert!(out.text.contains("<script>alert(1)</script>"));
        assert!(out.subject.contains("<script>alert(1)</script>"));
    }
}
