//! A city's challenge, from its climate action plan.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{codes, detect_language, json_list, Check, Language, Sector};
use crate::db::models::Challenge;
use crate::error::FieldErrors;

codes!(
    ChallengeStatus {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
        Awarded = "awarded",
    }
);

codes!(
    Stage {
        MarketDialogue = "market_dialogue",
        PreCommercial = "pre_commercial",
        Tender = "tender",
        Pilot = "pilot",
        Partnership = "partnership",
    }
);

impl Stage {
    /// The procurement stage as a procurement officer names it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::MarketDialogue => "Market dialogue",
            Stage::PreCommercial => "Pre-commercial procurement",
            Stage::Tender => "Tender",
            Stage::Pilot => "Pilot",
            Stage::Partnership => "Partnership",
        }
    }
}

impl ChallengeStatus {
    /// The moves a city may make. An awarded challenge is final.
    pub fn can_move_to(self, to: ChallengeStatus) -> bool {
        use ChallengeStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Open)
                    | (Open, Closed)
                    | (Closed, Open)
                    | (Open, Awarded)
                    | (Closed, Awarded)
                    | (Open, Draft)
            )
    }
}

/// A challenge as clients send it (create, or the merged result of a patch).
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    /// 3 to 150 characters.
    pub title: Option<String>,
    /// One or two sentences, up to 500 characters.
    pub summary: Option<String>,
    /// The need in full, up to 20,000 characters.
    pub description: Option<String>,
    /// One or more sector codes.
    pub sectors: Option<Vec<String>>,
    /// The climate action plan this comes from.
    pub plan_name: Option<String>,
    /// The action's reference in that plan.
    pub action_reference: Option<String>,
    pub target_year: Option<i64>,
    /// Baseline emissions addressed, tCO2e per year.
    pub baseline_tco2e: Option<f64>,
    /// Targeted reduction, tCO2e per year (at most the baseline).
    pub target_reduction_tco2e: Option<f64>,
    /// Budget range in EUR.
    pub budget_min_eur: Option<i64>,
    pub budget_max_eur: Option<i64>,
    /// market_dialogue (default), pre_commercial, tender, pilot, partnership.
    pub stage: Option<String>,
    /// Minimum technology readiness level, 1-9.
    pub min_trl: Option<i64>,
    pub co_benefits: Option<Vec<String>>,
    /// en, sv, da, no, fi, de or zh; detected from the text when not given.
    pub language: Option<String>,
    /// YYYY-MM-DD.
    pub response_deadline: Option<String>,
    /// draft (default) or open on create; later also closed, awarded.
    pub status: Option<String>,
}

/// A checked challenge, ready to store.
#[derive(Debug, Clone)]
pub struct ChallengeData {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub sectors: Vec<Sector>,
    pub plan_name: Option<String>,
    pub action_reference: Option<String>,
    pub target_year: Option<i32>,
    pub baseline_tco2e: Option<f64>,
    pub target_reduction_tco2e: Option<f64>,
    pub budget_min_eur: Option<i64>,
    pub budget_max_eur: Option<i64>,
    pub stage: Stage,
    pub min_trl: Option<i32>,
    pub co_benefits: Vec<String>,
    pub language: Language,
    pub response_deadline: Option<String>,
    pub status: ChallengeStatus,
}

impl ChallengeData {
    pub fn parse(input: ChallengeInput) -> Result<ChallengeData, FieldErrors> {
        let mut c = Check::new();
        let title = c.required_text("title", input.title, 3, 150);
        let summary = c.required_text("summary", input.summary, 1, 500);
        let description = c.required_text("description", input.description, 1, 20_000);
        let sectors = c.sectors("sectors", input.sectors);
        let plan_name = c.optional_text("plan_name", input.plan_name, 200);
        let action_reference = c.optional_text("action_reference", input.action_reference, 100);
        let target_year = c
            .int_range("target_year", input.target_year, 2000, 2100)
            .map(|y| y as i32);
        let baseline_tco2e = c.non_negative("baseline_tco2e", input.baseline_tco2e);
        let target_reduction_tco2e =
            c.non_negative("target_reduction_tco2e", input.target_reduction_tco2e);
        if let (Some(base), Some(target)) = (baseline_tco2e, target_reduction_tco2e) {
            if target > base {
                c.fail("target_reduction_tco2e", "must not exceed baseline_tco2e");
            }
        }
        let budget_min_eur =
            c.int_range("budget_min_eur", input.budget_min_eur, 0, 1_000_000_000_000);
        let budget_max_eur =
            c.int_range("budget_max_eur", input.budget_max_eur, 0, 1_000_000_000_000);
        if let (Some(min), Some(max)) = (budget_min_eur, budget_max_eur) {
            if min > max {
                c.fail("budget_min_eur", "must not exceed budget_max_eur");
            }
        }
        let stage = c
            .code("stage", input.stage, Stage::parse, Stage::codes)
            .unwrap_or(Stage::MarketDialogue);
        let min_trl = c.trl("min_trl", input.min_trl);
        let co_benefits = c.tags("co_benefits", input.co_benefits, 20);
        let language = c.language("language", input.language);
        let response_deadline = c
            .date("response_deadline", input.response_deadline)
            .map(|d| d.format("%Y-%m-%d").to_string());
        let status = c
            .code(
                "status",
                input.status,
                ChallengeStatus::parse,
                ChallengeStatus::codes,
            )
            .unwrap_or(ChallengeStatus::Draft);
        let language = language
            .unwrap_or_else(|| detect_language(&format!("{title}\n{summary}\n{description}")));
        c.finish(ChallengeData {
            title,
            summary,
            description,
            sectors,
            plan_name,
            action_reference,
            target_year,
            baseline_tco2e,
            target_reduction_tco2e,
            budget_min_eur,
            budget_max_eur,
            stage,
            min_trl,
            co_benefits,
            language,
            response_deadline,
            status,
        })
    }
}

impl ChallengeInput {
    /// The stored challenge in input form, so that a patch can be merged into it and the
    /// result checked by the same `ChallengeData::parse` as a create.
    pub fn from_stored(ch: &Challenge) -> ChallengeInput {
        ChallengeInput {
            title: Some(ch.title.clone()),
            summary: Some(ch.summary.clone()),
            description: Some(ch.description.clone()),
            sectors: Some(json_list(&ch.sectors)),
            plan_name: ch.plan_name.clone(),
            action_reference: ch.action_reference.clone(),
            target_year: ch.target_year.map(i64::from),
            baseline_tco2e: ch.baseline_tco2e,
            target_reduction_tco2e: ch.target_reduction_tco2e,
            budget_min_eur: ch.budget_min_eur,
            budget_max_eur: ch.budget_max_eur,
            stage: Some(ch.stage.clone()),
            min_trl: ch.min_trl.map(i64::from),
            co_benefits: Some(json_list(&ch.co_benefits)),
            language: Some(ch.language.clone()),
            response_deadline: ch.response_deadline.clone(),
            status: Some(ch.status.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ChallengeInput {
        ChallengeInput {
            title: Some("Electrify the bus depot".into()),
            summary: Some("Charging for 120 buses".into()),
            description: Some("The depot at Sydhavn needs overnight charging.".into()),
            sectors: Some(vec!["transport".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_to_draft_and_market_dialogue() {
        let ch = ChallengeData::parse(valid()).expect("valid");
        assert_eq!(ch.status, ChallengeStatus::Draft);
        assert_eq!(ch.stage, Stage::MarketDialogue);
    }

    #[test]
    fn rejects_inverted_budget_and_excess_reduction() {
        let input = ChallengeInput {
            budget_min_eur: Some(10),
            budget_max_eur: Some(5),
            baseline_tco2e: Some(100.0),
            target_reduction_tco2e: Some(150.0),
            min_trl: Some(0),
            ..valid()
        };
        let errors = ChallengeData::parse(input).expect_err("invalid");
        assert!(errors.0.contains_key("budget_min_eur"));
        assert!(errors.0.contains_key("target_reduction_tco2e"));
        assert!(errors.0.contains_key("min_trl"));
    }

    #[test]
    fn awarded_is_final() {
        assert!(ChallengeStatus::Draft.can_move_to(ChallengeStatus::Open));
        assert!(!ChallengeStatus::Awarded.can_move_to(ChallengeStatus::Open));
        assert!(!ChallengeStatus::Draft.can_move_to(ChallengeStatus::Awarded));
    }
}
