//! `cleanmatch import challenges|solutions FILE --org ID`: bulk loading from JSON lines
//! or CSV through the same checks as the API. Bad rows are reported with their line
//! number and reason; good rows are stored.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};

use crate::cli::ImportKind;
use crate::db::models::Organization;
use crate::db::schema::organizations;
use crate::db::{store, DbPool};
use crate::domain::challenge::{ChallengeData, ChallengeInput, ChallengeStatus};
use crate::domain::solution::{SolutionData, SolutionInput, SolutionStatus};
use crate::web::json;

pub struct ImportReport {
    pub stored: usize,
    pub rejected: usize,
    /// (line number, reason)
    pub errors: Vec<(usize, String)>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (line, reason) in &self.errors {
            writeln!(f, "line {line}: {reason}")?;
        }
        write!(
            f,
            "imported {} rows, rejected {}",
            self.stored, self.rejected
        )
    }
}

/// CSV columns that hold lists (separated by `;`), numbers or booleans.
const LIST_COLUMNS: &[&str] = &["sectors", "co_benefits", "countries"];
const INT_COLUMNS: &[&str] = &[
    "target_year",
    "budget_min_eur",
    "budget_max_eur",
    "min_trl",
    "trl",
];
const FLOAT_COLUMNS: &[&str] = &[
    "baseline_tco2e",
    "target_reduction_tco2e",
    "claimed_reduction_tco2e",
];
const BOOL_COLUMNS: &[&str] = &["global"];

/// A CSV cell as the JSON value the API would receive; cells that do not parse stay
/// text so that the row's error names the column.
fn cell_value(column: &str, cell: &str) -> Option<Value> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    Some(if LIST_COLUMNS.contains(&column) {
        Value::Array(
            cell.split(';')
                .map(|s| Value::String(s.trim().to_owned()))
                .filter(|v| v != "")
                .collect(),
        )
    } else if INT_COLUMNS.contains(&column) {
        cell.parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(cell.into()))
    } else if FLOAT_COLUMNS.contains(&column) {
        cell.parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(cell.into()))
    } else if BOOL_COLUMNS.contains(&column) {
        match cell.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => Value::String(cell.into()),
        }
    } else {
        Value::String(cell.into())
    })
}

/// The rows of a file as (line number, JSON object or a reason it is unreadable).
fn read_rows(path: &Path) -> anyhow::Result<Vec<(usize, Result<Value, String>)>> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let headers: Vec<String> = reader
            .headers()?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            match record {
                Ok(record) => {
                    let line = record.position().map_or(0, |p| p.line() as usize);
                    let mut object = Map::new();
                    for (column, cell) in headers.iter().zip(record.iter()) {
                        if let Some(v) = cell_value(column, cell) {
                            object.insert(column.clone(), v);
                        }
                    }
                    rows.push((line, Ok(Value::Object(object))));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    rows.push((line, Err(format!("unreadable CSV row: {e}"))));
                }
            }
        }
        Ok(rows)
    } else {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                (
                    i + 1,
                    serde_json::from_str::<Value>(l).map_err(|e| format!("not valid JSON: {e}")),
                )
            })
            .collect())
    }
}

fn describe(e: crate::error::ApiError) -> String {
    match e {
        crate::error::ApiError::Validation(fields) => fields.to_string(),
        other => other.to_string(),
    }
}

pub fn run(
    pool: &DbPool,
    kind: ImportKind,
    path: &Path,
    org_id: &str,
) -> anyhow::Result<ImportReport> {
    let mut conn = pool.get()?;
    let org = organizations::table
        .find(org_id)
        .select(Organization::as_select())
        .first::<Organization>(&mut conn)
        .optional()?
        .with_context(|| format!("--org: no organisation with id {org_id}"))?;
    match (kind, org.kind.as_str()) {
        (ImportKind::Challenges, "city") | (ImportKind::Solutions, "company") => {}
        (ImportKind::Challenges, other) => bail!(
            "--org: challenges belong to cities; {} is a {other}",
            org.name
        ),
        (ImportKind::Solutions, other) => bail!(
            "--org: solutions belong to companies; {} is a {other}",
            org.name
        ),
    }
    let rows = read_rows(path)?;
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut report = ImportReport {
        stored: 0,
        rejected: 0,
        errors: Vec::new(),
    };
    for (line, row) in rows {
        let outcome: Result<(), String> = row.and_then(|value| match kind {
            ImportKind::Challenges => {
                let input: ChallengeInput = json::from_value(value).map_err(describe)?;
                let data = ChallengeData::parse(input).map_err(|e| e.to_string())?;
                if !matches!(data.status, ChallengeStatus::Draft | ChallengeStatus::Open) {
                    return Err("status: an imported challenge is draft or open".into());
                }
                store::insert_challenge(&mut conn, &data, &org.id, None)
                    .map(|_| ())
                    .map_err(|e| format!("not stored: {e}"))
            }
            ImportKind::Solutions => {
                let input: SolutionInput = json::from_value(value).map_err(describe)?;
                let data = SolutionData::parse(input).map_err(|e| e.to_string())?;
                if data.status == SolutionStatus::Archived {
                    return Err("status: an imported solution is draft or published".into());
                }
                store::insert_solution(&mut conn, &data, &org.id, None)
                    .map(|_| ())
                    .map_err(|e| format!("not stored: {e}"))
            }
        });
        match outcome {
            Ok(()) => report.stored += 1,
            Err(reason) => {
                bar.suspend(|| eprintln!("line {line}: {reason}"));
                report.rejected += 1;
                report.errors.push((line, reason));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}
