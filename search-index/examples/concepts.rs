//! Prints the concepts found in the judged non-English queries of an eval file (debugging).
//! `cargo run --example concepts -- queries.jsonl qrels.tsv`
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(queries), Some(qrels)) = (args.first(), args.get(1)) else {
        eprintln!("usage: concepts QUERIES QRELS");
        return;
    };
    let judged = std::fs::read_to_string(qrels).unwrap_or_default();
    let text = std::fs::read_to_string(queries).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let id = v["_id"].as_str().unwrap_or("");
        let lang = v["language"].as_str().unwrap_or("en");
        if lang == "en" || !judged.contains(id) {
            continue;
        }
        let t = format!(
            "{}\n{}",
            v["title"].as_str().unwrap_or(""),
            v["text"].as_str().unwrap_or("")
        );
        println!("{id} [{lang}] {}", v["title"].as_str().unwrap_or(""));
        println!("   {:?}", search_index::concepts_of(&t, Some(lang), "en"));
    }
}
