//! Hermetic runs of the binary: cleared environment, fixed clock, a copy of a
//! fixture in a temp dir, its fake /proc, and a private TMPDIR and HOME
//! (`TMP`/`TEMP` and `USERPROFILE` too on Windows). Portable but for what is
//! Unix by nature: file modes, stopping and signalling a run, other uids,
//! ptys.
#![allow(dead_code)]

#[cfg(unix)] // pseudo-terminals are Unix-only
pub mod pty;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub const NOW: &str = "2026-11-24T03:00:00Z";
/// The release the fixtures model (the reported incident's); tests of other
/// releases override `SESSFIX_OPENCLAW_VERSION` or pass `--openclaw-version`.
pub const RELEASE: &str = "2026.5.12";
pub const FEISHU: &str = "agent:main:feishu:direct:ou_63c1e2a9d3f04b1c8e7a";

/// Every fixture state that repair and the JSON documents are checked on.
pub const ALL_FIXTURES: &[&str] = &[
    "dead-pid-lock",
    "non-openclaw-owner",
    "live-openclaw-lock-1min",
    "live-openclaw-lock-31min",
    "recycled-pid",
    "lock-without-pid",
    "lock-not-json",
    "graceful-restart",
    "aborted-no-lock",
    "aborted-assistant-tail",
    "no-session-file",
    "subagent-dead-lock",
    "json5-trailing-comma-dead-lock",
    "json5-trailing-comma-no-lock",
    "sigkill-in-flight",
    "drain-timeout-artifacts",
    "torn-last-line",
    "leftovers",
    "two-agents",
    "sqlite-era",
    "invalid-index",
    "bad-entries",
    "lock-is-directory",
    "example",
    "zero-index-complete-tmp",
    "drain-partial-output",
    "ghost-acp-running",
    "sqlite-upgrade-unmigrated",
    // (sqlite-between-running's gateway lock names the config of the run
    // that made it, and sqlite-dead-maintenance-lease has no agents/: both
    // are checked in tests/sqlite.rs.)
    "sqlite-tombstoned",
    "sqlite-invalid-row",
];

/// The copy and move commands a finding's fix gives, in this OS's shell
/// (src/text.rs, `Shell`): sh's on Unix, cmd.exe's on Windows.
pub const COPY_OVER: &str = if cfg!(windows) {
    "copy /y"
} else {
    "cp --preserve=mode,ownership"
};
pub const MOVE_ASIDE: &str = if cfg!(windows) { "(`move" } else { "mv -n" };

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// An empty fake process table: a proc filesystem has `self`, and sessfix
/// reads a root without it as "no proc filesystem here" (the OS answers).
pub fn fake_proc(root: &Path) {
    std::fs::create_dir_all(root.join("self")).unwrap();
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// A copy of `fixtures/<name>` in a fresh temp dir.
    pub fn fixture(name: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join(name), dir.path());
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        fake_proc(&dir.path().join("proc"));
        Env { dir }
    }

    /// An empty state dir (no agents yet) with its own /proc, TMPDIR and HOME.
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["state", "tmp", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        fake_proc(&dir.path().join("proc"));
        Env { dir }
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn sessions(&self, agent: &str) -> PathBuf {
        self.state().join("agents").join(agent).join("sessions")
    }

    pub fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.arg("--state-dir").arg(self.state());
        c
    }

    /// `cmd` with `args` at the clock `now` (`SESSFIX_NOW`), run to its end.
    pub fn run_at(&self, now: &str, args: &[&str]) -> std::process::Output {
        self.cmd()
            .env("SESSFIX_NOW", now)
            .args(args)
            .output()
            .unwrap()
    }

    /// Like `cmd`, without `--state-dir`.
    pub fn bare(&self) -> Command {
        Command::from_std(self.std_bare())
    }

    /// The hermetic command as a `std::process::Command`, for runs that are
    /// spawned, stopped and continued.
    pub fn std_bare(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("sessfix"));
        c.env_clear()
            .env("SESSFIX_NOW", NOW)
            .env("SESSFIX_OPENCLAW_VERSION", RELEASE)
            // no npm prefix of this machine is searched for an installed openclaw
            .env("SESSFIX_NPM_PREFIXES", "")
            .env("SESSFIX_PROC_ROOT", self.dir.path().join("proc"))
            .env("TMPDIR", self.dir.path().join("tmp"))
            .env("HOME", self.dir.path().join("home"));
        if cfg!(windows) {
            // Node's os.tmpdir() and os.homedir() there. No SystemRoot: the
            // machine's %SystemRoot%\Temp is not looked at for locks.
            let tmp = self.dir.path().join("tmp");
            c.env("TMP", &tmp)
                .env("TEMP", &tmp)
                .env("USERPROFILE", self.dir.path().join("home"));
        }
        c
    }

    /// Start `sessfix --state-dir <state> <args>` with `SESSFIX_STOP_AT=<point>`
    /// and return once it has stopped itself there.
    #[cfg(unix)] // a run stops itself with SIGSTOP
    pub fn spawn_stopped(&self, point: &str, args: &[&str]) -> std::process::Child {
        let mut c = self.std_bare();
        c.arg("--state-dir")
            .arg(self.state())
            .args(args)
            .env("SESSFIX_STOP_AT", point)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        wait_stopped(&mut child, point);
        child
    }

    /// `sessfix scan --json`, parsed, with its exit code.
    pub fn scan_json(&self) -> (serde_json::Value, i32) {
        let out = self.cmd().args(["scan", "--json"]).output().unwrap();
        let code = out.status.code().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "scan --json printed no JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (v, code)
    }

    /// Put a fake process into this env's /proc.
    pub fn process(&self, pid: u64, argv: &[&str], starttime: u64) {
        let d = self.dir.path().join("proc").join(pid.to_string());
        std::fs::create_dir_all(&d).unwrap();
        let mut fields = vec!["0".to_string(); 50];
        fields[0] = "S".into();
        fields[19] = starttime.to_string();
        std::fs::write(d.join("stat"), format!("{pid} (x) {}\n", fields.join(" "))).unwrap();
        let mut cmd = argv.join("\0");
        cmd.push('\0');
        std::fs::write(d.join("cmdline"), cmd).unwrap();
    }

    /// A gateway (`node .../openclaw.mjs gateway run`) in the fake /proc as
    /// `pid`, holding this state dir's singleton lock; returns the lock path.
    pub fn live_gateway(&self, pid: u64, starttime: u64) -> PathBuf {
        self.process(
            pid,
            &[
                "node",
                "/usr/lib/node_modules/openclaw/openclaw.mjs",
                "gateway",
                "run",
            ],
            starttime,
        );
        self.gateway_lock(pid, Some(starttime))
    }

    /// The exit code of `sessfix --state-dir <state> <args>`.
    pub fn code(&self, args: &[&str]) -> Option<i32> {
        self.cmd().args(args).output().unwrap().status.code()
    }

    /// A gateway singleton lock for this state dir, owned by `pid`.
    pub fn gateway_lock(&self, pid: u64, start_time: Option<u64>) -> PathBuf {
        use sha2::Digest;
        let config = self.state().join("openclaw.json");
        let hash = sha2::Sha256::digest(config.to_string_lossy().as_bytes());
        let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        // `resolveGatewayLockDir`: `openclaw-<uid>`, `openclaw` where the OS
        // has no uid (Windows).
        let name = if cfg!(windows) {
            "openclaw"
        } else {
            "openclaw-1000"
        };
        let dir = self.dir.path().join("tmp").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("gateway.{hex}.lock"));
        let mut payload = serde_json::json!({"pid": pid, "createdAt": "2026-11-24T02:00:00.000Z", "configPath": config});
        if let Some(s) = start_time {
            payload["startTime"] = s.into();
        }
        std::fs::write(&path, payload.to_string()).unwrap();
        path
    }
}

/// Copy a fixture tree. Modes are set here, not taken from the checkout (git
/// keeps no modes but the executable bit, and a clone's follow its umask):
/// dirs 0755, files 0644, and indexes and lock files 0600, as the gateway
/// creates them and `fixtures/generate.py` writes them (Unix: Windows has no
/// modes).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        let mode = if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            0o755
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
            let name = entry.file_name().to_string_lossy();
            if name == "sessions.json" || name.ends_with(".lock") {
                0o600
            } else {
                0o644
            }
        };
        set_mode(&dest, mode);
    }
}

/// `path` with links resolved, as sessfix names it in what it prints
/// (`fsx::canonicalize`, through `dunce`): on Windows without the `\\?\`
/// of a canonical drive path.
pub fn canonical(path: &Path) -> PathBuf {
    dunce::canonicalize(path).unwrap()
}

/// That `path` has the permission bits `mode` (Unix; Windows has no modes).
pub fn assert_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let got = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "mode of {}", path.display());
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// `chmod mode path` on Unix; nothing on Windows, which has no modes.
pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// The session object for `key` in a scan report.
/// That a run ended with exit `code`, its stderr shown when it did not.
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn session<'a>(report: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no session {key} in report"))
}

/// The findings of `report` with this code.
pub fn findings_with<'a>(report: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Every path under `root` with its mode (Windows: 0o444 read-only, else
/// 0o644) and bytes, for before/after comparisons.
pub fn tree_digest(root: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut v = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if cfg!(windows) && e.depth() == 1 && e.file_name() == ".sessfix.lock" {
            // The run lock's file on Windows, made by the first run and left
            // in place by design (src/fsx/os/windows.rs).
            continue;
        }
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        let bytes = if m.is_file() {
            std::fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        #[cfg(unix)]
        let mode = std::os::unix::fs::MetadataExt::mode(&m);
        #[cfg(not(unix))]
        let mode = if m.permissions().readonly() {
            0o444
        } else {
            0o644
        };
        v.push((e.path().display().to_string(), mode, bytes));
    }
    v
}

/// Wait until `child` is in the stopped state; panic if it exits first or
/// does not stop within 60 s.
#[cfg(unix)] // the stopped state of a process (SIGSTOP), read from /proc
pub fn wait_stopped(child: &mut std::process::Child, point: &str) {
    let stat = format!("/proc/{}/stat", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.stderr.take().map(|mut e| {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                s
            });
            panic!("sessfix exited ({status}) before reaching {point}: {out:?}");
        }
        let s = std::fs::read_to_string(&stat).unwrap_or_default();
        let state = s
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next());
        if state == Some("T") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sessfix did not stop at {point}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Send `sig` to `child`.
#[cfg(unix)] // signals
pub fn signal(child: &std::process::Child, sig: i32) {
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill({}, {sig}) failed", child.id());
}

/// Make `c` run as `uid` (gid the same, no supplementary groups): file
/// permissions then really stop its reads. Needs root, as CI runs: a test
/// that needs another user fails rather than pass without one.
#[cfg(unix)] // uids
pub fn run_as(c: &mut std::process::Command, uid: u32) {
    use std::os::unix::process::CommandExt;
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs sessfix as another user, which needs root: run it as root (CI does)"
    );
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(uid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
