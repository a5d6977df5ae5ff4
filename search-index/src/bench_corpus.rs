//! A deterministic, realistic multilingual corpus for benchmarks (`cleanmatch bench match`).
//!
//! Solutions and challenges are written from thesaurus and glossary labels in all seven
//! languages, with sentence templates per language, varied lengths, sectors, TRLs and
//! countries. The same `(n_solutions, n_queries, seed)` always gives the same corpus.
//!
//! ```
//! let c = search_index::bench_corpus::generate(50, 5, 7);
//! assert_eq!((c.solutions.len(), c.queries.len()), (50, 5));
//! assert_eq!(c, search_index::bench_corpus::generate(50, 5, 7));
//! ```

use crate::lang::Lang;
use crate::schema::SECTORS;
use crate::thesaurus::{thesaurus, ConceptIdx};
use crate::{ChallengeDoc, SolutionDoc};

/// Generated documents.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchCorpus {
    /// Solutions (about 95% published).
    pub solutions: Vec<SolutionDoc>,
    /// Challenges to match, all open.
    pub queries: Vec<ChallengeDoc>,
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const LANG_WEIGHTS: [(Lang, usize); 7] = [
    (Lang::En, 40),
    (Lang::Sv, 12),
    (Lang::Da, 10),
    (Lang::No, 8),
    (Lang::Fi, 8),
    (Lang::De, 12),
    (Lang::Zh, 10),
];

const COUNTRIES: [&str; 10] = ["SE", "DK", "NO", "FI", "DE", "CN", "GB", "NL", "US", "FR"];

fn pick_lang(rng: &mut Rng) -> Lang {
    let total: usize = LANG_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut x = rng.below(total);
    for (l, w) in LANG_WEIGHTS {
        if x < w {
            return l;
        }
        x -= w;
    }
    Lang::En
}

/// Sentence templates: `{a}` and `{b}` are concept labels.
fn solution_templates(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "We deliver {a} for cities and utilities.",
            "Our platform combines {a} with {b} to cut emissions.",
            "The system reduces costs of {a} by up to 30 percent.",
            "Proven {a} with reference projects in {b}.",
            "We help municipalities plan and finance {a}.",
        ],
        Lang::Sv => &[
            "Vi levererar {a} till kommuner och energibolag.",
            "Vår plattform kombinerar {a} med {b} för att minska utsläppen.",
            "Systemet sänker kostnaderna för {a} med upp till 30 procent.",
            "Beprövad {a} med referensprojekt inom {b}.",
        ],
        Lang::Da => &[
            "Vi leverer {a} til kommuner og forsyninger.",
            "Vores platform kombinerer {a} med {b} for at reducere udledningerne.",
            "Systemet sænker omkostningerne til {a} med op til 30 procent.",
            "Afprøvet {a} med referenceprojekter inden for {b}.",
        ],
        Lang::No => &[
            "Vi leverer {a} til kommuner og energiselskaper.",
            "Plattformen vår kombinerer {a} med {b} for å kutte utslipp.",
            "Systemet reduserer kostnadene for {a} med opptil 30 prosent.",
            "Utprøvd {a} med referanseprosjekter innen {b}.",
        ],
        Lang::Fi => &[
            "Toimitamme ratkaisuja: {a} kunnille ja energiayhtiöille.",
            "Alustamme yhdistää {a} ja {b} päästöjen vähentämiseksi.",
            "Järjestelmä alentaa kustannuksia ({a}) jopa 30 prosenttia.",
            "Koeteltu ratkaisu {a}, referenssejä alueelta {b}.",
        ],
        Lang::De => &[
            "Wir liefern {a} für Städte und Stadtwerke.",
            "Unsere Plattform verbindet {a} mit {b}, um Emissionen zu senken.",
            "Das System senkt die Kosten für {a} um bis zu 30 Prozent.",
            "Bewährte {a} mit Referenzprojekten im Bereich {b}.",
        ],
        Lang::Zh => &[
            "我们为城市和公用事业提供{a}。",
            "我们的平台将{a}与{b}结合，减少排放。",
            "该系统可将{a}的成本降低百分之三十。",
            "成熟的{a}，在{b}方面有示范项目。",
        ],
    }
}

fn challenge_templates(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "The city wants to expand {a} in new districts.",
            "We are looking for partners for {a} and {b}.",
            "Our climate action plan calls for {a} by 2030.",
            "Barriers: financing of {a} and lack of data on {b}.",
        ],
        Lang::Sv => &[
            "Staden vill bygga ut {a} i nya stadsdelar.",
            "Vi söker partner för {a} och {b}.",
            "Klimatplanen kräver {a} till 2030.",
        ],
        Lang::Da => &[
            "Byen ønsker at udbygge {a} i nye bydele.",
            "Vi søger partnere til {a} og {b}.",
            "Klimaplanen kræver {a} inden 2030.",
        ],
        Lang::No => &[
            "Byen ønsker å bygge ut {a} i nye bydeler.",
            "Vi søker partnere for {a} og {b}.",
            "Klimaplanen krever {a} innen 2030.",
        ],
        Lang::Fi => &[
            "Kaupunki haluaa laajentaa: {a} uusilla alueilla.",
            "Etsimme kumppaneita: {a} ja {b}.",
            "Ilmasto-ohjelma edellyttää: {a} vuoteen 2030 mennessä.",
        ],
        Lang::De => &[
            "Die Stadt will {a} in neuen Quartieren ausbauen.",
            "Wir suchen Partner für {a} und {b}.",
            "Der Klimaschutzplan fordert {a} bis 2030.",
        ],
        Lang::Zh => &[
            "城市计划在新区扩大{a}。",
            "我们正在寻找{a}和{b}方面的合作伙伴。",
            "气候行动计划要求到2030年实现{a}。",
        ],
    }
}

struct Vocabulary {
    /// glossary concepts per sector index
    topics: Vec<Vec<ConceptIdx>>,
    /// every concept with labels in all languages
    general: Vec<ConceptIdx>,
}

fn vocabulary() -> Vocabulary {
    let t = thesaurus();
    let mut topics = vec![Vec::new(); SECTORS.len()];
    let mut general = Vec::new();
    for (i, c) in t.concepts.iter().enumerate() {
        let i = i as ConceptIdx;
        if !c.labels.iter().all(|l| !l.is_empty()) {
            continue;
        }
        if c.from_glossary {
            for s in &c.sectors {
                if let Some(k) = SECTORS.iter().position(|x| x == s) {
                    topics[k].push(i);
                }
            }
        } else {
            general.push(i);
        }
    }
    Vocabulary { topics, general }
}

fn label(rng: &mut Rng, c: ConceptIdx, lang: Lang) -> String {
    let labels = &thesaurus().concept(c).labels[lang.idx()];
    if labels.is_empty() {
        return thesaurus().label(c, lang).to_string();
    }
    rng.pick(labels).clone()
}

fn write(
    rng: &mut Rng,
    v: &Vocabulary,
    lang: Lang,
    templates: &[&str],
    sentences: usize,
) -> (String, String, Vec<String>) {
    let sector = loop {
        let s = rng.below(SECTORS.len());
        if !v.topics[s].is_empty() {
            break s;
        }
    };
    let mut sectors = vec![SECTORS[sector].to_string()];
    if rng.chance(0.3) {
        let other = SECTORS[rng.below(SECTORS.len())].to_string();
        if !sectors.contains(&other) {
            sectors.push(other);
        }
    }
    let main = *rng.pick(&v.topics[sector]);
    let title = label(rng, main, lang);
    let mut text = Vec::with_capacity(sentences);
    for k in 0..sentences {
        let a = if k == 0 || rng.chance(0.4) {
            main
        } else if rng.chance(0.5) {
            *rng.pick(&v.topics[sector])
        } else {
            *rng.pick(&v.general)
        };
        let b = if rng.chance(0.5) {
            *rng.pick(&v.topics[sector])
        } else {
            *rng.pick(&v.general)
        };
        let sentence = rng
            .pick(templates)
            .replace("{a}", &label(rng, a, lang))
            .replace("{b}", &label(rng, b, lang));
        text.push(sentence);
    }
    let sep = if lang == Lang::Zh { "" } else { " " };
    (title, text.join(sep), sectors)
}

/// Generates `n_solutions` solutions and `n_queries` open challenges from `seed`.
pub fn generate(n_solutions: usize, n_queries: usize, seed: u64) -> BenchCorpus {
    let mut rng = Rng(seed ^ 0x5EED_C1EA_4A7C_0000);
    let v = vocabulary();
    let base_time = 1_700_000_000i64;
    let mut solutions = Vec::with_capacity(n_solutions);
    for i in 0..n_solutions {
        let lang = pick_lang(&mut rng);
        let n = rng.range(2, 14);
        let (title, description, sectors) = write(&mut rng, &v, lang, solution_templates(lang), n);
        let summary_end = description
            .char_indices()
            .nth(120)
            .map(|(k, _)| k)
            .unwrap_or(description.len());
        let global = rng.chance(0.4);
        let countries = if global {
            Vec::new()
        } else {
            (0..rng.range(1, 3))
                .map(|_| rng.pick(&COUNTRIES).to_string())
                .collect()
        };
        solutions.push(SolutionDoc {
            id: format!("bs-{i:06}"),
            title,
            summary: description[..summary_end].to_string(),
            description,
            sectors,
            trl: Some(rng.range(3, 9) as u8),
            countries,
            global,
            // a few records leave the language to detection, as real ones may
            language: (!rng.chance(0.02)).then(|| lang.code().to_string()),
            published: rng.chance(0.95),
            updated_at: base_time - rng.below(3 * 365 * 86_400) as i64,
        });
    }
    let mut queries = Vec::with_capacity(n_queries);
    for i in 0..n_queries {
        let lang = pick_lang(&mut rng);
        let n = rng.range(1, 6);
        let (title, description, sectors) = write(&mut rng, &v, lang, challenge_templates(lang), n);
        queries.push(ChallengeDoc {
            id: format!("bq-{i:05}"),
            title,
            summary: String::new(),
            description,
            sectors,
            min_trl: rng.chance(0.5).then(|| rng.range(4, 7) as u8),
            country: rng.chance(0.8).then(|| rng.pick(&COUNTRIES).to_string()),
            language: Some(lang.code().to_string()),
            status: "open".into(),
            updated_at: base_time,
        });
    }
    BenchCorpus { solutions, queries }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_multilingual() {
        let a = generate(200, 20, 1);
        assert_eq!(a, generate(200, 20, 1));
        assert_ne!(a, generate(200, 20, 2));
        let langs: std::collections::HashSet<_> = a
            .solutions
            .iter()
            .filter_map(|s| s.language.clone())
            .collect();
        assert_eq!(langs.len(), 7);
        assert!(a
            .solutions
            .iter()
            .all(|s| !s.sectors.is_empty() && !s.title.is_empty()));
    }
}
