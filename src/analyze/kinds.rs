//! The finding kinds, one registry: every code a finding can carry, with
//! the severities it may have, what it does to the exit code (its
//! [`ExitClass`]) and what it says, in one table (`kinds!` below). The
//! README's Findings table is generated from it (`markdown_table`), and a
//! test keeps the two in step. A new kind is one row here, then its
//! finding where the report is assembled (`analyze::findings`).

use super::Severity;
use serde::Serialize;

/// What a finding of a kind does to the exit code (`analyze::exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// By its severity alone: a warning or an error is a problem (exit 1).
    BySeverity,
    /// Part of the state could not be read: the run ends with 3
    /// (`Exit::Operational`).
    CouldNotRead,
    /// Whether a process holding part of the state is live cannot be
    /// established: repair and undo write nothing unless forced (a dry run
    /// ends with 4, `Exit::GatewayLive`); otherwise by severity.
    LivenessUnknown,
}

/// Every finding's severity is one its kind allows (checked in debug
/// builds: a kind's severities are the registry's).
pub(crate) fn debug_check(findings: &[super::Finding]) {
    for f in findings {
        debug_assert!(
            f.kind.allows(f.severity),
            "a {} finding is never {} (kinds.rs lists {:?})",
            f.kind,
            f.severity.as_str(),
            f.kind.severities()
        );
    }
}

/// The registry's table: `Variant = "code", [severities], ExitClass, "what"`,
/// in the README's order. The severities are listed most severe first; the
/// "what" is the README's text and the variant's documentation.
macro_rules! kinds {
    ($($variant:ident = $code:literal, [$($sev:ident),+], $class:ident, $what:literal;)+) => {
        /// A finding's kind: its code and everything that follows from it.
        /// Serialised as its code (`"code": "..."` in `scan --json`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $(#[doc = $what] $variant,)+
        }

        impl Kind {
            /// Every kind, in the registry's (and the README's) order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            /// The stable code (`session-stranded`), as printed and in JSON.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Kind::$variant => $code,)+
                }
            }

            /// The severities a finding of this kind may have, most severe
            /// first; which one applies depends on the case (README).
            pub const fn severities(self) -> &'static [Severity] {
                match self {
                    $(Kind::$variant => &[$(Severity::$sev),+],)+
                }
            }

            /// What a finding of this kind does to the exit code.
            pub const fn exit_class(self) -> ExitClass {
                match self {
                    $(Kind::$variant => ExitClass::$class,)+
                }
            }

            /// What a finding of this kind says, in the README's words.
            pub const fn what(self) -> &'static str {
                match self {
                    $(Kind::$variant => $what,)+
                }
            }
        }
    };
}

kinds! {
    GatewayLive = "gateway-live", [Error], BySeverity,
        "a gateway holds its singleton lock on this state dir";
    SessionStranded = "session-stranded", [Error], BySeverity,
        "a running main session the next boot will never resume";
    IndexInvalid = "index-invalid", [Error], BySeverity,
        "`sessions.json` is empty, not JSON or its root is not an object: the gateway wipes it. The fix names its best intact copy (path, age, entries, transcripts present) for `repair --restore-index`, or, with none, lists the session ids the transcripts' headers give";
    IndexJson5 = "index-json5", [Error], BySeverity,
        "`sessions.json` parses only as JSON5 (trailing comma, comments, ...): the gateway wipes it";
    IndexUnreadable = "index-unreadable", [Error], CouldNotRead,
        "the index cannot be read (permissions, not a file, a link out of the state dir)";
    LockNotFile = "lock-not-file", [Error], BySeverity,
        "a `*.jsonl.lock` that is a directory, FIFO or link: boot cleanup fails on it";
    TranscriptUnreadable = "transcript-unreadable", [Error], CouldNotRead,
        "the transcript recovery would read cannot be read";
    AgentUnreadable = "agent-unreadable", [Error], CouldNotRead,
        "part of an agent dir cannot be read or is a link out of the state dir";
    AgentDbUnreadable = "agent-db-unreadable", [Warning], BySeverity,
        "an `openclaw-agent.sqlite` that cannot be read, where every release line predicted keeps sessions in `sessions.json` (before 2026.8.1) and never reads sessions from it: the file-era store is analysed and repaired, the file left alone";
    SqliteDbMisplaced = "sqlite-db-misplaced", [Error, Warning], BySeverity,
        "an agent database whose `schema_meta.agent_id` names another agent than the dir it sits in (a restore into the wrong dir): 2026.8.1 to 2026.9.4 refuse to start; 2026.9.5+ refuse only a listed non-default agent's sessions (warning) and the start otherwise; the fix says whether it is a byte-identical copy";
    LockStale = "lock-stale", [Warning, Info], BySeverity,
        "a transcript lock boot cleanup judges stale, with the gateway's reasons (info when this release's boot cleanup does not remove it yet)";
    LockLiveOwner = "lock-live-owner", [Warning], BySeverity,
        "a transcript lock held by a live OpenClaw process (never removed)";
    LockOwnerUnknown = "lock-owner-unknown", [Warning], LivenessUnknown,
        "a transcript lock whose pid's liveness cannot be established here (kept; repair refuses unless `--force`)";
    GatewayLivenessUnknown = "gateway-liveness-unknown", [Error], LivenessUnknown,
        "whether a gateway is live cannot be established (repair and undo refuse unless `--force`)";
    StoreLockOwnerUnknown = "store-lock-owner-unknown", [Warning], LivenessUnknown,
        "a fresh `sessions.json.lock` whose pid's liveness cannot be established";
    RestartArtifacts = "restart-artifacts", [Warning], BySeverity,
        "a running session's transcript ends with a restart's `openclaw:prompt-error` entry (an abort's error, not a run that failed on its own) and the assistant message the restart aborted (empty, or holding the partial text, thinking or tool call streamed so far)";
    TailUnresumable = "tail-unresumable", [Warning], BySeverity,
        "a running session the next boot will mark failed";
    SessionOldTurn = "session-old-turn", [Warning], BySeverity,
        "a waiting turn (a stranded session, or one the next boot resumes, or will once repair flags it) last updated longer ago than `--max-age` (default 3 days): resumed, the user gets a late answer to an old question; `repair --max-age` ends it instead";
    TranscriptTorn = "transcript-torn", [Warning], BySeverity,
        "the last line is cut off (no newline, not JSON)";
    KeyRenamed = "key-renamed", [Info], BySeverity,
        "a key the gateway's startup migration renames before recovery (`cron:job` becomes `agent:<id>:cron:job`, which recovery skips)";
    TranscriptMissing = "transcript-missing", [Warning, Info], BySeverity,
        "an entry whose transcript file does not exist (warning when running; a running row boot recovery never selects, such as an ACP key, then stays running forever: `--end-orphans`)";
    SessionDropped = "session-dropped", [Warning], BySeverity,
        "a plain transcript last active shortly before every entry of the index, which no entry names: a restart that rebuilt the index dropped the session (its transcript is its only history); `repair --rebuild-dropped` adds its entry back under `agent:<id>:restored:<sessionId>`";
    TranscriptOutside = "transcript-outside", [Warning], BySeverity,
        "a transcript that resolves outside the state dir";
    EntryInvalid = "entry-invalid", [Warning], BySeverity,
        "an entry that is not an object, or has no or an unsafe `sessionId`";
    EntryDuplicate = "entry-duplicate", [Warning], BySeverity,
        "a key that appears twice in the index (the gateway keeps the last)";
    IndexMissing = "index-missing", [Warning], BySeverity,
        "transcripts (or an intact copy) but no `sessions.json`; the fix names the copy as for `index-invalid`";
    StoreLockStale = "store-lock-stale", [Warning], BySeverity,
        "a `sessions.json.lock` of an older build whose owner is gone";
    StoreLockLive = "store-lock-live", [Warning], BySeverity,
        "a `sessions.json.lock` held by a live process";
    SqliteEra = "sqlite-era", [Warning, Info], BySeverity,
        "a SQLite-era agent (2026.8+) with a `sessions.json` still beside its database: 2026.8.x does not start until it is imported (warning); 2026.9.6 imports it at its next start (info)";
    SqliteRowInvalid = "sqlite-row-invalid", [Error], BySeverity,
        "a session row whose projections disagree with `entry_json`: the gateway refuses to start (`openclaw doctor --fix` canonicalizes it; `doctor --lint` does not report it)";
    SqliteRowCleared = "sqlite-row-cleared", [Info], BySeverity,
        "a session row the runtime cleared (`entry_json` `{}`, `entry_valid` -1, its window kept): the gateway starts and leaves it; nothing required";
    StateDbUnreadable = "state-db-unreadable", [Error], CouldNotRead,
        "`state/openclaw.sqlite` exists but cannot be read: leases and boots are unknown, and no SQLite database is edited";
    SqliteTombstoned = "sqlite-tombstoned", [Warning], BySeverity,
        "every turn on the session is rejected until `/new` (which loses the history) or `repair --untombstone KEY`";
    SqliteRecoveryLeftover = "sqlite-recovery-leftover", [Warning], BySeverity,
        "a finished session still carrying a restart-recovery cycle (and its run fence): every turn is rejected (\"changed while starting work. Retry.\") on every boot until `repair --untombstone KEY`";
    SqliteRecoveryExhausted = "sqlite-recovery-exhausted", [Warning], BySeverity,
        "the next boot tombstones the session";
    SqliteStatusMismatch = "sqlite-status-mismatch", [Warning], BySeverity,
        "the `status` column disagrees with `entry_json`: boot recovery never sees a `running` entry";
    SqliteLeaseDead = "sqlite-lease-dead", [Warning, Info], BySeverity,
        "a lease that has not expired and whose owner is dead: the maintenance lease keeps the gateway and `openclaw doctor --fix` from starting until it expires (warning); others are taken over by the next boot (info)";
    SqliteCrashLoop = "sqlite-crash-loop", [Warning], BySeverity,
        "3 or more boots in 5 minutes never completed: channel and account auto-start are suppressed until the window drains";
    SqliteSchemaNewer = "sqlite-schema-newer", [Warning], BySeverity,
        "a database newer than sessfix knows (agent schema > 23, state schema > 18): reported, never edited";
    SqliteSchemaDowngrade = "sqlite-schema-downgrade", [Error], BySeverity,
        "a database a newer release wrote than the one starting (its schema is newer than the release opens): the gateway refuses to start until that release or a newer one runs, or the pre-upgrade backup is restored";
    SqliteSchemaMismatch = "sqlite-schema-mismatch", [Error], BySeverity,
        "an agent database whose shape the starting release's startup check refuses at the same schema version (2026.8.1 on 2026.8.2's `session_pending_inputs`, 2026.9.4 on a database without `idx_agent_session_nodes_active`): the gateway refuses to start";
    SqliteMigrationRequired = "sqlite-migration-required", [Warning], BySeverity,
        "an agent database older than the starting release uses, which it does not migrate at startup (2026.9.5): the gateway starts, but refuses every session of the agent and resumes none until `openclaw doctor --fix`";
    SqliteTurnDropped = "sqlite-turn-dropped", [Info], BySeverity,
        "a turn a stop dropped (`killed` + `abortedLastRun`): its request is lost; `repair --resume KEY` re-queues it if it was not a `/stop`";
    SqliteWorkRefused = "sqlite-work-refused", [Info], BySeverity,
        "the gateway refuses new turns on the session (`initializationPending`, `archivedAt`, an unacknowledged `providerReview`, a pending worktree)";
    SqliteMigrationUnfinished = "sqlite-migration-unfinished", [Info], BySeverity,
        "a legacy import stopped half-way: the next boot finishes it; leave the legacy files alone";
    SqliteLeaseOwnerUnknown = "sqlite-lease-owner-unknown", [Info], BySeverity,
        "a lease whose owner's liveness cannot be established here (its pid cannot be checked, or the lease names another host): never cleared";
    SqliteLeaseElsewhere = "sqlite-lease-elsewhere", [Info], BySeverity,
        "a live pid whose `agent_database_leases` rows all name databases outside this state dir (copied with a backup from the dir they name): they, and the same pid's `gateway-owner` lease, are not taken as a gateway running here";
    SqliteOpenFilesUnknown = "sqlite-open-files-unknown", [Info], BySeverity,
        "whether a process has the state dir's SQLite databases open cannot be established here (no proc filesystem or libproc answer, another user's process that may be OpenClaw's, or on Windows a database open in a process the Restart Manager does not name): SQLite edits are refused unless `--force`";
    SqliteMigrationManifestUnreadable = "sqlite-migration-manifest-unreadable", [Info], BySeverity,
        "a legacy-import manifest that cannot be read";
    StoreUnmigrated = "store-unmigrated", [Warning], BySeverity,
        "on 2026.8.1 to 2026.9.5, a file-era index the gateway does not start with until it is imported (`openclaw doctor --session-sqlite import --session-sqlite-all-agents`; `openclaw doctor --fix` did it on every release from 2026.8.1 to 2026.9.5 here, not on 2026.8.1 installs whose agent already had a database by public reports); on 2026.9.6, one its import cannot parse";
    StoreImportedAtBoot = "store-imported-at-boot", [Info], BySeverity,
        "on 2026.9.6, a file-era index the next start imports into SQLite itself; its rows are predicted as imported rows (a running main row is resumed)";
    ReplyLostOnUpgrade = "reply-lost-on-upgrade", [Error, Warning], BySeverity,
        "a dead letter of 2026.6.1 to 2026.7.x holding its reply, which the first start of 2026.8.1+ deletes or strips to a payload-free tombstone (error when the release predicted is 2026.8.1+); `repair --requeue-replies` puts it back as pending before the upgrade";
    ReplyUnsent = "reply-unsent", [Warning], BySeverity,
        "a reply the chat never got: on 2026.4.25 to 2026.5.28, a restart-resumed turn's reply only in the transcript (recovery resumes with `deliver: false`), which `repair --send-unsent-replies` queues (`delivery-queue/`) for the next boot to send; on 2026.8+, a finished session's `pendingFinalDelivery` never delivered (recovery replays it only for a running session), which `repair --send-unsent-replies` queues on 2026.9.6 (an `outbound-prepared-v1` row)";
    ReplyDeadLettered = "reply-dead-lettered", [Warning], BySeverity,
        "a dead letter holding its reply (`delivery-queue/failed/<id>.json`, a `status='failed'` row): nothing ever sends it again; a readiness error (`Outbound not configured for channel`, the channel not yet connected) is named; `repair --requeue-replies` puts it back as pending";
    ReplyAmbiguous = "reply-ambiguous", [Warning], BySeverity,
        "a reply whose send began before a restart and may have reached the chat (`recoveryState`, `platformSendStartedAt`): recovery dead-letters it rather than replay it; `repair --requeue-replies --may-duplicate` requeues it, and the user may get it twice";
    ReplyRetrying = "reply-retrying", [Warning], BySeverity,
        "a pending reply that failed before (`retryCount`, `lastError`): tried again only at the next boot through 2026.7.x, dead-lettered at 5 failures, or at once on a permanent error (the readiness error through 2026.7.x)";
    QueueLegacyIgnored = "queue-legacy-ignored", [Warning], BySeverity,
        "legacy queue data (`delivery-queue/` files, 2026.6-7.x `outbound` rows) that 2026.9.5+ no longer deliver; `openclaw doctor --fix` imports it";
    QueueUnreadable = "queue-unreadable", [Error], CouldNotRead,
        "a queue dir (`delivery-queue/`, its `failed/`, `session-delivery-queue/`) that cannot be listed, or a link out of the state dir: the replies in it are not known, and none is edited";
    QueueEntryUnreadable = "queue-entry-unreadable", [Warning], BySeverity,
        "a queue file that is not a JSON object the gateway reads (not JSON, too big, a link): skipped at every boot, its reply never sent";
    ConfigUnreadable = "config-unreadable", [Warning], BySeverity,
        "`openclaw.json` exists but cannot be read or parsed as JSON5: its `session.store` and `agents.list` are unknown";
    ReleaseSourceUnreadable = "release-source-unreadable", [Info], BySeverity,
        "a source of the release (an installed package, the state database) could not be read; the others decide";
    ReleaseUnknown = "release-unknown", [Info], BySeverity,
        "the release the next boot runs could not be told: every line with boot recovery out by the clock is predicted, the SQLite era's included";
    DeadLettersOld = "dead-letters-old", [Info], BySeverity,
        "dead letters that no longer hold their reply (2026.8.1+ tombstones): nothing prunes them and `openclaw health` counts them for ever; `repair --prune-dead-letters DURATION` removes those older than it";
    LockOrphan = "lock-orphan", [Info], BySeverity,
        "a transcript lock that belongs to no session";
    TranscriptOrphan = "transcript-orphan", [Info], BySeverity,
        "a transcript that no entry points at";
    TempLeftover = "temp-leftover", [Info], BySeverity,
        "a temp file of an interrupted index write that is torn, or the index's own bytes, or sessfix's own temp (`.sessions.json.sessfix-<pid>-<n>.tmp`) of a repair killed before its rename, beside a usable index";
    TempComplete = "temp-complete", [Info], BySeverity,
        "a temp file that parses as a complete index and differs from it: the only intact copy of a lost index, or maybe the newer state of an interrupted write; never removed";
    TranscriptLineOversized = "transcript-line-oversized", [Info], BySeverity,
        "the last line is longer than the 256 KiB recovery reads";
}

impl Kind {
    /// Whether a finding of this kind may have `severity`.
    pub fn allows(self, severity: Severity) -> bool {
        self.severities().contains(&severity)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The README's "Findings" table (header included), generated from the
/// registry: one row per kind, in its order. `tests` fails while README.md
/// does not contain it, and prints it.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | what |\n|---|---|---|\n");
    for k in Kind::ALL {
        let severities: Vec<&str> = k.severities().iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            k.code(),
            severities.join(" / "),
            k.what()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_readme_lists_the_findings_as_they_are() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's \"Findings\" table is out of date; it should read:\n{table}"
        );
    }

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for k in Kind::ALL {
            let code = k.code();
            assert!(seen.insert(code), "{code} twice");
            assert!(
                !code.is_empty()
                    && code.split('-').all(|p| !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{code} is not kebab-case"
            );
            assert!(!k.what().is_empty(), "{code} has no documentation");
            assert_eq!(k.to_string(), code);
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{code}\""));
        }
    }

    #[test]
    fn severities_are_listed_most_severe_first_without_repeats() {
        for k in Kind::ALL {
            let s = k.severities();
            assert!(!s.is_empty(), "{k}");
            assert!(s.windows(2).all(|w| w[0] > w[1]), "{k}: {s:?}");
        }
    }

    #[test]
    fn the_exit_classes_are_the_kinds_exit_codes_always_followed() {
        // The kinds each exit class held when exit codes were keyed on code
        // names (exit 3: the errors named `*-unreadable`; a dry run's 4: a
        // list of three codes), pinned so a row's class is changed on purpose.
        let of = |class| -> Vec<&str> {
            Kind::ALL
                .iter()
                .filter(|k| k.exit_class() == class)
                .map(|k| k.code())
                .collect()
        };
        assert_eq!(
            of(ExitClass::CouldNotRead),
            [
                "index-unreadable",
                "transcript-unreadable",
                "agent-unreadable",
                "state-db-unreadable",
                "queue-unreadable"
            ]
        );
        assert_eq!(
            of(ExitClass::LivenessUnknown),
            [
                "lock-owner-unknown",
                "gateway-liveness-unknown",
                "store-lock-owner-unknown"
            ]
        );
    }

    #[test]
    fn a_kind_that_ends_a_run_unread_is_always_an_error() {
        // Exit 3 says the state could not be read: a kind of that class is
        // never a mere warning or note.
        for k in Kind::ALL {
            if k.exit_class() == ExitClass::CouldNotRead {
                assert_eq!(k.severities(), &[Severity::Error], "{k}");
            }
        }
    }
}
