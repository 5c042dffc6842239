//! The facts a snapshot holds: the gateway singleton lock's, and for each
//! agent its store, sessions, transcripts, lock files and leftovers.
//! Re-exported from [`crate::state`].

use super::{copies, sqlite};
use crate::fsx::{self, Identity, Kind};
use crate::json;
use crate::rules::{self, FileKind, LockPayload, ProcState, SkipFields, TailRecord};
use std::path::PathBuf;

/// A gateway singleton lock found for this state dir.
#[derive(Debug, Clone)]
pub struct GatewayFacts {
    pub lock_path: Option<PathBuf>,
    pub pid: Option<u64>,
    pub payload_starttime: Option<f64>,
    pub proc_state: Option<ProcState>,
    /// Places the lock may be that could not be read, and why: while any
    /// is, and no live lock was found, the gateway's liveness is unknown.
    pub unchecked: Vec<(PathBuf, String)>,
    /// Places the lock may be that could not be read but hold no live lock
    /// (no gateway process runs: `discover::settle_blocked`), and why.
    pub cleared: Vec<(PathBuf, String)>,
    /// No state dir is known (`--store` alone, outside any): nowhere to
    /// look for the lock (`ReadOptions::state_dir_unknown`).
    pub no_state_dir: bool,
}

/// Why a unit (an `Agent`) was read: which session store it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOrigin {
    /// `<state>/agents/<id>/sessions/sessions.json`, the store the gateway's
    /// boot lock cleanup and recovery visit.
    Default,
    /// A store named by `session.store` in `openclaw.json` that is not a
    /// default store (`stores::configured_targets`); `setting` is the value as
    /// written. The unit's id is the agent the `{agentId}` template was
    /// expanded for, or `stores::SHARED_STORE_ID` for a store shared by all
    /// agents.
    Configured { setting: String },
    /// The index given with `--store`.
    Explicit,
}

/// One session store and what was read of it: an agent's default store, a
/// configured store, or the `--store` index (`origin` says which).
#[derive(Debug)]
pub struct Agent {
    /// The agent id; for a shared configured store, `stores::SHARED_STORE_ID`.
    pub id: String,
    pub origin: StoreOrigin,
    pub sessions_dir: PathBuf,
    pub real_sessions_dir: PathBuf,
    /// `agents/<id>/agent/openclaw-agent.sqlite`, only when it is the session
    /// store: it exists and has session tables (`agent_db.session_tables`,
    /// OpenClaw 2026.8.1 and later). A file-era database (auth profiles and
    /// memory index only, 2026.6.5 to 2026.7.x) leaves this `None`.
    pub sqlite: Option<PathBuf>,
    /// What `agents/<id>/agent/openclaw-agent.sqlite` is, when it exists and
    /// could be read. When it exists but cannot be read (not SQLite, corrupt,
    /// unreadable, a WAL that cannot be read without writing), this is `None`
    /// and `db_problem` names the file and what is wrong: the era is unknown.
    pub agent_db: Option<sqlite::AgentDb>,
    /// Where this agent keeps its sessions, from the agent database's content.
    pub era: Era,
    pub store: Store,
    pub locks: Vec<LockFile>,
    /// Transcript file names present in the sessions dir.
    pub transcript_names: Vec<String>,
    /// `sessions.json.lock` and temp files of an interrupted index write.
    pub leftovers: Vec<Leftover>,
    /// Every file that parses as a complete copy of the index, best first
    /// (`copies::find`): complete temp files always; rotation and sessfix
    /// backups when the index is lost (missing, empty or unparseable).
    pub index_copies: Vec<copies::IndexCopy>,
    /// The best copy, parsed, when the index is lost and the read keeps
    /// indexes (a plan may restore it: `Agent::restore_index`).
    pub restore: Option<Box<copies::Prepared>>,
    /// When the index is lost and no intact copy exists: what each
    /// transcript's header tells, newest activity first.
    pub rebuild: Vec<copies::TranscriptHeader>,
    /// The transcripts no entry of a valid index uses
    /// (`unlisted_transcript_names`), with their headers and last records;
    /// empty unless the index is valid.
    pub unlisted: Vec<copies::UnlistedTranscript>,
    /// Entries joined with their transcript facts, in index order.
    pub sessions: Vec<Session>,
    /// Things that stopped part of this agent from being read.
    pub problems: Vec<Problem>,
    /// The agent database (`agent/openclaw-agent.sqlite`) exists but could
    /// not be read: the file and what is wrong (`era` is then `Unknown`).
    /// Kept apart from `problems`: a release that keeps sessions in
    /// `sessions.json` never reads sessions from it, and its store is still
    /// the one to repair.
    pub db_problem: Option<Problem>,
    /// The gateway's startup state migration (2026.6.9+) would read this
    /// JSON5-only index and rewrite it as strict JSON
    /// (`rules::startup_migration_salvages`).
    pub json5_salvage: bool,
}

/// Where an agent keeps its sessions, read from what is on disk (never from
/// a file's existence alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// No agent database, or one without session tables: `sessions.json`.
    File,
    /// The agent database has session tables (OpenClaw 2026.8.1 and later).
    Sqlite,
    /// The agent database exists but could not be read; `db_problem` says why.
    Unknown,
}

impl Era {
    pub fn name(self) -> &'static str {
        match self {
            Era::File => "file",
            Era::Sqlite => "sqlite",
            Era::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug)]
pub struct Store {
    pub path: PathBuf,
    pub state: StoreState,
    /// The file's bytes, when it was read.
    pub bytes: Option<Vec<u8>>,
    pub identity: Option<Identity>,
    pub doc: Option<json::ObjectDoc>,
    /// Set by `Agent::restore_index`: the content above is a copy's, and
    /// this is what the index file itself holds.
    pub restored: Option<Box<Restored>>,
}

/// The index file as read, when a copy's content stands in for it.
#[derive(Debug)]
pub struct Restored {
    pub copy: copies::IndexCopy,
    /// `Missing` or `Invalid`.
    pub original_state: StoreState,
    pub original_bytes: Option<Vec<u8>>,
    pub original_identity: Option<Identity>,
}

impl Agent {
    /// Agent `id` before anything of it is read: its store at `store_path`
    /// `Missing`, no locks, sessions, copies or problems, file era. The
    /// reader (`agent::read_agent`) and the test constructor fill it in.
    pub fn unread(
        id: String,
        origin: StoreOrigin,
        sessions_dir: PathBuf,
        real_sessions_dir: PathBuf,
        store_path: PathBuf,
    ) -> Agent {
        Agent {
            id,
            origin,
            sessions_dir,
            real_sessions_dir,
            sqlite: None,
            agent_db: None,
            era: Era::File,
            store: Store {
                path: store_path,
                state: StoreState::Missing,
                bytes: None,
                identity: None,
                doc: None,
                restored: None,
            },
            locks: Vec::new(),
            transcript_names: Vec::new(),
            leftovers: Vec::new(),
            index_copies: Vec::new(),
            restore: None,
            rebuild: Vec::new(),
            unlisted: Vec::new(),
            sessions: Vec::new(),
            problems: Vec::new(),
            db_problem: None,
            json5_salvage: false,
        }
    }

    /// The transcript names (in listing order) that no entry of the index
    /// uses: not an entry's transcript file, nor named by an entry's session
    /// id (`<id>.jsonl`, or a topic of it, `<id>-topic-<topic>.jsonl`).
    pub fn unlisted_transcript_names(&self) -> Vec<&str> {
        // Names as the listing gives them (lossily), borrowed when UTF-8.
        let used: std::collections::HashSet<std::borrow::Cow<str>> = self
            .sessions
            .iter()
            .filter_map(|s| s.transcript.as_ref())
            .filter_map(|t| t.path.file_name().map(|n| n.to_string_lossy()))
            .collect();
        let ids: std::collections::HashSet<&str> = self
            .sessions
            .iter()
            .filter_map(|s| s.session_id.as_deref())
            .collect();
        self.transcript_names
            .iter()
            .map(String::as_str)
            .filter(|name| {
                let stem = name.strip_suffix(".jsonl").unwrap_or(name);
                let base_id = stem.split("-topic-").next().unwrap_or(stem);
                !(used.contains(*name) || ids.contains(stem) || ids.contains(base_id))
            })
            .collect()
    }

    /// When the index's oldest entry (not shadowed) was last updated (epoch
    /// ms): the index holds nothing last active before it.
    pub fn oldest_entry_update(&self) -> Option<i64> {
        self.sessions
            .iter()
            .filter(|s| !s.shadowed)
            .filter_map(|s| s.updated_at)
            .map(|t| t as i64)
            .min()
    }

    /// The transcripts a rebuild of the index dropped
    /// (`rules::dropped_by_rebuild`), with when each was last active (epoch
    /// ms), in listing order; empty unless the index is usable.
    pub fn dropped_sessions(&self, now_ms: i64) -> Vec<(&copies::UnlistedTranscript, i64)> {
        if !self.index_usable() {
            return Vec::new();
        }
        let oldest = self.oldest_entry_update();
        self.unlisted
            .iter()
            .filter_map(|u| Some((u, u.last_active_ms()?)))
            .filter(|(u, last)| crate::rules::dropped_by_rebuild(&u.file, *last, oldest, now_ms))
            .collect()
    }

    /// Whether the index file holds the index as read: neither lost nor
    /// standing in for a copy (`restore_index`).
    pub fn index_usable(&self) -> bool {
        self.store.restored.is_none() && self.store.state == StoreState::Valid
    }

    /// Whether `l` is a temp file that parses as a complete index and that
    /// repair must keep: it may be the only intact copy (the index is not
    /// usable) or the newer state of a gateway's interrupted write. sessfix's
    /// own temp (`fsx::temp_name`) beside a usable index is
    /// not kept: it holds a repair's result computed from the index, which is
    /// still in place, with its backup taken before that temp was written.
    pub fn keeps_temp(&self, l: &Leftover) -> bool {
        l.kind == FileKind::StoreTemp
            && l.complete
            && !l.identical_to_index
            && !(self.index_usable() && l.sessfix_pid().is_some())
    }

    /// Put the best intact copy of a lost index in its place, so that
    /// analysis and the plan work on the content a restore brings back.
    /// Returns whether there was one.
    pub fn restore_index(&mut self) -> bool {
        let Some(p) = self.restore.take() else {
            return false;
        };
        let copies::Prepared {
            copy,
            bytes,
            doc,
            sessions,
        } = *p;
        let original_state = std::mem::replace(&mut self.store.state, StoreState::Valid);
        self.store.restored = Some(Box::new(Restored {
            original_identity: self.store.identity.take(),
            original_bytes: self.store.bytes.replace(bytes),
            original_state,
            copy,
        }));
        self.store.doc = Some(doc);
        self.sessions = sessions;
        self.json5_salvage = false;
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreState {
    Missing,
    /// Parses as the gateway parses it.
    Valid,
    /// `JSON.parse` fails but JSON5 parses it: the gateway loads `{}`.
    Json5Only {
        error: String,
    },
    /// Neither parses, or the root is not an object: the gateway loads `{}`.
    Invalid {
        error: String,
    },
    /// Could not be read at all (permissions, not a file, a link out).
    Unreadable {
        error: String,
    },
}

impl StoreState {
    pub fn name(&self) -> &'static str {
        match self {
            StoreState::Missing => "missing",
            StoreState::Valid => "valid",
            StoreState::Json5Only { .. } => "json5-only",
            StoreState::Invalid { .. } => "invalid",
            StoreState::Unreadable { .. } => "unreadable",
        }
    }

    /// The gateway will load this index as `{}` and overwrite it.
    pub fn will_be_wiped(&self) -> bool {
        matches!(
            self,
            StoreState::Json5Only { .. } | StoreState::Invalid { .. }
        )
    }
}

/// One index entry with what the rules need.
#[derive(Debug, Clone)]
pub struct Session {
    pub key: String,
    /// The agent the key names (`agent:<id>:...`, lower-cased, by
    /// `rules::parse_agent_session_key`); `None` for a key of another shape.
    /// In a shared store this, not the unit's id, says whose session it is.
    pub agent_id: Option<String>,
    /// The key recovery sees after the gateway's startup key migration
    /// (`rules::boot_key`).
    pub boot_key: String,
    /// Position among the index's members.
    pub member: usize,
    /// The value is a JSON object.
    pub is_object: bool,
    /// A later member has the same key (JSON.parse keeps the last).
    pub shadowed: bool,
    pub session_id: Option<String>,
    pub status: Option<String>,
    /// `abortedLastRun` when it is a boolean.
    pub aborted_last_run: Option<bool>,
    pub session_file: Option<String>,
    pub skip: SkipFields,
    pub updated_at: Option<f64>,
    /// The transcript recovery would read, and its tail.
    pub transcript: Option<Transcript>,
    /// Lock paths the gateway associates with this entry (canonical).
    pub lock_paths: Vec<PathBuf>,
    /// The `sessionFile` resolved outside the state dir.
    pub transcript_outside: bool,
    /// Where the row's replies go (`deliveryContext`, else `lastChannel`,
    /// `lastTo`, ...): read only for a row whose transcript ends with a
    /// resumed turn's reply (`Tail::resumed_reply`).
    pub reply_route: Option<Box<ReplyRoute>>,
}

/// Where a session's replies go: its entry's `deliveryContext` (2026.5.12
/// `SessionEntry`), or the `last*` fields before it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRoute {
    pub channel: Option<String>,
    pub to: Option<String>,
    pub account_id: Option<String>,
    pub thread_id: Option<String>,
}

impl ReplyRoute {
    /// The route of an entry (a JSON object), when it names a channel and a
    /// target.
    pub fn of_entry(entry: &serde_json::Value) -> Option<ReplyRoute> {
        let s = |v: Option<&serde_json::Value>| match v? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let dc = entry.get("deliveryContext");
        let pick = |inner: &str, last: &str| {
            s(dc.and_then(|d| d.get(inner))).or_else(|| s(entry.get(last)))
        };
        let route = ReplyRoute {
            channel: pick("channel", "lastChannel"),
            to: pick("to", "lastTo"),
            account_id: pick("accountId", "lastAccountId"),
            thread_id: pick("threadId", "lastThreadId"),
        };
        (route.channel.is_some() && route.to.is_some()).then_some(route)
    }
}

#[derive(Debug, Clone)]
pub struct Transcript {
    pub path: PathBuf,
    pub tail: Result<Tail, String>,
}

/// What recovery and repair need of a transcript's tail, reduced from its
/// lines when it is read (a scan of thousands of transcripts keeps no lines).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Tail {
    pub size: u64,
    pub identity: Identity,
    /// Of the last messages of the active branch
    /// (`parseRecentTranscriptTailMessages`), the one recovery decides by
    /// (`rules::resume_candidate`); `None` when none qualifies, or when the
    /// branch was not read. Only it is kept: a state of 100,000 sessions
    /// holds 100,000 tails.
    pub last_message: Option<rules::TailMessage>,
    /// The active branch was read, and `last_message` taken from it: done
    /// for a running row's transcript, the only one recovery reads. Of any
    /// other transcript only the last two records are parsed, which give
    /// every other field here.
    pub branch_read: bool,
    /// Trailing restart artifacts (`rules::restart_artifact_count`), and the
    /// file offset of the first of them.
    pub restart_artifacts: usize,
    pub artifacts_at: Option<u64>,
    /// At least one kept line parsed as a record.
    pub has_records: bool,
    /// File offset of a torn last line (no newline, not JSON).
    pub torn_at: Option<u64>,
    /// The window holds no complete line: the last line is longer than 256 KiB.
    pub last_line_exceeds_window: bool,
    /// The last non-blank line in the window is the last parsed record.
    pub last_record_is_last_line: bool,
    /// The last turn is one restart recovery resumed, answered
    /// (`rules::delivery::resumed_reply`).
    #[serde(default)]
    pub resumed_reply: Option<Box<rules::delivery::ResumedReply>>,
}

/// A transcript's tail window as lines: what `read_tail` reduces. Its
/// records borrow their ids from the window read.
#[derive(Debug, Clone)]
pub struct TailLines<'a> {
    pub size: u64,
    pub identity: Identity,
    /// Every kept line was parsed; else only the last two records were.
    pub branch_read: bool,
    /// Parsed records of the kept lines, in file order: all of them, or
    /// the last two.
    pub records: Vec<TailRecord<'a>>,
    /// File offset where each record's line starts.
    pub offsets: Vec<u64>,
    pub torn_at: Option<u64>,
    pub last_line_exceeds_window: bool,
    pub last_record_is_last_line: bool,
    pub resumed_reply: Option<Box<rules::delivery::ResumedReply>>,
}

impl Tail {
    /// What recovery decides a running row by: `last_message`, which was
    /// read for such a row (`rules::recovery_looks_at`), as a slice for
    /// `rules::resume_block_reason`.
    pub fn decides_by(&self) -> &[rules::TailMessage] {
        debug_assert!(
            self.branch_read,
            "a running row's tail is read to its branch"
        );
        self.last_message.as_slice()
    }
}

impl TailLines<'_> {
    /// The same lines, owning their records' strings.
    pub fn into_owned(self) -> TailLines<'static> {
        TailLines {
            records: self
                .records
                .into_iter()
                .map(TailRecord::into_owned)
                .collect(),
            branch_read: self.branch_read,
            size: self.size,
            identity: self.identity,
            offsets: self.offsets,
            torn_at: self.torn_at,
            last_line_exceeds_window: self.last_line_exceeds_window,
            last_record_is_last_line: self.last_record_is_last_line,
            resumed_reply: self.resumed_reply,
        }
    }
}

impl From<TailLines<'_>> for Tail {
    fn from(l: TailLines<'_>) -> Tail {
        let restart_artifacts = rules::restart_artifact_count(&l.records);
        Tail {
            size: l.size,
            identity: l.identity,
            last_message: l
                .branch_read
                .then(|| rules::last_message(&l.records).cloned())
                .flatten(),
            branch_read: l.branch_read,
            restart_artifacts,
            artifacts_at: (restart_artifacts > 0)
                .then(|| l.offsets[l.offsets.len() - restart_artifacts]),
            has_records: !l.records.is_empty(),
            torn_at: l.torn_at,
            last_line_exceeds_window: l.last_line_exceeds_window,
            last_record_is_last_line: l.last_record_is_last_line,
            resumed_reply: l.resumed_reply,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LockFile {
    pub path: PathBuf,
    pub name: String,
    pub kind: Kind,
    pub identity: Option<Identity>,
    pub bytes: Option<Vec<u8>>,
    pub payload: LockPayload,
    pub proc_state: ProcState,
    pub read_error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Leftover {
    pub path: PathBuf,
    pub kind: FileKind,
    pub file_kind: Kind,
    pub identity: Option<Identity>,
    pub bytes: Option<Vec<u8>>,
    /// For a temp file: it parses as a complete index (strict JSON, object
    /// root), so it may be the only intact copy of the index.
    pub complete: bool,
    /// For a temp file: byte-identical to the index, which is valid.
    pub identical_to_index: bool,
    /// For `sessions.json.lock`: its pid's state.
    pub proc_state: Option<ProcState>,
    pub pid: Option<u64>,
    pub created_ms: Option<i64>,
}

impl Leftover {
    /// For sessfix's own temp file of the index (`fsx::temp_name`): the pid
    /// in its name.
    pub fn sessfix_pid(&self) -> Option<u32> {
        let name = self.path.file_name()?.to_str()?;
        (self.kind == FileKind::StoreTemp)
            .then(|| fsx::temp_pid(name, "sessions.json"))
            .flatten()
    }
}
