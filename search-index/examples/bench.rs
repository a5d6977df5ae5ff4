//! Build-and-match timing on the generated corpus.
//! `cargo run --release --example bench -- [N_SOLUTIONS] [N_QUERIES]` (defaults 100000 2000)
use std::time::Instant;

use search_index::{bench_corpus, MatchIndex};

fn main() -> Result<(), search_index::Error> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let m: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let t = Instant::now();
    let corpus = bench_corpus::generate(n, m, 42);
    eprintln!("generated in {:.1}s", t.elapsed().as_secs_f64());
    let index = MatchIndex::create_in_ram()?;
    // Parse the thesaurus and load the language models before timing: a one-off cost at
    // process start (about a second), not a per-document one.
    let _ = search_index::concepts_of("district heating", Some("en"), "en");
    let _ = search_index::detect_language("district heating");
    let t = Instant::now();
    // Analysis runs on the caller's threads: feed from two.
    let half = corpus.solutions.len() / 2;
    let (a, b) = corpus.solutions.split_at(half);
    std::thread::scope(|s| -> Result<(), search_index::Error> {
        let h = s.spawn(|| -> Result<(), search_index::Error> {
            for d in a {
                index.upsert_solution(d)?;
            }
            Ok(())
        });
        for d in b {
            index.upsert_solution(d)?;
        }
        h.join().map_err(|_| search_index::Error::Poisoned)??;
        Ok(())
    })?;
    index.commit("bench")?;
    let build = t.elapsed().as_secs_f64();
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
