//! What the matcher keeps in memory per segment: the forward records of its documents
//! (read for every candidate of every match) and the term infos of the words queries
//! looked up (one dictionary lookup per word and segment, not per query).
//!
//! Segments never change once written, so an entry stays valid for the segment's life;
//! [`SegmentCaches::refresh`] runs after every reload of the reader, loads the new
//! segments and forgets the merged-away ones.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, RwLock};

use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, Value};
use tantivy::{DocId, Searcher, SegmentReader, TantivyDocument, Term};

use crate::forward::Forward;
use crate::{Error, Result};

/// Most words remembered per segment; beyond it the memo starts afresh.
const MAX_TERMS: usize = 200_000;

pub(crate) struct SegmentCache {
    /// forward records of every document, concatenated; `ends[d]` = end of doc `d`'s
    forward: Vec<u8>,
    ends: Vec<u32>,
    /// language index of every document (read for every posting of the first pass)
    pub(crate) langs: Vec<u8>,
    /// remembered term infos, per field
    terms: Mutex<FxHashMap<Field, FxHashMap<String, Option<TermInfo>>>>,
}

impl SegmentCache {
    fn load(seg: &SegmentReader, fwd: Field) -> Result<SegmentCache> {
        let store = seg.get_store_reader(0)?;
        let mut forward = Vec::new();
        let mut ends = Vec::with_capacity(seg.max_doc() as usize);
        for doc in store.iter::<TantivyDocument>(None) {
            let doc = doc?;
            if let Some(b) = doc.get_first(fwd).and_then(|v| v.as_bytes()) {
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
        let lang = seg.fast_fields().u64("lang")?;
        let langs = (0..seg.max_doc())
            .map(|d| lang.first(d).map_or(0, |l| l.min(6) as u8))
            .collect();
        Ok(SegmentCache {
            forward,
            ends,
            langs,
            terms: Mutex::new(FxHashMap::default()),
        })
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

    /// The term info of `text` in `field` of this segment (`seg` must be this segment).
    pub(crate) fn term_info(
        &self,
        seg: &SegmentReader,
        field: Field,
        text: &str,
    ) -> Result<Option<TermInfo>> {
        if let Ok(terms) = self.terms.lock() {
            if let Some(hit) = terms.get(&field).and_then(|m| m.get(text)) {
                return Ok(hit.clone());
            }
        }
        let info = seg
            .inverted_index(field)?
            .get_term_info(&Term::from_field_text(field, text))?;
        if let Ok(mut terms) = self.terms.lock() {
            let m = terms.entry(field).or_default();
            if m.len() >= MAX_TERMS {
                m.clear();
            }
            m.insert(text.to_string(), info.clone());
        }
        Ok(info)
    }
}

/// The caches of the segments of the current searcher.
#[derive(Default)]
pub(crate) struct SegmentCaches {
    by_segment: RwLock<HashMap<SegmentId, Arc<SegmentCache>>>,
}

impl SegmentCaches {
    /// Loads the segments of `searcher` that are new and drops those no longer in it.
    pub(crate) fn refresh(&self, searcher: &Searcher, fwd: Field) -> Result<()> {
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
        let mut loaded = Vec::with_capacity(missing.len());
        for seg in missing {
            loaded.push((seg.segment_id(), Arc::new(SegmentCache::load(seg, fwd)?)));
        }
        let mut map = self.by_segment.write().map_err(|_| Error::Poisoned)?;
        map.retain(|id, _| current.contains(id));
        map.extend(loaded);
        Ok(())
    }

    /// The caches of every segment of `searcher`, in segment order (loading any missing).
    pub(crate) fn for_searcher(
        &self,
        searcher: &Searcher,
        fwd: Field,
    ) -> Result<Vec<Arc<SegmentCache>>> {
        let found: Option<Vec<Arc<SegmentCache>>> = {
            let map = self.by_segment.read().map_err(|_| Error::Poisoned)?;
            searcher
                .segment_readers()
                .iter()
                .map(|s| map.get(&s.segment_id()).cloned())
                .collect()
        };
        if let Some(found) = found {
            return Ok(found);
        }
        // a searcher newer than the last refresh (or older segments forgotten): load them
        let mut out = Vec::new();
        for seg in searcher.segment_readers() {
            let hit = self
                .by_segment
                .read()
                .map_err(|_| Error::Poisoned)?
                .get(&seg.segment_id())
                .cloned();
            out.push(match hit {
                Some(c) => c,
                None => {
                    let c = Arc::new(SegmentCache::load(seg, fwd)?);
                    self.by_segment
                        .write()
                        .map_err(|_| Error::Poisoned)?
                        .insert(seg.segment_id(), c.clone());
                    c
                }
            });
        }
        Ok(out)
    }
}
