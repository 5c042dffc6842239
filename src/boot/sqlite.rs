//! The SQLite era's rules (OpenClaw 2026.8.1 and later): what the next boot
//! does with each `session_nodes` row, which leases hold a boot back, when
//! the crash-loop breaker trips, and the two row edits sessfix makes.
//!
//! Read in the installed `dist/` of 2026.9.6 (chunk names below) and checked
//! by booting the real 2026.9.6 and 2026.8.2 gateways (`sqlite-era.md` §2-§4,
//! and the oracle suite, `oracle/sqlite.py`).
//!
//! The file era's repair is not ported: these releases mark and resume an
//! interrupted `running` row at every boot by themselves
//! (`markStartupOrphanedMainSessionsForRecovery`,
//! `main-session-restart-recovery-marking-*.mjs`).

pub use super::leases::{
    crash_loop, lease_blocks_boot, lease_holds, lease_owner, pid_owner, unfinished_imports,
    LeaseOwner, CRASH_LOOP_BOOTS, CRASH_LOOP_WINDOW_MS, GATEWAY_OWNER_LEASE_SCOPE,
    MAINTENANCE_LEASE_SCOPE,
};
pub use super::schema::{
    agent_schema_refused, database_verdict, migration_required, opener_of_refused_shape,
    release_of_agent_schema, schema_refusal, shape_refusal, state_schema_refused, KNOWN_SCHEMAS,
    NEWEST_AGENT_SCHEMA, NEWEST_STATE_SCHEMA,
};
use super::NextBoot;
use super::StoreFate;
use crate::rules::LineRules;
use crate::state::sqlite_era::{EntryFacts, SessionRow};
use crate::state::{Session, StoreState};

pub use crate::rules::lines::RECOVERY_BUDGET;

/// What the next boot does with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowVerdict {
    /// A `running` main row: the boot marks it and resumes the turn.
    Resume,
    /// A `running` row already marked whose recovery budget is spent: the
    /// boot tombstones it (status `failed`, every later turn rejected).
    Tombstone,
    /// Tombstoned: every turn on this key is rejected ("ended during restart
    /// recovery. Use /new or /reset"), on every boot.
    Rejected,
    /// The boot never resumes it and the request is lost: why.
    Lost(String),
    /// The gateway refuses to start because of this row: why.
    Halt(String),
    /// The gateway starts, but refuses every turn on this row and never
    /// resumes it until `openclaw doctor --fix` repairs it: why (an invalid
    /// row on a line without `invalid_row_refuses_start`).
    Invalid(String),
    /// A subagent run the boot terminalizes as `failed`.
    Fail,
    /// Left as it is: why.
    Skip(String),
    /// Cleared by the runtime (`cleared_row`): the gateway starts and leaves
    /// it as it is.
    Cleared,
    /// A finished session still carrying a restart-recovery cycle
    /// (`leftover_recovery`): every turn is rejected, on every boot.
    Fenced,
    /// The gateway refuses to start before it reads any row (`schema_refusal`,
    /// `shape_refusal`): why.
    Refused(String),
    /// The gateway starts but refuses every turn on the agent's sessions, and
    /// resumes none, until `openclaw doctor --fix` migrates the database
    /// (`migration_required`): why.
    Unavailable(String),
    Idle,
}

/// A row the runtime cleared: `entry_json` exactly `{}`, `entry_valid` -1,
/// and its current window still there under its key. Row validation lets it
/// pass (`validateCanonicalSessionRow`, `session-canonical-key-*.mjs` of
/// 2026.9.6; the same test in `session-accessor.sqlite-transcript-state-*.js`
/// of 2026.8.2), and the real 2026.9.6 starts with one and leaves it
/// (`cases/cleared-shell-row`, openclaw#125793). A `{}` row still pending
/// (`entry_valid` 0, or the column not there yet: it is added as 0) is
/// settled to -1 when the database is opened, before that validation
/// (`ensureSessionEntryValidityProjection`: `{}` has no `sessionId`), so it
/// is one too; a `{}` row marked valid (1) is not.
pub fn cleared_row(row: &SessionRow) -> bool {
    row.entry_json_empty
        && row.entry_valid != Some(1)
        && row
            .window
            .as_ref()
            .is_some_and(|w| w.session_key.as_deref() == Some(row.key.as_str()))
}

/// `current_session_id`, `updated_at` and `entry_json` disagree, or the row
/// is marked invalid: the canonical validation at open fails and the gateway
/// refuses to start ("invalid persisted session row requires repair",
/// `ensureSessionEntryValidityProjection`, `openclaw-agent-db-schema-helpers-*.mjs`;
/// `parseSqliteSessionEntryRecord`, `conversation-ref-*.mjs`).
pub fn invalid_reason(row: &SessionRow) -> Option<String> {
    if row.entry_valid == Some(-1) {
        return Some("the row is marked invalid (entry_valid = -1)".into());
    }
    let entry = match &row.entry {
        Err(e) => return Some(e.clone()),
        Ok(e) => e,
    };
    match entry.session_id.as_deref() {
        Some(id) if id == row.current_session_id => {}
        Some(id) => {
            return Some(format!(
                "current_session_id {} is not entry_json's sessionId {id}",
                row.current_session_id
            ))
        }
        None => return Some("entry_json has no sessionId".into()),
    }
    let updated = entry
        .updated_at
        .as_ref()
        .and_then(serde_json::Number::as_i64);
    if updated != row.updated_at {
        return Some(format!(
            "the updated_at column {} is not entry_json's updatedAt {}",
            row.updated_at.map_or("NULL".into(), |v| v.to_string()),
            entry
                .updated_at
                .as_ref()
                .map_or("(absent)".into(), |v| v.to_string())
        ));
    }
    None
}

/// The `status` column disagrees with `entry_json`'s status: the boot scan
/// selects rows by the column (`statuses: ["running"]`), so a `running`
/// entry under another column value is never resumed (§3.9).
pub fn status_mismatch(row: &SessionRow, entry: &EntryFacts) -> bool {
    row.status != entry.status
}

/// A main session: restart recovery handles only these (not `spawnDepth >
/// 0`, no `subagentRole`, not a subagent, cron or ACP key).
pub fn is_main_session(key: &str, entry: &EntryFacts) -> bool {
    entry.spawn_depth.is_none_or(|d| d <= 0.0)
        && entry.subagent_role.as_ref().is_none_or(|r| r.is_null())
        && !crate::rules::is_subagent_key(key)
        && !crate::rules::is_cron_key(key)
        && !crate::rules::is_acp_key(key)
}

fn present(v: &Option<serde_json::Value>) -> bool {
    v.as_ref()
        .is_some_and(|v| !v.is_null() && *v != serde_json::Value::Bool(false))
}

/// Why the gateway refuses new work on this session, if it does
/// (`resolveSessionWorkStartError`, `lifecycle-*.mjs`).
pub fn work_start_error(entry: &EntryFacts) -> Option<&'static str> {
    if entry.initialization_pending == Some(true) {
        return Some("its initialization is pending (initializationPending)");
    }
    if present(&entry.archived_at) {
        return Some("it is archived (archivedAt)");
    }
    if let Some(r) = &entry.provider_review {
        let acknowledged = r.get("acknowledgedAt").is_some_and(|a| !a.is_null())
            || r.get("acknowledged") == Some(&serde_json::Value::Bool(true));
        if !r.is_null() && !acknowledged {
            return Some("a provider review is not acknowledged (providerReview)");
        }
    }
    if present(&entry.pending_project_git_url) || present(&entry.pending_worktree) {
        return Some("a project worktree is pending (pendingProjectGitUrl / pendingWorktree)");
    }
    None
}

/// `mainRestartRecovery.tombstone.reason`, when the session is tombstoned.
pub fn tombstone(entry: &EntryFacts) -> Option<String> {
    let t = entry.main_restart_recovery.as_ref()?.get("tombstone")?;
    if t.is_null() {
        return None;
    }
    Some(
        t.get("reason")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(no reason recorded)")
            .to_string(),
    )
}

/// A main session that is not `running` but still carries a restart-recovery
/// cycle (`mainRestartRecovery`, no tombstone), as a recovery run that did
/// not reach its end leaves it, usually with its run fence
/// (`restartRecoveryRuns`). Each turn's recovery claim finds the session
/// neither healthy (both fields absent, `abortedLastRun` not true) nor one
/// it may claim (not `running`), and refuses it: "changed while starting
/// work. Retry." (`SESSION_WORK_START_CHANGED`; `claimMainSessionRecoveryOwner`,
/// `main-session-recovery-store-*.mjs`, the same in 2026.8.2 and 2026.9.6).
/// The boot's scan selects `running` rows only, so no boot clears it: the
/// real 2026.9.6 rejected the turn and kept the fence
/// (`cases/completed-recovery-fence`, openclaw#117096). Without the cycle,
/// a leftover fence alone is cleared by the next turn's claim
/// (`hasOrphanedMainRestartRecoveryFences`).
pub fn leftover_recovery(key: &str, entry: &EntryFacts) -> bool {
    entry.status.as_deref() != Some("running")
        && entry
            .main_restart_recovery
            .as_ref()
            .is_some_and(|r| !r.is_null())
        && tombstone(entry).is_none()
        && is_main_session(key, entry)
}

/// `(chargedAttempts, startedAttempt)` of the recovery cycle, if any.
pub fn recovery_attempts(entry: &EntryFacts) -> Option<(i64, i64)> {
    let r = entry.main_restart_recovery.as_ref()?;
    if !r.is_object() {
        return None;
    }
    let n = |k: &str| r.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
    Some((n("chargedAttempts"), n("startedAttempt")))
}

/// A turn a service stop dropped: `killed` or `timeout` with
/// `abortedLastRun: true` (§3.3b). No boot resumes it. A user's `/stop`
/// (`sessions.abort`) leaves the same state, so only an explicit
/// `repair --resume KEY` re-queues it.
pub fn dropped_turn(row: &SessionRow, entry: &EntryFacts) -> bool {
    matches!(entry.status.as_deref(), Some("killed" | "timeout"))
        && row.status == entry.status
        && entry.aborted_last_run == Some(true)
}

/// What `line`'s next boot does with `row`.
pub fn row_verdict(row: &SessionRow, line: &LineRules) -> RowVerdict {
    if cleared_row(row) {
        return RowVerdict::Cleared;
    }
    if let Some(why) = invalid_reason(row) {
        return if line.invalid_row_refuses_start {
            RowVerdict::Halt(why)
        } else {
            RowVerdict::Invalid(why)
        };
    }
    let Ok(entry) = &row.entry else {
        unreachable!("invalid_reason covers an unreadable entry")
    };
    if tombstone(entry).is_some() {
        return RowVerdict::Rejected;
    }
    if leftover_recovery(&row.key, entry) {
        return RowVerdict::Fenced;
    }
    let entry_running = entry.status.as_deref() == Some("running");
    if status_mismatch(row, entry) {
        if entry_running {
            return RowVerdict::Lost(format!(
                "entry_json says running but the status column says {}: the boot selects rows by the column and never sees it",
                row.status.as_deref().unwrap_or("NULL")
            ));
        }
        if row.status.as_deref() == Some("running") {
            return RowVerdict::Skip(format!(
                "the status column says running but entry_json says {}: the boot scan finds it but the entry is not running",
                entry.status.as_deref().unwrap_or("(absent)")
            ));
        }
    }
    if dropped_turn(row, entry) {
        return RowVerdict::Lost(format!(
            "its last turn ended {} with abortedLastRun: a service stop whose drain ran out (or a user's /stop); no boot resumes it",
            entry.status.as_deref().unwrap_or("")
        ));
    }
    entry_verdict(&row.key, entry, line)
}

/// What the boot does with a row by its entry alone (its projections and
/// tombstone already checked): also the rows a file-era store becomes when
/// 2026.9.6 imports it at startup, before its recovery runs.
pub fn entry_verdict(key: &str, entry: &EntryFacts, line: &LineRules) -> RowVerdict {
    if entry.status.as_deref() != Some("running") {
        return RowVerdict::Idle;
    }
    if !is_main_session(key, entry) {
        if crate::rules::is_cron_key(key) || crate::rules::is_acp_key(key) {
            return RowVerdict::Skip(
                "not a main session: restart recovery leaves cron and ACP sessions alone".into(),
            );
        }
        return RowVerdict::Fail;
    }
    if let Some(why) = work_start_error(entry) {
        return RowVerdict::Skip(format!("recovery skips it: {why}"));
    }
    if entry.aborted_last_run == Some(true) {
        if let Some((charged, started)) = recovery_attempts(entry) {
            if charged - started >= recovery_budget(line) {
                return RowVerdict::Tombstone;
            }
        }
    }
    RowVerdict::Resume
}

/// The fields an untombstone removes from `entry_json`: the recovery cycle
/// and its runs (`mainRestartRecovery`, `restartRecoveryRuns`) and what a
/// recovery turn carries (`restartRecoveryForceSafeTools`,
/// `restartRecoveryDelivery*`). Verified by booting 2026.9.6: the next turn
/// is answered on the same session id with its history (§4).
pub fn untombstone_removes(field: &str) -> bool {
    matches!(
        field,
        "mainRestartRecovery" | "restartRecoveryRuns" | "restartRecoveryForceSafeTools"
    ) || field.starts_with("restartRecoveryDelivery")
}

/// The writer ids a resume clears, as the boot's own marking does
/// (`mark_interrupted`): the run that held the session is gone.
pub const RESUME_CLEARS: [&str; 3] = ["activeWriterRunId", "lifecycleRunId", "lastRunId"];

/// The recovery budget `line`'s boot gives a session (`RECOVERY_BUDGET` on
/// every SQLite-era line measured so far).
pub fn recovery_budget(_line: &LineRules) -> i64 {
    RECOVERY_BUDGET
}

/// Whether `line` belongs to the SQLite era: its gateway keeps sessions in
/// the agent database, and a file-era store is an input to its startup
/// migration.
pub fn is_sqlite_line(line: &LineRules) -> bool {
    line.era == crate::rules::lines::Era::Sqlite
}

/// The newest SQLite-era line: the rules an agent database is judged by
/// when no SQLite-era line is predicted for.
pub fn newest_line() -> Option<&'static LineRules> {
    crate::rules::lines::ALL
        .iter()
        .rev()
        .find(|l| is_sqlite_line(l))
        .copied()
}

/// Whether `line`'s gateway imports a file-era store at its next start by
/// itself (2026.9.6); without it the start is refused until the store is
/// imported.
pub fn imports_at_start(line: &LineRules) -> bool {
    line.imports_legacy_store_at_boot
}

/// What one SQLite-era line's next boot does with one row of the agent
/// database: its verdict, as the report shows it, and the numbers its
/// finding quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteRowFate {
    pub verdict: RowVerdict,
    pub next_boot: NextBoot,
    pub reason: String,
    /// The recovery budget this line spends before it tombstones a row.
    pub budget: i64,
}

/// What `line`'s next boot does with each row of an agent database, in
/// table order; `whole`: the verdict every row takes when the database
/// decides it (`database_verdict`).
pub fn rows(
    rows: &[SessionRow],
    line: &LineRules,
    whole: Option<&RowVerdict>,
) -> Vec<SqliteRowFate> {
    rows.iter()
        .map(|row| {
            let verdict = match whole {
                Some(v) => v.clone(),
                None => row_verdict(row, line),
            };
            let (next_boot, reason) = next_boot_of(&verdict);
            SqliteRowFate {
                verdict,
                next_boot,
                reason,
                budget: recovery_budget(line),
            }
        })
        .collect()
}

/// A verdict as the report shows it.
pub fn next_boot_of(verdict: &RowVerdict) -> (NextBoot, String) {
    match verdict {
        RowVerdict::Resume => (
            NextBoot::Resume,
            "running: the boot marks it interrupted and resumes the turn; nothing to repair".to_string(),
        ),
        RowVerdict::Tombstone => (
            NextBoot::Tombstone,
            "its restart-recovery budget is spent: the boot tombstones it and every later turn is rejected".to_string(),
        ),
        RowVerdict::Rejected => (
            NextBoot::Rejected,
            "tombstoned by restart recovery: every turn is rejected until /new or /reset (or `repair --untombstone`)".to_string(),
        ),
        RowVerdict::Lost(why) => (NextBoot::Lost, why.clone()),
        RowVerdict::Halt(why) => (
            NextBoot::Halt,
            format!("the gateway refuses to start: {why} (a start whose config changed since the last one reruns the startup migrations, which canonicalize the row instead)"),
        ),
        RowVerdict::Invalid(why) => (
            NextBoot::Rejected,
            format!("the gateway starts, but refuses every turn on it (SESSION_CANONICAL_KEY_MIGRATION_REQUIRED) and never resumes it until `openclaw doctor --fix` repairs the row: {why}"),
        ),
        RowVerdict::Fail => (
            NextBoot::Fail,
            "a subagent run left running: the boot ends it failed".to_string(),
        ),
        RowVerdict::Skip(why) => (NextBoot::Skip, why.clone()),
        RowVerdict::Fenced => (
            NextBoot::Rejected,
            "finished, but a restart recovery left its cycle on it: every turn is rejected (\"changed while starting work. Retry.\") on every boot, until `repair --untombstone`".to_string(),
        ),
        RowVerdict::Cleared => (
            NextBoot::Idle,
            "cleared by the runtime (entry_json {} with entry_valid -1, its window kept): the gateway starts and leaves it as it is".to_string(),
        ),
        RowVerdict::Refused(why) => (
            NextBoot::Halt,
            format!("the gateway refuses to start before it reads any session: {why}"),
        ),
        RowVerdict::Unavailable(why) => (
            NextBoot::Rejected,
            format!("the gateway starts, but refuses every turn on this agent's sessions and resumes none until `openclaw doctor --fix` migrates the database: {why}"),
        ),
        RowVerdict::Idle => (NextBoot::Idle, "nothing to do".to_string()),
    }
}

/// What becomes of a file-era index's entry once a SQLite-era gateway
/// imports it at startup (2026.9.6): imported as it is, then recovered by the
/// SQLite rules (a running main row marked and resumed, a running subagent
/// row ended `failed`, a cron or ACP row left alone).
pub fn imported_prediction(s: &Session, line: &LineRules) -> super::Prediction {
    let entry = EntryFacts {
        status: s.status.clone(),
        aborted_last_run: s.aborted_last_run,
        spawn_depth: s.skip.spawn_depth,
        subagent_role: s.skip.subagent_role.clone().map(serde_json::Value::String),
        ..Default::default()
    };
    let (next_boot, why) = next_boot_of(&entry_verdict(&s.boot_key, &entry, line));
    let why = match (next_boot, why.as_str()) {
        // Most rows: not copied per row.
        (NextBoot::Idle, "nothing to do") => {
            "imported into SQLite at the next start; then nothing to do".into()
        }
        _ => format!("imported into SQLite at the next start; then {why}").into(),
    };
    (next_boot, why)
}

/// What a SQLite-era line's next start does with an agent's file-era store.
/// 2026.8.x refuses to start until the store is imported
/// (`assertSessionStoreMigrationComplete`, measured on 2026.8.2); 2026.9.6
/// imports a store that parses and recovers its rows by the SQLite rules
/// (`imported_prediction`); one that does not parse it cannot import.
pub fn file_store(
    agent: &crate::state::Agent,
    line: &LineRules,
) -> (StoreFate, Vec<Option<super::Prediction>>) {
    let imports = imports_at_start(line);
    let parsed = matches!(agent.store.state, StoreState::Valid);
    let rows = agent
        .sessions
        .iter()
        .map(|s| (imports && parsed && !s.shadowed).then(|| imported_prediction(s, line)))
        .collect();
    let fate = if imports && parsed {
        StoreFate::ImportedAtStart
    } else if matches!(agent.store.state, StoreState::Missing) {
        StoreFate::Absent
    } else if imports {
        StoreFate::CannotImport
    } else {
        StoreFate::RefusesToStart
    };
    (fate, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_verdict_9_6(row: &SessionRow) -> RowVerdict {
        row_verdict(row, &crate::rules::lines::L2026_9_6)
    }

    use crate::state::testing::sqlite_row as row;

    const KEY: &str = "agent:main:feishu:direct:ou_live";

    #[test]
    fn verdicts_follow_the_measured_states() {
        let running = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running","abortedLastRun":false,"activeWriterRunId":"t1"}"#,
        );
        assert_eq!(row_verdict_9_6(&running), RowVerdict::Resume);
        let tomb = row(
            KEY,
            Some("failed"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"failed","mainRestartRecovery":{"chargedAttempts":3,"tombstone":{"reason":"r"}}}"#,
        );
        assert_eq!(row_verdict_9_6(&tomb), RowVerdict::Rejected);
        let exhausted = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running","abortedLastRun":true,"mainRestartRecovery":{"revision":4,"chargedAttempts":3}}"#,
        );
        assert_eq!(row_verdict_9_6(&exhausted), RowVerdict::Tombstone);
        let started = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running","abortedLastRun":true,"mainRestartRecovery":{"chargedAttempts":3,"startedAttempt":1}}"#,
        );
        assert_eq!(row_verdict_9_6(&started), RowVerdict::Resume);
        let dropped = row(
            KEY,
            Some("killed"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"killed","abortedLastRun":true}"#,
        );
        assert!(matches!(row_verdict_9_6(&dropped), RowVerdict::Lost(_)));
        let done = row(
            KEY,
            Some("done"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"done"}"#,
        );
        assert_eq!(row_verdict_9_6(&done), RowVerdict::Idle);
        let sub = row(
            "agent:main:subagent:x",
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running","spawnDepth":1}"#,
        );
        assert_eq!(row_verdict_9_6(&sub), RowVerdict::Fail);
    }

    #[test]
    fn projection_mismatches_halt_or_hide() {
        let mut r = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running"}"#,
        );
        r.updated_at = Some(4);
        assert!(matches!(row_verdict_9_6(&r), RowVerdict::Halt(w) if w.contains("updated_at")));
        let mut r = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running"}"#,
        );
        r.current_session_id = "s2".into();
        assert!(matches!(row_verdict_9_6(&r), RowVerdict::Halt(_)));
        let mut r = row(
            KEY,
            Some("done"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running"}"#,
        );
        assert!(matches!(row_verdict_9_6(&r), RowVerdict::Lost(w) if w.contains("status column")));
        r.entry_valid = Some(-1);
        assert!(matches!(row_verdict_9_6(&r), RowVerdict::Halt(_)));
        let r = row(KEY, Some("done"), "[1]");
        assert!(matches!(row_verdict_9_6(&r), RowVerdict::Halt(_)));
    }

    /// An invalid row halts the start from 2026.9.5 on; 2026.8.1 to 2026.9.4
    /// start and refuse that session's turns (measured on databases each
    /// release made itself, `invalid-row-own` in `oracle/sqlite.py`).
    #[test]
    fn an_invalid_row_halts_the_start_from_2026_9_5_and_only_its_session_before() {
        use crate::rules::lines::{ALL, L2026_9_5};
        let mut r = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","updatedAt":5,"status":"running"}"#,
        );
        r.updated_at = Some(4);
        for line in ALL.iter().filter(|l| is_sqlite_line(l)) {
            let verdict = row_verdict(&r, line);
            if line.first >= L2026_9_5.first {
                assert!(matches!(verdict, RowVerdict::Halt(_)), "{}", line.name);
            } else {
                assert!(
                    matches!(&verdict, RowVerdict::Invalid(w) if w.contains("updated_at")),
                    "{}",
                    line.name
                );
                let (next, why) = next_boot_of(&verdict);
                assert_eq!(next, NextBoot::Rejected, "{}", line.name);
                assert!(why.contains("gateway starts"), "{why}");
            }
        }
    }

    /// A row the runtime cleared (`{}`, -1, its window kept under its key)
    /// is left as it is on every SQLite-era line; a `{}` marked valid, a
    /// text other than `{}`, or no window of its own under the key is an
    /// invalid row the gateway refuses to start on.
    #[test]
    fn a_row_the_runtime_cleared_is_tolerated_and_nothing_else_like_it() {
        use crate::rules::lines::{L2026_8_1, L2026_9_6};
        let mut cleared = row(KEY, None, "{}");
        cleared.entry_valid = Some(-1);
        for line in [&L2026_8_1, &L2026_9_6] {
            assert_eq!(row_verdict(&cleared, line), RowVerdict::Cleared);
            assert_eq!(next_boot_of(&row_verdict(&cleared, line)).0, NextBoot::Idle);
        }
        // Still pending: settled to -1 at open, before the validation.
        for settled in [Some(0), None] {
            let mut pending = cleared.clone();
            pending.entry_valid = settled;
            assert_eq!(row_verdict_9_6(&pending), RowVerdict::Cleared);
        }
        let mut marked_valid = cleared.clone();
        marked_valid.entry_valid = Some(1);
        assert!(matches!(
            row_verdict_9_6(&marked_valid),
            RowVerdict::Halt(_)
        ));
        let mut spaced = cleared.clone();
        spaced.entry_json_empty = false;
        assert!(matches!(row_verdict_9_6(&spaced), RowVerdict::Halt(_)));
        let mut no_window = cleared.clone();
        no_window.window = None;
        assert!(matches!(row_verdict_9_6(&no_window), RowVerdict::Halt(_)));
        let mut other_key = cleared.clone();
        if let Some(w) = &mut other_key.window {
            w.session_key = Some("agent:main:other".into());
        }
        assert!(matches!(row_verdict_9_6(&other_key), RowVerdict::Halt(_)));
    }

    /// A recovery cycle (no tombstone) left on a main session that is not
    /// running rejects every turn; not on a running row (recovery's own), a
    /// tombstoned one (`Rejected` by its tombstone), a subagent, or with the
    /// fence alone.
    #[test]
    fn a_recovery_cycle_left_on_a_finished_main_session_fences_it() {
        let cycle = r#""mainRestartRecovery":{"cycleId":"c","revision":6,"chargedAttempts":1,"startedAttempt":1}"#;
        let fence = r#""restartRecoveryRuns":[{"runId":"t1","lifecycleGeneration":"g0"}]"#;
        let entry = |status: &str, extra: &str| {
            format!(r#"{{"sessionId":"s1","updatedAt":5,"status":"{status}",{extra}}}"#)
        };
        for status in ["done", "failed", "killed", "timeout"] {
            for extra in [format!("{cycle},{fence}"), cycle.to_string()] {
                let r = row(KEY, Some(status), &entry(status, &extra));
                assert_eq!(row_verdict_9_6(&r), RowVerdict::Fenced, "{status} {extra}");
            }
        }
        let r = row(KEY, Some("done"), &entry("done", fence));
        assert_eq!(row_verdict_9_6(&r), RowVerdict::Idle);
        let r = row(
            KEY,
            Some("running"),
            &entry("running", &format!("{cycle},{fence}")),
        );
        assert_ne!(row_verdict_9_6(&r), RowVerdict::Fenced);
        let tomb = r#""mainRestartRecovery":{"cycleId":"c","tombstone":{"reason":"x"}}"#;
        let r = row(KEY, Some("failed"), &entry("failed", tomb));
        assert_eq!(row_verdict_9_6(&r), RowVerdict::Rejected);
        let sub = "agent:main:subagent:x";
        let r = row(sub, Some("done"), &entry("done", cycle));
        assert_eq!(row_verdict_9_6(&r), RowVerdict::Idle);
        let r = row(
            KEY,
            Some("done"),
            &entry("done", r#""mainRestartRecovery":null"#),
        );
        assert_eq!(row_verdict_9_6(&r), RowVerdict::Idle);
    }

    #[test]
    fn a_file_era_store_is_imported_at_start_only_where_the_line_does() {
        use crate::boot::StoreFate;
        use crate::rules::lines::{L2026_8_1, L2026_9_6};
        use crate::state::{Agent, Session};
        let agent = Agent::for_test("main").with_session(
            Session::for_test("a")
                .running(Some(true))
                .with_transcript(&["user"]),
        );
        let (fate, rows) = file_store(&agent, &L2026_9_6);
        assert_eq!(fate, StoreFate::ImportedAtStart);
        assert_eq!(rows[0].as_ref().map(|r| r.0), Some(NextBoot::Resume));
        let without = LineRules {
            imports_legacy_store_at_boot: false,
            ..L2026_9_6
        };
        let (fate, rows) = file_store(&agent, &without);
        assert_eq!(fate, StoreFate::RefusesToStart);
        assert_eq!(rows[0], None);
        assert_eq!(file_store(&agent, &L2026_8_1).0, StoreFate::RefusesToStart);
        let unparsed = Agent::for_test("main")
            .with_store_state(crate::state::StoreState::Invalid { error: "x".into() });
        assert_eq!(file_store(&unparsed, &L2026_9_6).0, StoreFate::CannotImport);
        assert_eq!(
            file_store(
                &Agent::for_test("main").with_store_state(crate::state::StoreState::Missing),
                &L2026_9_6
            )
            .0,
            StoreFate::Absent
        );
    }

    #[test]
    fn the_recovery_budget_is_the_line_s() {
        let exhausted = row(
            KEY,
            Some("running"),
            r#"{"sessionId":"s1","status":"running","abortedLastRun":true,"updatedAt":1,"mainRestartRecovery":{"chargedAttempts":3,"startedAttempt":0}}"#,
        );
        let fates = rows(
            std::slice::from_ref(&exhausted),
            &crate::rules::lines::L2026_9_6,
            None,
        );
        assert_eq!(fates[0].next_boot, NextBoot::Tombstone);
        assert_eq!(fates[0].budget, RECOVERY_BUDGET);
        // Every row of a refused start halts, whatever it holds.
        let fates = rows(
            std::slice::from_ref(&exhausted),
            &crate::rules::lines::L2026_9_6,
            Some(&RowVerdict::Refused("a newer database".into())),
        );
        assert_eq!(fates[0].next_boot, NextBoot::Halt);
        assert!(
            fates[0].reason.contains("refuses to start"),
            "{}",
            fates[0].reason
        );
    }
}
