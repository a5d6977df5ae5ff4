//! `cleanmatch bench match`: the matcher on a generated multilingual corpus, run as the
//! product runs it (filters and explanations included), against SQLite FTS5 `bm25()` on
//! the same corpus and queries in the same run as a baseline.

use std::fmt;
use std::time::Instant;

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::Text;
use search_index::{ChallengeDoc, MatchIndex, SolutionDoc};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct LatencyFigures {
    pub qps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

#[derive(Debug, Serialize)]
pub struct MatchBenchReport {
    pub solutions: usize,
    pub queries: usize,
    pub index_build_s: f64,
    pub docs_per_s: f64,
    pub qps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub peak_rss_mb: f64,
    /// Mean number of hits returned per query (the matcher's hard filters apply).
    pub mean_hits: f64,
    pub fts5: LatencyFigures,
    pub fts5_build_s: f64,
    pub speedup_vs_fts5: f64,
}

impl fmt::Display for MatchBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "corpus: {} solutions, {} queries",
            self.solutions, self.queries
        )?;
        writeln!(
            f,
            "index build: {:.2} s ({:.0} docs/s)",
            self.index_build_s, self.docs_per_s
        )?;
        writeln!(
            f,
            "matcher (filters + explanations): {:.0} queries/s, p50 {} us, p99 {} us, {:.1} hits/query",
            self.qps, self.p50_us, self.p99_us, self.mean_hits
        )?;
        writeln!(
            f,
            "SQLite FTS5 bm25 baseline: build {:.2} s, {:.0} queries/s, p50 {} us, p99 {} us",
            self.fts5_build_s, self.fts5.qps, self.fts5.p50_us, self.fts5.p99_us
        )?;
        writeln!(f, "throughput vs FTS5: {:.1}x", self.speedup_vs_fts5)?;
        write!(f, "peak RSS: {:.0} MB", self.peak_rss_mb)
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn latency(mut micros: Vec<u64>, total_s: f64) -> LatencyFigures {
    micros.sort_unstable();
    LatencyFigures {
        qps: micros.len() as f64 / total_s.max(1e-9),
        p50_us: percentile(&micros, 0.50),
        p99_us: percentile(&micros, 0.99),
    }
}

/// Peak resident memory of this process (Linux), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

/// The words of a challenge as an FTS5 query: any of them, quoted.
fn fts5_query(ch: &ChallengeDoc) -> String {
    let text = format!("{} {}", ch.title, ch.summary);
    let mut words: Vec<String> = Vec::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
    {
        let w = w.to_lowercase();
        if !words.contains(&w) {
            words.push(w);
        }
        if words.len() == 32 {
            break;
        }
    }
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn run_fts5(
    solutions: &[SolutionDoc],
    queries: &[ChallengeDoc],
    dir: &std::path::Path,
) -> anyhow::Result<(f64, LatencyFigures)> {
    let path = dir.join("fts5.db");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    diesel::sql_query(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, summary, description, tokenize = 'unicode61')",
    )
    .execute(&mut conn)
    .context("this SQLite has no FTS5")?;
    let started = Instant::now();
    conn.transaction(|conn| {
        for s in solutions {
            diesel::sql_query(
                "INSERT INTO docs (id, title, summary, description) VALUES (?, ?, ?, ?)",
            )
            .bind::<Text, _>(&s.id)
            .bind::<Text, _>(&s.title)
            .bind::<Text, _>(&s.summary)
            .bind::<Text, _>(&s.description)
            .execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })?;
    let build_s = started.elapsed().as_secs_f64();
    let mut micros = Vec::with_capacity(queries.len());
    let started = Instant::now();
    for q in queries {
        let t = Instant::now();
        let query = fts5_query(q);
        if !query.is_empty() {
            let hits: Vec<IdRow> = diesel::sql_query(
                "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 3.0, 2.0, 1.0) LIMIT 20",
            )
            .bind::<Text, _>(&query)
            .load(&mut conn)?;
            std::hint::black_box(hits.iter().map(|h| h.id.len()).sum::<usize>());
        }
        micros.push(t.elapsed().as_micros() as u64);
    }
    Ok((build_s, latency(micros, started.elapsed().as_secs_f64())))
}

pub fn run_match_bench(n_solutions: usize, n_queries: usize) -> anyhow::Result<MatchBenchReport> {
    let corpus = search_index::bench_corpus::generate(n_solutions, n_queries, 42);
    let (solutions, queries) = (corpus.solutions, corpus.queries);
    let dir = tempfile::tempdir()?;
    let index_dir = dir.path().join("index");
    std::fs::create_dir_all(&index_dir)?;
    let (index, _) = MatchIndex::open_or_create(&index_dir)?;
    let started = Instant::now();
    index.upsert_solutions(&solutions)?;
    index.commit("bench")?;
    let index_build_s = started.elapsed().as_secs_f64();

    let mut micros = Vec::with_capacity(queries.len());
    let mut hits_total = 0usize;
    let started = Instant::now();
    for q in &queries {
        let t = Instant::now();
        let hits = index.match_challenge(q, crate::matching::MATCHES_PER_RECORD, "en")?;
        micros.push(t.elapsed().as_micros() as u64);
        hits_total += hits.len();
    }
    let ours = latency(micros, started.elapsed().as_secs_f64());
    let (fts5_build_s, fts5) = run_fts5(&solutions, &queries, dir.path())?;
    Ok(MatchBenchReport {
        solutions: solutions.len(),
        queries: queries.len(),
        index_build_s,
        docs_per_s: solutions.len() as f64 / index_build_s.max(1e-9),
        qps: ours.qps,
        p50_us: ours.p50_us,
        p99_us: ours.p99_us,
        peak_rss_mb: peak_rss_mb(),
        mean_hits: hits_total as f64 / queries.len().max(1) as f64,
        speedup_vs_fts5: ours.qps / fts5.qps.max(1e-9),
        fts5,
        fts5_build_s,
    })
}
