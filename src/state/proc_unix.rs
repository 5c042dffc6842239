//! Liveness on any Unix, from `kill(pid, 0)` alone (what the gateway's
//! `isPidAlive` asks: 2026.5.12 `pid-alive-DHduzhBu.js`).

use crate::rules::ProcState;

/// What `kill(pid, 0)` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Success, or EPERM: the process exists (another user's).
    Exists,
    /// ESRCH.
    Gone,
    /// Any other error: nothing is established.
    Failed(i32),
}

/// The decision on an errno (`None`: `kill` succeeded). The gateway reads
/// EPERM as dead (`process.kill` throws), but it runs as the owner of its
/// locks; sessfix may not, and a process it may not signal still exists.
pub fn probe_from(errno: Option<i32>) -> Probe {
    match errno {
        None => Probe::Exists,
        Some(libc::EPERM) => Probe::Exists,
        Some(libc::ESRCH) => Probe::Gone,
        Some(e) => Probe::Failed(e),
    }
}

pub fn probe(pid: u64) -> Probe {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return Probe::Gone;
    };
    if p <= 0 {
        return Probe::Gone;
    }
    // SAFETY: signal 0 only checks that the pid exists and may be signalled.
    let rc = unsafe { libc::kill(p, 0) };
    probe_from((rc != 0).then(|| std::io::Error::last_os_error().raw_os_error().unwrap_or(0)))
}

/// The answer without a proc filesystem: alive with no facts readable, dead,
/// or unknown.
pub fn kill_state(pid: u64) -> ProcState {
    state_of(pid, probe(pid))
}

pub fn state_of(pid: u64, p: Probe) -> ProcState {
    match p {
        Probe::Exists => ProcState::Alive {
            starttime: None,
            argv: None,
        },
        Probe::Gone => ProcState::Dead,
        Probe::Failed(e) => ProcState::Unknown {
            why: format!(
                "kill({pid}, 0) failed: {}",
                std::io::Error::from_raw_os_error(e)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eperm_is_alive_esrch_dead_anything_else_unknown() {
        assert_eq!(probe_from(None), Probe::Exists);
        assert_eq!(probe_from(Some(libc::EPERM)), Probe::Exists);
        assert_eq!(probe_from(Some(libc::ESRCH)), Probe::Gone);
        assert_eq!(probe_from(Some(libc::EINVAL)), Probe::Failed(libc::EINVAL));
        assert!(state_of(7, Probe::Exists).is_alive());
        assert_eq!(state_of(7, Probe::Gone), ProcState::Dead);
        assert!(state_of(7, Probe::Failed(libc::EINVAL)).is_unknown());
    }

    #[test]
    fn own_process_exists_and_a_reaped_child_is_gone() {
        assert_eq!(probe(std::process::id() as u64), Probe::Exists);
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id() as u64;
        c.wait().unwrap();
        assert_eq!(probe(pid), Probe::Gone);
        assert_eq!(probe(0), Probe::Gone);
    }

    #[test]
    fn init_is_alive_even_when_it_may_not_be_signalled() {
        // pid 1 exists in every pid namespace; as non-root kill gives EPERM.
        assert!(kill_state(1).is_alive());
    }
}
