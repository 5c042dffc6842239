//! Database schemas against releases (SQLite era): what each release's
//! gateway opens, and the start it refuses on a database a newer release
//! wrote (`openclaw-database-preflight-*.mjs`, `supportedVersions`, read in
//! the `dist/` of 2026.8.1 to 2026.9.6).

use super::sqlite::RowVerdict;
use crate::rules::lines::ShapeCheck;
use crate::rules::LineRules;
use crate::state::sqlite_era::SessionTables;

/// Schema versions of the releases these rules were checked with:
/// (release, agent database `user_version`, state database `user_version`).
pub const KNOWN_SCHEMAS: [(&str, i64, i64); 3] = [
    ("2026.8.2", 19, 15),
    ("2026.9.5", 21, 17),
    ("2026.9.6", 23, 18),
];

/// The newest agent database schema sessfix knows; a newer one is read but
/// never edited (older OpenClaw builds refuse newer databases too, docs
/// `reference/database-schemas`).
pub const NEWEST_AGENT_SCHEMA: i64 = 23;
/// The newest state database schema sessfix knows.
pub const NEWEST_STATE_SCHEMA: i64 = 18;

/// The release a schema pair was seen with, when it is one of `KNOWN_SCHEMAS`.
pub fn release_of_agent_schema(user_version: i64) -> Option<&'static str> {
    KNOWN_SCHEMAS
        .iter()
        .find(|(_, a, _)| *a == user_version)
        .map(|(r, _, _)| *r)
}

/// When a state database of schema `found` is newer than `line`'s releases
/// open: (`found`, the newest they open).
pub fn state_schema_refused(line: &LineRules, found: i64) -> Option<(i64, i64)> {
    line.newest_state_schema
        .filter(|n| found > *n)
        .map(|n| (found, n))
}

/// When an agent database of schema `found` is newer than `line`'s releases
/// open: (`found`, the newest they open).
pub fn agent_schema_refused(line: &LineRules, found: i64) -> Option<(i64, i64)> {
    line.newest_agent_schema
        .filter(|n| found > *n)
        .map(|n| (found, n))
}

/// Why `line`'s gateway refuses to start on a state database of schema
/// `state` and an agent database of schema `agent` (`PRAGMA user_version`,
/// `None`: absent): one is newer than the line's releases open
/// (`LineRules::newest_state_schema`, `newest_agent_schema`): "Gateway
/// refused startup because N OpenClaw database schema(s) are newer than this
/// build" (`openclaw-database-preflight.messages-*.mjs` of 2026.9.6; the
/// same check in 2026.8.1 to 9.5). A downgrade: the release that wrote the
/// database is newer than the one starting.
pub fn schema_refusal(line: &LineRules, state: Option<i64>, agent: Option<i64>) -> Option<String> {
    let parts: Vec<String> = [
        (
            "the state database",
            state.and_then(|v| state_schema_refused(line, v)),
        ),
        (
            "the agent database",
            agent.and_then(|v| agent_schema_refused(line, v)),
        ),
    ]
    .into_iter()
    .filter_map(|(what, n)| {
        n.map(|(f, n)| {
            format!(
                "{what} has schema {f}, and the {} line opens at most {n}",
                line.name
            )
        })
    })
    .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{} (\"OpenClaw database schema(s) are newer than this build\"): a newer release wrote it",
            parts.join("; ")
        )
    })
}

/// Why `line`'s startup check refuses an agent database's shape (the
/// gateway does not start): the first of the line's `agent_shape` checks it
/// fails.
pub fn shape_refusal(line: &LineRules, tables: &SessionTables) -> Option<String> {
    line.agent_shape.iter().find_map(|check| match check {
        ShapeCheck::PendingInputsWithout(column) => tables
            .pending_input_columns
            .as_ref()
            .filter(|cols| cols.iter().any(|c| c == column))
            .map(|_| {
                format!(
                    "session_pending_inputs has {column}, which the {} line's definition lacks (\"column definitions differ for session_pending_inputs\"): a newer release wrote it",
                    line.name
                )
            }),
        ShapeCheck::SessionNodesIndex(index) => (!tables
            .session_node_indexes
            .iter()
            .any(|i| i == index))
        .then(|| {
            format!(
                "session_nodes has no index {index}, which the {} line's startup check requires (\"missing or drifted index {index}\")",
                line.name
            )
        }),
    })
}

/// A release that opens an agent database `line` refuses on its shape: the
/// one that wrote it (`writer`) when newer than the line, else the first
/// release of the first line that migrates an older database at startup
/// (2026.9.6, measured with 2026.8.2's).
pub fn opener_of_refused_shape(line: &LineRules, writer: Option<&str>) -> Option<String> {
    let newer_writer = writer
        .and_then(|w| crate::rules::lines::Version::parse(w).ok())
        .filter(|w| *w > line.first);
    match newer_writer {
        Some(w) => Some(w.to_string()),
        None => crate::rules::lines::ALL
            .iter()
            .find(|l| l.first > line.first && l.migrates_agent_db_at_boot)
            .map(|l| l.first.to_string()),
    }
}

/// Why `line`'s gateway starts but refuses every session of an agent
/// database of schema `found`: older than the line uses, and not migrated at
/// startup (`LineRules::migrates_agent_db_at_boot`).
pub fn migration_required(line: &LineRules, found: i64) -> Option<String> {
    let newest = line.newest_agent_schema?;
    (found < newest && !line.migrates_agent_db_at_boot).then(|| {
        format!(
            "the agent database has schema {found}, the {} line uses {newest} and does not migrate it at startup (\"uses schema version {found}; ... run openclaw doctor --fix to migrate session identities\")",
            line.name
        )
    })
}

/// The verdict every row of an agent database takes on `line` when the
/// database decides it before any row does: a start refused on its schemas
/// or shape, or sessions refused until a migration. `state`: the state
/// database's `user_version`, when there is one.
pub fn database_verdict(
    line: &LineRules,
    state: Option<i64>,
    tables: &SessionTables,
) -> Option<RowVerdict> {
    schema_refusal(line, state, Some(tables.user_version))
        .or_else(|| shape_refusal(line, tables))
        .map(RowVerdict::Refused)
        .or_else(|| migration_required(line, tables.user_version).map(RowVerdict::Unavailable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_newer_than_the_line_opens_refuses_the_start() {
        use crate::rules::lines::{line_of, Version, L2026_7_1};
        let at = |m, d| line_of(Version::new(2026, m, d));
        // Written by 2026.9.6 (state 18, agent 23): every earlier release refuses.
        for (m, d) in [(8, 1), (8, 2), (9, 2), (9, 3), (9, 4), (9, 5)] {
            let why = schema_refusal(at(m, d), Some(18), Some(23));
            assert!(why.is_some(), "2026.{m}.{d}");
        }
        assert_eq!(schema_refusal(at(9, 6), Some(18), Some(23)), None);
        // Written by 2026.9.4 (state 17, agent 19): 9.3 refuses, 9.4 opens it.
        let why = schema_refusal(at(9, 3), Some(17), Some(19)).unwrap();
        assert!(
            why.contains("state database has schema 17") && !why.contains("agent database"),
            "{why}"
        );
        assert_eq!(schema_refusal(at(9, 4), Some(17), Some(19)), None);
        // Written by 2026.9.5 (agent 21): 9.4 refuses on the agent database alone.
        let why = schema_refusal(at(9, 4), Some(17), Some(21)).unwrap();
        assert!(why.contains("agent database has schema 21"), "{why}");
        // Older databases open; no state database is no refusal; a
        // file-era line checks nothing.
        assert_eq!(schema_refusal(at(9, 6), Some(15), Some(19)), None);
        assert_eq!(schema_refusal(at(8, 2), None, Some(19)), None);
        assert_eq!(schema_refusal(&L2026_7_1, Some(99), Some(99)), None);
    }

    #[test]
    fn a_shape_or_an_unmigrated_schema_decides_every_row() {
        use crate::rules::lines::{line_of, Version};
        let at = |m, d| line_of(Version::new(2026, m, d));
        // As 2026.8.2 writes it: consumed_event_id, no active-nodes index.
        let written_by_8_2 = SessionTables {
            user_version: 19,
            app_version: Some("2026.8.2".into()),
            rows: Vec::new(),
            pending_input_columns: Some(vec!["seq".into(), "consumed_event_id".into()]),
            session_node_indexes: vec!["idx_agent_session_nodes_updated".into()],
        };
        let v = |m, d| database_verdict(at(m, d), Some(15), &written_by_8_2);
        assert!(matches!(v(8, 1), Some(RowVerdict::Refused(w)) if w.contains("consumed_event_id")));
        assert_eq!(v(8, 2), None);
        assert_eq!(v(9, 3), None);
        assert!(
            matches!(v(9, 4), Some(RowVerdict::Refused(w)) if w.contains("idx_agent_session_nodes_active"))
        );
        assert!(matches!(v(9, 5), Some(RowVerdict::Unavailable(w)) if w.contains("schema 19")));
        assert_eq!(v(9, 6), None, "2026.9.6 migrates it at startup");
        // As 2026.8.1 writes it: 8.1 opens it.
        let written_by_8_1 = SessionTables {
            pending_input_columns: Some(vec!["seq".into()]),
            ..written_by_8_2.clone()
        };
        assert_eq!(database_verdict(at(8, 1), Some(15), &written_by_8_1), None);
        // A newer schema is refused before its shape is looked at.
        let newer = SessionTables {
            user_version: 23,
            ..written_by_8_2
        };
        assert!(
            matches!(database_verdict(at(9, 4), Some(18), &newer), Some(RowVerdict::Refused(w)) if w.contains("newer"))
        );
    }

    #[test]
    fn a_refused_shape_is_opened_by_its_newer_writer_or_a_migrating_release() {
        use crate::rules::lines::{line_of, Version};
        let at = |m, d| line_of(Version::new(2026, m, d));
        // 8.1 on 8.2's database: 8.2 wrote it and opens it.
        assert_eq!(
            opener_of_refused_shape(at(8, 1), Some("2026.8.2")).as_deref(),
            Some("2026.8.2")
        );
        // 9.4 on 8.2's: the writer is older; 9.6 migrates it.
        assert_eq!(
            opener_of_refused_shape(at(9, 4), Some("2026.8.2")).as_deref(),
            Some("2026.9.6")
        );
        assert_eq!(
            opener_of_refused_shape(at(9, 4), None).as_deref(),
            Some("2026.9.6")
        );
    }
}
