//! The file era's next boot of one agent (OpenClaw before 2026.8.1): the
//! startup lock sweep (`cleanStaleLockFiles`, `session-write-lock`) and
//! main-session restart recovery (`main-session-restart-recovery`), one
//! release line at a time. What each row and lock becomes, and why, in
//! words the report quotes; not the findings about them (`analyze`), nor
//! the lock rule atoms (`rules::inspect_lock`, `rules::boot_removes_lock`).

use super::{ago, show, Clock, NextBoot};
use crate::rules::{self, lines, LineRules, LockVerdict, StaleReason};
use crate::state::{Agent, Session, StoreOrigin};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The stale threshold (ms) `line`'s startup sweep judges locks by: the
/// configured one from 2026.5.22 (`resolveSessionWriteLockStaleMs`), before
/// that always `rules::DEFAULT_STALE_MS` (`SESSION_LOCK_STALE_MS = 1800 * 1e3`
/// in 2026.5.12's `server-startup-post-attach`), whatever
/// `OPENCLAW_SESSION_WRITE_LOCK_STALE_MS` or `session.writeLock.staleMs` say.
pub fn sweep_stale_ms(line: &LineRules, clock: Clock) -> u64 {
    if line.stale_ms_configurable {
        clock.stale_ms
    } else {
        rules::DEFAULT_STALE_MS
    }
}

/// What the user of a row receives from `line`'s next boot, beside the
/// row's fate: the "please send that last request again" notice recovery
/// sends before it fails a row (2026.5.28), and the resumed run's reply,
/// delivered to the row's channel (2026.6.1; before, the run resumes but
/// its reply stays in the transcript).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    /// The channel gets the "send that again" notice (the row fails).
    pub resend_notice: bool,
    /// The resumed run's reply reaches the channel (the row resumes).
    pub resumed_reply: bool,
}

/// What reaches the chat when `line`'s boot gives a row `next_boot`.
pub fn delivery(line: &LineRules, next_boot: NextBoot) -> Delivery {
    Delivery {
        resend_notice: next_boot == NextBoot::Fail && line.resend_notice,
        resumed_reply: next_boot == NextBoot::Resume && line.delivers_resumed_reply,
    }
}

/// What one line's next boot does with one row of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFate {
    pub next_boot: NextBoot,
    /// Why, in words the report shows.
    pub reason: Cow<'static, str>,
    /// The row's lock, as an index into `FileBoot::locks`.
    pub own_lock: Option<usize>,
    /// Why `abortedLastRun: true` would not make this boot resume the row
    /// (`flag_blocker`); `None` when a flag would.
    pub no_flag: Option<String>,
    /// What the row's channel receives.
    pub delivery: Delivery,
}

/// One file-era line's next boot of one agent.
#[derive(Debug)]
pub struct FileBoot<'a> {
    pub line: &'static LineRules,
    /// The boot visits this agent's store (`store_visited`).
    pub visited: bool,
    /// The lock stale threshold (ms) of this line's sweep (`sweep_stale_ms`).
    pub stale_ms: u64,
    /// The sweep's fate of each of `agent.locks`, aligned with it.
    pub locks: Vec<LockInfo<'a>>,
    /// Each of `agent.sessions`' fate, aligned with it; `None` for an entry
    /// a later one with the same key shadows (the gateway keeps the last).
    pub rows: Vec<Option<RowFate>>,
}

/// What `line`'s next boot does with a file-era `agent`: the lock sweep in
/// name order (stopping where a lock cannot be removed; `halted` carries it
/// across agents), then recovery of every row.
pub fn agent<'a>(
    line: &'static LineRules,
    agent: &'a Agent,
    clock: Clock,
    configured_agents: Option<&[String]>,
    halted: &mut Option<PathBuf>,
) -> FileBoot<'a> {
    let visited = store_visited(&agent.origin, line);
    let stale_ms = sweep_stale_ms(line, clock);
    let clock = Clock { stale_ms, ..clock };
    let locks = lock_pass(agent, clock, line, visited, halted);
    let removed: HashSet<&Path> = locks
        .iter()
        .filter(|i| i.removed)
        .map(|i| i.canonical.as_path())
        .collect();
    let by_path: HashMap<&Path, usize> = locks
        .iter()
        .enumerate()
        .map(|(k, i)| (i.canonical.as_path(), k))
        .collect();
    let wiped =
        agent.store.state.will_be_wiped() && !(line.startup_salvages_json5 && agent.json5_salvage);
    let rows = agent
        .sessions
        .iter()
        .map(|s| {
            if s.shadowed {
                return None;
            }
            let own_lock = s
                .lock_paths
                .iter()
                .find_map(|p| by_path.get(p.as_path()).copied());
            let configured = agent_configured(
                s.agent_id.as_deref().unwrap_or(&agent.id),
                configured_agents,
            );
            let boot = Boot {
                line,
                visited,
                configured,
                wiped,
                halted: halted.as_deref(),
            };
            let (next_boot, reason) =
                predict(s, &boot, own_lock.map(|k| &locks[k]), &removed, clock);
            Some(RowFate {
                next_boot,
                reason,
                own_lock,
                no_flag: flag_blocker(&s.key, line, visited, configured),
                delivery: delivery(line, next_boot),
            })
        })
        .collect();
    FileBoot {
        line,
        visited,
        stale_ms,
        locks,
        rows,
    }
}

/// One lock as one line's boot cleanup finds it.
#[derive(Debug)]
pub struct LockInfo<'a> {
    /// The lock file as read.
    pub lock: &'a crate::state::LockFile,
    /// The line's verdict on it at boot (`rules::inspect_lock`).
    pub verdict: LockVerdict,
    /// Its path under the real sessions dir, as entries name their locks.
    pub canonical: PathBuf,
    /// The boot's cleanup removes it (it is removable and the cleanup has
    /// not stopped at an earlier lock it cannot remove).
    pub removed: bool,
    /// The line's boot cleanup deletes it when it reaches it.
    pub removable: bool,
    /// For a lock naming the next gateway's pid (`--gateway-pid`): the
    /// verdict on it now, by the present process table (`inspect_lock_now`).
    pub now: Option<LockVerdict>,
    /// Repair may remove it: the boot's cleanup does (`removable`), or, for a
    /// lock naming the next gateway's pid, nothing holds it now
    /// (`own_pid_lock_removable_now`; then only that).
    pub repair_removes: bool,
}

impl LockInfo<'_> {
    /// Repair removes a lock naming the next gateway's pid that the next
    /// boot would keep as its own.
    pub fn removed_now_only(&self) -> bool {
        self.repair_removes && !self.removable
    }
}

/// Boot cleanup on one agent's locks under one line's rules, in name order.
pub fn lock_pass<'a>(
    agent: &'a Agent,
    clock: Clock,
    line: &LineRules,
    visited: bool,
    halted: &mut Option<PathBuf>,
) -> Vec<LockInfo<'a>> {
    let mut infos = Vec::new();
    for lock in &agent.locks {
        let verdict = rules::inspect_lock(
            &lock.payload,
            &lock.proc_state,
            clock.next_gateway,
            clock.now_ms,
            clock.stale_ms,
            line,
        );
        let mtime_age = lock.identity.map(|i| {
            let mtime_ms = (i.mtime_ns / 1_000_000) as i64;
            (clock.now_ms - mtime_ms).max(0) as u64
        });
        let removable =
            visited && rules::boot_removes_lock(line, &verdict, mtime_age, clock.stale_ms);
        let now = verdict.self_owned.then(|| {
            rules::inspect_lock_now(
                &lock.payload,
                &lock.proc_state,
                clock.now_ms,
                clock.stale_ms,
            )
        });
        let repair_removes = match &now {
            Some(n) => {
                visited && rules::own_pid_lock_removable_now(line, n, mtime_age, clock.stale_ms)
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

/// The boot a prediction is for: one line's rules on one agent.
pub struct Boot<'a> {
    pub line: &'a LineRules,
    /// The boot visits this agent's store (`store_visited`).
    pub visited: bool,
    /// The agent is in the config (`agent_configured`).
    pub configured: bool,
    /// The index will be loaded as `{}`.
    pub wiped: bool,
    /// Where boot cleanup stopped, if it did.
    pub halted: Option<&'a Path>,
}

/// `status <st>: not running`, borrowed for the statuses the gateway writes
/// (a state of 100,000 idle rows predicted on eight lines made 800,000
/// copies of it).
fn not_running(status: &str) -> Cow<'static, str> {
    match status {
        "done" => "status done: not running".into(),
        "failed" => "status failed: not running".into(),
        "killed" => "status killed: not running".into(),
        "timeout" => "status timeout: not running".into(),
        st => format!("status {st}: not running").into(),
    }
}

/// What `boot` does with the row `s`: its fate and why. `own_lock`: the
/// row's lock; `removed`: the locks boot cleanup removes (canonical paths).
/// `clock.stale_ms`: the line's sweep threshold.
pub fn predict(
    s: &Session,
    boot: &Boot,
    own_lock: Option<&LockInfo>,
    removed: &HashSet<&Path>,
    clock: Clock,
) -> (NextBoot, Cow<'static, str>) {
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
    if !rules::recovery_looks_at(s.status.as_deref()) {
        return (
            NextBoot::Idle,
            match &s.status {
                Some(st) => not_running(st),
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
            format!("{renamed}{why}: boot recovery skips it by design").into(),
        );
    }
    if !line.boot_recovery {
        return (
            NextBoot::Stranded,
            format!(
                "OpenClaw before {} has no boot recovery: nothing resumes or fails a running row",
                lines::L2026_4_25.first
            )
            .into(),
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
                    Some(a) => format!(" (stale in {})", ago(clock.stale_ms as i64, a as i64)),
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
        return (NextBoot::Stranded, reason.into());
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
                format!("{how}, but the resumed run cannot take the lock held by live OpenClaw pid {pid}: it fails and the row is marked failed").into(),
            )
        } else {
            (
                NextBoot::Stranded,
                format!("{how}, but the resumed run cannot take the lock held by live OpenClaw pid {pid}; it stays running").into(),
            )
        };
    }
    let Some(t) = &s.transcript else {
        return (
            NextBoot::Fail,
            format!("{how}; no transcript file exists, so recovery marks it failed").into(),
        );
    };
    let tail = match &t.tail {
        Ok(tail) => tail,
        Err(e) => {
            return (
                NextBoot::Stranded,
                format!(
                    "{how}, but the transcript cannot be read ({e}); recovery retries and gives up"
                )
                .into(),
            )
        }
    };
    match rules::resume_block_reason(tail.decides_by()) {
        Some(block) => (
            NextBoot::Fail,
            format!("{how}; {block}: recovery marks it failed").into(),
        ),
        None if line.refuses_unconfigured_agent && !boot.configured => (
            NextBoot::Stranded,
            format!("{how}, but its agent is not in the config's agents.list: 2026.7.1+ refuses to resume it, so it stays running").into(),
        ),
        None => (
            NextBoot::Resume,
            format!("{how}; the transcript ends with a resumable message").into(),
        ),
    }
}

/// Whether a live OpenClaw process may hold a lock now, on some line (for
/// the next gateway's pid, by the present process table).
pub fn held_now<'a, 'b: 'a>(infos: impl IntoIterator<Item = &'a LockInfo<'b>>) -> bool {
    infos
        .into_iter()
        .any(|i| i.now.as_ref().unwrap_or(&i.verdict).live_openclaw_owner)
}

/// `dead-pid (its pid is not running), too-old (...)`.
pub fn explain_reasons(reasons: &[StaleReason]) -> String {
    reasons
        .iter()
        .map(|r| format!("{} ({})", r.as_str(), r.explain()))
        .collect::<Vec<_>>()
        .join(", ")
}

// ------------------------------------------------ rules that read the lines

/// Whether the config lists this agent: `agents.list[].id` (normalised), or,
/// with no list, the default agent `main` only (2026.7.1-2
/// `agent-D6kiZtPt.js`: `resolveAgentConfig` finds no other).
pub fn agent_configured(id: &str, list: Option<&[String]>) -> bool {
    match list {
        Some(ids) if !ids.is_empty() => ids.iter().any(|a| a == id),
        _ => id == "main",
    }
}

/// Whether this line's boot visits the agent's store at all: the default
/// `agents/<id>/sessions/sessions.json` always; a configured `session.store`
/// from 2026.5.22; any other index (`--store`) never.
pub fn store_visited(origin: &StoreOrigin, line: &LineRules) -> bool {
    match origin {
        StoreOrigin::Default => true,
        StoreOrigin::Configured { .. } => line.visits_configured_store,
        StoreOrigin::Explicit => false,
    }
}

/// Why `abortedLastRun: true` would not make this line's boot resume a
/// stranded row, if it would not.
pub fn flag_blocker(
    key: &str,
    line: &LineRules,
    visited: bool,
    configured: bool,
) -> Option<String> {
    if !line.boot_recovery {
        return Some(format!(
            "OpenClaw before {} has no boot recovery, so no flag is read",
            lines::L2026_4_25.first
        ));
    }
    if !visited {
        return Some(
            "the boot never visits this store (a configured session.store is visited from 2026.5.22; any other index never)".into(),
        );
    }
    if line.refuses_unconfigured_agent && !configured {
        return Some(format!(
            "the agent of {} is not in the config's agents.list, and 2026.7.1+ refuses to resume its sessions",
            key
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_rows_a_flag_helps_per_line() {
        let configured = StoreOrigin::Configured {
            setting: "~/s.json".into(),
        };
        assert!(store_visited(&StoreOrigin::Default, &lines::L2026_4_25));
        assert!(!store_visited(&configured, &lines::L2026_4_25));
        assert!(store_visited(&configured, &lines::L2026_5_22));
        assert!(!store_visited(&StoreOrigin::Explicit, &lines::L2026_7_1));
        assert!(agent_configured("main", None));
        assert!(!agent_configured("ops", None));
        assert!(agent_configured(
            "ops",
            Some(&["main".into(), "ops".into()])
        ));
        assert!(!agent_configured("main", Some(&["ops".into()])));
        assert!(flag_blocker("k", &lines::L2026_4_25, true, false).is_none());
        assert!(flag_blocker("k", &lines::L2026_7_1, true, false).is_some());
        assert!(flag_blocker("k", &lines::L2026_7_1, true, true).is_none());
        assert!(flag_blocker("k", &lines::L2026_5_28, false, true).is_some());
        assert!(flag_blocker("k", &lines::PRE_RECOVERY, true, true).is_some());
    }

    use crate::state::testing::{live_openclaw, STATE_DIR};
    use crate::state::{LockFile, StoreState};

    const NOW: i64 = 1_800_000_000_000;
    const MIN: i64 = 60_000;

    fn clock(stale_ms: u64) -> Clock {
        Clock {
            now_ms: NOW,
            stale_ms,
            next_gateway: None,
        }
    }

    /// `line` with one switch changed, for as long as the test runs.
    fn with(line: LineRules) -> &'static LineRules {
        Box::leak(Box::new(line))
    }

    /// The fate of the agent's first row on `line`.
    fn fate(
        line: &'static LineRules,
        agent: &Agent,
        c: Clock,
        configured: Option<&[String]>,
    ) -> RowFate {
        agent_boot(line, agent, c, configured).rows[0]
            .clone()
            .unwrap()
    }

    fn agent_boot<'a>(
        line: &'static LineRules,
        agent: &'a Agent,
        c: Clock,
        configured: Option<&[String]>,
    ) -> FileBoot<'a> {
        super::agent(line, agent, c, configured, &mut None)
    }

    fn next(line: &'static LineRules, agent: &Agent) -> NextBoot {
        fate(line, agent, clock(rules::DEFAULT_STALE_MS), None).next_boot
    }

    /// A running row flagged `abortedLastRun`, whose transcript ends with
    /// a message of `last`.
    fn flagged(last: &str) -> Agent {
        Agent::for_test("main").with_session(
            Session::for_test("a")
                .running(Some(true))
                .with_transcript(&["user", last]),
        )
    }

    /// A running row not flagged, whose lock live OpenClaw pid 9 took
    /// `age_min` minutes ago.
    fn locked(age_min: i64) -> Agent {
        Agent::for_test("main")
            .with_session(
                Session::for_test("a")
                    .running(Some(false))
                    .with_transcript(&["user"]),
            )
            .with_lock(LockFile::for_test(
                "a.jsonl.lock",
                9,
                NOW - age_min * MIN,
                live_openclaw(),
            ))
    }

    #[test]
    fn boot_recovery_resumes_a_flagged_row() {
        let a = flagged("user");
        assert_eq!(next(&lines::L2026_4_25, &a), NextBoot::Resume);
        let without = with(LineRules {
            boot_recovery: false,
            ..lines::L2026_4_25
        });
        assert_eq!(next(without, &a), NextBoot::Stranded);
        assert!(fate(without, &a, clock(rules::DEFAULT_STALE_MS), None)
            .no_flag
            .is_some());
    }

    #[test]
    fn the_sweep_s_stale_threshold_is_configurable_from_2026_5_22() {
        // A lock of a live OpenClaw process, 20 minutes old; staleMs 10 min.
        let a = locked(20);
        let c = clock(10 * MIN as u64);
        let on = fate(&lines::L2026_5_22, &a, c, None);
        assert_eq!(on.next_boot, NextBoot::Resume, "{}", on.reason);
        let without = with(LineRules {
            stale_ms_configurable: false,
            ..lines::L2026_5_22
        });
        let off = fate(without, &a, c, None);
        assert_eq!(off.next_boot, NextBoot::Stranded, "{}", off.reason);
        // 2026.4.25 hard-codes 30 min whatever staleMs says.
        assert_eq!(
            fate(&lines::L2026_4_25, &a, c, None).next_boot,
            NextBoot::Stranded
        );
        assert_eq!(
            sweep_stale_ms(&lines::L2026_4_25, c),
            rules::DEFAULT_STALE_MS
        );
        assert_eq!(sweep_stale_ms(&lines::L2026_5_22, c), 10 * MIN as u64);
    }

    #[test]
    fn a_too_old_lock_of_a_live_openclaw_process_is_kept_from_2026_5_28() {
        let a = locked(40);
        let kept = agent_boot(&lines::L2026_5_28, &a, clock(rules::DEFAULT_STALE_MS), None);
        assert!(!kept.locks[0].removed);
        assert_eq!(kept.rows[0].as_ref().unwrap().next_boot, NextBoot::Stranded);
        let without = with(LineRules {
            keeps_report_only_locks: false,
            ..lines::L2026_5_28
        });
        let removed = agent_boot(without, &a, clock(rules::DEFAULT_STALE_MS), None);
        assert!(removed.locks[0].removed);
        assert_eq!(
            removed.rows[0].as_ref().unwrap().next_boot,
            NextBoot::Resume
        );
    }

    #[test]
    fn a_configured_store_is_visited_from_2026_5_22() {
        let a = flagged("user").with_origin(StoreOrigin::Configured {
            setting: format!("{STATE_DIR}/s.json"),
        });
        assert_eq!(next(&lines::L2026_5_22, &a), NextBoot::Resume);
        let without = with(LineRules {
            visits_configured_store: false,
            ..lines::L2026_5_22
        });
        assert_eq!(next(without, &a), NextBoot::Stranded);
        assert!(!agent_boot(without, &a, clock(rules::DEFAULT_STALE_MS), None).visited);
    }

    #[test]
    fn orphaned_running_rows_are_marked_from_2026_6_9() {
        let a = Agent::for_test("main").with_session(
            Session::for_test("a")
                .running(Some(false))
                .with_transcript(&["user"]),
        );
        assert_eq!(next(&lines::L2026_6_9, &a), NextBoot::Resume);
        let without = with(LineRules {
            orphan_marking: false,
            ..lines::L2026_6_9
        });
        assert_eq!(next(without, &a), NextBoot::Stranded);
    }

    #[test]
    fn a_live_owner_s_lock_fails_the_resume_from_2026_6_9() {
        let a = Agent::for_test("main")
            .with_session(
                Session::for_test("a")
                    .running(Some(true))
                    .with_transcript(&["user"]),
            )
            .with_lock(LockFile::for_test(
                "a.jsonl.lock",
                9,
                NOW - MIN,
                live_openclaw(),
            ));
        assert_eq!(next(&lines::L2026_6_9, &a), NextBoot::Fail);
        let without = with(LineRules {
            live_lock_fails_resume: false,
            ..lines::L2026_6_9
        });
        assert_eq!(next(without, &a), NextBoot::Stranded);
    }

    #[test]
    fn an_agent_missing_from_agents_list_is_not_resumed_from_2026_7_1() {
        let a = Agent::for_test("ops").with_session(
            Session::for_test("a")
                .of_agent("ops")
                .running(Some(true))
                .with_transcript(&["user"]),
        );
        let list = ["main".to_string()];
        let c = clock(rules::DEFAULT_STALE_MS);
        let on = fate(&lines::L2026_7_1, &a, c, Some(&list));
        assert_eq!(on.next_boot, NextBoot::Stranded);
        assert!(on.no_flag.is_some());
        let without = with(LineRules {
            refuses_unconfigured_agent: false,
            ..lines::L2026_7_1
        });
        assert_eq!(
            fate(without, &a, c, Some(&list)).next_boot,
            NextBoot::Resume
        );
    }

    #[test]
    fn a_json5_index_is_salvaged_at_startup_from_2026_6_9() {
        let a = flagged("user")
            .with_store_state(StoreState::Json5Only { error: "x".into() })
            .with_json5_salvage();
        assert_eq!(next(&lines::L2026_6_9, &a), NextBoot::Resume);
        let without = with(LineRules {
            startup_salvages_json5: false,
            ..lines::L2026_6_9
        });
        assert_eq!(next(without, &a), NextBoot::Lost);
    }

    #[test]
    fn the_channel_is_told_to_send_again_before_a_fail_from_2026_5_28() {
        let a = flagged("assistant");
        let c = clock(rules::DEFAULT_STALE_MS);
        let on = fate(&lines::L2026_5_28, &a, c, None);
        assert_eq!(on.next_boot, NextBoot::Fail);
        assert!(on.delivery.resend_notice);
        let without = with(LineRules {
            resend_notice: false,
            ..lines::L2026_5_28
        });
        assert!(!fate(without, &a, c, None).delivery.resend_notice);
        assert!(!fate(&lines::L2026_5_22, &a, c, None).delivery.resend_notice);
    }

    #[test]
    fn a_resumed_run_s_reply_reaches_the_channel_from_2026_6_1() {
        let a = flagged("user");
        let c = clock(rules::DEFAULT_STALE_MS);
        let on = fate(&lines::L2026_6_1, &a, c, None);
        assert_eq!(on.next_boot, NextBoot::Resume);
        assert!(on.delivery.resumed_reply);
        let without = with(LineRules {
            delivers_resumed_reply: false,
            ..lines::L2026_6_1
        });
        assert!(!fate(without, &a, c, None).delivery.resumed_reply);
        assert!(!fate(&lines::L2026_5_28, &a, c, None).delivery.resumed_reply);
    }
}
