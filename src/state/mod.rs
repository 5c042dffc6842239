//! Reading a snapshot of the state: every fact later stages need, gathered once.
//!
//! Nothing here decides anything about the gateway's behaviour; `rules` does.
//! Reading never writes, never blocks on a FIFO, and never follows a symlink
//! out of the state dir.

mod agent;
pub mod config;
pub mod copies;
pub mod delivery;
pub mod discover;
mod entry_parse;
mod facts;
pub mod gateway_lock;
/// The `JSON.parse`-exact reader, now at the crate root; kept here so `state::json` paths work.
pub use crate::json;
mod proc_fs;
pub mod proc_macos;
#[cfg(unix)]
pub mod proc_unix;
pub mod proc_windows;
pub mod process;
pub mod release;
pub mod sqlite;
pub mod sqlite_era;
pub mod stores;
mod tail_cache;
#[cfg(test)]
pub mod testing;
mod transcripts;

use agent::{read_agent, sessions_from_doc};
pub use facts::*;
pub use tail_cache::TailCache;
use transcripts::{attach_transcript, default_transcript, resolve_session_file};
pub use transcripts::{read_tail, read_tail_lines};

use crate::fsx;
use crate::rules::ProcState;
use process::{Held, Processes};
use rayon::prelude::*;
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
    /// The SQLite session rows a plan may edit (`--untombstone KEY`,
    /// `--resume KEY`): only these keep their `entry_json` after reading
    /// (on 2026.9.6, 14 KB a row).
    pub sqlite_edit_keys: Vec<String>,
    /// Tails read before, reused for transcripts that did not change since.
    pub tails: Option<std::sync::Arc<TailCache>>,
    /// Why no state dir is known, when none is (`--store` alone, its index
    /// outside `<state>/agents/<id>/sessions/`): `state_dir` is then the
    /// index's own dir, which holds none of a state dir's files, and the
    /// gateway's liveness is unknown for this reason (`gateway_lock`).
    pub state_dir_unknown: Option<String>,
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
    /// The queue files (`delivery-queue/`, `session-delivery-queue/`); the
    /// queue rows are `sqlite.state_db`'s.
    pub queues: delivery::Queues,
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

/// The SQLite files OpenClaw keeps in `real_state_dir` (`state/` and each
/// `agents/<id>/agent/`; regular files only, links not followed), and the
/// uids that own them (Unix; none elsewhere).
fn sqlite_files(real_state_dir: &Path) -> (Vec<PathBuf>, Vec<u32>) {
    let mut dirs = vec![real_state_dir.join("state")];
    if let Ok(rd) = std::fs::read_dir(real_state_dir.join("agents")) {
        dirs.extend(rd.flatten().map(|a| a.path().join("agent")));
    }
    let mut files = Vec::new();
    let mut owners = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if !m.is_file() || !is_sqlite_file(&p) {
                continue;
            }
            #[cfg(unix)]
            owners.push(std::os::unix::fs::MetadataExt::uid(&m));
            files.push(p);
        }
    }
    files.sort();
    owners.sort_unstable();
    owners.dedup();
    (files, owners)
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
        let wanted = |t: &Path| t.starts_with(real_state_dir) && is_sqlite_file(t);
        let (files, owners) = sqlite_files(real_state_dir);
        procs.holders(&Held {
            wanted: &wanted,
            files: &files,
            owners: &owners,
        })
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
/// parallel (rayon's pool: a thread per CPU, `RAYON_NUM_THREADS`), one group
/// of as many as there are threads at a time, so at most that many are held
/// unless `each` keeps them; an agent's transcripts are read in parallel too.
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
        queues: delivery::read_files(&state_dir),
        config,
        state_dir,
        real_state_dir,
        release,
    };
    let default_agent = snap.config.default_agent();
    let listed_agents = snap.config.agents();
    let system_agent = snap
        .config
        .get_str("agents.defaults.systemAgent.agentId")
        .map(discover::normalize_agent_id);
    let ctx = AgentCtx {
        default_agent: &default_agent,
        listed_agents: listed_agents.as_deref(),
        system_agent: system_agent.as_deref(),
        real_state_dir: &snap.real_state_dir,
        state_dir: &snap.state_dir,
        home: opts.home.as_deref(),
        procs,
        keep_index: opts.keep_index,
        sqlite_edit_keys: &opts.sqlite_edit_keys,
        tails: opts.tails.as_deref(),
    };
    let mut acc = start(&snap);
    let sizes: Vec<u64> = targets
        .iter()
        .map(|t| std::fs::metadata(&t.store_path).map_or(0, |m| m.len()))
        .collect();
    let read_group = |group: &std::ops::Range<usize>| -> Vec<Agent> {
        let agents = targets[group.clone()]
            .par_iter()
            .map(|t| read_agent(&ctx, t))
            .collect();
        // The kept tails read back for this group are not needed again.
        if let Some(t) = ctx.tails {
            t.forget_loaded();
        }
        agents
    };
    let groups = groups(&sizes, rayon::current_num_threads(), IN_FLIGHT_INDEX_BYTES);
    let bytes = |g: &std::ops::Range<usize>| sizes[g.clone()].iter().sum::<u64>();
    std::thread::scope(|s| {
        let mut read = groups.first().map(read_group);
        for (i, group) in groups.iter().enumerate() {
            let agents = read.take().unwrap_or_default();
            // The next group is read while this one is handed to `each`
            // when both together keep to the budget of index bytes.
            let next = groups.get(i + 1);
            let ahead = next
                .filter(|n| bytes(group).saturating_add(bytes(n)) <= IN_FLIGHT_INDEX_BYTES)
                .map(|n| s.spawn(|| read_group(n)));
            for agent in agents {
                each(&mut acc, agent);
            }
            read = match ahead {
                Some(h) => Some(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
                None => next.map(read_group),
            };
        }
    });
    Ok((snap, acc))
}

/// How many bytes of indexes are read at once or waiting to be handed to
/// `each`, at most (unless one index alone is bigger): 16 MiB. Many small
/// agents are read side by side, and the next of them while the last are
/// analysed; a big index is read alone (its transcripts still in parallel),
/// so that the peak stays near what one index costs.
pub const IN_FLIGHT_INDEX_BYTES: u64 = 16 << 20;

/// The agents read together, in order: runs of consecutive agents, each of
/// at most `threads` agents whose index `sizes` sum to at most `budget`
/// (always at least one agent).
pub fn groups(sizes: &[u64], threads: usize, budget: u64) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut sum = 0u64;
    for (i, &size) in sizes.iter().enumerate() {
        let full = i - start >= threads.max(1) || sum.saturating_add(size) > budget;
        if i > start && full {
            out.push(start..i);
            start = i;
            sum = 0;
        }
        sum = sum.saturating_add(size);
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
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

struct AgentCtx<'a> {
    state_dir: &'a Path,
    /// The config's default agent (the one the startup migration targets).
    default_agent: &'a str,
    /// The config's `agents.list` ids; `None` without a list.
    listed_agents: Option<&'a [String]>,
    /// `agents.defaults.systemAgent.agentId`, normalised.
    system_agent: Option<&'a str>,
    real_state_dir: &'a Path,
    home: Option<&'a Path>,
    procs: &'a dyn Processes,
    keep_index: bool,
    sqlite_edit_keys: &'a [String],
    tails: Option<&'a TailCache>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn agents_are_read_together_within_the_thread_count_and_the_byte_budget() {
        let g = |sizes: &[u64], threads| super::groups(sizes, threads, 10);
        assert_eq!(g(&[1, 1, 1, 1, 1], 2), [0..2, 2..4, 4..5]);
        assert_eq!(g(&[6, 6, 3, 3, 3, 1], 4), [0..1, 1..3, 3..6]);
        // An index over the budget is read alone, never skipped.
        assert_eq!(g(&[50, 1, 50], 8), [0..1, 1..2, 2..3]);
        assert_eq!(g(&[], 2), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(g(&[1, 1], 0), [0..1, 1..2]);
    }
}
