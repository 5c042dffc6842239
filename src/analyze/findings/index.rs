//! A lost or rewritten index: what the start loses, the intact copies a
//! recovery can come from (`recovery`, `describe_copy`), and the findings of
//! an index that is gone or unparseable but has copies, or temp copies left
//! by an interrupted write. Not the index's own parse state (`store`).

use super::MakeFinding;
use crate::analyze::{CopyReport, Finding, Kind, Recovery, Severity, NOT_REBUILDABLE};
use crate::boot::{ago, show};
use crate::state::{Agent, StoreState};
use crate::text::{plural, Shell};

/// Whether the index file holds anything but white space. A scan does not
/// keep the bytes: then its size tells (white space alone counts as content).
pub(crate) fn index_has_content(agent: &Agent) -> bool {
    match &agent.store.bytes {
        Some(b) => b.iter().any(|c| !c.is_ascii_whitespace()),
        None => agent.store.identity.is_some_and(|i| i.size > 0),
    }
}

/// Whether the next boot destroys what is left of a lost index: it loads an
/// unparseable one as `{}` and its first write replaces it (2026.4.25 to
/// 2026.7.x, `loadSessionStore`), so a non-empty unparseable file is the
/// last record of its sessions unless an intact copy is restored; and a lost
/// index with an intact copy not restored becomes a new index without that
/// copy's sessions, while the gateway's rotation prunes the copy. `None`
/// when this run restores it, or there is nothing to lose.
pub(crate) fn start_loses(agent: &Agent) -> Option<String> {
    if agent.store.restored.is_some() || agent.sqlite.is_some() {
        return None;
    }
    let non_empty = index_has_content(agent);
    let copy = agent.index_copies.first();
    match (&agent.store.state, copy) {
        (StoreState::Invalid { .. } | StoreState::Missing, Some(c)) => Some(format!(
            "the index is lost and the intact copy {} was not restored (`sessfix repair --restore-index`{}): the gateway would start a new index without its sessions",
            show(&c.path),
            if crate::state::copies::ambiguous(&agent.index_copies).is_some() {
                ", after choosing between copies equally new by hand"
            } else {
                ""
            }
        )),
        (StoreState::Invalid { .. }, None) if non_empty => Some(
            "the index cannot be parsed and no intact copy exists: the gateway would load it as empty and overwrite the last record of its sessions; restore it from your own backup, or move it aside to start without them".into(),
        ),
        _ => None,
    }
}

pub(crate) fn copy_report(c: &crate::state::copies::IndexCopy, now_ms: i64) -> CopyReport {
    CopyReport {
        path: show(&c.path),
        source: c.source,
        modified: c.mtime_ms.map(iso_ms),
        age: c.mtime_ms.map(|m| ago(now_ms, m)),
        entries: c.entries,
        newest_updated_at: c.newest_updated_at,
        transcripts_present: c.transcripts,
    }
}

pub(crate) fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn recovery(agent: &Agent, now_ms: i64) -> Option<Recovery> {
    let restored = agent.store.restored.as_ref();
    let lost = crate::state::copies::index_lost(&agent.store.state)
        && !(agent.store.state == StoreState::Missing
            && agent.transcript_names.is_empty()
            && agent.index_copies.is_empty());
    if !lost && restored.is_none() {
        return None;
    }
    let copies: Vec<CopyReport> = match restored {
        Some(r) => std::iter::once(&r.copy)
            .chain(agent.index_copies.iter().filter(|c| c.path != r.copy.path))
            .map(|c| copy_report(c, now_ms))
            .collect(),
        None => agent
            .index_copies
            .iter()
            .map(|c| copy_report(c, now_ms))
            .collect(),
    };
    let ambiguous =
        restored.is_none() && crate::state::copies::ambiguous(&agent.index_copies).is_some();
    Some(Recovery {
        restore: copies
            .first()
            .filter(|_| !ambiguous)
            .map(|c| c.path.clone()),
        restored: restored.is_some(),
        not_rebuildable: copies.is_empty().then_some(NOT_REBUILDABLE),
        rebuildable: agent.rebuild.clone(),
        copies,
    })
}

/// One line about an intact copy, for a finding's fix or a plan.
pub fn describe_copy(c: &crate::state::copies::IndexCopy, now_ms: i64) -> String {
    format!(
        "{} ({}, modified {}; {} entr{}, newest updatedAt {}; transcripts of {} exist)",
        show(&c.path),
        c.source.describe(),
        c.mtime_ms.map_or("at an unknown time".into(), |m| {
            // A clock set back, or a report at a fixed time (--now).
            if m > now_ms + 1000 {
                format!("{} after the report's time", ago(m, now_ms))
            } else {
                format!("{} ago", ago(now_ms, m))
            }
        }),
        c.entries,
        if c.entries == 1 { "y" } else { "ies" },
        c.newest_updated_at
            .map_or("none".into(), |u| iso_ms(u as i64)),
        if c.transcripts == c.entries {
            format!("all {}", c.entries)
        } else {
            format!("{} of {}", c.transcripts, c.entries)
        }
    )
}

/// The findings of a lost index (`index-invalid`, `index-missing`) when it
/// has intact copies, was restored from one, or can only be listed from its
/// transcripts; `false` when `store_findings` says all there is.
pub(crate) fn lost_index_findings(
    agent: &Agent,
    now_ms: i64,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) -> bool {
    let p = Some(agent.store.path.as_path());
    let (state, restored) = match &agent.store.restored {
        Some(r) => (&r.original_state, Some(&r.copy)),
        None => (&agent.store.state, None),
    };
    let (kind, severity, message) = match state {
        StoreState::Invalid { error } => (
            Kind::IndexInvalid,
            Severity::Error,
            format!("the index cannot be parsed ({error}). The gateway loads it as empty and its next write replaces it"),
        ),
        StoreState::Missing
            if !agent.transcript_names.is_empty() || !agent.index_copies.is_empty() =>
        {
            (
                Kind::IndexMissing,
                Severity::Warning,
                format!(
                    "no index, but {} in the sessions dir",
                    plural(agent.transcript_names.len(), "transcript", "transcripts")
                ),
            )
        }
        _ => return false,
    };
    let best = restored.or(agent.index_copies.first());
    let others = agent
        .index_copies
        .iter()
        .filter(|c| Some(&c.path) != best.map(|b| &b.path))
        .count();
    let fix = match (best, restored) {
        (Some(c), Some(_)) => format!(
            "this run restores it from the intact copy {} (the current file goes into the backup; `sessfix undo` brings it back), then repairs the restored sessions",
            describe_copy(c, now_ms)
        ),
        (Some(_), None) if crate::state::copies::ambiguous(&agent.index_copies).is_some() => {
            let (a, b) = crate::state::copies::ambiguous(&agent.index_copies).expect("checked");
            format!(
                "intact copies differ and neither is newer: {} and {}; sessfix restores neither. Compare them, copy the one to keep over {} with the gateway stopped, and keep the other",
                describe_copy(a, now_ms),
                describe_copy(b, now_ms),
                show(&agent.store.path)
            )
        }
        (Some(c), None) => format!(
            "an intact copy exists: {}{}. Before the gateway starts, run `sessfix repair --dry-run --restore-index` to see the restore, then `sessfix repair --restore-index` (the current file is backed up, `sessfix undo` brings it back); never delete that copy while the index is {}",
            describe_copy(c, now_ms),
            if others > 0 {
                format!(" ({others} other intact cop{} are older; all in --json)", if others == 1 { "y" } else { "ies" })
            } else {
                String::new()
            },
            if kind == Kind::IndexMissing { "missing" } else { "unparseable" }
        ),
        (None, _) => {
            let list: Vec<String> = agent
                .rebuild
                .iter()
                .take(5)
                .map(|h| {
                    format!(
                        "{} (last active {})",
                        h.session_id.as_deref().unwrap_or(&h.file),
                        h.last_activity_ms
                            .map_or("?".into(), |m| format!("{} ago", ago(now_ms, m)))
                    )
                })
                .collect();
            let ids = agent.rebuild.iter().filter(|h| h.session_id.is_some()).count();
            format!(
                "no intact copy was found (no complete temp file, sessions.json.bak.<ms> or sessfix backup); {}. {} in {} name {} in their headers{}{}; what cannot be rebuilt from them: {NOT_REBUILDABLE}. sessfix does not rebuild the index",
                if index_has_content(agent) {
                    "restore it from your own backup before starting the gateway, which would overwrite it"
                } else {
                    "if you have a backup of it, restore it before the gateway starts a new, empty index (nothing of it is left here to lose)"
                },
                plural(agent.rebuild.len(), "transcript", "transcripts"),
                agent.sessions_dir.display(),
                plural(ids, "session id", "session ids"),
                if list.is_empty() { String::new() } else { format!(": {}", list.join(", ")) },
                if agent.rebuild.len() > list.len() { ", ... (all in --json)" } else { "" },
            )
        }
    };
    findings.push(f(kind, severity, None, p, message, fix));
    true
}

/// A temp file that parses as a complete index and is not the index's own
/// bytes: it may be the newer state of an interrupted write. Repair keeps it.
pub(crate) fn temp_copy_findings(
    agent: &Agent,
    now_ms: i64,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let lost = !agent.index_usable();
    for l in &agent.leftovers {
        if !agent.keeps_temp(l) {
            continue;
        }
        if l.file_kind != crate::fsx::Kind::File {
            continue;
        }
        let copy = agent.index_copies.iter().find(|c| c.path == l.path);
        let facts = copy.map_or_else(|| show(&l.path), |c| describe_copy(c, now_ms));
        let newer = copy.and_then(|c| c.newer_entries);
        let (message, fix) = if lost {
            (
                format!("{facts} is a complete copy of the index left by an interrupted write, and {} is not usable: it may be the only intact copy", show(&agent.store.path)),
                "repair never removes it; `sessfix repair --restore-index` restores the best copy (see the index finding)".to_string(),
            )
        } else if newer == Some(0) {
            (
                format!(
                    "{facts} is a complete index that differs from {}, which holds each of its entries as new or newer: nothing in it is newer (as when `sessfix repair --restore-index` restored the index from it and repaired it since)",
                    show(&agent.store.path)
                ),
                "repair leaves it. Do not copy it over the index: that would undo what was written since (a repair's edits included). Remove it by hand once you no longer want it".to_string(),
            )
        } else {
            (
                format!(
                    "{facts} is a complete index that differs from {} ({}, newest updatedAt {}){}: it is an older state (as after `sessfix repair --restore-index` restored from it and wrote its edits) or the newer state of an interrupted write",
                    show(&agent.store.path),
                    crate::text::plural(
                        agent.sessions.iter().filter(|s| !s.shadowed).count(),
                        "entry",
                        "entries"
                    ),
                    agent
                        .sessions
                        .iter()
                        .filter(|s| !s.shadowed)
                        .filter_map(|s| s.updated_at)
                        .reduce(f64::max)
                        .map_or("none".into(), |u| iso_ms(u as i64)),
                    newer.map_or(String::new(), |n| format!(
                        "; {} of it the index lacks or holds older",
                        crate::text::plural(n, "entry", "entries")
                    ))
                ),
                format!(
                    "repair leaves it. Compare the two first (`{}`); only if the temp holds newer sessions, stop the gateway and copy it over the index keeping its mode (`{}`), keeping a copy of the index first; otherwise, or once the index is current, remove the temp by hand",
                    Shell::here().compare(&show(&l.path), &show(&agent.store.path)),
                    Shell::here().copy_over(&show(&l.path), &show(&agent.store.path)),
                ),
            )
        };
        findings.push(f(
            Kind::TempComplete,
            Severity::Info,
            None,
            Some(&l.path),
            message,
            fix,
        ));
    }
}
