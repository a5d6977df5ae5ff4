//! A company's solution.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check::is_country_code;
use super::{codes, detect_language, json_list, Check, Language, Sector};
use crate::db::models::Solution;
use crate::error::FieldErrors;

codes!(
    SolutionStatus {
        Draft = "draft",
        Published = "published",
        Archived = "archived",
    }
);

impl SolutionStatus {
    pub fn can_move_to(self, to: SolutionStatus) -> bool {
        use SolutionStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Published)
                    | (Draft, Archived)
                    | (Published, Archived)
                    | (Archived, Published)
                    | (Published, Draft)
            )
    }
}

/// A solution as clients send it (create, or the merged result of a patch).
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionInput {
    /// 3 to 150 characters.
    pub title: Option<String>,
    /// Up to 500 characters.
    pub summary: Option<String>,
    /// Up to 20,000 characters.
    pub description: Option<String>,
    pub sectors: Option<Vec<String>>,
    /// Technology readiness level, 1-9.
    pub trl: Option<i64>,
    /// ISO 3166-1 alpha-2 codes of the countries served.
    pub countries: Option<Vec<String>>,
    /// Serves every country.
    pub global: Option<bool>,
    pub reference_deployments: Option<String>,
    /// Claimed reduction in words.
    pub claimed_reduction: Option<String>,
    /// Claimed reduction, tCO2e per year.
    pub claimed_reduction_tco2e: Option<f64>,
    pub price_model: Option<String>,
    /// en, sv, da, no, fi, de or zh; detected from the text when not given.
    pub language: Option<String>,
    /// draft (default) or published on create; later also archived.
    pub status: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SolutionData {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: Vec<Sector>,
    pub trl: i32,
    pub countries: Vec<String>,
    pub global: bool,
    pub reference_deployments: String,
    pub claimed_reduction: String,
    pub claimed_reduction_tco2e: Option<f64>,
    pub price_model: String,
    pub language: Language,
    pub status: SolutionStatus,
}

impl SolutionData {
    pub fn parse(input: SolutionInput) -> Result<SolutionData, FieldErrors> {
        let mut c = Check::new();
        let title = c.required_text("title", input.title, 3, 150);
        let summary = c.required_text("summary", input.summary, 1, 500);
        let description = c.required_text("description", input.description, 1, 20_000);
        let sectors = c.sectors("sectors", input.sectors);
        let trl = match input.trl {
            None => {
                c.fail("trl", "is required (technology readiness level 1-9)");
                0
            }
            some => c.trl("trl", some).unwrap_or(0),
        };
        let global = input.global.unwrap_or(false);
        let mut countries: Vec<String> = Vec::new();
        for raw in input.countries.unwrap_or_default() {
            let code = raw.trim().to_ascii_uppercase();
            if !is_country_code(&code) {
                c.fail(
                    "countries",
                    format!("{raw:?} is not an ISO 3166-1 alpha-2 country code"),
                );
            } else if !countries.contains(&code) {
                countries.push(code);
            }
        }
        if !global && countries.is_empty() {
            c.fail(
                "countries",
                "give at least one country served, or set global to true",
            );
        }
        let reference_deployments = c
            .optional_text("reference_deployments", input.reference_deployments, 5000)
            .unwrap_or_default();
        let claimed_reduction = c
            .optional_text("claimed_reduction", input.claimed_reduction, 1000)
            .unwrap_or_default();
        let claimed_reduction_tco2e =
            c.non_negative("claimed_reduction_tco2e", input.claimed_reduction_tco2e);
        let price_model = c
            .optional_text("price_model", input.price_model, 200)
            .unwrap_or_default();
        let language = c.language("language", input.language);
        let status = c
            .code(
                "status",
                input.status,
                SolutionStatus::parse,
                SolutionStatus::codes,
            )
            .unwrap_or(SolutionStatus::Draft);
        let language = language
            .unwrap_or_else(|| detect_language(&format!("{title}\n{summary}\n{description}")));
        c.finish(SolutionData {
            title,
            summary,
            description,
            sectors,
            trl,
            countries,
            global,
            reference_deployments,
            claimed_reduction,
            claimed_reduction_tco2e,
            price_model,
            language,
            status,
        })
    }
}

impl SolutionInput {
    pub fn from_stored(s: &Solution) -> SolutionInput {
        SolutionInput {
            title: Some(s.title.clone()),
            summary: Some(s.summary.clone()),
            description: Some(s.description.clone()),
            sectors: Some(json_list(&s.sectors)),
            trl: Some(i64::from(s.trl)),
            countries: Some(json_list(&s.countries)),
            global: Some(s.global),
            reference_deployments: Some(s.reference_deployments.clone()),
            claimed_reduction: Some(s.claimed_reduction.clone()),
            claimed_reduction_tco2e: s.claimed_reduction_tco2e,
            price_model: Some(s.price_model.clone()),
            language: Some(s.language.clone()),
            status: Some(s.status.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_countries_or_global() {
        let input = SolutionInput {
            title: Some("Heat pump retrofit kit".into()),
            summary: Some("Air-to-water heat pumps".into()),
            description: Some("For multi-family housing".into()),
            sectors: Some(vec!["buildings".into()]),
            trl: Some(8),
            ..Default::default()
        };
        let errors = SolutionData::parse(input.clone()).expect_err("no countries");
        assert!(errors.0.contains_key("countries"));
        let ok = SolutionData::parse(SolutionInput {
            global: Some(true),
            ..input.clone()
        })
        .expect("global");
        assert!(ok.global);
        let ok = SolutionData::parse(SolutionInput {
            countries: Some(vec!["dk".into(), "DK".into(), "se".into()]),
            ..input
        })
        .expect("listed");
        assert_eq!(ok.countries, vec!["DK", "SE"]);
    }
}
