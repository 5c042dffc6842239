//! OpenClaw release lines: the boot rules that changed between releases, side
//! by side. Everything a line changes by a constant is a field here; where a
//! line changes the logic, the field is a switch that the rule functions in
//! `rules` (`inspect_lock`, `boot_removes_lock`) and `boot` (`boot::file`,
//! `boot::sqlite`) read, each documented with the release and `dist/` file it
//! comes from. No switch is read elsewhere; the rules that read several of
//! them per row (`store_visited`, `flag_blocker`, `agent_configured`) are
//! `boot::file`'s.
//!
//! Measured on the real npm packages (`openclaw@VERSION`, booted offline by
//! `oracle/`), and read from their `dist/` (file names are content-hashed per
//! release; see the README's "Supported OpenClaw releases").

use std::cmp::Ordering;
use std::fmt;

/// An OpenClaw release version: `YYYY.M.D` with an optional `-N` build
/// (`2026.7.1-2`) or a pre-release tag (`2026.6.1-beta.1`, sorted before
/// `2026.6.1`). A leading `v` and an `OpenClaw ` prefix (as `openclaw
/// --version` prints) are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    /// The `-N` build number, 0 when absent.
    pub build: u16,
    /// A pre-release (`-beta.1`, `-rc.2`): sorts before the release itself.
    pub pre: bool,
}

impl Version {
    pub const fn new(year: u16, month: u8, day: u8) -> Version {
        Version {
            year,
            month,
            day,
            build: 0,
            pre: false,
        }
    }

    /// Parse `2026.5.12`, `2026.7.1-2`, `v2026.6.1-beta.1`, `OpenClaw 2026.7.35 (aa94808)`.
    ///
    /// Errors: a text that is not `YYYY.M.D[-suffix]`, said in words.
    pub fn parse(text: &str) -> Result<Version, String> {
        let t = text.trim();
        let t = t.strip_prefix("OpenClaw ").unwrap_or(t);
        let t = t.split_whitespace().next().unwrap_or("");
        let t = t.strip_prefix('v').unwrap_or(t);
        let bad = || {
            format!("{text:?} is not an OpenClaw version (YYYY.M.D, e.g. 2026.5.12 or 2026.7.1-2)")
        };
        let (core, suffix) = match t.split_once('-') {
            Some((c, s)) => (c, Some(s)),
            None => (t, None),
        };
        let mut parts = core.split('.');
        let mut num = |max: u32| -> Result<u32, String> {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let n: u32 = p.parse().map_err(|_| bad())?;
            (n <= max).then_some(n).ok_or_else(bad)
        };
        let year = num(9999)?;
        let month = num(12)?;
        let day = num(999)?;
        if parts.next().is_some() || year < 2000 || month == 0 {
            return Err(bad());
        }
        let (build, pre) = match suffix {
            None => (0, false),
            Some(s) if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) => {
                (s.parse().map_err(|_| bad())?, false)
            }
            Some(s) if !s.is_empty() => (0, true),
            Some(_) => return Err(bad()),
        };
        Ok(Version {
            year: year as u16,
            month: month as u8,
            day: day.min(255) as u8,
            build,
            pre,
        })
    }

    fn key(&self) -> (u16, u8, u8, bool, u16) {
        (self.year, self.month, self.day, !self.pre, self.build)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.year, self.month, self.day)?;
        if self.build > 0 {
            write!(f, "-{}", self.build)?;
        }
        Ok(())
    }
}

/// Where an era keeps sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `agents/<id>/sessions/sessions.json` + `<id>.jsonl` + `.jsonl.lock`.
    File,
    /// `agents/<id>/agent/openclaw-agent.sqlite` (2026.8.1 and later).
    Sqlite,
}

/// What one release line's gateway does at boot, where it differs from
/// another line. Read the constants below side by side.
#[derive(Debug, PartialEq, Eq)]
pub struct LineRules {
    /// The line's name: its first release.
    pub name: &'static str,
    /// First release of the line.
    pub first: Version,
    /// The real packages this line's rules were checked against (booted by
    /// the oracle suite) or read from (`dist/`).
    pub checked_with: &'static str,
    pub era: Era,
    /// Main-session restart recovery exists (`main-session-restart-recovery`,
    /// about 2026.4.25): rows flagged `abortedLastRun` are resumed or failed.
    pub boot_recovery: bool,
    /// `cleanStaleLockFiles` of `session-write-lock` runs at startup on every
    /// visited sessions dir.
    pub lock_sweep: bool,
    /// The sweep's stale threshold honours `OPENCLAW_SESSION_WRITE_LOCK_STALE_MS`
    /// and `session.writeLock.staleMs` (`resolveSessionWriteLockStaleMs`,
    /// from 2026.5.22); before, it is hard-coded to 30 min.
    pub stale_ms_configurable: bool,
    /// Locks whose only stale reasons are `too-old`/`hold-exceeded`
    /// (`REPORT_ONLY_STALE_LOCK_REASONS`) are kept at boot, so a lock of a
    /// live OpenClaw process is kept however old (PR #88129, 2026.5.28).
    pub keeps_report_only_locks: bool,
    /// The owner check (`shouldTreatAsNonOpenClawOwner`) also runs on locks
    /// already stale for another reason (but not `recycled-pid`); 5.12 runs it
    /// only on locks with no other reason (2026.5.28 `session-write-lock`).
    pub owner_check_on_stale: bool,
    /// A lock whose only reasons are `missing-pid`/`invalid-createdAt` is
    /// removed only once its mtime is older than min(staleMs, this)
    /// (`ORPHAN_LOCK_PAYLOAD_GRACE_MS`: 5 s in 2026.5.28, 30 s from 2026.6.1).
    pub payload_grace_ms: Option<u64>,
    /// Boot cleanup and recovery also visit the configured `session.store`
    /// targets (2026.5.22); before, only `agents/*/sessions/sessions.json`.
    pub visits_configured_store: bool,
    /// The boot marks every running main row that no live run owns
    /// (`abortedLastRun: true`, no lock needed), before channels start and
    /// at each recovery pass (PR #91566, 2026.6.9,
    /// `server-startup-post-attach`).
    pub orphan_marking: bool,
    /// The startup state migration reads the default agent's JSON5-only
    /// index and rewrites it as strict JSON when it finds legacy session
    /// files (`state-migrations-CDz8cSvR.js` in 6.11, `hasStaleSessionFiles`;
    /// measured on 6.11, 7.1-2, 7.35; 5.28 and 6.5 load it as `{}`).
    pub startup_salvages_json5: bool,
    /// A resumed run that meets a lock held by a live OpenClaw process ends
    /// `failed` (lock timeout or `too-old` refusal on acquire, measured on
    /// 6.11 and 7.35); before 6.9 the row stays `running`.
    pub live_lock_fails_resume: bool,
    /// The `agent` RPC refuses a session whose agent is not in the config's
    /// `agents.list` ("Agent \"x\" no longer exists in configuration",
    /// 2026.7.1-2 `agent-*.js`): such a row stays `running`, flagged.
    pub refuses_unconfigured_agent: bool,
    /// Before failing a row, recovery sends "please send that last request
    /// again" to its channel (2026.5.28).
    pub resend_notice: bool,
    /// A resumed run's reply is delivered to the row's channel (2026.6.1;
    /// before, recovery resumes with `deliver: false`,
    /// `main-session-restart-recovery-D1yxkDUR.js` in 2026.5.12, and the reply
    /// stays in the transcript).
    pub delivers_resumed_reply: bool,
    /// Where replies wait to reach the chat (`rules::delivery`).
    pub queue: QueueStore,
    /// `Outbound not configured for channel` (the channel launched, not yet
    /// ready) is a permanent error: the reply is dead-lettered at its first
    /// failure (through 2026.7.x; PR #126800 removed it in 2026.8.1).
    pub readiness_error_permanent: bool,
    /// The boot still delivers legacy queue data: `delivery-queue/` files
    /// (imported by the CLI's state migration from 2026.6.1) and 6.x/7.x
    /// `outbound` rows (migrated at runtime by 2026.8.1 to 2026.9.4);
    /// 2026.9.5+ only warn and ask for `openclaw doctor --fix`.
    pub replays_legacy_queue: bool,
    /// A pending `outbound-prepared-v1` row of the smallest shape the
    /// delivery oracle found delivered (`preparedBatch` with one accepted
    /// text payload) is sent by the boot (measured on 2026.9.6 only:
    /// `oracle/delivery.py`'s template case).
    pub replays_prepared_rows: bool,
    /// SQLite era: the gateway imports a file-era `sessions.json` (and its
    /// transcripts) into the agent database at startup by itself, archives
    /// the files and then recovers the rows (measured on 2026.9.6). Without
    /// it the gateway refuses to start ("Legacy session store requires
    /// migration", `assertSessionStoreMigrationComplete`,
    /// `startup-migration-BY1t5h-r.js` in 8.2) until `openclaw doctor --fix`
    /// or `openclaw doctor --session-sqlite import` imports it.
    pub imports_legacy_store_at_boot: bool,
    /// SQLite era: the newest `state/openclaw.sqlite` schema (`PRAGMA
    /// user_version`) the line's releases open (`supportedVersions.state` of
    /// `openclaw-database-preflight-*.mjs`); a newer one makes the gateway
    /// refuse to start ("Gateway refused startup because N OpenClaw database
    /// schema(s) are newer than this build"). `None`: not checked at boot.
    pub newest_state_schema: Option<i64>,
    /// SQLite era: the newest agent database schema the line's releases open
    /// (`supportedVersions.agent`); a newer one refuses the start as above.
    pub newest_agent_schema: Option<i64>,
    /// SQLite era: an agent database older than `newest_agent_schema` is
    /// migrated at startup (measured on 2026.9.6 with 2026.8.2's); without
    /// it the gateway starts but every session of that agent is refused
    /// ("uses schema version N; ... run openclaw doctor --fix to migrate
    /// session identities", `openclaw-agent-db-schema-read-*.mjs`; measured on
    /// 2026.9.5).
    pub migrates_agent_db_at_boot: bool,
    /// SQLite era: what the startup check requires of an agent database's
    /// shape at the same schema version; a database that fails one makes the
    /// gateway refuse to start.
    pub agent_shape: &'static [ShapeCheck],
    /// SQLite era: a row whose projections disagree with `entry_json`
    /// (`boot::sqlite::invalid_reason`) makes the gateway refuse to start
    /// ("invalid persisted session row requires repair"; measured on 2026.9.5
    /// and 2026.9.6). Without it the gateway starts and refuses every turn
    /// on that session (`SessionCanonicalKeyMigrationRequiredError`, code
    /// `SESSION_CANONICAL_KEY_MIGRATION_REQUIRED`; measured on 2026.8.1 and
    /// 2026.9.4 on databases each made itself).
    pub invalid_row_refuses_start: bool,
    /// SQLite era: what the start does with an agent database whose
    /// `schema_meta` names another agent than the dir it sits in.
    pub misplaced_agent_db: MisplacedDb,
}

/// What a line's start does with an agent database that names another
/// agent (`boot::placement`). Measured on each of 2026.8.1 to 2026.9.6 with a
/// copy of `main`'s database under `work` (listed in `agents.list` or not)
/// and with `main`'s naming `work`, the config unchanged since the last
/// start (`db-*` cases in `oracle/sqlite.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MisplacedDb {
    /// Not a SQLite-era line: the file is never opened for sessions.
    NotChecked,
    /// The gateway refuses to start ("OpenClaw agent database ... belongs to
    /// agent main; requested agent work", 2026.8.1 to 2026.9.4).
    RefusesStart,
    /// An agent the gateway may set apart (`canIsolateAgentDatabase`: in
    /// `agents.list`, not the default or system agent) starts with its
    /// sessions refused ("Sessions remain unavailable"); any other agent's
    /// misplaced database refuses the start, except, when
    /// `unlisted_refuses_start` is false, that of an agent missing from
    /// `agents.list`, which is not checked (2026.9.5). 2026.9.6 also refuses
    /// an unlisted one, and a start whose config changed since the last one
    /// moves a byte-identical copy aside itself (`*.corrupt-<ms>`).
    SetsApart { unlisted_refuses_start: bool },
}

/// Where a line keeps the replies waiting to reach the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStore {
    /// `<stateDir>/delivery-queue/<id>.json`, dead letters in `failed/`
    /// (through 2026.5.28, `delivery-queue-CSyJVJzj.js` in 2026.5.12).
    Files,
    /// Rows of `delivery_queue_entries` in `state/openclaw.sqlite`, queue
    /// `outbound`, dead letters kept whole (2026.6.1 to 2026.7.x,
    /// `delivery-queue-DyF7Pl38.js` in 2026.6.11).
    Sqlite,
    /// The same table, queue `outbound-prepared-v1`; a failed entry is
    /// deleted or kept as a payload-free tombstone, and the first open of a
    /// 6.x/7.x database does the same to its dead letters (2026.8.1+,
    /// `openclaw-state-db-Cb4e1jdd.js`).
    Custody,
}

/// One fact of an agent database's shape a line's startup check requires.
#[derive(Debug, PartialEq, Eq)]
pub enum ShapeCheck {
    /// `session_pending_inputs` without this column: 2026.8.1's definition
    /// has no `consumed_event_id`, which 2026.8.2 added at the same schema
    /// version; 8.1 refuses 8.2's databases ("column definitions differ for
    /// session_pending_inputs", measured).
    PendingInputsWithout(&'static str),
    /// This index on `session_nodes`: 2026.9.4 verifies the current shape at
    /// startup and refuses a database without it ("missing or drifted index
    /// idx_agent_session_nodes_active", measured with 2026.8.2's; 2026.9.2
    /// was the first to create it).
    SessionNodesIndex(&'static str),
}

const fn v(year: u16, month: u8, day: u8) -> Version {
    Version::new(year, month, day)
}

/// Before main-session restart recovery: nothing at boot resumes or fails a
/// row left `running`, and no lock sweep runs.
pub const PRE_RECOVERY: LineRules = LineRules {
    name: "2026.1.1",
    first: v(2026, 1, 1),
    checked_with: "not booted: no recovery code to model",
    era: Era::File,
    boot_recovery: false,
    lock_sweep: false,
    stale_ms_configurable: false,
    keeps_report_only_locks: false,
    owner_check_on_stale: false,
    payload_grace_ms: None,
    visits_configured_store: false,
    orphan_marking: false,
    startup_salvages_json5: false,
    live_lock_fails_resume: false,
    refuses_unconfigured_agent: false,
    resend_notice: false,
    delivers_resumed_reply: false,
    queue: QueueStore::Files,
    readiness_error_permanent: true,
    replays_legacy_queue: true,
    replays_prepared_rows: false,
    imports_legacy_store_at_boot: false,
    newest_state_schema: None,
    newest_agent_schema: None,
    migrates_agent_db_at_boot: false,
    agent_shape: &[],
    invalid_row_refuses_start: false,
    misplaced_agent_db: MisplacedDb::NotChecked,
};

/// Lock-based recovery as 2026.5.12 does it (`main-session-restart-recovery-D1yxkDUR.js`,
/// `session-write-lock-BT1vMcpZ.js`, `server-startup-post-attach-Cd490zZC.js`).
pub const L2026_4_25: LineRules = LineRules {
    name: "2026.4.25",
    first: v(2026, 4, 25),
    checked_with: "oracle matrix: 2026.5.12",
    boot_recovery: true,
    lock_sweep: true,
    ..PRE_RECOVERY
};

/// Adds configured stores visited, staleMs configurable
/// (`main-session-restart-recovery-C_yReR9o.js`, `session-write-lock-_a5O1H8L.js`).
pub const L2026_5_22: LineRules = LineRules {
    name: "2026.5.22",
    first: v(2026, 5, 22),
    checked_with: "`dist/` of 2026.5.22 read",
    stale_ms_configurable: true,
    visits_configured_store: true,
    ..L2026_4_25
};

/// Adds report-only locks kept, owner check on stale locks, 5 s payload grace,
/// resend notice (`session-write-lock-5bJqdAc_.js`,
/// `main-session-restart-recovery-DyFJ9rfb.js`).
pub const L2026_5_28: LineRules = LineRules {
    name: "2026.5.28",
    first: v(2026, 5, 28),
    checked_with: "oracle matrix: 2026.5.28",
    keeps_report_only_locks: true,
    owner_check_on_stale: true,
    payload_grace_ms: Some(5_000),
    resend_notice: true,
    ..L2026_5_22
};

/// Adds 30 s payload grace, resumed replies delivered
/// (`session-write-lock-D5DolpuY.js` in 6.5).
pub const L2026_6_1: LineRules = LineRules {
    name: "2026.6.1",
    first: v(2026, 6, 1),
    checked_with: "2026.6.5 booted once on 35 states",
    payload_grace_ms: Some(30_000),
    delivers_resumed_reply: true,
    queue: QueueStore::Sqlite,
    ..L2026_5_28
};

/// Adds orphan marking; a resumed run blocked by a live owner's lock ends failed
/// (`server-startup-post-attach-BsqcpEFD.js` l. 405 in 6.11,
/// `main-session-restart-recovery-x6V6ZCmn.js`).
pub const L2026_6_9: LineRules = LineRules {
    name: "2026.6.9",
    first: v(2026, 6, 9),
    checked_with: "oracle matrix: 2026.6.11",
    orphan_marking: true,
    startup_salvages_json5: true,
    live_lock_fails_resume: true,
    ..L2026_6_1
};

/// Adds sessions of an agent missing from `agents.list` are never resumed
/// (`agent-D6kiZtPt.js` in 7.1-2, `agent-C3WGHzW3.js` in 7.35).
pub const L2026_7_1: LineRules = LineRules {
    name: "2026.7.1",
    first: v(2026, 7, 1),
    checked_with: "oracle matrix: 2026.7.35; 2026.7.1-2 booted once on 35 states",
    refuses_unconfigured_agent: true,
    ..L2026_6_9
};

/// The SQLite era: sessions in `openclaw-agent.sqlite`; a file-era index is
/// an input to the startup migration ("Legacy session store requires
/// migration", `startup-migration-LqDYqbTK.js` in 8.1). Its boot rules are
/// `boot::sqlite` (read in 2026.9.6's `dist/`).
pub const L2026_8_1: LineRules = LineRules {
    name: "2026.8.1",
    first: v(2026, 8, 1),
    checked_with:
        "oracle: 2026.8.1 (its own databases, 2026.8.2's and 2026.9.6's, a file-era upgrade)",
    era: Era::Sqlite,
    queue: QueueStore::Custody,
    readiness_error_permanent: false,
    newest_state_schema: Some(15),
    newest_agent_schema: Some(19),
    agent_shape: &[ShapeCheck::PendingInputsWithout("consumed_event_id")],
    misplaced_agent_db: MisplacedDb::RefusesStart,
    ..L2026_7_1
};

/// Opens the databases 2026.8.2 and later write at agent schema 19
/// (`session_pending_inputs.consumed_event_id`), which 2026.8.1 refuses.
pub const L2026_8_2: LineRules = LineRules {
    name: "2026.8.2",
    first: v(2026, 8, 2),
    checked_with: "oracle: 2026.8.2, 2026.9.1, 2026.9.2 (their own databases, 2026.8.2's and 2026.9.6's, a file-era upgrade)",
    agent_shape: &[],
    ..L2026_8_1
};

/// Opens state databases up to schema 16 (agent 19): a database 2026.9.4+
/// wrote makes it refuse to start (`supportedVersions` in 2026.9.3's
/// `dist/`, read).
pub const L2026_9_3: LineRules = LineRules {
    name: "2026.9.3",
    first: v(2026, 9, 3),
    checked_with: "oracle: 2026.9.3 (its own databases, 2026.8.2's and 2026.9.6's, a file-era upgrade); `dist/` read (schemas)",
    newest_state_schema: Some(16),
    ..L2026_8_2
};

/// Opens state databases up to schema 17 (agent 19) (2026.9.4's `dist/`), and
/// refuses to start on an agent database without the index 2026.9.2 added.
pub const L2026_9_4: LineRules = LineRules {
    name: "2026.9.4",
    first: v(2026, 9, 4),
    checked_with: "oracle: 2026.9.4 (its own databases, 2026.8.2's and 2026.9.6's, a file-era upgrade); `dist/` read (schemas)",
    newest_state_schema: Some(17),
    agent_shape: &[ShapeCheck::SessionNodesIndex(
        "idx_agent_session_nodes_active",
    )],
    ..L2026_9_3
};

/// Opens agent databases up to schema 21 (state 17) (2026.9.5's `dist/`), but
/// does not migrate an older one at startup: the gateway starts on 2026.8.2's
/// databases and refuses every session until `openclaw doctor --fix`
/// (measured); it no longer checks 2026.9.4's index; it is the first to
/// refuse to start on an invalid row (measured).
pub const L2026_9_5: LineRules = LineRules {
    name: "2026.9.5",
    first: v(2026, 9, 5),
    checked_with: "oracle: 2026.9.5 (its own databases, 2026.8.2's and 2026.9.6's, a file-era upgrade); `dist/` read (schemas)",
    newest_agent_schema: Some(21),
    agent_shape: &[],
    invalid_row_refuses_start: true,
    replays_legacy_queue: false,
    misplaced_agent_db: MisplacedDb::SetsApart {
        unlisted_refuses_start: false,
    },
    ..L2026_9_4
};

/// The gateway imports a file-era store itself at its first boot (measured
/// on 2026.9.6: "Session SQLite - Legacy entries: N; SQLite entries: N ...
/// Archived N legacy transcript artifact(s)", then the running rows are
/// marked and resumed). It is the first release that does: 2026.8.1 to
/// 2026.9.5, booted on the same file-era state, each refused to start
/// (`legacy-store` in `oracle/sqlite.py`).
pub const L2026_9_6: LineRules = LineRules {
    name: "2026.9.6",
    first: v(2026, 9, 6),
    checked_with: "oracle: 2026.9.6 (its own databases, 2026.8.2's, a file-era upgrade)",
    imports_legacy_store_at_boot: true,
    replays_prepared_rows: true,
    newest_state_schema: Some(18),
    newest_agent_schema: Some(23),
    migrates_agent_db_at_boot: true,
    misplaced_agent_db: MisplacedDb::SetsApart {
        unlisted_refuses_start: true,
    },
    ..L2026_9_5
};

/// Automatic recovery attempts that never reach a started turn before the
/// boot tombstones a session (`inspectMainSessionRecovery`: `exhausted` when
/// `chargedAttempts - startedAttempt >= 3`, `main-session-restart-recovery-*.mjs`).
pub const RECOVERY_BUDGET: i64 = 3;

/// Every line, oldest first.
pub const ALL: [&LineRules; 13] = [
    &PRE_RECOVERY,
    &L2026_4_25,
    &L2026_5_22,
    &L2026_5_28,
    &L2026_6_1,
    &L2026_6_9,
    &L2026_7_1,
    &L2026_8_1,
    &L2026_8_2,
    &L2026_9_3,
    &L2026_9_4,
    &L2026_9_5,
    &L2026_9_6,
];

/// The lines predicted for when the release cannot be told at `now_ms`
/// (Unix ms): every line with boot recovery, the SQLite era's too (the next
/// boot may run an upgrade, and a file-era store is then imported, or stops
/// the gateway until it is), but not a line whose first release is dated
/// after `now` plus a day: a version's date is never after its build
/// (`dist/build-info.json` `builtAt` of 5.12, 5.28, 6.11, 7.35, 8.2 and 9.6
/// is 0 to 77 days after it). Before 2026.4.25 is out: `PRE_RECOVERY`.
pub fn unknown_release_lines(now_ms: i64) -> LineSet {
    let today = chrono::DateTime::from_timestamp_millis(now_ms + 86_400_000)
        .map(|t| t.date_naive())
        .unwrap_or(chrono::NaiveDate::MAX);
    let out_by = |v: Version| {
        chrono::NaiveDate::from_ymd_opt(v.year.into(), v.month.into(), v.day.into())
            .is_none_or(|d| d <= today)
    };
    let mut set = LineSet::EMPTY;
    for (i, l) in ALL.iter().enumerate() {
        if l.boot_recovery && out_by(l.first) {
            set.0 |= 1 << i;
        }
    }
    if set.is_empty() {
        // Before 2026.4.25 is out, only a release without recovery can run.
        return LineSet::one(&PRE_RECOVERY);
    }
    set
}

/// The line a release belongs to: the last line whose first release is not
/// after it. A pre-release belongs to its release's line: it is cut from
/// that release's code (2026.8.1-beta.2 already keeps sessions in SQLite,
/// openclaw#125793), though it sorts before the release.
pub fn line_of(version: Version) -> &'static LineRules {
    let release = Version {
        pre: false,
        ..version
    };
    ALL.iter()
        .rev()
        .find(|l| l.first <= release)
        .copied()
        .unwrap_or(&PRE_RECOVERY)
}

/// The last line whose rules apply from `first`, for a name (`"2026.6.9"`).
pub fn by_name(name: &str) -> Option<&'static LineRules> {
    ALL.iter().find(|l| l.name == name).copied()
}

/// A set of lines, as a bit set over `ALL` (so settings stay `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSet(pub u16);

impl LineSet {
    pub const EMPTY: LineSet = LineSet(0);

    pub fn one(line: &'static LineRules) -> LineSet {
        let i = ALL
            .iter()
            .position(|l| std::ptr::eq(*l, line) || *l == line)
            .unwrap_or(0);
        LineSet(1 << i)
    }

    /// The lines in the set, oldest first.
    pub fn iter(self) -> impl Iterator<Item = &'static LineRules> {
        ALL.iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, l)| *l)
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The last release of a line, for display: the day before the next line's
/// first release, or open.
pub fn range_label(line: &LineRules) -> String {
    let i = ALL.iter().position(|l| *l == line).unwrap_or(0);
    match ALL.get(i + 1) {
        Some(next) if i == 0 => format!("before {}", next.first),
        Some(next) => format!("{} to before {}", line.first, next.first),
        None => format!("{} and later", line.first),
    }
}

/// The README's "Supported OpenClaw releases" table, made from `ALL` (a
/// test keeps the README in step).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| line | releases | what its boot does by itself | what `sessfix repair` does there | checked with |\n|---|---|---|---|---|\n",
    );
    for l in ALL {
        let mut boot: Vec<String> = Vec::new();
        if l.era == Era::Sqlite {
            boot.push(format!("keeps sessions in SQLite; marks and resumes every interrupted `running` row itself; tombstones a session whose recovery never starts a turn in {RECOVERY_BUDGET} attempts; refuses to start for up to 60 s on a dead maintenance lease"));
            boot.push(if l.invalid_row_refuses_start {
                "refuses to start on a row whose projections disagree with `entry_json`".into()
            } else {
                "starts beside a row whose projections disagree with `entry_json`, and refuses every turn on it".into()
            });
            boot.push(if l.imports_legacy_store_at_boot {
                "imports a file-era `sessions.json` itself at startup".into()
            } else {
                "refuses to start while a file-era `sessions.json` is not imported (`openclaw doctor --fix` imports it)".into()
            });
            if let (Some(st), Some(ag)) = (l.newest_state_schema, l.newest_agent_schema) {
                boot.push(format!("refuses to start on a database a newer release wrote (state schema above {st}, agent schema above {ag})"));
            }
            for check in l.agent_shape {
                boot.push(match check {
                    ShapeCheck::PendingInputsWithout(c) => format!("refuses to start on an agent database whose `session_pending_inputs` has `{c}` (2026.8.2's)"),
                    ShapeCheck::SessionNodesIndex(i) => format!("refuses to start on an agent database without `{i}`"),
                });
            }
            if let MisplacedDb::SetsApart {
                unlisted_refuses_start,
            } = l.misplaced_agent_db
            {
                boot.push(format!(
                    "refuses the sessions of a listed non-default agent whose database names another agent, and refuses to start on any other{}",
                    if unlisted_refuses_start { "" } else { " (an agent missing from `agents.list` is not checked)" }
                ));
            } else if l.misplaced_agent_db == MisplacedDb::RefusesStart {
                boot.push("refuses to start on an agent database that names another agent".into());
            }
            boot.push(if l.migrates_agent_db_at_boot {
                "migrates an older agent database at startup".into()
            } else {
                "refuses every session of an older agent database until `openclaw doctor --fix` migrates it".into()
            });
        } else if !l.boot_recovery {
            boot.push("nothing: no restart recovery, no lock sweep".into());
        } else {
            boot.push("removes stale transcript locks and marks their rows; resumes or fails rows flagged `abortedLastRun`".into());
            if l.keeps_report_only_locks {
                boot.push("keeps a too-old lock of a live OpenClaw process".into());
            }
            if let Some(g) = l.payload_grace_ms {
                boot.push(format!(
                    "removes a lock without a valid payload only after {} s",
                    g / 1000
                ));
            }
            if l.visits_configured_store {
                boot.push("visits a configured `session.store`".into());
            }
            if l.orphan_marking {
                boot.push("marks every orphaned running row itself".into());
            }
            if l.live_lock_fails_resume {
                boot.push("fails a resumed row whose lock a live OpenClaw process holds".into());
            }
            if l.startup_salvages_json5 {
                boot.push("rewrites a JSON5-only default index with legacy session files".into());
            }
            if l.refuses_unconfigured_agent {
                boot.push("never resumes an agent missing from `agents.list`".into());
            }
        }
        if l.boot_recovery {
            if !l.delivers_resumed_reply {
                boot.push("resumes a turn without sending its reply (`deliver: false`)".into());
            }
            boot.push(match l.queue {
                QueueStore::Files => "replays `delivery-queue/` once per boot, dead letters kept in `failed/` for ever".into(),
                QueueStore::Sqlite => "replays the `outbound` queue rows once per boot; dead-letters a reply whose channel is not ready yet".into(),
                QueueStore::Custody => "retries a reply with backoff, then deletes it; deletes or empties the dead letters of a 2026.6-7.x database".into(),
            });
            if !l.replays_legacy_queue {
                boot.push(
                    "no longer delivers legacy queue data (`openclaw doctor --fix` imports it)"
                        .into(),
                );
            }
        }
        let repair = if l.era == Era::Sqlite {
            "only what the operator names: `--untombstone KEY`, `--resume KEY`, `--clear-dead-leases`; never a legacy file or a transcript"
        } else if !l.boot_recovery {
            "ends stranded rows with `--max-age`; nothing else helps"
        } else if l.orphan_marking {
            "cuts restart artifacts, rewrites a JSON5 index, removes locks the boot would; no flag needed"
        } else if l.keeps_report_only_locks {
            "flags stranded rows, cuts restart artifacts, rewrites a JSON5 index, removes locks the boot would (never a live OpenClaw process's)"
        } else {
            "flags stranded rows, cuts restart artifacts, rewrites a JSON5 index, removes stale locks"
        };
        let queue = match l.queue {
            _ if !l.boot_recovery => "",
            QueueStore::Files => {
                "; named: `--requeue-replies`, `--send-unsent-replies`, `--prune-dead-letters`"
            }
            QueueStore::Sqlite => "; named: `--requeue-replies`, `--prune-dead-letters`",
            QueueStore::Custody if l.replays_prepared_rows => {
                "; named: `--send-unsent-replies`, `--prune-dead-letters`"
            }
            QueueStore::Custody => "; named: `--prune-dead-letters`",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {}{} | {} |\n",
            l.name,
            range_label(l),
            boot.join("; "),
            repair,
            queue,
            l.checked_with
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_the_lines_as_they_are() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's \"Supported OpenClaw releases\" table is out of date; it should read:\n{table}"
        );
    }

    #[test]
    fn versions_parse_and_order() {
        let p = |s| Version::parse(s).unwrap();
        assert!(p("2026.5.12") < p("2026.5.28"));
        assert!(p("2026.7.1") < p("2026.7.1-2"));
        assert!(p("2026.6.1-beta.1") < p("2026.6.1"));
        // A pre-release is on its release's line, not the one before.
        assert_eq!(line_of(p("2026.8.1-beta.2")).name, "2026.8.1");
        assert_eq!(line_of(p("2026.6.1-beta.1")).name, "2026.6.1");
        assert_eq!(line_of(p("2026.7.35")).name, "2026.7.1");
        assert!(p("2026.7.35") > p("2026.7.1-2"));
        assert_eq!(p("OpenClaw 2026.7.35 (aa94808)"), p("2026.7.35"));
        assert_eq!(p("v2026.6.11").to_string(), "2026.6.11");
        assert_eq!(p("2026.7.1-2").to_string(), "2026.7.1-2");
        for bad in [
            "",
            "2026",
            "2026.5",
            "2026.13.1",
            "x.5.12",
            "2026.5.12.1",
            "2026.5.12-",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn releases_fall_in_the_measured_lines() {
        let line = |s| line_of(Version::parse(s).unwrap()).name;
        assert_eq!(line("2026.3.2"), "2026.1.1");
        assert_eq!(line("2026.5.12"), "2026.4.25");
        assert_eq!(line("2026.5.22"), "2026.5.22");
        assert_eq!(line("2026.5.28"), "2026.5.28");
        assert_eq!(line("2026.6.5"), "2026.6.1");
        assert_eq!(line("2026.6.8"), "2026.6.1");
        assert_eq!(line("2026.6.9"), "2026.6.9");
        assert_eq!(line("2026.6.35"), "2026.6.9");
        assert_eq!(line("2026.7.1-2"), "2026.7.1");
        assert_eq!(line("2026.7.35"), "2026.7.1");
        assert_eq!(line("2026.8.1"), "2026.8.1");
        assert_eq!(line("2026.8.2"), "2026.8.2");
        assert_eq!(line("2026.9.2"), "2026.8.2");
        assert_eq!(line("2026.9.3"), "2026.9.3");
        assert_eq!(line("2026.9.4"), "2026.9.4");
        assert_eq!(line("2026.9.5"), "2026.9.5");
        assert_eq!(line("2026.9.6"), "2026.9.6");
        assert_eq!(line("2026.11.1"), "2026.9.6");
    }

    #[test]
    fn lines_are_ordered_and_the_unknown_set_is_every_line_with_recovery() {
        for w in ALL.windows(2) {
            assert!(w[0].first < w[1].first);
        }
        let at = |day: &str| {
            chrono::DateTime::parse_from_rfc3339(&format!("{day}T00:00:00Z"))
                .unwrap()
                .timestamp_millis()
        };
        let names = |now| {
            unknown_release_lines(at(now))
                .iter()
                .map(|l| l.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("2026-03-01"), ["2026.1.1"]);
        assert_eq!(names("2026-05-05"), ["2026.4.25"]);
        // Before 2026.8.1 is out, only the file era.
        assert_eq!(names("2026-07-07").last(), Some(&"2026.7.1"));
        assert_eq!(names("2026-08-01").last(), Some(&"2026.8.2"));
        assert_eq!(names("2026-08-31").last(), Some(&"2026.8.2"));
        // A day of slack for time zones.
        assert_eq!(names("2026-09-05").last(), Some(&"2026.9.6"));
        let names = names("2026-11-30");
        assert_eq!(
            names,
            [
                "2026.4.25",
                "2026.5.22",
                "2026.5.28",
                "2026.6.1",
                "2026.6.9",
                "2026.7.1",
                "2026.8.1",
                "2026.8.2",
                "2026.9.3",
                "2026.9.4",
                "2026.9.5",
                "2026.9.6"
            ]
        );
        assert_eq!(
            LineSet::one(&L2026_6_9).iter().next().unwrap().name,
            "2026.6.9"
        );
    }
}
