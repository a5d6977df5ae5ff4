//! Build-and-match timing on the generated corpus.
//! `cargo run --release --example bench -- [N_SOLUTIONS] [N_QUERIES] [INDEX_DIR]` (defaults
//! 100000 2000, in memory). With `INDEX_DIR`, an index built there before is reused, so that
//! a profiler sees the queries only. `CM_WEIGHTS` (JSON) overrides ranking parameters;
//! `CM_DUMP=FILE` writes every query's top 20 (JSON, one line per query) to FILE, so that
//! two versions of the ranking can be compared with `cmp`.
use std::time::Instant;

use search_index::{bench_corpus, MatchIndex};

// The allocator of the product's binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), search_index::Error> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let m: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let t = Instant::now();
    let corpus = bench_corpus::generate(n, m, 42);
    eprintln!("generated in {:.1}s", t.elapsed().as_secs_f64());
    let dir = args.next().map(std::path::PathBuf::from);
    let (index, reuse) = match &dir {
        Some(d) => {
            let (index, state) = MatchIndex::open_or_create(d)?;
            let reuse = matches!(state, search_index::OpenState::Existing { .. })
                && index.num_docs() as usize == n;
            (index, reuse)
        }
        None => (MatchIndex::create_in_ram()?, false),
    };
    // Parse the thesaurus and load the language models before timing: a one-off cost at
    // process start (about a second), not a per-document one.
    let _ = search_index::concepts_of("district heating", Some("en"), "en");
    let _ = search_index::detect_language("district heating");
    let t = Instant::now();
    if !reuse {
        if dir.is_some() {
            index.clear()?;
        }
        index.upsert_solutions(&corpus.solutions)?;
        index.commit("bench")?;
    }
    let build = t.elapsed().as_secs_f64();
    // Tuning experiments: CM_WEIGHTS='{"candidates": 50}' overrides ranking parameters.
    if let Ok(json) = std::env::var("CM_WEIGHTS") {
        index.set_weights(serde_json::from_str(&json).expect("CM_WEIGHTS: RankWeights as JSON"));
    }
    eprintln!("{} segments", index.num_segments());
    let mut lat = Vec::with_capacity(m);
    let mut hits = 0usize;
    let t = Instant::now();
    for q in &corpus.queries {
        let s = Instant::now();
        hits += index.match_challenge(q, 20, "en")?.len();
        lat.push(s.elapsed().as_micros() as u64);
    }
    let total = t.elapsed().as_secs_f64();
    lat.sort_unstable();
    if std::env::var("CM_COMPARE").is_ok() {
        // How many of the exhaustive top 20 the budgeted first pass finds.
        let budgeted: Vec<Vec<String>> = corpus
            .queries
            .iter()
            .map(|q| {
                index
                    .match_challenge(q, 20, "en")
                    .map(|h| h.into_iter().map(|h| h.id).collect())
            })
            .collect::<Result<_, _>>()?;
        let mut exhaustive = index.weights();
        exhaustive.first_pass_postings = u64::MAX;
        index.set_weights(exhaustive);
        let t = Instant::now();
        let (mut found, mut total) = (0usize, 0usize);
        for (q, mine) in corpus.queries.iter().zip(&budgeted) {
            let all = index.match_challenge(q, 20, "en")?;
            total += all.len();
            found += all.iter().filter(|h| mine.contains(&h.id)).count();
        }
        eprintln!(
            "budgeted first pass finds {:.1}% of the exhaustive top 20 (exhaustive: {:.0} queries/s)",
            100.0 * found as f64 / total.max(1) as f64,
            corpus.queries.len() as f64 / t.elapsed().as_secs_f64()
        );
    }
    if let Ok(path) = std::env::var("CM_DUMP") {
        let mut out = String::new();
        for q in &corpus.queries {
            let hits = index.match_challenge(q, 20, "en")?;
            out.push_str(&serde_json::to_string(&hits).expect("hits as JSON"));
            out.push('\n');
        }
        std::fs::write(&path, out).expect("CM_DUMP: writable file");
    }
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "{{\"solutions\":{n},\"queries\":{m},\"index_build_s\":{build:.2},\"docs_per_s\":{:.0},\"qps\":{:.0},\"p50_us\":{},\"p99_us\":{},\"avg_hits\":{:.1}}}",
        n as f64 / build,
        m as f64 / total,
        p(0.5),
        p(0.99),
        hits as f64 / m as f64
    );
    Ok(())
}
