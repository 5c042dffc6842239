//! The report's types: the JSON schema in Rust (`schema/*.schema.json`),
//! as `scan --json` prints it and the renderers read it. Nothing here
//! analyses: `analyze` fills these from the boots' fates; nothing here
//! renders: `render` prints them.

use super::kinds::{ExitClass, Kind};
use crate::boot::NextBoot;
use crate::release::Release;
use crate::rules::StaleReason;
use serde::Serialize;
use std::path::PathBuf;

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

/// One finding: its kind (`kinds::Kind`, serialised as `code`), its
/// severity (one its kind allows), where, what, and the fix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    #[serde(rename = "code")]
    pub kind: Kind,
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
    #[serde(serialize_with = "whole_number")]
    pub newest_updated_at: Option<f64>,
    /// How many of its entries' transcripts exist.
    pub transcripts_present: usize,
}

/// What the transcripts cannot give back.
pub const NOT_REBUILDABLE: &str = "session keys (agent:<id>:<channel>:...), channel routing and delivery context (deliveryContext, lastChannel, channel), models, usage and every other entry field";

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
    /// Its agent database could not be read, and a line predicted for may
    /// keep sessions there: nothing of this agent is edited.
    #[serde(skip)]
    pub unreadable_db_may_hold_sessions: bool,
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
    /// The release this schema was measured with (`boot::sqlite::KNOWN_SCHEMAS`),
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
    #[serde(serialize_with = "whole_number")]
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

pub(crate) fn is_zero(n: &usize) -> bool {
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
    /// When the report was streamed (`Analysis::take_rows`): what is known
    /// of the rows it no longer holds. Empty otherwise.
    #[serde(skip)]
    pub streamed: Streamed,
    /// The resumed turns' replies only in their transcripts
    /// (`reply-unsent`): what `--send-unsent-replies` queues (one whose
    /// session names no route has an empty one, and is left to a person).
    /// Not in `--json`, whose findings say it.
    #[serde(skip)]
    pub unsent: Vec<UnsentReply>,
}

/// One agent's rows, taken out of an `Analysis` as soon as the agent is
/// analysed (`Analysis::take_rows`), for a report written as it is read
/// (`scan`: `render::ReportSink`).
#[derive(Debug, Default)]
pub struct Rows {
    pub sessions: Vec<SessionReport>,
    pub locks: Vec<LockReport>,
    /// In the order found (not yet by severity).
    pub findings: Vec<Finding>,
}

/// What a streamed report keeps of the findings it no longer holds: what
/// its exit code and its stderr lines need.
#[derive(Debug, Clone, Default)]
pub struct Streamed {
    /// The most severe of them.
    pub worst: Option<Severity>,
    /// Those whose kind's exit class is not `ExitClass::BySeverity` (part
    /// of the state could not be read, a liveness is unknown), in the order
    /// found: few, and each changes the exit code.
    pub kept: Vec<Finding>,
    /// The opt-in repairs their warnings and errors name
    /// (`offered_repairs`), each once, at most `MAX_OFFERED`.
    pub offered: Vec<String>,
}

/// How many distinct opt-in repairs a report keeps to offer.
pub const MAX_OFFERED: usize = 20;

/// The opt-in repairs a finding's fix names: each `` `sessfix repair --...` ``
/// in it, without the backquotes.
pub fn offered_repairs(fix: &str) -> impl Iterator<Item = &str> {
    fix.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("sessfix repair --") && !c.contains("--dry-run"))
        .filter(|c| names_a_repair(c))
}

/// Whether a quoted `sessfix repair ...` names a repair flag of its own, not
/// only the options that name the state (`Settings::action_options`).
fn names_a_repair(command: &str) -> bool {
    const STATE_OPTIONS: [&str; 7] = [
        "--state-dir",
        "--profile",
        "--store",
        "--agent",
        "--openclaw-version",
        "--gateway-pid",
        "--stale-ms",
    ];
    let mut words = command.split(' ').skip(2);
    while let Some(w) = words.next() {
        if STATE_OPTIONS.contains(&w) {
            words.next();
        } else if w.starts_with("--") {
            return true;
        }
    }
    false
}

/// Put `options` (`Settings::action_options`: the options that name the
/// state a run read) into each sessfix command `findings` quote (in their
/// messages and fixes) and the whys of `start_loses` (`Report::start_loses`),
/// so that one pasted runs on that state.
pub(crate) fn make_pasteable(
    findings: &mut [Finding],
    start_loses: &mut [(String, String)],
    options: &str,
) {
    let texts = findings
        .iter_mut()
        .flat_map(|f| [&mut f.message, &mut f.fix])
        .chain(start_loses.iter_mut().map(|(_, why)| why));
    for text in texts {
        if let Some(t) = crate::text::pasteable(text, options) {
            *text = t;
        }
    }
}

/// Add the repairs `f` offers to `out` (each once, up to `MAX_OFFERED`).
fn note_offered(f: &Finding, out: &mut Vec<String>) {
    if f.severity < Severity::Warning {
        return;
    }
    for c in offered_repairs(&f.fix) {
        if out.len() < MAX_OFFERED && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
}

impl Streamed {
    /// Note findings that leave the report.
    pub fn note(&mut self, findings: &[Finding]) {
        for f in findings {
            self.worst = self.worst.max(Some(f.severity));
            if f.kind.exit_class() != ExitClass::BySeverity {
                self.kept.push(f.clone());
            }
            note_offered(f, &mut self.offered);
        }
    }
}

impl Report {
    /// The most severe finding's severity, streamed ones included.
    pub fn worst(&self) -> Option<Severity> {
        let held = self.findings.iter().map(|f| f.severity).max();
        held.max(self.streamed.worst)
    }

    /// The findings held: all of them, or for a streamed report those of
    /// the gateway and the release (sorted by severity), then those kept of
    /// the agents' (`Streamed::kept`, in the order found). Either way, every
    /// finding whose kind's exit class is not `ExitClass::BySeverity`.
    pub fn held_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().chain(&self.streamed.kept)
    }

    /// The opt-in repairs the report's warnings and errors name, each once,
    /// streamed ones included (at most `MAX_OFFERED`).
    pub fn offered_repairs(&self) -> Vec<String> {
        let mut out = self.streamed.offered.clone();
        for f in &self.findings {
            note_offered(f, &mut out);
        }
        out
    }

    /// The findings that say a liveness cannot be established (their kind's
    /// class is `ExitClass::LivenessUnknown`): while any is present, repair
    /// and undo write nothing unless forced.
    pub fn liveness_unknown(&self) -> Vec<&Finding> {
        self.held_findings()
            .filter(|f| f.kind.exit_class() == ExitClass::LivenessUnknown)
            .collect()
    }
}

/// Serialise an epoch-ms float as an integer when it is whole (the gateway
/// writes `updatedAt` as `Date.now()`, an integer; JSON readers that type
/// numbers should see one).
pub fn whole_number<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
            s.serialize_i64(*f as i64)
        }
        Some(f) => s.serialize_f64(*f),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod offered_tests {
    #[test]
    fn the_repairs_a_fix_names_are_its_quoted_sessfix_repair_commands() {
        let fix = "`sessfix repair --untombstone k` keeps it (`openclaw doctor --fix` only warns); or `sessfix repair --resume k`; `sessfix repair` alone; `sessfix repair --dry-run --resume k` shows it";
        let got: Vec<&str> = super::offered_repairs(fix).collect();
        assert_eq!(
            got,
            [
                "sessfix repair --untombstone k",
                "sessfix repair --resume k"
            ]
        );
        // The state's options alone name no repair (the plain run is the
        // dry run's own).
        let fix = "`sessfix repair --state-dir '/a b' --agent x` flags it; `sessfix repair --state-dir /a --max-age 3d` ends it";
        let got: Vec<&str> = super::offered_repairs(fix).collect();
        assert_eq!(got, ["sessfix repair --state-dir /a --max-age 3d"]);
    }
}

/// A resumed turn's reply that is only in the transcript, as the report
/// found it (`reply-unsent`): what a queue entry for it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsentReply {
    pub agent: String,
    pub key: String,
    pub transcript: PathBuf,
    pub text: String,
    pub at_ms: Option<i64>,
    pub route: crate::state::ReplyRoute,
}
