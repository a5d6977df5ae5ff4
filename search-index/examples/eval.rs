//! Runs the matcher on BEIR-style judgements and prints the figures.
//!
//! ```text
//! cargo run --release --example eval -- --corpus corpus.jsonl --queries queries.jsonl \
//!     [--queries more.jsonl] --qrels qrels-dev.tsv [--run-out run.txt] [--json]
//! ```
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut corpus = None;
    let mut queries = Vec::new();
    let mut qrels = None;
    let mut run_out = None;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--corpus" => corpus = args.next().map(PathBuf::from),
            "--queries" => queries.extend(args.next().map(PathBuf::from)),
            "--qrels" => qrels = args.next().map(PathBuf::from),
            "--run-out" => run_out = args.next().map(PathBuf::from),
            "--json" => json = true,
            other => {
                eprintln!("unknown argument {other}");
                return ExitCode::FAILURE;
            }
        }
    }
    let (Some(corpus), Some(qrels)) = (corpus, qrels) else {
        eprintln!(
            "usage: eval --corpus F --queries F [--queries F2] --qrels F [--run-out F] [--json]"
        );
        return ExitCode::FAILURE;
    };
    if queries.is_empty() {
        eprintln!("at least one --queries file is needed");
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    // Tuning experiments: CM_WEIGHTS='{"sectors": 20}' overrides ranking parameters.
    let weights = match std::env::var("CM_WEIGHTS") {
        Ok(s) => match serde_json::from_str(&s) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("bad CM_WEIGHTS: {e}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => search_index::ranking::RankWeights::default(),
    };
    if std::env::var("CM_DEBUG_LANG").is_ok() {
        // Which languages detection gives the corpus documents (diagnostics).
        let text = std::fs::read_to_string(&corpus).unwrap_or_default();
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let t = format!(
                "{}\n{}",
                v["title"].as_str().unwrap_or(""),
                v["text"].as_str().unwrap_or("")
            );
            let l = search_index::detect_language(&t).unwrap_or("none");
            *counts.entry(l).or_default() += 1;
            if l != "en" {
                eprintln!("{l}: {}", t.chars().take(100).collect::<String>());
            }
        }
        eprintln!("{counts:?}");
    }
    let result = match search_index::eval::run_eval_with(&corpus, &queries, &qrels, weights) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eval failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = run_out {
        let written = std::fs::File::create(&path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            search_index::eval::write_trec_run(&result.run, &mut w)
        });
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if json {
        match serde_json::to_string_pretty(&result.report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", result.report.to_table());
        eprintln!("({:.1}s)", started.elapsed().as_secs_f64());
    }
    ExitCode::SUCCESS
}
