//! Explanations: why a hit fits, in terms a person understands without knowing BM25.

use serde::{Deserialize, Serialize};

/// Why a solution and a challenge fit, with the score split into parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One or two plain sentences (English) summing it up.
    pub summary: String,
    /// Thesaurus concepts both texts mention, most telling first.
    pub concepts: Vec<ConceptMatch>,
    /// The strongest matching words, per field of the matched record.
    pub terms: Vec<FieldTerms>,
    /// True when the words matched through a translation of the query's concepts
    /// (the two texts are in different languages).
    pub translated: bool,
    /// Sector overlap.
    pub sectors: SectorFit,
    /// Technology readiness against the challenge's minimum.
    pub trl: TrlFit,
    /// Countries served against the city's country.
    pub country: CountryFit,
    /// Days since the matched record last changed.
    pub age_days: Option<u32>,
    /// The score, split into parts that add up to it.
    pub parts: ScoreParts,
}

/// A concept both sides mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConceptMatch {
    /// Concept id: a GEMET number ("2269") or a glossary id ("cm-solar-pv").
    pub id: String,
    /// Label in the reader's language where the thesaurus has one, else English.
    pub label: String,
    /// Share of the concept part of the score this concept brings (0..=1).
    pub weight: f32,
}

/// Matching words in one field of the matched record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldTerms {
    /// `title`, or `text` (summary and description).
    pub field: String,
    /// The words as written in the query (or the concept label they came from), strongest first.
    pub terms: Vec<String>,
}

/// Sector overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectorFit {
    /// Sectors both sides have.
    pub shared: Vec<String>,
    /// Sectors of the query side.
    pub wanted: Vec<String>,
    /// Sectors of the matched record.
    pub offered: Vec<String>,
    /// 0..=1: share of the wanted sectors covered.
    pub fit: f32,
}

/// TRL fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrlFit {
    /// The solution's TRL.
    pub solution_trl: Option<u8>,
    /// The challenge's minimum TRL.
    pub min_trl: Option<u8>,
    /// 0..=1.
    pub fit: f32,
    /// Plain words, e.g. "TRL 8 meets the minimum of 6".
    pub note: String,
}

/// Country fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryFit {
    /// The city's country.
    pub country: Option<String>,
    /// The solution names that country explicitly.
    pub explicit: bool,
    /// The solution serves every country.
    pub global: bool,
    /// 0..=1.
    pub fit: f32,
    /// Plain words.
    pub note: String,
}

/// The score in parts (points out of 100). `total` is their sum and equals the hit's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct ScoreParts {
    /// Words in common (BM25 coverage of the query's words).
    pub text: f32,
    /// Thesaurus concepts in common, weighted by how specific they are.
    pub concepts: f32,
    /// Sector overlap.
    pub sectors: f32,
    /// TRL fit.
    pub trl: f32,
    /// Country fit.
    pub country: f32,
    /// Recently updated.
    pub freshness: f32,
    /// Sum of the parts: the score.
    pub total: f32,
}

impl ScoreParts {
    /// Rounds every part to one decimal and sets `total` to their exact sum.
    pub(crate) fn rounded(mut self) -> ScoreParts {
        let r = |x: f32| (x * 10.0).round() / 10.0;
        self.text = r(self.text);
        self.concepts = r(self.concepts);
        self.sectors = r(self.sectors);
        self.trl = r(self.trl);
        self.country = r(self.country);
        self.freshness = r(self.freshness);
        let sum =
            self.text + self.concepts + self.sectors + self.trl + self.country + self.freshness;
        self.total = r(sum).clamp(0.0, 100.0);
        self
    }
}

/// Appends `"a", "b", "c"` (the first `max` of `list`) to `out`.
fn push_quoted<'a>(out: &mut String, list: impl IntoIterator<Item = &'a str>, max: usize) {
    for (i, item) in list.into_iter().take(max).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item);
        out.push('"');
    }
}

/// The human sentence of an explanation.
pub(crate) fn summary(e: &Explanation) -> String {
    use std::fmt::Write;
    let strength = match e.parts.total {
        t if t >= 60.0 => "Strong fit",
        t if t >= 40.0 => "Good fit",
        t if t >= 25.0 => "Possible fit",
        _ => "Weak fit",
    };
    let mut s = String::with_capacity(256);
    // (an integer, rounded as `{:.0}` would: half to even)
    let _ = write!(
        s,
        "{strength} ({}/100).",
        e.parts.total.round_ties_even() as i32
    );
    if !e.concepts.is_empty() {
        s.push_str(" Both are about ");
        push_quoted(&mut s, e.concepts.iter().map(|c| c.label.as_str()), 4);
        s.push('.');
    }
    let mut words: Vec<&str> = Vec::new();
    for f in &e.terms {
        for t in &f.terms {
            if !words.contains(&t.as_str()) {
                words.push(t);
            }
        }
    }
    if !words.is_empty() {
        s.push_str(if e.translated {
            " In its own language it mentions "
        } else {
            " Shared words: "
        });
        push_quoted(&mut s, words, 5);
        s.push('.');
    }
    if !e.sectors.shared.is_empty() {
        s.push_str(" Same sector: ");
        s.push_str(&e.sectors.shared.join(", "));
        s.push('.');
    }
    for note in [&e.trl.note, &e.country.note] {
        if !note.is_empty() {
            s.push(' ');
            s.push_str(note);
            s.push('.');
        }
    }
    s
}
