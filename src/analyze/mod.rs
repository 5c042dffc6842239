//! From a snapshot to a report: what the next boot does with each session,
//! each lock's verdict, and every finding. Pure: no I/O, fixed clock.
//!
//! Assembled, not decided: each release line's boot of each agent is
//! `boot`'s; here they are worded (`findings/`), merged across lines
//! (`lines`) and laid out as the report (`report`). This file holds the
//! `Analysis` callers drive (`new`, `add`, `finish`) and the settings; a
//! file-era agent's rows are `agent.rs`'s, a SQLite-era one's `sqlite.rs`'s.

mod agent;
pub mod exit;
pub(crate) mod findings;
mod gateway;
pub mod kinds;
mod lines;
mod report;
pub mod sqlite;
pub mod state_db;

pub use findings::index::describe_copy;
pub use gateway::{gateway_report, gateway_report_on};
pub use kinds::{ExitClass, Kind};
pub use report::*;

use agent::{agent_report, analyze_agent, AgentCtx};
use findings::index::start_loses;
use findings::store::{file_store_finding, import_advice};

use crate::boot::{self, show};
use crate::release::{self, Release, Requested};
use crate::rules::{self, LineRules};
use crate::state::{Agent, Snapshot, StoreState};
use std::path::{Path, PathBuf};

/// What the analysis is told beside the snapshot: the clock, the operator's
/// flags and the release asked for.
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
    /// The options naming this run's state (`--state-dir DIR`...), put into
    /// each sessfix command a finding quotes (`report::make_pasteable`).
    pub action_options: &'static str,
}

impl Settings {
    /// The boot's clock and the operator's facts.
    pub fn clock(&self) -> boot::Clock {
        boot::Clock {
            now_ms: self.now_ms,
            stale_ms: self.stale_ms,
            next_gateway: self.next_gateway,
        }
    }
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

pub use crate::boot::NextBoot;

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
    // The state database's `user_version`: a start it refuses on a line
    // refuses every agent's rows.
    // What the databases are judged against (`sqlite::Skew`): none when the
    // release is the one that last used the state.
    skew: Option<sqlite::Skew>,
    // Kept when rows are forgotten: `Report::start_loses`.
    start_loses: Vec<(String, String)>,
    // The findings of `new` (the gateway's, the release's): `take_rows`
    // leaves them.
    head_findings: usize,
    streamed: Streamed,
    // Each session key an outbound queue entry names, with its newest
    // `enqueuedAt`: a resumed reply queued already is not unsent.
    queued: findings::delivery::Queued,
    // Kept when rows are forgotten: `Report::unsent`.
    unsent: Vec<UnsentReply>,
}

impl Analysis {
    /// Start a report on `snap`'s gateway facts (its agents are not read here).
    pub fn new(snap: &Snapshot, set: Settings) -> Analysis {
        let mut findings = Vec::new();
        let mut gateway = gateway_report(&snap.gateway);
        state_db::liveness(&snap.sqlite, &mut gateway);
        if gateway.live {
            findings.push(Finding {
                kind: Kind::GatewayLive,
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
                kind: Kind::GatewayLivenessUnknown,
                severity: Severity::Error,
                agent: None,
                key: None,
                path: gateway.lock_path.clone(),
                message: format!(
                    "whether a gateway is running on this state dir cannot be established here: {}",
                    gateway.evidence.clone().unwrap_or_default()
                ),
                fix: gateway::liveness_unknown_fix(snap.gateway.no_state_dir).into(),
            });
        }
        // A config or release source that exists but cannot be read: its
        // facts (configured stores, agents.list, the release) are unknown.
        for p in &snap.release.problems {
            let config = snap.config.path.as_deref() == Some(p.path.as_path());
            findings.push(Finding {
                kind: if config { Kind::ConfigUnreadable } else { Kind::ReleaseSourceUnreadable },
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
        let release = release::select(set.requested, &snap.release_evidence(), set.now_ms);
        let sqlite_lines: Vec<&'static LineRules> = release
            .set
            .iter()
            .filter(|l| boot::sqlite::is_sqlite_line(l))
            .collect();
        // A release told by the state opened its databases: no skew.
        let skew = (!release.from_the_state()).then(|| sqlite::Skew {
            state_schema: snap.sqlite.state_db.as_ref().map(|d| d.user_version),
        });
        let skew_lines = if release.from_the_state() {
            &[][..]
        } else {
            &sqlite_lines[..]
        };
        state_db::shared_findings(
            &snap.sqlite,
            &gateway,
            skew_lines,
            set.now_ms,
            &mut findings,
        );
        let queued = findings::delivery::state_findings(snap, &release, set.now_ms, &mut findings);
        if release.line.is_none() {
            findings.push(Finding {
                kind: Kind::ReleaseUnknown,
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
            head_findings: findings.len(),
            streamed: Streamed::default(),
            findings,
            cleanup_halted_at: vec![None; rules::lines::ALL.len()],
            configured_agents: snap.config.agents(),
            db_releases: Vec::new(),
            skew,
            start_loses: Vec::new(),
            queued,
            unsent: Vec::new(),
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
        self.agents.push(agent_report(agent, self.set));
        let sqlite_line = self
            .release
            .line_rules()
            .filter(|l| boot::sqlite::is_sqlite_line(l));
        let imports = sqlite_line.is_some_and(boot::sqlite::imports_at_start);
        if let Some(a) = self.agents.last_mut() {
            a.migration_input = agent.sqlite.is_some() || sqlite_line.is_some();
        }
        if let Some(p) = &agent.db_problem {
            let finding = findings::agent_db::unreadable(&self.release, agent, p);
            if let Some(a) = self.agents.last_mut() {
                if finding.kind == Kind::AgentUnreadable {
                    a.unreadable_db_may_hold_sessions = true;
                } else {
                    a.era = crate::state::Era::File.name();
                }
            }
            self.findings.push(finding);
        }
        let version = self.release.version.clone().unwrap_or_default();
        if agent.sqlite.is_some() || sqlite_line.is_some() {
            // The file-era analysis below reports these itself.
            for p in &agent.problems {
                self.findings.push(Finding {
                    kind: Kind::AgentUnreadable,
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
            self.add_sqlite_agent(agent, db_path, imports, &version);
            return;
        }
        if let Some(line) = sqlite_line {
            let (fate, rows) = boot::sqlite::file_store(agent, line);
            self.findings
                .extend(file_store_finding(agent, fate, Some(&version)));
            for (s, row) in agent.sessions.iter().zip(rows) {
                if let Some((next_boot, reason)) = row {
                    self.sessions.push(sqlite::file_session_report(
                        agent,
                        s,
                        next_boot,
                        reason.into_owned(),
                    ));
                }
            }
            return;
        }
        let lines: Vec<&'static LineRules> = self.release.set.iter().collect();
        for s in &agent.sessions {
            let now = self.set.now_ms;
            if let Some((f, u)) =
                findings::delivery::reply_unsent(&lines, &agent.id, s, &self.queued, now)
            {
                self.findings.push(f);
                self.unsent.extend(u);
            }
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
            &mut self.findings,
        );
    }

    /// A SQLite-era agent (one with a database): a `sessions.json` still
    /// beside it (`sqlite-era`), then its rows as the SQLite-era lines
    /// predicted for see them.
    fn add_sqlite_agent(&mut self, agent: &Agent, db_path: &Path, imports: bool, version: &str) {
        if let Some(v) = agent
            .agent_db
            .as_ref()
            .and_then(|d| d.sessions.as_ref())
            .and_then(|t| t.app_version.clone())
        {
            self.db_releases.push((agent.id.clone(), v));
        }
        if !matches!(agent.store.state, StoreState::Missing) {
            self.findings.push(Finding {
                kind: Kind::SqliteEra,
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
            // The SQLite-era lines among those predicted for; a database
            // read with a file-era release known is judged by the newest.
            let mut sqlite_lines: Vec<&'static LineRules> = self
                .release
                .set
                .iter()
                .filter(|l| boot::sqlite::is_sqlite_line(l))
                .collect();
            if sqlite_lines.is_empty() {
                sqlite_lines.extend(boot::sqlite::newest_line());
            }
            sqlite::agent(
                agent,
                tables,
                db_path,
                &sqlite_lines,
                self.skew,
                &mut self.sessions,
                &mut self.findings,
            );
            let path = Some(show(db_path));
            let q = &self.queued;
            let replies = tables.rows.iter();
            let replies =
                replies.filter_map(|r| findings::delivery::pending_final(agent, r, &path, q));
            self.findings.extend(replies);
        }
    }

    /// Take out the session and lock rows and the findings added since the
    /// last take (the agent just added), for a report written as it is read:
    /// they do not depend on later agents. The findings of `new` stay (and
    /// `finish` may still change one); what the exit code needs of those
    /// taken stays too (`Report::streamed`).
    pub fn take_rows(&mut self) -> Rows {
        let mut findings = self.findings.split_off(self.head_findings);
        kinds::debug_check(&findings);
        report::make_pasteable(&mut findings, &mut [], self.set.action_options);
        self.streamed.note(&findings);
        Rows {
            sessions: std::mem::take(&mut self.sessions),
            locks: std::mem::take(&mut self.locks),
            findings,
        }
    }

    /// The agents so far, in the order they were added.
    pub fn agents(&self) -> &[AgentReport] {
        &self.agents
    }

    /// The session rows so far, in the order agents were added.
    pub fn sessions(&self) -> &[SessionReport] {
        &self.sessions
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
                .find(|f| f.kind == Kind::ReleaseUnknown)
            {
                f.message = format!("{}; {note}", f.message);
            }
            self.release.notes.push(note);
        }
        kinds::debug_check(&self.findings);
        let opts = self.set.action_options;
        report::make_pasteable(&mut self.findings, &mut self.start_loses, opts);
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
            streamed: self.streamed,
            unsent: self.unsent,
        }
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
