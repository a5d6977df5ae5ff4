//! [`MatchIndex`]: opening (with version and corruption checks), indexing, deleting,
//! committing with a watermark, and the listing searches.

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::cache::SegmentCaches;
use crate::forward;
use crate::lang::{resolve_texts, Lang};
use crate::schema::{
    build_schema, check_schema, country, country_code, register_tokenizers, sector_mask, Fields,
    ANY_COUNTRY, ANY_COUNTRY_CODE, CLASS_CHALLENGE, CLASS_CHALLENGE_OPEN, CLASS_SOLUTION,
    CLASS_SOLUTION_PUBLISHED, KIND_CHALLENGE, KIND_SOLUTION, SCHEMA_VERSION,
};
use crate::thesaurus::thesaurus;
use crate::{ChallengeDoc, ChallengeFilter, Error, Result, SolutionDoc, SolutionFilter};

/// How [`MatchIndex::open_or_create`] found the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenState {
    /// There was no index: a new empty one was created. The app fills it from the database.
    Fresh,
    /// A valid index of this schema version; `watermark` is the one of its last commit
    /// (compare it with the database to catch up).
    Existing {
        /// The watermark stored by the last [`MatchIndex::commit`], if any.
        watermark: Option<String>,
    },
    /// The index was unreadable or of another schema version; it was wiped and recreated
    /// empty. The app must refill it from the database.
    Rebuilt {
        /// Why (for the log).
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Payload {
    schema_version: u32,
    watermark: String,
}

/// The matcher's index. `Send + Sync`: share it in an `Arc`.
///
/// Writes (upserts, deletes) become visible after [`MatchIndex::commit`], which also
/// reloads the reader. One `MatchIndex` per directory and process.
pub struct MatchIndex {
    pub(crate) fields: Fields,
    writer: RwLock<IndexWriter>,
    pub(crate) reader: IndexReader,
    watermark: RwLock<Option<String>>,
    weights: RwLock<crate::ranking::RankWeights>,
    pub(crate) caches: SegmentCaches,
}

const WRITER_MEMORY: usize = 100_000_000;

/// One indexing thread: a bulk load then makes one segment, not one per thread, and a
/// match does its per-segment work once (at 100,000 solutions, one segment takes about
/// 10% fewer instructions per match than two). Analysis, most of the work of indexing,
/// runs on the feeders ([`feed_in_parallel`]), so one indexing thread keeps up with them:
/// 30,000 docs/s against 32,000 with two indexing threads on two cores.
const WRITER_THREADS: usize = 1;

fn feeder_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(1)
}

/// Runs `f` over `docs` split across the feeder threads: analysis (language detection,
/// stemming, concept extraction) runs on the caller's threads, so one feeder leaves the
/// indexing thread waiting.
fn feed_in_parallel<T: Sync>(docs: &[T], f: impl Fn(&T) -> Result<()> + Sync) -> Result<()> {
    let threads = feeder_threads();
    if threads < 2 || docs.len() < 64 {
        return docs.iter().try_for_each(&f);
    }
    let per = docs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = docs
            .chunks(per)
            .map(|chunk| scope.spawn(|| chunk.iter().try_for_each(&f)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| Error::Poisoned)?)
    })
}

impl MatchIndex {
    fn from_index(index: Index, fields: Fields, watermark: Option<String>) -> Result<MatchIndex> {
        register_tokenizers(&index);
        let writer = index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY)
            .map_err(|e| match e {
                TantivyError::LockFailure(..) => Error::Locked(e.to_string()),
                other => Error::Tantivy(other),
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let caches = SegmentCaches::default();
        caches.refresh(&reader.searcher(), &fields)?;
        Ok(MatchIndex {
            fields,
            writer: RwLock::new(writer),
            reader,
            watermark: RwLock::new(watermark),
            weights: RwLock::new(crate::ranking::RankWeights::default()),
            caches,
        })
    }

    /// An empty index in memory (tests, eval, benchmarks).
    pub fn create_in_ram() -> Result<MatchIndex> {
        let (schema, fields) = build_schema();
        MatchIndex::from_index(new_index(schema, None)?, fields, None)
    }

    /// Opens the index in `dir`, creating it if missing. An index that cannot be read or is
    /// of another [`crate::SCHEMA_VERSION`] is wiped and recreated ([`OpenState::Rebuilt`]);
    /// the app then refills it from the database. A directory locked by another writer is
    /// an error ([`Error::Locked`]) and is left alone.
    pub fn open_or_create(dir: &Path) -> Result<(MatchIndex, OpenState)> {
        std::fs::create_dir_all(dir)?;
        if !dir.join("meta.json").exists() {
            let (schema, fields) = build_schema();
            let index = new_index(schema, Some(dir))?;
            return Ok((
                MatchIndex::from_index(index, fields, None)?,
                OpenState::Fresh,
            ));
        }
        match MatchIndex::try_open(dir) {
            Ok((mi, watermark)) => Ok((mi, OpenState::Existing { watermark })),
            Err(Error::Locked(e)) => Err(Error::Locked(e)),
            Err(e) => {
                let reason = e.to_string();
                wipe_dir(dir)?;
                let (schema, fields) = build_schema();
                let index = new_index(schema, Some(dir))?;
                Ok((
                    MatchIndex::from_index(index, fields, None)?,
                    OpenState::Rebuilt { reason },
                ))
            }
        }
    }

    fn try_open(dir: &Path) -> Result<(MatchIndex, Option<String>)> {
        let index = Index::open_in_dir(dir)?;
        let fields = check_schema(&index.schema())?;
        let metas = index.load_metas()?;
        let watermark = match metas.payload.as_deref() {
            Some(p) => {
                let payload: Payload = serde_json::from_str(p).map_err(|e| {
                    Error::SchemaMismatch(format!("unreadable commit payload: {e}"))
                })?;
                if payload.schema_version != SCHEMA_VERSION {
                    return Err(Error::SchemaMismatch(format!(
                        "index has schema version {}, this build needs {}",
                        payload.schema_version, SCHEMA_VERSION
                    )));
                }
                Some(payload.watermark)
            }
            None if metas.segments.is_empty() => None,
            None => {
                return Err(Error::SchemaMismatch(
                    "index has documents but no schema version".into(),
                ))
            }
        };
        let mi = MatchIndex::from_index(index, fields, watermark.clone())?;
        // Touch every segment's term dictionaries and fast fields so corruption shows now.
        let searcher = mi.reader.searcher();
        for seg in searcher.segment_readers() {
            for f in [mi.fields.all, mi.fields.concepts] {
                seg.inverted_index(f)?;
            }
            let ff = seg.fast_fields();
            for name in ["class", "lang", "sector_mask", "served", "trl"] {
                ff.u64(name)?;
            }
            ff.i64("updated_at")?;
        }
        Ok((mi, watermark))
    }

    fn writer(&self) -> Result<RwLockReadGuard<'_, IndexWriter>> {
        self.writer.read().map_err(|_| Error::Poisoned)
    }

    /// Adds or replaces a solution (visible after [`MatchIndex::commit`]).
    pub fn upsert_solution(&self, doc: &SolutionDoc) -> Result<()> {
        let key = format!("{KIND_SOLUTION}:{}", doc.id);
        let tdoc = self.solution_document(doc, &key);
        let w = self.writer()?;
        w.delete_term(Term::from_field_text(self.fields.key, &key));
        w.add_document(tdoc)?;
        Ok(())
    }

    /// Adds or replaces a challenge (visible after [`MatchIndex::commit`]).
    pub fn upsert_challenge(&self, doc: &ChallengeDoc) -> Result<()> {
        let key = format!("{KIND_CHALLENGE}:{}", doc.id);
        let tdoc = self.challenge_document(doc, &key);
        let w = self.writer()?;
        w.delete_term(Term::from_field_text(self.fields.key, &key));
        w.add_document(tdoc)?;
        Ok(())
    }

    /// Adds or replaces many solutions, analysed on as many threads as the writer has
    /// (visible after [`MatchIndex::commit`]): the bulk path of a rebuild.
    pub fn upsert_solutions(&self, docs: &[SolutionDoc]) -> Result<()> {
        feed_in_parallel(docs, |d| self.upsert_solution(d))
    }

    /// Adds or replaces many challenges, as [`MatchIndex::upsert_solutions`].
    pub fn upsert_challenges(&self, docs: &[ChallengeDoc]) -> Result<()> {
        feed_in_parallel(docs, |d| self.upsert_challenge(d))
    }

    /// Removes a solution (visible after [`MatchIndex::commit`]).
    pub fn delete_solution(&self, id: &str) -> Result<()> {
        let key = format!("{KIND_SOLUTION}:{id}");
        self.writer()?
            .delete_term(Term::from_field_text(self.fields.key, &key));
        Ok(())
    }

    /// Removes a challenge (visible after [`MatchIndex::commit`]).
    pub fn delete_challenge(&self, id: &str) -> Result<()> {
        let key = format!("{KIND_CHALLENGE}:{id}");
        self.writer()?
            .delete_term(Term::from_field_text(self.fields.key, &key));
        Ok(())
    }

    /// Removes everything (before a full reindex; visible after [`MatchIndex::commit`]).
    pub fn clear(&self) -> Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Commits pending changes with `watermark` (an opaque marker of the database change
    /// the index now reflects) and reloads the reader.
    pub fn commit(&self, watermark: &str) -> Result<()> {
        let payload = serde_json::to_string(&Payload {
            schema_version: SCHEMA_VERSION,
            watermark: watermark.to_string(),
        })
        .map_err(|e| Error::Invalid(e.to_string()))?;
        {
            let mut w = self.writer.write().map_err(|_| Error::Poisoned)?;
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
        }
        self.reader.reload()?;
        self.caches.refresh(&self.reader.searcher(), &self.fields)?;
        *self.watermark.write().map_err(|_| Error::Poisoned)? = Some(watermark.to_string());
        Ok(())
    }

    /// The watermark of the last commit (also after reopening the directory).
    pub fn watermark(&self) -> Option<String> {
        self.watermark.read().ok().and_then(|w| w.clone())
    }

    /// Replaces the ranking parameters (tuning experiments only).
    pub fn set_weights(&self, weights: crate::ranking::RankWeights) {
        if let Ok(mut w) = self.weights.write() {
            *w = weights;
        }
    }

    /// The ranking parameters in use.
    pub fn weights(&self) -> crate::ranking::RankWeights {
        self.weights.read().map(|w| *w).unwrap_or_default()
    }

    /// Number of indexed (committed) solutions and challenges.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of committed segments (each query visits every one).
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    fn solution_document(&self, doc: &SolutionDoc, key: &str) -> TantivyDocument {
        let f = &self.fields;
        let lang = resolve_texts(
            doc.language.as_deref(),
            [&doc.title, &doc.summary, &doc.description],
        );
        let class = if doc.published {
            CLASS_SOLUTION_PUBLISHED
        } else {
            CLASS_SOLUTION
        };
        let mut d = self.common_document(
            key,
            &doc.id,
            KIND_SOLUTION,
            if doc.published { "published" } else { "draft" },
            class,
            lang,
            [&doc.title, &doc.summary, &doc.description],
            &doc.sectors,
            doc.updated_at,
        );
        d.add_u64(f.trl, doc.trl.map(u64::from).unwrap_or(0));
        let mut any = false;
        for c in doc.countries.iter().filter_map(|c| country(c)) {
            d.add_u64(f.served, country_code(&c));
            d.add_text(f.countries, &c);
            any = true;
        }
        if doc.global {
            d.add_u64(f.served, ANY_COUNTRY_CODE);
            d.add_text(f.countries, ANY_COUNTRY);
            any = true;
        }
        if !any {
            d.add_text(f.countries, "-");
        }
        d
    }

    fn challenge_document(&self, doc: &ChallengeDoc, key: &str) -> TantivyDocument {
        let f = &self.fields;
        let lang = resolve_texts(
            doc.language.as_deref(),
            [&doc.title, &doc.summary, &doc.description],
        );
        let status = doc.status.trim().to_ascii_lowercase();
        let class = if doc.is_open() {
            CLASS_CHALLENGE_OPEN
        } else {
            CLASS_CHALLENGE
        };
        let mut d = self.common_document(
            key,
            &doc.id,
            KIND_CHALLENGE,
            &status,
            class,
            lang,
            [&doc.title, &doc.summary, &doc.description],
            &doc.sectors,
            doc.updated_at,
        );
        d.add_u64(f.trl, doc.min_trl.map(u64::from).unwrap_or(0));
        let c = doc.country.as_deref().and_then(country);
        d.add_text(f.countries, c.as_deref().unwrap_or(ANY_COUNTRY));
        d.add_u64(
            f.served,
            c.as_deref().map(country_code).unwrap_or(ANY_COUNTRY_CODE),
        );
        d
    }

    #[allow(clippy::too_many_arguments)]
    fn common_document(
        &self,
        key: &str,
        id: &str,
        kind: &str,
        state: &str,
        class: u64,
        lang: Lang,
        texts: [&str; 3],
        sectors: &[String],
        updated_at: i64,
    ) -> TantivyDocument {
        let f = &self.fields;
        let t = thesaurus();
        let mut d = TantivyDocument::default();
        d.add_text(f.key, key);
        d.add_text(f.kind, kind);
        d.add_text(f.state, state);
        d.add_u64(f.class, class);
        d.add_u64(f.lang, lang.idx() as u64);
        d.add_text(f.lang_code, lang.code());
        // Analysed terms, space-separated (the schema's tokenizer only splits them again).
        let mut all = String::with_capacity(texts.iter().map(|t| t.len()).sum::<usize>() + 16);
        let mut words: Vec<(u32, bool)> = Vec::new();
        let mut concepts = Vec::new();
        for (k, text) in texts.into_iter().enumerate() {
            t.analyze_with(
                lang,
                text,
                |term, _, _| {
                    all.push_str(term);
                    all.push(' ');
                    words.push((forward::hash(term), k == 0));
                },
                &mut concepts,
            );
        }
        d.add_text(f.all, &all);
        let mut ids = String::with_capacity(concepts.len() * 6);
        let mut concept_hashes: Vec<u32> = Vec::with_capacity(concepts.len());
        for c in concepts {
            let id = &t.concept(c).id;
            ids.push_str(id);
            ids.push(' ');
            concept_hashes.push(forward::hash(id));
        }
        d.add_text(f.concepts, &ids);
        d.add_bytes(f.fwd, &forward::encode(id, &mut words, &mut concept_hashes));
        for s in sectors {
            d.add_text(f.sectors, s.trim().to_ascii_lowercase());
        }
        d.add_u64(f.sector_mask, sector_mask(sectors));
        d.add_i64(f.updated_at, updated_at);
        d
    }

    /// Free-text search of solutions for the listing: ids (best first; newest first when
    /// `q` is blank) and the total number of hits. `q` may be in any supported language.
    pub fn search_solutions(
        &self,
        q: &str,
        filter: &SolutionFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<String>, usize)> {
        let f = &self.fields;
        let mut must: Vec<Box<dyn Query>> = vec![term_filter(f.kind, KIND_SOLUTION)];
        if filter.published_only {
            must.push(term_filter(f.state, "published"));
        }
        if let Some(s) = &filter.sector {
            must.push(term_filter(f.sectors, &s.trim().to_ascii_lowercase()));
        }
        if let Some(c) = filter.country.as_deref().and_then(country) {
            must.push(set_filter(f.countries, &[c.as_str(), ANY_COUNTRY]));
        }
        if let Some(min) = filter.trl_min {
            must.push(trl_filter(f.trl, min.max(1), 9));
        }
        self.listing(q, must, offset, limit)
    }

    /// Free-text search of challenges for the listing (see [`MatchIndex::search_solutions`]).
    pub fn search_challenges(
        &self,
        q: &str,
        filter: &ChallengeFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<String>, usize)> {
        let f = &self.fields;
        let mut must: Vec<Box<dyn Query>> = vec![term_filter(f.kind, KIND_CHALLENGE)];
        if let Some(s) = &filter.status {
            must.push(term_filter(f.state, &s.trim().to_ascii_lowercase()));
        }
        if let Some(s) = &filter.sector {
            must.push(term_filter(f.sectors, &s.trim().to_ascii_lowercase()));
        }
        if let Some(c) = filter.country.as_deref().and_then(country) {
            must.push(term_filter(f.countries, &c));
        }
        self.listing(q, must, offset, limit)
    }

    fn listing(
        &self,
        q: &str,
        mut must: Vec<Box<dyn Query>>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<String>, usize)> {
        let searcher = self.reader.searcher();
        let limit = limit.max(1);
        if q.trim().is_empty() {
            must.push(Box::new(AllQuery));
            let query = BooleanQuery::intersection(must);
            let (top, total) = searcher.search(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(offset)
                        .order_by_fast_field::<i64>("updated_at", Order::Desc),
                    Count,
                ),
            )?;
            let ids = self.ids(&searcher, top.into_iter().map(|(_, a)| a))?;
            return Ok((ids, total));
        }
        let relevance = self.free_text_query(q);
        let Some(relevance) = relevance else {
            return Ok((Vec::new(), 0));
        };
        must.push(relevance);
        let query = BooleanQuery::new(must.into_iter().map(|q| (Occur::Must, q)).collect());
        let (top, total) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
            ),
        )?;
        let ids = self.ids(&searcher, top.into_iter().map(|(_, a)| a))?;
        Ok((ids, total))
    }

    /// A listing query: the words analysed in the query's language (and in English, since
    /// short queries are hard to detect), plus the concepts they mention.
    fn free_text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        const CONCEPT_BOOST: f32 = 2.0;
        let t = thesaurus();
        let detected = crate::lang::detect(q).unwrap_or(Lang::En);
        let mut langs = vec![detected];
        if detected != Lang::En {
            langs.push(Lang::En);
        }
        let mut terms: Vec<Term> = Vec::new();
        let mut concepts: Vec<Term> = Vec::new();
        for lang in langs {
            let mut found = Vec::new();
            t.analyze_with(
                lang,
                q,
                |term, _, _| {
                    let term = Term::from_field_text(self.fields.all, term);
                    if !terms.contains(&term) {
                        terms.push(term);
                    }
                },
                &mut found,
            );
            for c in found {
                let term = Term::from_field_text(self.fields.concepts, &t.concept(c).id);
                if !concepts.contains(&term) {
                    concepts.push(term);
                }
            }
        }
        if terms.is_empty() && concepts.is_empty() {
            return None;
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms {
            should.push((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            ));
        }
        // A concept is a whole phrase of the query ("district heating"), and the way to a
        // text in another language: it weighs more than any one word.
        for term in concepts {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    CONCEPT_BOOST,
                )),
            ));
        }
        Some(Box::new(BooleanQuery::new(should)))
    }

    /// The record ids of documents (from their forward records), in the order given.
    pub(crate) fn ids(
        &self,
        searcher: &Searcher,
        addrs: impl Iterator<Item = DocAddress>,
    ) -> Result<Vec<String>> {
        let generation = self.caches.for_searcher(searcher, &self.fields)?;
        addrs
            .map(|a| {
                let cache = generation
                    .segments
                    .get(a.segment_ord as usize)
                    .ok_or_else(|| Error::Invalid("no such segment".into()))?;
                Ok(cache.forward(a.doc_id)?.id.to_string())
            })
            .collect()
    }
}

pub(crate) fn term_filter(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        )),
        0.0,
    ))
}

pub(crate) fn set_filter(field: tantivy::schema::Field, values: &[&str]) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermSetQuery::new(
            values.iter().map(|v| Term::from_field_text(field, v)),
        )),
        0.0,
    ))
}

pub(crate) fn trl_filter(field: tantivy::schema::Field, from: u8, to: u8) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermSetQuery::new(
            (from..=to).map(|v| Term::from_field_u64(field, u64::from(v))),
        )),
        0.0,
    ))
}

/// A new empty index. The doc store (the forward records, read for every candidate of a
/// match) uses small blocks, so that reading one record decompresses little else.
fn new_index(schema: tantivy::schema::Schema, dir: Option<&Path>) -> Result<Index> {
    let settings = tantivy::IndexSettings {
        docstore_blocksize: 4096,
        ..Default::default()
    };
    let builder = Index::builder().schema(schema).settings(settings);
    Ok(match dir {
        Some(d) => builder.create_in_dir(d)?,
        None => builder.create_in_ram()?,
    })
}

fn wipe_dir(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
