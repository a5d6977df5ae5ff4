//! Scoring a [`Plan`] against the index: candidates from the postings, complete coverage
//! from their forward records.
//!
//! 1. **First pass** (term at a time): the postings of the plan's most telling words
//!    ([`Word::first_pass`](crate::plan::Word)) and of its concepts are read block by block,
//!    accumulating each document's partial coverage in a dense per-segment array.
//! 2. **Candidates**: the documents with the best partial scores that pass the hard filters
//!    (fast fields, read only for the documents that could be candidates).
//! 3. **Forward records**: every candidate's stored record gives the frequency of *every*
//!    query word (also the common ones the first pass skipped), where it occurs (title or
//!    text), and its concepts: its exact coverage, and the explanation of the same numbers.

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::postings::BlockSegmentPostings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Searcher, SegmentReader};

use crate::cache::{DocNorm, SegmentCache};
use crate::index::MatchIndex;
use crate::lang::Lang;
use crate::plan::Plan;
use crate::ranking::RankWeights;
use crate::Result;

/// Concept frequency saturation: tf / (tf + K_CONCEPT).
pub(crate) const K_CONCEPT: f32 = 0.5;

/// The hard filters, as fast-field conditions.
pub(crate) struct Filter {
    /// Required `class` (kind and matchable state).
    pub(crate) class: u64,
    /// Allowed `trl` range (inclusive).
    pub(crate) trl: (u64, u64),
    /// When set, one of the document's `served` codes must be in the list.
    pub(crate) served: Option<Vec<u64>>,
}

/// What the ranking reads of one document.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocFacts {
    pub(crate) lang: Lang,
    pub(crate) sector_mask: u64,
    pub(crate) trl: u64,
    pub(crate) updated_at: i64,
}

/// A document that passed the filters, with its coverages and what matched.
pub(crate) struct Candidate {
    pub(crate) id: String,
    /// Text coverage of its language's list, 0..=1.
    pub(crate) text: f32,
    /// Concept coverage, 0..=1.
    pub(crate) concepts: f32,
    pub(crate) facts: DocFacts,
    /// The document's `served` codes (country fit).
    pub(crate) served: Vec<u64>,
    /// (position in its language's list, contribution, tf in the title, tf in all text)
    pub(crate) words: Vec<(u32, f32, u32, u32)>,
    /// (index into `plan.concepts`, contribution)
    pub(crate) concept_hits: Vec<(usize, f32)>,
}

#[derive(Default)]
struct Scratch {
    /// partial score per document of the segment (0 = not touched)
    acc: Vec<f32>,
    touched: Vec<DocId>,
    /// [`rank_key`]s of the touched documents
    keys: Vec<u64>,
    block: Option<BlockSegmentPostings>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The fast fields of one segment that the hard filters and the ranking read.
pub(crate) struct Columns {
    class: Column<u64>,
    pub(crate) lang: Column<u64>,
    sector_mask: Column<u64>,
    trl: Column<u64>,
    served: Column<u64>,
    updated_at: Column<i64>,
}

impl Columns {
    pub(crate) fn open(seg: &SegmentReader) -> Result<Columns> {
        let ff = seg.fast_fields();
        Ok(Columns {
            class: ff.u64("class")?,
            lang: ff.u64("lang")?,
            sector_mask: ff.u64("sector_mask")?,
            trl: ff.u64("trl")?,
            served: ff.u64("served")?,
            updated_at: ff.i64("updated_at")?,
        })
    }

    #[inline]
    fn passes(&self, f: &Filter, doc: DocId) -> bool {
        if self.class.first(doc) != Some(f.class) {
            return false;
        }
        let trl = self.trl.first(doc).unwrap_or(0);
        if trl < f.trl.0 || trl > f.trl.1 {
            return false;
        }
        match &f.served {
            Some(allowed) => self
                .served
                .values_for_doc(doc)
                .any(|c| allowed.contains(&c)),
            None => true,
        }
    }

    fn facts(&self, doc: DocId) -> DocFacts {
        DocFacts {
            lang: self
                .lang
                .first(doc)
                .and_then(Lang::from_idx)
                .unwrap_or(Lang::En),
            sector_mask: self.sector_mask.first(doc).unwrap_or(0),
            trl: self.trl.first(doc).unwrap_or(0),
            updated_at: self.updated_at.first(doc).unwrap_or(0),
        }
    }
}

/// Calls `f(docs, tfs)` for every block of postings of a term in one segment.
#[inline]
fn for_each_block(
    seg: &SegmentReader,
    field: tantivy::schema::Field,
    info: &tantivy::postings::TermInfo,
    block: &mut Option<BlockSegmentPostings>,
    mut f: impl FnMut(&[DocId], &[u32]),
) -> Result<()> {
    let inv = seg.inverted_index(field)?;
    let postings = match block {
        Some(b) => {
            inv.reset_block_postings_from_terminfo(info, b)?;
            b
        }
        None => {
            block.insert(inv.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?)
        }
    };
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            break;
        }
        f(docs, postings.freqs());
        postings.advance();
    }
    Ok(())
}

/// The text points of one block of a word's postings, added to the accumulator: `shares`
/// by language index (0 = the word is not in that language's list), `norm` by fieldnorm id.
/// (A function of its own, so that the hot loop keeps its state in registers.)
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn add_word_block(
    acc: &mut [f32],
    touched: &mut Vec<DocId>,
    docs: &[DocNorm],
    ids: &[DocId],
    tfs: &[u32],
    shares: &[f32; 8],
    norm: &[f32; 256],
    k1: f32,
) {
    let docs = &docs[..acc.len()];
    for (&d, &tf) in ids.iter().zip(tfs) {
        let d = d as usize;
        let doc = docs[d];
        let share = shares[usize::from(doc.lang & 7)];
        if share > 0.0 {
            let a = &mut acc[d];
            if *a == 0.0 {
                touched.push(d as DocId);
            }
            *a += share * saturate(k1, tf, norm[usize::from(doc.norm_id)]);
        }
    }
}

/// BM25's saturated term frequency: `tf~ / (k1 + tf~)`, `tf~ = tf * norm`.
#[inline]
fn saturate(k1: f32, tf: u32, norm: f32) -> f32 {
    let x = tf as f32 * norm;
    x / (k1 + x)
}

/// A partial score and a document as one number that orders by score, then by document
/// (lower first); partial scores are positive, so their bits order as they do.
#[inline]
fn rank_key(p: f32, d: DocId) -> u64 {
    (u64::from(p.max(0.0).to_bits()) << 32) | u64::from(u32::MAX - d)
}

#[inline]
fn from_rank_key(key: u64) -> (f32, DocId) {
    (f32::from_bits((key >> 32) as u32), u32::MAX - key as u32)
}

/// The `k` best candidates that pass `filter`, with their exact coverages.
pub(crate) fn candidates(
    index: &MatchIndex,
    w: &RankWeights,
    searcher: &Searcher,
    segments: &[Arc<SegmentCache>],
    plan: &Plan,
    filter: &Filter,
    k: usize,
) -> Result<Vec<Candidate>> {
    let fields = &index.fields;
    // (partial score, segment, doc), over all segments
    let mut chosen: Vec<(f32, u32, DocId)> = Vec::new();
    SCRATCH.with(|scratch| -> Result<()> {
        let mut guard = scratch.borrow_mut();
        let s = &mut *guard;
        let result = (|| -> Result<()> {
            for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
                // The accumulator is all zeros between queries (only the touched entries are
                // reset after use), so a query costs what it reads, not the segment's size.
                let max_doc = seg.max_doc() as usize;
                if s.acc.len() < max_doc {
                    s.acc.resize(max_doc, 0.0);
                }
                s.touched.clear();
                let cache = segments
                    .get(seg_ord)
                    .ok_or_else(|| crate::Error::Invalid("no such segment".into()))?;
                let acc = &mut s.acc[..max_doc];
                let docs = &cache.docs[..max_doc];
                let touched = &mut s.touched;
                // 1. first pass: partial score = text points + concept points
                for word in plan.words.iter().filter(|w| w.first_pass) {
                    let Some(info) = &word.infos[seg_ord] else {
                        continue;
                    };
                    // by language index (0..=6; the eighth entry keeps the lookup in bounds)
                    let mut shares = [0f32; 8];
                    for (x, share) in shares.iter_mut().zip(word.share) {
                        *x = share * w.text;
                    }
                    let (k1, norm) = (w.k1, &plan.norm);
                    for_each_block(seg, fields.all, info, &mut s.block, |ids, tfs| {
                        add_word_block(acc, touched, docs, ids, tfs, &shares, norm, k1);
                    })?;
                }
                if plan.concept_total > 0.0 {
                    for c in plan.concepts.iter().filter(|c| c.first_pass) {
                        let Some(info) = &c.infos[seg_ord] else {
                            continue;
                        };
                        let share = w.concepts * c.weight / plan.concept_total;
                        for_each_block(seg, fields.concepts, info, &mut s.block, |ids, tfs| {
                            for (&d, &tf) in ids.iter().zip(tfs) {
                                let a = &mut acc[d as usize];
                                if *a == 0.0 {
                                    touched.push(d);
                                }
                                let tf = tf as f32;
                                *a += share * tf / (tf + K_CONCEPT);
                            }
                        })?;
                    }
                }
                // 2. candidates: best partial scores first, filters only for those. A heap
                // (built in linear time) gives them in order, as many as the filters need.
                let mut heap = BinaryHeap::from({
                    let mut keys = std::mem::take(&mut s.keys);
                    keys.clear();
                    keys.extend(
                        s.touched
                            .iter()
                            .map(|&d| rank_key(std::mem::take(&mut s.acc[d as usize]), d)),
                    );
                    keys
                });
                let alive = seg.alive_bitset();
                let mut taken = 0;
                while taken < k {
                    let Some(key) = heap.pop() else { break };
                    let (p, d) = from_rank_key(key);
                    if alive.is_some_and(|a| a.is_deleted(d)) || !cache.columns.passes(filter, d) {
                        continue;
                    }
                    chosen.push((p, seg_ord as u32, d));
                    taken += 1;
                }
                s.keys = heap.into_vec();
            }
            Ok(())
        })();
        if result.is_err() {
            // a failed pass may leave partial scores behind: start from zeros next time
            s.acc.clear();
        }
        result
    })?;
    // across segments, the best k partial scores
    chosen.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    chosen.truncate(k);
    chosen.sort_unstable_by_key(|c| (c.1, c.2));
    // 3. complete coverage from the forward records
    let mut out = Vec::with_capacity(chosen.len());
    // (a candidate's words are gathered here, then copied at their exact size)
    let mut words = Vec::new();
    for (_, seg_ord, d) in chosen {
        let cache = segments
            .get(seg_ord as usize)
            .ok_or_else(|| crate::Error::Invalid("no such segment".into()))?;
        let fwd = cache.forward(d)?;
        let c = &cache.columns;
        let facts = c.facts(d);
        let norm = plan.norm[usize::from(cache.docs[d as usize].norm_id)];
        let l = facts.lang.idx();
        let mut text = 0.0;
        words.clear();
        for (h, all_tf, title_tf) in fwd.words() {
            let Some(&k) = plan.by_hash.get(&h) else {
                continue;
            };
            let word = &plan.words[k];
            if word.share[l] > 0.0 && all_tf > 0 {
                let contribution = word.share[l] * saturate(w.k1, all_tf, norm);
                text += contribution;
                words.push((word.listed[l], contribution, title_tf, all_tf));
            }
        }
        let mut concepts = 0.0;
        let mut concept_hits = Vec::new();
        if plan.concept_total > 0.0 {
            for (h, tf) in fwd.concepts() {
                let Some(&k) = plan.concept_by_hash.get(&h) else {
                    continue;
                };
                let tf = tf as f32;
                let s = plan.concepts[k].weight * tf / (tf + K_CONCEPT);
                concepts += s / plan.concept_total;
                concept_hits.push((k, s));
            }
        }
        out.push(Candidate {
            id: fwd.id.to_string(),
            text: text.min(1.0),
            concepts: concepts.min(1.0),
            facts,
            served: c.served.values_for_doc(d).collect(),
            words: words.clone(),
            concept_hits,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{from_rank_key, rank_key};

    #[test]
    fn rank_keys_order_by_score_then_lower_document() {
        let mut keys = vec![
            rank_key(0.5, 7),
            rank_key(2.0, 9),
            rank_key(0.5, 3),
            rank_key(1e-6, 0),
            rank_key(2.0, 1),
        ];
        keys.sort_unstable_by(|a, b| b.cmp(a));
        let order: Vec<(f32, u32)> = keys.into_iter().map(from_rank_key).collect();
        assert_eq!(
            order,
            vec![(2.0, 1), (2.0, 9), (0.5, 3), (0.5, 7), (1e-6, 0)]
        );
    }
}
