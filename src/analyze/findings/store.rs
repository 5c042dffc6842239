//! The index's own state: not strict JSON, unparseable, unreadable or
//! missing (`store_findings`), and a file-era index met by a SQLite-era
//! line's start (`file_store_finding`, `import_advice`). The store's fate is
//! `boot::sqlite::file_store`'s.

use super::MakeFinding;
use crate::analyze::{Finding, Kind, Severity};
use crate::boot::{show, StoreFate};
use crate::state::{Agent, StoreState};
use crate::text::plural;

pub(crate) fn store_findings(agent: &Agent, findings: &mut Vec<Finding>, f: &MakeFinding) {
    let p = Some(agent.store.path.as_path());
    let n = agent.sessions.len();
    match &agent.store.state {
        StoreState::Json5Only { error } => findings.push(f(
            Kind::IndexJson5,
            Severity::Error,
            None,
            p,
            format!(
                "the index is not strict JSON ({error}); it parses only as JSON5. The gateway loads it as empty and its next write erases all {n} sessions{}",
                if agent.json5_salvage {
                    " (from 2026.6.9 the startup state migration rewrites this one as strict JSON first)"
                } else {
                    ""
                }
            ),
            "sessfix repair rewrites it as strict JSON with the same content".into(),
        )),
        StoreState::Invalid { error } => findings.push(f(
            Kind::IndexInvalid,
            Severity::Error,
            None,
            p,
            format!("the index cannot be parsed ({error}). The gateway loads it as empty and its next write replaces it"),
            format!(
                "restore it from a backup before starting the gateway; the transcripts in {} are intact",
                agent.sessions_dir.display()
            ),
        )),
        StoreState::Unreadable { error } => findings.push(f(
            Kind::IndexUnreadable,
            Severity::Error,
            None,
            p,
            format!("the index cannot be read: {error}"),
            "fix its permissions or type by hand".into(),
        )),
        StoreState::Missing if !agent.transcript_names.is_empty() => findings.push(f(
            Kind::IndexMissing,
            Severity::Warning,
            None,
            p,
            format!("no index, but {} transcript{} in the sessions dir", agent.transcript_names.len(), if agent.transcript_names.len() == 1 { "" } else { "s" }),
            "restore sessions.json from a backup if sessions are missing".into(),
        )),
        _ => {}
    }
}

/// The finding on a file-era store that a SQLite-era line's next start
/// meets (`boot::sqlite::file_store` decides its fate). `release`: the one
/// known to run, or `None` when the line is one of those predicted for a
/// release not known.
pub(crate) fn file_store_finding(
    agent: &Agent,
    fate: StoreFate,
    release: Option<&str>,
) -> Option<Finding> {
    let known = release.is_some();
    let who = release.map_or("the gateway".to_string(), |v| format!("OpenClaw {v}"));
    let finding = |kind, severity, message, fix| Finding {
        kind,
        severity,
        agent: Some(agent.id.clone()),
        key: None,
        path: Some(show(&agent.store.path)),
        message,
        fix,
    };
    match fate {
        StoreFate::ImportedAtStart => Some(finding(            Kind::StoreImportedAtBoot,
            Severity::Info,
            format!(
                "{who} imports this file-era index ({}) into agents/{}/agent/openclaw-agent.sqlite at its next start, archives the files, then recovers the rows",
                plural(agent.sessions.len(), "session", "sessions"),
                agent.id
            ),
            import_advice(true, known),
        )),
        StoreFate::Absent => None,
        StoreFate::CannotImport => Some(finding(
            Kind::StoreUnmigrated,
            Severity::Warning,
            format!(
                "{who} imports file-era indexes at startup, but this one is {}: the import cannot read it; it is the only copy of its sessions",
                agent.store.state.name()
            ),
            "restore or fix the index first (a SQLite-era release's gateway neither parses JSON5 nor repairs it); sessfix does not edit it for a SQLite-era release".into(),
        )),
        StoreFate::RefusesToStart => Some(finding(
            Kind::StoreUnmigrated,
            Severity::Warning,
            format!(
                "{who} does not start while this file-era index is not imported (\"Legacy session store requires migration\"), even an empty one{}",
                if agent.sessions.is_empty() {
                    String::new()
                } else {
                    format!("; it is the only copy of its {}", plural(agent.sessions.len(), "session", "sessions"))
                }
            ),
            import_advice(false, known),
        )),
    }
}

/// How a file-era index gets into a SQLite-era gateway's store. 2026.8.1 to
/// 2026.9.5 refuse to start and name `openclaw doctor --fix`; both it and
/// the `--session-sqlite import` mode of `openclaw doctor` import the store
/// (measured on each, with no agent database beside the store). 2026.9.6
/// imports it at startup itself.
/// `release_known`: the release is a SQLite-era one, so sessfix leaves the
/// store alone; when it is not known, repair may still make the file-era
/// lines' edits (a flag, a stale lock removed), which an import carries over
/// as it carries the gateway's own.
pub(crate) fn import_advice(imports_at_boot: bool, release_known: bool) -> String {
    let sessfix = if release_known {
        "sessfix never edits a store that a SQLite-era gateway must import"
    } else {
        "with the release not known, `sessfix repair` may still make the edits a file-era release needs (a flag, a stale lock removed), which the import carries over like the gateway's own"
    };
    if imports_at_boot {
        format!("nothing required: the next start imports it (`openclaw doctor --session-sqlite import --session-sqlite-all-agents`, with the gateway stopped, does the same beforehand); do not edit, move or delete the legacy files by hand meanwhile; {sessfix}")
    } else {
        format!("with the gateway stopped, run `openclaw doctor --session-sqlite import --session-sqlite-all-agents` (`openclaw doctor --fix`, which the startup error names, imported a store with no agent database beside it on every release from 2026.8.1 to 2026.9.5 here; public reports say it did not on 2026.8.1 installs whose agent already had a database); {sessfix}")
    }
}
