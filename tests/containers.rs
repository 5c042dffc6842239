//! A container's entrypoint runs `sessfix repair --gateway-pid $$` and then
//! execs the gateway, which so has the same pid at every start. These runs
//! read the real process table: the test's own process stands in for the
//! entrypoint shell (alive now with the next gateway's pid, not OpenClaw).
#![cfg(target_os = "linux")] // the real /proc: pids, start times, command lines

mod common;
use common::*;
use serde_json::Value;

const SID: &str = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50";

fn lock_path(env: &Env) -> std::path::PathBuf {
    env.sessions("main").join(format!("{SID}.jsonl.lock"))
}

/// The dead-pid-lock state with its lock rewritten to name `pid` (and
/// `starttime`, when given), one minute old.
fn state_with_lock(pid: u32, starttime: Option<u64>) -> Env {
    let env = Env::fixture("dead-pid-lock");
    let mut payload = serde_json::json!({"pid": pid, "createdAt": "2026-11-24T02:59:00.000Z"});
    if let Some(t) = starttime {
        payload["starttime"] = t.into();
    }
    std::fs::write(lock_path(&env), payload.to_string()).unwrap();
    env
}

fn starttime(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rsplit_once(')').unwrap().1;
    after.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// `sessfix <args> --gateway-pid <pid>` on the real /proc.
fn run(env: &Env, pid: u32, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("SESSFIX_PROC_ROOT", "/proc")
        .args(args)
        .args(["--gateway-pid", &pid.to_string()])
        .output()
        .unwrap()
}

/// `scan --json`, checked against `schema/scan.schema.json`.
fn scan(env: &Env, pid: u32) -> (Value, i32) {
    let out = run(env, pid, &["scan", "--json"]);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/scan.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema).unwrap()).unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema)
        .unwrap()
        .iter_errors(&v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    (v, out.status.code().unwrap())
}

fn the_lock(report: &Value) -> &Value {
    let locks = report["locks"].as_array().unwrap();
    assert_eq!(locks.len(), 1, "{locks:?}");
    &locks[0]
}

fn aborted_last_run(env: &Env) -> Value {
    let index = env.sessions("main").join("sessions.json");
    let v: Value = serde_json::from_slice(&std::fs::read(index).unwrap()).unwrap();
    v[FEISHU]["abortedLastRun"].clone()
}

/// A lock no process holds now, which the next gateway (same pid) would keep
/// as its own: scan says so, repair removes it and flags its row, and the
/// next boot resumes the row.
fn removed_now(env: &Env, pid: u32, reason: &str) {
    let (r, code) = scan(env, pid);
    let s = session(&r, FEISHU);
    assert_eq!(
        s["nextBoot"], "stranded",
        "without repair the next gateway keeps the lock: {s}"
    );
    assert!(
        s["reason"].as_str().unwrap().contains("--gateway-pid"),
        "{s}"
    );
    let l = the_lock(&r);
    assert_eq!(l["namesNextGatewayPid"], true, "{l}");
    assert_eq!(l["stale"], true, "{l}");
    assert_eq!(l["staleReasons"], serde_json::json!([reason]), "{l}");
    assert_eq!(l["liveOwner"], false, "{l}");
    assert_eq!(l["removedAtBoot"], false, "{l}");
    assert_eq!(l["removable"], true, "{l}");
    let stale = findings_with(&r, "lock-stale");
    assert_eq!(stale.len(), 1, "{:?}", codes(&r));
    let msg = stale[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(reason) && msg.contains("--gateway-pid"),
        "{msg}"
    );
    assert!(
        findings_with(&r, "lock-live-owner").is_empty(),
        "{:?}",
        codes(&r)
    );
    assert_eq!(code, 1);

    let out = run(env, pid, &["repair", "--yes", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let removal = &doc["plan"]["removals"][0];
    assert!(
        removal["reason"].as_str().unwrap().contains(reason),
        "{removal}"
    );
    assert!(!lock_path(env).exists(), "the lock is removed");
    assert_eq!(aborted_last_run(env), true, "its row is flagged");
    let (after, code) = scan(env, pid);
    assert_eq!(session(&after, FEISHU)["nextBoot"], "resume");
    assert_eq!(code, 0, "{:?}", codes(&after));
}

#[test]
fn an_earlier_gateways_lock_of_the_entrypoints_pid_is_removed_now() {
    // Written by an earlier gateway with this pid, no start time (as on
    // builds or OSes that write none): the next boot keeps it as its own.
    let me = std::process::id();
    let argv = std::fs::read(format!("/proc/{me}/cmdline")).unwrap();
    let argv: Vec<String> = argv
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert!(
        !sessfix::rules::is_openclaw_session_owner_argv(&argv),
        "the test process must not look like OpenClaw: {argv:?}"
    );
    removed_now(&state_with_lock(me, None), me, "non-openclaw-owner");
}

#[test]
fn a_lock_of_the_next_gateways_pid_when_no_process_has_it_is_removed_now() {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    removed_now(&state_with_lock(pid, None), pid, "dead-pid");
}

#[test]
fn locks_of_the_entrypoints_pid_with_a_start_time_go_at_boot() {
    let me = std::process::id();
    let mine = starttime(me);
    // By the process that holds the pid now (the gateway's table: an orphan
    // of its own), and by an earlier incarnation (another start time).
    for (stored, reason) in [(mine, "orphan-self-pid"), (mine - 1, "recycled-pid")] {
        let env = state_with_lock(me, Some(stored));
        let (r, _) = scan(&env, me);
        let l = the_lock(&r);
        assert_eq!(l["staleReasons"], serde_json::json!([reason]), "{l}");
        assert_eq!(l["removedAtBoot"], true, "{l}");
        assert_eq!(l["removable"], true, "{l}");
        assert_eq!(session(&r, FEISHU)["nextBoot"], "resume");
        let out = run(&env, me, &["repair", "--yes", "--quiet"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(!lock_path(&env).exists());
        assert_eq!(aborted_last_run(&env), true);
    }
}

#[test]
fn a_live_openclaw_process_with_the_next_gateways_pid_keeps_its_lock() {
    // A process named openclaw holds the pid now (a gateway that runs).
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("openclaw");
    std::fs::copy("/bin/sleep", &exe).unwrap();
    // Another test's fork may hold the copy open for writing until its
    // exec (ETXTBSY): try again.
    let mut child = (0..50)
        .find_map(
            |_| match std::process::Command::new(&exe).arg("30").spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                other => Some(other.unwrap()),
            },
        )
        .expect("the copied executable stays busy");
    let pid = child.id();
    let env = state_with_lock(pid, None);
    let (r, code) = scan(&env, pid);
    let l = the_lock(&r).clone();
    let before = std::fs::read(lock_path(&env)).unwrap();
    let out = run(&env, pid, &["repair", "--yes", "--quiet"]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(l["liveOwner"], true, "{l}");
    assert_eq!(l["stale"], false, "{l}");
    assert_eq!(l["removable"], false, "{l}");
    assert_eq!(findings_with(&r, "lock-live-owner").len(), 1);
    assert_eq!(session(&r, FEISHU)["nextBoot"], "stranded");
    assert_eq!(code, 1);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(lock_path(&env)).unwrap(), before, "kept");
    assert_eq!(aborted_last_run(&env), false, "left alone");
}
