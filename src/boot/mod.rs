//! What one release line's gateway does at its next start with one agent:
//! the store's fate, each row's fate and each lock's fate, as a pure function
//! of the line, the agent's snapshot and the clock.
//!
//! This is the only reader of the `LineRules` switches outside `rules/`:
//! `file.rs` for the file era (lock sweep, restart recovery), `sqlite.rs`
//! for the SQLite era (row verdicts, leases, the crash-loop breaker, the
//! startup import of a file-era store). It holds no finding text and no
//! report type: `analyze` words and merges what the boots decide.

pub mod file;
pub mod leases;
pub mod placement;
pub mod schema;
pub mod sqlite;

use crate::rules::{self, LineRules};
use crate::state::Agent;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What the boot is timed and told by: the clock and the operator's facts.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Now, in Unix ms.
    pub now_ms: i64,
    /// The configured lock stale threshold (ms): `--stale-ms` or
    /// `OPENCLAW_SESSION_WRITE_LOCK_STALE_MS` (the config's
    /// `session.writeLock.staleMs` is not read).
    /// A line whose sweep ignores it uses `rules::DEFAULT_STALE_MS`
    /// (`file::sweep_stale_ms`).
    pub stale_ms: u64,
    /// The next gateway's pid, when known (`--gateway-pid`).
    pub next_gateway: Option<rules::NextGateway>,
}

/// A row's next boot and why, in words the report shows (borrowed where
/// the words are fixed).
pub type Prediction = (NextBoot, std::borrow::Cow<'static, str>);

/// What the next boot does with a session (`nextBoot` in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum NextBoot {
    Resume,
    Fail,
    Stranded,
    Skip,
    Idle,
    Lost,
    /// The release is unknown and its lines disagree (see `nextBootByLine`).
    Unknown,
    /// SQLite era: restart recovery's budget is spent; the boot tombstones it.
    Tombstone,
    /// SQLite era: tombstoned; every turn on the key is rejected.
    Rejected,
    /// SQLite era: the row stops the whole gateway from starting.
    Halt,
}

impl NextBoot {
    pub fn as_str(self) -> &'static str {
        match self {
            NextBoot::Resume => "resume",
            NextBoot::Fail => "fail",
            NextBoot::Stranded => "stranded",
            NextBoot::Skip => "skip",
            NextBoot::Idle => "idle",
            NextBoot::Lost => "lost",
            NextBoot::Unknown => "unknown",
            NextBoot::Tombstone => "tombstone",
            NextBoot::Rejected => "rejected",
            NextBoot::Halt => "halt",
        }
    }
}

/// What a SQLite-era line's next start does with an agent's file-era
/// `sessions.json` (a file-era line reads it: `file::FileBoot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFate {
    /// No store: nothing to import.
    Absent,
    /// Imported into the agent database at startup, then recovered (2026.9.6).
    ImportedAtStart,
    /// The gateway does not start until it is imported (2026.8.x).
    RefusesToStart,
    /// The startup import cannot read it (it does not parse).
    CannotImport,
}

/// One line's next boot of one agent.
#[derive(Debug)]
pub enum AgentBoot<'a> {
    /// A file-era line reads the agent's files.
    File(file::FileBoot<'a>),
    /// A SQLite-era line meets a file-era store: its fate, and one
    /// prediction per entry of `agent.sessions` (`None` for a shadowed one,
    /// and for every entry when the store is not imported).
    FileStore {
        fate: StoreFate,
        rows: Vec<Option<Prediction>>,
    },
    /// A SQLite-era line reads the agent database: one fate per row, in
    /// table order.
    Sqlite(Vec<sqlite::SqliteRowFate>),
}

/// What `line`'s gateway does at its next start with `agent`. `None` when
/// that line's gateway never reads this agent's store (a SQLite agent on a
/// file-era line). `configured_agents`: the config's `agents.list` ids.
/// `halted`: where this line's boot cleanup stopped in earlier agents
/// (updated).
pub fn agent<'a>(
    line: &'static LineRules,
    agent: &'a Agent,
    clock: Clock,
    configured_agents: Option<&[String]>,
    halted: &mut Option<PathBuf>,
) -> Option<AgentBoot<'a>> {
    let tables = agent.agent_db.as_ref().and_then(|d| d.sessions.as_ref());
    match (agent.sqlite.is_some(), sqlite::is_sqlite_line(line)) {
        // The rows as read; a start refused on the databases' schemas is
        // `analyze::sqlite`'s (it knows the state database).
        (true, true) => Some(AgentBoot::Sqlite(sqlite::rows(
            tables.map_or(&[], |t| t.rows.as_slice()),
            line,
            None,
        ))),
        (true, false) => None,
        (false, true) => {
            let (fate, rows) = sqlite::file_store(agent, line);
            Some(AgentBoot::FileStore { fate, rows })
        }
        (false, false) => Some(AgentBoot::File(file::agent(
            line,
            agent,
            clock,
            configured_agents,
            halted,
        ))),
    }
}

/// A path as reports show it.
pub fn show(p: &Path) -> String {
    p.display().to_string()
}

/// The time from `then_ms` to `now_ms` in its largest whole unit: `42s`,
/// `5m`, `3h`, `2d` (never negative).
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let d = (now_ms - then_ms).max(0) / 1000;
    match d {
        0..=59 => format!("{d}s"),
        60..=3599 => format!("{}m", d / 60),
        3600..=86_399 => format!("{}h", d / 3600),
        _ => format!("{}d", d / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::lines::{self, L2026_7_1, L2026_8_1};
    use crate::state::testing::sqlite_row;

    /// `era`: a file-era line reads the files, a SQLite-era one the
    /// database (or imports the files); the same line without it does not.
    #[test]
    fn the_era_decides_whether_the_files_or_the_database_are_read() {
        let clock = Clock {
            now_ms: 0,
            stale_ms: rules::DEFAULT_STALE_MS,
            next_gateway: None,
        };
        let files = Agent::for_test("main");
        let db = Agent::for_test("main").with_sqlite_rows(vec![sqlite_row(
            "agent:main:x",
            Some("running"),
            r#"{"sessionId":"s1","status":"running","updatedAt":1}"#,
        )]);
        let boot = |line, a| agent(line, a, clock, None, &mut None);
        assert!(matches!(boot(&L2026_7_1, &files), Some(AgentBoot::File(_))));
        assert!(matches!(
            boot(&L2026_8_1, &files),
            Some(AgentBoot::FileStore { .. })
        ));
        assert!(boot(&L2026_7_1, &db).is_none());
        let Some(AgentBoot::Sqlite(rows)) = boot(&L2026_8_1, &db) else {
            panic!("a SQLite line reads the database")
        };
        assert_eq!(rows[0].next_boot, NextBoot::Resume);
        let file_era = Box::leak(Box::new(LineRules {
            era: lines::Era::File,
            ..L2026_8_1
        }));
        assert!(boot(file_era, &db).is_none());
    }
}
