//! `cargo bench`: index build and match-with-explanation on the generated corpus.
use search_index::{bench_corpus, MatchIndex};

fn main() {
    divan::main();
}

const SOLUTIONS: usize = 5_000;

#[divan::bench(sample_count = 5)]
fn index_build(bencher: divan::Bencher) {
    let corpus = bench_corpus::generate(SOLUTIONS, 0, 42);
    bencher.bench_local(|| {
        let index = MatchIndex::create_in_ram().expect("index");
        for s in &corpus.solutions {
            index.upsert_solution(s).expect("upsert");
        }
        index.commit("bench").expect("commit");
        index
    });
}

#[divan::bench]
fn match_with_explanation(bencher: divan::Bencher) {
    let corpus = bench_corpus::generate(SOLUTIONS, 200, 42);
    let index = MatchIndex::create_in_ram().expect("index");
    for s in &corpus.solutions {
        index.upsert_solution(s).expect("upsert");
    }
    index.commit("bench").expect("commit");
    let mut i = 0;
    bencher.bench_local(|| {
        let q = &corpus.queries[i % corpus.queries.len()];
        i += 1;
        index.match_challenge(q, 20, "en").expect("match")
    });
}
