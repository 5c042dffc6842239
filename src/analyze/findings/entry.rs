//! One index entry's findings on one line: the entry's validity, its fate
//! (stranded, failed), its transcript's tail, and a turn that has waited
//! too long (`session-old-turn`). The fate is `boot::file`'s.

use super::index::iso_ms;
use super::MakeFinding;
use crate::analyze::{duration_label, Finding, Kind, NextBoot, Remedy, Settings, Severity};
use crate::boot::file::{LockInfo, RowFate};
use crate::boot::{ago, show};
use crate::rules;
use crate::state::{Agent, Session};

/// `session-old-turn`: a turn that has waited `waited_ms`, longer than
/// `set.old_turn_ms`, would get a late answer when it is resumed.
pub(crate) fn old_turn_finding(
    agent: &Agent,
    s: &Session,
    next_boot: NextBoot,
    remedy: &Remedy,
    waited_ms: u64,
    set: Settings,
) -> Finding {
    let age = ago(waited_ms as i64, 0);
    let when = if next_boot == NextBoot::Resume {
        "the next boot resumes it"
    } else if remedy.flag || remedy.artifacts {
        "once `sessfix repair` flags it, the next boot resumes it"
    } else {
        "it stays running, and if it is ever resumed"
    };
    Finding {
        kind: Kind::SessionOldTurn,
        severity: Severity::Warning,
        agent: Some(agent.id.clone()),
        key: Some(s.key.clone()),
        path: Some(show(&agent.store.path)),
        message: format!(
            "{}: its turn has waited {age} (updatedAt {}), longer than {}: {when}, and the user would get a late answer to a question asked {age} ago",
            s.key,
            iso_ms(s.updated_at.unwrap_or_default() as i64),
            duration_label(set.old_turn_ms)
        ),
        fix: format!(
            "`sessfix repair --max-age {}` ends it instead (status failed, as the gateway ends a session) and no late answer is sent; without it the turn is resumed and answered late",
            duration_label(set.old_turn_ms)
        ),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn entry_findings(
    agent: &Agent,
    s: &Session,
    fate: &RowFate,
    own_lock: Option<&LockInfo>,
    visited: bool,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let (next, reason) = (fate.next_boot, &*fate.reason);
    let key = Some(s.key.as_str());
    let index = Some(agent.store.path.as_path());
    if !s.is_object {
        findings.push(f(
            Kind::EntryInvalid,
            Severity::Warning,
            key,
            index,
            format!("entry {:?} is not an object", s.key),
            "remove it by hand".into(),
        ));
        return;
    }
    match &s.session_id {
        None => findings.push(f(
            Kind::EntryInvalid,
            Severity::Warning,
            key,
            index,
            format!("entry {:?} has no string sessionId", s.key),
            "the gateway cannot find its transcript; remove or fix it by hand".into(),
        )),
        Some(id) if !rules::is_safe_session_id(id) => findings.push(f(
            Kind::EntryInvalid,
            Severity::Warning,
            key,
            index,
            format!(
                "entry {:?} has an unsafe sessionId {id:?}; the gateway refuses it as a file name",
                s.key
            ),
            "fix it by hand".into(),
        )),
        _ => {}
    }
    match next {
        NextBoot::Stranded => {
            let live = own_lock
                .filter(|l| l.verdict.live_openclaw_owner && !l.removed && !l.removed_now_only());
            findings.push(f(
                Kind::SessionStranded,
                Severity::Error,
                key,
                index,
                format!("{}: stays running after the next boot: {reason}", s.key),
                match (live, fate.no_flag.clone()) {
                    (Some(l), _) => format!(
                        "stop OpenClaw pid {} if it is not a live gateway, then run `sessfix repair`",
                        l.lock.payload.pid.unwrap_or(0)
                    ),
                    (None, Some(why)) => format!(
                        "no flag helps here: {why}. End it with `sessfix repair --max-age DURATION` (status failed, as the gateway ends a session){}",
                        if visited { "" } else { ", or move its entry and transcript into agents/<id>/sessions/ by hand" }
                    ),
                    (None, None) if s.aborted_last_run == Some(true) => flagged_yet_stranded(s),
                    (None, None) => "`sessfix repair` sets abortedLastRun: true so the next boot resumes it".into(),
                },
            ));
        }
        NextBoot::Fail => {
            let artifacts = s
                .transcript
                .as_ref()
                .and_then(|t| t.tail.as_ref().ok())
                .filter(|t| t.last_record_is_last_line)
                .is_some_and(|t| t.restart_artifacts > 0);
            if !artifacts {
                findings.push(f(
                    Kind::TailUnresumable,
                    Severity::Warning,
                    key,
                    s.transcript.as_ref().map(|t| t.path.as_path()).or(index),
                    format!("{}: the next boot marks it failed: {reason}", s.key),
                    "nothing to repair: the turn cannot be resumed; the user must send the message again".into(),
                ));
            }
        }
        _ => {}
    }
    if s.is_object && !s.boot_key.is_empty() && s.boot_key != s.key {
        findings.push(f(
            Kind::KeyRenamed,
            Severity::Info,
            key,
            index,
            format!(
                "{}: the gateway renames it {} at startup, before recovery, and judges it under that name",
                s.key, s.boot_key
            ),
            "nothing required".into(),
        ));
    }
    transcript_findings(agent, s, next, findings, f);
}

/// The transcript's findings for one entry: outside the state dir,
/// unreadable, torn, an oversized last line, restart artifacts; or no
/// transcript at all (worded by the row's fate `next`).
fn transcript_findings(
    agent: &Agent,
    s: &Session,
    next: NextBoot,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let key = Some(s.key.as_str());
    let index = Some(agent.store.path.as_path());
    let running = s.status.as_deref() == Some("running");
    if let Some(t) = &s.transcript {
        if s.transcript_outside {
            findings.push(f(
                Kind::TranscriptOutside,
                Severity::Warning,
                key,
                Some(&t.path),
                format!("{}: its transcript resolves outside the state dir", s.key),
                "sessfix reads it but never writes there; move it into the sessions dir by hand"
                    .into(),
            ));
        }
        match &t.tail {
            Err(e) => findings.push(f(
                Kind::TranscriptUnreadable,
                Severity::Error,
                key,
                Some(&t.path),
                format!("{}: transcript cannot be read: {e}", s.key),
                "fix its permissions or type by hand".into(),
            )),
            Ok(tail) => {
                if let Some(at) = tail.torn_at {
                    findings.push(f(
                        Kind::TranscriptTorn,
                        Severity::Warning,
                        key,
                        Some(&t.path),
                        format!(
                            "{}: the last line (from byte {at}) is cut off; the gateway's next append would glue onto it",
                            s.key
                        ),
                        "`sessfix repair` cuts it back to the last complete line (the cut bytes go into the backup)".into(),
                    ));
                }
                if tail.last_line_exceeds_window {
                    findings.push(f(
                        Kind::TranscriptLineOversized,
                        Severity::Info,
                        key,
                        Some(&t.path),
                        format!("{}: the last line is longer than the 256 KiB recovery reads; recovery sees no message", s.key),
                        "nothing sessfix can change; such a row is failed if it is recovered".into(),
                    ));
                }
                if tail.last_record_is_last_line && tail.restart_artifacts > 0 && running {
                    findings.push(f(
                        Kind::RestartArtifacts,
                        Severity::Warning,
                        key,
                        Some(&t.path),
                        format!(
                            "{}: the transcript ends with {}; file-era releases (to 2026.7.x) fail the row because of {}",
                            s.key,
                            if tail.restart_artifacts == 2 {
                                "a restart's prompt-error entry and the assistant message the restart aborted"
                            } else {
                                "the assistant message a restart aborted"
                            },
                            if tail.restart_artifacts == 2 { "them" } else { "it" }
                        ),
                        format!(
                            "`sessfix repair` moves exactly {} into the backup so the user's message is the last again",
                            if tail.restart_artifacts == 2 { "these two lines" } else { "this line" }
                        ),
                    ));
                }
            }
        }
    } else if s.is_object && s.session_id.is_some() {
        let id = s.session_id.as_deref().unwrap_or("");
        let (message, fix) = match (running, next) {
            (true, NextBoot::Skip) => (
                format!(
                    "{}: no transcript file for session {id}, and boot recovery never selects this row ({}): it stays running forever",
                    s.key,
                    rules::skip_reason(&s.boot_key, &s.skip).unwrap_or_default()
                ),
                "`sessfix repair --end-orphans` ends it as the gateway ends a session (status failed), or `openclaw sessions cleanup --fix-missing` removes entries whose transcript is gone".to_string(),
            ),
            (true, _) => (
                format!("{}: no transcript file for session {id}", s.key),
                "nothing to resume: the boot marks it failed once it selects it (`sessfix repair` makes sure it does)".to_string(),
            ),
            (false, _) => (
                format!("{}: no transcript file for session {id}", s.key),
                "nothing required".to_string(),
            ),
        };
        findings.push(f(
            Kind::TranscriptMissing,
            if running {
                Severity::Warning
            } else {
                Severity::Info
            },
            key,
            index,
            message,
            fix,
        ));
    }
}

/// What helps a stranded session already flagged (`abortedLastRun: true`):
/// no flag does; what keeps recovery from resuming it must change.
fn flagged_yet_stranded(s: &crate::state::Session) -> String {
    let unreadable = s.transcript.as_ref().is_some_and(|t| t.tail.is_err());
    format!(
        "abortedLastRun is already true: no flag helps. {}or end it with `sessfix repair --max-age DURATION` (status failed, as the gateway ends a session)",
        if unreadable {
            "Make its transcript a file the gateway's user can read (see transcript-unreadable): the next boot then resumes it; "
        } else {
            ""
        }
    )
}
