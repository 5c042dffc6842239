//! In-memory agents for unit tests: `Agent::for_test` and builders for its
//! sessions, locks, origin, store state and SQLite rows, so a rule that
//! reads an agent (`boot`, `analyze`) can be tested without a state dir.
//! Compiled for tests only; nothing here reads or writes a file, and
//! nothing here is how discovery builds an agent (`discover.rs` is).

use super::sqlite::AgentDb;
use super::sqlite_era::{parse_entry, SessionRow, SessionTables, WindowRow};
use super::{Agent, Era, LockFile, Session, StoreOrigin, StoreState, Tail, Transcript};
use crate::fsx::{Identity, Kind};
use crate::rules::{LockPayload, ProcState, SkipFields, TailMessage};
use std::path::PathBuf;

/// The state dir every test agent lives under.
pub const STATE_DIR: &str = "/state";

/// A file identity of `size` bytes last modified at `mtime_ms` (Unix ms).
pub fn identity(size: u64, mtime_ms: i64) -> Identity {
    let ns = i128::from(mtime_ms) * 1_000_000;
    #[cfg(unix)]
    return Identity {
        dev: 1,
        ino: 1,
        size,
        mtime_ns: ns,
        ctime_ns: ns,
    };
    #[cfg(windows)]
    return Identity {
        size,
        mtime_ns: ns,
        created_ns: ns,
    };
}

impl Agent {
    /// A file-era agent `id` with an empty, valid default store under
    /// `STATE_DIR`, no locks, no problems.
    pub fn for_test(id: &str) -> Agent {
        let dir = PathBuf::from(STATE_DIR)
            .join("agents")
            .join(id)
            .join("sessions");
        let mut agent = Agent::unread(
            id.into(),
            StoreOrigin::Default,
            dir.clone(),
            dir.clone(),
            dir.join("sessions.json"),
        );
        agent.store.state = StoreState::Valid;
        agent
    }

    /// Where the store comes from (default, configured, `--store`).
    pub fn with_origin(mut self, origin: StoreOrigin) -> Agent {
        self.origin = origin;
        self
    }

    /// The store's parse state.
    pub fn with_store_state(mut self, state: StoreState) -> Agent {
        self.store.state = state;
        self
    }

    /// The startup state migration would salvage this JSON5-only index.
    pub fn with_json5_salvage(mut self) -> Agent {
        self.json5_salvage = true;
        self
    }

    /// One more index entry (its transcript name is listed when it has one).
    pub fn with_session(mut self, mut s: Session) -> Agent {
        s.member = self.sessions.len();
        if let Some(t) = &mut s.transcript {
            t.path = self
                .sessions_dir
                .join(t.path.file_name().unwrap_or_default());
            self.transcript_names.push(
                t.path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into(),
            );
        }
        self.sessions.push(s);
        self
    }

    /// One more lock in the sessions dir; the last session added whose
    /// transcript is `<name minus .lock>` owns it.
    pub fn with_lock(mut self, lock: LockFile) -> Agent {
        let mut lock = lock;
        lock.path = self.sessions_dir.join(&lock.name);
        let canonical = self.real_sessions_dir.join(&lock.name);
        let transcript = lock.name.trim_end_matches(".lock").to_string();
        for s in self.sessions.iter_mut().rev() {
            let named = s
                .transcript
                .as_ref()
                .is_some_and(|t| t.path.file_name().is_some_and(|n| *n == *transcript));
            if named {
                s.lock_paths.push(canonical);
                break;
            }
        }
        self.locks.push(lock);
        self
    }

    /// A SQLite-era agent whose database holds `rows` (schema 23, 2026.9.6),
    /// and no file-era store.
    pub fn with_sqlite_rows(mut self, rows: Vec<SessionRow>) -> Agent {
        let path = self
            .sessions_dir
            .with_file_name("agent")
            .join("openclaw-agent.sqlite");
        self.sqlite = Some(path.clone());
        self.era = Era::Sqlite;
        self.store.state = StoreState::Missing;
        self.agent_db = Some(AgentDb {
            path,
            schema_version: Some(23),
            session_tables: true,
            sessions: Some(SessionTables {
                user_version: 23,
                app_version: Some("2026.9.6".into()),
                rows,
                pending_input_columns: None,
                session_node_indexes: Vec::new(),
            }),
            owner: Some(self.id.clone()),
            misplaced: None,
        });
        self
    }
}

impl Session {
    /// An idle main session `agent:main:<name>` with session id `name` and
    /// no transcript.
    pub fn for_test(name: &str) -> Session {
        let key = format!("agent:main:{name}");
        Session {
            boot_key: key.clone(),
            agent_id: Some("main".into()),
            key,
            member: 0,
            is_object: true,
            shadowed: false,
            session_id: Some(name.into()),
            status: Some("done".into()),
            aborted_last_run: None,
            session_file: None,
            skip: SkipFields::default(),
            updated_at: None,
            transcript: None,
            lock_paths: Vec::new(),
            transcript_outside: false,
            reply_route: None,
        }
    }

    /// `status: "running"`, `abortedLastRun` as given.
    pub fn running(mut self, aborted_last_run: Option<bool>) -> Session {
        self.status = Some("running".into());
        self.aborted_last_run = aborted_last_run;
        self
    }

    /// A transcript `<session id>.jsonl` whose tail holds messages with
    /// these roles, oldest first (`"user"` last: resumable).
    pub fn with_transcript(mut self, roles: &[&str]) -> Session {
        let name = format!("{}.jsonl", self.session_id.as_deref().unwrap_or("s"));
        self.transcript = Some(Transcript {
            path: PathBuf::from(name),
            tail: Ok(Tail {
                size: 100,
                identity: identity(100, 0),
                last_message: crate::rules::resume_candidate(
                    &roles
                        .iter()
                        .map(|r| TailMessage {
                            role: Some(TailMessage::role_of(r)),
                            approval_pending: false,
                            compaction: false,
                        })
                        .collect::<Vec<_>>(),
                )
                .cloned(),
                branch_read: true,
                restart_artifacts: 0,
                artifacts_at: None,
                has_records: true,
                torn_at: None,
                last_line_exceeds_window: false,
                last_record_is_last_line: true,
                resumed_reply: None,
            }),
        });
        self
    }

    /// The key names agent `id` (`agent:<id>:...`).
    pub fn of_agent(mut self, id: &str) -> Session {
        let rest = self.key.splitn(3, ':').nth(2).unwrap_or("x").to_string();
        self.key = format!("agent:{id}:{rest}");
        self.boot_key = self.key.clone();
        self.agent_id = Some(id.into());
        self
    }
}

impl LockFile {
    /// A regular lock file `name` naming `pid`, created at `created_ms`
    /// (Unix ms, also its mtime), whose process is `proc_state`.
    pub fn for_test(name: &str, pid: u64, created_ms: i64, proc_state: ProcState) -> LockFile {
        let created = chrono::DateTime::from_timestamp_millis(created_ms)
            .unwrap_or_default()
            .to_rfc3339();
        LockFile {
            path: PathBuf::from(name),
            name: name.into(),
            kind: Kind::File,
            identity: Some(identity(40, created_ms)),
            bytes: None,
            payload: LockPayload {
                pid: Some(pid),
                created_at: Some(created),
                starttime: None,
                parsed: true,
            },
            proc_state,
            read_error: None,
        }
    }
}

/// A live OpenClaw process, as a lock's owner.
pub fn live_openclaw() -> ProcState {
    ProcState::Alive {
        starttime: None,
        argv: Some(vec!["openclaw".into(), "gateway".into(), "run".into()]),
    }
}

/// A `session_nodes` row `key` with its status column and `entry_json`,
/// consistent with each other unless the caller says otherwise.
pub fn sqlite_row(key: &str, status: Option<&str>, entry: &str) -> SessionRow {
    let parsed = parse_entry(entry);
    let updated = parsed
        .as_ref()
        .ok()
        .and_then(|e| e.updated_at.as_ref())
        .and_then(serde_json::Number::as_i64);
    SessionRow {
        key: key.into(),
        current_session_id: "s1".into(),
        entry_valid: Some(1),
        updated_at: updated,
        status: status.map(str::to_string),
        entry: parsed,
        raw_entry: None,
        entry_json_empty: entry == "{}",
        window: Some(WindowRow {
            session_key: Some(key.into()),
            status: status.map(str::to_string),
            updated_at: updated,
            ended_at: None,
        }),
    }
}
