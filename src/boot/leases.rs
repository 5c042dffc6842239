//! What holds a SQLite-era gateway's start back beside its rows: leases in
//! the databases (whose owner is alive, dead or not known here), the
//! crash-loop breaker, and legacy imports stopped half-way. Read in the
//! installed `dist/` of 2026.9.6 (`sqlite-era.md` §3). The rows' verdicts
//! are `sqlite.rs`'s; the findings that word these are `analyze::state_db`'s.

use crate::state::sqlite_era::{Boot, Lease};

/// The crash-loop breaker's window and threshold (`gateway-boot-lifecycle-*.mjs`):
/// 3 boots in 5 minutes that never completed, or ended `startup_failed`,
/// suppress channel and account auto-start until the window drains.
pub const CRASH_LOOP_WINDOW_MS: i64 = 5 * 60 * 1000;
pub const CRASH_LOOP_BOOTS: usize = 3;

/// The lease scope a gateway killed during the first-boot legacy migration
/// leaves: while it has not expired the gateway and `openclaw doctor --fix`
/// both refuse ("Agent database maintenance deferred", §3.7). It carries no
/// payload: its owner is a UUID, not a pid.
pub const MAINTENANCE_LEASE_SCOPE: &str = "core:agent-database-maintenance";
/// The running gateway's own lease (2026.9.6 only), `payload_json.owner`
/// naming its pid and start time.
pub const GATEWAY_OWNER_LEASE_SCOPE: &str = "gateway-owner";

/// What is known about a lease's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOwner {
    Alive,
    Dead,
    Unknown(String),
}

/// A lease's owner: by its payload's pid (and start time, where the host
/// gives one), or, for a lease without a pid (the maintenance lease), by
/// whether any OpenClaw process holds the state (`state_owner`).
pub fn lease_owner(
    lease: &Lease,
    pid_state: Option<&crate::rules::ProcState>,
    state_owner: &LeaseOwner,
) -> LeaseOwner {
    match (lease.owner_pid, pid_state) {
        (Some(pid), Some(s)) => pid_owner(pid, s, lease.owner_started_at),
        _ => state_owner.clone(),
    }
}

/// The owner a lease row names by pid, with the start time it recorded
/// (field 22 of `/proc/<pid>/stat`): alive only with the same start time
/// where the host gives one; another start time is a recycled pid.
pub fn pid_owner(
    pid: u64,
    state: &crate::rules::ProcState,
    recorded_start: Option<f64>,
) -> LeaseOwner {
    match state {
        crate::rules::ProcState::Alive { starttime, .. } => match (starttime, recorded_start) {
            (Some(t), Some(want)) if (*t as f64) != want => LeaseOwner::Dead,
            _ => LeaseOwner::Alive,
        },
        crate::rules::ProcState::Dead | crate::rules::ProcState::Zombie => LeaseOwner::Dead,
        crate::rules::ProcState::Unknown { why } => {
            LeaseOwner::Unknown(format!("pid {pid}: {why}"))
        }
    }
}

/// Whether a lease still holds at `now_ms` (`expires_at` in the future; a
/// lease without an expiry holds until removed).
pub fn lease_holds(lease: &Lease, now_ms: i64) -> bool {
    lease.expires_at.is_none_or(|t| t > now_ms)
}

/// Whether a live-looking boot blocker: the maintenance lease refuses the
/// gateway's startup migrations and `openclaw doctor --fix` while it holds.
pub fn lease_blocks_boot(lease: &Lease) -> bool {
    lease.scope == MAINTENANCE_LEASE_SCOPE
}

/// The boots the crash-loop breaker counts at `now_ms`, and when the window
/// drains (the oldest counted boot leaves it), when it is tripped.
pub fn crash_loop(boots: &[Boot], now_ms: i64) -> Option<(usize, i64)> {
    let counted: Vec<&Boot> = boots
        .iter()
        .filter(|b| b.started_at_ms > now_ms - CRASH_LOOP_WINDOW_MS && b.started_at_ms <= now_ms)
        .filter(|b| b.completed_at_ms.is_none() || b.outcome.as_deref() == Some("startup_failed"))
        .collect();
    if counted.len() < CRASH_LOOP_BOOTS {
        return None;
    }
    // The window drains below the threshold when this many have left it.
    let leave = counted.len() + 1 - CRASH_LOOP_BOOTS;
    let mut starts: Vec<i64> = counted.iter().map(|b| b.started_at_ms).collect();
    starts.sort_unstable();
    Some((counted.len(), starts[leave - 1] + CRASH_LOOP_WINDOW_MS))
}

/// The targets of legacy-import runs that stopped half-way and that no later
/// run finished: the manifest has no `completedAt`, no later manifest has
/// one, and the target's legacy store is still there.
pub fn unfinished_imports(
    runs: &[crate::state::sqlite_era::MigrationRun],
) -> Vec<(
    &crate::state::sqlite_era::MigrationRun,
    &crate::state::sqlite_era::MigrationTarget,
)> {
    let mut out = Vec::new();
    for r in runs.iter().filter(|r| r.error.is_none() && !r.completed) {
        let finished_later = runs
            .iter()
            .any(|o| o.completed && o.started_at.is_some() && o.started_at >= r.started_at);
        if finished_later {
            continue;
        }
        for t in r.targets.iter().filter(|t| t.store_exists) {
            out.push((r, t));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_counts_unfinished_boots_in_five_minutes() {
        let b = |t: i64, done: bool| Boot {
            boot_id: t.to_string(),
            pid: Some(1),
            started_at_ms: t,
            completed_at_ms: done.then_some(t + 1),
            outcome: None,
        };
        let now = 1_000_000;
        assert_eq!(
            crash_loop(&[b(now - 10, false), b(now - 20, false)], now),
            None
        );
        let boots = [
            b(now - 100_000, false),
            b(now - 50_000, false),
            b(now - 10, false),
            b(now - 5, true),
        ];
        assert_eq!(
            crash_loop(&boots, now),
            Some((3, now - 100_000 + CRASH_LOOP_WINDOW_MS))
        );
        let old = [
            b(now - 400_000, false),
            b(now - 50_000, false),
            b(now - 10, false),
        ];
        assert_eq!(crash_loop(&old, now), None);
    }

    #[test]
    fn lease_owners_by_pid_and_start_time() {
        let lease = Lease {
            scope: GATEWAY_OWNER_LEASE_SCOPE.into(),
            lease_key: "global".into(),
            owner: "o".into(),
            expires_at: Some(10),
            heartbeat_at: None,
            owner_pid: Some(7),
            owner_started_at: Some(100.0),
            owner_host: None,
            owner_state: None,
            created_at: None,
            updated_at: None,
        };
        let alive = |t| crate::rules::ProcState::Alive {
            starttime: Some(t),
            argv: None,
        };
        let none = LeaseOwner::Dead;
        assert_eq!(
            lease_owner(&lease, Some(&alive(100)), &none),
            LeaseOwner::Alive
        );
        assert_eq!(
            lease_owner(&lease, Some(&alive(101)), &none),
            LeaseOwner::Dead,
            "a recycled pid"
        );
        assert_eq!(
            lease_owner(
                &lease,
                Some(&crate::rules::ProcState::Dead),
                &LeaseOwner::Alive
            ),
            LeaseOwner::Dead
        );
        let anon = Lease {
            owner_pid: None,
            ..lease.clone()
        };
        assert_eq!(
            lease_owner(&anon, None, &LeaseOwner::Alive),
            LeaseOwner::Alive
        );
        assert!(lease_holds(&lease, 9) && !lease_holds(&lease, 10));
    }

    #[test]
    fn an_import_stopped_half_way_is_unfinished_until_a_later_run_completes() {
        use crate::state::sqlite_era::{MigrationRun, MigrationTarget};
        let run = |at: &str, completed: bool, exists: bool| MigrationRun {
            path: format!("{at}.json").into(),
            started_at: Some(at.into()),
            completed,
            error: None,
            targets: vec![MigrationTarget {
                store_path: Some("/s/sessions.json".into()),
                store_exists: exists,
                planned_moves: 300,
                completed_moves: 0,
            }],
        };
        let killed = run("2026-11-30T14:43:30Z", false, true);
        assert_eq!(unfinished_imports(std::slice::from_ref(&killed)).len(), 1);
        let later = run("2026-11-30T14:45:00Z", true, true);
        assert!(unfinished_imports(&[killed.clone(), later]).is_empty());
        // The store is gone: archived since.
        assert!(unfinished_imports(&[run("2026-11-30T14:43:30Z", false, false)]).is_empty());
    }
}
