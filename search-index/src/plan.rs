//! What a query asks for, weighted by the index's statistics: its words in its own language
//! and translated into every other language the index holds, its concepts and its sectors.
//!
//! Every word is looked up here, in the term memo of the reader's generation; the scorer
//! reuses those term infos, so a word costs one dictionary lookup per segment per generation.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHashMap;

use tantivy::Searcher;

use crate::cache::{Generation, Infos, TermEntry};
use crate::lang::Lang;
use crate::ranking::RankWeights;
use crate::schema::{sector_mask, Fields};
use crate::thesaurus::{thesaurus, ConceptIdx, Thesaurus, Translations};
use crate::Result;

/// Most specific concepts of a query kept for scoring.
pub(crate) const MAX_CONCEPTS: usize = 16;
/// Translation candidates looked up per language, by their weight in the query.
const TRANSLATION_LOOKUPS: usize = 128;

/// One distinct index word the query looks for.
pub(crate) struct Word {
    pub(crate) infos: Infos,
    /// Weight of the word for a document written in language `L`, divided by the sum of
    /// the weights of `L`'s list (0 = not in that list): a document's text coverage is the
    /// sum over its words of `share[L] * saturated tf`.
    pub(crate) share: [f32; 7],
    /// Position in `lists[L]` (`u32::MAX` = not in it).
    pub(crate) listed: [u32; 7],
}

/// One entry of a language's list: how its word reads in an explanation.
pub(crate) struct Listed {
    surface: Surface,
}

/// Where the surface of a listed word comes from.
#[derive(Clone, Copy)]
enum Surface {
    /// A word of the query (index into `Plan::query_words`).
    Query(u32),
    /// The label of a concept (in the list's language).
    Label(ConceptIdx),
}

pub(crate) struct QConcept {
    pub(crate) idx: ConceptIdx,
    pub(crate) hash: u32,
    pub(crate) weight: f32,
    pub(crate) infos: Infos,
}

pub(crate) struct Plan {
    pub(crate) lang: Lang,
    pub(crate) words: Vec<Word>,
    /// Word hash ([`crate::forward::hash`]) -> index in `words`.
    pub(crate) by_hash: HashMap<u32, usize, BuildHasherDefault<crate::forward::HashedKey>>,
    /// The hashes of `by_hash`, as a quick test before the map (most words of a document
    /// are not in the query).
    pub(crate) word_filter: HashFilter,
    /// `lists[L]`: the words a document in language `L` is judged on (the query's own words
    /// for its language; their translations and shared words for the others).
    pub(crate) lists: [Vec<Listed>; 7],
    pub(crate) concepts: Vec<QConcept>,
    /// Concept hash -> index in `concepts`.
    pub(crate) concept_by_hash: HashMap<u32, usize, BuildHasherDefault<crate::forward::HashedKey>>,
    /// Sum of the concept weights.
    pub(crate) concept_total: f32,
    pub(crate) sectors: u64,
    /// The query's words as written, for explanations.
    query_words: Vec<String>,
    /// BM25 length normalisation of the `all` field by fieldnorm id:
    /// `1 / (1 - b + b * len / avg_len)`.
    pub(crate) norm: [f32; 256],
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty() && self.concepts.is_empty()
    }

    /// How the word at `pos` in the list of language `lang` reads in an explanation.
    pub(crate) fn surface(&self, lang: Lang, pos: u32) -> Option<&str> {
        match self.lists[lang.idx()].get(pos as usize)?.surface {
            Surface::Query(i) => self.query_words.get(i as usize).map(String::as_str),
            Surface::Label(idx) => Some(thesaurus().label(idx, lang)),
        }
    }
}

/// A set of hashes as 4,096 bits: "maybe in the set" or "certainly not".
pub(crate) struct HashFilter([u64; 64]);

impl HashFilter {
    fn of(hashes: impl IntoIterator<Item = u32>) -> HashFilter {
        let mut bits = [0u64; 64];
        for h in hashes {
            bits[(h >> 6) as usize & 63] |= 1 << (h & 63);
        }
        HashFilter(bits)
    }

    /// False when `h` is certainly not in the set.
    #[inline]
    pub(crate) fn may_contain(&self, h: u32) -> bool {
        self.0[(h >> 6) as usize & 63] >> (h & 63) & 1 != 0
    }
}

/// BM25's length normalisation by fieldnorm id: `1 / (1 - b + b * len / avg_len)`.
pub(crate) fn length_norms(b: f32, avg_len: f32) -> [f32; 256] {
    let mut norm = [0f32; 256];
    for (id, x) in norm.iter_mut().enumerate() {
        let len = tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id as u8) as f32;
        *x = 1.0 / (1.0 - b + b * len / avg_len).max(0.05);
    }
    norm
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The words of a plan by number: a word of the thesaurus by its
/// [`WordId`](crate::thesaurus::WordId), a word of the query that the thesaurus lacks by the
/// thesaurus's word count plus its index among the query's words. Numbers of the
/// thesaurus's words compare as their texts do.
struct Keys<'a> {
    t: &'a Thesaurus,
    vocab: u32,
    /// the query's words
    own: Vec<&'a str>,
}

impl<'a> Keys<'a> {
    fn new(t: &'a Thesaurus, own: Vec<&'a str>) -> Keys<'a> {
        Keys {
            t,
            vocab: t.words.len() as u32,
            own,
        }
    }

    /// The key of the query's word `i`.
    fn of_own(&self, i: usize) -> u32 {
        self.t
            .words
            .id(self.own[i])
            .unwrap_or(self.vocab + i as u32)
    }

    fn text(&self, key: u32) -> &'a str {
        match key.checked_sub(self.vocab) {
            None => self.t.words.text(key),
            Some(i) => self.own[i as usize],
        }
    }

    /// The order of the words' texts.
    fn cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        if a < self.vocab && b < self.vocab {
            a.cmp(&b)
        } else {
            self.text(a).cmp(self.text(b))
        }
    }

    /// [`crate::forward::hash`] of the word.
    fn hash(&self, key: u32) -> u32 {
        if key < self.vocab {
            self.t.words.hash(key)
        } else {
            crate::forward::hash(self.text(key))
        }
    }
}

/// A candidate word of one list before the lists are merged.
struct Cand<'e> {
    key: u32,
    surface: Surface,
    weight: f32,
    entry: &'e TermEntry,
}

/// The `max` heaviest of `list`, heaviest first (words are distinct within a list, so the
/// order is total and the unstable selection and sort give one result).
fn sort_and_cut(list: &mut Vec<Cand<'_>>, max: usize, keys: &Keys<'_>) {
    let by_weight = |a: &Cand<'_>, b: &Cand<'_>| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| keys.cmp(a.key, b.key))
    };
    if max == 0 {
        list.clear();
        return;
    }
    if list.len() > max {
        list.select_nth_unstable_by(max - 1, by_weight);
        list.truncate(max);
    }
    list.sort_unstable_by(by_weight);
}

/// A word wanted in another language's list, before its look-up.
#[derive(Clone, Copy)]
struct Wanted {
    /// its weight in the query (before idf)
    weight: f32,
    surface: Surface,
    /// a word of the query: its index in the query's looked-up words
    own: Option<usize>,
}

impl Wanted {
    fn new(surface: Surface) -> Wanted {
        Wanted {
            weight: 0.0,
            surface,
            own: None,
        }
    }
}

/// A word of the query: its weight in the query and its surface.
struct QWord {
    tf: f32,
    surface: u32,
    /// Translated into other languages: false for the parts of a compound that the
    /// dictionary translates as a whole (in every occurrence).
    translate: bool,
}

pub(crate) fn plan(
    fields: &Fields,
    w: &RankWeights,
    searcher: &Searcher,
    generation: &Generation,
    lang: Lang,
    texts: [&str; 3],
    sectors: &[String],
) -> Result<Plan> {
    let t = thesaurus();
    let n = searcher.num_docs().max(1) as f32;
    let mut tokens = 0u64;
    let mut max_docs = 0u64;
    for seg in searcher.segment_readers() {
        max_docs += u64::from(seg.max_doc());
        tokens += seg.inverted_index(fields.all)?.total_num_tokens();
    }
    let avg_len = (tokens as f32 / max_docs.max(1) as f32).max(1.0);
    let norm = length_norms(w.b, avg_len);

    let field_q = [w.query_title, 1.0, 1.0];
    let qweight = |tf: f32| if w.qtf_log { 1.0 + tf.ln() } else { tf };
    let mut qtf: FxHashMap<String, QWord> =
        FxHashMap::with_capacity_and_hasher(256, Default::default());
    let mut query_words: Vec<String> = Vec::new();
    let mut ctf: FxHashMap<ConceptIdx, f32> = FxHashMap::default();
    for (text, fw) in texts.iter().zip(field_q) {
        let mut found = Vec::new();
        // the word being analysed, and whether the dictionary translates it as a whole
        let mut current: Option<(u32, bool)> = None;
        t.analyze_with(
            lang,
            text,
            |term, surface, n| {
                let translate = match current {
                    Some((m, whole_known)) if m == n => !whole_known,
                    _ => {
                        current = Some((n, t.in_dictionary(lang, term)));
                        true
                    }
                };
                match qtf.get_mut(term) {
                    Some(q) => {
                        q.tf += fw;
                        q.translate |= translate;
                    }
                    None => {
                        qtf.insert(
                            term.to_string(),
                            QWord {
                                tf: fw,
                                surface: query_words.len() as u32,
                                translate,
                            },
                        );
                        query_words.push(surface.to_string());
                    }
                }
            },
            &mut found,
        );
        for c in found {
            *ctf.entry(c).or_insert(0.0) += fw;
        }
    }
    // the query's words in a fixed order (the maps' order is not)
    let mut qwords: Vec<(&str, &QWord)> = qtf.iter().map(|(k, v)| (k.as_str(), v)).collect();
    qwords.sort_unstable_by_key(|(_, q)| q.surface);

    let keys = Keys::new(t, qwords.iter().map(|&(text, _)| text).collect());
    let own_keys: Vec<u32> = (0..qwords.len()).map(|i| keys.of_own(i)).collect();
    let mut lists: [Vec<Cand<'_>>; 7] = Default::default();
    // the query's words as the index knows them (looked up once: they count in every list)
    let own_entries: Vec<TermEntry> = qwords
        .iter()
        .zip(&own_keys)
        .map(|(&(text, _), &key)| {
            if key < keys.vocab {
                generation.word(searcher, key).cloned()
            } else {
                generation.term(searcher, fields.all, text)
            }
        })
        .collect::<Result<_>>()?;
    for ((&(_, q), entry), &key) in qwords.iter().zip(&own_entries).zip(&own_keys) {
        if entry.df == 0 {
            continue;
        }
        lists[lang.idx()].push(Cand {
            key,
            surface: Surface::Query(q.surface),
            weight: qweight(q.tf) * idf(n, entry.df as f32),
            entry,
        });
    }
    sort_and_cut(&mut lists[lang.idx()], w.max_terms, &keys);

    let mut concepts = Vec::new();
    let mut all_concepts: Vec<(ConceptIdx, f32)> = Vec::new();
    let mut ctf: Vec<(ConceptIdx, f32)> = ctf.into_iter().collect();
    ctf.sort_unstable_by_key(|c| c.0);
    for (idx, tf) in ctf {
        let TermEntry { df, infos } =
            generation.term(searcher, fields.concepts, &t.concept(idx).id)?;
        let q = qweight(tf);
        all_concepts.push((idx, q));
        if df == 0 {
            continue;
        }
        concepts.push(QConcept {
            idx,
            hash: crate::forward::hash(&t.concept(idx).id),
            weight: q * idf(n, df as f32),
            infos,
        });
    }
    concepts.sort_unstable_by(|a, b| b.weight.total_cmp(&a.weight).then(a.idx.cmp(&b.idx)));
    concepts.truncate(MAX_CONCEPTS);

    // Translations: the labels of the query's concepts in every other language.
    all_concepts.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all_concepts.truncate(MAX_CONCEPTS * 2);
    // the dictionary's translations of the query's words, looked up once for all languages:
    // (weight in the query, surface, translations by language)
    let translated: Vec<(f32, u32, Translations<'_>)> = if w.dict > 0.0 {
        qwords
            .iter()
            .filter(|(_, q)| q.translate)
            .filter_map(|&(text, qw)| {
                let by_lang = t.translations_of(lang, text)?;
                Some((w.dict * qweight(qw.tf), qw.surface, by_lang))
            })
            .collect()
    } else {
        Vec::new()
    };
    // The query's own words count too (names, "CO2", loanwords shared by both languages),
    // in the same coverage as the translations: a document in another language is judged
    // on one list, so that a query whose words are mostly unknown to the index cannot
    // reach full coverage with its one shared word.
    let own: Vec<(u32, Wanted)> = qwords
        .iter()
        .zip(&own_keys)
        .enumerate()
        .map(|(i, (&(_, q), &key))| {
            let wanted = Wanted {
                weight: qweight(q.tf),
                surface: Surface::Query(q.surface),
                own: Some(i),
            };
            (key, wanted)
        })
        .collect();
    for target in Lang::ALL {
        if target == lang {
            continue;
        }
        if generation
            .term(searcher, fields.lang_code, target.code())?
            .df
            == 0
        {
            continue;
        }
        // (room for the labels and translations, which outnumber the query's words)
        let mut etf: FxHashMap<u32, Wanted> =
            FxHashMap::with_capacity_and_hasher(own.len() * 4, Default::default());
        etf.extend(own.iter().copied());
        for &(idx, q) in &all_concepts {
            for &u in t.label_words(idx, target) {
                let e = etf.entry(u).or_insert(Wanted::new(Surface::Label(idx)));
                e.weight = e.weight.max(q);
            }
        }
        // Word-level translations of the query's own words (the team's dictionary and word
        // pairs of the aligned labels), weighted.
        for &(q, surface, by_lang) in &translated {
            for &(tr, x) in by_lang.into_lang(target) {
                let e = etf
                    .entry(tr)
                    .or_insert(Wanted::new(Surface::Query(surface)));
                e.weight = e.weight.max(q * x);
            }
        }
        // Look up the words that weigh most in the query (a word's idf can only lower it).
        let mut etf: Vec<(u32, Wanted)> = etf.into_iter().collect();
        // (the list is sorted after the look-ups: only which words, not their order, counts here)
        let lookups = TRANSLATION_LOOKUPS.max(w.max_translated);
        if etf.len() > lookups {
            etf.select_nth_unstable_by(lookups - 1, |a, b| {
                b.1.weight
                    .total_cmp(&a.1.weight)
                    .then_with(|| keys.cmp(a.0, b.0))
            });
            etf.truncate(lookups);
        }
        let list = &mut lists[target.idx()];
        for (key, wanted) in etf {
            let entry = match wanted.own {
                Some(i) => &own_entries[i],
                None => generation.word(searcher, key)?,
            };
            if entry.df == 0 {
                continue;
            }
            list.push(Cand {
                weight: wanted.weight * idf(n, entry.df as f32),
                key,
                surface: wanted.surface,
                entry,
            });
        }
        sort_and_cut(list, w.max_translated, &keys);
    }

    // One entry per distinct word, with its normalised weight in every list.
    let mut by_key: FxHashMap<u32, usize> =
        FxHashMap::with_capacity_and_hasher(lists.iter().map(Vec::len).sum(), Default::default());
    let mut merged: Vec<Word> = Vec::new();
    let mut out_lists: [Vec<Listed>; 7] = Default::default();
    for l in Lang::ALL {
        let list = std::mem::take(&mut lists[l.idx()]);
        let total: f32 = list.iter().map(|c| c.weight).sum();
        if total <= 0.0 {
            continue;
        }
        for c in list {
            let k = match by_key.get(&c.key) {
                Some(&k) => k,
                None => {
                    merged.push(Word {
                        infos: c.entry.infos.clone(),
                        share: [0.0; 7],
                        listed: [u32::MAX; 7],
                    });
                    by_key.insert(c.key, merged.len() - 1);
                    merged.len() - 1
                }
            };
            let word = &mut merged[k];
            word.share[l.idx()] = c.weight / total;
            word.listed[l.idx()] = out_lists[l.idx()].len() as u32;
            out_lists[l.idx()].push(Listed { surface: c.surface });
        }
    }
    let concept_total: f32 = concepts.iter().map(|c| c.weight).sum();
    let by_hash: HashMap<u32, usize, BuildHasherDefault<crate::forward::HashedKey>> = by_key
        .iter()
        .map(|(&key, &k)| (keys.hash(key), k))
        .collect();
    let word_filter = HashFilter::of(by_hash.keys().copied());
    let concept_by_hash = concepts
        .iter()
        .enumerate()
        .map(|(k, c)| (c.hash, k))
        .collect();
    Ok(Plan {
        lang,
        words: merged,
        by_hash,
        word_filter,
        lists: out_lists,
        concepts,
        concept_by_hash,
        concept_total,
        sectors: sector_mask(sectors),
        query_words,
        norm,
    })
}
