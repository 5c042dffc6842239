//! Files left in a sessions dir that are not sessions: temp files, backups
//! and other leftovers, and transcripts no entry points at. Not an
//! index's temp copies (`index`).

use super::MakeFinding;
use crate::analyze::{Finding, Kind, Settings, Severity};
use crate::rules::{self, ProcState};
use crate::state::{Agent, StoreState};
use std::collections::HashSet;

pub(crate) fn leftover_findings(
    l: &crate::state::Leftover,
    kept: bool,
    set: Settings,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    use crate::rules::FileKind;
    let path = Some(l.path.as_path());
    if l.file_kind != crate::fsx::Kind::File {
        return;
    }
    match l.kind {
        FileKind::StoreTemp if kept => {}
        FileKind::StoreTemp => findings.push(f(
            Kind::TempLeftover,
            Severity::Info,
            None,
            path,
            match l.sessfix_pid() {
                Some(pid) if l.complete && !l.identical_to_index => format!(
                    "temp file of a sessfix repair (pid {pid}) stopped before it replaced the index: the index it was computed from is still in place, and that repair's backup of it is under sessfix-backups"
                ),
                _ => "temp file of an interrupted index write".into(),
            },
            "`sessfix repair` removes it (a copy goes into the backup)".into(),
        )),
        FileKind::StoreLock => {
            let alive = l.proc_state.as_ref().is_some_and(ProcState::is_alive);
            let unknown = l.proc_state.as_ref().and_then(ProcState::unknown_why);
            if let (Some(why), false) = (
                unknown,
                rules::store_lock_stale(l.proc_state.as_ref(), l.created_ms, set.now_ms),
            ) {
                findings.push(f(
                    Kind::StoreLockOwnerUnknown,
                    Severity::Warning,
                    None,
                    path,
                    format!(
                        "index lock held by pid {}, whose liveness is unknown here ({why})",
                        l.pid.unwrap_or(0)
                    ),
                    "sessfix keeps it and `sessfix repair` refuses to write while it is unknown: run sessfix where that process runs".into(),
                ));
            } else if !rules::store_lock_stale(l.proc_state.as_ref(), l.created_ms, set.now_ms) {
                findings.push(f(
                    Kind::StoreLockLive,
                    Severity::Warning,
                    None,
                    path,
                    format!("index lock held by live pid {}", l.pid.unwrap_or(0)),
                    "an older OpenClaw build is writing the index: stop it first".into(),
                ));
            } else {
                findings.push(f(
                    Kind::StoreLockStale,
                    Severity::Warning,
                    None,
                    path,
                    format!(
                        "stale index lock of an older OpenClaw build ({})",
                        match (l.pid, alive) {
                            (None, _) => "no valid pid".to_string(),
                            (Some(p), false) => format!("pid {p} is not running"),
                            (Some(p), true) =>
                                format!("pid {p} alive but the lock is older than 60 s"),
                        }
                    ),
                    "`sessfix repair` removes it".into(),
                ));
            }
        }
        _ => {}
    }
}

/// `transcript-orphan`: transcripts in the sessions dir that no entry points
/// at (by file name, session id, or a topic's base id), when the index is
/// read as it is.
pub(crate) fn orphan_transcript_findings(
    agent: &Agent,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    // Names as the listing gives them (lossily), borrowed when UTF-8.
    let used: HashSet<std::borrow::Cow<str>> = agent
        .sessions
        .iter()
        .filter_map(|s| s.transcript.as_ref())
        .filter_map(|t| t.path.file_name().map(|n| n.to_string_lossy()))
        .collect();
    let ids: HashSet<&str> = agent
        .sessions
        .iter()
        .filter_map(|s| s.session_id.as_deref())
        .collect();
    if matches!(agent.store.state, StoreState::Valid | StoreState::Missing) {
        for name in &agent.transcript_names {
            let stem = name.strip_suffix(".jsonl").unwrap_or(name);
            let base_id = stem.split("-topic-").next().unwrap_or(stem);
            if used.contains(name.as_str()) || ids.contains(stem) || ids.contains(base_id) {
                continue;
            }
            findings.push(f(
                Kind::TranscriptOrphan,
                Severity::Info,
                None,
                Some(&agent.sessions_dir.join(name)),
                format!("transcript {name} has no entry in the index"),
                "nothing required; it is history the gateway no longer lists".into(),
            ));
        }
    }
}
