//! What the matcher keeps in memory: per segment, the forward records of its documents
//! (read for every candidate of every match), their lengths, its fast-field columns and a
//! hash of the terms of its decoded fields; per generation of the reader (one set of
//! segments), the words queries looked up, with their term in every segment (one look-up
//! per word and segment, not per query).
//!
//! A segment's postings of the `all` and `concepts` fields are decoded once, when the
//! segment is loaded, with their saturated frequencies, and kept strongest first per term
//! (a word's per document language; [`SegmentCache::word_postings`]): the first pass of a
//! match reads the strongest postings of every query word from a plain array, instead of
//! decoding tantivy's compressed blocks for every query.
//!
//! Segments never change once written, so a segment's entry stays valid for its life;
//! [`SegmentCaches::refresh`] runs after every reload of the reader, loads the new
//! segments, forgets the merged-away ones and starts the term memo of the new generation.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock, RwLock};

use tantivy::index::SegmentId;
use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocId, Searcher, SegmentReader, TantivyDocument, Term};

use crate::forward::Forward;
use crate::schema::Fields;
use crate::score::Columns;
use crate::thesaurus::{thesaurus, WordId};
use crate::{Error, Result};

/// Most words remembered per field and generation; beyond it the memo starts afresh.
const MAX_TERMS: usize = 200_000;

/// A word in every segment of a generation (index = segment ordinal).
pub(crate) type Infos = Arc<[Option<SegTerm>]>;

/// One posting as the first pass reads it: the document in the low 32 bits, its
/// saturated term frequency (an `f32` in 0..1) in the high ones.
#[inline]
pub(crate) fn pack(doc: DocId, sat: f32) -> u64 {
    u64::from(doc) | u64::from(sat.to_bits()) << 32
}

/// The parts of a [packed](pack) posting: (document, saturated term frequency).
#[inline]
pub(crate) fn unpack(p: u64) -> (DocId, f32) {
    (p as u32, f32::from_bits((p >> 32) as u32))
}

/// A word as a generation knows it: its document frequency over all segments and its term
/// info in each.
#[derive(Clone)]
pub(crate) struct TermEntry {
    pub(crate) df: u64,
    pub(crate) infos: Infos,
}

pub(crate) struct SegmentCache {
    /// forward records of every document, concatenated; `ends[d]` = end of doc `d`'s
    forward: Vec<u8>,
    ends: Vec<u32>,
    /// the fieldnorm id of every document's `all` field (its length)
    pub(crate) norm_ids: Vec<u8>,
    /// the fast fields the hard filters and the ranking read
    pub(crate) columns: Columns,
    /// every posting of the `all` and `concepts` fields, strongest first per term (a
    /// word's: per document language, strongest first within each)
    postings: Vec<u64>,
    /// field id -> every term of the field (the fields whose postings are decoded): a
    /// hash look-up instead of tantivy's term dictionary for a word that a generation's
    /// memo has not seen yet, and its postings without another look-up
    dictionary: FxHashMap<u32, FxHashMap<Box<[u8]>, SegTerm>>,
}

/// A term of one segment: its document frequency and where its postings are in
/// [`SegmentCache::postings`]: from `start`, the part of the documents in language `l`
/// ending at `ends[l]` (a concept's postings are not split: all of them are in the last
/// part; a term of a field whose postings are not decoded has none).
#[derive(Clone, Copy)]
pub(crate) struct SegTerm {
    pub(crate) doc_freq: u32,
    start: u32,
    ends: [u32; LANGS],
}

impl SegTerm {
    /// A term whose postings are not decoded.
    fn of(info: &TermInfo) -> SegTerm {
        SegTerm {
            doc_freq: info.doc_freq,
            start: 0,
            ends: [0; LANGS],
        }
    }
}

/// Languages of the index ([`crate::lang::Lang::idx`]).
const LANGS: usize = 7;

impl SegmentCache {
    fn load(seg: &SegmentReader, fields: &Fields) -> Result<SegmentCache> {
        let store = seg.get_store_reader(0)?;
        let mut forward = Vec::new();
        let mut ends = Vec::with_capacity(seg.max_doc() as usize);
        for doc in store.iter::<TantivyDocument>(None) {
            let doc = doc?;
            if let Some(b) = doc.get_first(fields.fwd).and_then(|v| v.as_bytes()) {
                forward.extend_from_slice(b);
            }
            ends.push(
                u32::try_from(forward.len())
                    .map_err(|_| Error::Invalid("segment too large".into()))?,
            );
        }
        if ends.len() != seg.max_doc() as usize {
            return Err(Error::Invalid(format!(
                "segment {} has {} stored documents for {}",
                seg.segment_id().short_uuid_string(),
                ends.len(),
                seg.max_doc()
            )));
        }
        let columns = Columns::open(seg)?;
        let norms = seg.get_fieldnorms_reader(fields.all)?;
        let norm_ids = (0..seg.max_doc()).map(|d| norms.fieldnorm_id(d)).collect();
        let mut cache = SegmentCache {
            forward,
            ends,
            norm_ids,
            columns,
            postings: Vec::new(),
            dictionary: FxHashMap::default(),
        };
        // A word's posting carries its BM25 saturated frequency with the default k1 and b
        // and this segment's average length: on one segment, exactly what the ranking
        // computes with the default weights. It only chooses the candidates; their scores
        // come from their forward records, with the query's numbers.
        let inv = seg.inverted_index(fields.all)?;
        let avg_len = (inv.total_num_tokens() as f32 / seg.max_doc().max(1) as f32).max(1.0);
        let defaults = crate::ranking::RankWeights::default();
        let norm = crate::plan::length_norms(defaults.b, avg_len);
        cache.load_postings(seg, fields.all, Some((&norm, defaults.k1)))?;
        cache.load_postings(seg, fields.concepts, None)?;
        Ok(cache)
    }

    /// Decodes every term's postings of `field`, [packed](unpack) and
    /// [strongest first](ByClass::strongest_first_into): a word's (`bm25` = length norms by
    /// fieldnorm id and k1) by document language, for the first pass weighs a word by the
    /// list of the document's language, then by BM25's saturated frequency; a concept's by
    /// [its saturated frequency](crate::score::concept_saturate).
    fn load_postings(
        &mut self,
        seg: &SegmentReader,
        field: Field,
        bm25: Option<(&[f32; 256], f32)>,
    ) -> Result<()> {
        let inv = seg.inverted_index(field)?;
        let mut terms = inv.terms().stream()?;
        let mut block: Option<BlockSegmentPostings> = None;
        let mut by_lang: [ByClass; LANGS] = Default::default();
        let mut dictionary: FxHashMap<Box<[u8]>, SegTerm> = FxHashMap::default();
        while terms.advance() {
            let info = terms.value();
            let postings = match &mut block {
                Some(b) => {
                    inv.reset_block_postings_from_terminfo(info, b)?;
                    b
                }
                None => block.insert(
                    inv.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?,
                ),
            };
            by_lang.iter_mut().for_each(ByClass::clear);
            loop {
                let ids = postings.docs();
                if ids.is_empty() {
                    break;
                }
                for (&d, &tf) in ids.iter().zip(postings.freqs()) {
                    let norm_id = self.norm_ids.get(d as usize).copied().ok_or_else(|| {
                        Error::Invalid(format!("posting of document {d} beyond the segment"))
                    })?;
                    // (ordered by the length-normalised frequency: a finer order than by the
                    // saturated one, which crowds the strong postings near 1)
                    let (sat, x, part) = match bm25 {
                        Some((norm, k1)) => {
                            let norm = norm[usize::from(norm_id)];
                            let x = tf as f32 * norm;
                            (
                                crate::score::saturate(k1, tf, norm),
                                x,
                                self.columns.lang(d).idx(),
                            )
                        }
                        None => (crate::score::concept_saturate(tf), tf as f32, LANGS - 1),
                    };
                    by_lang[part.min(LANGS - 1)].push(pack(d, sat), x);
                }
                postings.advance();
            }
            let too_large = |_| Error::Invalid("segment too large".into());
            let mut term = SegTerm {
                doc_freq: info.doc_freq,
                start: u32::try_from(self.postings.len()).map_err(too_large)?,
                ends: [0; LANGS],
            };
            for (by_class, end) in by_lang.iter().zip(&mut term.ends) {
                by_class.strongest_first_into(&mut self.postings);
                *end = u32::try_from(self.postings.len()).map_err(too_large)?;
            }
            dictionary.insert(terms.key().into(), term);
        }
        self.dictionary.insert(field.field_id(), dictionary);
        Ok(())
    }

    /// `text` in `field`: `None` when this cache does not hold `field`'s terms,
    /// `Some(None)` when the segment does not have the word.
    fn term(&self, field: Field, text: &str) -> Option<Option<SegTerm>> {
        let dictionary = self.dictionary.get(&field.field_id())?;
        Some(dictionary.get(text.as_bytes()).copied())
    }

    /// The postings of the concept `t` ([packed](unpack), strongest first).
    #[inline]
    pub(crate) fn postings(&self, t: &SegTerm) -> &[u64] {
        self.postings
            .get(t.start as usize..t.ends[LANGS - 1] as usize)
            .unwrap_or(&[])
    }

    /// The postings of the word `t`, split by document language: the language index and
    /// its postings ([packed](unpack), strongest first), for the languages that have some.
    #[inline]
    pub(crate) fn word_postings(&self, t: &SegTerm) -> impl Iterator<Item = (usize, &[u64])> {
        let t = *t;
        (0..LANGS).filter_map(move |l| {
            let start = if l == 0 { t.start } else { t.ends[l - 1] };
            let p = self
                .postings
                .get(start as usize..t.ends[l] as usize)
                .unwrap_or(&[]);
            (!p.is_empty()).then_some((l, p))
        })
    }

    /// Reads a byte of what the exact coverage of `doc` reads (its forward record, its
    /// length, its facts) and returns it, so that a caller can have the reads of many
    /// documents under way at once.
    pub(crate) fn touch(&self, doc: DocId) -> u8 {
        let d = doc as usize;
        let start = if d == 0 {
            0
        } else {
            self.ends.get(d - 1).copied().unwrap_or(0) as usize
        };
        let first = self.forward.get(start).copied().unwrap_or(0);
        let norm = self.norm_ids.get(d).copied().unwrap_or(0);
        first ^ norm ^ self.columns.lang(doc).idx() as u8
    }

    /// The forward record of `doc`.
    pub(crate) fn forward(&self, doc: DocId) -> Result<Forward<'_>> {
        let d = doc as usize;
        let end = *self
            .ends
            .get(d)
            .ok_or_else(|| Error::Invalid("no such document".into()))? as usize;
        let start = if d == 0 { 0 } else { self.ends[d - 1] as usize };
        Forward::decode(&self.forward[start..end])
            .ok_or_else(|| Error::Invalid("a document without a readable forward record".into()))
    }
}

/// The caches of the segments of one searcher, and the words its matches looked up.
pub(crate) struct Generation {
    /// the reader's generation it was made for (newer ones replace it)
    generation_id: u64,
    ids: Vec<SegmentId>,
    /// in segment order
    pub(crate) segments: Vec<Arc<SegmentCache>>,
    /// remembered words, per field
    terms: RwLock<FxHashMap<Field, FxHashMap<Box<str>, TermEntry>>>,
    /// the thesaurus's words in the `all` field, remembered by number ([`WordId`])
    words: Box<[OnceLock<TermEntry>]>,
    /// the `all` field (the one `words` remembers)
    all: Field,
}

impl Generation {
    fn is_of(&self, searcher: &Searcher) -> bool {
        self.ids
            .iter()
            .copied()
            .eq(searcher.segment_readers().iter().map(|s| s.segment_id()))
    }

    /// `text` in `field` (`searcher` must be this generation's): looked up in every segment
    /// the first time, remembered after.
    pub(crate) fn term(&self, searcher: &Searcher, field: Field, text: &str) -> Result<TermEntry> {
        if let Some(hit) = self
            .terms
            .read()
            .map_err(|_| Error::Poisoned)?
            .get(&field)
            .and_then(|m| m.get(text))
        {
            return Ok(hit.clone());
        }
        let entry = self.look_up(searcher, field, text)?;
        let mut terms = self.terms.write().map_err(|_| Error::Poisoned)?;
        let m = terms.entry(field).or_default();
        if m.len() >= MAX_TERMS {
            m.clear();
        }
        m.insert(text.into(), entry.clone());
        Ok(entry)
    }

    /// The thesaurus's word `id` in the `all` field (`searcher` must be this generation's):
    /// remembered by its number.
    pub(crate) fn word(&self, searcher: &Searcher, id: WordId) -> Result<&TermEntry> {
        let cell = self
            .words
            .get(id as usize)
            .ok_or_else(|| Error::Invalid(format!("no word numbered {id}")))?;
        if let Some(hit) = cell.get() {
            return Ok(hit);
        }
        let entry = self.look_up(searcher, self.all, thesaurus().words.text(id))?;
        Ok(cell.get_or_init(|| entry))
    }

    /// `text` in `field`, in every segment.
    fn look_up(&self, searcher: &Searcher, field: Field, text: &str) -> Result<TermEntry> {
        let mut df = 0u64;
        let mut infos = Vec::with_capacity(self.segments.len());
        for (seg, cache) in searcher.segment_readers().iter().zip(&self.segments) {
            let info = match cache.term(field, text) {
                Some(term) => term,
                None => seg
                    .inverted_index(field)?
                    .get_term_info(&Term::from_field_text(field, text))?
                    .as_ref()
                    .map(SegTerm::of),
            };
            df += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            infos.push(info);
        }
        Ok(TermEntry {
            df,
            infos: infos.into(),
        })
    }
}

/// Strength classes: a positive `f32`'s bits shifted right by 20 (its exponent and three
/// bits of mantissa: eight classes per doubling), from [`WEAKEST`] (strengths of 2^-16 and
/// less) up; strongest = 0.
const CLASSES: usize = 256;
/// The class of 2^-16 (a strength's bits shifted right by 20).
const WEAKEST: u32 = (127 - 16) << 3;

/// Postings gathered in document order with their strength, to be ordered
/// [strongest first](ByClass::strongest_first_into).
#[derive(Default)]
struct ByClass {
    postings: Vec<u64>,
    classes: Vec<u16>,
}

impl ByClass {
    fn clear(&mut self) {
        self.postings.clear();
        self.classes.clear();
    }

    #[inline]
    fn push(&mut self, posting: u64, strength: f32) {
        let class = (strength.max(0.0).to_bits() >> 20)
            .saturating_sub(WEAKEST)
            .min(CLASSES as u32 - 1);
        self.postings.push(posting);
        self.classes.push((CLASSES - 1) as u16 - class as u16);
    }

    /// Appends the postings to `out` by strength class, strongest first, in document order
    /// within a class (a counting sort: linear in the postings).
    fn strongest_first_into(&self, out: &mut Vec<u64>) {
        let (postings, classes) = (&self.postings, &self.classes);
        if postings.len() <= 64 {
            let mut both: Vec<(u16, u64)> = classes
                .iter()
                .copied()
                .zip(postings.iter().copied())
                .collect();
            both.sort_by_key(|b| b.0);
            out.extend(both.into_iter().map(|b| b.1));
            return;
        }
        let mut start = [0u32; CLASSES + 1];
        for &c in classes {
            start[usize::from(c) + 1] += 1;
        }
        for c in 1..=CLASSES {
            start[c] += start[c - 1];
        }
        let base = out.len();
        out.resize(base + postings.len(), 0);
        let out = &mut out[base..];
        for (&p, &c) in postings.iter().zip(classes) {
            let at = &mut start[usize::from(c)];
            out[*at as usize] = p;
            *at += 1;
        }
    }
}

/// The caches of the segments of the current searcher.
#[derive(Default)]
pub(crate) struct SegmentCaches {
    by_segment: RwLock<HashMap<SegmentId, Arc<SegmentCache>>>,
    /// the generation last asked for
    current: RwLock<Option<Arc<Generation>>>,
}

impl SegmentCaches {
    /// Loads the segments of `searcher` that are new, drops those no longer in it and
    /// makes it the current generation.
    pub(crate) fn refresh(&self, searcher: &Searcher, fields: &Fields) -> Result<()> {
        let current: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        let missing: Vec<&SegmentReader> = {
            let map = self.by_segment.read().map_err(|_| Error::Poisoned)?;
            searcher
                .segment_readers()
                .iter()
                .filter(|s| !map.contains_key(&s.segment_id()))
                .collect()
        };
        // new segments load side by side, one per core (a bulk load brings one segment per
        // indexing thread)
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut loaded: Vec<(SegmentId, Arc<SegmentCache>)> = Vec::with_capacity(missing.len());
        for group in missing.chunks(cores) {
            std::thread::scope(|scope| -> Result<()> {
                let loads: Vec<_> = group
                    .iter()
                    .map(|seg| scope.spawn(move || SegmentCache::load(seg, fields)))
                    .collect();
                for (seg, load) in group.iter().zip(loads) {
                    let cache = load
                        .join()
                        .map_err(|_| Error::Invalid("loading a segment panicked".into()))??;
                    loaded.push((seg.segment_id(), Arc::new(cache)));
                }
                Ok(())
            })?;
        }
        {
            let mut map = self.by_segment.write().map_err(|_| Error::Poisoned)?;
            map.retain(|id, _| current.contains(id));
            map.extend(loaded);
        }
        self.for_searcher(searcher, fields)?;
        Ok(())
    }

    /// The generation of `searcher` (loading any missing segment).
    pub(crate) fn for_searcher(
        &self,
        searcher: &Searcher,
        fields: &Fields,
    ) -> Result<Arc<Generation>> {
        if let Some(g) = &*self.current.read().map_err(|_| Error::Poisoned)? {
            if g.is_of(searcher) {
                return Ok(g.clone());
            }
        }
        // a searcher newer than the last refresh, or an older one still in use (which does
        // not replace the current generation)
        let mut segments = Vec::new();
        for seg in searcher.segment_readers() {
            let hit = self
                .by_segment
                .read()
                .map_err(|_| Error::Poisoned)?
                .get(&seg.segment_id())
                .cloned();
            segments.push(match hit {
                Some(c) => c,
                None => {
                    let c = Arc::new(SegmentCache::load(seg, fields)?);
                    self.by_segment
                        .write()
                        .map_err(|_| Error::Poisoned)?
                        .insert(seg.segment_id(), c.clone());
                    c
                }
            });
        }
        let g = Arc::new(Generation {
            generation_id: searcher.generation().generation_id(),
            ids: searcher
                .segment_readers()
                .iter()
                .map(|s| s.segment_id())
                .collect(),
            segments,
            terms: RwLock::default(),
            words: (0..thesaurus().words.len())
                .map(|_| OnceLock::new())
                .collect(),
            all: fields.all,
        });
        let mut current = self.current.write().map_err(|_| Error::Poisoned)?;
        if current
            .as_ref()
            .is_none_or(|c| c.generation_id <= g.generation_id)
        {
            *current = Some(g.clone());
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::{pack, unpack, ByClass};

    #[test]
    fn postings_are_ordered_strongest_first_then_by_document() {
        let mut by_class = ByClass::default();
        // (doc, strength); more than 64 postings take the counting sort
        let strengths: Vec<(u32, f32)> = (0..200u32)
            .map(|d| (d, [0.5, 3.0, 0.01, 1e-9, 1.0][(d % 5) as usize]))
            .collect();
        for &(d, x) in &strengths {
            by_class.push(pack(d, x / 4.0), x);
        }
        let mut out = vec![42];
        by_class.strongest_first_into(&mut out);
        assert_eq!(out[0], 42, "appends");
        let got: Vec<(u32, f32)> = out[1..].iter().map(|&p| unpack(p)).collect();
        let mut want = strengths.clone();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let want: Vec<(u32, f32)> = want.iter().map(|&(d, x)| (d, x / 4.0)).collect();
        assert_eq!(got, want);

        // a short list, sorted the other way, gives the same order
        let mut short = ByClass::default();
        for &(d, x) in strengths.iter().take(20) {
            short.push(pack(d, 1.0), x);
        }
        let mut out = Vec::new();
        short.strongest_first_into(&mut out);
        let docs: Vec<u32> = out.iter().map(|&p| unpack(p).0).collect();
        let mut want: Vec<(u32, f32)> = strengths.iter().take(20).copied().collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(docs, want.iter().map(|w| w.0).collect::<Vec<_>>());
    }
}
