//! # search-index: the cleanmatch matcher
//!
//! A tantivy index of cleantech **solutions** and city climate **challenges** that ranks the
//! fits in both directions and explains each one. It knows nothing about the web app or the
//! database: the app feeds it records and stores what it returns. The index can always be
//! rebuilt from the database (see [`OpenState`] and [`SCHEMA_VERSION`]).
//!
//! - Languages: English, Swedish, Danish, Norwegian, Finnish, German (Snowball stemming
//!   plus compound splitting) and Chinese (jieba). A record's language is detected when it
//!   does not give one ([`detect_language`]).
//! - Across languages: texts are mapped to concepts of the GEMET thesaurus (EEA, CC BY 2.5
//!   DK; see [`GEMET_ATTRIBUTION`]) and the project's cleantech glossary; a query's concepts
//!   match documents in any language, and are also searched as the concept labels in the
//!   document's language.
//! - Ranking: see [`ranking`](crate::ranking) for the score and why it means the same
//!   across queries.
//!
//! ```
//! use search_index::{ChallengeDoc, MatchIndex, SolutionDoc};
//!
//! let index = MatchIndex::create_in_ram()?;
//! index.upsert_solution(&SolutionDoc {
//!     id: "s1".into(),
//!     title: "Heat pumps for district heating".into(),
//!     description: "Large heat pumps that feed district heating networks.".into(),
//!     sectors: vec!["energy".into()],
//!     trl: Some(8),
//!     global: true,
//!     language: Some("en".into()),
//!     published: true,
//!     ..Default::default()
//! })?;
//! index.commit("db-42")?;
//! let challenge = ChallengeDoc {
//!     id: "c1".into(),
//!     title: "Utbyggnad av fjärrvärmenätet".into(),
//!     description: "Staden vill bygga ut fjärrvärmen med stora värmepumpar.".into(),
//!     sectors: vec!["energy".into()],
//!     country: Some("SE".into()),
//!     status: "open".into(),
//!     ..Default::default()
//! };
//! let hits = index.match_challenge(&challenge, 10, "sv")?;
//! assert_eq!(hits[0].id, "s1");
//! assert!(hits[0].score > 0.0 && hits[0].score <= 100.0);
//! println!("{}", hits[0].explanation.summary);
//! # Ok::<(), search_index::Error>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bench_corpus;
mod cache;
pub mod eval;
mod explain;
mod forward;
mod index;
pub mod lang;
mod plan;
pub mod ranking;
mod schema;
mod score;
#[cfg(test)]
mod tests;
mod thesaurus;

use serde::{Deserialize, Serialize};

pub use explain::{
    ConceptMatch, CountryFit, Explanation, FieldTerms, ScoreParts, SectorFit, TrlFit,
};
pub use index::{MatchIndex, OpenState};
pub use lang::{detect_language, Lang};
pub use schema::{SCHEMA_VERSION, SECTORS};
pub use thesaurus::GEMET_ATTRIBUTION;

/// Errors of the matcher. Anything from tantivy or the file system keeps its cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// tantivy failed (I/O, corrupt segment, ...).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// File system error around the index directory.
    #[error("index directory: {0}")]
    Io(#[from] std::io::Error),
    /// Another process holds the index writer lock on this directory.
    #[error("index directory is locked by another writer: {0}")]
    Locked(String),
    /// The index was built by another schema version (the app rebuilds it).
    #[error("index schema mismatch: {0}")]
    SchemaMismatch(String),
    /// Bad input to a function of this crate (e.g. an unreadable eval file).
    #[error("{0}")]
    Invalid(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("internal lock poisoned")]
    Poisoned,
}

/// The thesaurus concepts a text mentions, as `(id, label in reader_lang)`, most frequent
/// first. `lang` = the text's language code, `None` = detect.
///
/// ```
/// let c = search_index::concepts_of("Wärmepumpenanlage für das Fernwärmenetz", Some("de"), "en");
/// assert!(c.iter().any(|(_, label)| label == "heat pump"));
/// assert!(c.iter().any(|(_, label)| label == "district heating"));
/// ```
pub fn concepts_of(text: &str, lang: Option<&str>, reader_lang: &str) -> Vec<(String, String)> {
    let t = thesaurus::thesaurus();
    let lang = lang::resolve(lang, text);
    let reader = Lang::from_code(reader_lang).unwrap_or(Lang::En);
    let mut counts: Vec<(thesaurus::ConceptIdx, usize)> = Vec::new();
    for c in t.analyze_text(lang, text, false).concepts {
        match counts.iter_mut().find(|(x, _)| *x == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .into_iter()
        .map(|(c, _)| (t.concept(c).id.clone(), t.label(c, reader).to_string()))
        .collect()
}

/// The label of a concept id (as found in explanations) in `reader_lang`, falling back to
/// English; `None` for an unknown id.
///
/// ```
/// assert_eq!(search_index::concept_label("2269", "da").as_deref(), Some("fjernvarme"));
/// ```
pub fn concept_label(id: &str, reader_lang: &str) -> Option<String> {
    let t = thesaurus::thesaurus();
    let reader = Lang::from_code(reader_lang).unwrap_or(Lang::En);
    t.find(id).map(|c| t.label(c, reader).to_string())
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A company's solution as the matcher sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SolutionDoc {
    /// Database id (any string).
    pub id: String,
    /// Title (weighted highest).
    pub title: String,
    /// Short summary.
    pub summary: String,
    /// Long description.
    pub description: String,
    /// Sector codes of SPEC.md ([`SECTORS`]); unknown codes are ignored.
    pub sectors: Vec<String>,
    /// Technology readiness level 1-9, if known.
    pub trl: Option<u8>,
    /// Countries served, ISO 3166-1 alpha-2.
    pub countries: Vec<String>,
    /// Serves every country.
    pub global: bool,
    /// "en", "sv", "da", "no", "fi", "de", "zh"; `None` (or unknown) = detect.
    pub language: Option<String>,
    /// Only published solutions are matched.
    pub published: bool,
    /// Last change, unix seconds (freshness).
    pub updated_at: i64,
}

/// A city's challenge as the matcher sees it.
///
/// Carries the challenge `status` string of SPEC.md (`draft`, `open`, `closed`, `awarded`)
/// rather than an `open: bool`, so that listings can filter by status; only `open`
/// challenges are matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChallengeDoc {
    /// Database id (any string).
    pub id: String,
    /// Title (weighted highest).
    pub title: String,
    /// Short summary.
    pub summary: String,
    /// Long description.
    pub description: String,
    /// Sector codes of SPEC.md ([`SECTORS`]).
    pub sectors: Vec<String>,
    /// Minimum TRL a solution must have.
    pub min_trl: Option<u8>,
    /// The city's country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// "en", "sv", "da", "no", "fi", "de", "zh"; `None` (or unknown) = detect.
    pub language: Option<String>,
    /// `draft`, `open`, `closed` or `awarded`.
    pub status: String,
    /// Last change, unix seconds (freshness).
    pub updated_at: i64,
}

impl ChallengeDoc {
    /// Whether the challenge is open (the only status that is matched).
    pub fn is_open(&self) -> bool {
        self.status.eq_ignore_ascii_case("open")
    }
}

/// Filters of the public solution listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SolutionFilter {
    /// Only solutions in this sector.
    pub sector: Option<String>,
    /// Only solutions serving this country (explicitly or globally).
    pub country: Option<String>,
    /// Only solutions with at least this TRL.
    pub trl_min: Option<u8>,
    /// Only published solutions.
    pub published_only: bool,
}

/// Filters of the public challenge listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChallengeFilter {
    /// Only challenges in this sector.
    pub sector: Option<String>,
    /// Only challenges of cities in this country.
    pub country: Option<String>,
    /// Only challenges with this status (`open`, `closed`, ...).
    pub status: Option<String>,
}

/// One ranked match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Id of the matched solution or challenge.
    pub id: String,
    /// 0..=100, comparable across queries (see [`ranking`]).
    pub score: f32,
    /// Why it fits.
    pub explanation: Explanation,
}

/// How a text's words reach English: every index term of `text` (in `lang`, `None` =
/// detect) as `(surface word, term, English translations)`, the translations from the same
/// tables the ranking uses (empty when there are none). For diagnostics and the `coverage`
/// example.
#[doc(hidden)]
pub fn word_coverage(text: &str, lang: Option<&str>) -> Vec<(String, String, Vec<String>)> {
    let t = thesaurus::thesaurus();
    let lang = lang::resolve(lang, text);
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut concepts = Vec::new();
    t.analyze_with(
        lang,
        text,
        |term, surface, _| {
            let mut tr = Vec::new();
            t.translate_into(lang, Lang::En, term, &mut tr);
            out.push((
                surface.to_string(),
                term.to_string(),
                tr.into_iter().map(|(w, _)| w.to_string()).collect(),
            ));
        },
        &mut concepts,
    );
    out
}
