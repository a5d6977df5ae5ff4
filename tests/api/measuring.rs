//! The measuring commands through the real binary, as outside checks call them:
//! `cleanmatch eval` (BEIR-style files in, trec_eval figures and a TREC run out) and
//! `cleanmatch bench match`.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

/// Runs `cleanmatch ARGS` (these commands need no database).
async fn cleanmatch(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_cleanmatch"))
        .args(args)
        .output()
        .await
        .expect("run cleanmatch")
}

/// Runs `cleanmatch eval` on the three files, with `more` options.
async fn eval(corpus: &str, queries: &str, qrels: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "eval",
        "--corpus",
        corpus,
        "--queries",
        queries,
        "--qrels",
        qrels,
    ];
    args.extend_from_slice(more);
    cleanmatch(&args).await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(path, text.join("\n") + "\n").expect("write");
}

/// Four solutions, three judged challenges (one Swedish, one English, one whose only
/// judgement is "not relevant") and one challenge without judgements.
fn collection(dir: &Path) -> [String; 3] {
    let corpus = dir.join("corpus.jsonl");
    write_lines(
        &corpus,
        &[
            json!({"_id": "s-heat", "title": "Nordic Heat Networks", "text": "We design and run district heating networks that carry waste heat from industry to homes.", "sectors": ["energy"], "tags": [], "source": "test"}),
            json!({"_id": "s-pump", "title": "PumpCo", "text": "Large heat pumps for apartment blocks and offices.", "sectors": ["buildings"], "tags": [], "source": "test"}),
            json!({"_id": "s-ev", "title": "ChargeGrid", "text": "Charging stations for electric buses at depots, with smart load management.", "sectors": ["transport"], "tags": [], "source": "test"}),
            json!({"_id": "s-waste", "title": "SortIt", "text": "Optical sorting of household waste for recycling plants.", "sectors": ["waste"], "tags": [], "source": "test"}),
        ],
    );
    let queries = dir.join("queries.jsonl");
    write_lines(
        &queries,
        &[
            json!({"_id": "q-sv", "title": "Utbyggnad av fjärrvärme", "text": "Staden vill bygga ut fjärrvärmenätet och ta tillvara spillvärme.", "sectors": ["energy"], "language": "sv", "source": "test"}),
            json!({"_id": "q-en", "title": "Electric bus depot charging", "text": "Electrify the bus depot with charging for the city's electric buses.", "sectors": ["transport"], "language": "en", "source": "test"}),
            json!({"_id": "q-none", "title": "Sorting household waste", "text": "More recycling of household waste.", "sectors": ["waste"], "language": "en", "source": "test"}),
            json!({"_id": "q-unjudged", "title": "Heat pumps in schools", "text": "Replace oil boilers with heat pumps.", "sectors": ["buildings"], "language": "en", "source": "test"}),
        ],
    );
    let qrels = dir.join("qrels.tsv");
    std::fs::write(
        &qrels,
        "query-id\tcorpus-id\tscore\nq-sv\ts-heat\t2\nq-sv\ts-pump\t1\nq-en\ts-ev\t2\nq-en\ts-heat\t0\nq-none\ts-pump\t0\n",
    )
    .expect("write qrels");
    [corpus, queries, qrels].map(|p| p.to_string_lossy().into_owned())
}

#[tokio::test]
async fn eval_prints_the_figures_per_language_and_writes_a_trec_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [corpus, queries, qrels] = collection(dir.path());
    let run = dir.path().join("run.txt");
    let run_arg = run.to_string_lossy().into_owned();
    let output = eval(
        &corpus,
        &queries,
        &qrels,
        &["--run-out", &run_arg, "--json"],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    // q-none has no grade >= 1, so only two queries count
    assert_eq!(report["all"]["queries"], 2, "{report}");
    for metric in ["ndcg@10", "recall@10", "recall@50", "mrr@10", "judged@10"] {
        assert!(report["all"][metric].is_number(), "{metric}: {report}");
    }
    // the Swedish challenge finds the English district heating company first, through
    // the concept; the bus depot finds the charging company first
    assert_eq!(report["all"]["mrr@10"], 1.0, "{report}");
    assert_eq!(report["by_language"]["sv"]["queries"], 1, "{report}");
    assert_eq!(report["by_language"]["en"]["queries"], 1, "{report}");
    assert_eq!(report["by_language"]["en"]["ndcg@10"], 1.0, "{report}");
    assert_eq!(report["all"]["recall@10"], 1.0, "{report}");

    // the run: `query-id Q0 corpus-id rank score cleanmatch`, best first, for the judged
    // challenges only
    let text = std::fs::read_to_string(&run).expect("run file");
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert!(lines
        .iter()
        .all(|l| l.len() == 6 && l[1] == "Q0" && l[5] == "cleanmatch"));
    let of = |q: &str| -> Vec<(&str, usize, f64)> {
        lines
            .iter()
            .filter(|l| l[0] == q)
            .map(|l| {
                (
                    l[2],
                    l[3].parse().expect("rank"),
                    l[4].parse().expect("score"),
                )
            })
            .collect()
    };
    let sv = of("q-sv");
    assert_eq!(
        sv.first().map(|h| (h.0, h.1)),
        Some(("s-heat", 1)),
        "{text}"
    );
    assert!(sv
        .windows(2)
        .all(|w| w[0].1 + 1 == w[1].1 && w[0].2 >= w[1].2));
    assert_eq!(of("q-en").first().map(|h| h.0), Some("s-ev"), "{text}");
    assert!(of("q-unjudged").is_empty(), "{text}");

    // the table names every language it measured
    let output = eval(&corpus, &queries, &qrels, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    assert!(
        table.contains("ndcg@10") && table.contains("judged@10"),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("sv")) && table.lines().any(|l| l.starts_with("all")),
        "{table}"
    );
}

#[tokio::test]
async fn eval_names_the_file_it_cannot_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [corpus, queries, _] = collection(dir.path());
    let missing = dir.path().join("no-such-qrels.tsv");
    let output = eval(&corpus, &queries, &missing.to_string_lossy(), &[]).await;
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("no-such-qrels.tsv"), "{err}");
}

#[tokio::test]
async fn bench_match_prints_its_figures_and_the_fts5_baseline() {
    let output = cleanmatch(&[
        "bench",
        "match",
        "--solutions",
        "300",
        "--queries",
        "20",
        "--json",
    ])
    .await;
    assert!(output.status.success(), "{output:?}");
    let r: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    assert_eq!(r["solutions"], 300, "{r}");
    assert_eq!(r["queries"], 20, "{r}");
    let num = |v: &Value| v.as_f64().unwrap_or(-1.0);
    for key in [
        "index_build_s",
        "docs_per_s",
        "qps",
        "peak_rss_mb",
        "speedup_vs_fts5",
    ] {
        assert!(num(&r[key]) > 0.0, "{key}: {r}");
    }
    assert!(num(&r["fts5"]["qps"]) > 0.0, "{r}");
    assert!(num(&r["p50_us"]) <= num(&r["p99_us"]), "{r}");
    assert!(
        num(&r["fts5"]["p50_us"]) <= num(&r["fts5"]["p99_us"]),
        "{r}"
    );
    // the ratio is the two throughputs of this run
    let ratio = num(&r["qps"]) / num(&r["fts5"]["qps"]);
    assert!(
        (num(&r["speedup_vs_fts5"]) - ratio).abs() < 1e-6 * ratio,
        "{r}"
    );
    // matches are found, as the product finds them (with filters and explanations)
    assert!(num(&r["mean_hits"]) > 0.0, "{r}");

    let output = cleanmatch(&["bench", "match", "--solutions", "100", "--queries", "5"]).await;
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("throughput vs FTS5"), "{text}");
    assert!(
        text.contains("docs/s") && text.contains("peak RSS"),
        "{text}"
    );
}
