//! Liveness is known or refused, never guessed: a host without /proc (what
//! macOS gives), unreadable process facts, a container's lock seen from the
//! host. The case `no-proc-live-gateway` (tests/cases/) is run as written.
#![cfg(unix)] // real processes stand in for gateways (kill(2)), and lock dirs are named by the effective uid
mod common;

use common::Env;
use std::path::{Path, PathBuf};

const CASE_NOW: &str = "2026-05-25T14:45:00Z";

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/no-proc-live-gateway")
}

/// The stand-in gateway `setup.sh` starts, killed when dropped.
struct StandIn(i32);

impl Drop for StandIn {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}

/// The case's state in a fresh env, `setup.sh` run on it: a live stand-in
/// gateway holding the singleton lock (under the env's TMPDIR) and a
/// transcript lock. Returns the env, the stand-in, and the two lock paths.
fn case() -> (Env, StandIn, PathBuf, PathBuf) {
    let env = Env::empty();
    common::copy_dir(&case_dir().join("state"), &env.state());
    let out = std::process::Command::new("bash")
        .arg(case_dir().join("setup.sh"))
        .arg(env.state())
        .arg(env.dir.path().join("tmp"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let standin = StandIn(pid);
    let uid = unsafe { libc::geteuid() };
    let gw_dir = env.dir.path().join("tmp").join(format!("openclaw-{uid}"));
    let gw_lock = std::fs::read_dir(&gw_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".lock"))
        .unwrap();
    let t_lock = std::fs::read_dir(env.sessions("xiaocai"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".jsonl.lock"))
        .unwrap();
    (env, standin, gw_lock, t_lock)
}

fn run(env: &Env, proc_root: &Path, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("SESSFIX_NOW", CASE_NOW)
        .env("SESSFIX_PROC_ROOT", proc_root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn no_proc_live_gateway_is_refused_and_the_locks_stay() {
    let (env, _standin, gw_lock, t_lock) = case();
    // The case's `noproc`: an empty dir standing in for a host without /proc;
    // and a proc root that does not exist at all.
    let noproc = env.dir.path().join("noproc");
    std::fs::create_dir(&noproc).unwrap();
    std::fs::write(noproc.join(".keep"), "").unwrap();
    for root in [noproc.clone(), env.dir.path().join("absent")] {
        let out = run(&env, &root, &["repair", "--yes"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(err.contains("refusing"), "{err}");
        assert!(gw_lock.exists() && t_lock.exists());
        // scan names the gateway live (alive, facts unreadable), never "not running".
        let out = run(&env, &root, &["scan", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["gateway"]["live"], true, "{v:#}");
        let codes = common::codes(&v);
        assert!(codes.contains(&"gateway-live".to_string()), "{codes:?}");
        let lock = &v["locks"][0];
        assert_eq!(lock["liveOwner"], true, "{lock:#}");
        assert!(
            lock["staleReasons"].as_array().unwrap().is_empty(),
            "{lock:#}"
        );
    }
}

#[test]
fn no_proc_dead_gateway_is_repaired() {
    // The same state once the stand-in is gone: kill(pid, 0) says ESRCH,
    // so the pid is dead and repair writes (this test fails if liveness were
    // simply "unknown whenever there is no /proc").
    let (env, standin, gw_lock, t_lock) = case();
    let pid = standin.0;
    drop(standin);
    // Reaped by init once killed: wait until the pid is gone.
    for _ in 0..500 {
        if unsafe { libc::kill(pid, 0) } != 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let noproc = env.dir.path().join("noproc");
    std::fs::create_dir(&noproc).unwrap();
    let out = run(&env, &noproc, &["repair", "--yes"]);
    assert_ne!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !t_lock.exists(),
        "the dead pid's transcript lock is removed"
    );
    assert!(gw_lock.exists(), "sessfix never touches the singleton lock");
}

#[test]
fn unreadable_process_facts_are_unknown_and_refused_unless_forced() {
    // A fake proc filesystem where the lock's pid cannot be read (its stat is
    // a directory: EISDIR, as an unreadable entry would be): unknown.
    let (env, _standin, _gw, t_lock) = case();
    let procfs = env.dir.path().join("proc");
    std::fs::create_dir_all(procfs.join("self")).unwrap();
    // The singleton lock names the stand-in's pid, which this table lacks:
    // dead for this table. The transcript lock names pid 4343: unknown.
    std::fs::write(
        &t_lock,
        r#"{"pid": 4343, "createdAt": "2026-05-25T14:43:12.000Z", "maxHoldMs": 720000}"#,
    )
    .unwrap();
    std::fs::create_dir_all(procfs.join("4343").join("stat")).unwrap();
    let (v, _) = {
        let out = run(&env, &procfs, &["scan", "--json"]);
        (
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
            out.status.code(),
        )
    };
    assert_eq!(v["gateway"]["live"], false);
    let codes = common::codes(&v);
    assert!(
        codes.contains(&"lock-owner-unknown".to_string()),
        "{codes:?}"
    );
    assert_eq!(v["locks"][0]["ownerLivenessUnknown"], true);
    let out = run(&env, &procfs, &["repair", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t_lock.exists());
    // Forced: it writes what it would, and still keeps the unknown owner's lock.
    let out = run(&env, &procfs, &["repair", "--yes", "--force"]);
    assert_ne!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t_lock.exists());
}

/// A gateway in a container over a bind mount: its (SQLite-era) lock is under
/// `<stateDir>/tmp/openclaw-<uid>/`, hashed from the path it sees, naming a
/// pid of its own pid namespace.
#[test]
fn a_containers_lock_seen_from_the_host_is_unknown() {
    let env = Env::fixture("dead-pid-lock");
    let dir = env.state().join("tmp").join("openclaw-1000");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("gateway.0a1b2c3d.lock");
    std::fs::write(
        &lock,
        r#"{"pid":7,"createdAt":"2026-11-24T02:00:00.000Z","configPath":"/home/node/.openclaw/openclaw.json","stateDir":"/home/node/.openclaw","startTime":123}
 4f1c0a"#,
    )
    .unwrap();
    let (v, code) = env.scan_json();
    assert_eq!(v["gateway"]["livenessUnknown"], true, "{v:#}");
    assert!(common::codes(&v).contains(&"gateway-liveness-unknown".to_string()));
    assert_eq!(code, 1);
    assert_eq!(env.code(&["repair", "--yes"]), Some(4));
    // Forced, repair writes (a backup); undo refuses in turn unless forced.
    // 1: the unknown liveness remains a finding.
    assert_eq!(
        env.code(&["repair", "--yes", "--force", "--quiet"]),
        Some(1)
    );
    assert_eq!(env.code(&["undo", "--yes"]), Some(4));
    assert_eq!(env.code(&["undo", "--yes", "--force"]), Some(0));
    assert!(lock.exists());
    // The same lock written by a gateway that sees this path is judged by its pid.
    let config = env.state().join("openclaw.json");
    std::fs::write(
        &lock,
        format!(r#"{{"pid":7,"createdAt":"2026-11-24T02:00:00.000Z","configPath":{config:?}}}"#),
    )
    .unwrap();
    let (v, _) = env.scan_json();
    assert!(v["gateway"].get("livenessUnknown").is_none(), "{v:#}");
}

#[test]
fn an_unreadable_lock_dir_makes_gateway_liveness_unknown_while_a_gateway_runs() {
    // Root reads any mode: make the place a non-directory instead.
    let env = Env::fixture("dead-pid-lock");
    std::fs::write(env.state().join("tmp"), "not a dir").unwrap();
    // Some gateway runs on this host: its lock may be the one not read.
    env.process(
        9090,
        &["node", "/opt/openclaw/openclaw.mjs", "gateway", "run"],
        1,
    );
    let (v, _) = env.scan_json();
    assert_eq!(v["gateway"]["livenessUnknown"], true, "{v:#}");
    let evidence = v["gateway"]["evidence"].as_str().unwrap();
    assert!(evidence.contains("pid 9090"), "{evidence}");
    assert_eq!(env.code(&["repair", "--yes"]), Some(4));
    // None runs (the fake table is the whole host): no live lock can be there.
    std::fs::remove_dir_all(env.dir.path().join("proc/9090")).unwrap();
    let (v, _) = env.scan_json();
    assert!(v["gateway"].get("livenessUnknown").is_none(), "{v:#}");
    let evidence = v["gateway"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("no OpenClaw gateway process of any user is running"),
        "{evidence}"
    );
    assert_ne!(env.code(&["repair", "--yes"]), Some(4));
}
