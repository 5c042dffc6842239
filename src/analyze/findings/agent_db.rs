//! An agent database that could not be read: whether it stops the agent's
//! repair depends on the release lines predicted for.

use super::super::{show, Finding, Kind, Severity};
use crate::boot;
use crate::release::Release;
use crate::state::{Agent, Problem};

/// The finding for an agent database that could not be read (`p`): an
/// error that leaves the agent alone while a line predicted for keeps
/// sessions in agent databases (2026.8.1+); a warning when every line
/// keeps them in `sessions.json`, whose releases never read sessions from
/// that file (2026.6.5 to 2026.7.x keep auth and memory there), so the
/// store they read is analysed and repaired as any file-era one.
pub(crate) fn unreadable(release: &Release, agent: &Agent, p: &Problem) -> Finding {
    let file_lines_only = release.set.iter().all(|l| !boot::sqlite::is_sqlite_line(l));
    let (kind, severity, message, fix) = if file_lines_only {
        (
            Kind::AgentDbUnreadable,
            Severity::Warning,
            format!(
                "{}; the release line(s) predicted ({}) keep sessions in sessions.json and never read sessions from this file, so the store they read is the one repaired",
                p.message,
                release.lines.join(", ")
            ),
            "find what wrote it (a newer release started once? a copy?) and fix or move it by hand before upgrading to 2026.8 or later, which keeps sessions there; sessfix never touches it".to_string(),
        )
    } else {
        (
            Kind::AgentUnreadable,
            Severity::Error,
            p.message.clone(),
            "fix the file or its permissions by hand; sessfix leaves this agent alone".to_string(),
        )
    };
    Finding {
        kind,
        severity,
        agent: Some(agent.id.clone()),
        key: None,
        path: Some(show(&p.path)),
        message,
        fix,
    }
}
