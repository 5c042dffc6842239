//! A file-era agent's rows, locks and findings across the release lines
//! predicted for: each line's boot (`boot::agent`), worded per line and
//! merged (`lines`), then one session row per entry and one lock row per
//! lock. A SQLite-era agent database is `sqlite.rs`'s.

use super::findings::entry::{entry_findings, old_turn_finding};
use super::findings::index::recovery;
use super::findings::index::{lost_index_findings, temp_copy_findings};
use super::findings::leftover::{leftover_findings, orphan_transcript_findings};
use super::findings::lock::lock_findings;
use super::findings::store::{file_store_finding, store_findings};
use super::findings::MakeFinding;
use super::gateway::argv_of;
use super::lines::{merge_lines, LineFindings, LinePred};
use super::{
    older_than, Finding, Kind, LockReport, NextBoot, Remedy, SessionReport, Settings, Severity,
};
use super::{AgentReport, DatabaseReport, StoreReport};
use crate::boot::file::{held_now, FileBoot, LockInfo, RowFate};
use crate::boot::{self, show, AgentBoot};
use crate::release::Release;
use crate::rules::{self, LineRules};
use crate::state::StoreState;
use crate::state::{Agent, Session};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What the analysis knows about an agent beyond its files.
#[derive(Debug, Clone, Copy)]
pub(super) struct AgentCtx<'a> {
    /// The config's `agents.list` ids (see `boot::file::agent_configured`).
    pub(super) configured_agents: Option<&'a [String]>,
}

/// One line's prediction for one row, with its line and file-era fate.
type Pred<'a> = (&'static LineRules, NextBoot, &'a str, Option<&'a RowFate>);

/// The rows, locks and findings of a file-era `agent` (or of its store on
/// the SQLite-era lines among those predicted for). `halted`: where each
/// line's boot cleanup stopped in earlier agents (indexed as `lines::ALL`).
#[allow(clippy::too_many_arguments)]
pub(super) fn analyze_agent(
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
        |kind, severity, key: Option<&str>, path: Option<&Path>, message: String, fix: String| {
            Finding {
                kind,
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
            Kind::AgentUnreadable,
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
    // [line][lock], file-era lines only.
    let file_boots: Vec<&FileBoot> = boots
        .iter()
        .filter_map(|b| match b {
            AgentBoot::File(fb) => Some(fb),
            _ => None,
        })
        .collect();
    let line_locks: Vec<&Vec<LockInfo>> = file_boots.iter().map(|fb| &fb.locks).collect();
    let lock_owner = line_findings(agent, &lines, &boots, release.set, findings, &f);
    session_rows(
        agent,
        &lines,
        &boots,
        &line_locks,
        set,
        sessions_out,
        findings,
    );
    lock_rows(agent, &line_locks, &lock_owner, locks_out);
    orphan_transcript_findings(agent, set.now_ms, findings, &f);
    for l in &agent.leftovers {
        leftover_findings(l, agent.keeps_temp(l), set, findings, &f);
    }
}

/// Each line's findings on the agent's entries, locks and store, merged
/// across `lines` into `findings`; the session owning each lock (canonical
/// path to key).
fn line_findings(
    agent: &Agent,
    lines: &[&'static LineRules],
    boots: &[AgentBoot],
    all: rules::LineSet,
    findings: &mut Vec<Finding>,
    f: &MakeFinding,
) -> HashMap<PathBuf, String> {
    let mut per_line = LineFindings::new(all);
    let mut lock_owner: HashMap<PathBuf, String> = HashMap::new();
    for (line, b) in lines.iter().zip(boots.iter()) {
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
                            Kind::EntryDuplicate,
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
    lock_owner
}

/// One session row per entry of `agent.sessions` that some line predicts,
/// with the `session-old-turn` finding of a turn that waited too long.
/// Line `boot`'s prediction for the agent's session `si`, and the file-era
/// fate behind it (`None`: the line has no row for it).
fn line_pred<'a>(boot: &'a AgentBoot<'_>, si: usize) -> Option<LinePred<'a>> {
    match boot {
        AgentBoot::File(fb) => fb.rows[si]
            .as_ref()
            .map(|r| (r.next_boot, &*r.reason, Some(r))),
        AgentBoot::FileStore { rows, .. } => rows[si].as_ref().map(|(n, why)| (*n, &**why, None)),
        AgentBoot::Sqlite(_) => None,
    }
}

fn session_rows(
    agent: &Agent,
    lines: &[&'static LineRules],
    boots: &[AgentBoot],
    line_locks: &[&Vec<LockInfo>],
    set: Settings,
    sessions_out: &mut Vec<SessionReport>,
    findings: &mut Vec<Finding>,
) {
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
    sessions_out.reserve(agent.sessions.len());
    for (si, s) in agent.sessions.iter().enumerate() {
        let preds: Vec<Pred> = lines
            .iter()
            .zip(boots)
            .filter_map(|(l, b)| line_pred(b, si).map(|(n, r, fate)| (*l, n, r, fate)))
            .collect();
        if preds.is_empty() {
            continue;
        }
        let (next_boot, reason, by_line) = merge_lines(
            lines,
            &preds
                .iter()
                .map(|&(l, n, r, _)| (l, n, r))
                .collect::<Vec<_>>(),
        );
        let (remedy, restart_artifacts) = remedy_of(s, &preds, lines.len(), &held);
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
}

/// What repair may do for a row, from its predictions on every line (a
/// file edit changes only the file-era lines' outcomes), and its restart
/// artifacts counted where they matter. `held`: locks a live process may
/// hold now.
fn remedy_of(
    s: &Session,
    preds: &[Pred],
    n_lines: usize,
    held: &HashSet<&Path>,
) -> (Remedy, usize) {
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
    for (l, n, r, fate) in preds {
        if *n != NextBoot::Stranded {
            continue;
        }
        match fate.and_then(|f| f.no_flag.clone()) {
            None => remedy.flag = true,
            Some(why) => {
                remedy.no_flag.get_or_insert_with(|| {
                    if n_lines > 1 {
                        format!("on the {} line: {why} ({r})", l.name)
                    } else {
                        why
                    }
                });
            }
        }
    }
    (remedy, restart_artifacts)
}

/// One lock row per lock of `agent`, from its fate on every file-era line.
fn lock_rows(
    agent: &Agent,
    line_locks: &[&Vec<LockInfo>],
    lock_owner: &HashMap<PathBuf, String>,
    locks_out: &mut Vec<LockReport>,
) {
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
}
/// The agent's own part of the report: where it keeps its sessions, by its
/// files (not a line's rule), its index and database; `migration_input` is
/// set by `Analysis::add`, which knows the line.
pub(super) fn agent_report(agent: &Agent, set: Settings) -> AgentReport {
    // Where the agent keeps its sessions, by its files (not a line's rule).
    let Agent { era: agent_era, .. } = agent;
    AgentReport {
        id: agent.id.clone(),
        sessions_dir: show(&agent.sessions_dir),
        era: agent_era.name(),
        store: StoreReport {
            path: show(&agent.store.path),
            state: agent.store.state.name(),
            error: match &agent.store.state {
                StoreState::Json5Only { error }
                | StoreState::Invalid { error }
                | StoreState::Unreadable { error } => Some(error.clone()),
                _ => None,
            },
            recovery: recovery(agent, set.now_ms),
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
        migration_input: false,
        unreadable_db_may_hold_sessions: false,
        stale_store_locks: agent
            .leftovers
            .iter()
            .filter(|l| l.kind == rules::FileKind::StoreLock)
            .filter(|l| rules::store_lock_stale(l.proc_state.as_ref(), l.created_ms, set.now_ms))
            .map(|l| l.path.clone())
            .collect(),
    }
}
