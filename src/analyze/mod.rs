//! From a snapshot to a report: what the next boot does with each session,
//! each lock's verdict, and every finding. Pure: no I/O, fixed clock.

pub mod sqlite;

use crate::release::{self, Release, Requested};
use crate::rules::{self, LineRules, LockVerdict, ProcState, StaleReason};
use crate::state::{Agent, GatewayFacts, Session, Snapshot, StoreState};
use crate::text::plural;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub now_ms: i64,
    pub stale_ms: u64,
    /// The next gateway's pid, when known (`--gateway-pid`).
    pub next_gateway: Option<rules::NextGateway>,
    /// The release named by `--openclaw-version` / `SESSFIX_OPENCLAW_VERSION`.
    pub requested: Option<Requested>,
    /// A waiting turn last updated longer ago than this (ms) is old
    /// (`session-old-turn`): `--max-age`, else `DEFAULT_OLD_TURN_MS`.
    pub old_turn_ms: u64,
}

/// How long a turn may wait before resuming it means a late answer to an
/// old question: 3 days (ms). A gateway stopped over a long weekend (Friday
/// evening to Monday morning, about 2.5 days) still answers what it was
/// asked; past that the user has most likely moved on or asked again. Not a
/// gateway rule (it resumes a turn however old): sessfix's default, which
/// `--max-age` replaces.
pub const DEFAULT_OLD_TURN_MS: u64 = 3 * 86_400_000;

/// Whether a row last updated at `updated_at` (epoch ms) is older than
/// `max_ms` at `now_ms`: what `--max-age` ends, and `session-old-turn` names.
/// A row without `updatedAt` has no age and is never old.
pub fn older_than(now_ms: i64, updated_at: Option<f64>, max_ms: u64) -> bool {
    updated_at.is_some_and(|u| (now_ms as f64 - u) > max_ms as f64)
}

/// A duration in ms as `--max-age` takes it, in the largest unit that
/// divides it: `3d`, `36h`, `90s`, `1500ms`.
pub fn duration_label(ms: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (604_800_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| ms > 0 && ms.is_multiple_of(*unit))
        .map_or(format!("{ms}ms"), |(unit, name)| {
            format!("{}{name}", ms / unit)
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum NextBoot {
    Resume,
    Fail,
    Stranded,
    Skip,
    Idle,
    Lost,
    /// The release is unknown and its lines disagree (see `nextBootByLine`).
    Unknown,
    /// SQLite era: restart recovery's budget is spent; the boot tombstones it.
    Tombstone,
    /// SQLite era: tombstoned; every turn on the key is rejected.
    Rejected,
    /// SQLite era: the row stops the whole gateway from starting.
    Halt,
}

impl NextBoot {
    pub fn as_str(self) -> &'static str {
        match self {
            NextBoot::Resume => "resume",
            NextBoot::Fail => "fail",
            NextBoot::Stranded => "stranded",
            NextBoot::Skip => "skip",
            NextBoot::Idle => "idle",
            NextBoot::Lost => "lost",
            NextBoot::Unknown => "unknown",
            NextBoot::Tombstone => "tombstone",
            NextBoot::Rejected => "rejected",
            NextBoot::Halt => "halt",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub agent: Option<String>,
    pub key: Option<String>,
    pub path: Option<String>,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayReport {
    pub live: bool,
    /// Whether a gateway is live cannot be established here (its lock's pid,
    /// or a place its lock may be, cannot be checked): repair and undo
    /// refuse to write, as for a live one, unless forced.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub liveness_unknown: bool,
    pub pid: Option<u64>,
    pub lock_path: Option<String>,
    /// How liveness was judged, in words.
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreReport {
    pub path: String,
    pub state: &'static str,
    pub error: Option<String>,
    /// When the index is lost (missing, empty or unparseable): its intact
    /// copies, or what the transcripts tell when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
}

/// Whether the index file holds anything but white space. A scan does not
/// keep the bytes: then its size tells (white space alone counts as content).
fn index_has_content(agent: &Agent) -> bool {
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
fn start_loses(agent: &Agent) -> Option<String> {
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

/// What can bring a lost index back (`state::copies`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    /// Every file that parses as a complete index, best first.
    pub copies: Vec<CopyReport>,
    /// The copy `repair --restore-index` restores (the first of `copies`).
    pub restore: Option<String>,
    /// Set when this report is of that copy's content (`--restore-index`).
    pub restored: bool,
    /// With no copy: each transcript's header, newest activity first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rebuildable: Vec<crate::state::copies::TranscriptHeader>,
    /// With no copy: what the transcripts do not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_rebuildable: Option<&'static str>,
}

/// One intact copy of an index.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    pub path: String,
    /// `temp`, `rotation-backup` or `sessfix-backup`.
    pub source: crate::state::copies::CopySource,
    /// Modification time (RFC 3339) and its age.
    pub modified: Option<String>,
    pub age: Option<String>,
    pub entries: usize,
    /// The largest `updatedAt` of its entries (epoch ms): how new it is.
    #[serde(serialize_with = "crate::render::json::whole_number")]
    pub newest_updated_at: Option<f64>,
    /// How many of its entries' transcripts exist.
    pub transcripts_present: usize,
}

/// What the transcripts cannot give back.
pub const NOT_REBUILDABLE: &str = "session keys (agent:<id>:<channel>:...), channel routing and delivery context (deliveryContext, lastChannel, channel), models, usage and every other entry field";

fn copy_report(c: &crate::state::copies::IndexCopy, now_ms: i64) -> CopyReport {
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

fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn recovery(agent: &Agent, now_ms: i64) -> Option<Recovery> {
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
        "{} ({}, modified {} ago; {} entr{}, newest updatedAt {}; transcripts of {} exist)",
        show(&c.path),
        c.source.describe(),
        c.mtime_ms.map_or("?".into(), |m| ago(now_ms, m)),
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

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentReport {
    pub id: String,
    pub sessions_dir: String,
    pub era: &'static str,
    pub store: StoreReport,
    /// The SQLite-era session store (`openclaw-agent.sqlite` with session
    /// tables), when this agent has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseReport>,
    /// Read as SQLite-era (its database, or a file store on a SQLite-era
    /// line): its files are migration inputs, never edited (`sqlite-era.md` §6.6).
    #[serde(skip)]
    pub migration_input: bool,
    /// Its index locks (`sessions.json.lock`) that are stale: repair may remove them.
    #[serde(skip)]
    pub stale_store_locks: Vec<PathBuf>,
}

/// An agent's SQLite-era session store.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseReport {
    pub path: String,
    /// `PRAGMA user_version` (19 in 2026.8.2, 23 in 2026.9.6).
    pub schema_version: i64,
    /// The release this schema was measured with (`rules::sqlite::KNOWN_SCHEMAS`),
    /// when it is one sessfix knows.
    pub schema_release: Option<&'static str>,
    /// `schema_meta.app_version`: the release that last migrated it.
    pub app_version: Option<String>,
    /// `session_nodes` rows.
    pub sessions: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionReport {
    pub agent: String,
    pub key: String,
    /// The key after the gateway's startup migration, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_key: Option<String>,
    pub session_id: Option<String>,
    pub status: Option<String>,
    pub aborted_last_run: Option<bool>,
    #[serde(serialize_with = "crate::render::json::whole_number")]
    pub updated_at: Option<f64>,
    pub transcript: Option<String>,
    pub lock: Option<String>,
    pub next_boot: NextBoot,
    pub reason: String,
    /// When the release is unknown and its lines disagree: each line's
    /// prediction, oldest line first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next_boot_by_line: Vec<LinePrediction>,
    /// Trailing restart artifacts (count of records) repair can move out.
    #[serde(skip_serializing_if = "is_zero")]
    pub restart_artifacts: usize,
    /// For a turn waiting for an answer (`Remedy::waiting`): how long since
    /// its `updatedAt`, in ms (now minus `updatedAt`, never negative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_ms: Option<u64>,
    /// What repair may do for this row, across every predicted line.
    #[serde(skip)]
    pub remedy: Remedy,
}

/// One release line's prediction for a row.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LinePrediction {
    pub line: &'static str,
    pub next_boot: NextBoot,
    pub reason: String,
}

/// What repair can do for a row, merged over the predicted lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Remedy {
    /// Stranded on some line where `abortedLastRun: true` makes the boot
    /// select it (flagging is harmless on every file-era line).
    pub flag: bool,
    /// Stranded on some line where no flag helps: why, in words.
    pub no_flag: Option<String>,
    /// Failed on some line only because of trailing restart artifacts.
    pub artifacts: bool,
    /// Running, never selected by boot recovery (a skipped key), and its
    /// transcript is gone: no boot ever ends it (`--end-orphans` does).
    pub orphan: bool,
    /// A file-era running main row whose turn waits for an answer: stranded,
    /// resumed by the next boot, or resumed once repair flags it or cuts its
    /// restart artifacts (on some predicted line). `--max-age` ends it when
    /// it is older; `session-old-turn` names it.
    pub waiting: bool,
    /// Status running and a key boot recovery selects (a main session),
    /// whether or not a live process holds its lock.
    pub running_main: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockReport {
    pub agent: String,
    pub path: String,
    pub pid: Option<u64>,
    pub created_at: Option<String>,
    pub stale: bool,
    pub stale_reasons: Vec<StaleReason>,
    /// Held by a live process that looks like OpenClaw.
    pub live_owner: bool,
    /// Whether its pid is running cannot be established here: kept, and
    /// repair refuses while it is so.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub owner_liveness_unknown: bool,
    pub owner_argv: Option<Vec<String>>,
    pub session: Option<String>,
    /// Boot cleanup removes it (on every predicted line).
    pub removed_at_boot: bool,
    /// Repair may remove it (on every predicted line): the release's boot
    /// cleanup deletes it when it reaches it, or it names the next gateway's
    /// pid (`--gateway-pid`) and nothing holds it now (see
    /// `rules::own_pid_lock_removable_now`).
    pub removable: bool,
    /// It names the pid the next gateway runs as (`--gateway-pid`): that
    /// gateway's boot cleanup judges it as its own. `stale`, `staleReasons`
    /// and `liveOwner` then say what it is now when only repair removes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub names_next_gateway_pid: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The OpenClaw release predicted for, and where it came from.
    pub openclaw: Release,
    pub state_dir: String,
    pub now: String,
    pub stale_ms: u64,
    pub gateway: GatewayReport,
    pub agents: Vec<AgentReport>,
    pub sessions: Vec<SessionReport>,
    pub locks: Vec<LockReport>,
    pub findings: Vec<Finding>,
    /// Each index (its path) whose loss starting the gateway now makes final,
    /// and why (`repair`'s exit 6): not in `--json`, whose
    /// `agents[].store.recovery` and findings say it.
    #[serde(skip)]
    pub start_loses: Vec<(String, String)>,
}

/// The findings that say a liveness cannot be established: while any is
/// present, repair and undo write nothing unless forced.
pub const LIVENESS_UNKNOWN_CODES: [&str; 3] = [
    "gateway-liveness-unknown",
    "lock-owner-unknown",
    "store-lock-owner-unknown",
];

impl Report {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The findings whose liveness is unknown (`LIVENESS_UNKNOWN_CODES`).
    pub fn liveness_unknown(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| LIVENESS_UNKNOWN_CODES.contains(&f.code))
            .collect()
    }
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

fn ago(now_ms: i64, then_ms: i64) -> String {
    let d = (now_ms - then_ms).max(0) / 1000;
    match d {
        0..=59 => format!("{d}s"),
        60..=3599 => format!("{}m", d / 60),
        3600..=86_399 => format!("{}h", d / 3600),
        _ => format!("{}d", d / 86_400),
    }
}

/// A report built one agent at a time, in the order boot cleanup walks them,
/// so that an agent's state can be dropped once it is analysed.
pub struct Analysis {
    set: Settings,
    release: Release,
    state_dir: String,
    gateway: GatewayReport,
    agents: Vec<AgentReport>,
    sessions: Vec<SessionReport>,
    locks: Vec<LockReport>,
    findings: Vec<Finding>,
    // Boot cleanup walks agents in order; a lock it cannot remove stops it.
    // One per release line (indexed as `rules::lines::ALL`).
    cleanup_halted_at: Vec<Option<PathBuf>>,
    // The config's agents (7.1+ refuses the others); `None`: no list, so
    // only the default agent.
    configured_agents: Option<Vec<String>>,
    // `schema_meta.app_version` of each agent database, with its agent: what
    // last wrote it, told when the release is not known.
    db_releases: Vec<(String, String)>,
    // Kept when rows are forgotten: `Report::start_loses`.
    start_loses: Vec<(String, String)>,
}

impl Analysis {
    /// Start a report on `snap`'s gateway facts (its agents are not read here).
    pub fn new(snap: &Snapshot, set: Settings) -> Analysis {
        let mut findings = Vec::new();
        let mut gateway = gateway_report(&snap.gateway);
        sqlite::liveness(&snap.sqlite, &mut gateway);
        if gateway.live {
            findings.push(Finding {
                code: "gateway-live",
                severity: Severity::Error,
                agent: None,
                key: None,
                path: gateway.lock_path.clone(),
                message: format!(
                    "a gateway is running on this state dir: {}",
                    gateway.evidence.clone().unwrap_or_default()
                ),
                fix: "stop the gateway before `sessfix repair` (it refuses to write while a gateway is live); predictions assume its next boot".into(),
            });
        } else if gateway.liveness_unknown {
            findings.push(Finding {
                code: "gateway-liveness-unknown",
                severity: Severity::Error,
                agent: None,
                key: None,
                path: gateway.lock_path.clone(),
                message: format!(
                    "whether a gateway is running on this state dir cannot be established here: {}",
                    gateway.evidence.clone().unwrap_or_default()
                ),
                fix: "run sessfix where the gateway runs (same host, same container: `docker exec`), as the gateway's user or root; `sessfix repair` and `undo` refuse to write until then (--force only if you know no gateway runs)".into(),
            });
        }
        // A config or release source that exists but cannot be read: its
        // facts (configured stores, agents.list, the release) are unknown.
        for p in &snap.release.problems {
            let config = snap.config.path.as_deref() == Some(p.path.as_path());
            findings.push(Finding {
                code: if config { "config-unreadable" } else { "release-source-unreadable" },
                severity: if config { Severity::Warning } else { Severity::Info },
                agent: None,
                key: None,
                path: Some(show(&p.path)),
                message: p.message.clone(),
                fix: if config {
                    "fix the config (it is JSON5): until then its session.store and agents.list are not known, and predictions assume neither".into()
                } else {
                    "nothing required: the release is taken from the other sources (see `openclaw` at the top)".into()
                },
            });
        }
        sqlite::shared_findings(&snap.sqlite, &gateway, set.now_ms, &mut findings);
        let release = release::select(set.requested, &snap.release_evidence(), set.now_ms);
        if release.line.is_none() {
            findings.push(Finding {
                code: "release-unknown",
                severity: Severity::Info,
                agent: None,
                key: None,
                path: None,
                message: format!(
                    "the OpenClaw release the next boot runs is not known: {}",
                    release.notes.join("; ")
                ),
                fix: "pass --openclaw-version VERSION (or set SESSFIX_OPENCLAW_VERSION); until then each row where release lines disagree shows every line's prediction, and repair does only what is safe on all of them".into(),
            });
        }
        Analysis {
            set,
            release,
            state_dir: show(&snap.state_dir),
            gateway,
            agents: Vec::new(),
            sessions: Vec::new(),
            locks: Vec::new(),
            findings,
            cleanup_halted_at: vec![None; rules::lines::ALL.len()],
            configured_agents: snap.config.agents(),
            db_releases: Vec::new(),
            start_loses: Vec::new(),
        }
    }

    /// The release predicted for.
    pub fn release(&self) -> &Release {
        &self.release
    }

    /// Analyse the next agent.
    pub fn add(&mut self, agent: &Agent) {
        if let Some(why) = start_loses(agent) {
            self.start_loses.push((show(&agent.store.path), why));
        }
        let findings = &mut self.findings;
        self.agents.push(AgentReport {
            id: agent.id.clone(),
            sessions_dir: show(&agent.sessions_dir),
            era: agent.era.name(),
            store: StoreReport {
                path: show(&agent.store.path),
                state: agent.store.state.name(),
                error: match &agent.store.state {
                    StoreState::Json5Only { error }
                    | StoreState::Invalid { error }
                    | StoreState::Unreadable { error } => Some(error.clone()),
                    _ => None,
                },
                recovery: recovery(agent, self.set.now_ms),
            },
            database: agent.sqlite.as_ref().and_then(|p| {
                let t = agent.agent_db.as_ref()?.sessions.as_ref()?;
                Some(DatabaseReport {
                    path: show(p),
                    // An early database may keep its version only in schema_meta.
                    schema_version: if t.user_version > 0 {
                        t.user_version
                    } else {
                        agent.agent_db.as_ref()?.schema_version.unwrap_or(0)
                    },
                    schema_release: rules::sqlite::release_of_agent_schema(t.user_version),
                    app_version: t.app_version.clone(),
                    sessions: t.rows.len(),
                })
            }),
            migration_input: false,
            stale_store_locks: agent
                .leftovers
                .iter()
                .filter(|l| l.kind == rules::FileKind::StoreLock)
                .filter(|l| {
                    rules::store_lock_stale(l.proc_state.as_ref(), l.created_ms, self.set.now_ms)
                })
                .map(|l| l.path.clone())
                .collect(),
        });
        let sqlite_line = self
            .release
            .line_rules()
            .filter(|l| l.era == rules::lines::Era::Sqlite);
        let imports = sqlite_line.is_some_and(|l| l.imports_legacy_store_at_boot);
        if let Some(a) = self.agents.last_mut() {
            a.migration_input = agent.sqlite.is_some() || sqlite_line.is_some();
        }
        let version = self.release.version.clone().unwrap_or_default();
        if agent.sqlite.is_some() || sqlite_line.is_some() {
            // The file-era analysis below reports these itself.
            for p in &agent.problems {
                findings.push(Finding {
                    code: "agent-unreadable",
                    severity: Severity::Error,
                    agent: Some(agent.id.clone()),
                    key: None,
                    path: Some(show(&p.path)),
                    message: p.message.clone(),
                    fix: "fix the file or its permissions by hand; sessfix leaves this agent alone"
                        .into(),
                });
            }
        }
        if let Some(db_path) = &agent.sqlite {
            if let Some(v) = agent
                .agent_db
                .as_ref()
                .and_then(|d| d.sessions.as_ref())
                .and_then(|t| t.app_version.clone())
            {
                self.db_releases.push((agent.id.clone(), v));
            }
            if !matches!(agent.store.state, StoreState::Missing) {
                findings.push(Finding {
                    code: "sqlite-era",
                    severity: if imports { Severity::Info } else { Severity::Warning },
                    agent: Some(agent.id.clone()),
                    key: None,
                    path: Some(show(db_path)),
                    message: if imports {
                        format!(
                            "agent {} keeps sessions in SQLite, and {} is still beside it: OpenClaw {version} imports it at its next start",
                            agent.id,
                            show(&agent.store.path)
                        )
                    } else {
                        format!(
                            "agent {} keeps sessions in SQLite (OpenClaw 2026.8 or later), and {} is still beside it: until it is imported the gateway does not start (\"Legacy session store requires migration\"), and it may be the only copy of its sessions",
                            agent.id,
                            show(&agent.store.path)
                        )
                    },
                    fix: import_advice(imports, true),
                });
            }
            if let Some(tables) = agent.agent_db.as_ref().and_then(|d| d.sessions.as_ref()) {
                sqlite::agent(agent, tables, db_path, &mut self.sessions, findings);
            }
            return;
        }
        if let Some(line) = sqlite_line {
            let (finding, rows) = file_store_on_sqlite_line(agent, line, Some(&version));
            findings.extend(finding);
            for (s, row) in agent.sessions.iter().zip(rows) {
                if let Some((next_boot, reason)) = row {
                    self.sessions
                        .push(sqlite::file_session_report(agent, s, next_boot, reason));
                }
            }
            return;
        }
        let ctx = AgentCtx {
            configured_agents: self.configured_agents.as_deref(),
        };
        analyze_agent(
            agent,
            self.set,
            &self.release,
            ctx,
            &mut self.cleanup_halted_at,
            &mut self.sessions,
            &mut self.locks,
            findings,
        );
    }

    /// Forget the session and lock rows added so far, for a caller that needs
    /// only the findings (they do not depend on earlier agents' rows).
    pub fn forget_rows(&mut self) {
        self.sessions.clear();
        self.locks.clear();
        self.agents.clear();
    }

    /// The session rows so far, in the order agents were added.
    pub fn sessions(&self) -> &[SessionReport] {
        &self.sessions
    }

    /// The agents so far, in the order they were added.
    pub fn agents(&self) -> &[AgentReport] {
        &self.agents
    }

    /// The lock rows so far, in the order agents were added.
    pub fn locks(&self) -> &[LockReport] {
        &self.locks
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        if self.release.line.is_none() && !self.db_releases.is_empty() {
            let named = self
                .db_releases
                .iter()
                .map(|(agent, v)| format!("{v} (agent {agent})"))
                .collect::<Vec<_>>()
                .join(", ");
            let note = format!(
                "the agent databases were last written by {named}: if the next boot runs that release, pass it with --openclaw-version"
            );
            if let Some(f) = self
                .findings
                .iter_mut()
                .find(|f| f.code == "release-unknown")
            {
                f.message = format!("{}; {note}", f.message);
            }
            self.release.notes.push(note);
        }
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        Report {
            openclaw: self.release,
            state_dir: self.state_dir,
            now: chrono::DateTime::from_timestamp_millis(self.set.now_ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            stale_ms: self.set.stale_ms,
            gateway: self.gateway,
            agents: self.agents,
            sessions: self.sessions,
            start_loses: self.start_loses,
            locks: self.locks,
            findings: self.findings,
        }
    }
}

/// What the gateway of a SQLite-era `line` does at its next start with
/// `agent`'s file-era store (`release`: the one known to run, or `None` when
/// the line is one of those predicted for a release not known): the store's finding,
/// and one prediction per entry of `agent.sessions` (`None` for a shadowed
/// one, and for every entry when the finding says what the start does
/// instead). 2026.8.x refuses to start until the store is imported
/// (`assertSessionStoreMigrationComplete`, measured on 2026.8.2); 2026.9.6
/// imports a store that parses and recovers its rows by the SQLite rules
/// (`sqlite::imported_prediction`); one that does not parse it cannot import.
fn file_store_on_sqlite_line(
    agent: &Agent,
    line: &LineRules,
    release: Option<&str>,
) -> (Option<Finding>, Vec<Option<(NextBoot, String)>>) {
    let known = release.is_some();
    let who = release.map_or("the gateway".to_string(), |v| format!("OpenClaw {v}"));
    let imports = line.imports_legacy_store_at_boot;
    let parsed = matches!(agent.store.state, StoreState::Valid);
    let finding = |code, severity, message, fix| Finding {
        code,
        severity,
        agent: Some(agent.id.clone()),
        key: None,
        path: Some(show(&agent.store.path)),
        message,
        fix,
    };
    let rows = agent
        .sessions
        .iter()
        .map(|s| (imports && parsed && !s.shadowed).then(|| sqlite::imported_prediction(s)))
        .collect();
    let found = if imports && parsed {
        Some(finding(
            "store-imported-at-boot",
            Severity::Info,
            format!(
                "{who} imports this file-era index ({}) into agents/{}/agent/openclaw-agent.sqlite at its next start, archives the files, then recovers the rows",
                plural(agent.sessions.len(), "session", "sessions"),
                agent.id
            ),
            import_advice(true, known),
        ))
    } else if matches!(agent.store.state, StoreState::Missing) {
        None
    } else if imports {
        Some(finding(
            "store-unmigrated",
            Severity::Warning,
            format!(
                "{who} imports file-era indexes at startup, but this one is {}: the import cannot read it; it is the only copy of its sessions",
                agent.store.state.name()
            ),
            "restore or fix the index first (a SQLite-era release's gateway neither parses JSON5 nor repairs it); sessfix does not edit it for a SQLite-era release".into(),
        ))
    } else {
        Some(finding(
            "store-unmigrated",
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
        ))
    };
    (found, rows)
}

/// How a file-era index gets into a SQLite-era gateway's store. 2026.8.2
/// refuses to start and names `openclaw doctor --fix`; both it and the
/// `--session-sqlite import` mode of `openclaw doctor` import the store
/// (measured). 2026.9.6 imports it at startup itself.
/// `release_known`: the release is a SQLite-era one, so sessfix leaves the
/// store alone; when it is not known, repair may still make the file-era
/// lines' edits (a flag, a stale lock removed), which an import carries over
/// as it carries the gateway's own.
fn import_advice(imports_at_boot: bool, release_known: bool) -> String {
    let sessfix = if release_known {
        "sessfix never edits a store that a SQLite-era gateway must import"
    } else {
        "with the release not known, `sessfix repair` may still make the edits a file-era release needs (a flag, a stale lock removed), which the import carries over like the gateway's own"
    };
    if imports_at_boot {
        format!("nothing required: the next start imports it (`openclaw doctor --session-sqlite import --session-sqlite-all-agents`, with the gateway stopped, does the same beforehand); do not edit, move or delete the legacy files by hand meanwhile; {sessfix}")
    } else {
        format!("with the gateway stopped, run `openclaw doctor --session-sqlite import --session-sqlite-all-agents` (`openclaw doctor --fix`, which the startup error names, imported it on 2026.8.2 but not on 2026.8.1 by public reports); {sessfix}")
    }
}

fn argv_of(s: &ProcState) -> Option<Vec<String>> {
    match s {
        ProcState::Alive { argv, .. } => argv.clone(),
        _ => None,
    }
}

/// Whether the gateway whose singleton lock was found is live, and why.
/// Judged by the host's rules (`rules::Platform::host`).
pub fn gateway_report(g: &GatewayFacts) -> GatewayReport {
    gateway_report_on(g, rules::Platform::host())
}

/// `gateway_report` by the rules of `platform`.
pub fn gateway_report_on(g: &GatewayFacts, platform: rules::Platform) -> GatewayReport {
    use rules::GatewayOwner as O;
    let owner = g
        .proc_state
        .as_ref()
        .map(|s| rules::gateway_owner(g.payload_starttime, s, platform));
    let live = matches!(owner, Some(O::Alive | O::Unknown));
    // A lock whose pid cannot be checked, or a place a lock may be that
    // cannot be read (when no live one was found).
    let liveness_unknown = owner == Some(O::LivenessUnknown) || (!live && !g.unchecked.is_empty());
    let unchecked = || {
        g.unchecked
            .iter()
            .map(|(p, why)| format!("{} ({why})", p.display()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let evidence = g.lock_path.as_ref().map(|p| {
        let argv = g.proc_state.as_ref().and_then(argv_of).map(|a| a.join(" "));
        match (owner, g.pid) {
            (Some(O::Alive), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, which is alive{}{}",
                p.display(),
                if g.payload_starttime.is_some() && platform == rules::Platform::Linux { " with the same start time" } else { "" },
                argv.map(|a| format!(" ({a})")).unwrap_or_default()
            ),
            (Some(O::Unknown), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, which is alive but cannot be inspected; treated as live",
                p.display()
            ),
            (Some(O::LivenessUnknown), Some(pid)) => format!(
                "singleton lock {} names pid {pid}, whose liveness is unknown here: {}",
                p.display(),
                g.proc_state.as_ref().and_then(ProcState::unknown_why).unwrap_or("")
            ),
            (_, Some(pid)) => format!("singleton lock {} names pid {pid}, which is not a live gateway", p.display()),
            (_, None) => format!("singleton lock {} names no pid", p.display()),
        }
    });
    let evidence = match (evidence, liveness_unknown && !g.unchecked.is_empty()) {
        (Some(e), true) => Some(format!(
            "{e}; and these places a lock may be cannot be read: {}",
            unchecked()
        )),
        (None, true) => Some(format!(
            "no singleton lock found, but these places a lock may be cannot be read: {}",
            unchecked()
        )),
        (e, false) => e,
    };
    // Places that cannot be read but were shown to hold no live lock.
    let evidence = if live || liveness_unknown || g.cleared.is_empty() {
        evidence
    } else {
        let cleared = g
            .cleared
            .iter()
            .map(|(p, why)| format!("{} cannot be read ({why})", p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        Some(match evidence {
            Some(e) => format!("{e}; {cleared}"),
            None => format!("no singleton lock found; {cleared}"),
        })
    };
    GatewayReport {
        live,
        liveness_unknown,
        pid: if live || liveness_unknown {
            g.pid
        } else {
            None
        },
        lock_path: g.lock_path.as_deref().map(show),
        evidence,
    }
}

struct LockInfo<'a> {
    lock: &'a crate::state::LockFile,
    verdict: LockVerdict,
    canonical: PathBuf,
    removed: bool,
    /// The line's boot cleanup deletes it when it reaches it.
    removable: bool,
    /// For a lock naming the next gateway's pid (`--gateway-pid`): the
    /// verdict on it now, by the present process table (`inspect_lock_now`).
    now: Option<LockVerdict>,
    /// Repair may remove it: the boot's cleanup does (`removable`), or, for a
    /// lock naming the next gateway's pid, nothing holds it now
    /// (`own_pid_lock_removable_now`; then only that).
    repair_removes: bool,
}

impl LockInfo<'_> {
    /// Repair removes a lock naming the next gateway's pid that the next
    /// boot would keep as its own.
    fn removed_now_only(&self) -> bool {
        self.repair_removes && !self.removable
    }
}

/// What the analysis knows about an agent beyond its files.
#[derive(Debug, Clone, Copy)]
struct AgentCtx<'a> {
    /// The config's `agents.list` ids (see `agent_configured`).
    configured_agents: Option<&'a [String]>,
}

/// Boot cleanup on one agent's locks under one line's rules, in name order.
fn lock_pass<'a>(
    agent: &'a Agent,
    set: Settings,
    line: &LineRules,
    visited: bool,
    halted: &mut Option<PathBuf>,
) -> Vec<LockInfo<'a>> {
    let mut infos = Vec::new();
    for lock in &agent.locks {
        let verdict = rules::inspect_lock(
            &lock.payload,
            &lock.proc_state,
            set.next_gateway,
            set.now_ms,
            set.stale_ms,
            line,
        );
        let mtime_age = lock.identity.map(|i| {
            let mtime_ms = (i.mtime_ns / 1_000_000) as i64;
            (set.now_ms - mtime_ms).max(0) as u64
        });
        let removable =
            visited && rules::boot_removes_lock(line, &verdict, mtime_age, set.stale_ms);
        let now = verdict.self_owned.then(|| {
            rules::inspect_lock_now(&lock.payload, &lock.proc_state, set.now_ms, set.stale_ms)
        });
        let repair_removes = match &now {
            Some(n) => {
                visited && rules::own_pid_lock_removable_now(line, n, mtime_age, set.stale_ms)
            }
            None => removable,
        };
        let canonical = agent.real_sessions_dir.join(&lock.name);
        let mut removed = false;
        if removable && halted.is_none() {
            if lock.kind == crate::fsx::Kind::File || lock.kind == crate::fsx::Kind::Symlink {
                removed = true;
            } else {
                *halted = Some(lock.path.clone());
            }
        }
        infos.push(LockInfo {
            lock,
            verdict,
            canonical,
            removed,
            removable,
            now,
            repair_removes,
        });
    }
    infos
}

/// Findings of one agent, each with the lines it was found on.
struct LineFindings {
    all: rules::LineSet,
    found: Vec<(Finding, rules::LineSet)>,
    /// Where each distinct finding is in `found`.
    seen: HashMap<FindingKey, usize>,
}

/// What makes two findings the same (a finding's fields but its severity and
/// fix, which follow from these).
type FindingKey = (&'static str, Option<String>, Option<String>, String);

impl LineFindings {
    fn add(&mut self, line: rules::LineSet, f: Finding) {
        let key = (f.code, f.key.clone(), f.path.clone(), f.message.clone());
        match self.seen.get(&key) {
            Some(&i) if self.found[i].0 == f => self.found[i].1 .0 |= line.0,
            _ => {
                self.seen.insert(key, self.found.len());
                self.found.push((f, line));
            }
        }
    }

    /// One finding per distinct text; one seen on only some lines says which.
    fn finish(self, out: &mut Vec<Finding>) {
        for (mut f, set) in self.found {
            if set != self.all {
                let lines: Vec<&LineRules> = set.iter().collect();
                f.message = format!("on OpenClaw {}: {}", lines_label(&lines), f.message);
            }
            out.push(f);
        }
    }
}

/// `2026.4.25, 2026.5.22 lines` for a list of lines; one line with its
/// releases: `2026.8.1 line (2026.8.1 to before 2026.9.6)`.
fn lines_label(lines: &[&LineRules]) -> String {
    match lines {
        [one] => format!("{} line ({})", one.name, rules::lines::range_label(one)),
        _ => format!(
            "{} lines",
            lines.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn analyze_agent(
    agent: &Agent,
    set: Settings,
    release: &Release,
    ctx: AgentCtx,
    halted: &mut [Option<PathBuf>],
    sessions_out: &mut Vec<SessionReport>,
    locks_out: &mut Vec<LockReport>,
    findings: &mut Vec<Finding>,
) {
    let aid = Some(agent.id.clone());
    let f =
        |code, severity, key: Option<&str>, path: Option<&Path>, message: String, fix: String| {
            Finding {
                code,
                severity,
                agent: aid.clone(),
                key: key.map(str::to_string),
                path: path.map(show),
                message,
                fix,
            }
        };
    for p in &agent.problems {
        findings.push(f(
            "agent-unreadable",
            Severity::Error,
            None,
            Some(&p.path),
            p.message.clone(),
            "fix the layout by hand; sessfix leaves this agent alone".into(),
        ));
    }
    if !lost_index_findings(agent, set.now_ms, findings, &f) {
        store_findings(agent, findings, &f);
    }
    temp_copy_findings(agent, set.now_ms, findings, &f);

    let lines: Vec<&'static LineRules> = release.set.iter().collect();
    let wiped = agent.store.state.will_be_wiped();
    let mut per_line = LineFindings {
        all: release.set,
        found: Vec::new(),
        seen: HashMap::new(),
    };
    // [line][lock] and [line][session]
    let mut line_locks: Vec<Vec<LockInfo>> = Vec::new();
    let mut line_rows: Vec<Vec<Option<(NextBoot, String)>>> = Vec::new();
    let mut lock_owner: HashMap<PathBuf, String> = HashMap::new();
    for line in &lines {
        let li = rules::lines::ALL
            .iter()
            .position(|l| *l == *line)
            .unwrap_or(0);
        let one = rules::LineSet::one(line);
        if line.era == rules::lines::Era::Sqlite {
            // A release not known may be a SQLite-era one, whose gateway
            // never reads the store's locks: they have no row per line.
            let (found, rows) = file_store_on_sqlite_line(agent, line, None);
            if let Some(x) = found {
                per_line.add(one, x);
            }
            line_rows.push(rows);
            continue;
        }
        let visited = rules::store_visited(&agent.origin, line);
        let infos = lock_pass(agent, set, line, visited, &mut halted[li]);
        let removed: HashSet<&Path> = infos
            .iter()
            .filter(|i| i.removed)
            .map(|i| i.canonical.as_path())
            .collect();
        let by_path: HashMap<&Path, &LockInfo> =
            infos.iter().map(|i| (i.canonical.as_path(), i)).collect();
        let mut rows = Vec::new();
        let mut found = Vec::new();
        for s in &agent.sessions {
            if s.shadowed {
                found.push(f(
                    "entry-duplicate",
                    Severity::Warning,
                    Some(&s.key),
                    Some(&agent.store.path),
                    format!(
                        "key {:?} appears more than once in the index; the gateway keeps only the last",
                        s.key
                    ),
                    "remove the earlier copy by hand after checking which one is current".into(),
                ));
                rows.push(None);
                continue;
            }
            let own_lock = s
                .lock_paths
                .iter()
                .find_map(|p| by_path.get(p.as_path()).copied());
            if let Some(l) = own_lock {
                lock_owner
                    .entry(l.canonical.clone())
                    .or_insert(s.key.clone());
            }
            let boot = Boot {
                line,
                visited,
                configured: rules::agent_configured(
                    s.agent_id.as_deref().unwrap_or(&agent.id),
                    ctx.configured_agents,
                ),
                wiped: wiped && !(line.startup_salvages_json5 && agent.json5_salvage),
                halted: halted[li].as_deref(),
            };
            let (next_boot, reason) = predict(s, &boot, own_lock, &removed, set);
            entry_findings(
                agent, s, next_boot, &reason, own_lock, &boot, &mut found, &f,
            );
            rows.push(Some((next_boot, reason)));
        }
        for i in &infos {
            let session = lock_owner.get(&i.canonical).cloned();
            lock_findings(i, session.as_deref(), set, &mut found, &f);
        }
        for x in found {
            per_line.add(one, x);
        }
        line_rows.push(rows);
        line_locks.push(infos);
    }
    per_line.finish(findings);

    let lock_by_canonical: HashMap<&Path, &crate::state::LockFile> = line_locks
        .first()
        .map(|infos| {
            infos
                .iter()
                .map(|i| (i.canonical.as_path(), i.lock))
                .collect()
        })
        .unwrap_or_default();
    // Locks a live process may hold now (on some line): a row behind one
    // is not waiting, and repair leaves it alone.
    let held: HashSet<&Path> = (0..agent.locks.len())
        .filter(|&k| held_now(line_locks.iter().map(|v| &v[k])))
        .filter_map(|k| Some(line_locks.first()?[k].canonical.as_path()))
        .collect();
    for (si, s) in agent.sessions.iter().enumerate() {
        let preds: Vec<(&'static LineRules, NextBoot, String)> = lines
            .iter()
            .zip(&line_rows)
            .filter_map(|(l, rows)| rows[si].clone().map(|(n, r)| (*l, n, r)))
            .collect();
        let Some((_, first_next, first_reason)) = preds.first().cloned() else {
            continue;
        };
        let agree = preds.iter().all(|(_, n, _)| *n == first_next);
        let (next_boot, reason, by_line) = if agree {
            (first_next, first_reason, Vec::new())
        } else {
            let by: Vec<LinePrediction> = preds
                .iter()
                .map(|(l, n, r)| LinePrediction {
                    line: l.name,
                    next_boot: *n,
                    reason: r.clone(),
                })
                .collect();
            // Runs of consecutive lines with the same outcome (a line with
            // no row, as a SQLite-era line that does not start, breaks one).
            let at = |name: &str| lines.iter().position(|l| l.name == name);
            let mut runs: Vec<(&str, &str, NextBoot)> = Vec::new();
            for p in &by {
                match runs.last_mut() {
                    Some((_, last, n))
                        if *n == p.next_boot && at(last).map(|i| i + 1) == at(p.line) =>
                    {
                        *last = p.line
                    }
                    _ => runs.push((p.line, p.line, p.next_boot)),
                }
            }
            let summary = runs
                .iter()
                .map(|(a, b, n)| {
                    let span = if a == b {
                        a.to_string()
                    } else {
                        format!("{a} to {b}")
                    };
                    format!("{span}: {}", n.as_str())
                })
                .collect::<Vec<_>>()
                .join("; ");
            (
                NextBoot::Unknown,
                format!(
                    "depends on the OpenClaw release line ({summary}); pass --openclaw-version"
                ),
                by,
            )
        };
        let artifacts = s
            .transcript
            .as_ref()
            .and_then(|t| t.tail.as_ref().ok())
            .filter(|t| t.last_record_is_last_line)
            .map_or(0, |t| t.restart_artifacts);
        // What a file edit could change: the file-era lines' outcomes.
        let any = |n: NextBoot| {
            preds
                .iter()
                .any(|(l, x, _)| l.era == rules::lines::Era::File && *x == n)
        };
        let restart_artifacts = if any(NextBoot::Fail) || any(NextBoot::Stranded) {
            artifacts
        } else {
            0
        };
        let running = s.status.as_deref() == Some("running")
            && rules::skip_reason(&s.boot_key, &s.skip).is_none();
        let running_main = running && !s.lock_paths.iter().any(|p| held.contains(p.as_path()));
        let mut remedy = Remedy {
            running_main: running,
            waiting: running_main
                && (any(NextBoot::Stranded)
                    || any(NextBoot::Resume)
                    || (restart_artifacts > 0 && any(NextBoot::Fail))),
            artifacts: restart_artifacts > 0 && any(NextBoot::Fail),
            orphan: any(NextBoot::Skip)
                && s.status.as_deref() == Some("running")
                && s.transcript.is_none()
                && s.session_id.is_some(),
            ..Remedy::default()
        };
        for (l, n, r) in &preds {
            if *n != NextBoot::Stranded {
                continue;
            }
            let configured = rules::agent_configured(
                s.agent_id.as_deref().unwrap_or(&agent.id),
                ctx.configured_agents,
            );
            match rules::flag_blocker(
                &s.key,
                l,
                rules::store_visited(&agent.origin, l),
                configured,
            ) {
                None => remedy.flag = true,
                Some(why) => {
                    remedy.no_flag.get_or_insert_with(|| {
                        if lines.len() > 1 {
                            format!("on the {} line: {why} ({r})", l.name)
                        } else {
                            why
                        }
                    });
                }
            }
        }
        let waiting_ms = s
            .updated_at
            .filter(|_| remedy.waiting)
            .map(|u| (set.now_ms as f64 - u).max(0.0) as u64);
        if let Some(w) =
            waiting_ms.filter(|_| older_than(set.now_ms, s.updated_at, set.old_turn_ms))
        {
            findings.push(old_turn_finding(agent, s, next_boot, &remedy, w, set));
        }
        sessions_out.push(SessionReport {
            agent: agent.id.clone(),
            key: s.key.clone(),
            boot_key: (!s.boot_key.is_empty() && s.boot_key != s.key).then(|| s.boot_key.clone()),
            session_id: s.session_id.clone(),
            status: s.status.clone(),
            aborted_last_run: s.aborted_last_run,
            updated_at: s.updated_at,
            transcript: s.transcript.as_ref().map(|t| show(&t.path)),
            lock: s
                .lock_paths
                .iter()
                .find_map(|p| lock_by_canonical.get(p.as_path()))
                .map(|l| show(&l.path)),
            next_boot,
            reason,
            next_boot_by_line: by_line,
            restart_artifacts,
            waiting_ms,
            remedy,
        });
    }

    for (k, lock) in agent.locks.iter().enumerate() {
        let infos: Vec<&LockInfo> = line_locks.iter().map(|v| &v[k]).collect();
        let Some(first) = infos.first() else { continue };
        let canonical = agent.real_sessions_dir.join(&lock.name);
        // A lock only repair removes is reported as it is now.
        let reasons = match &first.now {
            Some(now) if first.removed_now_only() => &now.reasons,
            _ => &first.verdict.reasons,
        };
        locks_out.push(LockReport {
            agent: agent.id.clone(),
            path: show(&lock.path),
            pid: lock.payload.pid,
            created_at: lock.payload.created_at.clone(),
            stale: !reasons.is_empty(),
            stale_reasons: reasons.clone(),
            live_owner: held_now(infos.iter().copied()),
            owner_liveness_unknown: first.verdict.owner_unknown,
            owner_argv: argv_of(&lock.proc_state),
            session: lock_owner.get(&canonical).cloned(),
            removed_at_boot: infos.iter().all(|i| i.removed),
            removable: infos.iter().all(|i| i.repair_removes)
                && lock.kind == crate::fsx::Kind::File,
            names_next_gateway_pid: first.verdict.self_owned,
        });
    }

    // Transcripts nobody points at.
    let used: HashSet<String> = agent
        .sessions
        .iter()
        .filter_map(|s| s.transcript.as_ref())
        .filter_map(|t| t.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let ids: HashSet<&str> = agent
        .sessions
        .iter()
        .filter_map(|s| s.session_id.as_deref())
        .collect();
    if matches!(agent.store.state, StoreState::Valid | StoreState::Missing) {
        for name in &agent.transcript_names {
            let stem = name.strip_suffix(".jsonl").unwrap_or(name);
            let base_id = stem.split("-topic-").next().unwrap_or(stem);
            if used.contains(name) || ids.contains(stem) || ids.contains(base_id) {
                continue;
            }
            findings.push(f(
                "transcript-orphan",
                Severity::Info,
                None,
                Some(&agent.sessions_dir.join(name)),
                format!("transcript {name} has no entry in the index"),
                "nothing required; it is history the gateway no longer lists".into(),
            ));
        }
    }

    for l in &agent.leftovers {
        leftover_findings(l, agent.keeps_temp(l), set, findings, &f);
    }
}

/// `session-old-turn`: a turn that has waited `waited_ms`, longer than
/// `set.old_turn_ms`, would get a late answer when it is resumed.
fn old_turn_finding(
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
        code: "session-old-turn",
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

type MakeFinding<'a> =
    dyn Fn(&'static str, Severity, Option<&str>, Option<&Path>, String, String) -> Finding + 'a;

fn store_findings(agent: &Agent, findings: &mut Vec<Finding>, f: &MakeFinding) {
    let p = Some(agent.store.path.as_path());
    let n = agent.sessions.len();
    match &agent.store.state {
        StoreState::Json5Only { error } => findings.push(f(
            "index-json5",
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
            "index-invalid",
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
            "index-unreadable",
            Severity::Error,
            None,
            p,
            format!("the index cannot be read: {error}"),
            "fix its permissions or type by hand".into(),
        )),
        StoreState::Missing if !agent.transcript_names.is_empty() => findings.push(f(
            "index-missing",
            Severity::Warning,
            None,
            p,
            format!("no index, but {} transcript{} in the sessions dir", agent.transcript_names.len(), if agent.transcript_names.len() == 1 { "" } else { "s" }),
            "restore sessions.json from a backup if sessions are missing".into(),
        )),
        _ => {}
    }
}

/// The boot a prediction is for: one line's rules on one agent.
struct Boot<'a> {
    line: &'a LineRules,
    /// The boot visits this agent's store (`store_visited`).
    visited: bool,
    /// The agent is in the config (`agent_configured`).
    configured: bool,
    /// The index will be loaded as `{}`.
    wiped: bool,
    /// Where boot cleanup stopped, if it did.
    halted: Option<&'a Path>,
}

fn predict(
    s: &Session,
    boot: &Boot,
    own_lock: Option<&LockInfo>,
    removed: &HashSet<&Path>,
    set: Settings,
) -> (NextBoot, String) {
    let line = boot.line;
    if boot.wiped {
        return (
            NextBoot::Lost,
            "the gateway cannot parse the index: it loads it as empty and the next write drops this session".into(),
        );
    }
    if !s.is_object {
        return (
            NextBoot::Idle,
            "the entry is not an object; the gateway ignores it".into(),
        );
    }
    if s.status.as_deref() != Some("running") {
        return (
            NextBoot::Idle,
            match &s.status {
                Some(st) => format!("status {st}: not running"),
                None => "no status: idle".into(),
            },
        );
    }
    if let Some(why) = rules::skip_reason(&s.boot_key, &s.skip) {
        let renamed = if s.boot_key != s.key {
            format!("renamed {} at startup; ", s.boot_key)
        } else {
            String::new()
        };
        return (
            NextBoot::Skip,
            format!("{renamed}{why}: boot recovery skips it by design"),
        );
    }
    if !line.boot_recovery {
        return (
            NextBoot::Stranded,
            format!(
                "OpenClaw before {} has no boot recovery: nothing resumes or fails a running row",
                rules::lines::L2026_4_25.first
            ),
        );
    }
    if !boot.visited {
        return (
            NextBoot::Stranded,
            "boot cleanup and recovery never visit this store (a configured session.store is read by them from 2026.5.22 on; any other index never): it stays running".into(),
        );
    }
    let marked = s.lock_paths.iter().any(|p| removed.contains(p.as_path()));
    let flagged = s.aborted_last_run == Some(true);
    let orphan = line.orphan_marking && !flagged;
    if !flagged && !marked && !orphan {
        let reason = match own_lock {
            Some(l) if l.verdict.live_openclaw_owner && l.verdict.self_owned => format!(
                "its lock names pid {}, the pid the next gateway runs as (--gateway-pid): boot cleanup takes it for the gateway's own and keeps it{}, so recovery never selects the row{}",
                l.lock.payload.pid.unwrap_or(0),
                match l.verdict.age_ms {
                    Some(a) if l.verdict.stale() => format!(" ({} old: this release keeps a too-old lock of a live OpenClaw process)", ago(a as i64, 0)),
                    _ => String::new(),
                },
                match &l.now {
                    Some(now) if l.removed_now_only() => format!("; no process holds it now: {}", explain_reasons(&now.reasons)),
                    _ => String::new(),
                }
            ),
            Some(l) if l.verdict.live_openclaw_owner => format!(
                "its lock is held by live OpenClaw pid {}{}; boot cleanup keeps it, so recovery never selects the row",
                l.lock.payload.pid.unwrap_or(0),
                match l.verdict.age_ms {
                    Some(a) if l.verdict.stale() => format!(" ({} old: this release keeps a too-old lock of a live OpenClaw process)", ago(a as i64, 0)),
                    Some(a) => format!(" (stale in {})", ago(set.stale_ms as i64, a as i64)),
                    None => String::new(),
                }
            ),
            Some(l) if l.removable && boot.halted.is_some() => format!(
                "the lock cleanup at boot stops at {} before it removes this row's lock",
                boot.halted.map(show).unwrap_or_default()
            ),
            Some(l) if l.verdict.stale() && !l.removable => "its lock is stale but this release's boot cleanup keeps it for now (a lock without a valid payload waits out a grace period), so recovery never selects the row".into(),
            Some(_) => "its lock is not judged stale at boot, so recovery never selects the row".into(),
            None => "running with abortedLastRun false and no transcript lock (a graceful restart): recovery never selects it".into(),
        };
        return (NextBoot::Stranded, reason);
    }
    let how = if flagged {
        "abortedLastRun is true"
    } else if marked {
        "boot cleanup removes its stale lock and marks it"
    } else {
        "the boot marks it as an orphaned run (2026.6.9+)"
    };
    // A lock naming the next gateway's own pid is reclaimed by the resumed
    // run's acquire, so it does not block the resume.
    if let Some(l) =
        own_lock.filter(|l| !l.removed && l.verdict.live_openclaw_owner && !l.verdict.self_owned)
    {
        let pid = l.lock.payload.pid.unwrap_or(0);
        return if line.live_lock_fails_resume {
            (
                NextBoot::Fail,
                format!("{how}, but the resumed run cannot take the lock held by live OpenClaw pid {pid}: it fails and the row is marked failed"),
            )
        } else {
            (
                NextBoot::Stranded,
                format!("{how}, but the resumed run cannot take the lock held by live OpenClaw pid {pid}; it stays running"),
            )
        };
    }
    let Some(t) = &s.transcript else {
        return (
            NextBoot::Fail,
            format!("{how}; no transcript file exists, so recovery marks it failed"),
        );
    };
    let tail = match &t.tail {
        Ok(tail) => tail,
        Err(e) => {
            return (
                NextBoot::Stranded,
                format!(
                    "{how}, but the transcript cannot be read ({e}); recovery retries and gives up"
                ),
            )
        }
    };
    match rules::resume_block_reason(&tail.messages) {
        Some(block) => (
            NextBoot::Fail,
            format!("{how}; {block}: recovery marks it failed"),
        ),
        None if line.refuses_unconfigured_agent && !boot.configured => (
            NextBoot::Stranded,
            format!("{how}, but its agent is not in the config's agents.list: 2026.7.1+ refuses to resume it, so it stays running"),
        ),
        None => (
            NextBoot::Resume,
            format!("{how}; the transcript ends with a resumable message"),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn entry_findings(
    agent: &Agent,
    s: &Session,
    next: NextBoot,
    reason: &str,
    own_lock: Option<&LockInfo>,
    boot: &Boot,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let key = Some(s.key.as_str());
    let index = Some(agent.store.path.as_path());
    if !s.is_object {
        findings.push(f(
            "entry-invalid",
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
            "entry-invalid",
            Severity::Warning,
            key,
            index,
            format!("entry {:?} has no string sessionId", s.key),
            "the gateway cannot find its transcript; remove or fix it by hand".into(),
        )),
        Some(id) if !rules::is_safe_session_id(id) => findings.push(f(
            "entry-invalid",
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
    let running = s.status.as_deref() == Some("running");
    match next {
        NextBoot::Stranded => {
            let live = own_lock
                .filter(|l| l.verdict.live_openclaw_owner && !l.removed && !l.removed_now_only());
            findings.push(f(
                "session-stranded",
                Severity::Error,
                key,
                index,
                format!("{}: stays running after the next boot: {reason}", s.key),
                match (live, rules::flag_blocker(&s.key, boot.line, boot.visited, boot.configured)) {
                    (Some(l), _) => format!(
                        "stop OpenClaw pid {} if it is not a live gateway, then run `sessfix repair`",
                        l.lock.payload.pid.unwrap_or(0)
                    ),
                    (None, Some(why)) => format!(
                        "no flag helps here: {why}. End it with `sessfix repair --max-age DURATION` (status failed, as the gateway ends a session){}",
                        if boot.visited { "" } else { ", or move its entry and transcript into agents/<id>/sessions/ by hand" }
                    ),
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
                    "tail-unresumable",
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
            "key-renamed",
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
    if let Some(t) = &s.transcript {
        if s.transcript_outside {
            findings.push(f(
                "transcript-outside",
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
                "transcript-unreadable",
                Severity::Error,
                key,
                Some(&t.path),
                format!("{}: transcript cannot be read: {e}", s.key),
                "fix its permissions or type by hand".into(),
            )),
            Ok(tail) => {
                if let Some(at) = tail.torn_at {
                    findings.push(f(
                        "transcript-torn",
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
                        "transcript-line-oversized",
                        Severity::Info,
                        key,
                        Some(&t.path),
                        format!("{}: the last line is longer than the 256 KiB recovery reads; recovery sees no message", s.key),
                        "nothing sessfix can change; such a row is failed if it is recovered".into(),
                    ));
                }
                if tail.last_record_is_last_line && tail.restart_artifacts > 0 && running {
                    findings.push(f(
                        "restart-artifacts",
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
            "transcript-missing",
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

fn lock_findings(
    i: &LockInfo,
    session: Option<&str>,
    set: Settings,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    let path = Some(i.lock.path.as_path());
    if !matches!(i.lock.kind, crate::fsx::Kind::File) {
        findings.push(f(
            "lock-not-file",
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
            "lock-live-owner",
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
            "lock-stale",
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
            "lock-stale",
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
            "lock-owner-unknown",
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
                    ago(set.stale_ms as i64, 0)
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

/// Whether a live OpenClaw process may hold a lock now, on some line (for
/// the next gateway's pid, by the present process table).
fn held_now<'a, 'b: 'a>(infos: impl IntoIterator<Item = &'a LockInfo<'b>>) -> bool {
    infos
        .into_iter()
        .any(|i| i.now.as_ref().unwrap_or(&i.verdict).live_openclaw_owner)
}

fn lock_orphan_finding(
    i: &LockInfo,
    session: Option<&str>,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) {
    if session.is_none() {
        findings.push(f(
            "lock-orphan",
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

/// `dead-pid (its pid is not running), too-old (...)`.
fn explain_reasons(reasons: &[StaleReason]) -> String {
    reasons
        .iter()
        .map(|r| format!("{} ({})", r.as_str(), r.explain()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings of a lost index (`index-invalid`, `index-missing`) when it
/// has intact copies, was restored from one, or can only be listed from its
/// transcripts; `false` when `store_findings` says all there is.
fn lost_index_findings(
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
    let (code, severity, message) = match state {
        StoreState::Invalid { error } => (
            "index-invalid",
            Severity::Error,
            format!("the index cannot be parsed ({error}). The gateway loads it as empty and its next write replaces it"),
        ),
        StoreState::Missing
            if !agent.transcript_names.is_empty() || !agent.index_copies.is_empty() =>
        {
            (
                "index-missing",
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
            if code == "index-missing" { "missing" } else { "unparseable" }
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
    findings.push(f(code, severity, None, p, message, fix));
    true
}

/// A temp file that parses as a complete index and is not the index's own
/// bytes: it may be the newer state of an interrupted write. Repair keeps it.
fn temp_copy_findings(agent: &Agent, now_ms: i64, findings: &mut Vec<Finding>, f: &MakeFinding) {
    let lost = !agent.index_usable();
    for l in &agent.leftovers {
        if !agent.keeps_temp(l) {
            continue;
        }
        if l.file_kind != crate::fsx::Kind::File {
            continue;
        }
        let facts = agent
            .index_copies
            .iter()
            .find(|c| c.path == l.path)
            .map(|c| describe_copy(c, now_ms))
            .unwrap_or_else(|| show(&l.path));
        let (message, fix) = if lost {
            (
                format!("{facts} is a complete copy of the index left by an interrupted write, and {} is not usable: it may be the only intact copy", show(&agent.store.path)),
                "repair never removes it; `sessfix repair --restore-index` restores the best copy (see the index finding)".to_string(),
            )
        } else {
            (
                format!(
                    "{facts} is a complete index that differs from {} ({} entries, newest updatedAt {}): it is an older state (as after `sessfix repair --restore-index` restored from it and wrote its edits) or the newer state of an interrupted write",
                    show(&agent.store.path),
                    agent.sessions.iter().filter(|s| !s.shadowed).count(),
                    agent
                        .sessions
                        .iter()
                        .filter(|s| !s.shadowed)
                        .filter_map(|s| s.updated_at)
                        .reduce(f64::max)
                        .map_or("none".into(), |u| iso_ms(u as i64))
                ),
                format!(
                    "repair leaves it. Compare the two first (`diff`); only if the temp holds newer sessions, stop the gateway and copy it over the index keeping its mode (`cp --preserve=mode,ownership {} {}`), keeping a copy of the index first; otherwise, or once the index is current, remove the temp by hand",
                    show(&l.path),
                    show(&agent.store.path)
                ),
            )
        };
        findings.push(f(
            "temp-complete",
            Severity::Info,
            None,
            Some(&l.path),
            message,
            fix,
        ));
    }
}

fn leftover_findings(
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
            "temp-leftover",
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
                    "store-lock-owner-unknown",
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
                    "store-lock-live",
                    Severity::Warning,
                    None,
                    path,
                    format!("index lock held by live pid {}", l.pid.unwrap_or(0)),
                    "an older OpenClaw build is writing the index: stop it first".into(),
                ));
            } else {
                findings.push(f(
                    "store-lock-stale",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_their_labels() {
        let now = 1_000 * DEFAULT_OLD_TURN_MS as i64;
        let at = |age: u64| Some((now - age as i64) as f64);
        assert!(!older_than(
            now,
            at(DEFAULT_OLD_TURN_MS),
            DEFAULT_OLD_TURN_MS
        ));
        assert!(older_than(
            now,
            at(DEFAULT_OLD_TURN_MS + 1),
            DEFAULT_OLD_TURN_MS
        ));
        assert!(!older_than(now, None, 0), "no updatedAt, no age");
        assert!(!older_than(now, Some((now + 5) as f64), 0), "in the future");
        assert_eq!(duration_label(DEFAULT_OLD_TURN_MS), "3d");
        assert_eq!(duration_label(36 * 3_600_000), "36h");
        assert_eq!(duration_label(2 * 604_800_000), "2w");
        assert_eq!(duration_label(90_000), "90s");
        assert_eq!(duration_label(1_500), "1500ms");
        assert_eq!(duration_label(0), "0ms");
        for ms in [1, 1_500, 90_000, 36 * 3_600_000, DEFAULT_OLD_TURN_MS] {
            assert_eq!(crate::cli::parse_duration_ms(&duration_label(ms)), Ok(ms));
        }
    }
}
