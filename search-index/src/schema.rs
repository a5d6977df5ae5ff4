//! The tantivy schema: one index holds solutions and challenges (field `kind`).
//!
//! Text is analysed by [`crate::lang`] (each record in its own language) before it reaches
//! tantivy, which receives the analysed terms joined by spaces and only splits them again
//! ([`TERMS_TOKENIZER`], registered on every index this crate opens). One `all` field holds
//! the terms of title, summary and description (ranking and listings), `concepts` the
//! thesaurus concept ids; `fwd` stores each document's [forward record](crate::forward).
//! Everything the filters and structured parts read is a fast field. Bump [`SCHEMA_VERSION`]
//! whenever the schema *or the analysis* changes: an index of another version is rebuilt
//! by the app.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::tokenizer::WhitespaceTokenizer;
use tantivy::Index;

use crate::Error;

/// Version of schema + analysis + thesaurus; stored in every commit's payload.
pub const SCHEMA_VERSION: u32 = 4;

/// The tokenizer of the analysed text fields: terms arrive analysed, separated by spaces.
pub(crate) const TERMS_TOKENIZER: &str = "cm_terms";

pub(crate) const KIND_SOLUTION: &str = "s";
pub(crate) const KIND_CHALLENGE: &str = "c";
/// Country term meaning "serves every country" (solutions) or "no country given" (challenges).
pub(crate) const ANY_COUNTRY: &str = "*";
/// `served` fast-field value of [`ANY_COUNTRY`].
pub(crate) const ANY_COUNTRY_CODE: u64 = 1;

/// `class` fast field: what a document is, for the matcher's hard filters.
pub(crate) const CLASS_SOLUTION: u64 = 0;
pub(crate) const CLASS_SOLUTION_PUBLISHED: u64 = 1;
pub(crate) const CLASS_CHALLENGE: u64 = 2;
pub(crate) const CLASS_CHALLENGE_OPEN: u64 = 3;

/// The sector codes of SPEC.md, in bit order of the `sector_mask` fast field.
pub const SECTORS: [&str; 10] = [
    "energy",
    "buildings",
    "transport",
    "waste",
    "water",
    "industry",
    "land_use",
    "adaptation",
    "air_quality",
    "cross_cutting",
];

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) key: Field,
    pub(crate) kind: Field,
    pub(crate) state: Field,
    pub(crate) lang_code: Field,
    /// terms of title + summary + description: ranking, listings, document frequencies
    pub(crate) all: Field,
    pub(crate) concepts: Field,
    /// the forward record: id, words and concepts with their frequencies
    pub(crate) fwd: Field,
    pub(crate) sectors: Field,
    pub(crate) trl: Field,
    pub(crate) countries: Field,
    // fast fields read by the ranking
    pub(crate) class: Field,
    pub(crate) lang: Field,
    pub(crate) sector_mask: Field,
    /// solutions: the countries served (ANY_COUNTRY_CODE = all); challenges: the city's
    pub(crate) served: Field,
    pub(crate) updated_at: Field,
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TERMS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fast_u64 = NumericOptions::default().set_fast();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING),
        state: b.add_text_field("state", STRING),
        lang_code: b.add_text_field("lang_code", STRING),
        all: b.add_text_field("all", text.clone()),
        concepts: b.add_text_field("concepts", text),
        fwd: b.add_bytes_field("fwd", STORED),
        sectors: b.add_text_field("sectors", STRING),
        trl: b.add_u64_field("trl", fast_u64.clone().set_indexed()),
        countries: b.add_text_field("countries", STRING),
        class: b.add_u64_field("class", fast_u64.clone()),
        lang: b.add_u64_field("lang", fast_u64.clone()),
        sector_mask: b.add_u64_field("sector_mask", fast_u64.clone()),
        served: b.add_u64_field("served", fast_u64),
        updated_at: b.add_i64_field("updated_at", NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// Registers the tokenizer the schema names on an index (created or opened).
pub(crate) fn register_tokenizers(index: &Index) {
    index
        .tokenizers()
        .register(TERMS_TOKENIZER, WhitespaceTokenizer::default());
}

/// Checks that an opened index has exactly the schema this version builds.
pub(crate) fn check_schema(found: &Schema) -> Result<Fields, Error> {
    let (expected, fields) = build_schema();
    if found != &expected {
        return Err(Error::SchemaMismatch(
            "fields differ from this version's schema".into(),
        ));
    }
    Ok(fields)
}

pub(crate) fn sector_mask(sectors: &[String]) -> u64 {
    sectors
        .iter()
        .filter_map(|s| {
            SECTORS
                .iter()
                .position(|x| x.eq_ignore_ascii_case(s.trim()))
        })
        .fold(0, |m, i| m | (1 << i))
}

pub(crate) fn sector_names(mask: u64) -> Vec<String> {
    SECTORS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| (*s).to_string())
        .collect()
}

/// Normalised ISO 3166-1 alpha-2 code ("se" -> "SE"); `None` if it is not two letters.
pub(crate) fn country(code: &str) -> Option<String> {
    let c = code.trim().to_ascii_uppercase();
    (c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())).then_some(c)
}

/// The code of [`country`]`(code)` (0 = none), without building the string.
pub(crate) fn country_code(code: &str) -> u64 {
    let c = code.trim().as_bytes();
    if c.len() == 2 && c.iter().all(u8::is_ascii_alphabetic) {
        c.iter()
            .fold(0u64, |acc, b| acc * 256 + u64::from(b.to_ascii_uppercase()))
    } else {
        0
    }
}

pub(crate) fn country_from_code(code: u64) -> Option<String> {
    if code == 0 {
        return None;
    }
    let hi = u8::try_from(code / 256).ok()?;
    let lo = u8::try_from(code % 256).ok()?;
    Some(String::from_utf8_lossy(&[hi, lo]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_mask_round_trip() {
        let m = sector_mask(&["energy".into(), "Water".into(), "nonsense".into()]);
        assert_eq!(sector_names(m), ["energy", "water"]);
    }

    #[test]
    fn country_codes() {
        assert_eq!(country_from_code(country_code("se")), Some("SE".into()));
        assert_eq!(country_code("Sweden"), 0);
        // the code is that of the normalised name
        for code in ["se", " Gb ", "DK", "s1", "sve", "", "-x", "åä", "é"] {
            let from_name = country(code)
                .map(|c| c.bytes().fold(0u64, |acc, b| acc * 256 + u64::from(b)))
                .unwrap_or(0);
            assert_eq!(country_code(code), from_name, "{code:?}");
        }
    }
}
