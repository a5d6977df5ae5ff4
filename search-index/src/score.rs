//! Scoring a [`Plan`] against the index: candidates from the postings, complete coverage
//! from their forward records.
//!
//! 1. **First pass** (term at a time): the strongest postings of every word and concept of
//!    the plan are read from the segment's decoded postings (kept strongest first per term,
//!    see [`crate::cache`]), accumulating each document's partial coverage in a dense
//!    per-segment array. A word has a list per document language (its share of that
//!    language's list differs); a posting carries its saturated term frequency, decoded
//!    at segment load, and brings its list's points times it. On a large index, only the
//!    postings that can bring at least a threshold are read, the threshold chosen so that
//!    about [`RankWeights::first_pass_postings`] postings are read in all; a small index is
//!    read whole. The pass then reads on, down to [`RankWeights::first_pass_refine`] of the
//!    threshold, for the documents it found only.
//! 2. **Candidates**: the documents with the best partial scores that pass the hard filters
//!    (decoded from the fast fields at segment load, checked only for the documents that
//!    could be candidates).
//! 3. **Forward records**: every candidate's stored record gives the frequency of *every*
//!    query word (also the weak postings the first pass skipped), where it occurs (title or
//!    text), and its concepts: its exact coverage, and the explanation of the same numbers.

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::ops::Range;

use rustc_hash::FxHashMap;
use tantivy::columnar::Column;
use tantivy::{DocId, Searcher, SegmentReader};

use crate::cache::{unpack, Generation, SegmentCache};
use crate::lang::Lang;
use crate::plan::Plan;
use crate::ranking::RankWeights;
use crate::Result;

/// Concept frequency saturation: tf / (tf + K_CONCEPT).
const K_CONCEPT: f32 = 0.5;

/// A concept's saturated frequency: `tf / (tf + K_CONCEPT)`.
#[inline]
pub(crate) fn concept_saturate(tf: u32) -> f32 {
    let tf = tf as f32;
    tf / (tf + K_CONCEPT)
}

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

/// A document that passed the filters, with its coverages. What matched is in the
/// [`Candidates`]' shared lists, at the ranges it names.
pub(crate) struct Candidate<'g> {
    pub(crate) id: &'g str,
    /// Text coverage of its language's list, 0..=1.
    pub(crate) text: f32,
    /// Concept coverage, 0..=1.
    pub(crate) concepts: f32,
    pub(crate) facts: DocFacts,
    /// its `served` codes (country fit), in [`Candidates::served`]
    pub(crate) served: Range<usize>,
    /// its words, in [`Candidates::words`]
    pub(crate) words: Range<usize>,
    /// its concepts, in [`Candidates::concept_hits`]
    pub(crate) concept_hits: Range<usize>,
}

/// The candidates of a match, with what matched of each in shared lists (a few allocations
/// per match, not a few per candidate).
#[derive(Default)]
pub(crate) struct Candidates<'g> {
    pub(crate) list: Vec<Candidate<'g>>,
    pub(crate) served: Vec<u64>,
    /// (position in its language's list, contribution, tf in the title, tf in all text)
    pub(crate) words: Vec<(u32, f32, u32, u32)>,
    /// (index into `plan.concepts`, contribution)
    pub(crate) concept_hits: Vec<(usize, f32)>,
}

/// The buffers of a match, kept per thread. The accumulator is all zeros between passes
/// (only the touched entries are reset after use), so a pass costs what it reads, not the
/// segment's size.
#[derive(Default)]
struct Scratch {
    /// partial score per document of the segment (0 = not touched)
    acc: Vec<f32>,
    touched: Vec<DocId>,
    /// [`rank_key`]s of touched documents
    keys: Vec<u64>,
    /// see [`threshold`] and [`cutoff`]
    samples: Vec<f32>,
}

impl Scratch {
    /// The first pass over one segment (step 1): partial score = text points + concept
    /// points, from the strongest postings of every word and concept, about `budget`
    /// postings in all.
    fn first_pass(
        &mut self,
        w: &RankWeights,
        plan: &Plan,
        cache: &SegmentCache,
        seg_ord: usize,
        max_doc: usize,
        budget: usize,
    ) {
        if self.acc.len() < max_doc {
            self.acc.resize(max_doc, 0.0);
        }
        self.touched.clear();
        // Each list: its postings in this segment (strongest first) and the points of a
        // saturated frequency of 1. A word has a list per document language: its share
        // differs by language (and is 0 in the languages whose list it is not in).
        let mut lists: Vec<(&[u64], f32)> =
            Vec::with_capacity(plan.words.len() * 2 + plan.concepts.len());
        for word in &plan.words {
            if let Some(term) = &word.infos[seg_ord] {
                for (l, p) in cache.word_postings(term) {
                    let top = w.text * word.share[l];
                    if top > 0.0 {
                        lists.push((p, top));
                    }
                }
            }
        }
        if plan.concept_total > 0.0 {
            for c in &plan.concepts {
                if let Some(term) = &c.infos[seg_ord] {
                    let p = cache.postings(term);
                    let top = w.concepts * c.weight / plan.concept_total;
                    if top > 0.0 {
                        lists.push((p, top));
                    }
                }
            }
        }
        let tau = threshold(&lists, budget, &mut self.samples);
        let acc = &mut self.acc[..max_doc];
        for (postings, top) in &mut lists {
            // the weakest saturated frequency read: its posting brings `tau`
            let read = add_postings(acc, &mut self.touched, postings, *top, tau / *top);
            // (what is left of the list)
            *postings = &postings[read..];
        }
        // then down to a fraction of it, for the documents found (by any list)
        let refine = tau * w.first_pass_refine.clamp(0.0, 1.0);
        if refine < tau {
            for &(postings, top) in &lists {
                refine_postings(acc, postings, top, refine / top);
            }
        }
    }

    /// The candidates (step 2): the touched documents, best partial score first, offered
    /// to `take` (which says whether it took the document: the filters) until it took `k`;
    /// resets the accumulator. A heap (built in linear time) gives them in order: first
    /// of the few best (about 4k, above a cutoff estimated from a sample), then, only if
    /// `take` refused too many of them, of the rest.
    fn select(&mut self, k: usize, mut take: impl FnMut(f32, DocId) -> bool) {
        let cutoff = cutoff(&self.acc, &self.touched, 4 * k, &mut self.samples);
        let mut taken = 0;
        for above in [true, false] {
            if taken == k || (!above && cutoff == 0.0) {
                break;
            }
            let mut keys = std::mem::take(&mut self.keys);
            keys.clear();
            keys.extend(self.touched.iter().filter_map(|&d| {
                let p = self.acc[d as usize];
                ((p >= cutoff) == above).then(|| rank_key(p, d))
            }));
            let mut heap = BinaryHeap::from(keys);
            while taken < k {
                let Some(key) = heap.pop() else { break };
                let (p, d) = from_rank_key(key);
                if take(p, d) {
                    taken += 1;
                }
            }
            self.keys = heap.into_vec();
        }
        for &d in &self.touched {
            self.acc[d as usize] = 0.0;
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// What the hard filters read of a document, decoded from the fast fields at load.
#[derive(Clone, Copy)]
struct DocFilter {
    /// the bits ([`Columns::served_bits`]) of its `served` codes
    served: u64,
    /// `class` (u8::MAX = none)
    class: u8,
    trl: u8,
}

/// Bit of [`DocFilter::served`] for a code beyond the segment's first 63 distinct ones.
const OTHER_CODES: u64 = 1 << 63;

/// A filter's allowed `served` codes as the bits of one segment.
pub(crate) struct ServedMask {
    bits: u64,
    /// some allowed code has no bit of its own in the segment
    others: bool,
}

/// The fast fields of one segment that the hard filters and the ranking read: decoded once
/// at load into plain arrays (a fast-field read per candidate cost more than the rest of
/// its filtering), with the `served` column kept for codes beyond 63 per segment.
pub(crate) struct Columns {
    served: Column<u64>,
    /// `served` code -> its bit in [`DocFilter::served`] (the first 63 distinct codes)
    served_bits: FxHashMap<u64, u32>,
    /// bit -> `served` code (the other way)
    served_codes: Vec<u64>,
    filters: Vec<DocFilter>,
    facts: Vec<DocFacts>,
}

impl Columns {
    pub(crate) fn open(seg: &SegmentReader) -> Result<Columns> {
        let ff = seg.fast_fields();
        let class = ff.u64("class")?;
        let lang = ff.u64("lang")?;
        let sector_mask = ff.u64("sector_mask")?;
        let trl = ff.u64("trl")?;
        let served = ff.u64("served")?;
        let updated_at = ff.i64("updated_at")?;
        let mut served_bits: FxHashMap<u64, u32> = FxHashMap::default();
        let mut served_codes: Vec<u64> = Vec::new();
        let max_doc = seg.max_doc();
        let mut filters = Vec::with_capacity(max_doc as usize);
        let mut facts = Vec::with_capacity(max_doc as usize);
        for doc in 0..max_doc {
            let mut mask = 0u64;
            for code in served.values_for_doc(doc) {
                let next = served_bits.len() as u32;
                mask |= match served_bits.get(&code) {
                    Some(&bit) => 1 << bit,
                    None if next < 63 => {
                        served_bits.insert(code, next);
                        served_codes.push(code);
                        1 << next
                    }
                    None => OTHER_CODES,
                };
            }
            let doc_trl = trl.first(doc).unwrap_or(0);
            filters.push(DocFilter {
                served: mask,
                class: class
                    .first(doc)
                    .and_then(|c| u8::try_from(c).ok())
                    .unwrap_or(u8::MAX),
                trl: u8::try_from(doc_trl).unwrap_or(u8::MAX),
            });
            facts.push(DocFacts {
                lang: lang.first(doc).and_then(Lang::from_idx).unwrap_or(Lang::En),
                sector_mask: sector_mask.first(doc).unwrap_or(0),
                trl: doc_trl,
                updated_at: updated_at.first(doc).unwrap_or(0),
            });
        }
        Ok(Columns {
            served,
            served_bits,
            served_codes,
            filters,
            facts,
        })
    }

    /// `filter`'s allowed `served` codes as this segment's bits.
    pub(crate) fn served_mask(&self, filter: &Filter) -> ServedMask {
        let mut mask = ServedMask {
            bits: 0,
            others: false,
        };
        for code in filter.served.iter().flatten() {
            match self.served_bits.get(code) {
                Some(&bit) => mask.bits |= 1 << bit,
                None => mask.others = true,
            }
        }
        mask
    }

    #[inline]
    fn passes(&self, f: &Filter, served: &ServedMask, doc: DocId) -> bool {
        let Some(d) = self.filters.get(doc as usize) else {
            return false;
        };
        if u64::from(d.class) != f.class {
            return false;
        }
        let trl = u64::from(d.trl);
        if trl < f.trl.0 || trl > f.trl.1 {
            return false;
        }
        match &f.served {
            Some(allowed) => {
                d.served & served.bits != 0
                    || (d.served & OTHER_CODES != 0
                        && served.others
                        && self
                            .served
                            .values_for_doc(doc)
                            .any(|c| allowed.contains(&c)))
            }
            None => true,
        }
    }

    /// Appends the `served` codes of `doc` to `out`: from its bits, or from the column when
    /// it has a code beyond the segment's first 63 (then in the column's order; else by
    /// bit: the users only ask whether a code is there, or take a challenge's one code).
    fn served_codes(&self, doc: DocId, out: &mut Vec<u64>) {
        let bits = self
            .filters
            .get(doc as usize)
            .map_or(OTHER_CODES, |f| f.served);
        if bits & OTHER_CODES != 0 {
            out.extend(self.served.values_for_doc(doc));
            return;
        }
        let mut rest = bits;
        while rest != 0 {
            let bit = rest.trailing_zeros() as usize;
            out.extend(self.served_codes.get(bit));
            rest &= rest - 1;
        }
    }

    /// The language of `doc` (English when unknown).
    pub(crate) fn lang(&self, doc: DocId) -> Lang {
        self.facts.get(doc as usize).map_or(Lang::En, |f| f.lang)
    }

    fn facts(&self, doc: DocId) -> DocFacts {
        self.facts.get(doc as usize).copied().unwrap_or(DocFacts {
            lang: Lang::En,
            sector_mask: 0,
            trl: 0,
            updated_at: 0,
        })
    }
}

/// The points of a list's postings ([packed](crate::cache::unpack), strongest first) that
/// bring at least `top * min_sat`, added to the accumulator: `top` (a word's share of the
/// list of the documents' language, or a concept's weight, in points) times the posting's
/// saturated frequency. Returns how many it read. (A function of its own, so that the hot
/// loop keeps its state in registers.)
#[inline(never)]
fn add_postings(
    acc: &mut [f32],
    touched: &mut Vec<DocId>,
    postings: &[u64],
    top: f32,
    min_sat: f32,
) -> usize {
    let mut read = 0;
    for &p in postings {
        let (d, sat) = unpack(p);
        if sat < min_sat {
            break;
        }
        read += 1;
        let a = &mut acc[d as usize];
        if *a == 0.0 {
            touched.push(d);
        }
        *a += top * sat;
    }
    read
}

/// As [`add_postings`], for the documents already touched only.
#[inline(never)]
fn refine_postings(acc: &mut [f32], postings: &[u64], top: f32, min_sat: f32) {
    for &p in postings {
        let (d, sat) = unpack(p);
        if sat < min_sat {
            break;
        }
        let a = &mut acc[d as usize];
        if *a != 0.0 {
            *a += top * sat;
        }
    }
}

/// Samples taken to find the first pass's threshold.
const SAMPLES: usize = 512;

/// The fewest points a posting must be able to bring to be read, so that about `budget`
/// postings are read in all: 0 (all of them) when the lists hold no more. Estimated from
/// every `stride`-th posting of each list (postings, points of a saturated frequency of 1),
/// each standing for the `stride` postings up to it (the lists are strongest first).
fn threshold(lists: &[(&[u64], f32)], budget: usize, samples: &mut Vec<f32>) -> f32 {
    let total: usize = lists.iter().map(|l| l.0.len()).sum();
    if total <= budget {
        return 0.0;
    }
    let stride = total.div_ceil(SAMPLES);
    samples.clear();
    for (postings, top) in lists {
        samples.extend(
            postings
                .iter()
                .skip(stride - 1)
                .step_by(stride)
                .map(|&p| top * unpack(p).1),
        );
    }
    let r = (budget / stride).max(1);
    if r >= samples.len() {
        return 0.0;
    }
    let (_, &mut tau, _) = samples.select_nth_unstable_by(r - 1, |a, b| b.total_cmp(a));
    tau
}

/// A partial score that about `want` of the `touched` documents reach: 0 (all of them) when
/// there are not many more; else estimated from a sample of their scores in `acc`.
fn cutoff(acc: &[f32], touched: &[DocId], want: usize, samples: &mut Vec<f32>) -> f32 {
    const SAMPLED: usize = 256;
    if touched.len() <= 4 * want || touched.len() < SAMPLED {
        return 0.0;
    }
    let stride = touched.len() / SAMPLED;
    samples.clear();
    samples.extend(
        touched
            .iter()
            .step_by(stride)
            .map(|&d| acc.get(d as usize).copied().unwrap_or(0.0)),
    );
    // the sample's rank of the `want`-th best, rounded up (a few more rather than fewer)
    let r = (want / stride + 1).min(samples.len());
    let (_, &mut p, _) = samples.select_nth_unstable_by(r - 1, |a, b| b.total_cmp(a));
    p
}

/// BM25's saturated term frequency: `tf~ / (k1 + tf~)`, `tf~ = tf * norm`.
#[inline]
pub(crate) fn saturate(k1: f32, tf: u32, norm: f32) -> f32 {
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
pub(crate) fn candidates<'g>(
    w: &RankWeights,
    searcher: &Searcher,
    generation: &'g Generation,
    plan: &Plan,
    filter: &Filter,
    k: usize,
) -> Result<Candidates<'g>> {
    let segments = &generation.segments;
    let all_docs = searcher
        .segment_readers()
        .iter()
        .map(|s| f64::from(s.max_doc()))
        .sum::<f64>()
        .max(1.0);
    // (partial score, segment, doc), over all segments
    let mut chosen: Vec<(f32, u32, DocId)> = Vec::new();
    SCRATCH.with(|scratch| -> Result<()> {
        let mut guard = scratch.borrow_mut();
        let s = &mut *guard;
        let result = (|| -> Result<()> {
            for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
                let cache = segments
                    .get(seg_ord)
                    .ok_or_else(|| crate::Error::Invalid("no such segment".into()))?;
                let max_doc = seg.max_doc() as usize;
                let budget = if w.first_pass_postings == u64::MAX {
                    usize::MAX
                } else {
                    (w.first_pass_postings as f64 * max_doc as f64 / all_docs) as usize
                };
                s.first_pass(w, plan, cache, seg_ord, max_doc, budget);
                let served = cache.columns.served_mask(filter);
                let alive = seg.alive_bitset();
                s.select(k, |p, d| {
                    if alive.is_some_and(|a| a.is_deleted(d))
                        || !cache.columns.passes(filter, &served, d)
                    {
                        return false;
                    }
                    chosen.push((p, seg_ord as u32, d));
                    true
                });
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
    if chosen.len() > k {
        chosen.select_nth_unstable_by(k - 1, |a, b| {
            b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2)))
        });
        chosen.truncate(k);
    }
    chosen.sort_unstable_by_key(|c| (c.1, c.2));
    // 3. complete coverage from the forward records. (A byte of what each candidate's
    // coverage reads is read first, for all of them: the reads from memory overlap instead
    // of waiting one after another; at 100,000 solutions, about 10% more matches/s.)
    let mut warm = 0u8;
    for &(_, seg_ord, d) in &chosen {
        if let Some(cache) = segments.get(seg_ord as usize) {
            warm ^= cache.touch(d);
        }
    }
    std::hint::black_box(warm);
    let mut out = Candidates {
        list: Vec::with_capacity(chosen.len()),
        ..Candidates::default()
    };
    for (_, seg_ord, d) in chosen {
        let cache = segments
            .get(seg_ord as usize)
            .ok_or_else(|| crate::Error::Invalid("no such segment".into()))?;
        let fwd = cache.forward(d)?;
        let c = &cache.columns;
        let facts = c.facts(d);
        let norm = plan.norm[usize::from(cache.norm_ids[d as usize])];
        let l = facts.lang.idx();
        let mut text = 0.0;
        let words_start = out.words.len();
        for (h, all_tf, title_tf) in fwd.words() {
            if !plan.word_filter.may_contain(h) {
                continue;
            }
            let Some(&k) = plan.by_hash.get(&h) else {
                continue;
            };
            let word = &plan.words[k];
            if word.share[l] > 0.0 && all_tf > 0 {
                let contribution = word.share[l] * saturate(w.k1, all_tf, norm);
                text += contribution;
                out.words
                    .push((word.listed[l], contribution, title_tf, all_tf));
            }
        }
        let mut concepts = 0.0;
        let concepts_start = out.concept_hits.len();
        if plan.concept_total > 0.0 {
            for (h, tf) in fwd.concepts() {
                let Some(&k) = plan.concept_by_hash.get(&h) else {
                    continue;
                };
                let s = plan.concepts[k].weight * concept_saturate(tf);
                concepts += s / plan.concept_total;
                out.concept_hits.push((k, s));
            }
        }
        let served_start = out.served.len();
        c.served_codes(d, &mut out.served);
        out.list.push(Candidate {
            id: fwd.id,
            text: text.min(1.0),
            concepts: concepts.min(1.0),
            facts,
            served: served_start..out.served.len(),
            words: words_start..out.words.len(),
            concept_hits: concepts_start..out.concept_hits.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{from_rank_key, rank_key, saturate, threshold};
    use crate::cache::{pack, unpack};

    #[test]
    fn the_threshold_reads_about_the_budget_and_everything_below_it() {
        // three words of 4,000 postings each, strongest first (tf 40 down to 1)
        let lists: Vec<Vec<u64>> = (0..3)
            .map(|_| {
                (0..4000u32)
                    .map(|d| pack(d, saturate(1.2, 40 - d / 100, 1.0)))
                    .collect()
            })
            .collect();
        let tops = [1.0f32, 0.5, 0.25];
        let views: Vec<(&[u64], f32)> = lists.iter().map(Vec::as_slice).zip(tops).collect();
        let mut samples = Vec::new();
        assert_eq!(threshold(&views, 12_000, &mut samples), 0.0);
        for budget in [500, 2000, 6000] {
            let tau = threshold(&views, budget, &mut samples);
            assert!(tau > 0.0);
            let read: usize = views
                .iter()
                .map(|(l, top)| l.iter().take_while(|&&p| top * unpack(p).1 >= tau).count())
                .sum();
            assert!(
                read as f64 > budget as f64 * 0.7 && (read as f64) < budget as f64 * 1.3,
                "budget {budget}: read {read}"
            );
        }
    }

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
