//! Offline evaluation on BEIR-style judgements (`shared/eval/README.md`).
//!
//! The corpus is indexed as published solutions serving every country with no TRL, and
//! every judged query runs as an open challenge (its sectors and language, no minimum TRL,
//! no country) through [`MatchIndex::match_challenge`]: the product's own code path.
//! Metrics follow trec_eval: nDCG@10 (linear gain = grade, log2(rank+1) discount, ideal
//! from all judged grades), recall@10/50 and MRR@10 on grade >= 1, judged@10 over 10 slots.
//! A query counts when it has at least one grade >= 1.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{ChallengeDoc, Error, MatchIndex, Result, SolutionDoc};

/// Averages over a set of queries, in the README's `--json` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of queries averaged.
    pub queries: usize,
    /// nDCG@10
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Recall@10
    #[serde(rename = "recall@10")]
    pub recall_10: f64,
    /// Recall@50
    #[serde(rename = "recall@50")]
    pub recall_50: f64,
    /// MRR@10
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    /// judged@10
    #[serde(rename = "judged@10")]
    pub judged_10: f64,
}

/// The evaluation report: `{"all": {...}, "by_language": {"en": {...}, ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Over all counted queries.
    pub all: Metrics,
    /// Per query language.
    pub by_language: BTreeMap<String, Metrics>,
}

/// A finished evaluation: the report and the ranked lists (top 100 per judged query).
#[derive(Debug, Clone, Default)]
pub struct EvalRun {
    /// The figures.
    pub report: Report,
    /// `(query id, [(corpus id, score)])` in query file order.
    pub run: Vec<(String, Vec<(String, f32)>)>,
}

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    sectors: Vec<String>,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    language: Option<String>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))
}

fn jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line)
                .map_err(|e| Error::Invalid(format!("{}:{}: {e}", path.display(), i + 1)))?,
        );
    }
    Ok(out)
}

/// Reads a qrels TSV with a header line: query id -> corpus id -> grade.
pub fn read_qrels(path: &Path) -> Result<HashMap<String, HashMap<String, u32>>> {
    let text = read(path)?;
    let mut out: HashMap<String, HashMap<String, u32>> = HashMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() < 3 {
            continue;
        }
        let grade: u32 = cols[2].parse().map_err(|_| {
            Error::Invalid(format!(
                "{}:{}: bad score {:?}",
                path.display(),
                i + 1,
                cols[2]
            ))
        })?;
        out.entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), grade);
    }
    Ok(out)
}

/// Per-query figures (None when the query has no grade >= 1 and does not count).
pub fn query_metrics(ranked: &[String], grades: &HashMap<String, u32>) -> Option<Metrics> {
    let relevant = grades.values().filter(|g| **g >= 1).count();
    if relevant == 0 {
        return None;
    }
    let grade = |d: &String| grades.get(d).copied().unwrap_or(0);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| f64::from(grade(d)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| f64::from(*g) / ((i + 2) as f64).log2())
        .sum();
    let found = |k: usize| ranked.iter().take(k).filter(|d| grade(d) >= 1).count() as f64;
    let mrr = ranked
        .iter()
        .take(10)
        .position(|d| grade(d) >= 1)
        .map(|p| 1.0 / (p + 1) as f64)
        .unwrap_or(0.0);
    let judged = ranked
        .iter()
        .take(10)
        .filter(|d| grades.contains_key(*d))
        .count() as f64
        / 10.0;
    Some(Metrics {
        queries: 1,
        ndcg_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall_10: found(10) / relevant as f64,
        recall_50: found(50) / relevant as f64,
        mrr_10: mrr,
        judged_10: judged,
    })
}

fn mean(list: &[Metrics]) -> Metrics {
    let n = list.len().max(1) as f64;
    let s = |f: fn(&Metrics) -> f64| list.iter().map(f).sum::<f64>() / n;
    Metrics {
        queries: list.len(),
        ndcg_10: s(|m| m.ndcg_10),
        recall_10: s(|m| m.recall_10),
        recall_50: s(|m| m.recall_50),
        mrr_10: s(|m| m.mrr_10),
        judged_10: s(|m| m.judged_10),
    }
}

/// Indexes `corpus`, runs every judged query of `queries` and scores the run on `qrels`.
pub fn run_eval(corpus: &Path, queries: &[PathBuf], qrels: &Path) -> Result<EvalRun> {
    run_eval_with(
        corpus,
        queries,
        qrels,
        crate::ranking::RankWeights::default(),
    )
}

/// [`run_eval`] with other ranking parameters (for tuning experiments).
pub fn run_eval_with(
    corpus: &Path,
    queries: &[PathBuf],
    qrels: &Path,
    weights: crate::ranking::RankWeights,
) -> Result<EvalRun> {
    let qrels = read_qrels(qrels)?;
    let index = MatchIndex::create_in_ram()?;
    index.set_weights(weights);
    for line in jsonl::<CorpusLine>(corpus)? {
        index.upsert_solution(&SolutionDoc {
            id: line.id,
            title: line.title,
            summary: String::new(),
            description: line.text,
            sectors: line.sectors,
            trl: None,
            countries: Vec::new(),
            global: true,
            language: None,
            published: true,
            updated_at: 0,
        })?;
    }
    index.commit("eval")?;
    let mut run = Vec::new();
    let mut all = Vec::new();
    let mut by_lang: BTreeMap<String, Vec<Metrics>> = BTreeMap::new();
    for file in queries {
        for q in jsonl::<QueryLine>(file)? {
            let Some(grades) = qrels.get(&q.id) else {
                continue;
            };
            let lang = q.language.clone().unwrap_or_else(|| "en".into());
            let ch = ChallengeDoc {
                id: q.id.clone(),
                description: q.text,
                title: q.title,
                summary: String::new(),
                sectors: q.sectors,
                min_trl: None,
                country: None,
                language: q.language,
                status: "open".into(),
                updated_at: 0,
            };
            let hits = index.match_challenge(&ch, 100, &lang)?;
            let ranked: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
            if let Some(m) = query_metrics(&ranked, grades) {
                by_lang.entry(lang).or_default().push(m.clone());
                all.push(m);
            }
            run.push((q.id, hits.into_iter().map(|h| (h.id, h.score)).collect()));
        }
    }
    Ok(EvalRun {
        report: Report {
            all: mean(&all),
            by_language: by_lang
                .iter()
                .map(|(l, ms)| (l.clone(), mean(ms)))
                .collect(),
        },
        run,
    })
}

/// Writes a TREC run: `query-id Q0 corpus-id rank score cleanmatch`, top 100 per query.
pub fn write_trec_run(
    run: &[(String, Vec<(String, f32)>)],
    out: &mut impl Write,
) -> std::io::Result<()> {
    for (qid, hits) in run {
        for (rank, (doc, score)) in hits.iter().take(100).enumerate() {
            writeln!(out, "{qid} Q0 {doc} {} {score:.4} cleanmatch", rank + 1)?;
        }
    }
    Ok(())
}

impl Report {
    /// A plain-text table of the report.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "{:<6} {:>7} {:>8} {:>9} {:>9} {:>7} {:>9}\n",
            "lang", "queries", "ndcg@10", "recall@10", "recall@50", "mrr@10", "judged@10"
        );
        let row = |name: &str, m: &Metrics| {
            format!(
                "{:<6} {:>7} {:>8.3} {:>9.3} {:>9.3} {:>7.3} {:>9.3}\n",
                name, m.queries, m.ndcg_10, m.recall_10, m.recall_50, m.mrr_10, m.judged_10
            )
        };
        s.push_str(&row("all", &self.all));
        for (l, m) in &self.by_language {
            s.push_str(&row(l, m));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_follow_trec_eval() {
        let grades: HashMap<String, u32> = [("a", 2), ("b", 1), ("c", 0)]
            .into_iter()
            .map(|(d, g)| (d.to_string(), g))
            .collect();
        let perfect = query_metrics(&["a".into(), "b".into()], &grades).expect("counts");
        assert!((perfect.ndcg_10 - 1.0).abs() < 1e-9);
        assert_eq!(perfect.mrr_10, 1.0);
        assert_eq!(perfect.recall_10, 1.0);
        assert!((perfect.judged_10 - 0.2).abs() < 1e-9);
        let late = query_metrics(&["x".into(), "c".into(), "b".into()], &grades).expect("counts");
        assert!((late.mrr_10 - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(late.recall_10, 0.5);
        let idcg = 2.0 + 1.0 / 3f64.log2();
        assert!((late.ndcg_10 - (1.0 / 4f64.log2()) / idcg).abs() < 1e-9);
        let none: HashMap<String, u32> = [("a".to_string(), 0)].into_iter().collect();
        assert!(query_metrics(&["a".into()], &none).is_none());
    }
}
