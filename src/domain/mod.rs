//! Validated domain types. Request bodies become these through one constructor each
//! (`parse`), which rejects bad input with a message per field; nothing downstream
//! re-checks raw strings.

pub mod challenge;
pub mod check;
pub mod organization;
pub mod solution;

pub use check::Check;

/// Declares a closed set of string codes with parsing and listing.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
            /// The accepted codes, for error messages.
            pub fn codes() -> String {
                [$($code),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use codes;

codes!(
    /// The fixed sector codes of the specification.
    Sector {
        Energy = "energy",
        Buildings = "buildings",
        Transport = "transport",
        Waste = "waste",
        Water = "water",
        Industry = "industry",
        LandUse = "land_use",
        Adaptation = "adaptation",
        AirQuality = "air_quality",
        CrossCutting = "cross_cutting",
    }
);

impl Sector {
    /// The sector as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Sector::Energy => "Energy",
            Sector::Buildings => "Buildings",
            Sector::Transport => "Transport",
            Sector::Waste => "Waste",
            Sector::Water => "Water",
            Sector::Industry => "Industry",
            Sector::LandUse => "Land use",
            Sector::Adaptation => "Adaptation",
            Sector::AirQuality => "Air quality",
            Sector::CrossCutting => "Cross-cutting",
        }
    }
}

codes!(
    /// The languages texts may be written in.
    Language {
        En = "en",
        Sv = "sv",
        Da = "da",
        No = "no",
        Fi = "fi",
        De = "de",
        Zh = "zh",
    }
);

impl Language {
    /// The language's name in itself, for choosing and labelling.
    pub fn label(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Sv => "Svenska",
            Language::Da => "Dansk",
            Language::No => "Norsk",
            Language::Fi => "Suomi",
            Language::De => "Deutsch",
            Language::Zh => "中文",
        }
    }
}

codes!(
    OrgKind {
        City = "city",
        Company = "company",
        Cluster = "cluster",
    }
);

impl OrgKind {
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::City => "City",
            OrgKind::Company => "Company",
            OrgKind::Cluster => "Cluster",
        }
    }
}

codes!(
    OrgRole {
        Admin = "admin",
        Member = "member",
    }
);

codes!(
    SizeBand {
        Micro = "micro",
        Small = "small",
        Medium = "medium",
        Large = "large",
    }
);

codes!(
    NotificationMode {
        Instant = "instant",
        Daily = "daily",
        Weekly = "weekly",
        Off = "off",
    }
);

codes!(
    ResponseStatus {
        Submitted = "submitted",
        Shortlisted = "shortlisted",
        Declined = "declined",
        Awarded = "awarded",
    }
);

impl ResponseStatus {
    /// The decisions a city makes on a response: shortlist or decline what was
    /// submitted, award or decline what was shortlisted. Awarded and declined are final.
    pub fn can_move_to(self, to: ResponseStatus) -> bool {
        use ResponseStatus::*;
        matches!(
            (self, to),
            (Submitted, Shortlisted)
                | (Submitted, Declined)
                | (Shortlisted, Awarded)
                | (Shortlisted, Declined)
        )
    }
}

codes!(
    /// Where a match stands; see `MatchStatus::can_move_to`.
    MatchStatus {
        Suggested = "suggested",
        Approved = "approved",
        Introduced = "introduced",
        Dismissed = "dismissed",
        Responded = "responded",
        Shortlisted = "shortlisted",
        Awarded = "awarded",
        Declined = "declined",
    }
);

impl MatchStatus {
    /// suggested -> approved -> introduced (or suggested -> introduced directly, or
    /// suggested/approved -> dismissed), then responded, shortlisted, awarded or declined.
    pub fn can_move_to(self, to: MatchStatus) -> bool {
        use MatchStatus::*;
        matches!(
            (self, to),
            (Suggested, Approved)
                | (Suggested | Approved, Introduced)
                | (Suggested | Approved, Dismissed)
                | (Suggested | Approved | Introduced, Responded)
                | (Responded, Shortlisted)
                | (Responded | Shortlisted, Awarded)
                | (Responded | Shortlisted, Declined)
        )
    }

    /// Waiting for a coordinator's decision.
    pub fn is_open_for_curation(self) -> bool {
        matches!(self, MatchStatus::Suggested | MatchStatus::Approved)
    }
}

codes!(
    MembershipStatus {
        Pending = "pending",
        Accepted = "accepted",
        Refused = "refused",
    }
);

/// Sectors as stored: a JSON array of codes.
pub fn sectors_to_json(sectors: &[Sector]) -> String {
    serde_json::to_string(&sectors.iter().map(|s| s.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// A stored JSON array of strings; a damaged value reads as empty rather than failing a page.
pub fn json_list(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub fn list_to_json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Guesses the language of a text among the supported ones.
pub fn detect_language(text: &str) -> Language {
    // Replaced by the matcher's detector once it lands; Han script is unambiguous.
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return Language::Zh;
    }
    Language::En
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
