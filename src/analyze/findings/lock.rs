//! One transcript lock's findings on one line: stale, held by a live
//! process, owner unknown, not a file, or belonging to no session. The
//! lock's fate is `boot::file::lock_pass`'s.

use super::MakeFinding;
use crate::analyze::gateway::argv_of;
use crate::analyze::{Finding, Kind, Severity};
use crate::boot::ago;
use crate::boot::file::{explain_reasons, LockInfo};

pub(crate) fn lock_findings(
    i: &LockInfo,
    session: Option<&str>,
    stale_ms: u64,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let path = Some(i.lock.path.as_path());
    if !matches!(i.lock.kind, crate::fsx::Kind::File) {
        findings.push(f(
            Kind::LockNotFile,
            Severity::Error,
            session,
            path,
            format!(
                "the lock is a {} (not a file){}; the gateway's lock cleanup fails on it and stops for every later sessions dir",
                match i.lock.kind {
                    crate::fsx::Kind::Dir => "directory",
                    crate::fsx::Kind::Fifo => "FIFO",
                    crate::fsx::Kind::Symlink => "symbolic link",
                    _ => "special file",
                },
                i.lock.read_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            "remove it by hand after checking what it is; sessfix never deletes what is not a lock file".into(),
        ));
        return;
    }
    let pid = i.lock.payload.pid.unwrap_or(0);
    let live_owner = |message| {
        f(
            Kind::LockLiveOwner,
            Severity::Warning,
            session,
            path,
            message,
            format!("sessfix never removes it; stop pid {pid} first if that run is dead"),
        )
    };
    let now_unknown = i.now.as_ref().is_some_and(|n| n.owner_unknown);
    if let (Some(now), true) = (&i.now, i.removed_now_only()) {
        findings.push(f(
            Kind::LockStale,
            Severity::Warning,
            session,
            path,
            format!(
                "stale transcript lock: {}; it names pid {pid}, the pid the next gateway runs as (--gateway-pid): that gateway's boot cleanup would take it for its own and keep it{}",
                explain_reasons(&now.reasons),
                if session.is_some() {
                    ", and its session would stay stuck"
                } else {
                    ""
                }
            ),
            "`sessfix repair` removes it now (after the index is written) and flags its session, as for any stale lock".into(),
        ));
    } else if i.verdict.stale() && !i.verdict.live_openclaw_owner && !now_unknown {
        if i.now.as_ref().is_some_and(|n| n.live_openclaw_owner) {
            // The next gateway takes it for its own orphan, but a live
            // OpenClaw process holds it now.
            findings.push(live_owner(format!(
                "held now by live OpenClaw process pid {pid}{}; the next gateway, pid {pid} too (--gateway-pid), removes it at boot ({})",
                argv_of(&i.lock.proc_state)
                    .map(|a| format!(" ({})", a.join(" ")))
                    .unwrap_or_default(),
                explain_reasons(&i.verdict.reasons)
            )));
            return lock_orphan_finding(i, session, findings, f);
        }
        let reasons = explain_reasons(&i.verdict.reasons);
        findings.push(f(
            Kind::LockStale,
            // One the boot itself keeps for now needs no person.
            if i.removable {
                Severity::Warning
            } else {
                Severity::Info
            },
            session,
            path,
            format!(
                "stale transcript lock: {reasons}{}",
                if i.removed {
                    "; the next boot removes it"
                } else {
                    ""
                }
            ),
            if i.removable {
                "`sessfix repair` removes it (after the index is written)".into()
            } else {
                "nothing now: this release's boot cleanup does not remove it yet (a lock without a valid payload waits out a grace period after its last change; a store the boot does not visit is not swept), and sessfix follows it".into()
            },
        ));
    } else if i.verdict.owner_unknown || now_unknown {
        findings.push(f(
            Kind::LockOwnerUnknown,
            Severity::Warning,
            session,
            path,
            format!(
                "held by pid {pid}, whose liveness is unknown here ({}); judged as a live owner",
                i.lock.proc_state.unknown_why().unwrap_or("")
            ),
            "sessfix never removes it; `sessfix repair` refuses to write while it is unknown: run sessfix where that process runs (--force writes the rest and still keeps this lock)".into(),
        ));
    } else if i.verdict.live_openclaw_owner {
        let owner = match (&i.now, argv_of(&i.lock.proc_state)) {
            (Some(now), _) if !now.live_openclaw_owner => format!(
                "pid {pid}, the pid the next gateway runs as (--gateway-pid), which that gateway takes for its own (no process holds it now: {})",
                explain_reasons(&now.reasons)
            ),
            (_, Some(a)) => format!("live OpenClaw process pid {pid} ({})", a.join(" ")),
            (_, None) => format!(
                "live pid {pid} (command line unreadable, so taken for an OpenClaw process, as the gateway takes it)"
            ),
        };
        findings.push(live_owner(format!(
            "held by {owner}{}{}",
            i.verdict
                .age_ms
                .map(|a| format!(
                    ", {} old (stale after {})",
                    ago(a as i64, 0),
                    ago(stale_ms as i64, 0)
                ))
                .unwrap_or_default(),
            if i.verdict.stale() {
                "; this release's boot keeps it however old"
            } else {
                ""
            }
        )));
    }
    lock_orphan_finding(i, session, findings, f)
}

pub(crate) fn lock_orphan_finding(
    i: &LockInfo,
    session: Option<&str>,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    if session.is_none() {
        findings.push(f(
            Kind::LockOrphan,
            Severity::Info,
            None,
            Some(i.lock.path.as_path()),
            "the lock belongs to no session in the index".into(),
            if i.repair_removes {
                "`sessfix repair` removes it".into()
            } else {
                "nothing: the boot does not remove it".into()
            },
        ));
    }
}
