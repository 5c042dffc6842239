//! From a snapshot to a report: what the next boot does with each session,
//! each lock's verdict, and every finding. Pure: no I/O, fixed clock.

pub(crate) mod findings;
mod gateway;
mod lines;
mod report;
pub mod sqlite;

pub use findings::index::describe_copy;
use gateway::argv_of;
pub use gateway::{gateway_report, gateway_report_on};
pub use report::*;

use findings::entry::{entry_findings, old_turn_finding};
use findings::index::{lost_index_findings, recovery, start_loses, temp_copy_findings};
use findings::leftover::leftover_findings;
use findings::lock::lock_findings;
use findings::store::{file_store_finding, import_advice, store_findings};
use lines::{merge_lines, LineFindings, LinePred};

use crate::boot::file::{held_now, FileBoot, LockInfo, RowFate};
use crate::boot::{self, show, AgentBoot};
use crate::release::{self, Release, Requested};
use crate::rules::{self, LineRules};
use crate::state::{Agent, Snapshot, StoreState};
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
                    schema_release: boot::sqlite::release_of_agent_schema(t.user_version),
                    app_version: t.app_version.clone(),
                    sessions: t.rows.len(),
                })
            }),
        });
        let sqlite_line = self
            .release
            .line_rules()
            .filter(|l| boot::sqlite::is_sqlite_line(l));
        let imports = sqlite_line.is_some_and(boot::sqlite::imports_at_start);
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
                    &mut self.sessions,
                    findings,
                );
            }
            return;
        }
        if let Some(line) = sqlite_line {
            let (fate, rows) = boot::sqlite::file_store(agent, line);
            findings.extend(file_store_finding(agent, fate, Some(&version)));
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

/// What the analysis knows about an agent beyond its files.
#[derive(Debug, Clone, Copy)]
struct AgentCtx<'a> {
    /// The config's `agents.list` ids (see `boot::file::agent_configured`).
    configured_agents: Option<&'a [String]>,
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
    let mut per_line = LineFindings::new(release.set);
    let clock = set.clock();
    // One boot per line, as `lines` (a file-era agent: every line boots it).
    let boots: Vec<AgentBoot> = lines
        .iter()
        .filter_map(|line| {
            let li = rules::lines::ALL
                .iter()
                .position(|l| *l == *line)
                .unwrap_or(0);
            boot::agent(line, agent, clock, ctx.configured_agents, &mut halted[li])
        })
        .collect();
    // [line][session]: each line's prediction, and the file-era fate behind it.
    let line_rows: Vec<Vec<Option<LinePred>>> = boots
        .iter()
        .map(|b| match b {
            AgentBoot::File(fb) => fb
                .rows
                .iter()
                .map(|r| r.as_ref().map(|r| (r.next_boot, r.reason.clone(), Some(r))))
                .collect(),
            AgentBoot::FileStore { rows, .. } => rows
                .iter()
                .map(|r| r.clone().map(|(n, why)| (n, why, None)))
                .collect(),
            AgentBoot::Sqlite(_) => vec![None; agent.sessions.len()],
        })
        .collect();
    // [line][lock], file-era lines only.
    let file_boots: Vec<&FileBoot> = boots
        .iter()
        .filter_map(|b| match b {
            AgentBoot::File(fb) => Some(fb),
            _ => None,
        })
        .collect();
    let line_locks: Vec<&Vec<LockInfo>> = file_boots.iter().map(|fb| &fb.locks).collect();
    let mut lock_owner: HashMap<PathBuf, String> = HashMap::new();
    for (line, b) in lines.iter().zip(&boots) {
        let one = rules::LineSet::one(line);
        match b {
            AgentBoot::FileStore { fate, .. } => {
                if let Some(x) = file_store_finding(agent, *fate, None) {
                    per_line.add(one, x);
                }
            }
            AgentBoot::File(fb) => {
                let mut found = Vec::new();
                for (s, fate) in agent.sessions.iter().zip(&fb.rows) {
                    let Some(fate) = fate else {
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
                        continue;
                    };
                    let own_lock = fate.own_lock.map(|k| &fb.locks[k]);
                    if let Some(l) = own_lock {
                        lock_owner
                            .entry(l.canonical.clone())
                            .or_insert(s.key.clone());
                    }
                    entry_findings(agent, s, fate, own_lock, fb.visited, &mut found, &f);
                }
                for i in &fb.locks {
                    let session = lock_owner.get(&i.canonical).cloned();
                    lock_findings(i, session.as_deref(), fb.stale_ms, &mut found, &f);
                }
                for x in found {
                    per_line.add(one, x);
                }
            }
            AgentBoot::Sqlite(_) => {}
        }
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
        let preds: Vec<(&'static LineRules, NextBoot, String, Option<&RowFate>)> = lines
            .iter()
            .zip(&line_rows)
            .filter_map(|(l, rows)| rows[si].clone().map(|(n, r, fate)| (*l, n, r, fate)))
            .collect();
        if preds.is_empty() {
            continue;
        }
        let (next_boot, reason, by_line) = merge_lines(
            &lines,
            &preds
                .iter()
                .map(|(l, n, r, _)| (*l, *n, r.clone()))
                .collect::<Vec<_>>(),
        );
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
                .any(|(_, x, _, fate)| fate.is_some() && *x == n)
        };
        let restart_artifacts = if any(NextBoot::Fail) || any(NextBoot::Stranded) {
            artifacts
        } else {
            0
        };
        let running_main = s.status.as_deref() == Some("running")
            && rules::skip_reason(&s.boot_key, &s.skip).is_none()
            && !s.lock_paths.iter().any(|p| held.contains(p.as_path()));
        let mut remedy = Remedy {
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
        for (l, n, r, fate) in &preds {
            if *n != NextBoot::Stranded {
                continue;
            }
            match fate.and_then(|f| f.no_flag.clone()) {
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
