//! The state database's part of the report (SQLite era, 2026.8.1+): whether
//! a gateway owns the state by its leases and open files, and the findings
//! about `state/openclaw.sqlite` (leases, boots, schema, legacy imports).
//! Pure: the snapshot already holds every fact.

use super::findings::index::iso_ms as at;
use super::lines::lines_label;
use super::{show, Finding, GatewayReport, Kind, Severity};
use crate::boot::sqlite::{self as rs, LeaseOwner};
use crate::rules::LineRules;
use crate::rules::ProcState;
use crate::state::sqlite_era::StateDb;
use crate::state::SqliteShared;

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
    let mut evidence = None;
    if let Some(db) = &shared.state_db {
        for l in &db.leases {
            if l.scope == rs::GATEWAY_OWNER_LEASE_SCOPE
                && l.owner_pid
                    .is_none_or(|p| leases_elsewhere(db, p).is_none())
            {
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
            for l in db.agent_db_leases.iter().filter(|l| l.here) {
                if owner_alive(shared, l.owner_pid, l.owner_start_time.map(|t| t as f64)) {
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

/// Whether `pid`, the owner of an `agent_database_leases` row, is alive
/// with the start time `start` the row records.
fn owner_alive(shared: &SqliteShared, pid: u64, start: Option<f64>) -> bool {
    shared
        .owners
        .get(&pid)
        .is_some_and(|s| rs::pid_owner(pid, s, start) == LeaseOwner::Alive)
}

/// When every `agent_database_leases` row of `pid` names a file outside this
/// state dir (there is at least one): the first such path. Those leases, and
/// the `gateway-owner` lease of the same pid, were copied with the state from
/// the dir they name (a backup of a running gateway restored elsewhere): they
/// are evidence about that dir, not this one (openclaw 2026.9.6
/// `agent_database_leases.path`, absolute).
pub fn leases_elsewhere(db: &StateDb, pid: u64) -> Option<&str> {
    let mut of_pid = db.agent_db_leases.iter().filter(|l| l.owner_pid == pid);
    let first = of_pid.next()?;
    (!first.here && of_pid.all(|l| !l.here)).then_some(first.path.as_str())
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

/// A finding about the state database (no agent, no key).
pub(super) fn finding(
    kind: Kind,
    severity: Severity,
    path: Option<String>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        kind,
        severity,
        agent: None,
        key: None,
        path,
        message,
        fix,
    }
}

/// Findings about the state database: unreadable, newer schema, leases that
/// hold a boot back, the crash-loop breaker, unfinished legacy imports.
/// `lines`: the SQLite-era lines the state database's schema is judged
/// against (none when the release is the one that last used the state).
pub fn shared_findings(
    shared: &SqliteShared,
    gateway: &GatewayReport,
    lines: &[&'static LineRules],
    now_ms: i64,
    findings: &mut Vec<Finding>,
) {
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
            "`sessfix repair` refuses SQLite edits (--untombstone, --resume, --clear-dead-leases) until it can: run it as the gateway's user or as root (an administrator on Windows), on the gateway's host, or stop what has them open (--force only if you know no OpenClaw process runs)".into(),
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
    downgrade_findings(db, lines, findings);
    lease_findings(shared, db, gateway, now_ms, findings);
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

/// Findings about the state database's leases: copied from another state
/// dir, held by a dead owner, or by one whose liveness is unknown.
fn lease_findings(
    shared: &SqliteShared,
    db: &StateDb,
    gateway: &GatewayReport,
    now_ms: i64,
    findings: &mut Vec<Finding>,
) {
    let path = Some(show(&db.path));
    let mut pids: Vec<u64> = db
        .agent_db_leases
        .iter()
        .filter(|l| !l.here)
        .map(|l| l.owner_pid)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    for pid in pids {
        let Some(there) = leases_elsewhere(db, pid) else {
            continue;
        };
        let of_pid = db.agent_db_leases.iter().filter(|l| l.owner_pid == pid);
        // A dead owner's leases say nothing either way.
        if !of_pid
            .clone()
            .any(|l| owner_alive(shared, pid, l.owner_start_time.map(|t| t as f64)))
        {
            continue;
        }
        let n = of_pid.count();
        findings.push(finding(
            Kind::SqliteLeaseElsewhere,
            Severity::Info,
            path.clone(),
            format!(
                "pid {pid} is alive with the start time its {} record, but they name databases outside this state dir ({there}): copied with the state from another dir, they are not taken as a gateway running on this one",
                crate::text::plural(n, "agent_database_leases row", "agent_database_leases rows")
            ),
            "nothing required: the next boot here replaces them; whether a gateway runs on this state dir is told by its own locks and open files".into(),
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
}

/// The state database newer than the releases of some of `lines` open: the
/// gateway refuses to start on those (`rs::schema_refusal`).
fn downgrade_findings(db: &StateDb, lines: &[&'static LineRules], findings: &mut Vec<Finding>) {
    let refused: Vec<(&LineRules, i64)> = lines
        .iter()
        .filter_map(|l| rs::state_schema_refused(l, db.user_version).map(|(_, n)| (*l, n)))
        .collect();
    let refusing: Vec<&LineRules> = refused.iter().map(|(l, _)| *l).collect();
    let Some(newest) = refused.iter().map(|(_, n)| *n).max() else {
        return;
    };
    let on = if refusing.len() == lines.len() {
        String::new()
    } else {
        format!("on OpenClaw {}: ", lines_label(&refusing))
    };
    let writer = db.app_version.as_deref().unwrap_or("an unknown release");
    findings.push(finding(
        Kind::SqliteSchemaDowngrade,
        Severity::Error,
        Some(show(&db.path)),
        format!(
            "{on}the state database has schema {}, written by OpenClaw {writer}, and the releases of the {} {} open at most schema {newest}: the gateway refuses to start (\"OpenClaw database schema(s) are newer than this build\")",
            db.user_version,
            refusing.iter().map(|l| l.name).collect::<Vec<_>>().join(", "),
            if refusing.len() == 1 { "line" } else { "lines" },
        ),
        super::sqlite::downgrade_fix(db.app_version.as_deref()),
    ));
}
