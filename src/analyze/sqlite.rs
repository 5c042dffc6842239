//! The SQLite era's part of the report: each session row's `nextBoot`
//! (`boot::sqlite`) and its findings; the state database's part is
//! `analyze::state_db`. Pure: the snapshot already holds every fact.

use super::lines::{merge_lines, LineFindings};
use super::{show, Finding, Kind, NextBoot, Remedy, SessionReport, Severity};
use crate::boot::sqlite::{self as rs, RowVerdict, SqliteRowFate};
use crate::rules::{LineRules, LineSet};
use crate::state::sqlite::Misplaced;
use crate::state::sqlite_era::SessionRow;
use crate::state::sqlite_era::SessionTables;
use crate::state::{Agent, Session};
use crate::text::Shell;
use std::path::Path;

/// What an agent's databases are judged against when the release starting
/// the state is not the one that last used it (`Release::from_the_state`).
#[derive(Debug, Clone, Copy)]
pub struct Skew {
    /// The state database's `user_version`, when there is one.
    pub state_schema: Option<i64>,
}

/// The rows and findings of one SQLite-era agent, as each of `lines` (the
/// SQLite-era lines predicted for) boots it; rows where they disagree carry
/// each line's prediction, findings seen on only some lines say which.
/// `skew`: what the databases are judged against, when the release is not
/// the one that last used the state.
pub fn agent(
    agent: &Agent,
    tables: &SessionTables,
    db_path: &Path,
    lines: &[&'static LineRules],
    skew: Option<Skew>,
    sessions: &mut Vec<SessionReport>,
    findings: &mut Vec<Finding>,
) {
    let path = Some(show(db_path));
    if tables.user_version > rs::NEWEST_AGENT_SCHEMA {
        findings.push(Finding {
            kind: Kind::SqliteSchemaNewer,
            severity: Severity::Warning,
            agent: Some(agent.id.clone()),
            key: None,
            path: path.clone(),
            message: format!(
                "agent {}'s database has schema {} (sessfix knows up to {}, OpenClaw 2026.9.6): predictions follow 2026.9.6's rules and may be wrong",
                agent.id,
                tables.user_version,
                rs::NEWEST_AGENT_SCHEMA
            ),
            fix: "update sessfix; until then it edits nothing in this database".into(),
        });
    }
    let newer = tables.user_version > rs::NEWEST_AGENT_SCHEMA;
    let misplaced = agent.agent_db.as_ref().and_then(|db| db.misplaced.as_ref());
    let placed: Vec<Option<RowVerdict>> = lines
        .iter()
        .map(|l| misplaced.and_then(|m| crate::boot::placement::verdict(l, &agent.id, m)))
        .collect();
    let wholes: Vec<Option<RowVerdict>> = lines
        .iter()
        .zip(&placed)
        .map(|(l, p)| {
            p.clone()
                .or_else(|| skew.and_then(|s| rs::database_verdict(l, s.state_schema, tables)))
        })
        .collect();
    let fates: Vec<Vec<SqliteRowFate>> = lines
        .iter()
        .zip(&wholes)
        .map(|(l, w)| rs::rows(&tables.rows, l, w.as_ref()))
        .collect();
    let mut per_line = LineFindings::new(
        lines
            .iter()
            .fold(LineSet::EMPTY, |set, l| LineSet(set.0 | LineSet::one(l).0)),
    );
    if let Some(m) = misplaced {
        for (line, p) in lines.iter().zip(&placed) {
            per_line.add(
                LineSet::one(line),
                misplaced_finding(agent, m, p.as_ref(), &path),
            );
        }
    }
    // Where the line checks the database's place, that decides it (its
    // finding is above); otherwise what decides it is said below.
    let decided = lines.iter().zip(&wholes).zip(&placed);
    for ((line, whole), _) in decided.filter(|(_, p)| p.is_none()) {
        // One finding for what decides the database on this line: its own
        // schema newer, else its shape (unless the state database is newer:
        // its finding is the state database's), else a migration it needs.
        let state_newer = skew
            .and_then(|s| s.state_schema)
            .is_some_and(|v| rs::state_schema_refused(line, v).is_some());
        let found = match whole {
            Some(RowVerdict::Refused(_)) => {
                downgrade_finding(agent, tables, line, &path).or_else(|| {
                    (!state_newer)
                        .then(|| shape_finding(agent, tables, line, &path))
                        .flatten()
                })
            }
            Some(RowVerdict::Unavailable(why)) => Some(migration_finding(agent, why, &path)),
            _ => None,
        };
        if let Some(f) = found {
            per_line.add(LineSet::one(line), f);
        }
    }
    for (line, fs) in lines.iter().zip(&fates) {
        for (row, fate) in tables.rows.iter().zip(fs) {
            if let Some(f) = row_finding(agent, row, fate, newer, &path) {
                per_line.add(LineSet::one(line), f);
            }
        }
    }
    per_line.finish(findings);
    for (ri, row) in tables.rows.iter().enumerate() {
        let entry = row.entry.as_ref().ok();
        let preds: Vec<(&'static LineRules, NextBoot, &str)> = lines
            .iter()
            .zip(&fates)
            .map(|(l, fs)| (*l, fs[ri].next_boot, fs[ri].reason.as_str()))
            .collect();
        let (next_boot, reason, by_line) = merge_lines(lines, &preds);
        sessions.push(SessionReport {
            session_id: Some(row.current_session_id.clone()),
            status: entry.and_then(|e| e.status.clone()).or(row.status.clone()),
            aborted_last_run: entry.and_then(|e| e.aborted_last_run),
            updated_at: row.updated_at.map(|v| v as f64),
            next_boot_by_line: by_line,
            ..bare_row(agent, &row.key, next_boot, reason)
        });
    }
}

/// An agent database that names another agent than the dir it sits in, with
/// what the line's start does (`verdict`, `boot::placement::verdict`).
fn misplaced_finding(
    agent: &Agent,
    m: &Misplaced,
    verdict: Option<&RowVerdict>,
    path: &Option<String>,
) -> Finding {
    let (severity, what) = match verdict {
        Some(RowVerdict::Refused(why)) => (Severity::Error, format!("the gateway refuses to start: {why}")),
        Some(RowVerdict::Unavailable(why)) => (
            Severity::Warning,
            format!("the gateway starts, but refuses every session of agent {} until it is settled: {why}", agent.id),
        ),
        _ => (
            Severity::Warning,
            format!("this release line does not check it at start (agent {} is not in agents.list): agent {}'s sessions are read from agent {}'s database", agent.id, agent.id, m.owner),
        ),
    };
    let shown = path.as_deref().unwrap_or("openclaw-agent.sqlite");
    let fix = if m.copy_of_owner {
        format!(
            "it is a byte-identical copy of agent {}'s database: with every OpenClaw process stopped, move its files aside (`{}`, and its -wal and -shm likewise), then `openclaw doctor --fix`; agent {} starts with a fresh database (2026.9.6 moves such a copy aside itself at a start whose config changed). sessfix never moves a database",
            m.owner,
            Shell::here().move_aside(shown),
            agent.id
        )
    } else {
        format!(
            "it is not a copy of agent {}'s database (or that one cannot be read): it may hold the only copy of some sessions; a person must decide which database agent {} keeps. With every OpenClaw process stopped, keep it aside (`{}`), never delete it, then `openclaw doctor --fix`. sessfix never moves a database",
            m.owner,
            agent.id,
            Shell::here().move_word()
        )
    };
    database_finding(
        agent,
        Kind::SqliteDbMisplaced,
        severity,
        path,
        format!(
            "agent {}'s database names agent {} (schema_meta.agent_id){}: {what}",
            agent.id,
            m.owner,
            if m.copy_of_owner {
                ", and is a byte-identical copy of that agent's database"
            } else {
                ""
            }
        ),
        fix,
    )
}

/// An agent database newer than `line`'s releases open: the gateway does
/// not start (`rs::schema_refusal`).
fn downgrade_finding(
    agent: &Agent,
    tables: &SessionTables,
    line: &LineRules,
    path: &Option<String>,
) -> Option<Finding> {
    let (_, newest) = rs::agent_schema_refused(line, tables.user_version)?;
    let writer = tables
        .app_version
        .as_deref()
        .unwrap_or("an unknown release");
    Some(database_finding(
        agent,
        Kind::SqliteSchemaDowngrade,
        Severity::Error,
        path,
        format!(
            "agent {}'s database has schema {}, written by OpenClaw {writer}, and the releases of the {} line open at most schema {newest}: the gateway refuses to start (\"OpenClaw database schema(s) are newer than this build\")",
            agent.id, tables.user_version, line.name
        ),
        downgrade_fix(tables.app_version.as_deref()),
    ))
}

/// An agent database whose shape `line`'s startup check refuses: the
/// gateway does not start (`rs::shape_refusal`).
fn shape_finding(
    agent: &Agent,
    tables: &SessionTables,
    line: &LineRules,
    path: &Option<String>,
) -> Option<Finding> {
    let why = rs::shape_refusal(line, tables)?;
    let writer = tables.app_version.as_deref();
    Some(database_finding(
        agent,
        Kind::SqliteSchemaMismatch,
        Severity::Error,
        path,
        format!(
            "agent {}'s database, written by OpenClaw {}, fails the {} line's startup check: {why}: the gateway refuses to start",
            agent.id,
            writer.unwrap_or("an unknown release"),
            line.name
        ),
        match rs::opener_of_refused_shape(line, writer) {
            Some(r) => format!(
                "start OpenClaw {r} or newer, which opens it; or run `openclaw doctor --fix` with this release, as the gateway advises (not verified by sessfix)"
            ),
            None => "run `openclaw doctor --fix` with this release, as the gateway advises (not verified by sessfix)".into(),
        },
    ))
}

/// An agent database older than a line uses, which it does not migrate at
/// startup (the line's verdict on the database is
/// `RowVerdict::Unavailable(why)`): every session of the agent refused.
fn migration_finding(agent: &Agent, why: &str, path: &Option<String>) -> Finding {
    database_finding(
        agent,
        Kind::SqliteMigrationRequired,
        Severity::Warning,
        path,
        format!(
            "agent {}'s sessions are refused and none is resumed until the database is migrated: {why}",
            agent.id
        ),
        "stop the gateway, run `openclaw doctor --fix` (it migrates the database), and start it again".into(),
    )
}

/// A finding about agent `agent`'s database as a whole (no key).
fn database_finding(
    agent: &Agent,
    kind: Kind,
    severity: Severity,
    path: &Option<String>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        agent: Some(agent.id.clone()),
        ..super::state_db::finding(kind, severity, path.clone(), message, fix)
    }
}

/// What to do about a database a newer release wrote than the one starting.
pub fn downgrade_fix(writer: Option<&str>) -> String {
    let release = writer.map_or("the release that wrote it".to_string(), |w| {
        format!("OpenClaw {w}")
    });
    format!(
        "start {release} or newer (`npm install -g openclaw@{}`), or stop OpenClaw and restore the pre-upgrade backup made with `openclaw backup create`; sessfix does not downgrade a database",
        writer.unwrap_or("latest")
    )
}

/// The finding on one row of an agent database, by one line's verdict on
/// it (`newer`: the schema is newer than sessfix edits).
fn row_finding(
    agent: &Agent,
    row: &SessionRow,
    fate: &SqliteRowFate,
    newer: bool,
    path: &Option<String>,
) -> Option<Finding> {
    let entry = row.entry.as_ref().ok();
    let mk = |kind, severity, message: String, fix: String| {
        Some(Finding {
            kind,
            severity,
            agent: Some(agent.id.clone()),
            key: Some(row.key.clone()),
            path: path.clone(),
            message,
            fix,
        })
    };
    match &fate.verdict {
        RowVerdict::Rejected => {
            let e = entry.expect("a tombstone is read from the entry");
            let attempts = rs::recovery_attempts(e)
                .map(|(c, s)| format!(" ({c} attempts charged, {s} started)"))
                .unwrap_or_default();
            mk(
                Kind::SqliteTombstoned,
                Severity::Warning,
                format!(
                    "every turn on {} is rejected (\"ended during restart recovery. Use /new or /reset\"): restart recovery tombstoned it{attempts}: {}",
                    row.key,
                    rs::tombstone(e).unwrap_or_default()
                ),
                if newer {
                    "update sessfix first: this database's schema is newer than it edits (/new or /reset start over without the history)".to_string()
                } else {
                    format!(
                        "`sessfix repair --untombstone {}` keeps the session and its history (`openclaw doctor --fix` only warns; /new or /reset start over without the history)",
                        row.key
                    )
                },
            )
        }
        RowVerdict::Tombstone => mk(
            Kind::SqliteRecoveryExhausted,
            Severity::Warning,
            format!(
                "{}: restart recovery has spent its {} attempts without a started turn: the next boot tombstones it",
                row.key,
                fate.budget
            ),
            format!(
                "after the next boot, `sessfix repair --untombstone {}` keeps the session and its history",
                row.key
            ),
        ),
        RowVerdict::Lost(why) if entry.is_some_and(|e| rs::dropped_turn(row, e)) => {
            mk(
                Kind::SqliteTurnDropped,
                Severity::Info,
                format!("{}: the request of its last turn is lost: {why}", row.key),
                format!(
                    "if it was not stopped on purpose (/stop), `sessfix repair --resume {}` re-queues it: the next boot resumes the turn",
                    row.key
                ),
            )
        }
        RowVerdict::Lost(why) | RowVerdict::Skip(why)
            if entry.is_some_and(|e| rs::status_mismatch(row, e)) =>
        {
            mk(
                Kind::SqliteStatusMismatch,
                Severity::Warning,
                format!("{}: {why}", row.key),
                format!(
                    "with the gateway stopped, set the columns to entry_json's status: `UPDATE session_nodes SET status = json_extract(entry_json, '$.status') WHERE session_key = '{k}'; UPDATE session_windows SET status = (SELECT status FROM session_nodes WHERE session_key = '{k}') WHERE session_id = '{}'`",
                    row.current_session_id.replace('\'', "''"),
                    k = row.key.replace('\'', "''")
                ),
            )
        }
        RowVerdict::Halt(why) => mk(
            Kind::SqliteRowInvalid,
            Severity::Error,
            format!(
                "{}: the gateway refuses to start (\"invalid persisted session row requires repair\"): {why}",
                row.key
            ),
            "stop the gateway and run `openclaw doctor --fix` (it canonicalizes the row; `openclaw doctor --lint` does not report it)".into(),
        ),
        RowVerdict::Invalid(why) => mk(
            Kind::SqliteRowInvalid,
            Severity::Error,
            format!(
                "{}: every turn on it is refused (\"invalid persisted session row requires repair\", SESSION_CANONICAL_KEY_MIGRATION_REQUIRED), though the gateway starts: {why}",
                row.key
            ),
            "stop the gateway and run `openclaw doctor --fix` (it canonicalizes the row; `openclaw doctor --lint` does not report it)".into(),
        ),
        RowVerdict::Fenced => {
            let e = entry.expect("a recovery cycle is read from the entry");
            let fence = if e.restart_recovery_runs.as_ref().is_some_and(|r| !r.is_null()) {
                " and its run fence (restartRecoveryRuns)"
            } else {
                ""
            };
            mk(
                Kind::SqliteRecoveryLeftover,
                Severity::Warning,
                format!(
                    "every turn on {} is rejected (\"changed while starting work. Retry.\", SESSION_WORK_START_CHANGED), on every boot: it is {}, but a restart recovery left its cycle (mainRestartRecovery){fence} on it, and no boot clears it",
                    row.key,
                    e.status.as_deref().unwrap_or("not running")
                ),
                if newer {
                    "update sessfix first: this database's schema is newer than it edits".to_string()
                } else {
                    format!(
                        "`sessfix repair --untombstone {}` drops the leftover cycle and fence: the next turn is answered on the same session, with its history (`openclaw doctor --fix` finds nothing)",
                        row.key
                    )
                },
            )
        }
        RowVerdict::Cleared => mk(
            Kind::SqliteRowCleared,
            Severity::Info,
            format!(
                "{}: cleared by the runtime (entry_json {{}} with entry_valid -1, its window {} kept): the gateway starts and leaves it as it is",
                row.key, row.current_session_id
            ),
            "nothing required (a plugin that reads every session row may log errors on it)".into(),
        ),
        RowVerdict::Skip(why) if entry.is_some_and(|e| rs::work_start_error(e).is_some()) => {
            mk(
                Kind::SqliteWorkRefused,
                Severity::Info,
                format!("{}: {why}; the gateway refuses new turns on it until that is settled", row.key),
                "settle it in OpenClaw (finish initialization, unarchive, acknowledge the review, or finish the worktree)".into(),
            )
        }
        _ => None,
    }
}

/// The row of a file-era index's entry predicted by a SQLite-era line's rules.
pub fn file_session_report(
    agent: &Agent,
    s: &Session,
    next_boot: NextBoot,
    reason: String,
) -> SessionReport {
    SessionReport {
        boot_key: (s.boot_key != s.key).then(|| s.boot_key.clone()),
        session_id: s.session_id.clone(),
        status: s.status.clone(),
        aborted_last_run: s.aborted_last_run,
        updated_at: s.updated_at,
        ..bare_row(agent, &s.key, next_boot, reason)
    }
}

/// A row of the SQLite era: no transcript file, lock, per-line prediction or
/// file edit; the entry's fields are the caller's.
fn bare_row(agent: &Agent, key: &str, next_boot: NextBoot, reason: String) -> SessionReport {
    SessionReport {
        agent: agent.id.clone(),
        key: key.to_string(),
        boot_key: None,
        session_id: None,
        status: None,
        aborted_last_run: None,
        updated_at: None,
        transcript: None,
        lock: None,
        next_boot,
        reason,
        next_boot_by_line: Vec::new(),
        restart_artifacts: 0,
        waiting_ms: None,
        remedy: Remedy::default(),
    }
}
