//! Process facts, through one interface so tests can pin them.
//!
//! Three answers: alive (with what can be read of it), dead (or a zombie),
//! and unknown. A fact that cannot be established is `ProcState::Unknown`,
//! never a guess: callers write nothing while a relevant one is unknown.
//!
//! Where the facts come from (`ProcFs::new` picks):
//!
//! | source | alive/dead | zombie | start time | command line |
//! |---|---|---|---|---|
//! | a proc filesystem (`<root>/self` exists: Linux `/proc`, a fake table in tests) | `<root>/<pid>/stat`; for the real `/proc` a missing pid is confirmed with `kill(pid, 0)` (hidepid) | `stat`/`status` state `Z` | field 22 of `stat` | `cmdline` |
//! | Linux without `/proc`, other Unix (`proc_unix`) | `kill(pid, 0)`: ESRCH dead, success or EPERM alive, else unknown | no | no | no |
//! | macOS (`proc_macos`) | `kill(pid, 0)` as above | `proc_pidinfo` `SZOMB` | not used: the gateway compares start times on Linux only | `sysctl(KERN_PROCARGS2)`, split as `ps -o command=` (own processes, or root) |
//! | Windows (`proc_windows`) | `OpenProcess` + `GetExitCodeProcess` (`STILL_ACTIVE`); access denied is alive | no such state | not used (Linux only in the gateway) | `NtQueryInformationProcess(ProcessCommandLineInformation)`, split as the gateway splits `Win32_Process.CommandLine` |
//!
//! Open files (`Processes::holders`: who has one of the state dir's SQLite
//! files open):
//!
//! | source | read by | unknown when |
//! |---|---|---|
//! | a proc filesystem | `<root>/<pid>/fd/*` links (`proc_fs::procfs_holders`) | a process's `fd` cannot be read and its `cmdline` names `openclaw` |
//! | macOS (`proc_macos::open_files`) | libproc: `PROC_PIDLISTFDS`, then `PROC_PIDFDVNODEPATHINFO` for each vnode (its path, or its device and inode) | a process's descriptors cannot be read (another user's, not root) and it may be OpenClaw's: its command line names `openclaw`, or, unreadable, its name is `node*`/`bun`/`openclaw*` and a uid of it is root's or an owner's of the files |
//! | Windows (`proc_windows`) | the Restart Manager, per file, checked by opening the file with no sharing | a file in use of which it names no process |
//! | other Unix without `/proc` | nothing | always |
//!
//! The gateway processes of the whole table (`Processes::gateways`, which
//! settles a lock dir that cannot be read: `discover::settle_blocked`) are
//! listed from a proc filesystem only (`cmdline`, the real uid of `status`),
//! and not when `/proc` is mounted with `hidepid`; elsewhere that is an `Err`.
//!
//! A pid of another pid namespace (a container's, seen from the host) cannot
//! be recognised from the pid alone: see `discover::gateway_lock` for the
//! singleton lock, and README "Containers".

use crate::rules::ProcState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use super::proc_fs::{hidden_by_mount, parse_procfs, tmp_dir_from_environ};
use super::proc_fs::{procfs_gateways, procfs_holders, procfs_tmp_dir, read_procfs};

pub trait Processes: Send + Sync {
    /// What is known about `pid` right now.
    fn state(&self, pid: u64) -> ProcState;

    /// The processes (other than this one) that have one of `held`'s files
    /// open, with that file's path; `Err` says why this cannot be
    /// established here. The SQLite era's third liveness check
    /// (`sqlite-era.md` §6.1 c): an OpenClaw process holding
    /// `openclaw-agent.sqlite`, `openclaw.sqlite` or their `-wal`.
    fn holders(&self, held: &Held) -> Result<Vec<(u64, PathBuf)>, String> {
        let _ = held;
        Err("the open files of other processes cannot be listed on this OS".into())
    }

    /// Every OpenClaw gateway process running now (other than this one):
    /// a live process whose command line is a gateway's
    /// (`rules::is_gateway_argv`, the gateway's own test of a lock owner).
    /// `Err` says why the whole table cannot be read here (no way to list
    /// processes, `/proc` mounted with `hidepid`, a command line that cannot
    /// be read): then a gateway cannot be ruled out.
    fn gateways(&self) -> Result<GatewayTable, String> {
        Err("the processes of this host cannot be listed on this OS".into())
    }

    /// Where gateway process `pid` keeps its singleton lock dirs, as a path
    /// sessfix can open: its own `os.tmpdir()` (POSIX: `TMPDIR`, `TMP`,
    /// `TEMP` of its environment, else `/tmp`), seen through its root
    /// (`<proc>/<pid>/root/<tmpdir>`, so a systemd `PrivateTmp=` mount
    /// namespace is seen as that process sees it). `Ok(None)`: there is no
    /// such place to look at here (the process is gone, or no proc
    /// filesystem). `Err`: the place that cannot be read (its `environ` or
    /// `root`: another user's process, without root) and why.
    fn tmp_dir_of(&self, pid: u64) -> Result<Option<PathBuf>, (PathBuf, String)> {
        let _ = pid;
        Ok(None)
    }

    /// The name of the host these processes run on (what Node's
    /// `os.hostname()` gives there); `None` when it cannot be read.
    fn hostname(&self) -> Option<String> {
        hostname()
    }
}

/// The files a holder is looked for by (`Processes::holders`), in the two
/// forms the OSes ask in: by a test of each open file's resolved path (a
/// proc filesystem's `fd` links, macOS vnode paths), or per file (Windows'
/// Restart Manager names the processes using a file it is given).
pub struct Held<'a> {
    /// Accepts an open file's resolved path.
    pub wanted: &'a dyn Fn(&Path) -> bool,
    /// The files themselves, as they exist now (each accepted by `wanted`).
    pub files: &'a [PathBuf],
    /// The owners (uids) of `files` (Unix): besides root, the only users
    /// whose processes can have them open for writing.
    pub owners: &'a [u32],
}

impl<'a> Held<'a> {
    /// Only a test of paths (no files listed, no owners): a proc
    /// filesystem needs nothing more.
    pub fn by_path(wanted: &'a dyn Fn(&Path) -> bool) -> Self {
        Held {
            wanted,
            files: &[],
            owners: &[],
        }
    }
}

/// The gateway processes found in a process table read in full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayTable {
    /// Each gateway's pid and real uid (`None` where the OS has no uids,
    /// it could not be read, or the process is of another user namespace,
    /// whose uids are not this one's).
    pub gateways: Vec<(u64, Option<u32>)>,
    /// The table is the host's: every pid namespace's processes are in it
    /// (Linux: sessfix runs in the initial pid namespace; a fake table is
    /// a whole host). A table of a container's own namespace is not: a
    /// gateway of another container sharing the state dir is not in it.
    pub host_wide: bool,
}

/// This host's name as Node's `os.hostname()` gives it (what a lease's
/// `owner.host` records); `None` when it cannot be read.
pub fn hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes a
        // NUL-terminated name into it (truncated names are cut at the length).
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).into_owned();
        (!name.is_empty()).then_some(name)
    }
    #[cfg(not(unix))]
    {
        std::env::var("COMPUTERNAME").ok().filter(|n| !n.is_empty())
    }
}

/// The host's process table: the proc filesystem at `root` when there is one
/// there, else the OS's own interface.
pub struct ProcFs {
    root: PathBuf,
    kind: Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    /// The proc filesystem of sessfix's own pid namespace (`self` is us).
    OwnProcFs,
    /// Another proc filesystem (a fake table, another namespace's): it is
    /// the whole table, so a pid missing from it is dead.
    OtherProcFs,
    /// No proc filesystem at `root`: the OS's interface answers.
    Native,
}

impl ProcFs {
    /// The process table at `root`, a proc filesystem; an empty `root`
    /// (Windows, where `--proc-root` has no default) or one without `self`
    /// is the OS's own interface.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        if root.as_os_str().is_empty() {
            return ProcFs {
                root,
                kind: Table::Native,
            };
        }
        let kind = match std::fs::symlink_metadata(root.join("self")) {
            Err(_) => Table::Native,
            Ok(_) => {
                let own = std::fs::read_link(root.join("self"))
                    .ok()
                    .is_some_and(|l| l == Path::new(&std::process::id().to_string()));
                if own {
                    Table::OwnProcFs
                } else {
                    Table::OtherProcFs
                }
            }
        };
        ProcFs { root, kind }
    }
}

impl Processes for ProcFs {
    fn state(&self, pid: u64) -> ProcState {
        // kill(pid, 0) fails for pids the kernel cannot hold.
        if pid == 0 || pid > i32::MAX as u64 {
            return ProcState::Dead;
        }
        match self.kind {
            Table::Native => native_state(pid),
            Table::OtherProcFs => read_procfs(&self.root, pid),
            Table::OwnProcFs => match read_procfs(&self.root, pid) {
                // hidepid hides other users' processes from /proc: ask kill.
                ProcState::Dead => native_state(pid),
                other => other,
            },
        }
    }

    /// `<root>/sys/kernel/hostname` of a proc filesystem (a fake table's
    /// host, or none), else the OS's.
    fn hostname(&self) -> Option<String> {
        let from_proc = std::fs::read_to_string(self.root.join("sys/kernel/hostname"))
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        match self.kind {
            Table::OtherProcFs => from_proc,
            _ => from_proc.or_else(hostname),
        }
    }

    fn gateways(&self) -> Result<GatewayTable, String> {
        match self.kind {
            Table::Native => Err(format!(
                "the processes of this host cannot be listed (no proc filesystem at {})",
                self.root.display()
            )),
            Table::OwnProcFs => {
                let mountinfo = std::fs::read_to_string(self.root.join("self/mountinfo"))
                    .map_err(|e| format!("{}: {e}", self.root.join("self/mountinfo").display()))?;
                if let Some(why) =
                    hidden_by_mount(&mountinfo, &self.root, &crate::fsx::os::own_groups())
                {
                    return Err(why);
                }
                // The initial pid namespace's inode (`PROC_PID_INIT_INO`).
                let host_wide = std::fs::read_link(self.root.join("self/ns/pid"))
                    .is_ok_and(|l| l == Path::new("pid:[4026531836]"));
                procfs_gateways(&self.root, true).map(|gateways| GatewayTable {
                    gateways,
                    host_wide,
                })
            }
            Table::OtherProcFs => procfs_gateways(&self.root, false).map(|gateways| GatewayTable {
                gateways,
                host_wide: true,
            }),
        }
    }

    fn tmp_dir_of(&self, pid: u64) -> Result<Option<PathBuf>, (PathBuf, String)> {
        if self.kind == Table::Native {
            return Ok(None);
        }
        procfs_tmp_dir(&self.root.join(pid.to_string()))
    }

    fn holders(&self, held: &Held) -> Result<Vec<(u64, PathBuf)>, String> {
        match self.kind {
            Table::Native => native_holders(held),
            Table::OwnProcFs => procfs_holders(&self.root, true, held.wanted),
            Table::OtherProcFs => procfs_holders(&self.root, false, held.wanted),
        }
    }
}

/// The OS's own answer, without a proc filesystem.
fn native_state(pid: u64) -> ProcState {
    #[cfg(target_os = "macos")]
    return super::proc_macos::state(pid);
    #[cfg(windows)]
    return super::proc_windows::state(pid);
    #[cfg(all(unix, not(target_os = "macos")))]
    return super::proc_unix::kill_state(pid);
    #[cfg(not(any(unix, windows)))]
    return ProcState::Unknown {
        why: format!("pid {pid}: sessfix has no process interface on this OS"),
    };
}

/// The OS's own open-file facts, without a proc filesystem.
fn native_holders(held: &Held) -> Result<Vec<(u64, PathBuf)>, String> {
    #[cfg(windows)]
    return super::proc_windows::holders(held.files);
    #[cfg(target_os = "macos")]
    return super::proc_macos::holders(held);
    #[cfg(not(any(windows, target_os = "macos")))]
    {
        let _ = held;
        Err(
            "the open files of other processes cannot be listed on this OS (no proc filesystem)"
                .into(),
        )
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

    fn holders(&self, _: &Held) -> Result<Vec<(u64, PathBuf)>, String> {
        Ok(Vec::new())
    }

    /// The table's alive processes with a gateway's command line, no uids
    /// (one whose command line is unreadable: `Err`); the table is the
    /// whole host.
    fn gateways(&self) -> Result<GatewayTable, String> {
        let mut gateways = Vec::new();
        for (pid, s) in &self.table {
            match s {
                ProcState::Alive { argv: Some(a), .. } if crate::rules::is_gateway_argv(a) => {
                    gateways.push((*pid, None))
                }
                ProcState::Alive { argv: None, .. } => {
                    return Err(format!("the command line of pid {pid} cannot be read"))
                }
                _ => {}
            }
        }
        gateways.sort();
        Ok(GatewayTable {
            gateways,
            host_wide: true,
        })
    }

    fn hostname(&self) -> Option<String> {
        None
    }
}

/// Unix only: these read /proc and spawn Unix commands.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;

    /// An empty root reads no proc filesystem (not `self/` of the current
    /// directory either): the OS answers (Windows' default).
    #[test]
    fn an_empty_root_is_the_os_interface() {
        let p = ProcFs::new("");
        assert_eq!(p.kind, Table::Native);
        assert!(matches!(
            p.state(u64::from(std::process::id())),
            ProcState::Alive { .. }
        ));
    }

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
        // The zombie's start time, to tell it from a process that another
        // test of this binary starts under the same pid once it is reaped.
        let started = |pid: u64| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let after = stat.rsplit_once(')')?.1.to_string();
            after.split_whitespace().nth(19)?.parse::<u64>().ok()
        };
        let zombie_started = started(pid).expect("a zombie keeps its stat");
        child.wait().unwrap();
        match p.state(pid) {
            ProcState::Dead => {}
            ProcState::Alive { starttime, .. } => assert_ne!(
                starttime,
                Some(zombie_started),
                "a reaped child is gone; only a new process can have its pid"
            ),
            other => panic!("expected dead, got {other:?}"),
        }
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
    fn a_process_holding_a_database_open_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("openclaw.sqlite");
        std::fs::write(&db, b"").unwrap();
        let real = db.canonicalize().unwrap();
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(std::fs::File::open(&db).unwrap())
            .spawn()
            .unwrap();
        let pid = child.id() as u64;
        let p = ProcFs::new("/proc");
        let want = |t: &Path| t == real;
        // The real table is shared with every other test of this binary: a
        // child that another test forks while our descriptor of `db` is open
        // holds a copy of it until its exec closes it. So this asserts only
        // what no other process can disturb: our child is among the holders,
        // and once it has gone, holders disappear without a new one coming.
        let sleep = || std::thread::sleep(std::time::Duration::from_millis(10));
        let mut found = Vec::new();
        for _ in 0..200 {
            found = p.holders(&Held::by_path(&want)).unwrap();
            if found.iter().any(|(h, _)| *h == pid) {
                break;
            }
            sleep();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(found.contains(&(pid, real.clone())), "{found:?}");
        assert!(found.iter().all(|(_, path)| *path == real), "{found:?}");
        let mut left = p.holders(&Held::by_path(&want)).unwrap();
        for _ in 0..200 {
            if left.is_empty() {
                break;
            }
            sleep();
            left = p.holders(&Held::by_path(&want)).unwrap();
        }
        assert!(left.is_empty(), "gone with the process: {left:?}");
    }

    #[test]
    fn without_a_proc_filesystem_open_files_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let e = ProcFs::new(dir.path().join("none")).holders(&Held::by_path(&|_| true));
        assert!(e.unwrap_err().contains("cannot be listed"));
        // A fake table whose process's fd cannot be read, running OpenClaw.
        let root = dir.path().join("proc");
        std::fs::create_dir_all(root.join("self")).unwrap();
        std::fs::create_dir_all(root.join("12")).unwrap();
        std::fs::write(root.join("12/cmdline"), b"node\0openclaw.mjs\0").unwrap();
        std::fs::write(root.join("12/fd"), b"not a dir").unwrap();
        let e = ProcFs::new(&root).holders(&Held::by_path(&|_| true));
        assert!(e.unwrap_err().contains("pid 12 runs OpenClaw"));
        std::fs::write(root.join("12/cmdline"), b"bash\0").unwrap();
        assert_eq!(
            ProcFs::new(&root).holders(&Held::by_path(&|_| true)),
            Ok(Vec::new())
        );
    }

    #[test]
    fn gateway_processes_are_listed_from_a_proc_table_with_their_uid() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("self")).unwrap();
        let put = |pid: u32, cmdline: &[u8], uid: Option<u32>| {
            let d = root.join(pid.to_string());
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("cmdline"), cmdline).unwrap();
            if let Some(u) = uid {
                std::fs::write(
                    d.join("status"),
                    format!("Name:\tnode\nUid:\t{u}\t{u}\t{u}\t{u}\n"),
                )
                .unwrap();
            }
        };
        put(
            10,
            b"node\0/usr/lib/node_modules/openclaw/openclaw.mjs\0gateway\0run\0",
            Some(1000),
        );
        put(11, b"openclaw\0gateway\0", None);
        put(12, b"tail\0-f\0/tmp/openclaw/openclaw.log\0", Some(0));
        put(13, b"", Some(0));
        let t = ProcFs::new(root).gateways().unwrap();
        assert_eq!(t.gateways, [(10, Some(1000)), (11, None)]);
        assert!(t.host_wide, "a fake table is a whole host");
        // A command line that cannot be read leaves the table incomplete.
        std::fs::remove_file(root.join("12/cmdline")).unwrap();
        std::fs::create_dir(root.join("12/cmdline")).unwrap();
        assert!(ProcFs::new(root).gateways().is_err());
        // Without a proc filesystem nothing can be listed.
        assert!(ProcFs::new(root.join("none")).gateways().is_err());
    }

    #[test]
    fn this_hosts_own_table_lists_a_gateway_shaped_child() {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("sleep")
            .arg0("openclaw")
            .args(["30", "gateway"])
            .spawn()
            .unwrap();
        let pid = child.id() as u64;
        let p = ProcFs::new("/proc");
        let mut seen = None;
        for _ in 0..200 {
            match p.gateways() {
                Ok(t) if t.gateways.iter().any(|(g, _)| *g == pid) => {
                    seen = Some(t);
                    break;
                }
                // hidepid on this machine: nothing to check here.
                Err(e) if e.contains("hidepid") => break,
                _ => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if let Some(t) = seen {
            let me = unsafe { libc::getuid() };
            assert!(t.gateways.contains(&(pid, Some(me))), "{t:?}");
        }
    }

    #[test]
    fn a_processes_tmp_dir_is_read_from_its_environ_through_its_root() {
        assert_eq!(tmp_dir_from_environ(b"HOME=/h\0PATH=/bin\0"), "/tmp");
        assert_eq!(tmp_dir_from_environ(b"TEMP=/t3/\0TMP=\0"), "/t3");
        assert_eq!(
            tmp_dir_from_environ(b"TEMP=/t3\0TMP=/t2\0TMPDIR=/run/gw/\0"),
            "/run/gw"
        );
        // A real child with another TMPDIR: seen through /proc/<pid>/root.
        let mut child = Command::new("sleep")
            .arg("30")
            .env("TMPDIR", "/var/tmp/gw-private/")
            .spawn()
            .unwrap();
        let p = ProcFs::new("/proc");
        let want = PathBuf::from(format!("/proc/{}/root/var/tmp/gw-private", child.id()));
        let mut seen = Ok(None);
        for _ in 0..200 {
            seen = p.tmp_dir_of(child.id() as u64);
            if seen.as_ref().is_ok_and(|s| s.as_ref() == Some(&want)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(seen, Ok(Some(want.clone())));
        // Gone; only a new process (another test's, reusing the pid) can
        // answer, and not with this child's temp dir.
        let after = p.tmp_dir_of(child.id() as u64);
        assert!(
            after.as_ref().is_ok_and(|d| d.as_ref() != Some(&want)),
            "gone: {after:?}"
        );
        // A fake table: a missing environ is a process that has gone; one
        // that cannot be read is named.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("self")).unwrap();
        std::fs::create_dir_all(dir.path().join("9/root")).unwrap();
        let fake = ProcFs::new(dir.path());
        assert_eq!(fake.tmp_dir_of(9), Ok(None));
        std::fs::create_dir(dir.path().join("9/environ")).unwrap();
        let err = fake.tmp_dir_of(9).unwrap_err();
        assert_eq!(err.0, dir.path().join("9/environ"));
        std::fs::remove_dir(dir.path().join("9/environ")).unwrap();
        std::fs::write(dir.path().join("9/environ"), b"TMPDIR=/gw\0").unwrap();
        assert_eq!(fake.tmp_dir_of(9), Ok(Some(dir.path().join("9/root/gw"))));
        // Without a proc filesystem there is no such place to look at.
        assert_eq!(ProcFs::new(dir.path().join("none")).tmp_dir_of(9), Ok(None));
    }

    #[test]
    fn a_gateway_of_another_user_namespace_has_no_uid() {
        // `sh -c` with a second command stays the shell: its argv is a
        // gateway's.
        let spawn = |userns: bool| {
            let mut c = Command::new(if userns { "unshare" } else { "sh" });
            if userns {
                c.args(["--user", "sh"]);
            }
            c.args(["-c", "sleep 30; :", "/x/openclaw.mjs", "gateway"])
                .spawn()
                .ok()
        };
        let p = ProcFs::new("/proc");
        for userns in [false, true] {
            let Some(mut child) = spawn(userns) else {
                eprintln!("skipped: unshare cannot run here");
                continue;
            };
            let pid = child.id() as u64;
            // unshare itself is gateway-shaped too until it has made the
            // namespace: wait for the answer wanted.
            let want = (!userns).then(|| unsafe { libc::getuid() });
            let mut seen = None;
            let mut hidden = false;
            for _ in 0..200 {
                match p.gateways() {
                    Ok(t) => {
                        seen = t.gateways.into_iter().find(|(g, _)| *g == pid);
                        if seen.is_some_and(|(_, u)| u == want) {
                            break;
                        }
                    }
                    Err(e) => hidden = e.contains("hidepid"),
                }
                if hidden || child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let exited = child.try_wait().unwrap().is_some();
            let _ = child.kill();
            child.wait().unwrap();
            if hidden || exited {
                eprintln!("skipped: hidepid, or unshare refused");
                continue;
            }
            assert_eq!(seen, Some((pid, want)), "userns: {userns}");
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
        // A proc filesystem has `self`; without it the root is not one.
        std::fs::create_dir(dir.path().join("self")).unwrap();
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
