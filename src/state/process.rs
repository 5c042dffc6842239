//! Process facts, through one interface so tests can pin them.
//!
//! The real implementation reads a proc filesystem (`/proc`, or another root
//! given with `--proc-root`/`SESSFIX_PROC_ROOT`, which is how the integration
//! tests build fake process tables).

use crate::rules::ProcState;
use std::collections::HashMap;
use std::path::PathBuf;

pub trait Processes: Send + Sync {
    /// What is known about `pid` right now.
    fn state(&self, pid: u64) -> ProcState;
}

/// Reads `<root>/<pid>/{stat,status,cmdline}`.
pub struct ProcFs {
    root: PathBuf,
}

impl ProcFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ProcFs { root: root.into() }
    }
}

impl Processes for ProcFs {
    fn state(&self, pid: u64) -> ProcState {
        // kill(pid, 0) fails for pids the kernel cannot hold.
        if pid == 0 || pid > i32::MAX as u64 {
            return ProcState::Dead;
        }
        let dir = self.root.join(pid.to_string());
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            return ProcState::Dead;
        };
        // The state letter follows the command name's closing parenthesis.
        let after = stat.rfind(')').map(|i| &stat[i + 1..]).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let zombie_stat = fields.first() == Some(&"Z");
        let zombie_status = std::fs::read_to_string(dir.join("status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("State:").map(|r| r.trim().starts_with('Z')))
            })
            .unwrap_or(false);
        if zombie_stat || zombie_status {
            return ProcState::Zombie;
        }
        // Field 22 overall is index 19 after the command name.
        let starttime = fields.get(19).and_then(|s| s.parse::<u64>().ok());
        let argv = std::fs::read(dir.join("cmdline")).ok().map(|raw| {
            String::from_utf8_lossy(&raw)
                .split('\0')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect()
        });
        ProcState::Alive { starttime, argv }
    }
}

/// A fixed process table for unit tests.
#[derive(Default)]
pub struct FakeProcesses {
    pub table: HashMap<u64, ProcState>,
}

impl Processes for FakeProcesses {
    fn state(&self, pid: u64) -> ProcState {
        self.table.get(&pid).cloned().unwrap_or(ProcState::Dead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn own_process_is_alive_with_start_time_and_argv() {
        let p = ProcFs::new("/proc");
        match p.state(std::process::id() as u64) {
            ProcState::Alive { starttime, argv } => {
                assert!(starttime.is_some());
                assert!(!argv.unwrap().is_empty());
            }
            other => panic!("expected alive, got {other:?}"),
        }
    }

    #[test]
    fn reaped_child_is_dead_and_unreaped_child_is_a_zombie() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id() as u64;
        // Wait until it exits without reaping it.
        let p = ProcFs::new("/proc");
        let mut saw_zombie = false;
        for _ in 0..200 {
            if p.state(pid) == ProcState::Zombie {
                saw_zombie = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(saw_zombie, "an exited, unreaped child is a zombie");
        child.wait().unwrap();
        assert_eq!(p.state(pid), ProcState::Dead);
    }

    #[test]
    fn child_started_as_openclaw_shows_that_argv0() {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("sleep")
            .arg0("openclaw")
            .arg("30")
            .spawn()
            .unwrap();
        // Until the child has exec'd, /proc shows the parent's image.
        let mut st = ProcState::Dead;
        for _ in 0..200 {
            st = ProcFs::new("/proc").state(child.id() as u64);
            if matches!(&st, ProcState::Alive { argv: Some(a), .. } if a.first().map(String::as_str) == Some("openclaw"))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        match st {
            ProcState::Alive {
                argv: Some(argv), ..
            } => {
                assert_eq!(argv[0], "openclaw");
                assert!(crate::rules::is_openclaw_session_owner_argv(&argv));
            }
            other => panic!("expected alive, got {other:?}"),
        }
    }

    #[test]
    fn impossible_pids_are_dead() {
        let p = ProcFs::new("/proc");
        assert_eq!(p.state(0), ProcState::Dead);
        assert_eq!(p.state(1 << 40), ProcState::Dead);
    }

    #[test]
    fn fake_root_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let pd = dir.path().join("4242");
        std::fs::create_dir(&pd).unwrap();
        let fields: Vec<String> = (3..=52)
            .map(|i| if i == 22 { "777".into() } else { "0".into() })
            .collect();
        std::fs::write(
            pd.join("stat"),
            format!("4242 (my proc) S {}", fields[1..].join(" ")),
        )
        .unwrap();
        std::fs::write(pd.join("cmdline"), b"node\0/x/openclaw.mjs\0gateway\0").unwrap();
        let st = ProcFs::new(dir.path()).state(4242);
        assert_eq!(
            st,
            ProcState::Alive {
                starttime: Some(777),
                argv: Some(vec![
                    "node".into(),
                    "/x/openclaw.mjs".into(),
                    "gateway".into()
                ])
            }
        );
    }
}
