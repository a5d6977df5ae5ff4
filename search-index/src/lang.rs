//! Languages: codes, detection, and the analysis every text goes through in its own
//! language: split into words, lower-case, drop stop words, split compounds against the
//! thesaurus vocabulary, stem (Snowball via `frostem`, the stemmer tantivy uses);
//! Chinese is segmented with jieba instead.
//!
//! Indexing and querying both call [`analyze`], so a document and a query are always
//! analysed the same way.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use lingua::{Language as Lingua, LanguageDetector, LanguageDetectorBuilder};
use tantivy::tokenizer::{TokenStream, Tokenizer};

/// A language the matcher analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English
    En,
    /// Swedish
    Sv,
    /// Danish
    Da,
    /// Norwegian (Bokmål and Nynorsk)
    No,
    /// Finnish
    Fi,
    /// German
    De,
    /// Chinese (simplified)
    Zh,
}

impl Lang {
    /// Every supported language, in index order.
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Sv,
        Lang::Da,
        Lang::No,
        Lang::Fi,
        Lang::De,
        Lang::Zh,
    ];

    /// The ISO 639-1 code used in the API ("en", "sv", "da", "no", "fi", "de", "zh").
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::No => "no",
            Lang::Fi => "fi",
            Lang::De => "de",
            Lang::Zh => "zh",
        }
    }

    /// Parses a language code; accepts the usual variants ("nb", "nn", "zh-CN", "EN").
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" | "eng" | "en-gb" | "en-us" => Some(Lang::En),
            "sv" | "swe" | "sv-se" | "sv-fi" => Some(Lang::Sv),
            "da" | "dan" | "da-dk" => Some(Lang::Da),
            "no" | "nb" | "nn" | "nor" | "nob" | "nno" | "nb-no" | "nn-no" => Some(Lang::No),
            "fi" | "fin" | "fi-fi" => Some(Lang::Fi),
            "de" | "deu" | "ger" | "de-de" | "de-at" | "de-ch" => Some(Lang::De),
            "zh" | "zho" | "chi" | "zh-cn" | "zh-hans" | "cmn" => Some(Lang::Zh),
            _ => None,
        }
    }

    pub(crate) fn idx(self) -> usize {
        self as usize
    }

    pub(crate) fn from_idx(i: u64) -> Option<Lang> {
        Lang::ALL.get(usize::try_from(i).ok()?).copied()
    }

    fn algorithm(self) -> Option<frostem::Algorithm> {
        match self {
            Lang::En => Some(frostem::Algorithm::English),
            Lang::Sv => Some(frostem::Algorithm::Swedish),
            Lang::Da => Some(frostem::Algorithm::Danish),
            Lang::No => Some(frostem::Algorithm::Norwegian),
            Lang::Fi => Some(frostem::Algorithm::Finnish),
            Lang::De => Some(frostem::Algorithm::German),
            Lang::Zh => None,
        }
    }

    /// Compound splitting: shortest part, shortest word worth splitting, linking elements.
    fn compounding(self) -> Option<(usize, usize, &'static [&'static str])> {
        match self {
            Lang::En => Some((4, 8, &[])),
            Lang::Sv => Some((3, 6, &["s"])),
            Lang::Da | Lang::No => Some((3, 6, &["s", "e"])),
            Lang::Fi => Some((3, 6, &[])),
            Lang::De => Some((3, 6, &["s", "n", "en", "es", "e", "er"])),
            Lang::Zh => None,
        }
    }
}

/// Detects the language of `text` among the seven supported ones.
///
/// Returns the ISO 639-1 code, or `None` when the text gives no clue (empty, digits only).
///
/// ```
/// assert_eq!(search_index::detect_language("Utbyggnad av fjärrvärmenätet i staden"), Some("sv"));
/// assert_eq!(search_index::detect_language("区域供热系统改造"), Some("zh"));
/// ```
pub fn detect_language(text: &str) -> Option<&'static str> {
    detect(text).map(Lang::code)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

pub(crate) fn detect(text: &str) -> Option<Lang> {
    let mut letters = 0usize;
    let mut cjk = 0usize;
    for c in text.chars().take(4000) {
        if c.is_alphabetic() {
            letters += 1;
            if is_cjk(c) {
                cjk += 1;
            }
        }
    }
    if letters == 0 {
        return None;
    }
    // One Chinese character carries about as much as a short Latin word.
    if cjk * 4 >= letters {
        return Some(Lang::Zh);
    }
    // Detection cost grows with length; the first ~400 characters decide well enough.
    // (lingua's low-accuracy mode was tried for speed: it took English company texts
    // that start with a name for German, so it is not used.)
    let end = text
        .char_indices()
        .nth(400)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let head = &text[..end];
    // Function words tell English, German, Finnish and Swedish apart cheaply and surely
    // when a text has enough of them; lingua then only separates Danish from Norwegian
    // (or decides the texts the words leave open), with a detector of fewer languages.
    match function_word_vote(text) {
        Some(Vote::Sure(lang)) => return Some(lang),
        Some(Vote::DanishOrNorwegian) => {
            static DA_NO: OnceLock<LanguageDetector> = OnceLock::new();
            let detector = DA_NO.get_or_init(|| {
                LanguageDetectorBuilder::from_languages(&[
                    Lingua::Danish,
                    Lingua::Bokmal,
                    Lingua::Nynorsk,
                ])
                .build()
            });
            return match detector.detect_language_of(head)? {
                Lingua::Danish => Some(Lang::Da),
                _ => Some(Lang::No),
            };
        }
        None => {}
    }
    static DETECTOR: OnceLock<LanguageDetector> = OnceLock::new();
    let detector = DETECTOR.get_or_init(|| {
        LanguageDetectorBuilder::from_languages(&[
            Lingua::English,
            Lingua::Swedish,
            Lingua::Danish,
            Lingua::Bokmal,
            Lingua::Nynorsk,
            Lingua::Finnish,
            Lingua::German,
            Lingua::Chinese,
        ])
        .build()
    });
    match detector.detect_language_of(head)? {
        Lingua::English => Some(Lang::En),
        Lingua::Swedish => Some(Lang::Sv),
        Lingua::Danish => Some(Lang::Da),
        Lingua::Bokmal | Lingua::Nynorsk => Some(Lang::No),
        Lingua::Finnish => Some(Lang::Fi),
        Lingua::German => Some(Lang::De),
        Lingua::Chinese => Some(Lang::Zh),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

enum Vote {
    Sure(Lang),
    DanishOrNorwegian,
}

/// Very frequent words that (almost) only one of the groups uses. Danish and Norwegian
/// share theirs and count as one group.
const FUNCTION_WORDS: [(&[&str], Option<Lang>); 5] = [
    (
        &[
            "the", "and", "of", "to", "is", "are", "for", "with", "that", "this", "from", "by",
            "which", "be", "has", "have", "their", "its", "our", "will",
        ],
        Some(Lang::En),
    ),
    (
        &[
            "der", "die", "das", "und", "ist", "sind", "nicht", "mit", "für", "auf", "von", "zu",
            "ein", "eine", "einer", "sich", "dem", "auch", "werden", "wird",
        ],
        Some(Lang::De),
    ),
    (
        &[
            "ja", "ovat", "että", "tai", "myös", "sekä", "joka", "jotka", "kuin", "ei", "oli",
            "ole", "tämä", "sen", "niiden", "mukaan", "kanssa",
        ],
        Some(Lang::Fi),
    ),
    (
        &[
            "och", "att", "är", "inte", "ett", "från", "också", "eller", "vid", "detta", "samt",
            "ska", "hur", "mycket", "vara", "blir", "sina", "deras",
        ],
        Some(Lang::Sv),
    ),
    (
        &[
            "og", "ikke", "også", "fra", "eller", "ved", "dette", "samt", "skal", "hvordan",
            "være", "deres", "af", "av",
        ],
        None,
    ),
];

/// `Sure` when one group's function words are at least 4 and three times any other's.
fn function_word_vote(text: &str) -> Option<Vote> {
    let mut counts = [0usize; 5];
    let mut seen = 0usize;
    let mut words = 0usize;
    for_each_word(text, |w| {
        words += 1;
        if words > 300 {
            return;
        }
        for (k, (list, _)) in FUNCTION_WORDS.iter().enumerate() {
            if list.contains(&w) {
                counts[k] += 1;
                seen += 1;
            }
        }
    });
    let (best, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let runner_up = counts
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != best)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    if n < 4 || n < 3 * runner_up || seen == 0 {
        return None;
    }
    Some(match FUNCTION_WORDS[best].1 {
        Some(l) => Vote::Sure(l),
        None => Vote::DanishOrNorwegian,
    })
}

/// The language a record is analysed in: the one it gives, else the detected one, else English.
pub(crate) fn resolve(given: Option<&str>, text: &str) -> Lang {
    given
        .and_then(Lang::from_code)
        .or_else(|| detect(text))
        .unwrap_or(Lang::En)
}

/// [`resolve`] for a record's title, summary and description: the text is joined for
/// detection only when no language is given.
pub(crate) fn resolve_texts(given: Option<&str>, texts: [&str; 3]) -> Lang {
    match given.and_then(Lang::from_code) {
        Some(l) => l,
        None => resolve(None, &texts.join("\n")),
    }
}

/// Words of the thesaurus labels and of the team's dictionary in one language: the
/// vocabulary compounds are split against.
#[derive(Default)]
pub(crate) struct Vocab {
    pub(crate) surface: HashSet<String>,
    pub(crate) stems: HashSet<String>,
    /// Base forms of the team's dictionary (a subset of `surface`).
    pub(crate) base: HashSet<String>,
    /// Finnish only, filled by [`Vocab::finish`]: beginnings of the vocabulary words of six
    /// or more letters (each word less what a Finnish inflection may take off its end,
    /// [`FI_DROPPED`], also with its last consonants weakened) -> (letters changed, the
    /// word); `of_base` for the base forms only.
    of_all: HashMap<String, (usize, String)>,
    of_base: HashMap<String, (usize, String)>,
}

/// Finnish case, number and possessive endings, as they follow a word's stem.
const FI_ENDINGS: [&str; 64] = [
    "n", "t", "a", "ä", "ta", "tä", "tta", "ttä", "na", "nä", "ssa", "ssä", "sta", "stä", "lla",
    "llä", "lta", "ltä", "lle", "ksi", "en", "in", "an", "än", "on", "ön", "un", "yn", "hin",
    "han", "hen", "hön", "seen", "siin", "den", "tten", "iden", "itten", "ja", "jä", "jen", "ita",
    "itä", "issa", "issä", "ista", "istä", "illa", "illä", "ilta", "iltä", "ille", "iksi", "ina",
    "inä", "iin", "ihin", "ine", "ineen", "ien", "nsa", "nsä", "ia", "iä",
];
/// What a Finnish inflection may take off the end of a base form before its stem change
/// and ending ("katuvalaistu|s", "joukkoliiken|ne", "yksityi|nen", "mets|ä").
const FI_DROPPED: [&str; 12] = ["", "s", "e", "a", "ä", "i", "o", "ö", "u", "y", "ne", "nen"];
/// Consonant gradation, strong -> weak, at the end of a stem before its last vowel.
const FI_GRADATION: [(&str, &str); 8] = [
    ("kk", "k"),
    ("pp", "p"),
    ("tt", "t"),
    ("nk", "ng"),
    ("mp", "mm"),
    ("lt", "ll"),
    ("nt", "nn"),
    ("rt", "rr"),
];
/// What a Finnish stem may gain before its ending ("katuvalaistu|kse|n",
/// "joukkoliiken|tee|n", "yksityi|s|issä").
const FI_STEM_CHANGES: [&str; 12] = [
    "", "k", "ks", "kse", "s", "se", "si", "te", "tee", "ee", "i", "j",
];

/// Whether `rest` is what an inflection adds after the shared beginning: a stem change and
/// an ending ("ksen", "teen", "sissä"), never another word ("vaihe", "ala", "ton").
fn is_fi_ending(rest: &str) -> bool {
    !rest.is_empty()
        && FI_STEM_CHANGES.iter().any(|change| {
            rest.strip_prefix(change)
                .is_some_and(|ending| FI_ENDINGS.contains(&ending))
        })
}

impl Vocab {
    /// Prepares [`Vocab::lemma`] once every word is in (Finnish only).
    pub(crate) fn finish(&mut self, lang: Lang) {
        if lang != Lang::Fi {
            return;
        }
        for v in &self.surface {
            let chars: Vec<(usize, char)> = v.char_indices().collect();
            let n = chars.len();
            if n < 6 {
                continue;
            }
            let is_base = self.base.contains(v);
            for dropped in 0..=3usize {
                let end = chars.get(n - dropped).map_or(v.len(), |c| c.0);
                let tail = &v[end..];
                if !FI_DROPPED.contains(&tail) {
                    continue;
                }
                let key = &v[..end];
                let mut keys = vec![(key.to_string(), dropped)];
                // consonant gradation of the last syllable: "lämpö" -> "lämmön",
                // "kaupunki" -> "kaupungin", "tuotanto" -> "tuotannon" (one more change)
                if dropped == 1 {
                    if let Some((strong, weak)) = FI_GRADATION
                        .iter()
                        .find(|(strong, _)| key.ends_with(strong))
                    {
                        let stem = &key[..key.len() - strong.len()];
                        keys.push((format!("{stem}{weak}"), dropped + 1));
                    }
                }
                for (key, cost) in keys {
                    let entry = (cost, v.clone());
                    // fewest changes, then the shorter word, then the first in order
                    fn rank(x: &(usize, String)) -> (usize, usize, &str) {
                        (x.0, x.1.chars().count(), x.1.as_str())
                    }
                    for (m, wanted) in [(&mut self.of_all, true), (&mut self.of_base, is_base)] {
                        if !wanted {
                            continue;
                        }
                        match m.get_mut(&key) {
                            Some(e) if rank(&entry) < rank(e) => *e = entry.clone(),
                            Some(_) => {}
                            None => {
                                m.insert(key.clone(), entry.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    /// The base form of an inflected Finnish word, by shared beginning: Finnish inflection
    /// changes the end of the base form and adds an ending ("katuvalaistus" ->
    /// "katuvalaistuksen", "joukkoliikenne" -> "joukkoliikenteen", "yksityinen" ->
    /// "yksityisissä"), which Snowball stemming does not undo. A candidate is a vocabulary
    /// word whose beginning (less one of [`FI_DROPPED`]) the word starts with,
    /// followed by a stem change and an ending ([`is_fi_ending`]); the one with the fewest
    /// letters changed wins. A base form of the dictionary is its own base; another
    /// vocabulary word (the thesaurus labels hold inflected forms too) maps only to a base
    /// form. `None`: no base form is known.
    pub(crate) fn lemma(&self, word: &str) -> Option<&str> {
        if self.of_all.is_empty() || self.base.contains(word) {
            return None;
        }
        if self.surface.contains(word) {
            return Self::closest(&self.of_base, word);
        }
        let found = Self::closest(&self.of_all, word)?;
        if self.base.contains(found) {
            return Some(found);
        }
        Self::closest(&self.of_base, found).or(Some(found))
    }

    fn closest<'a>(map: &'a HashMap<String, (usize, String)>, word: &str) -> Option<&'a str> {
        let n = word.chars().count();
        if n > MAX_SPLIT_LETTERS {
            return None;
        }
        // the base is at most one letter longer than the form, and at least 60% of it
        let fits = |v: &str| {
            let m = v.chars().count();
            m <= n + 1 && m * 5 >= n * 3
        };
        let mut best: Option<(usize, &str)> = None;
        let ends = word
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(word.len()))
            .enumerate()
            .skip(5);
        for (len, end) in ends {
            let rest = &word[end..];
            if !is_fi_ending(rest) {
                continue;
            }
            let Some((dropped, v)) = map.get(&word[..end]) else {
                continue;
            };
            let cost = dropped + (n - len);
            if v != word && fits(v) && best.is_none_or(|b| cost <= b.0) {
                best = Some((cost, v));
            }
        }
        best.map(|b| b.1)
    }
}

/// Longer words (ids, hashes, run-together text) are neither split nor traced to a base
/// form: both cost more than linear time in a word's length.
const MAX_SPLIT_LETTERS: usize = 48;

/// One analysed word: its stem, and the stems of its parts when it is a compound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordParts {
    pub(crate) whole: String,
    pub(crate) parts: Vec<String>,
    /// The word itself is a thesaurus word (then `parts` only add the concepts inside it).
    pub(crate) known: bool,
}

impl WordParts {
    /// The units concept labels are matched against: the parts of a compound, else the word.
    pub(crate) fn units(&self) -> &[String] {
        if self.known || self.parts.is_empty() {
            std::slice::from_ref(&self.whole)
        } else {
            &self.parts
        }
    }
}

pub(crate) fn stem(lang: Lang, word: &str) -> String {
    match lang.algorithm() {
        Some(a) => frostem::Stemmer::new(a).stem(word).into_owned(),
        None => word.to_string(),
    }
}

pub(crate) fn is_stop_word(lang: Lang, word: &str) -> bool {
    static SETS: OnceLock<[HashSet<&'static str>; 7]> = OnceLock::new();
    let sets = SETS.get_or_init(|| Lang::ALL.map(|l| stop_words(l).iter().copied().collect()));
    sets[lang.idx()].contains(word)
}

pub(crate) fn stop_words(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "for", "from",
            "has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the",
            "their", "this", "to", "was", "we", "were", "which", "will", "with", "us", "they",
            "these", "those", "such", "also", "more", "other", "all", "any", "than", "through",
            "while", "who", "whose", "not", "no", "so", "if", "would", "should", "could", "may",
            "then", "there", "them", "both", "each", "about", "over", "up", "out", "you", "your",
            "i", "e", "g", "etc", "via", "per", "new", "use", "using",
        ],
        Lang::Sv => &[
            "och", "i", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "den",
            "har", "de", "inte", "om", "ett", "men", "var", "sig", "så", "vi", "kan", "från",
            "eller", "vid", "ska", "skall", "även", "samt", "genom", "under", "efter", "mot",
            "alla", "detta", "dessa", "man", "sin", "sina", "sitt", "där", "när", "hur", "nya",
            "ny", "nytt", "bli", "blir", "också", "mer", "mm", "t", "ex",
        ],
        Lang::Da => &[
            "og", "i", "at", "det", "som", "en", "på", "er", "af", "for", "med", "til", "den",
            "har", "de", "ikke", "om", "et", "men", "var", "sig", "så", "vi", "kan", "fra",
            "eller", "ved", "skal", "også", "samt", "gennem", "under", "efter", "mod", "alle",
            "dette", "disse", "man", "sin", "sine", "sit", "hvor", "når", "hvordan", "nye", "ny",
            "nyt", "blive", "bliver", "mere", "mv", "fx",
        ],
        Lang::No => &[
            "og", "i", "at", "det", "som", "en", "på", "er", "av", "for", "med", "til", "den",
            "har", "de", "ikke", "om", "et", "ei", "men", "var", "seg", "så", "vi", "kan", "fra",
            "eller", "ved", "skal", "også", "samt", "gjennom", "under", "etter", "mot", "alle",
            "dette", "disse", "man", "sin", "sine", "sitt", "hvor", "når", "hvordan", "nye", "ny",
            "nytt", "bli", "blir", "mer", "mv", "f", "eks",
        ],
        Lang::Fi => &[
            "ja", "on", "ei", "se", "että", "tai", "kuin", "ovat", "oli", "olla", "sekä", "myös",
            "mutta", "joka", "jotka", "kun", "niin", "sen", "ne", "siitä", "sitä", "tämä", "nämä",
            "mm", "esim", "jne", "voi", "voidaan", "jo", "vain", "kanssa", "mukaan", "osalta",
            "avulla", "kautta", "eli", "jotta", "joiden", "jossa", "jolloin", "joten", "niiden",
            "noin", "olisi", "tämän", "tässä", "siis", "onkin", "ole", "olevan", "oleva", "olevat",
            "eikä", "lisäksi", "näillä", "niitä", "hän", "he", "me", "te", "jos", "kuten", "vielä",
            "aina", "nyt", "myöskin",
        ],
        Lang::De => &[
            "der", "die", "das", "und", "in", "im", "zu", "zum", "zur", "den", "dem", "des", "von",
            "vom", "mit", "für", "auf", "ist", "sind", "ein", "eine", "einer", "eines", "einem",
            "einen", "als", "auch", "an", "am", "aus", "bei", "beim", "durch", "nach", "oder",
            "sowie", "wird", "werden", "wurde", "nicht", "sich", "es", "wir", "sie", "so", "um",
            "über", "unter", "vor", "dass", "wie", "bis", "noch", "mehr", "z", "b", "bzw", "etc",
            "u", "a", "usw", "neue", "neuen", "diese", "diesen", "dieser", "dieses", "dazu",
            "dabei", "damit", "dann", "davon", "dafür", "kann", "können", "soll", "sollen", "muss",
            "müssen", "haben", "hat", "welche", "welcher", "während", "nur", "ohne", "ob", "hin",
            "neben", "sowohl", "jedoch", "bereits", "aktuell", "alle", "allen", "gibt", "geht",
            "sein", "ihre", "ihren", "seine", "unsere", "wurden", "worden",
        ],
        Lang::Zh => &[
            "的", "和", "与", "及", "或", "在", "了", "是", "对", "为", "等", "中", "将", "把",
            "被", "由", "以", "并", "其", "该", "这", "那", "有", "也", "就", "都", "而", "从",
            "到", "个", "之", "于",
        ],
    }
}

/// Calls `f` with every lower-cased word (a maximal run of letters and digits) of `text`.
pub(crate) fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() {
                buf.extend(c.to_lowercase());
            } else {
                buf.push(c);
            }
        } else if !buf.is_empty() {
            f(&buf);
            buf.clear();
        }
    }
    if !buf.is_empty() {
        f(&buf);
    }
}

thread_local! {
    static WORD_CACHE: RefCell<[HashMap<String, Rc<WordParts>>; 7]> = RefCell::new(Default::default());
}
const WORD_CACHE_MAX: usize = 200_000;

/// Analyses one lower-cased word, with a per-thread cache (vocabularies are Zipfian).
pub(crate) fn analyze_word(lang: Lang, word: &str, vocab: &Vocab) -> Rc<WordParts> {
    if let Some(hit) = WORD_CACHE.with(|c| c.borrow()[lang.idx()].get(word).cloned()) {
        return hit;
    }
    let mut whole = stem(lang, word);
    let mut known = vocab.surface.contains(word) || vocab.stems.contains(&whole);
    // an inflected form (also of a label word that is itself inflected) counts as its base
    if let Some(base) = vocab.lemma(word) {
        whole = stem(lang, base);
        known = true;
    }
    let parts = split_compound(lang, word, vocab)
        .map(|ps| {
            ps.iter()
                .map(|p| stem(lang, vocab.lemma(p).unwrap_or(p)))
                .collect()
        })
        .unwrap_or_default();
    let wp = Rc::new(WordParts {
        whole,
        parts,
        known,
    });
    WORD_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let m = &mut c[lang.idx()];
        if m.len() >= WORD_CACHE_MAX {
            m.clear();
        }
        m.insert(word.to_string(), wp.clone());
    });
    wp
}

/// Splits a compound into parts found in the vocabulary, e.g. Swedish "fjärrvärmenätet" into
/// "fjärrvärme" + "nätet". Every part must lie on a full decomposition of the word (with the
/// language's linking elements between parts); among overlapping candidates the longest wins,
/// so "kaukolämpöakku" gives "kaukolämpö" + "akku", not "kauko" + "lämpöakku".
/// Known words are split too (a "fjernvarmenett" is still about "fjernvarme"); returns
/// `None` for words that do not decompose.
fn split_compound(lang: Lang, word: &str, vocab: &Vocab) -> Option<Vec<String>> {
    let (min_part, min_word, links) = lang.compounding()?;
    let bounds: Vec<usize> = word
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(word.len()))
        .collect();
    let n = bounds.len() - 1;
    if n < min_word || n > MAX_SPLIT_LETTERS || word.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    // edges[i] = ends j such that word[i..j] is a vocabulary part
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ends) in edges.iter_mut().enumerate() {
        for j in (i + min_part)..=n {
            if i == 0 && j == n {
                continue;
            }
            let s = &word[bounds[i]..bounds[j]];
            let ok = if j == n {
                vocab.surface.contains(s)
                    || vocab.stems.contains(&stem(lang, s))
                    || vocab.lemma(s).is_some()
            } else {
                // (Finnish first parts are often inflected too: "edistämis|ohjelma")
                vocab.surface.contains(s) || vocab.stems.contains(s) || vocab.lemma(s).is_some()
            };
            if ok {
                ends.push(j);
            }
        }
    }
    // Where a next part may start after a part ending at j (directly or after a link).
    let starts_after = |j: usize| -> Vec<usize> {
        let mut v = vec![j];
        for l in links {
            if word[bounds[j]..].starts_with(l) && j + l.len() < n {
                v.push(j + l.len());
            }
        }
        v
    };
    let mut back = vec![false; n + 1];
    back[n] = true;
    for i in (0..n).rev() {
        back[i] = edges[i]
            .iter()
            .any(|&j| j == n || starts_after(j).into_iter().any(|s| s < n && back[s]));
    }
    if !back[0] {
        return None;
    }
    let mut fwd = vec![false; n + 1];
    fwd[0] = true;
    let mut usable: Vec<(usize, usize)> = Vec::new();
    for i in 0..n {
        if !fwd[i] {
            continue;
        }
        for &j in &edges[i] {
            let nexts: Vec<usize> = if j == n {
                vec![n]
            } else {
                starts_after(j)
                    .into_iter()
                    .filter(|&s| s < n && back[s])
                    .collect()
            };
            if nexts.is_empty() {
                continue;
            }
            usable.push((i, j));
            for s in nexts {
                fwd[s] = true;
            }
        }
    }
    usable.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    for (i, j) in usable {
        if chosen.iter().all(|&(a, b)| j <= a || i >= b) {
            chosen.push((i, j));
        }
    }
    if chosen.len() < 2 {
        return None;
    }
    chosen.sort_unstable();
    Some(
        chosen
            .into_iter()
            .map(|(i, j)| word[bounds[i]..bounds[j]].to_string())
            .collect(),
    )
}

/// Analyses `text` in `lang`, calling `f(surface, parts)` for every content word in order.
pub(crate) fn analyze(
    lang: Lang,
    text: &str,
    vocab: &Vocab,
    mut f: impl FnMut(&str, Rc<WordParts>),
) {
    if lang == Lang::Zh {
        let mut tokenizer = tantivy_jieba::JiebaTokenizer::new();
        let mut stream = tokenizer.token_stream(text);
        while stream.advance() {
            let tok = stream.token().text.to_lowercase();
            if tok.chars().all(|c| !c.is_alphanumeric()) || is_stop_word(lang, &tok) {
                continue;
            }
            // index terms are separated by spaces: a token never contains one
            let whole: String = tok
                .chars()
                .map(|c| if c.is_whitespace() { '_' } else { c })
                .collect();
            let wp = Rc::new(WordParts {
                whole,
                parts: Vec::new(),
                known: false,
            });
            f(&tok, wp);
        }
        return;
    }
    for_each_word(text, |w| {
        if is_stop_word(lang, w)
            || (w.chars().count() < 2 && !w.chars().all(|c| c.is_ascii_digit()))
        {
            return;
        }
        let wp = analyze_word(lang, w, vocab);
        f(w, wp);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("nb"), Some(Lang::No));
        assert_eq!(Lang::from_code("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("fr"), None);
    }

    #[test]
    fn detects_the_seven_languages() {
        let cases = [
            (
                "Expansion of the district heating network to new housing areas",
                "en",
            ),
            (
                "Utbyggnad av fjärrvärmenätet till nya bostadsområden i kommunen",
                "sv",
            ),
            (
                "Udbygning af fjernvarmenettet til nye boligområder i kommunen",
                "da",
            ),
            (
                "Utbygging av fjernvarmenettet til nye boligområder i kommunen",
                "no",
            ),
            (
                "Kaukolämpöverkon laajentaminen uusille asuinalueille kaupungissa",
                "fi",
            ),
            (
                "Ausbau des Fernwärmenetzes für neue Wohngebiete der Stadt",
                "de",
            ),
            ("扩大区域供热网络覆盖新的居住区", "zh"),
        ];
        for (text, code) in cases {
            assert_eq!(detect_language(text), Some(code), "{text}");
        }
        assert_eq!(detect_language("1234 -- 5678"), None);
    }

    #[test]
    fn stems_and_stop_words() {
        assert_eq!(stem(Lang::En, "pumps"), "pump");
        for lang in Lang::ALL {
            let words = stop_words(lang);
            let distinct: HashSet<&str> = words.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                words.len(),
                "{lang:?} lists a stop word twice"
            );
        }
        assert!(is_stop_word(Lang::De, "und"));
        let mut words = Vec::new();
        for_each_word("CO2-Abscheidung, Wärme/Kälte!", |w| {
            words.push(w.to_string())
        });
        assert_eq!(words, ["co2", "abscheidung", "wärme", "kälte"]);
    }

    #[test]
    fn splits_against_vocabulary_longest_first() {
        let mut vocab = Vocab::default();
        for w in [
            "kauko",
            "lämpö",
            "akku",
            "kaukolämpö",
            "lämpöakku",
            "verkko",
        ] {
            vocab.surface.insert(w.to_string());
            vocab.stems.insert(stem(Lang::Fi, w));
        }
        let parts = split_compound(Lang::Fi, "kaukolämpöakku", &vocab);
        assert_eq!(
            parts,
            Some(vec!["kaukolämpö".to_string(), "akku".to_string()])
        );
        // a known word is split into its known parts; its units stay the whole word
        let wp = analyze_word(Lang::Fi, "kaukolämpö", &vocab);
        assert!(wp.known);
        assert_eq!(
            wp.parts,
            vec![stem(Lang::Fi, "kauko"), stem(Lang::Fi, "lämpö")]
        );
        assert_eq!(wp.units(), [stem(Lang::Fi, "kaukolämpö")]);
        // words with an unknown piece are not split
        assert_eq!(split_compound(Lang::Fi, "xyzxyzverkko", &vocab), None);
    }

    #[test]
    fn finnish_inflected_forms_find_their_base() {
        let t = crate::thesaurus::thesaurus();
        let v = &t.vocab[Lang::Fi.idx()];
        // genitive and case forms whose stems differ from the base form's
        assert_eq!(v.lemma("joukkoliikenteen"), Some("joukkoliikenne"));
        assert_eq!(v.lemma("katuvalaistuksen"), Some("katuvalaistus"));
        assert_eq!(v.lemma("kuljetusten"), Some("kuljetus"));
        let wp = analyze_word(Lang::Fi, "joukkoliikenteen", v);
        assert_eq!(wp.whole, stem(Lang::Fi, "joukkoliikenne"));
        assert_eq!(v.lemma("yksityisissä"), Some("yksityinen"));
        assert_eq!(v.lemma("pyöräilyyn"), Some("pyöräily"));
        // through consonant gradation
        assert_eq!(v.lemma("kaupungin"), Some("kaupunki"));
        assert_eq!(v.lemma("lämpöpumpun"), Some("lämpöpumppu"));
        // (air conditioning, not "ilmasto", climate)
        assert_eq!(v.lemma("ilmastoinnin"), Some("ilmastointi"));
        // a compound is not a form of its first part, nor a word of another
        for word in [
            "energiaverkko",
            "rakennusvaihe",
            "rakennusala",
            "kuljetusketju",
            "julkisen",
            "valot",
            "fossiiliton",
        ] {
            assert_eq!(v.lemma(word), None, "{word}");
        }
        // a base form of the dictionary is its own base
        for word in [
            "valaistus",
            "pyörä",
            "pyörätie",
            "kaupunkitila",
            "kaukolämmitys",
        ] {
            assert_eq!(v.lemma(word), None, "{word}");
        }
        // very long words are left alone (splitting them costs more than linear time)
        assert_eq!(v.lemma(&"kaukolämpö".repeat(30)), None);
        // other languages are left to their stemmers
        assert_eq!(t.vocab[Lang::De.idx()].lemma("fernwärmenetzes"), None);
    }
}
