//! A stored match explanation as a person reads it: the summary sentence, the score in
//! parts with what each part means, the topics (thesaurus concepts, labelled in the
//! reader's language) and words both texts share, and the sector, readiness and country
//! fit. Nothing here ranks or scores; it only shows what the matcher stored.

use search_index::ranking::RankWeights;
use search_index::Explanation;

use super::views;
use crate::domain::Sector;

/// One part of the score: what it measures and how many of its points the match got.
pub struct ScorePart {
    pub label: &'static str,
    pub meaning: String,
    /// Points, one decimal.
    pub points: String,
    /// The most this part can give.
    pub of: String,
    /// 0-100: share of this part's maximum, for its bar.
    pub percent: u32,
}

/// A thesaurus concept both texts are about.
pub struct Topic {
    pub label: String,
    pub lang: String,
    /// Its share of the topic points, e.g. "40%".
    pub share: String,
}

/// A word as written in one of the two texts.
pub struct Word {
    pub text: String,
    pub lang: String,
}

pub struct FieldWords {
    /// "Title", "Summary" or "Description" (of the matched record).
    pub field: &'static str,
    pub words: Vec<Word>,
}

/// The explanation of one match, ready for `templates/matches/why.html`.
pub struct Why {
    /// Whether the stored explanation could be read in full.
    pub detailed: bool,
    /// "Strong fit", "Good fit", "Possible fit" or "Weak fit".
    pub strength: &'static str,
    /// The matcher's own sentence (English).
    pub summary: String,
    pub parts: Vec<ScorePart>,
    pub topics: Vec<Topic>,
    pub words: Vec<FieldWords>,
    /// The texts are in different languages and met through translations of topics.
    pub translated: bool,
    pub shared_sectors: Vec<&'static str>,
    pub sector_note: String,
    pub trl_note: String,
    pub country_note: String,
}

/// A text of one side of the match and the language it is written in.
pub struct Side<'a> {
    pub text: String,
    pub lang: &'a str,
}

impl<'a> Side<'a> {
    pub fn new(title: &str, summary: &str, description: &str, lang: &'a str) -> Side<'a> {
        Side {
            text: format!("{title}\n{summary}\n{description}").to_lowercase(),
            lang,
        }
    }
}

fn strength(score: f64) -> &'static str {
    match score {
        t if t >= 60.0 => "Strong fit",
        t if t >= 40.0 => "Good fit",
        t if t >= 25.0 => "Possible fit",
        _ => "Weak fit",
    }
}

fn sector_words(codes: &[String]) -> Vec<&'static str> {
    codes
        .iter()
        .filter_map(|c| Sector::parse(c))
        .map(Sector::label)
        .collect()
}

fn field_label(field: &str) -> Option<&'static str> {
    match field {
        "title" => Some("Title"),
        "text" => Some("Text"),
        // explanations stored before the matcher reported title and text only
        "summary" => Some("Summary"),
        "description" => Some("Description"),
        _ => None,
    }
}

/// The language of a shared word: the side whose text contains it (the matcher reports
/// the query's words, or their translations into the matched record's language).
fn word_lang(word: &str, sides: &[Side<'_>]) -> String {
    let lower = word.to_lowercase();
    sides
        .iter()
        .find(|s| s.text.contains(&lower))
        .or_else(|| sides.first())
        .map_or_else(|| "und".to_owned(), |s| views::html_lang(s.lang))
}

/// The label of a concept in the reader's language, and the language it is in (English
/// where the thesaurus has no label in the reader's).
fn topic_label(id: &str, stored: &str, reader: &str) -> (String, String) {
    let reader = views::html_lang(reader);
    let reader = if reader == "und" { "en".into() } else { reader };
    match search_index::concept_label(id, &reader) {
        Some(label) => {
            let english = search_index::concept_label(id, "en");
            let lang = if reader != "en" && english.as_deref() == Some(label.as_str()) {
                "en".to_owned()
            } else {
                reader
            };
            (label, lang)
        }
        None => (stored.to_owned(), "en".to_owned()),
    }
}

fn one_decimal(x: f32) -> String {
    format!("{x:.1}")
}

impl Why {
    /// `stored` is the match's explanation as the matcher stored it; `score` the match's
    /// score; `reader` the viewer's locale; `sides` the texts of the challenge and the
    /// solution; `weights` the matcher's, for the most each part can give.
    pub fn new(
        stored: &str,
        score: f64,
        reader: &str,
        sides: &[Side<'_>],
        weights: &RankWeights,
    ) -> Why {
        let Ok(e) = serde_json::from_str::<Explanation>(stored) else {
            let summary = serde_json::from_str::<serde_json::Value>(stored)
                .ok()
                .and_then(|v| v["summary"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Why {
                detailed: false,
                strength: strength(score),
                summary,
                parts: Vec::new(),
                topics: Vec::new(),
                words: Vec::new(),
                translated: false,
                shared_sectors: Vec::new(),
                sector_note: String::new(),
                trl_note: String::new(),
                country_note: String::new(),
            };
        };
        let p = e.parts;
        let percent = |points: f32, of: f32| -> u32 {
            if of <= 0.0 {
                0
            } else {
                ((points / of).clamp(0.0, 1.0) * 100.0).round() as u32
            }
        };
        let part = |label, meaning: String, points: f32, of: f32| ScorePart {
            label,
            meaning,
            points: one_decimal(points),
            of: format!("{of:.0}"),
            percent: percent(points, of),
        };
        let shared_sectors = sector_words(&e.sectors.shared);
        let mut one_sided: Vec<&'static str> = Vec::new();
        for s in sector_words(&e.sectors.wanted)
            .into_iter()
            .chain(sector_words(&e.sectors.offered))
        {
            if !shared_sectors.contains(&s) && !one_sided.contains(&s) {
                one_sided.push(s);
            }
        }
        let sector_note = match (shared_sectors.is_empty(), one_sided.is_empty()) {
            (true, _) => format!(
                "No sector in common: one side is about {}, the other about {}.",
                join_or_none(&sector_words(&e.sectors.wanted)),
                join_or_none(&sector_words(&e.sectors.offered))
            ),
            (false, true) => format!("Both are in {}.", shared_sectors.join(", ")),
            (false, false) => format!(
                "Both are in {}; {} only on one side.",
                shared_sectors.join(", "),
                one_sided.join(", ")
            ),
        };
        let trl_note = sentence(&e.trl.note);
        let country_note = sentence(&e.country.note);
        let parts = vec![
            part(
                "Words in common",
                "How much of one text's wording the other uses. Rare, specific words count \
                 more than everyday ones."
                    .to_owned(),
                p.text,
                weights.text,
            ),
            part(
                "Topics in common",
                "Subjects of the environmental thesaurus (GEMET) and the cleantech glossary \
                 that both texts are about, in whatever language they are written."
                    .to_owned(),
                p.concepts,
                weights.concepts,
            ),
            part("Sector", sector_note.clone(), p.sectors, weights.sectors),
            part(
                "Readiness",
                if trl_note.is_empty() {
                    "Technology readiness (TRL) against the challenge's minimum.".to_owned()
                } else {
                    trl_note.clone()
                },
                p.trl,
                weights.trl,
            ),
            part(
                "Country",
                if country_note.is_empty() {
                    "Whether the solution serves the city's country.".to_owned()
                } else {
                    country_note.clone()
                },
                p.country,
                weights.country,
            ),
            part(
                "Up to date",
                match e.age_days {
                    Some(0) => "Updated today.".to_owned(),
                    Some(1) => "Updated yesterday.".to_owned(),
                    Some(d) => {
                        format!("Last updated {d} days ago; recent records count a little more.")
                    }
                    None => "Recent records count a little more.".to_owned(),
                },
                p.freshness,
                weights.freshness,
            ),
        ];
        let topics = e
            .concepts
            .iter()
            .map(|c| {
                let (label, lang) = topic_label(&c.id, &c.label, reader);
                Topic {
                    label,
                    lang,
                    share: format!("{:.0}%", (c.weight * 100.0).clamp(0.0, 100.0)),
                }
            })
            .collect();
        let words = e
            .terms
            .iter()
            .filter_map(|f| {
                Some(FieldWords {
                    field: field_label(&f.field)?,
                    words: f
                        .terms
                        .iter()
                        .map(|t| Word {
                            text: t.clone(),
                            lang: word_lang(t, sides),
                        })
                        .collect(),
                })
            })
            .filter(|f| !f.words.is_empty())
            .collect();
        Why {
            detailed: true,
            strength: strength(score),
            summary: e.summary.clone(),
            parts,
            topics,
            words,
            translated: e.translated,
            shared_sectors,
            sector_note,
            trl_note,
            country_note,
        }
    }
}

fn join_or_none(words: &[&str]) -> String {
    if words.is_empty() {
        "no sector given".to_owned()
    } else {
        words.join(", ")
    }
}

/// A note as a sentence: capitalised, with a full stop.
fn sentence(note: &str) -> String {
    let note = note.trim();
    if note.is_empty() {
        return String::new();
    }
    let s = super::capitalise(note);
    if s.ends_with('.') {
        s
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> String {
        serde_json::json!({
            "summary": "Strong fit (71/100). Both are about \"district heating\".",
            "concepts": [{"id": "2269", "label": "district heating", "weight": 0.6}],
            "terms": [{"field": "title", "terms": ["fjärrvärme", "heat pumps"]}],
            "translated": false,
            "sectors": {"shared": ["energy"], "wanted": ["energy"], "offered": ["energy", "buildings"], "fit": 1.0},
            "trl": {"solution_trl": 9, "min_trl": 6, "fit": 1.0, "note": "TRL 9 meets the minimum of 6"},
            "country": {"country": "SE", "explicit": true, "global": false, "fit": 1.0, "note": "serves SE"},
            "age_days": 3,
            "parts": {"text": 52.4, "concepts": 4.0, "sectors": 5.0, "trl": 4.0, "country": 3.0, "freshness": 2.6, "total": 71.0}
        })
        .to_string()
    }

    #[test]
    fn an_explanation_reads_in_words_with_the_languages_of_its_texts() {
        let sides = [
            Side::new("Fjärrvärme utan kol", "", "", "sv"),
            Side::new("Heat pumps for district heating", "", "", "en"),
        ];
        let why = Why::new(&stored(), 71.0, "en", &sides, &RankWeights::default());
        assert!(why.detailed);
        assert_eq!(why.strength, "Strong fit");
        assert_eq!(why.parts[0].label, "Words in common");
        assert_eq!(why.parts[0].points, "52.4");
        assert_eq!(why.parts[0].of, "80");
        assert_eq!(why.parts[0].percent, 66);
        assert_eq!(why.shared_sectors, vec!["Energy"]);
        assert_eq!(
            why.sector_note,
            "Both are in Energy; Buildings only on one side."
        );
        assert_eq!(why.trl_note, "TRL 9 meets the minimum of 6.");
        assert_eq!(why.country_note, "Serves SE.");
        assert_eq!(why.topics[0].share, "60%");
        let words = &why.words[0];
        assert_eq!(words.field, "Title");
        assert_eq!(words.words[0].lang, "sv");
        assert_eq!(words.words[1].lang, "en");
    }

    #[test]
    fn an_explanation_of_another_shape_still_shows_its_sentence() {
        let why = Why::new(
            r#"{"summary": "Seawater heat pumps replace the coal boilers"}"#,
            30.0,
            "en",
            &[],
            &RankWeights::default(),
        );
        assert!(!why.detailed);
        assert_eq!(why.strength, "Possible fit");
        assert_eq!(why.summary, "Seawater heat pumps replace the coal boilers");
    }
}
