//! Database rows as the matcher's documents.

use search_index::{ChallengeDoc, SolutionDoc};

use crate::db::models::{Challenge, Organization, Solution};
use crate::domain::json_list;

pub fn challenge_doc(c: &Challenge, city: &Organization) -> ChallengeDoc {
    ChallengeDoc {
        id: c.id.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        description: c.description.clone(),
        sectors: json_list(&c.sectors),
        min_trl: c.min_trl.and_then(|t| u8::try_from(t).ok()),
        country: Some(city.country.clone()),
        language: Some(c.language.clone()),
        status: c.status.clone(),
        updated_at: c.updated_at.and_utc().timestamp(),
    }
}

pub fn solution_doc(s: &Solution) -> SolutionDoc {
    SolutionDoc {
        id: s.id.clone(),
        title: s.title.clone(),
        summary: s.summary.clone(),
        description: s.description.clone(),
        sectors: json_list(&s.sectors),
        trl: u8::try_from(s.trl).ok(),
        countries: json_list(&s.countries),
        global: s.global,
        language: Some(s.language.clone()),
        published: s.status == "published",
        updated_at: s.updated_at.and_utc().timestamp(),
    }
}
