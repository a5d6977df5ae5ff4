//! What the matcher keeps in memory: per segment, the forward records of its documents
//! (read for every candidate of every match), their languages and lengths (read for every
//! posting of the first pass) and its fast-field columns; per generation of the
//! reader (one set of segments), the term infos of the words queries looked up (one
//! dictionary lookup per word and segment, not per query).
//!
//! Segments never change once written, so a segment's entry stays valid for its life;
//! [`SegmentCaches::refresh`] runs after every reload of the reader, loads the new
//! segments, forgets the merged-away ones and starts the term memo of the new generation.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::{Arc, RwLock};

use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, Value};
use tantivy::{DocId, Searcher, SegmentReader, TantivyDocument, Term};

use crate::forward::Forward;
use crate::schema::Fields;
use crate::score::Columns;
use crate::{Error, Result};

/// Most words remembered per field and generation; beyond it the memo starts afresh.
const MAX_TERMS: usize = 200_000;

/// Term infos of one word in every segment of a generation (index = segment ordinal).
pub(crate) type Infos = Arc<[Option<TermInfo>]>;

/// A word as a generation knows it: its document frequency over all segments and its term
/// info in each.
#[derive(Clone)]
pub(crate) struct TermEntry {
    pub(crate) df: u64,
    pub(crate) infos: Infos,
}

/// A document's language and length, side by side (one memory access per posting).
#[derive(Clone, Copy)]
pub(crate) struct DocNorm {
    /// language index (0..=6)
    pub(crate) lang: u8,
    /// fieldnorm id of the `all` field
    pub(crate) norm_id: u8,
}

pub(crate) struct SegmentCache {
    /// forward records of every document, concatenated; `ends[d]` = end of doc `d`'s
    forward: Vec<u8>,
    ends: Vec<u32>,
    /// what the first pass reads of every document, for every posting
    pub(crate) docs: Vec<DocNorm>,
    /// the fast fields the hard filters and the ranking read
    pub(crate) columns: Columns,
}

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
        let docs = (0..seg.max_doc())
            .map(|d| DocNorm {
                lang: columns.lang.first(d).map_or(0, |l| l.min(6) as u8),
                norm_id: norms.fieldnorm_id(d),
            })
            .collect();
        Ok(SegmentCache {
            forward,
            ends,
            docs,
            columns,
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
        let term = Term::from_field_text(field, text);
        let mut df = 0u64;
        let mut infos = Vec::with_capacity(self.segments.len());
        for seg in searcher.segment_readers() {
            let info = seg.inverted_index(field)?.get_term_info(&term)?;
            df += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            infos.push(info);
        }
        let entry = TermEntry {
            df,
            infos: infos.into(),
        };
        let mut terms = self.terms.write().map_err(|_| Error::Poisoned)?;
        let m = terms.entry(field).or_default();
        if m.len() >= MAX_TERMS {
            m.clear();
        }
        m.insert(text.into(), entry.clone());
        Ok(entry)
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
        let mut loaded = Vec::with_capacity(missing.len());
        for seg in missing {
            loaded.push((seg.segment_id(), Arc::new(SegmentCache::load(seg, fields)?)));
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
