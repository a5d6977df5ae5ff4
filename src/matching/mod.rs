//! Feeds the search index from the database and stores the matches it finds.
//!
//! The database is the record; the index is a projection of it. `Matcher::sync` is the
//! only writer: it reads what changed since the last pass (by `updated_at`, with an
//! overlap for transactions that commit late) and applies it, or rebuilds the index from
//! scratch when rows disappeared or the index is missing, corrupt, of another schema
//! version or behind. Requests call it right after their change commits; a background
//! loop calls it every second, which is how a process learns of the changes that other
//! `serve` processes on the same PostgreSQL database make.

mod docs;
pub mod lifecycle;
mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use search_index::{Hit, MatchIndex, OpenState};

use crate::db::models::{Challenge, Organization, Solution};
use crate::db::schema::{challenges, organizations, solutions};
use crate::db::DbConn;

pub use docs::{challenge_doc, solution_doc};
pub use store::{relabel, store_challenge_matches, store_solution_matches};

/// How many solutions are kept as matches per challenge (and challenges per solution).
pub const MATCHES_PER_RECORD: usize = 20;
/// Rows changed this long before the newest one seen are read again, so that a
/// transaction that commits late is not missed.
const OVERLAP_SECONDS: i64 = 10;

pub struct Matcher {
    /// Solutions only: what challenges are matched against and the solution listing
    /// searches. Kept apart from challenges so that each side's word statistics (BM25)
    /// describe only the documents ranked.
    solutions: MatchIndex,
    /// Challenges only: what solutions are matched against.
    challenges: MatchIndex,
    cursor: Mutex<Cursor>,
    /// Hits below this score are not stored as matches.
    pub min_score: f32,
    /// Matches at or above this score are introduced automatically.
    pub auto_introduce_at: Option<f32>,
    /// For the e-mails of automatic introductions.
    links: crate::mail::Links,
}

#[derive(Default)]
struct Cursor {
    /// The newest `updated_at` applied, per table.
    challenges_at: Option<NaiveDateTime>,
    solutions_at: Option<NaiveDateTime>,
    /// Rows applied within the overlap window, with the version applied.
    recent: HashMap<String, NaiveDateTime>,
    /// Row counts at the last pass: a smaller count means rows were deleted.
    counts: (i64, i64),
}

/// What a sync pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rebuilt: bool,
    pub applied: usize,
}

impl Matcher {
    /// Opens (or creates) the index in `dir` and brings it up to date with the database.
    pub fn open(
        dir: &Path,
        conn: &mut DbConn,
        min_score: f32,
        auto_introduce_at: Option<f32>,
        links: crate::mail::Links,
    ) -> anyhow::Result<Matcher> {
        let open = |name: &str| -> anyhow::Result<(MatchIndex, OpenState)> {
            let path = dir.join(name);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            MatchIndex::open_or_create(&path)
                .with_context(|| format!("opening the search index in {}", path.display()))
        };
        let (solutions, solutions_state) = open("solutions")?;
        let (challenges, challenges_state) = open("challenges")?;
        let matcher = Matcher {
            solutions,
            challenges,
            cursor: Mutex::new(Cursor::default()),
            min_score,
            auto_introduce_at,
            links,
        };
        let current = watermark(conn)?;
        let state = if solutions_state == challenges_state {
            solutions_state
        } else {
            OpenState::Fresh
        };
        match state {
            OpenState::Existing { watermark: Some(w) } if w == current => {
                tracing::info!(watermark = %w, "search index is up to date");
                matcher.adopt(conn)?;
            }
            other => {
                tracing::info!(state = ?other, "rebuilding the search index from the database");
                matcher.rebuild(conn, None)?;
            }
        }
        Ok(matcher)
    }

    /// The index of solutions (listing search).
    pub fn solutions(&self) -> &MatchIndex {
        &self.solutions
    }

    /// The index of challenges (listing search).
    pub fn challenges(&self) -> &MatchIndex {
        &self.challenges
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cursor> {
        self.cursor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes an up-to-date index as it is: the cursor starts at the database's newest rows.
    fn adopt(&self, conn: &mut DbConn) -> anyhow::Result<()> {
        let mut cursor = self.lock();
        cursor.challenges_at = challenges::table
            .select(diesel::dsl::max(challenges::updated_at))
            .first(conn)?;
        cursor.solutions_at = solutions::table
            .select(diesel::dsl::max(solutions::updated_at))
            .first(conn)?;
        cursor.counts = counts(conn)?;
        Ok(())
    }

    /// Rebuilds the whole index from the database, calling `progress(done, total)`.
    pub fn rebuild(
        &self,
        conn: &mut DbConn,
        progress: Option<&dyn Fn(u64, u64)>,
    ) -> anyhow::Result<usize> {
        let mut cursor = self.lock();
        self.rebuild_locked(&mut cursor, conn, progress)
    }

    fn rebuild_locked(
        &self,
        cursor: &mut Cursor,
        conn: &mut DbConn,
        progress: Option<&dyn Fn(u64, u64)>,
    ) -> anyhow::Result<usize> {
        // Read the watermark first: the index may then be ahead of it, never behind.
        let mark = watermark(conn)?;
        let counts_now = counts(conn)?;
        self.solutions.clear()?;
        self.challenges.clear()?;
        let total = (counts_now.0 + counts_now.1) as u64;
        let mut done = 0u64;
        let mut newest_challenge = None;
        let mut newest_solution = None;
        const PAGE: i64 = 2000;
        let mut last_id = String::new();
        loop {
            let page: Vec<(Challenge, Organization)> = challenges::table
                .inner_join(organizations::table)
                .filter(challenges::id.gt(&last_id))
                .order(challenges::id)
                .limit(PAGE)
                .select((Challenge::as_select(), Organization::as_select()))
                .load(conn)?;
            let Some(last) = page.last() else { break };
            last_id = last.0.id.clone();
            let docs: Vec<_> = page.iter().map(|(c, o)| challenge_doc(c, o)).collect();
            self.challenges.upsert_challenges(&docs)?;
            newest_challenge = newest_challenge.max(page.iter().map(|(c, _)| c.updated_at).max());
            done += page.len() as u64;
            if let Some(p) = progress {
                p(done, total);
            }
        }
        last_id.clear();
        loop {
            let page: Vec<Solution> = solutions::table
                .filter(solutions::id.gt(&last_id))
                .order(solutions::id)
                .limit(PAGE)
                .select(Solution::as_select())
                .load(conn)?;
            let Some(last) = page.last() else { break };
            last_id = last.id.clone();
            let docs: Vec<_> = page.iter().map(solution_doc).collect();
            self.solutions.upsert_solutions(&docs)?;
            newest_solution = newest_solution.max(page.iter().map(|s| s.updated_at).max());
            done += page.len() as u64;
            if let Some(p) = progress {
                p(done, total);
            }
        }
        self.solutions.commit(&mark)?;
        self.challenges.commit(&mark)?;
        *cursor = Cursor {
            challenges_at: newest_challenge,
            solutions_at: newest_solution,
            recent: HashMap::new(),
            counts: counts_now,
        };
        Ok(done as usize)
    }

    /// Applies what changed in the database since the last pass.
    pub fn sync(&self, conn: &mut DbConn) -> anyhow::Result<SyncReport> {
        let mut cursor = self.lock();
        let mark = watermark(conn)?;
        let counts_now = counts(conn)?;
        if counts_now.0 < cursor.counts.0 || counts_now.1 < cursor.counts.1 {
            self.rebuild_locked(&mut cursor, conn, None)?;
            return Ok(SyncReport {
                rebuilt: true,
                applied: 0,
            });
        }
        let since = |at: Option<NaiveDateTime>| {
            at.map(|t| t - Duration::seconds(OVERLAP_SECONDS))
                .unwrap_or_default()
        };
        let changed_challenges: Vec<(Challenge, Organization)> = challenges::table
            .inner_join(organizations::table)
            .filter(challenges::updated_at.ge(since(cursor.challenges_at)))
            .select((Challenge::as_select(), Organization::as_select()))
            .load(conn)?;
        let changed_solutions: Vec<Solution> = solutions::table
            .filter(solutions::updated_at.ge(since(cursor.solutions_at)))
            .select(Solution::as_select())
            .load(conn)?;
        let mut applied = 0;
        for (c, o) in &changed_challenges {
            if cursor.recent.get(&c.id) != Some(&c.updated_at) {
                self.challenges.upsert_challenge(&challenge_doc(c, o))?;
                cursor.recent.insert(c.id.clone(), c.updated_at);
                applied += 1;
            }
            cursor.challenges_at = cursor.challenges_at.max(Some(c.updated_at));
        }
        for s in &changed_solutions {
            if cursor.recent.get(&s.id) != Some(&s.updated_at) {
                self.solutions.upsert_solution(&solution_doc(s))?;
                cursor.recent.insert(s.id.clone(), s.updated_at);
                applied += 1;
            }
            cursor.solutions_at = cursor.solutions_at.max(Some(s.updated_at));
        }
        cursor.counts = counts_now;
        if applied > 0 {
            self.solutions.commit(&mark)?;
            self.challenges.commit(&mark)?;
        }
        let oldest_kept = cursor
            .challenges_at
            .min(cursor.solutions_at)
            .map(|t| t - Duration::seconds(2 * OVERLAP_SECONDS));
        if let Some(limit) = oldest_kept {
            cursor.recent.retain(|_, at| *at >= limit);
        }
        // Rows removed and others added between two passes leave the counts equal; the
        // index then holds more documents than the database has rows.
        if self.challenges.num_docs() != counts_now.0 as u64
            || self.solutions.num_docs() != counts_now.1 as u64
        {
            self.rebuild_locked(&mut cursor, conn, None)?;
            return Ok(SyncReport {
                rebuilt: true,
                applied,
            });
        }
        Ok(SyncReport {
            rebuilt: false,
            applied,
        })
    }

    /// Syncs, then ranks solutions for one challenge and stores them as matches.
    pub fn rematch_challenge(
        &self,
        conn: &mut DbConn,
        challenge_id: &str,
    ) -> anyhow::Result<Vec<Hit>> {
        self.sync(conn)?;
        let found = challenges::table
            .inner_join(organizations::table)
            .filter(challenges::id.eq(challenge_id))
            .select((Challenge::as_select(), Organization::as_select()))
            .first::<(Challenge, Organization)>(conn)
            .optional()?;
        let Some((c, o)) = found else {
            return Ok(Vec::new());
        };
        let hits = if c.status == "open" {
            self.solutions
                .match_challenge(&challenge_doc(&c, &o), MATCHES_PER_RECORD, "en")?
        } else {
            Vec::new()
        };
        let hits: Vec<Hit> = hits
            .into_iter()
            .filter(|h| h.score >= self.min_score)
            .collect();
        store_challenge_matches(conn, &self.links, &c.id, &hits, self.auto_introduce_at)
            .map_err(|e| anyhow::anyhow!("storing matches: {e:?}"))?;
        Ok(hits)
    }

    /// Syncs, then ranks open challenges for one solution and stores them as matches.
    pub fn rematch_solution(
        &self,
        conn: &mut DbConn,
        solution_id: &str,
    ) -> anyhow::Result<Vec<Hit>> {
        self.sync(conn)?;
        let found = solutions::table
            .find(solution_id)
            .select(Solution::as_select())
            .first::<Solution>(conn)
            .optional()?;
        let Some(s) = found else {
            return Ok(Vec::new());
        };
        let hits = if s.status == "published" {
            self.challenges
                .match_solution(&solution_doc(&s), MATCHES_PER_RECORD, "en")?
        } else {
            Vec::new()
        };
        let hits: Vec<Hit> = hits
            .into_iter()
            .filter(|h| h.score >= self.min_score)
            .collect();
        store_solution_matches(conn, &self.links, &s.id, &hits, self.auto_introduce_at)
            .map_err(|e| anyhow::anyhow!("storing matches: {e:?}"))?;
        Ok(hits)
    }
}

fn counts(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    Ok((
        challenges::table.count().get_result(conn)?,
        solutions::table.count().get_result(conn)?,
    ))
}

/// The database state the index reflects: row counts and newest change per table.
pub fn watermark(conn: &mut DbConn) -> anyhow::Result<String> {
    let (nc, ns) = counts(conn)?;
    let tc: Option<NaiveDateTime> = challenges::table
        .select(diesel::dsl::max(challenges::updated_at))
        .first(conn)?;
    let ts: Option<NaiveDateTime> = solutions::table
        .select(diesel::dsl::max(solutions::updated_at))
        .first(conn)?;
    let fmt = |t: Option<NaiveDateTime>| {
        t.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
            .unwrap_or_default()
    };
    Ok(format!(
        "challenges={nc}@{};solutions={ns}@{}",
        fmt(tc),
        fmt(ts)
    ))
}

/// Keeps the index in step with changes made by other processes.
pub fn spawn_sync_loop(matcher: Arc<Matcher>, pool: crate::db::DbPool) {
    std::thread::Builder::new()
        .name("index-sync".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if Arc::strong_count(&matcher) == 1 {
                return; // the application is gone
            }
            let result = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| matcher.sync(&mut conn));
            if let Err(e) = result {
                tracing::warn!(error = ?e, "index sync failed; retrying");
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!(error = ?e, "could not start the index sync loop"));
}

/// After a challenge changed: refresh the index and its matches. A failure here does not
/// undo the change, which is stored; it is logged, and `cleanmatch reindex` repairs it.
pub fn after_challenge_change(matcher: &Matcher, conn: &mut DbConn, challenge_id: &str) {
    if let Err(e) = matcher.rematch_challenge(conn, challenge_id) {
        tracing::error!(error = ?e, challenge_id, "matching a changed challenge failed; run `cleanmatch reindex`");
    }
}

/// After a solution changed: refresh the index and its matches (see `after_challenge_change`).
pub fn after_solution_change(matcher: &Matcher, conn: &mut DbConn, solution_id: &str) {
    if let Err(e) = matcher.rematch_solution(conn, solution_id) {
        tracing::error!(error = ?e, solution_id, "matching a changed solution failed; run `cleanmatch reindex`");
    }
}

/// After rows were deleted: drop them from the index.
pub fn after_delete(matcher: &Matcher, conn: &mut DbConn) {
    if let Err(e) = matcher.sync(conn) {
        tracing::error!(error = ?e, "updating the index after a delete failed; run `cleanmatch reindex`");
    }
}

/// Recomputes the matches of every open challenge and published solution.
pub fn rematch_all(
    matcher: &Matcher,
    conn: &mut DbConn,
    progress: Option<&dyn Fn(u64, u64)>,
) -> anyhow::Result<usize> {
    let open: Vec<String> = challenges::table
        .filter(challenges::status.eq("open"))
        .order(challenges::id)
        .select(challenges::id)
        .load(conn)?;
    let published: Vec<String> = solutions::table
        .filter(solutions::status.eq("published"))
        .order(solutions::id)
        .select(solutions::id)
        .load(conn)?;
    let total = (open.len() + published.len()) as u64;
    let mut done = 0;
    for id in &open {
        matcher.rematch_challenge(conn, id)?;
        done += 1;
        if let Some(p) = progress {
            p(done, total);
        }
    }
    for id in &published {
        matcher.rematch_solution(conn, id)?;
        done += 1;
        if let Some(p) = progress {
            p(done, total);
        }
    }
    Ok(done as usize)
}
