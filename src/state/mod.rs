//! Reading a snapshot of the state: every fact later stages need, gathered once.
//!
//! Nothing here decides anything about the gateway's behaviour; `rules` does.
//! Reading never writes, never blocks on a FIFO, and never follows a symlink
//! out of the state dir.

pub mod config;
pub mod copies;
pub mod discover;
/// The `JSON.parse`-exact reader, now at the crate root; kept here so `state::json` paths work.
pub use crate::json;
pub mod proc_macos;
#[cfg(unix)]
pub mod proc_unix;
pub mod proc_windows;
pub mod process;
pub mod release;
pub mod sqlite;
pub mod sqlite_era;
pub mod stores;

use crate::fsx::{self, Identity, Kind};
use crate::rules::{self, FileKind, LockPayload, ProcState, SkipFields, TailRecord};
use process::Processes;
use std::path::{Path, PathBuf};

/// The largest index sessfix reads (real stores reach tens of MB).
pub const MAX_INDEX_BYTES: u64 = 1 << 30;
/// A lock file larger than this is not a lock payload the gateway wrote.
pub const MAX_LOCK_BYTES: u64 = 1 << 20;

/// What to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub state_dir: PathBuf,
    /// Only this agent.
    pub agent: Option<String>,
    /// Only this index (as `openclaw sessions --store`).
    pub store: Option<PathBuf>,
    /// Home, for the gateway's legacy transcript location.
    pub home: Option<PathBuf>,
    /// Where gateway singleton locks live (`os.tmpdir()`).
    pub tmp_dir: PathBuf,
    /// `OPENCLAW_CONFIG_PATH`, when set.
    pub config_path: Option<PathBuf>,
    /// Keep each index's bytes and member spans after reading it, as a plan
    /// needs; a report alone does not, and a scan of many agents then holds
    /// one index at a time per thread.
    pub keep_index: bool,
}

/// What is read of the state dir as a whole; its agents are handed over one at
/// a time by `read_each`.
#[derive(Debug)]
pub struct Snapshot {
    pub state_dir: PathBuf,
    pub real_state_dir: PathBuf,
    pub gateway: GatewayFacts,
    /// `openclaw.json`, as the gateway would load it.
    pub config: config::Config,
    /// Which OpenClaw release is installed and which last ran, as read
    /// (`release::read`, with the environment of this process).
    pub release: release::ReleaseFacts,
    /// The SQLite era's shared state (OpenClaw 2026.8.1+).
    pub sqlite: SqliteShared,
}

/// What the SQLite era keeps for the whole state dir.
#[derive(Debug)]
pub struct SqliteShared {
    /// `state/openclaw.sqlite`, when it exists and could be read.
    pub state_db: Option<sqlite_era::StateDb>,
    /// Why `state/openclaw.sqlite` could not be read, if it exists.
    pub state_db_problem: Option<Problem>,
    /// The legacy-import manifests.
    pub migration_runs: Vec<sqlite_era::MigrationRun>,
    /// What is known now of each pid `agent_database_leases` names (a
    /// `state_leases` row carries its own, `Lease::owner_state`).
    pub owners: std::collections::BTreeMap<u64, ProcState>,
    /// Processes with an SQLite file of this state dir open (`*.sqlite`,
    /// `-wal`, `-shm` under it), or why that cannot be established here.
    pub holders: Result<Vec<(u64, PathBuf)>, String>,
}

impl Default for SqliteShared {
    fn default() -> Self {
        SqliteShared {
            state_db: None,
            state_db_problem: None,
            migration_runs: Vec::new(),
            owners: Default::default(),
            holders: Ok(Vec::new()),
        }
    }
}

/// An SQLite file OpenClaw keeps: `*.sqlite` and its `-wal`/`-shm`/`-journal`.
fn is_sqlite_file(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal"]
        .iter()
        .any(|s| n.ends_with(s))
}

/// Read the SQLite era's shared state of `state_dir`, and the process facts
/// it needs.
pub fn read_sqlite_shared(
    state_dir: &Path,
    real_state_dir: &Path,
    procs: &dyn Processes,
) -> SqliteShared {
    let (state_db, state_db_problem) = match sqlite_era::read_state_db(state_dir, real_state_dir) {
        Ok(db) => (db, None),
        Err(message) => (
            None,
            Some(Problem {
                path: state_dir.join("state").join("openclaw.sqlite"),
                message,
            }),
        ),
    };
    let mut owners = std::collections::BTreeMap::new();
    let mut state_db = state_db;
    if let Some(db) = &mut state_db {
        let here = procs.hostname();
        for l in &mut db.leases {
            let Some(pid) = l.owner_pid else { continue };
            l.owner_state = Some(match (&l.owner_host, &here) {
                (Some(theirs), Some(ours)) if !theirs.eq_ignore_ascii_case(ours) => {
                    ProcState::Unknown {
                        why: format!(
                            "the lease names host {theirs}, and this is {ours}: its pid is not one of this host's"
                        ),
                    }
                }
                _ => procs.state(pid),
            });
        }
        for l in &db.agent_db_leases {
            owners
                .entry(l.owner_pid)
                .or_insert_with(|| procs.state(l.owner_pid));
        }
    }
    let holders = if state_db.is_some() || state_db_problem.is_some() {
        procs.holders(&|t: &Path| t.starts_with(real_state_dir) && is_sqlite_file(t))
    } else {
        Ok(Vec::new())
    };
    SqliteShared {
        state_db,
        state_db_problem,
        migration_runs: sqlite_era::read_migration_runs(state_dir),
        owners,
        holders,
    }
}

impl Snapshot {
    /// What the host says about the OpenClaw release (see `crate::release::select`).
    pub fn release_evidence(&self) -> crate::release::Evidence {
        let r = &self.release;
        crate::release::Evidence {
            installed: r
                .installed
                .iter()
                .map(|i| (i.version.clone(), i.package_dir.clone()))
                .collect(),
            state_db: r
                .state_db
                .clone()
                .map(|v| (v, self.state_dir.join("state").join("openclaw.sqlite"))),
            config_touched: r.config_touched.clone().zip(self.config.path.clone()),
        }
    }
}

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
    /// and `problems` names the file and what is wrong: the era is unknown.
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
    /// Entries joined with their transcript facts, in index order.
    pub sessions: Vec<Session>,
    /// Things that stopped part of this agent from being read.
    pub problems: Vec<Problem>,
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
    /// The agent database exists but could not be read; `problems` says why.
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
}

#[derive(Debug, Clone)]
pub struct Transcript {
    pub path: PathBuf,
    pub tail: Result<Tail, String>,
}

/// What recovery and repair need of a transcript's tail, reduced from its
/// lines when it is read (a scan of thousands of transcripts keeps no lines).
#[derive(Debug, Clone)]
pub struct Tail {
    pub size: u64,
    pub identity: Identity,
    /// The last messages of the active branch (`parseRecentTranscriptTailMessages`).
    pub messages: Vec<rules::TailMessage>,
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
}

/// A transcript's tail window as lines: what `read_tail` reduces.
#[derive(Debug, Clone)]
pub struct TailLines {
    pub size: u64,
    pub identity: Identity,
    /// Parsed records of the kept lines, in file order.
    pub records: Vec<TailRecord>,
    /// File offset where each record's line starts.
    pub offsets: Vec<u64>,
    pub torn_at: Option<u64>,
    pub last_line_exceeds_window: bool,
    pub last_record_is_last_line: bool,
}

impl From<TailLines> for Tail {
    fn from(l: TailLines) -> Tail {
        let restart_artifacts = rules::restart_artifact_count(&l.records);
        Tail {
            size: l.size,
            identity: l.identity,
            messages: rules::tail_messages(&l.records),
            restart_artifacts,
            artifacts_at: (restart_artifacts > 0)
                .then(|| l.offsets[l.offsets.len() - restart_artifacts]),
            has_records: !l.records.is_empty(),
            torn_at: l.torn_at,
            last_line_exceeds_window: l.last_line_exceeds_window,
            last_record_is_last_line: l.last_record_is_last_line,
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

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {message}")]
    Path { path: PathBuf, message: String },
}

fn perr(path: &Path, message: impl Into<String>) -> ReadError {
    ReadError::Path {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn check_state_dir(state_dir: &Path) -> Result<(), ReadError> {
    match std::fs::metadata(state_dir) {
        Err(e) => Err(perr(state_dir, describe_dir_err(&e, "state dir"))),
        Ok(m) if !m.is_dir() => Err(perr(state_dir, "the state dir is not a directory")),
        Ok(_) => Ok(()),
    }
}

/// Only the gateway's singleton lock for this state dir, for a check before
/// anything else. Fails as `read_each` does when the state dir cannot be used.
pub fn read_gateway(opts: &ReadOptions, procs: &dyn Processes) -> Result<GatewayFacts, ReadError> {
    check_state_dir(&opts.state_dir)?;
    Ok(discover::gateway_lock(opts, procs))
}

/// Read the state dir: `start` gets the snapshot (without agents) and makes
/// an accumulator, then `each` gets the agents in order. Agents are read in
/// parallel, one group of as many as there are threads at a time, so at most
/// that many are held unless `each` keeps them.
pub fn read_each<A>(
    opts: &ReadOptions,
    procs: &dyn Processes,
    start: impl FnOnce(&Snapshot) -> A,
    mut each: impl FnMut(&mut A, Agent),
) -> Result<(Snapshot, A), ReadError> {
    let state_dir = opts.state_dir.clone();
    check_state_dir(&state_dir)?;
    let real_state_dir = fsx::realpath_or_self(&state_dir);
    let (config, config_problems) = config::read_for(&state_dir, opts.config_path.as_deref());
    let targets = match &opts.store {
        Some(store) => vec![store_target(store)?],
        None => {
            let mut t = discover::agent_dirs(&state_dir, opts.agent.as_deref())?;
            let configured = stores::configured_targets(
                &config,
                &state_dir,
                opts.home.as_deref(),
                &t,
                opts.agent.as_deref(),
            );
            t.extend(configured);
            t
        }
    };
    let mut release = release::read(&state_dir, &config, &discover::Env::from_process());
    release.problems.splice(0..0, config_problems);
    let snap = Snapshot {
        gateway: discover::gateway_lock(opts, procs),
        sqlite: read_sqlite_shared(&state_dir, &real_state_dir, procs),
        config,
        state_dir,
        real_state_dir,
        release,
    };
    let default_agent = snap.config.default_agent();
    let ctx = AgentCtx {
        default_agent: &default_agent,
        real_state_dir: &snap.real_state_dir,
        state_dir: &snap.state_dir,
        home: opts.home.as_deref(),
        procs,
        keep_index: opts.keep_index,
    };
    let mut acc = start(&snap);
    for group in targets.chunks(threads()) {
        for agent in parallel_map(group, |t| read_agent(&ctx, t)) {
            each(&mut acc, agent);
        }
    }
    Ok((snap, acc))
}

fn describe_dir_err(e: &std::io::Error, what: &str) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("the {what} does not exist"),
        std::io::ErrorKind::PermissionDenied => {
            format!("the {what} cannot be read: permission denied")
        }
        _ => format!("the {what} cannot be read: {e}"),
    }
}

/// One unit to read: its id, sessions dir and index path.
#[derive(Debug, Clone)]
pub struct AgentTarget {
    pub id: String,
    /// `<state>/agents/<id>`, where the agent database is looked for; empty
    /// for a shared configured store (no agent database).
    pub agent_dir: PathBuf,
    pub sessions_dir: PathBuf,
    pub store_path: PathBuf,
    /// Set when the sessions dir must not be read (a link out of the state
    /// dir, a configured store whose location is unknown).
    pub refused: Option<String>,
    pub origin: StoreOrigin,
}

fn store_target(store: &Path) -> Result<AgentTarget, ReadError> {
    let abs = if store.is_absolute() {
        store.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| perr(store, e.to_string()))?
            .join(store)
    };
    let abs = fsx::normalize(&abs);
    let sessions_dir = abs
        .parent()
        .ok_or_else(|| perr(store, "has no parent directory"))?
        .to_path_buf();
    let agent_dir = sessions_dir.parent().unwrap_or(&sessions_dir).to_path_buf();
    let id = agent_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|_| {
            sessions_dir.file_name().is_some_and(|n| n == "sessions")
                && agent_dir
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "agents")
        });
    let origin = if id.is_some() && abs.file_name().is_some_and(|n| n == "sessions.json") {
        StoreOrigin::Default
    } else {
        StoreOrigin::Explicit
    };
    Ok(AgentTarget {
        id: id.unwrap_or_else(|| "main".into()),
        agent_dir,
        sessions_dir,
        store_path: abs,
        refused: None,
        origin,
    })
}

/// Map over items on up to `available_parallelism` threads, keeping order.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                slots.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item mapped"))
        .collect()
}

struct AgentCtx<'a> {
    state_dir: &'a Path,
    /// The config's default agent (the one the startup migration targets).
    default_agent: &'a str,
    real_state_dir: &'a Path,
    home: Option<&'a Path>,
    procs: &'a dyn Processes,
    keep_index: bool,
}

/// The agent database of `t`, if any: `Ok(None)` when there is no file.
fn read_agent_db(ctx: &AgentCtx, t: &AgentTarget) -> Result<Option<sqlite::AgentDb>, Problem> {
    if t.agent_dir.as_os_str().is_empty() {
        return Ok(None);
    }
    let path = t.agent_dir.join("agent").join("openclaw-agent.sqlite");
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    sqlite::read_agent_db(&path, ctx.real_state_dir, ctx.keep_index)
        .map(Some)
        .map_err(|message| Problem {
            message: format!(
                "{message}; sessfix cannot tell whether it is this agent's session store (OpenClaw 2026.8+) or only its auth/memory database (2026.6.5 to 2026.7.x)"
            ),
            path,
        })
}

fn read_agent(ctx: &AgentCtx, t: &AgentTarget) -> Agent {
    let (agent_db, db_problem) = match read_agent_db(ctx, t) {
        Ok(db) => (db, None),
        Err(p) => (None, Some(p)),
    };
    let sqlite = agent_db
        .as_ref()
        .filter(|db| db.session_tables)
        .map(|db| db.path.clone());
    let mut agent = Agent {
        id: t.id.clone(),
        origin: t.origin.clone(),
        sessions_dir: t.sessions_dir.clone(),
        real_sessions_dir: fsx::realpath_or_self(&t.sessions_dir),
        sqlite,
        era: match (&agent_db, &db_problem) {
            (_, Some(_)) => Era::Unknown,
            (Some(db), None) if db.session_tables => Era::Sqlite,
            _ => Era::File,
        },
        agent_db,
        store: Store {
            path: t.store_path.clone(),
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
        sessions: Vec::new(),
        problems: db_problem.into_iter().collect(),
        json5_salvage: false,
    };
    if let Some(why) = &t.refused {
        agent.store.state = StoreState::Unreadable { error: why.clone() };
        agent.problems.push(Problem {
            path: t.sessions_dir.clone(),
            message: why.clone(),
        });
        return agent;
    }
    read_dir_files(ctx, &mut agent);
    read_store(ctx, &mut agent);
    if matches!(agent.store.state, StoreState::Json5Only { .. })
        && agent.origin == StoreOrigin::Default
        && agent.id == ctx.default_agent
    {
        agent.json5_salvage = json5_salvage(ctx, &agent);
    }
    if agent.store.state == StoreState::Valid {
        let index = agent.store.bytes.as_deref();
        for l in &mut agent.leftovers {
            l.identical_to_index = l.complete && l.bytes.as_deref() == index;
        }
    }
    let (index_copies, restore) = copies::find(ctx, &agent, ctx.keep_index);
    let lost = copies::index_lost(&agent.store.state)
        && !(agent.store.state == StoreState::Missing && agent.transcript_names.is_empty());
    if lost && index_copies.is_empty() {
        agent.rebuild = copies::transcript_headers(&agent);
    }
    agent.index_copies = index_copies;
    agent.restore = restore.map(Box::new);
    if !ctx.keep_index {
        agent.store.bytes = None;
        agent.store.doc = None;
    }
    agent
}

fn read_dir_files(ctx: &AgentCtx, agent: &mut Agent) {
    let dir = &agent.sessions_dir;
    let walker = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if e.io_error()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
                    && e.depth() == 0
                {
                    return;
                }
                agent.problems.push(Problem {
                    path: e.path().unwrap_or(dir).to_path_buf(),
                    message: format!("cannot list: {e}"),
                });
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path().to_path_buf();
        let meta = std::fs::symlink_metadata(&path).ok();
        let kind = meta.as_ref().map_or(Kind::Other, fsx::kind_of);
        let identity = meta.as_ref().map(Identity::of);
        match rules::classify_file_name(&name) {
            FileKind::Transcript => agent.transcript_names.push(name),
            FileKind::TranscriptLock => {
                let (bytes, read_error) = match fsx::read_regular(&path, MAX_LOCK_BYTES) {
                    Ok((b, _)) => (Some(b), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                let payload = bytes
                    .as_deref()
                    .map(rules::parse_lock_payload)
                    .unwrap_or_default();
                let proc_state = payload.pid.map_or(ProcState::Dead, |p| ctx.procs.state(p));
                agent.locks.push(LockFile {
                    path,
                    name,
                    kind,
                    identity,
                    bytes,
                    payload,
                    proc_state,
                    read_error,
                });
            }
            k @ (FileKind::StoreLock | FileKind::StoreTemp) => {
                // A temp file is a (partial) copy of the index: as large.
                let limit = if k == FileKind::StoreTemp {
                    MAX_INDEX_BYTES
                } else {
                    MAX_LOCK_BYTES
                };
                let bytes = fsx::read_regular(&path, limit).ok().map(|(b, _)| b);
                let (pid, created_ms) = if k == FileKind::StoreLock {
                    store_lock_payload(bytes.as_deref())
                } else {
                    (None, None)
                };
                let complete = k == FileKind::StoreTemp
                    && bytes.as_deref().is_some_and(copies::is_complete_index);
                agent.leftovers.push(Leftover {
                    identical_to_index: false,
                    complete,
                    path,
                    kind: k,
                    file_kind: kind,
                    identity,
                    bytes,
                    proc_state: pid.map(|p| ctx.procs.state(p)),
                    pid,
                    created_ms,
                });
            }
            _ => {}
        }
    }
}

/// `sessions.json.lock` of older builds: `{pid, startedAt|createdAt}`.
fn store_lock_payload(bytes: Option<&[u8]>) -> (Option<u64>, Option<i64>) {
    let Some(v) = bytes.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) else {
        return (None, None);
    };
    let pid = v
        .get("pid")
        .and_then(serde_json::Value::as_u64)
        .filter(|&p| p > 0);
    let created = ["createdAt", "startedAt"]
        .iter()
        .find_map(|k| match v.get(*k)? {
            serde_json::Value::String(s) => rules::parse_js_date(s),
            serde_json::Value::Number(n) => n.as_f64().map(|f| f as i64),
            _ => None,
        });
    (pid, created)
}

/// Whether the startup state migration of 2026.6.9+ (`state-migrations-*.js`,
/// `detectLegacyStateMigrations`) fires on the default agent's JSON5-only
/// index, reading it with JSON5 and writing it back as strict JSON: when a
/// legacy `<state>/sessions/` holds `sessions.json` or a transcript, or an
/// entry's `sessionFile` is a stale legacy path (`resolveStaleLegacySessionFile`:
/// resolved against `<state>/sessions/` it is missing there, and the agent's
/// sessions dir holds a file of that name whose header names the entry's
/// session). Legacy key shapes, the third trigger, are not modelled.
fn json5_salvage(ctx: &AgentCtx, agent: &Agent) -> bool {
    let legacy_dir = ctx.state_dir.join("sessions");
    let legacy_entries: Vec<String> = std::fs::read_dir(&legacy_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if rules::legacy_sessions_dir_migrates(&legacy_entries) {
        return true;
    }
    agent.sessions.iter().any(|s| {
        let (Some(file), Some(id)) = (&s.session_file, &s.session_id) else {
            return false;
        };
        let legacy = fsx::normalize(&legacy_dir.join(file));
        if !legacy.starts_with(&legacy_dir) || legacy.exists() {
            return false;
        }
        let Some(name) = legacy.file_name() else {
            return false;
        };
        let target = agent.sessions_dir.join(name);
        let Ok(f) = std::fs::File::open(&target) else {
            return false;
        };
        let mut head = Vec::with_capacity(8192);
        if std::io::Read::read_to_end(&mut std::io::Read::take(f, 8192), &mut head).is_err() {
            return false;
        }
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        rules::header_names_session(first, &name.to_string_lossy(), id)
    })
}

fn read_store(ctx: &AgentCtx, agent: &mut Agent) {
    let path = agent.store.path.clone();
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            agent.store.state = StoreState::Unreadable {
                error: fsx::describe(&path, &e),
            };
            return;
        }
        Ok(m) if m.file_type().is_symlink() => {
            if !fsx::resolves_inside(&path, ctx.real_state_dir) {
                agent.store.state = StoreState::Unreadable {
                    error: "is a symbolic link that points outside the state dir; sessfix does not follow it".into(),
                };
                return;
            }
        }
        Ok(_) => {}
    }
    // Follow an in-state-dir link for reading; writes refuse links anyway.
    let real = fsx::realpath_or_self(&path);
    let (bytes, meta) = match fsx::read_regular(&real, MAX_INDEX_BYTES) {
        Ok(x) => x,
        Err(e) => {
            agent.store.state = StoreState::Unreadable {
                error: e.to_string(),
            };
            return;
        }
    };
    agent.store.identity = Some(Identity::of(&meta));
    match json::parse(&bytes) {
        Ok(json::Parsed::Object(doc)) => {
            agent.store.state = StoreState::Valid;
            agent.sessions = sessions_from_doc(&bytes, &doc);
            agent.store.doc = Some(doc);
        }
        Ok(json::Parsed::Other(kind)) => {
            agent.store.state = StoreState::Invalid {
                error: format!("the root is {}, not an object", kind.describe()),
            };
        }
        Err(strict) => {
            let lenient = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| json5::from_str::<serde_json::Value>(s).ok());
            match lenient {
                Some(serde_json::Value::Object(map)) => {
                    agent.store.state = StoreState::Json5Only {
                        error: strict.to_string(),
                    };
                    agent.sessions = sessions_from_value(&map);
                }
                _ => {
                    agent.store.state = StoreState::Invalid {
                        error: strict.to_string(),
                    };
                }
            }
        }
    }
    agent.store.bytes = Some(bytes);
    let real_dir = agent.real_sessions_dir.clone();
    for s in &mut agent.sessions {
        s.boot_key = crate::rules::boot_key(&s.key, &agent.id);
        attach_transcript(ctx, &real_dir, s);
    }
}

/// Read a raw field value as the types the rules need.
fn field<'a>(src: &'a [u8], fields: &[json::Member], name: &str) -> Option<&'a [u8]> {
    // The last occurrence wins, as in JSON.parse.
    fields
        .iter()
        .rev()
        .find(|f| f.key == name)
        .map(|f| &src[f.value_span.clone()])
}

fn as_str(raw: Option<&[u8]>) -> Option<String> {
    raw.filter(|r| r.first() == Some(&b'"'))
        .and_then(json::decode_string)
}

fn as_number(raw: Option<&[u8]>) -> Option<f64> {
    let r = raw?;
    if !matches!(r.first(), Some(b'-' | b'0'..=b'9')) {
        return None;
    }
    std::str::from_utf8(r).ok()?.parse::<f64>().ok()
}

fn as_bool(raw: Option<&[u8]>) -> Option<bool> {
    match raw? {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

fn sessions_from_doc(src: &[u8], doc: &json::ObjectDoc) -> Vec<Session> {
    let mut last_index = std::collections::HashMap::new();
    for (i, m) in doc.members.iter().enumerate() {
        last_index.insert(m.key.as_str(), i);
    }
    doc.members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let fields: &[json::Member] = m.fields.as_deref().unwrap_or(&[]);
            let f = |name| field(src, fields, name);
            let role = f("subagentRole").filter(|r| *r != b"null");
            Session {
                key: m.key.clone(),
                agent_id: rules::parse_agent_session_key(&m.key).map(|(a, _)| a),
                boot_key: String::new(),
                member: i,
                is_object: m.fields.is_some(),
                shadowed: last_index[m.key.as_str()] != i,
                session_id: as_str(f("sessionId")),
                status: as_str(f("status")),
                aborted_last_run: as_bool(f("abortedLastRun")),
                session_file: as_str(f("sessionFile")),
                skip: SkipFields {
                    spawn_depth: as_number(f("spawnDepth")),
                    subagent_role: role.map(|r| String::from_utf8_lossy(r).into_owned()),
                },
                updated_at: as_number(f("updatedAt")),
                transcript: None,
                lock_paths: Vec::new(),
                transcript_outside: false,
            }
        })
        .collect()
}

fn sessions_from_value(map: &serde_json::Map<String, serde_json::Value>) -> Vec<Session> {
    use serde_json::Value;
    map.iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let s = |n: &str| v.get(n).and_then(Value::as_str).map(str::to_string);
            Session {
                key: k.clone(),
                agent_id: rules::parse_agent_session_key(k).map(|(a, _)| a),
                boot_key: String::new(),
                member: i,
                is_object: v.is_object(),
                shadowed: false,
                session_id: s("sessionId"),
                status: s("status"),
                aborted_last_run: v.get("abortedLastRun").and_then(Value::as_bool),
                session_file: s("sessionFile"),
                skip: SkipFields {
                    spawn_depth: v.get("spawnDepth").and_then(Value::as_f64),
                    subagent_role: v
                        .get("subagentRole")
                        .filter(|r| !r.is_null())
                        .map(|r| r.to_string()),
                },
                updated_at: v.get("updatedAt").and_then(Value::as_f64),
                transcript: None,
                lock_paths: Vec::new(),
                transcript_outside: false,
            }
        })
        .collect()
}

/// `resolvePathWithinSessionsDir` (no explicit agent id, as recovery calls it).
fn resolve_within_sessions_dir(
    state_dir: &Path,
    real_base: &Path,
    candidate: &str,
) -> Option<PathBuf> {
    let trimmed = candidate.trim();
    if trimmed.is_empty() {
        return None;
    }
    let cand = Path::new(trimmed);
    let real_trimmed = if cand.is_absolute() {
        std::fs::canonicalize(cand).unwrap_or_else(|_| cand.to_path_buf())
    } else {
        cand.to_path_buf()
    };
    let normalized: String = if real_trimmed.is_absolute() {
        relative(real_base, &real_trimmed)
    } else {
        trimmed.to_string()
    };
    if normalized.starts_with("..") && real_trimmed.is_absolute() {
        if let Some(p) = agent_path_fallback(state_dir, real_base, &real_trimmed) {
            return Some(p);
        }
    }
    if normalized.is_empty() || normalized.starts_with("..") || Path::new(&normalized).is_absolute()
    {
        return None;
    }
    Some(fsx::normalize(&real_base.join(normalized)))
}

/// `path.relative(from, to)` for absolute paths.
fn relative(from: &Path, to: &Path) -> String {
    let (from, to) = (fsx::normalize(from), fsx::normalize(to));
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The agent fallbacks of `resolvePathWithinSessionsDir` for an absolute path
/// shaped `.../agents/<id>/sessions/...`.
fn agent_path_fallback(state_dir: &Path, real_base: &Path, p: &Path) -> Option<PathBuf> {
    let parts: Vec<String> = fsx::normalize(p)
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let si = parts.iter().rposition(|x| x == "sessions")?;
    if si < 2 || parts[si - 2] != "agents" {
        return None;
    }
    let agent = &parts[si - 1];
    if agent.is_empty() {
        return None;
    }
    let norm_agent = discover::normalize_agent_id(agent);
    let inside = |dir: PathBuf| -> Option<PathBuf> {
        let base = fsx::realpath_or_self(&dir);
        let real = fsx::realpath_or_self(p);
        let rel = relative(&base, &real);
        (!rel.is_empty() && !rel.starts_with("..")).then(|| base.join(rel))
    };
    // A sibling agent of this sessions dir, then the agent under the state dir.
    if real_base.file_name().is_some_and(|n| n == "sessions") {
        if let Some(agents) = real_base.parent().and_then(Path::parent) {
            if agents.file_name().is_some_and(|n| n == "agents") {
                if let Some(x) = inside(agents.join(&norm_agent).join("sessions")) {
                    return Some(x);
                }
            }
        }
    }
    if let Some(x) = inside(state_dir.join("agents").join(&norm_agent).join("sessions")) {
        return Some(x);
    }
    // Structural fallback: a moved or copied state dir.
    if norm_agent != agent.to_lowercase() || parts.len() != si + 2 {
        return None;
    }
    let file = &parts[si + 1];
    (file != "." && file != "..").then(|| fsx::normalize(p))
}

/// `classifySessionTranscriptCandidate`: a generated-id file name of another session.
fn session_file_is_stale(session_id: &str, session_file: &str) -> bool {
    let base = Path::new(session_file.trim())
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = base.strip_suffix(".jsonl") else {
        return false;
    };
    let generated = if let Some(i) = stem.find("-topic-").filter(|&i| i > 0) {
        Some(&stem[..i]).filter(|s| rules::looks_like_uuid(s))
    } else if let Some((_, rest)) = stem
        .split_once('_')
        .filter(|(ts, _)| ts.len() >= 11 && ts.as_bytes()[4] == b'-' && ts.as_bytes()[10] == b'T')
    {
        Some(rest).filter(|s| rules::looks_like_uuid(s))
    } else {
        Some(stem).filter(|s| rules::looks_like_uuid(s))
    };
    generated.is_some_and(|g| g != session_id)
}

/// `resolveSessionFilePath` with a sessions dir: the entry's `sessionFile`
/// inside it, else `<sessionId>.jsonl`.
fn resolve_session_file(
    state_dir: &Path,
    real_base: &Path,
    session_id: &str,
    session_file: Option<&str>,
) -> Option<PathBuf> {
    if let Some(c) = session_file.filter(|c| !c.trim().is_empty()) {
        if let Some(p) = resolve_within_sessions_dir(state_dir, real_base, c) {
            return Some(p);
        }
    }
    default_transcript(real_base, session_id)
}

/// `resolveSessionTranscriptPathInDir`.
fn default_transcript(real_base: &Path, session_id: &str) -> Option<PathBuf> {
    rules::is_safe_session_id(session_id)
        .then(|| real_base.join(format!("{}.jsonl", session_id.trim())))
}

fn attach_transcript(ctx: &AgentCtx, real_base: &Path, s: &mut Session) {
    let Some(sid) = s.session_id.clone() else {
        return;
    };
    let sf = s.session_file.as_deref().filter(|f| !f.trim().is_empty());
    let resolved = resolve_session_file(ctx.state_dir, real_base, &sid, sf);
    // Lock paths: `resolveEntryTranscriptLockPaths`.
    let mut locks: Vec<PathBuf> = Vec::new();
    for p in [resolved.clone(), default_transcript(real_base, &sid)]
        .into_iter()
        .flatten()
    {
        let l = PathBuf::from(format!("{}.lock", p.display()));
        if !locks.contains(&l) {
            locks.push(l);
        }
    }
    s.lock_paths = locks;
    // Candidates: `resolveSessionTranscriptCandidates` with a store path.
    let stale = sf.is_some_and(|f| session_file_is_stale(&sid, f));
    let mut candidates: Vec<PathBuf> = Vec::new();
    if sf.is_some() && !stale {
        candidates.extend(resolved.clone());
    }
    candidates.extend(default_transcript(real_base, &sid));
    if sf.is_some() && stale {
        candidates.extend(resolved);
    }
    if let Some(home) = ctx.home {
        candidates.extend(default_transcript(
            &home.join(".openclaw").join("sessions"),
            &sid,
        ));
    }
    let Some(found) = candidates
        .into_iter()
        .find(|p| std::fs::metadata(p).is_ok())
    else {
        return;
    };
    // The usual case, a file (not a link) right in the canonical sessions
    // dir, is its own real path: no need to resolve it again.
    let real = if found.parent() == Some(real_base)
        && std::fs::symlink_metadata(&found).is_ok_and(|m| !m.file_type().is_symlink())
    {
        found.clone()
    } else {
        fsx::realpath_or_self(&found)
    };
    s.transcript_outside = !real.starts_with(ctx.real_state_dir);
    let tail = read_tail_real(&real).map(Tail::from);
    s.transcript = Some(Transcript { path: found, tail });
}

/// Read a transcript's tail the way recovery does, plus what repair needs.
pub fn read_tail(path: &Path) -> Result<Tail, String> {
    read_tail_lines(path).map(Tail::from)
}

/// Read a transcript's tail window and parse its kept lines.
pub fn read_tail_lines(path: &Path) -> Result<TailLines, String> {
    read_tail_real(&fsx::realpath_or_self(path))
}

/// `read_tail_lines` of a path that is already real.
fn read_tail_real(real: &Path) -> Result<TailLines, String> {
    let (window, start, meta) =
        fsx::read_tail(real, rules::TAIL_MAX_BYTES).map_err(|e| e.to_string())?;
    let lines = rules::window_lines(&window, start > 0);
    let mut records = Vec::new();
    let mut offsets = Vec::new();
    let mut last_parsed_line = None;
    for (i, &(off, len)) in lines.iter().enumerate() {
        // As Node decodes it: lossily (valid UTF-8, the usual case, is borrowed).
        let bytes = &window[off..off + len];
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        if let Some(r) = rules::parse_tail_line(&text) {
            records.push(r);
            offsets.push(start + off as u64);
            last_parsed_line = Some(i);
        }
    }
    // A torn last line: the file does not end with a newline, and its last
    // line is not JSON.
    let mut torn_at = None;
    let ends_with_newline = window.last() == Some(&b'\n');
    let last_nl = window.iter().rposition(|&b| b == b'\n');
    let body = if ends_with_newline {
        &window[..window.len() - 1]
    } else {
        &window[..]
    };
    let last_line_exceeds_window = start > 0 && !body.contains(&b'\n');
    if !window.is_empty() && !ends_with_newline && !last_line_exceeds_window {
        let from = last_nl.map_or(0, |i| i + 1);
        let frag = &window[from..];
        if !frag.iter().all(u8::is_ascii_whitespace)
            && serde_json::from_slice::<serde_json::Value>(frag).is_err()
        {
            torn_at = Some(start + from as u64);
        }
    }
    let last_record_is_last_line = match (last_parsed_line, lines.len()) {
        (Some(i), n) if i + 1 == n => true,
        // A torn fragment after the last record does not count as a line.
        (Some(i), n) if i + 2 == n && torn_at.is_some() => true,
        _ => false,
    };
    Ok(TailLines {
        size: meta.len(),
        identity: Identity::of(&meta),
        records,
        offsets,
        torn_at,
        last_line_exceeds_window,
        last_record_is_last_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_session_file_classification() {
        let a = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";
        let b = "1b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";
        assert!(!session_file_is_stale(a, &format!("/x/{a}.jsonl")));
        assert!(session_file_is_stale(a, &format!("/x/{b}.jsonl")));
        assert!(session_file_is_stale(a, &format!("{b}-topic-7.jsonl")));
        assert!(!session_file_is_stale(a, "custom-name.jsonl"));
    }

    #[test]
    fn relative_paths_like_node() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c.jsonl")),
            "c.jsonl"
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/x/c.jsonl")),
            "../x/c.jsonl"
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), "");
    }

    #[test]
    fn session_file_resolution() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().canonicalize().unwrap();
        let sessions = state.join("agents/main/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let r = |c: &str| resolve_session_file(&state, &sessions, "s1", Some(c));
        assert_eq!(r("t.jsonl"), Some(sessions.join("t.jsonl")));
        assert_eq!(
            r(&sessions.join("t.jsonl").display().to_string()),
            Some(sessions.join("t.jsonl"))
        );
        // escapes fall back to <sessionId>.jsonl
        assert_eq!(r("../t.jsonl"), Some(sessions.join("s1.jsonl")));
        assert_eq!(r("/etc/passwd"), Some(sessions.join("s1.jsonl")));
        // a moved state dir: an old absolute path shaped like an agent sessions dir is used as is
        assert_eq!(
            r("/old/home/.openclaw/agents/main/sessions/t.jsonl"),
            Some(PathBuf::from(
                "/old/home/.openclaw/agents/main/sessions/t.jsonl"
            ))
        );
        // any canonical agent id qualifies (no agent id is passed by recovery)
        assert_eq!(
            r("/old/agents/ops/sessions/t.jsonl"),
            Some(PathBuf::from("/old/agents/ops/sessions/t.jsonl"))
        );
        // but not one nested deeper
        assert_eq!(
            r("/old/agents/main/sessions/sub/t.jsonl"),
            Some(sessions.join("s1.jsonl"))
        );
        // unsafe id and no usable sessionFile: nothing
        assert_eq!(resolve_session_file(&state, &sessions, "../x", None), None);
    }

    #[test]
    fn torn_last_line_and_offsets() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.jsonl");
        std::fs::write(
            &p,
            b"{\"type\":\"session\",\"id\":\"s\"}\n{\"a\":1}\n{\"b\":",
        )
        .unwrap();
        let t = read_tail_lines(&p).unwrap();
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.offsets, vec![0, 28]);
        assert_eq!(t.torn_at, Some(36));
        assert!(t.last_record_is_last_line);
        std::fs::write(&p, b"{\"a\":1}\n{\"b\":2}").unwrap();
        assert_eq!(
            read_tail(&p).unwrap().torn_at,
            None,
            "valid JSON without newline is not torn"
        );
    }

    #[test]
    fn last_line_longer_than_the_window() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.jsonl");
        let mut body = b"{\"type\":\"session\"}\n".to_vec();
        body.extend(format!("{{\"x\":\"{}\"}}\n", "y".repeat(300 * 1024)).into_bytes());
        std::fs::write(&p, &body).unwrap();
        let t = read_tail(&p).unwrap();
        assert!(!t.has_records, "the window holds only part of one line");
        assert!(t.last_line_exceeds_window);
        assert_eq!(t.torn_at, None);
    }
}
