//! How well the words of non-English queries reach English (debugging the dictionary).
//! `cargo run --release --example coverage -- queries.jsonl [LANG]`: per language, the share
//! of distinct words per query (title and text; a compound counts as translated when a
//! part is) with an English translation, and the
//! most frequent words without one. `coverage --text LANG TEXT` shows one text's words.
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(queries) = args.first() else {
        eprintln!("usage: coverage QUERIES [LANG] | coverage --text LANG TEXT");
        return;
    };
    if queries == "--text" {
        // coverage --text LANG TEXT: every word with its translations
        let lang = args.get(1).map(String::as_str);
        let text = args.get(2).map(String::as_str).unwrap_or("");
        for (surface, term, tr) in search_index::word_coverage(text, lang) {
            println!("{surface:>24} {term:>20} -> {}", tr.join(", "));
        }
        return;
    }
    let only = args.get(1);
    let text = std::fs::read_to_string(queries).unwrap_or_default();
    let mut stats: BTreeMap<String, (usize, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let lang = v["language"].as_str().unwrap_or("en").to_string();
        if lang == "en" || only.is_some_and(|o| *o != lang) {
            continue;
        }
        let t = format!(
            "{}\n{}",
            v["title"].as_str().unwrap_or(""),
            v["text"].as_str().unwrap_or("")
        );
        // per surface word: translated if the word or any of its parts is
        let mut words: BTreeMap<String, bool> = BTreeMap::new();
        for (surface, _term, tr) in search_index::word_coverage(&t, Some(&lang)) {
            let e = words.entry(surface).or_insert(false);
            *e |= !tr.is_empty();
        }
        let s = stats.entry(lang).or_default();
        for (w, ok) in words {
            if w.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            s.0 += 1;
            if ok {
                s.1 += 1;
            } else {
                *s.2.entry(w).or_default() += 1;
            }
        }
    }
    for (lang, (n, ok, missing)) in stats {
        println!(
            "{lang}: {ok}/{n} words translated ({:.0}%)",
            100.0 * ok as f64 / n.max(1) as f64
        );
        let mut m: Vec<_> = missing.into_iter().collect();
        m.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let list: Vec<String> = m.iter().map(|(w, n)| format!("{w}:{n}")).collect();
        println!("  {}", list.join(" "));
    }
}
