//! The concept thesaurus: GEMET (EEA, CC BY 2.5 DK) plus the team's cleantech glossary,
//! both embedded, and the concept extractor built from them.
//!
//! Every label is analysed with the same pipeline as documents ([`crate::lang::analyze`]),
//! so a label matches text in its own language whatever the inflection, and labels inside
//! compounds are found because compounds are split against the vocabulary of the labels and
//! of the team's dictionary.
//! Chinese labels are matched on characters (longest first), independent of segmentation.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

use crate::lang::{analyze, for_each_word, is_stop_word, stem, Lang, Vocab};

const GEMET: &str = include_str!("../data/gemet-labels.tsv");
const GLOSSARY: &str = include_str!("../data/glossary.tsv");
const DICTIONARY: &str = include_str!("../data/dictionary.tsv");

/// Credit line the product must show with the thesaurus labels.
pub const GEMET_ATTRIBUTION: &str =
    "GEMET - GEneral Multilingual Environmental Thesaurus, European Environment Agency (EEA), CC BY 2.5 DK";

/// Longest label, in analysed units, that the extractor tries.
const MAX_UNITS: usize = 8;

pub(crate) type ConceptIdx = u32;

/// One concept with its labels in every language.
pub(crate) struct Concept {
    pub(crate) id: String,
    pub(crate) labels: [Vec<String>; 7],
    pub(crate) broader: Vec<ConceptIdx>,
    pub(crate) related: Vec<ConceptIdx>,
    pub(crate) sectors: Vec<String>,
    pub(crate) from_glossary: bool,
}

pub(crate) struct Thesaurus {
    pub(crate) concepts: Vec<Concept>,
    by_id: HashMap<String, ConceptIdx>,
    pub(crate) vocab: [Vocab; 7],
    keys: [HashMap<String, Vec<ConceptIdx>>; 7],
    prefixes: [HashSet<String>; 7],
    /// The analysed words of the labels and of the translations, each stored once.
    pub(crate) words: Words,
    /// The distinct words of a concept's labels in a language, in the order the labels give
    /// them: `label_words[concept][lang]` is a range of `label_arena`.
    label_words: Vec<[(u32, u32); 7]>,
    label_arena: Vec<WordId>,
    zh_labels: HashMap<String, Vec<ConceptIdx>>,
    /// every prefix (of two or more characters) of a Chinese label
    zh_prefixes: HashSet<String>,
    zh_max_chars: usize,
    /// Word translations between every pair of languages: `translations[from][unit][to]` =
    /// units of `to` (analysed forms, best first), each with a weight in 0..=1 (1 for the
    /// labels' best and for a word the dictionary translates one way; less for one of
    /// several alternatives). Between two languages other than English they go through
    /// English, composed when built (the weights multiplied). By word first: a query's word
    /// is looked up once for all the languages.
    translations: [HashMap<String, [(u32, u32); 7]>; 7],
    /// The translations' (word, weight) pairs, a word's for one language side by side.
    translation_pairs: Vec<(WordId, f32)>,
    /// The words the team's dictionary translates (`dict_words[lang]`): the parts of such a
    /// word are not translated on their own ("opgraderet" is not "op" + "ret").
    dict_words: [HashSet<String>; 7],
}

/// The process-wide thesaurus, parsed and analysed on first use.
pub(crate) fn thesaurus() -> &'static Thesaurus {
    static T: OnceLock<Thesaurus> = OnceLock::new();
    T.get_or_init(Thesaurus::build)
}

fn split_labels(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in cell.split([';', ',', '，', '；']) {
        let mut s = String::with_capacity(raw.len());
        let mut depth = 0usize;
        for c in raw.chars() {
            match c {
                '(' | '（' => depth += 1,
                ')' | '）' => depth = depth.saturating_sub(1),
                _ if depth == 0 => s.push(c),
                _ => {}
            }
        }
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

struct RawRow<'a> {
    id: &'a str,
    labels: [&'a str; 7],
    broader: &'a str,
    related: &'a str,
    sectors: &'a str,
}

fn rows(tsv: &str) -> impl Iterator<Item = RawRow<'_>> {
    tsv.lines().skip(1).filter_map(|line| {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 || cols[0].trim().is_empty() {
            return None;
        }
        let col = |i: usize| cols.get(i).copied().unwrap_or("").trim();
        Some(RawRow {
            id: col(0),
            labels: [col(1), col(2), col(3), col(4), col(5), col(6), col(7)],
            broader: col(8),
            related: col(9),
            sectors: col(11),
        })
    })
}

impl Thesaurus {
    fn build() -> Thesaurus {
        let mut concepts: Vec<Concept> = Vec::with_capacity(5400);
        let mut by_id: HashMap<String, ConceptIdx> = HashMap::default();
        let mut links: Vec<(String, String)> = Vec::new();
        for (from_glossary, tsv) in [(false, GEMET), (true, GLOSSARY)] {
            for row in rows(tsv) {
                let idx = match by_id.get(row.id) {
                    Some(&i) => i,
                    None => {
                        let i = concepts.len() as ConceptIdx;
                        concepts.push(Concept {
                            id: row.id.to_string(),
                            labels: Default::default(),
                            broader: Vec::new(),
                            related: Vec::new(),
                            sectors: Vec::new(),
                            from_glossary,
                        });
                        by_id.insert(row.id.to_string(), i);
                        i
                    }
                };
                let c = &mut concepts[idx as usize];
                for (l, cell) in row.labels.iter().enumerate() {
                    if let Some(rest) = cell.strip_prefix('=') {
                        c.labels[l] = split_labels(rest);
                    } else {
                        for s in split_labels(cell) {
                            if !c.labels[l].contains(&s) {
                                c.labels[l].push(s);
                            }
                        }
                    }
                }
                for s in row
                    .sectors
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    if !c.sectors.iter().any(|x| x == s) {
                        c.sectors.push(s.to_string());
                    }
                }
                links.push((
                    row.id.to_string(),
                    format!("{}\t{}", row.broader, row.related),
                ));
            }
        }
        for (id, rel) in links {
            let Some(&idx) = by_id.get(&id) else { continue };
            let (b, r) = rel.split_once('\t').unwrap_or(("", ""));
            let resolve = |s: &str| -> Vec<ConceptIdx> {
                s.split('|')
                    .filter_map(|x| by_id.get(x.trim()).copied())
                    .collect()
            };
            let (b, r) = (resolve(b), resolve(r));
            let c = &mut concepts[idx as usize];
            for x in b {
                if x != idx && !c.broader.contains(&x) {
                    c.broader.push(x);
                }
            }
            for x in r {
                if x != idx && !c.related.contains(&x) {
                    c.related.push(x);
                }
            }
        }

        // The compound-splitting dictionary: every content word of every label.
        let mut vocab: [Vocab; 7] = Default::default();
        for lang in Lang::ALL {
            if lang == Lang::Zh {
                continue;
            }
            let v = &mut vocab[lang.idx()];
            let min = if lang == Lang::En { 4 } else { 3 };
            for c in &concepts {
                for label in &c.labels[lang.idx()] {
                    for_each_word(label, |w| {
                        if w.chars().count() >= min
                            && !is_stop_word(lang, w)
                            && !w.chars().any(|ch| ch.is_ascii_digit())
                            && !v.surface.contains(w)
                        {
                            v.stems.insert(stem(lang, w));
                            v.surface.insert(w.to_string());
                        }
                    });
                }
            }
        }

        // Frequent compound heads that are not label words of their own ("-nettet", "-anlage").
        for lang in Lang::ALL {
            let v = &mut vocab[lang.idx()];
            for w in compound_heads(lang) {
                v.stems.insert(stem(lang, w));
                v.surface.insert((*w).to_string());
            }
        }

        // The team's dictionary: its words are compound parts too ("Straßen|beleuchtung").
        let dictionary = dictionary_rows(DICTIONARY);
        for (lang, word, _) in &dictionary {
            if *lang == Lang::Zh {
                continue;
            }
            let v = &mut vocab[lang.idx()];
            for_each_word(word, |w| {
                if w.chars().count() >= 2 && !is_stop_word(*lang, w) {
                    v.stems.insert(stem(*lang, w));
                    v.surface.insert(w.to_string());
                    v.base.insert(w.to_string());
                }
            });
        }

        for lang in Lang::ALL {
            vocab[lang.idx()].finish(lang);
        }

        let mut keys: [HashMap<String, Vec<ConceptIdx>>; 7] = Default::default();
        let mut prefixes: [HashSet<String>; 7] = Default::default();
        let mut label_units: Vec<[Vec<Vec<String>>; 7]> = Vec::with_capacity(concepts.len());
        let mut zh_labels: HashMap<String, Vec<ConceptIdx>> = HashMap::default();
        let mut zh_max_chars = 0;
        let mut zh_prefixes: HashSet<String> = HashSet::default();
        for (idx, c) in concepts.iter().enumerate() {
            let idx = idx as ConceptIdx;
            let mut per_lang: [Vec<Vec<String>>; 7] = Default::default();
            for lang in Lang::ALL {
                for label in &c.labels[lang.idx()] {
                    if lang == Lang::Zh {
                        let n = label.chars().count();
                        if n >= 2 {
                            zh_max_chars = zh_max_chars.max(n);
                            let lower = label.to_lowercase();
                            for (end, _) in lower.char_indices().skip(2) {
                                zh_prefixes.insert(lower[..end].to_string());
                            }
                            zh_prefixes.insert(lower.clone());
                            push_unique(zh_labels.entry(lower).or_default(), idx);
                        }
                        let mut units = Vec::new();
                        analyze(lang, label, &vocab[lang.idx()], |_, wp| {
                            units.extend(wp.units().iter().cloned())
                        });
                        if !units.is_empty() {
                            per_lang[lang.idx()].push(units);
                        }
                        continue;
                    }
                    let mut units: Vec<String> = Vec::new();
                    analyze(lang, label, &vocab[lang.idx()], |_, wp| {
                        units.extend(wp.units().iter().cloned())
                    });
                    if units.is_empty() || units.len() > MAX_UNITS {
                        continue;
                    }
                    let mut key = String::new();
                    for (i, u) in units.iter().enumerate() {
                        if i > 0 {
                            key.push(' ');
                        }
                        key.push_str(u);
                        prefixes[lang.idx()].insert(key.clone());
                    }
                    push_unique(keys[lang.idx()].entry(key).or_default(), idx);
                    per_lang[lang.idx()].push(units);
                }
            }
            label_units.push(per_lang);
        }
        let (mut to_en, mut from_en) = word_translations(&label_units);
        let dict_words = add_dictionary(&dictionary, &vocab, &mut to_en, &mut from_en);
        let by_word = direct_translations(&to_en, &from_en);
        let words = Words::new(
            label_units
                .iter()
                .flat_map(|per_lang| per_lang.iter().flatten().flatten())
                .chain(by_word.iter().flat_map(|m| {
                    m.values()
                        .flat_map(|by_lang| by_lang.iter().flatten().map(|(w, _)| w))
                })),
        );
        let mut label_arena = Vec::new();
        let mut label_words = Vec::with_capacity(label_units.len());
        for per_lang in &label_units {
            label_words.push(std::array::from_fn(|l| {
                let start = label_arena.len();
                for u in per_lang[l].iter().flatten() {
                    let id = words.id(u).expect("a label word is interned");
                    if !label_arena[start..].contains(&id) {
                        label_arena.push(id);
                    }
                }
                (start as u32, label_arena.len() as u32)
            }));
        }
        let mut translation_pairs = Vec::new();
        let translations = by_word.map(|m| {
            m.into_iter()
                .map(|(unit, by_lang)| {
                    let ranges =
                        by_lang.map(|list| {
                            let start = translation_pairs.len() as u32;
                            translation_pairs.extend(list.iter().map(|(w, x)| {
                                (words.id(w).expect("a translation is interned"), *x)
                            }));
                            (start, translation_pairs.len() as u32)
                        });
                    (unit, ranges)
                })
                .collect()
        });
        Thesaurus {
            concepts,
            by_id,
            vocab,
            keys,
            prefixes,
            words,
            label_words,
            label_arena,
            zh_labels,
            zh_prefixes,
            zh_max_chars,
            translations,
            translation_pairs,
            dict_words,
        }
    }

    /// Concepts mentioned in a sequence of analysed units (longest label first).
    pub(crate) fn extract_units<S: AsRef<str>>(
        &self,
        lang: Lang,
        units: &[S],
        out: &mut Vec<ConceptIdx>,
    ) {
        let keys = &self.keys[lang.idx()];
        let prefixes = &self.prefixes[lang.idx()];
        let mut i = 0;
        let mut key = String::new();
        while i < units.len() {
            key.clear();
            let mut best: Option<(usize, &Vec<ConceptIdx>)> = None;
            for len in 1..=MAX_UNITS.min(units.len() - i) {
                if len > 1 {
                    key.push(' ');
                }
                key.push_str(units[i + len - 1].as_ref());
                if !prefixes.contains(key.as_str()) {
                    break;
                }
                if let Some(cs) = keys.get(key.as_str()) {
                    best = Some((len, cs));
                }
            }
            match best {
                Some((len, cs)) => {
                    out.extend_from_slice(cs);
                    i += len;
                }
                None => i += 1,
            }
        }
    }

    /// Concepts mentioned in Chinese text, by longest label match on characters.
    pub(crate) fn extract_zh(&self, text: &str, out: &mut Vec<ConceptIdx>) {
        let lower = text.to_lowercase();
        let bounds: Vec<usize> = lower
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(lower.len()))
            .collect();
        let n = bounds.len() - 1;
        let mut i = 0;
        while i < n {
            // longest label starting here: extend while the text is a label prefix
            let mut matched = 0;
            let mut best: Option<&Vec<ConceptIdx>> = None;
            for len in 2..=self.zh_max_chars.min(n - i) {
                let piece = &lower[bounds[i]..bounds[i + len]];
                if !self.zh_prefixes.contains(piece) {
                    break;
                }
                if let Some(cs) = self.zh_labels.get(piece) {
                    best = Some(cs);
                    matched = len;
                }
            }
            if let Some(cs) = best {
                out.extend_from_slice(cs);
            }
            i += matched.max(1);
        }
    }

    /// Concepts mentioned in `text` written in `lang` (with repetitions, in text order).
    #[cfg(test)]
    pub(crate) fn extract(&self, lang: Lang, text: &str) -> Vec<ConceptIdx> {
        self.analyze_text(lang, text, false).concepts
    }

    /// Analyses a text once for both the index terms and the concepts it mentions.
    pub(crate) fn analyze_text(&self, lang: Lang, text: &str, keep_surface: bool) -> TextAnalysis {
        let mut out = TextAnalysis::default();
        let mut concepts = Vec::new();
        self.analyze_with(
            lang,
            text,
            |term, surface, word| {
                out.terms.push((term.to_string(), word));
                if keep_surface {
                    out.surfaces.push(surface.to_string());
                }
            },
            &mut concepts,
        );
        out.concepts = concepts;
        out
    }

    /// Analyses `text` in `lang`: calls `on_term(term, surface word, word number)` for every
    /// index term in order (a compound gives its whole stem, then the stems of its parts)
    /// and appends the concepts the text mentions to `concepts`.
    pub(crate) fn analyze_with(
        &self,
        lang: Lang,
        text: &str,
        mut on_term: impl FnMut(&str, &str, u32),
        concepts: &mut Vec<ConceptIdx>,
    ) {
        let mut words: Vec<std::rc::Rc<crate::lang::WordParts>> = Vec::new();
        let mut n = 0u32;
        analyze(lang, text, &self.vocab[lang.idx()], |surface, wp| {
            on_term(&wp.whole, surface, n);
            for p in &wp.parts {
                if p != &wp.whole {
                    on_term(p, surface, n);
                }
            }
            n += 1;
            if lang != Lang::Zh {
                words.push(wp);
            }
        });
        if lang == Lang::Zh {
            self.extract_zh(text, concepts);
            return;
        }
        let units: Vec<&str> = words
            .iter()
            .flat_map(|w| w.units().iter().map(String::as_str))
            .collect();
        self.extract_units(lang, &units, concepts);
        for w in &words {
            if w.known && !w.parts.is_empty() {
                self.extract_units(lang, &w.parts, concepts);
            }
        }
    }

    /// The label to show a reader: in the reader's language where the thesaurus has one,
    /// else English, else the id.
    pub(crate) fn label(&self, idx: ConceptIdx, reader: Lang) -> &str {
        let c = &self.concepts[idx as usize];
        c.labels[reader.idx()]
            .first()
            .or_else(|| c.labels[Lang::En.idx()].first())
            .map(String::as_str)
            .unwrap_or(c.id.as_str())
    }

    pub(crate) fn concept(&self, idx: ConceptIdx) -> &Concept {
        &self.concepts[idx as usize]
    }

    /// The distinct analysed words of the labels of `idx` in `lang`.
    pub(crate) fn label_words(&self, idx: ConceptIdx, lang: Lang) -> &[WordId] {
        let (start, end) = self.label_words[idx as usize][lang.idx()];
        &self.label_arena[start as usize..end as usize]
    }

    /// Looks a concept up by its id ("2269", "cm-heat-pump", ...).
    pub(crate) fn find(&self, id: &str) -> Option<ConceptIdx> {
        self.by_id.get(id).copied()
    }
}

/// Weighted translations of one direction: analysed word -> (analysed word, weight).
pub(crate) type Dict1 = HashMap<String, Vec<(String, f32)>>;
/// [`Dict1`] per language (to or from English).
pub(crate) type Dict = [Dict1; 7];
/// A word's translations by target language index.
type ByLang = [Vec<(String, f32)>; 7];

/// An analysed word of the thesaurus by number (see [`Words`]).
pub(crate) type WordId = u32;

/// The analysed words of the labels and the translations, numbered in the order of their
/// text (comparing two numbers compares the words): a query's translations are planned with
/// numbers, and the matcher remembers a word's term by its number, instead of hashing and
/// comparing strings spread over memory.
pub(crate) struct Words {
    texts: Vec<Box<str>>,
    /// [`crate::forward::hash`] of each
    hashes: Vec<u32>,
    ids: HashMap<Box<str>, WordId>,
}

impl Words {
    fn new<'a>(all: impl Iterator<Item = &'a String>) -> Words {
        let mut texts: Vec<Box<str>> = all.map(|w| w.as_str().into()).collect();
        texts.sort_unstable();
        texts.dedup();
        let hashes = texts.iter().map(|w| crate::forward::hash(w)).collect();
        let ids = texts
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as WordId))
            .collect();
        Words { texts, hashes, ids }
    }

    /// How many words there are (numbers are below it).
    pub(crate) fn len(&self) -> usize {
        self.texts.len()
    }

    pub(crate) fn id(&self, text: &str) -> Option<WordId> {
        self.ids.get(text).copied()
    }

    pub(crate) fn text(&self, id: WordId) -> &str {
        &self.texts[id as usize]
    }

    /// [`crate::forward::hash`] of the word.
    pub(crate) fn hash(&self, id: WordId) -> u32 {
        self.hashes[id as usize]
    }
}

/// A word's translations into every language.
#[derive(Clone, Copy)]
pub(crate) struct Translations<'t> {
    ranges: &'t [(u32, u32); 7],
    pairs: &'t [(WordId, f32)],
}

impl<'t> Translations<'t> {
    /// The translations into `to` (words and weights, best first).
    pub(crate) fn into_lang(self, to: Lang) -> &'t [(WordId, f32)] {
        let (start, end) = self.ranges[to.idx()];
        &self.pairs[start as usize..end as usize]
    }
}

/// A word-level dictionary between every language and English, from the labels of the
/// same concept: a one-word label gives its word all the words of the English label
/// ("fjärrvärme" -> district, heating); labels with the same number of words are aligned
/// by position ("ilmastonmuutoksen sopeutuminen" style pairs). Each pair is counted over
/// all concepts, and a word keeps only the translations seen at least half as often as
/// its best one (at most three), so accidental pairings of frequent words drop out; each
/// weighs how often it was seen against the best one.
fn word_translations(label_units: &[[Vec<Vec<String>>; 7]]) -> (Dict, Dict) {
    let mut counts: [HashMap<(String, String), f32>; 7] = Default::default();
    for per_lang in label_units {
        let en = &per_lang[Lang::En.idx()];
        if en.is_empty() {
            continue;
        }
        for lang in Lang::ALL {
            if lang == Lang::En {
                continue;
            }
            let c = &mut counts[lang.idx()];
            for lu in &per_lang[lang.idx()] {
                for eu in en {
                    if lu.len() == 1 && eu.len() <= 3 {
                        for e in eu {
                            *c.entry((lu[0].clone(), e.clone())).or_insert(0.0) +=
                                1.0 / eu.len() as f32;
                        }
                    } else if lu.len() == eu.len() {
                        for (l, e) in lu.iter().zip(eu) {
                            *c.entry((l.clone(), e.clone())).or_insert(0.0) += 0.5;
                        }
                    }
                }
            }
        }
    }
    let mut to_en: Dict = Default::default();
    let mut from_en: Dict = Default::default();
    for lang in Lang::ALL {
        let mut fwd: HashMap<&str, Vec<(&str, f32)>> = HashMap::default();
        let mut rev: HashMap<&str, Vec<(&str, f32)>> = HashMap::default();
        for ((l, e), n) in &counts[lang.idx()] {
            if l == e {
                continue;
            }
            fwd.entry(l).or_default().push((e, *n));
            rev.entry(e).or_default().push((l, *n));
        }
        let prune = |m: HashMap<&str, Vec<(&str, f32)>>| -> HashMap<String, Vec<(String, f32)>> {
            m.into_iter()
                .map(|(k, mut v)| {
                    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                    let best = v[0].1;
                    let kept = v
                        .into_iter()
                        .filter(|(_, n)| *n >= 0.5 * best)
                        .take(3)
                        .map(|(w, n)| (w.to_string(), n / best))
                        .collect();
                    (k.to_string(), kept)
                })
                .collect()
        };
        to_en[lang.idx()] = prune(fwd);
        from_en[lang.idx()] = prune(rev);
    }
    (to_en, from_en)
}

/// Rows of the team's dictionary: `(language, word, English translations)`.
fn dictionary_rows(tsv: &str) -> Vec<(Lang, &str, &str)> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let lang = Lang::from_code(cols.next()?)?;
            let word = cols.next()?.trim();
            let english = cols.next()?.trim();
            (!word.is_empty() && !english.is_empty()).then_some((lang, word, english))
        })
        .collect()
}

/// Most words of a language an English word translates into (the dictionary's first, then
/// the labels').
const MAX_TRANSLATIONS: usize = 6;

/// Adds a weighted translation to a list; a word already in it keeps its higher weight.
fn push_max<W: AsRef<str>>(list: &mut Vec<(W, f32)>, word: W, weight: f32) {
    match list.iter_mut().find(|(w, _)| w.as_ref() == word.as_ref()) {
        Some(e) => e.1 = e.1.max(weight),
        None => list.push((word, weight)),
    }
}

/// Adds the team's dictionary to the translations derived from labels and returns the
/// words it translates. A word the dictionary knows takes its translations from there only
/// (the labels' guesses were measured to add noise): the words of every English phrase,
/// each phrase weighted `1 / sqrt(phrases)` (alternatives share the word's weight; the
/// words of one phrase are all needed). An English word translates back to a dictionary
/// word only where the phrase is that one word ("heat" -> "wärme", but "street" not ->
/// "straßenbeleuchtung").
fn add_dictionary(
    rows: &[(Lang, &str, &str)],
    vocab: &[Vocab; 7],
    to_en: &mut Dict,
    from_en: &mut Dict,
) -> [HashSet<String>; 7] {
    let analysed = |lang: Lang, text: &str| -> Vec<String> {
        let mut units = Vec::new();
        analyze(lang, text, &vocab[lang.idx()], |_, wp| {
            units.push(wp.whole.clone())
        });
        units
    };
    let mut fwd: Dict = Default::default();
    let mut rev: Dict = Default::default();
    let mut words: [HashSet<String>; 7] = Default::default();
    for &(lang, word, english) in rows {
        if lang == Lang::En {
            continue;
        }
        // a Chinese word is looked up as jieba gives it; others as their one analysed unit
        let key = match lang {
            Lang::Zh => word.to_lowercase(),
            _ => match analysed(lang, word).as_slice() {
                [one] => one.clone(),
                _ => continue,
            },
        };
        let phrases = split_labels(english);
        let weight = 1.0 / (phrases.len().max(1) as f32).sqrt();
        for phrase in phrases {
            let units = analysed(Lang::En, &phrase);
            let entry = fwd[lang.idx()].entry(key.clone()).or_default();
            for u in &units {
                push_max(entry, u.clone(), weight);
            }
            if let [one] = units.as_slice() {
                push_max(
                    rev[lang.idx()].entry(one.clone()).or_default(),
                    key.clone(),
                    1.0,
                );
            }
        }
        words[lang.idx()].insert(key);
    }
    for lang in Lang::ALL {
        // what a word means: the dictionary's translations replace the labels' guesses
        for (k, list) in std::mem::take(&mut fwd[lang.idx()]) {
            to_en[lang.idx()].insert(k, list);
        }
        // how an English word may be written: the dictionary's words first, then the labels'
        for (k, mut list) in std::mem::take(&mut rev[lang.idx()]) {
            let m = from_en[lang.idx()].entry(k).or_default();
            for (w, x) in m.drain(..) {
                push_max(&mut list, w, x);
            }
            list.truncate(MAX_TRANSLATIONS);
            *m = list;
        }
    }
    words
}

impl Thesaurus {
    /// Whether the team's dictionary translates this analysed word of `lang`.
    pub(crate) fn in_dictionary(&self, lang: Lang, unit: &str) -> bool {
        self.dict_words[lang.idx()].contains(unit)
    }

    /// Translations of one analysed word of `from` into analysed words of `to` (through
    /// English between two other languages, the weights multiplied), appended to `out`
    /// (the tables hold no repeats).
    pub(crate) fn translate_into<'a>(
        &'a self,
        from: Lang,
        to: Lang,
        unit: &str,
        out: &mut Vec<(&'a str, f32)>,
    ) {
        if let Some(by_lang) = self.translations_of(from, unit) {
            out.extend(
                by_lang
                    .into_lang(to)
                    .iter()
                    .map(|&(w, x)| (self.words.text(w), x)),
            );
        }
    }

    /// The translations of `unit` (of language `from`) into every language, by language
    /// index (none into `from` itself).
    pub(crate) fn translations_of(&self, from: Lang, unit: &str) -> Option<Translations<'_>> {
        let ranges = self.translations[from.idx()].get(unit)?;
        Some(Translations {
            ranges,
            pairs: &self.translation_pairs,
        })
    }

    /// [`Thesaurus::translate_into`] as a new list.
    #[cfg(test)]
    pub(crate) fn translate(&self, from: Lang, to: Lang, unit: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.translate_into(from, to, unit, &mut out);
        out.into_iter().map(|(w, _)| w.to_string()).collect()
    }
}

/// The word translations between every pair of languages: English to and from the
/// others as given, two other languages through English (`from` -> its English words ->
/// their words in `to`, weights multiplied, a repeat keeping its highest), so that a query
/// translates with one look-up.
fn direct_translations(to_en: &Dict, from_en: &Dict) -> [HashMap<String, ByLang>; 7] {
    let mut out: [[Dict1; 7]; 7] = Default::default();
    for from in Lang::ALL {
        for to in Lang::ALL {
            out[from.idx()][to.idx()] = if from == to {
                HashMap::default()
            } else if from == Lang::En {
                from_en[to.idx()].clone()
            } else if to == Lang::En {
                to_en[from.idx()].clone()
            } else {
                let mut pairs = HashMap::default();
                for (unit, english) in &to_en[from.idx()] {
                    let mut words: Vec<(String, f32)> = Vec::new();
                    for (e, x) in english {
                        for (w, y) in from_en[to.idx()].get(e).into_iter().flatten() {
                            push_max(&mut words, w.clone(), x * y);
                        }
                    }
                    if !words.is_empty() {
                        pairs.insert(unit.clone(), words);
                    }
                }
                pairs
            };
        }
    }
    // by word first
    let mut by_word: [HashMap<String, ByLang>; 7] = Default::default();
    for (from, pairs) in by_word.iter_mut().zip(out) {
        for (to, dict) in pairs.into_iter().enumerate() {
            for (unit, list) in dict {
                from.entry(unit).or_default()[to] = list;
            }
        }
    }
    by_word
}

fn compound_heads(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &["network", "plant", "system", "project", "station", "supply"],
        Lang::Sv => &[
            "nät",
            "anläggning",
            "system",
            "projekt",
            "område",
            "byggnad",
            "plan",
            "lösning",
            "åtgärd",
            "verk",
            "station",
            "källa",
            "försörjning",
            "utbyggnad",
            "program",
        ],
        Lang::Da => &[
            "net",
            "anlæg",
            "system",
            "projekt",
            "område",
            "bygning",
            "plan",
            "løsning",
            "indsats",
            "værk",
            "station",
            "kilde",
            "forsyning",
            "udbygning",
            "program",
        ],
        Lang::No => &[
            "nett",
            "anlegg",
            "system",
            "prosjekt",
            "område",
            "bygg",
            "plan",
            "løsning",
            "tiltak",
            "verk",
            "stasjon",
            "kilde",
            "forsyning",
            "utbygging",
            "program",
        ],
        Lang::Fi => &[
            "verkko",
            "laitos",
            "järjestelmä",
            "hanke",
            "alue",
            "rakennus",
            "suunnitelma",
            "ratkaisu",
            "toimenpide",
            "asema",
            "lähde",
            "huolto",
            "ohjelma",
        ],
        Lang::De => &[
            "netz",
            "anlage",
            "system",
            "projekt",
            "gebiet",
            "gebäude",
            "plan",
            "lösung",
            "maßnahme",
            "werk",
            "station",
            "quelle",
            "versorgung",
            "ausbau",
            "programm",
        ],
        Lang::Zh => &[],
    }
}

/// Index terms (with word positions) and concepts of one text.
#[derive(Default, Debug)]
pub(crate) struct TextAnalysis {
    pub(crate) terms: Vec<(String, u32)>,
    /// Surface word of each term (when asked for), for explanations.
    pub(crate) surfaces: Vec<String>,
    pub(crate) concepts: Vec<ConceptIdx>,
}

fn push_unique(v: &mut Vec<ConceptIdx>, x: ConceptIdx) {
    if !v.contains(&x) {
        v.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(lang: Lang, text: &str) -> Vec<String> {
        let t = thesaurus();
        t.extract(lang, text)
            .into_iter()
            .map(|c| t.concept(c).id.clone())
            .collect()
    }

    const DISTRICT_HEATING: &str = "2269";
    const HEAT_PUMP: &str = "3904";

    #[test]
    fn parses_gemet_and_glossary() {
        let t = thesaurus();
        assert!(t.concepts.len() > 5200);
        let dh = t.find(DISTRICT_HEATING).expect("district heating");
        assert_eq!(t.label(dh, Lang::Sv), "fjärrvärme");
        assert_eq!(t.label(dh, Lang::Zh), "区域供热");
        // the glossary replaces GEMET's wrong German label
        let plant = t.find("2270").expect("district heating plant");
        assert_eq!(t.label(plant, Lang::De), "Fernheizwerk");
        let pv = t.find("cm-solar-pv").expect("glossary concept");
        assert_eq!(t.label(pv, Lang::De), "Photovoltaik");
        assert!(t.concept(pv).from_glossary);
        assert!(!t.concept(pv).broader.is_empty());
        // no Swedish label for steel industry: falls back to English
        let steel = t.find("8089").expect("steel industry");
        assert_eq!(t.label(steel, Lang::Sv), "steel industry");
    }

    #[test]
    fn english_longest_label_first() {
        let found = ids(
            Lang::En,
            "We operate district heating networks and heat pumps.",
        );
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn compounds_swedish() {
        let found = ids(Lang::Sv, "Utbyggnad av fjärrvärmenätet i centrum");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        let found = ids(Lang::Sv, "Byte till luftvärmepumpar i villor");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn compounds_danish() {
        let found = ids(Lang::Da, "Udbygning af fjernvarmenettet i byen");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        let found = ids(Lang::Da, "Tilskud til varmepumpeanlæg");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn compounds_norwegian() {
        let found = ids(Lang::No, "Utvidelse av fjernvarmenettet");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        let found = ids(Lang::No, "Nye varmepumpeanlegg i skolene");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn compounds_finnish() {
        let found = ids(Lang::Fi, "Kaukolämpöverkon laajentaminen");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        let found = ids(Lang::Fi, "kaukolämpöverkko");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        let found = ids(Lang::Fi, "Maalämpöpumppujen asentaminen kouluihin");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn compounds_german() {
        let found = ids(Lang::De, "Förderung der Wärmepumpenanlage im Quartier");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
        let found = ids(Lang::De, "Ausbau des Fernwärmenetzes");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
    }

    #[test]
    fn chinese_by_characters() {
        let found = ids(Lang::Zh, "推进区域供热系统改造和热泵应用");
        assert!(found.contains(&DISTRICT_HEATING.to_string()), "{found:?}");
        assert!(found.contains(&HEAT_PUMP.to_string()), "{found:?}");
    }

    #[test]
    fn words_are_numbered_in_the_order_of_their_text() {
        let t = thesaurus();
        let w = &t.words;
        assert!(w.len() > 1_000, "{}", w.len());
        let last = w.len() as WordId - 1;
        for id in 1..=last {
            assert!(w.text(id - 1) < w.text(id), "{id}");
        }
        for id in [0, last / 2, last] {
            assert_eq!(w.id(w.text(id)), Some(id));
            assert_eq!(w.hash(id), crate::forward::hash(w.text(id)));
        }
        // a concept's label words, and a word's translations, by number
        let dh = t.find(DISTRICT_HEATING).expect("district heating");
        let en: Vec<&str> = t
            .label_words(dh, Lang::En)
            .iter()
            .map(|&id| w.text(id))
            .collect();
        // (the words of every label, each once: "district heating", "district heating
        // network", ...)
        assert_eq!(
            en[..2],
            [stem(Lang::En, "district"), stem(Lang::En, "heating")],
            "{en:?}"
        );
        assert!(en.iter().enumerate().all(|(i, x)| !en[..i].contains(x)));
        let sv = t
            .translations_of(Lang::En, &stem(Lang::En, "heating"))
            .expect("heating translates");
        assert!(
            sv.into_lang(Lang::Sv)
                .iter()
                .any(|&(id, x)| w.text(id) == stem(Lang::Sv, "uppvärmning") && x > 0.0),
            "{:?}",
            sv.into_lang(Lang::Sv)
                .iter()
                .map(|&(id, x)| (w.text(id), x))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn word_translations_from_labels() {
        let t = thesaurus();
        let en = |w: &str| stem(Lang::En, w);
        let sv = t.translate(Lang::Sv, Lang::En, &stem(Lang::Sv, "fjärrvärme"));
        assert!(sv.contains(&en("district")), "{sv:?}");
        let fi = t.translate(Lang::Fi, Lang::En, &stem(Lang::Fi, "sähkö"));
        assert!(fi.contains(&en("electricity")), "{fi:?}");
    }

    #[test]
    fn the_team_dictionary_translates_climate_plan_words() {
        let t = thesaurus();
        let en = |w: &str| stem(Lang::En, w);
        let to_en = |lang: Lang, word: &str| {
            let mut out = Vec::new();
            let v = &t.vocab[lang.idx()];
            analyze(lang, word, v, |_, wp| {
                out.extend(t.translate(lang, Lang::En, &wp.whole))
            });
            out
        };
        let de = to_en(Lang::De, "Straßenbeleuchtung");
        assert!(
            de.contains(&en("street")) && de.contains(&en("lighting")),
            "{de:?}"
        );
        // a Finnish case form through its base form
        let fi = to_en(Lang::Fi, "katuvalaistuksen");
        assert!(fi.contains(&en("street")), "{fi:?}");
        let sv = to_en(Lang::Sv, "tilläggsisolering");
        assert!(sv.contains(&en("insulation")), "{sv:?}");
        // dictionary words split compounds: "Dachanlagen|förderung"
        let wp =
            crate::lang::analyze_word(Lang::De, "dachanlagenförderung", &t.vocab[Lang::De.idx()]);
        assert!(wp.parts.contains(&stem(Lang::De, "förderung")), "{wp:?}");
        // and back from English to a one-word phrase
        let back = t.translate(Lang::En, Lang::Da, &en("congestion"));
        assert!(back.contains(&stem(Lang::Da, "trængsel")), "{back:?}");
    }

    #[test]
    fn every_dictionary_row_is_used() {
        let t = thesaurus();
        let rows = dictionary_rows(DICTIONARY);
        assert_eq!(
            rows.len(),
            DICTIONARY.lines().count() - 1,
            "a row without 3 columns or with an unknown language"
        );
        for (lang, word, english) in rows {
            assert!(!split_labels(english).is_empty(), "{word}: no English");
            if lang == Lang::Zh {
                // looked up as jieba gives it: it must come out as a token of its own
                let mut tokens = Vec::new();
                analyze(lang, word, &t.vocab[lang.idx()], |surface, _| {
                    tokens.push(surface.to_string())
                });
                assert!(
                    tokens.contains(&word.to_lowercase()),
                    "{word} is split by jieba: {tokens:?}"
                );
                continue;
            }
            let mut units = Vec::new();
            analyze(lang, word, &t.vocab[lang.idx()], |_, wp| {
                units.push(wp.whole.clone())
            });
            assert_eq!(
                units.len(),
                1,
                "{lang:?} {word:?} must be one word (not a stop word)"
            );
            assert!(t.in_dictionary(lang, &units[0]), "{word}");
        }
    }

    /// An index stores analysed words: when the data the analysis reads changes, indexes
    /// built before must be rebuilt, which a new SCHEMA_VERSION makes happen.
    #[test]
    fn the_analysis_data_belongs_to_the_schema_version() {
        let mut text = String::new();
        for data in [GEMET, GLOSSARY, DICTIONARY] {
            text.push_str(data);
        }
        for lang in Lang::ALL {
            text.push_str(&crate::lang::stop_words(lang).join(" "));
        }
        assert_eq!(
            (
                crate::SCHEMA_VERSION,
                format!("{:08x}", crate::forward::hash(&text))
            ),
            (4, "54a5a0fb".to_string()),
            "the thesaurus, glossary, dictionary or stop words changed: bump SCHEMA_VERSION \
             (indexes are then rebuilt) and write the new pair here"
        );
    }

    #[test]
    fn plain_words_are_not_concepts_by_accident() {
        assert!(ids(Lang::En, "the of and").is_empty());
    }
}
