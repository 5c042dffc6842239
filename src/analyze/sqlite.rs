//! The SQLite era's part of the report: liveness from the state database,
//! its leases, boots and migration runs, and each session row's `nextBoot`
//! (`boot::sqlite`). Pure: the snapshot already holds every fact.

use super::lines::{merge_lines, LineFindings};
use super::{show, Finding, GatewayReport, Kind, NextBoot, Remedy, SessionReport, Severity};
use crate::boot::sqlite::{self as rs, LeaseOwner, RowVerdict, SqliteRowFate};
use crate::rules::ProcState;
use crate::rules::{LineRules, LineSet};
use crate::state::sqlite_era::SessionRow;
use crate::state::sqlite_era::SessionTables;
use crate::state::{Agent, Session, SqliteShared};
use std::path::Path;

fn at(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether an OpenClaw process owns the state, by the state database:
/// a `gateway-owner` lease (2026.9.6) or an `agent_database_leases` row
/// whose pid is alive with its recorded start time, or a process holding one
/// of the state dir's SQLite files open (`sqlite-era.md` §6.1 b and c).
/// Marks `gateway` live with the evidence.
pub fn liveness(shared: &SqliteShared, gateway: &mut GatewayReport) {
    if gateway.live {
        return;
    }
    let alive_state = |pid: u64, state: Option<&ProcState>, start: Option<f64>| {
        state.is_some_and(|s| rs::pid_owner(pid, s, start) == LeaseOwner::Alive)
    };
    let alive = |pid: u64, start: Option<f64>| alive_state(pid, shared.owners.get(&pid), start);
    let mut evidence = None;
    if let Some(db) = &shared.state_db {
        for l in &db.leases {
            if l.scope == rs::GATEWAY_OWNER_LEASE_SCOPE {
                if let Some(pid) = l
                    .owner_pid
                    .filter(|p| alive_state(*p, l.owner_state.as_ref(), l.owner_started_at))
                {
                    evidence = Some((
                        pid,
                        format!(
                            "the gateway-owner lease in {} names pid {pid}, which is alive with the same start time",
                            show(&db.path)
                        ),
                    ));
                }
            }
        }
        if evidence.is_none() {
            for l in &db.agent_db_leases {
                if alive(l.owner_pid, l.owner_start_time.map(|t| t as f64)) {
                    evidence = Some((
                        l.owner_pid,
                        format!(
                            "agent_database_leases in {} names pid {}, which is alive with the same start time and has {} open",
                            show(&db.path),
                            l.owner_pid,
                            l.path
                        ),
                    ));
                    break;
                }
            }
        }
    }
    if evidence.is_none() {
        if let Ok(h) = &shared.holders {
            if let Some((pid, file)) = h.first() {
                evidence = Some((*pid, format!("pid {pid} has {} open", file.display())));
            }
        }
    }
    if let Some((pid, why)) = evidence {
        gateway.live = true;
        gateway.liveness_unknown = false;
        gateway.pid = Some(pid);
        gateway.evidence = Some(why);
    }
}

/// Every lease of the state database that still holds at `now_ms`, with
/// what is known of its owner. A lease without a pid belongs to whichever
/// OpenClaw process holds the state: with none live, it is dead.
pub fn lease_owners<'a>(
    shared: &'a SqliteShared,
    gateway: &GatewayReport,
    now_ms: i64,
) -> Vec<(&'a crate::state::sqlite_era::Lease, LeaseOwner)> {
    let Some(db) = &shared.state_db else {
        return Vec::new();
    };
    let state_owner = if gateway.live {
        LeaseOwner::Alive
    } else if let Err(why) = &shared.holders {
        LeaseOwner::Unknown(why.clone())
    } else if gateway.liveness_unknown {
        LeaseOwner::Unknown(gateway.evidence.clone().unwrap_or_default())
    } else {
        LeaseOwner::Dead
    };
    db.leases
        .iter()
        .filter(|l| rs::lease_holds(l, now_ms))
        .map(|l| {
            let owner = rs::lease_owner(l, l.owner_state.as_ref(), &state_owner);
            (l, owner)
        })
        .collect()
}

/// Findings about the state database: unreadable, newer schema, leases that
/// hold a boot back, the crash-loop breaker, unfinished legacy imports.
pub fn shared_findings(
    shared: &SqliteShared,
    gateway: &GatewayReport,
    now_ms: i64,
    findings: &mut Vec<Finding>,
) {
    let finding = |kind, severity, path: Option<String>, message: String, fix: String| Finding {
        kind,
        severity,
        agent: None,
        key: None,
        path,
        message,
        fix,
    };
    if let Some(p) = &shared.state_db_problem {
        findings.push(finding(
            Kind::StateDbUnreadable,
            Severity::Error,
            Some(show(&p.path)),
            format!("the SQLite-era state database {}", p.message),
            "fix its permissions or type (sessfix reads it as is, read-only); until then its leases and boots are not known, and repair edits no SQLite database".into(),
        ));
    }
    let Some(db) = &shared.state_db else { return };
    let path = Some(show(&db.path));
    if let (Err(why), false) = (&shared.holders, gateway.live) {
        findings.push(finding(
            Kind::SqliteOpenFilesUnknown,
            Severity::Info,
            path.clone(),
            format!(
                "whether a process has this state dir's SQLite databases open cannot be established here: {why}"
            ),
            "`sessfix repair` refuses SQLite edits (--untombstone, --resume, --clear-dead-leases) until it can: run it as the gateway's user or root, on the gateway's host (--force only if you know no OpenClaw process runs)".into(),
        ));
    }
    if db.user_version > rs::NEWEST_STATE_SCHEMA {
        findings.push(finding(
            Kind::SqliteSchemaNewer,
            Severity::Warning,
            path.clone(),
            format!(
                "the state database has schema {} (sessfix knows up to {}, OpenClaw 2026.9.6): a newer OpenClaw made it",
                db.user_version,
                rs::NEWEST_STATE_SCHEMA
            ),
            "update sessfix; until then it reports what it can read and edits nothing in this state dir's databases".into(),
        ));
    }
    for (l, owner) in lease_owners(shared, gateway, now_ms) {
        let until = l.expires_at.map_or("until it is removed".to_string(), |t| {
            format!("until {}", at(t))
        });
        let who = match l.owner_pid {
            Some(pid) => format!("pid {pid}"),
            None => format!("owner {} (no pid recorded)", l.owner),
        };
        match owner {
            LeaseOwner::Alive => {}
            LeaseOwner::Dead if rs::lease_blocks_boot(l) => findings.push(finding(
                Kind::SqliteLeaseDead,
                Severity::Warning,
                path.clone(),
                format!(
                    "lease {}/{} is held by {who}, and no OpenClaw process is alive: the gateway refuses to start (\"Agent database maintenance deferred\"), and so does `openclaw doctor --fix`, {until}",
                    l.scope, l.lease_key
                ),
                "wait until it expires, or `sessfix repair --clear-dead-leases` removes it now (the gateway stopped)".into(),
            )),
            LeaseOwner::Dead => findings.push(finding(
                Kind::SqliteLeaseDead,
                Severity::Info,
                path.clone(),
                format!(
                    "lease {}/{} is held by {who}, which is not alive; it holds {until}",
                    l.scope, l.lease_key
                ),
                "nothing required: the next boot takes it over (`sessfix repair --clear-dead-leases` removes it)".into(),
            )),
            LeaseOwner::Unknown(why) => findings.push(finding(
                Kind::SqliteLeaseOwnerUnknown,
                Severity::Info,
                path.clone(),
                format!(
                    "lease {}/{} is held by {who}, whose liveness cannot be established here ({why}); it holds {until}",
                    l.scope, l.lease_key
                ),
                "run sessfix where the gateway runs; `--clear-dead-leases` removes only leases whose owner is positively dead".into(),
            )),
        }
    }
    if let Some((n, drains)) = rs::crash_loop(&db.boots, now_ms) {
        findings.push(finding(
            Kind::SqliteCrashLoop,
            Severity::Warning,
            path.clone(),
            format!(
                "{n} gateway boots in the 5 minutes before {} never completed or failed to start: the crash-loop breaker suppresses channel and account auto-start until {}",
                at(now_ms),
                at(drains)
            ),
            "find why the gateway fails to start (`openclaw logs`, `<state>/logs/stability/`) before starting it again; the breaker clears by itself once the window drains".into(),
        ));
    }
    for run in shared.migration_runs.iter().filter(|r| r.error.is_some()) {
        findings.push(finding(
            Kind::SqliteMigrationManifestUnreadable,
            Severity::Info,
            Some(show(&run.path)),
            format!(
                "a legacy-import manifest cannot be read: {}",
                run.error.as_deref().unwrap_or("")
            ),
            "nothing required by sessfix; leave it for the gateway's migration".into(),
        ));
    }
    for (run, t) in rs::unfinished_imports(&shared.migration_runs) {
        findings.push(finding(
            Kind::SqliteMigrationUnfinished,
            Severity::Info,
            Some(show(&run.path)),
            format!(
                "the legacy import of {} stopped before it finished ({} of {} moves into the import archive recorded) and no later run finished it",
                t.store_path.as_deref().unwrap_or("(a store)"),
                t.completed_moves,
                t.planned_moves
            ),
            "do not edit, move or delete the legacy sessions.json or transcripts (the import compares them with what it read); 2026.9.6 finishes the import at its next start, 2026.8.x only with `openclaw doctor --session-sqlite import --session-sqlite-all-agents`".into(),
        ));
    }
}

/// The rows and findings of one SQLite-era agent, as each of `lines` (the
/// SQLite-era lines predicted for) boots it; rows where they disagree carry
/// each line's prediction, findings seen on only some lines say which.
pub fn agent(
    agent: &Agent,
    tables: &SessionTables,
    db_path: &Path,
    lines: &[&'static LineRules],
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
    let fates: Vec<Vec<SqliteRowFate>> = lines.iter().map(|l| rs::rows(&tables.rows, l)).collect();
    let mut per_line = LineFindings::new(
        lines
            .iter()
            .fold(LineSet::EMPTY, |set, l| LineSet(set.0 | LineSet::one(l).0)),
    );
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
