//! Files left in a sessions dir that are not sessions: temp files, backups
//! and other leftovers, and transcripts no entry points at. Not an
//! index's temp copies (`index`).

use super::index::iso_ms as iso;
use super::MakeFinding;
use crate::analyze::{Finding, Kind, Settings, Severity};
use crate::boot::ago;
use crate::rules::{self, ProcState};
use crate::state::{Agent, StoreState};
use std::collections::HashMap;

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
/// read as it is; `session-dropped` for those an index rebuild dropped
/// (`dropped_by_rebuild`).
pub(crate) fn orphan_transcript_findings(
    agent: &Agent,
    now_ms: i64,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    if !matches!(agent.store.state, StoreState::Valid | StoreState::Missing) {
        return;
    }
    let dropped: HashMap<&str, i64> = agent
        .dropped_sessions(now_ms)
        .into_iter()
        .map(|(u, last)| (u.file.as_str(), last))
        .collect();
    // The oldest entry's last update: the index holds nothing older.
    let oldest_entry = agent.oldest_entry_update();
    for name in agent.unlisted_transcript_names() {
        let path = agent.sessions_dir.join(name);
        let Some(&last) = dropped.get(name) else {
            findings.push(f(
                Kind::TranscriptOrphan,
                Severity::Info,
                None,
                Some(&path),
                format!("transcript {name} has no entry in the index"),
                "nothing required; it is history the gateway no longer lists".into(),
            ));
            continue;
        };
        let id = name.strip_suffix(".jsonl").unwrap_or(name);
        let since = oldest_entry.map_or("it has no entries".to_string(), |t| {
            format!("its oldest entry was last updated {}", iso(t))
        });
        findings.push(f(
            Kind::SessionDropped,
            Severity::Warning,
            None,
            Some(&path),
            format!(
                "session {id} (last active {}, {} ago) is missing from the index, whose sessions were all active after it ({since}): likely dropped when a restart rebuilt the index (openclaw#66522); no client lists it any more, and its transcript {name} is intact",
                iso(last),
                ago(now_ms, last)
            ),
            format!(
                "keep {name}: it is the session's only history. Restore sessions.json from a backup taken before {} if you have one (with the gateway stopped); or `sessfix repair --rebuild-dropped` adds an entry for it under {}: clients list it again and a turn on that key continues it with its history (its original key and delivery target are not in the transcript, so the chat's next message still starts a new session)",
                iso(oldest_entry.unwrap_or(now_ms)),
                crate::rules::rebuilt_key(&agent.id, id)
            ),
        ));
    }
}
