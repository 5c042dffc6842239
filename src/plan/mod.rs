//! From each agent and its rows of the report to a plan of edits. Scan and repair share it:
//! `--dry-run` renders the plan, a real run applies exactly this plan.

pub mod delivery;
mod rebuild;
mod splice;
pub mod sqlite;
mod torn;

use splice::apply_ops_value;
pub(crate) use splice::{entry_splices, normalize, pieces, Op};
pub use splice::{js_stringify, Splice};

use crate::analyze::{AgentReport, LockReport, NextBoot, SessionReport};
use crate::rules;
use crate::state::{Agent, StoreState};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use xxhash_rust::xxh3::xxh3_128;

#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub keep_transcripts: bool,
    /// End stranded sessions last updated longer ago than this.
    pub max_age_ms: Option<u64>,
    /// End running rows no boot ever ends (a skipped key whose transcript
    /// is gone).
    pub end_orphans: bool,
    pub now_ms: i64,
    /// Restore a lost index from its best intact copy (`--restore-index`).
    pub restore_index: bool,
    /// Add an index entry for each session a rebuild of the index dropped
    /// (`--rebuild-dropped`, `rebuild.rs`).
    pub rebuild_dropped: bool,
    /// The delivery queues' edits asked for (`plan::delivery`).
    pub delivery: delivery::DeliveryRequest,
}

/// One change to one field of one entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// The field's name (one of a few the plan sets: borrowed, not a copy per
    /// entry).
    pub field: Cow<'static, str>,
    /// The raw JSON before (`None`: absent).
    pub before: Option<String>,
    /// The raw JSON after (`None`: removed).
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryEdit {
    pub key: String,
    #[serde(skip)]
    pub member: usize,
    pub action: &'static str,
    /// Why (one of a few sentences: borrowed, not a copy per entry).
    pub reason: Cow<'static, str>,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexWrite {
    pub agent: String,
    pub path: PathBuf,
    /// The whole file is rewritten as strict JSON (it parsed only as JSON5).
    pub rewrite_strict: bool,
    pub edits: Vec<EntryEdit>,
    /// The length and XXH3-128 of the bytes the plan read. The plan does not
    /// keep them: apply reads the file again and goes on only if both match.
    /// (A fast hash, to tell a concurrent change; the manifest keeps SHA-256.)
    #[serde(skip)]
    pub before_len: u64,
    #[serde(skip)]
    pub before_hash: u128,
    #[serde(skip)]
    pub after: NewContent,
    /// Set when the index is restored from an intact copy (`--restore-index`):
    /// `after` then splices the copy's bytes, and `before_*` are the file
    /// being replaced (or `before_missing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_from: Option<RestoreFrom>,
    /// The index file does not exist (a restore creates it).
    #[serde(skip)]
    pub before_missing: bool,
}

/// The intact copy a restore reads, as the plan read it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreFrom {
    pub path: PathBuf,
    pub source: crate::state::copies::CopySource,
    pub entries: usize,
    /// What the index file is now: `missing` or `invalid`.
    pub replaces: &'static str,
    #[serde(skip)]
    pub len: u64,
    #[serde(skip)]
    pub hash: u128,
}

impl RestoreFrom {
    /// Whether `bytes` are the copy the plan read.
    pub fn is_copy(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.len && xxh3_128(bytes) == self.hash
    }
}

/// What an index becomes. An edit of a valid index is a list of splices into
/// the old bytes, so the new file is never held whole: it is hashed and
/// written piece by piece.
#[derive(Debug, Clone)]
pub enum NewContent {
    /// Sorted, non-overlapping replacements of ranges of `before`.
    Splices(Vec<Splice>),
    /// A whole new document (a JSON5 index rewritten as strict JSON).
    Whole(Vec<u8>),
}

impl IndexWrite {
    /// Whether `bytes` are what the plan read.
    pub fn is_before(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.before_len && xxh3_128(bytes) == self.before_hash
    }

    /// The new file's bytes in order, as slices of `before` (the bytes the
    /// plan read) and of the replacements.
    pub fn after_pieces<'a>(&'a self, before: &'a [u8]) -> Vec<&'a [u8]> {
        match &self.after {
            NewContent::Whole(b) => vec![b],
            NewContent::Splices(splices) => pieces(before, splices),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRemoval {
    pub agent: String,
    pub path: PathBuf,
    pub what: &'static str,
    pub reason: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    #[serde(skip)]
    pub identity: Option<crate::fsx::Identity>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptCut {
    pub agent: String,
    pub key: String,
    pub path: PathBuf,
    /// Bytes from this offset to the end move into the backup.
    pub at: u64,
    pub size: u64,
    pub reason: String,
    #[serde(skip)]
    pub identity: crate::fsx::Identity,
}

#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub indexes: Vec<IndexWrite>,
    pub transcripts: Vec<TranscriptCut>,
    pub removals: Vec<FileRemoval>,
    /// SQLite-era edits the operator named (`plan::sqlite`), and the
    /// queue rows' (`plan::delivery`).
    pub sqlite: Vec<sqlite::SqliteEdit>,
    /// The queue files' edits the operator named (`plan::delivery`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<delivery::QueueFileEdit>,
    /// What repair leaves to a person, in words.
    pub left_alone: Vec<String>,
}

impl TranscriptCut {
    /// Cut `path` (whose tail was read as `tail`) back to `at`.
    fn new(
        agent: &Agent,
        key: &str,
        path: &std::path::Path,
        tail: &crate::state::Tail,
        at: u64,
        reason: &str,
    ) -> Self {
        TranscriptCut {
            agent: agent.id.clone(),
            key: key.to_string(),
            path: path.to_path_buf(),
            at,
            size: tail.size,
            reason: reason.to_string(),
            identity: tail.identity,
        }
    }
}

/// An agent's lock files by the path a report's lock row gives (the first
/// of a path), so that each row finds its file without a search.
fn lock_files(agent: &Agent) -> HashMap<String, &crate::state::LockFile> {
    let mut by_path = HashMap::with_capacity(agent.locks.len());
    for x in &agent.locks {
        by_path.entry(x.path.display().to_string()).or_insert(x);
    }
    by_path
}

/// The bytes a plan's diff is shown from, read just before it is shown (the
/// plan keeps no copy of the files it edits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffSources {
    /// One per `Plan::indexes`: the index as the plan read it (a restore's:
    /// the copy it restores), `None` when it changed since.
    pub indexes: Vec<Option<Vec<u8>>>,
    /// One per `Plan::transcripts`: the number of lines before the cut and
    /// the bytes the cut removes, `None` when the transcript changed since.
    pub cuts: Vec<Option<(usize, Vec<u8>)>>,
}

impl Plan {
    /// Read what a diff of this plan shows (`DiffSources`).
    pub fn read_diff_sources(&self) -> DiffSources {
        DiffSources {
            indexes: self.indexes.iter().map(read_index).collect(),
            cuts: self.transcripts.iter().map(read_cut).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
            && self.transcripts.is_empty()
            && self.removals.is_empty()
            && self.sqlite.is_empty()
            && self.queues.is_empty()
    }
}

/// One agent's part of the analysis: what the plan reads instead of
/// judging again (the agent's report, and its session and lock rows).
#[derive(Debug, Clone, Copy)]
pub struct AgentRows<'a> {
    pub agent: &'a AgentReport,
    pub sessions: &'a [SessionReport],
    pub locks: &'a [LockReport],
}

/// Add one agent's repairs to `plan`, from that agent's rows of the analysis.
/// Agents are planned in order as they are read and analysed, so that no more
/// than a few are held at a time.
///
/// Nothing is planned for an agent whose index could not be read (without
/// it nothing tells which lock or temp file belongs to a running session:
/// `left_alone` says so), nor for one the analysis read as SQLite-era: a
/// SQLite-era agent's legacy files, and every file-era store of a SQLite-era
/// release, are migration inputs, never edited (`sqlite-era.md` §6.6).
pub fn add_agent(plan: &mut Plan, agent: &Agent, rows: AgentRows<'_>, opts: PlanOptions) {
    if let StoreState::Unreadable { error } = &agent.store.state {
        plan.left_alone.push(format!(
            "{}: cannot be read ({error}), so nothing in agent {} is changed (no lock or temp file is removed); fix its permissions or type and run again",
            agent.store.path.display(),
            agent.id
        ));
        return;
    }
    if rows.agent.migration_input
        || agent.sqlite.is_some()
        || !agent.problems.is_empty()
        || rows.agent.unreadable_db_may_hold_sessions
    {
        return;
    }
    plan_agent(agent, rows, opts, plan);
}

fn plan_agent(agent: &Agent, rows: AgentRows<'_>, opts: PlanOptions, plan: &mut Plan) {
    let lock_files = lock_files(agent);
    let edits = entry_edits(agent, rows, &lock_files, opts, plan);
    if !opts.keep_transcripts {
        torn::torn_cuts(agent, plan);
    }
    index_write(agent, edits, opts, plan);
    lock_removals(agent, rows.locks, &lock_files, plan);
    leftover_removals(agent, rows.agent, plan);
}

/// What each entry's edit looks up, built once per agent.
struct EntryCtx<'a> {
    writable: bool,
    live_locks: HashMap<&'a str, &'a LockReport>,
    removed_locks: HashSet<PathBuf>,
}

/// The entry edits of one agent, each with the index member it edits and
/// its field operations; restart-artifact cuts go into `plan.transcripts`
/// and what is left to a person into `plan.left_alone`.
fn entry_edits(
    agent: &Agent,
    rows: AgentRows<'_>,
    lock_files: &HashMap<String, &crate::state::LockFile>,
    opts: PlanOptions,
    plan: &mut Plan,
) -> Vec<(usize, EntryEdit, Vec<Op>)> {
    let AgentRows {
        sessions, locks, ..
    } = rows;
    // Every lookup below is by key or path, so that planning stays linear in
    // the agent's entries and locks (the first row of a key or path counts).
    let mut reports: HashMap<&str, &SessionReport> = HashMap::new();
    for r in sessions.iter().filter(|s| s.agent == agent.id) {
        reports.entry(r.key.as_str()).or_insert(r);
    }
    let mut live_locks: HashMap<&str, &LockReport> = HashMap::new();
    for l in locks.iter().filter(|l| l.live_owner) {
        live_locks.entry(l.path.as_str()).or_insert(l);
    }
    let writable = matches!(
        agent.store.state,
        StoreState::Valid | StoreState::Json5Only { .. }
    );
    // Locks repair removes: the gateway marks a row only for locks it removes
    // itself, so a row whose lock repair removes must be flagged here.
    let removed_locks: HashSet<PathBuf> = locks
        .iter()
        .filter(|l| l.agent == agent.id && l.removable)
        .filter_map(|l| lock_files.get(&l.path).copied())
        .filter(|x| x.kind == crate::fsx::Kind::File)
        .map(|x| agent.real_sessions_dir.join(&x.name))
        .collect();
    let ctx = EntryCtx {
        writable,
        live_locks,
        removed_locks,
    };
    let mut edits = Vec::new();
    for s in agent.sessions.iter().filter(|s| !s.shadowed) {
        let Some(&r) = reports.get(s.key.as_str()) else {
            continue;
        };
        edits.extend(entry_edit(agent, s, r, &ctx, opts, plan));
    }
    edits
}

/// The edit of entry `s` from its row `r` of the analysis, if repair makes one.
fn entry_edit(
    agent: &Agent,
    s: &crate::state::Session,
    r: &SessionReport,
    ctx: &EntryCtx<'_>,
    opts: PlanOptions,
    plan: &mut Plan,
) -> Option<(usize, EntryEdit, Vec<Op>)> {
    let EntryCtx {
        writable,
        live_locks,
        removed_locks,
    } = ctx;
    let writable = *writable;
    let running_main = r.remedy.running_main;
    // Stranded on some predicted line, whether or not a flag helps there.
    let stranded = r.remedy.flag || r.remedy.no_flag.is_some();
    let artifact_fail = r.remedy.artifacts;
    let lost_running = r.next_boot == NextBoot::Lost && running_main;
    let loses_boot_mark = running_main
        && s.aborted_last_run != Some(true)
        && s.lock_paths.iter().any(|p| removed_locks.contains(p));
    let too_old = opts
        .max_age_ms
        .is_some_and(|max| crate::analyze::older_than(opts.now_ms, s.updated_at, max));
    // A waiting turn older than --max-age is ended, not resumed.
    let end_old = too_old && (stranded || r.remedy.waiting);
    if r.remedy.orphan && writable {
        if opts.end_orphans || too_old {
            return Some((
                s.member,
                EntryEdit {
                    key: s.key.clone(),
                    member: s.member,
                    action: "end",
                    reason: Cow::Borrowed("running, never selected by boot recovery, and its transcript is gone: ended as the gateway ends a session"),
                    changes: Vec::new(),
                },
                end_ops(opts.now_ms),
            ));
        } else {
            plan.left_alone.push(format!(
                "{}: stays running forever (boot recovery never selects it and its transcript is gone); --end-orphans ends it, or run `openclaw sessions cleanup --fix-missing`",
                s.key
            ));
        }
        return None;
    }
    if !(stranded || artifact_fail || lost_running || loses_boot_mark || end_old) || !writable {
        return None;
    }
    if !s
        .session_id
        .as_deref()
        .is_some_and(rules::is_safe_session_id)
    {
        plan.left_alone.push(format!(
            "{}: no valid sessionId, so no transcript to resume; fix the entry by hand",
            s.key
        ));
        return None;
    }
    let live_lock = r.lock.as_deref().and_then(|p| live_locks.get(p));
    if let Some(l) = live_lock {
        plan.left_alone.push(format!(
            "{}: its lock {} is held by live OpenClaw pid {} ({}); stop that process first",
            s.key,
            l.path,
            l.pid.unwrap_or(0),
            l.owner_argv
                .as_ref()
                .map(|a| a.join(" "))
                .unwrap_or_default()
        ));
        return None;
    }
    let only_unflaggable = !r.remedy.flag && !artifact_fail && !lost_running && !loses_boot_mark;
    if only_unflaggable && !too_old {
        plan.left_alone.push(format!(
            "{}: stays running, and abortedLastRun: true would not change that: {}. End it with --max-age DURATION (status failed), or move its entry and transcript into agents/<id>/sessions/ by hand",
            s.key,
            r.remedy.no_flag.as_deref().unwrap_or("")
        ));
        return None;
    }
    let (action, reason, ops) = if end_old {
        (
            "end",
            Cow::Borrowed(if stranded {
                "stranded and older than --max-age: ended as the gateway ends an unresumable session, so no late answer is sent"
            } else {
                "waiting to be resumed and older than --max-age: ended as the gateway ends an unresumable session, so no late answer is sent"
            }),
            end_ops(opts.now_ms),
        )
    } else {
        (
            "flag",
            Cow::Borrowed(if stranded || lost_running {
                "stranded: abortedLastRun true makes the next boot select and resume it"
            } else {
                "its stale lock is removed here, so the boot will not mark it: abortedLastRun true does"
            }),
            vec![Op::Set("abortedLastRun", "true".into())],
        )
    };
    if action == "flag" && !r.remedy.flag {
        if let Some(why) = &r.remedy.no_flag {
            plan.left_alone.push(format!(
                "{}: flagged only because repair removes its lock, and it still stays running: {why}",
                s.key
            ));
        }
    }
    // Restart artifacts go before the flag means anything.
    let artifacts = s
        .transcript
        .as_ref()
        .filter(|_| r.restart_artifacts > 0 && action == "flag")
        .filter(|_| !s.transcript_outside && !opts.keep_transcripts)
        .and_then(|t| {
            let tail = t.tail.as_ref().ok()?;
            Some((t, tail, tail.artifacts_at?))
        });
    if let Some((t, tail, at)) = artifacts {
        plan.transcripts.push(TranscriptCut::new(
            agent,
            &s.key,
            &t.path,
            tail,
            at,
            "restart artifacts (the assistant message the restart aborted, partial output included, and the openclaw:prompt-error entry before it if any) move to the backup so the user's message is the last again",
        ));
    }
    Some((
        s.member,
        EntryEdit {
            key: s.key.clone(),
            member: s.member,
            action,
            reason,
            changes: Vec::new(),
        },
        ops,
    ))
}

/// The index write: the entry edits spliced in (or, for a JSON5 index, the
/// whole file rewritten), a restore from an intact copy; or why the index
/// is left alone.
fn index_write(
    agent: &Agent,
    edits: Vec<(usize, EntryEdit, Vec<Op>)>,
    opts: PlanOptions,
    plan: &mut Plan,
) {
    let bytes: &[u8] = agent.store.bytes.as_deref().unwrap_or_default();
    let before_len = bytes.len() as u64;
    let restored = agent.store.restored.as_deref();
    let (before_len, before_hash, before_missing) = match restored {
        Some(r) => {
            let b = r.original_bytes.as_deref().unwrap_or_default();
            (
                b.len() as u64,
                xxh3_128(b),
                r.original_state == StoreState::Missing,
            )
        }
        None => (before_len, xxh3_128(bytes), false),
    };
    let restore_from = restored.map(|r| RestoreFrom {
        path: r.copy.path.clone(),
        source: r.copy.source,
        entries: r.copy.entries,
        replaces: if r.original_state == StoreState::Missing {
            "missing"
        } else {
            "invalid"
        },
        len: r.copy.size,
        hash: r.copy.hash,
    });
    let (added, added_edits) = rebuild::planned(agent, bytes, opts);
    match (&agent.store.state, &agent.store.doc) {
        (StoreState::Valid, Some(doc))
            if !edits.is_empty() || restored.is_some() || !added_edits.is_empty() =>
        {
            let mut splices = added;
            let mut out_edits = Vec::new();
            for (member, mut edit, ops) in edits {
                let m = &doc.members[member];
                let fields = m.fields.as_deref().unwrap_or(&[]);
                let (open, _) = m.braces.expect("edited entries are objects");
                let (sp, changes) = entry_splices(bytes, fields, open, &ops);
                splices.extend(sp);
                edit.changes = changes;
                out_edits.push(edit);
            }
            out_edits.extend(added_edits);
            let after = NewContent::Splices(normalize(splices));
            plan.indexes.push(IndexWrite {
                agent: agent.id.clone(),
                path: agent.store.path.clone(),
                rewrite_strict: false,
                edits: out_edits,
                before_len,
                before_hash,
                after,
                restore_from,
                before_missing,
            });
        }
        (StoreState::Json5Only { .. }, _) => {
            let text = String::from_utf8_lossy(bytes);
            if let Ok(serde_json::Value::Object(mut map)) =
                json5::from_str::<serde_json::Value>(&text)
            {
                let mut out_edits = Vec::new();
                for (_, mut edit, ops) in edits {
                    if let Some(serde_json::Value::Object(entry)) = map.get_mut(&edit.key) {
                        edit.changes = apply_ops_value(entry, &ops);
                    }
                    out_edits.push(edit);
                }
                let after =
                    NewContent::Whole(js_stringify(&serde_json::Value::Object(map)).into_bytes());
                plan.indexes.push(IndexWrite {
                    agent: agent.id.clone(),
                    path: agent.store.path.clone(),
                    rewrite_strict: true,
                    edits: out_edits,
                    before_len,
                    before_hash,
                    after,
                    restore_from: None,
                    before_missing: false,
                });
            }
        }
        (StoreState::Invalid { error }, _) => plan.left_alone.push(format!(
            "{}: cannot be parsed ({error}); never written. {}",
            agent.store.path.display(),
            restore_hint(agent, opts.now_ms)
        )),
        (StoreState::Missing, _) if !agent.index_copies.is_empty() => {
            plan.left_alone.push(format!(
                "{}: missing; {}",
                agent.store.path.display(),
                restore_hint(agent, opts.now_ms)
            ))
        }
        _ => {}
    }
}

/// Stale transcript locks (regular files only), after the index.
fn lock_removals(
    agent: &Agent,
    locks: &[LockReport],
    lock_files: &HashMap<String, &crate::state::LockFile>,
    plan: &mut Plan,
) {
    for l in locks {
        if l.agent != agent.id || !l.stale {
            continue;
        }
        let Some(&lock) = lock_files.get(&l.path) else {
            continue;
        };
        if lock.kind != crate::fsx::Kind::File {
            plan.left_alone
                .push(format!("{}: not a regular file; remove it by hand", l.path));
            continue;
        }
        if !l.removable {
            // The release's own boot keeps it (a live OpenClaw owner, a
            // payload grace): repair follows the release's safety rules.
            continue;
        }
        let Some(bytes) = &lock.bytes else {
            plan.left_alone.push(format!(
                "{}: could not be read (or is over 1 MiB), so it is not removed; the gateway removes it at boot",
                l.path
            ));
            continue;
        };
        let reasons: Vec<&str> = l.stale_reasons.iter().map(|r| r.as_str()).collect();
        plan.removals.push(FileRemoval {
            agent: agent.id.clone(),
            path: lock.path.clone(),
            what: "transcript lock",
            reason: format!(
                "stale: {}{}",
                reasons.join(", "),
                if l.names_next_gateway_pid && !l.removed_at_boot {
                    "; it names the pid the next gateway runs as (--gateway-pid), whose boot cleanup would keep it as its own"
                } else {
                    ""
                }
            ),
            bytes: bytes.clone(),
            identity: lock.identity,
        });
    }
}

/// Leftovers of interrupted index writes: temps, and the index locks the
/// analysis found stale.
fn leftover_removals(agent: &Agent, agent_report: &AgentReport, plan: &mut Plan) {
    for l in &agent.leftovers {
        if l.file_kind != crate::fsx::Kind::File {
            continue;
        }
        let Some(bytes) = &l.bytes else {
            // Never remove what could not be copied into the backup first.
            plan.left_alone.push(format!(
                "{}: could not be read, so it is not removed",
                l.path.display()
            ));
            continue;
        };
        // A temp that parses as a complete index may be the only intact
        // copy (the index is lost) or the newer state of an interrupted
        // write: only one that is torn, the index's own bytes, or an earlier
        // repair's unrenamed result beside a usable index goes.
        if agent.keeps_temp(l) {
            plan.left_alone.push(format!(
                "{}: a complete copy of the index, not the index's own bytes; never removed",
                l.path.display()
            ));
            continue;
        }
        let (what, ok) = match l.kind {
            rules::FileKind::StoreTemp => ("index temp file", true),
            rules::FileKind::StoreLock => (
                "index lock",
                agent_report.stale_store_locks.contains(&l.path),
            ),
            _ => ("", false),
        };
        if ok {
            plan.removals.push(FileRemoval {
                agent: agent.id.clone(),
                path: l.path.clone(),
                what,
                reason: "leftover of an interrupted index write".into(),
                bytes: bytes.clone(),
                identity: l.identity,
            });
        }
    }
}

/// The index `w` is computed from, if it is still as the plan read it; a
/// restore's is the copy it restores.
fn read_index(w: &IndexWrite) -> Option<Vec<u8>> {
    let source = w.restore_from.as_ref().map_or(&w.path, |r| &r.path);
    crate::fsx::read_regular(source, crate::state::MAX_INDEX_BYTES)
        .ok()
        .map(|(b, _)| b)
        .filter(|b| match &w.restore_from {
            Some(r) => r.is_copy(b),
            None => w.is_before(b),
        })
}

/// The number of lines before the cut and the bytes the cut removes, if the
/// transcript is still the file the plan read.
fn read_cut(c: &TranscriptCut) -> Option<(usize, Vec<u8>)> {
    use std::io::Read;
    let (f, meta) = crate::fsx::open_regular(&c.path).ok()?;
    if meta.len() != c.size {
        return None;
    }
    let mut head = std::io::BufReader::new(f).take(c.at);
    let mut lines = 0;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = head.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
    }
    let (tail, _, _) = crate::fsx::read_tail(&c.path, c.size - c.at).ok()?;
    Some((lines, tail))
}

/// What `markSessionFailed` does to an entry: `status: "failed"`,
/// `abortedLastRun: true`, `endedAt`/`updatedAt` now, and the pending
/// delivery fields dropped (`rules::MARK_FAILED_DROPS`).
fn end_ops(now_ms: i64) -> Vec<Op> {
    let now = now_ms.to_string();
    let mut ops = vec![
        Op::Set("status", "\"failed\"".into()),
        Op::Set("abortedLastRun", "true".into()),
        Op::Set("endedAt", now.clone()),
        Op::Set("updatedAt", now),
    ];
    ops.extend(
        rules::MARK_FAILED_DROPS
            .iter()
            .map(|f| Op::Remove((*f).into())),
    );
    ops
}

/// What `--restore-index` would do for a lost index, in words.
fn restore_hint(agent: &Agent, now_ms: i64) -> String {
    match agent.index_copies.first() {
        Some(c) => format!(
            "`sessfix repair --restore-index` would restore the intact copy {}",
            crate::analyze::describe_copy(c, now_ms)
        ),
        None => format!(
            "No intact copy was found: restore it from a backup; the transcripts in {} are intact",
            agent.sessions_dir.display()
        ),
    }
}
