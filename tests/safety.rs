//! Safety and exit semantics: what repair and undo refuse, what counts as an
//! operational error, what a run with nothing to do leaves behind, what a
//! quiet run still says, and how output ends when its reader goes away.

mod common;
use common::*;
#[cfg(unix)] // file modes
use std::os::unix::fs::PermissionsExt;
#[cfg(unix)] // the closed pipe
use std::process::Stdio;

const LOCK: &str = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_duration_without_a_unit_is_a_usage_error_that_suggests_days() {
    let env = Env::fixture("graceful-restart");
    let before = tree_digest(&env.state());
    let out = env
        .cmd()
        .args(["repair", "--yes", "--max-age", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("2d"), "{}", stderr(&out));
    assert_eq!(before, tree_digest(&env.state()));
    env.cmd()
        .args(["repair", "--dry-run", "--max-age", "2d"])
        .assert()
        .code(1);
}

#[test]
fn a_store_that_does_not_exist_is_an_operational_error() {
    let env = Env::fixture("graceful-restart");
    let missing = env.dir.path().join("nope/sessions.json");
    for cmd in ["scan", "repair"] {
        let out = env
            .cmd()
            .arg("--store")
            .arg(&missing)
            .args(
                [cmd, "--dry-run"]
                    .iter()
                    .take(if cmd == "scan" { 1 } else { 2 }),
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{cmd}: {}", stderr(&out));
        assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "{cmd}: no clean result printed");
    }
}

#[test]
fn undo_refuses_while_a_gateway_is_live() {
    let env = Env::fixture("graceful-restart");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    env.live_gateway(5150, 777);
    let before = tree_digest(&env.state());
    let out = env.cmd().args(["undo", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("gateway is live"), "{}", stderr(&out));
    assert_eq!(before, tree_digest(&env.state()), "undo changed something");
}

#[test]
fn undo_without_a_terminal_asks_for_yes_and_changes_nothing() {
    let env = Env::fixture("graceful-restart");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let before = tree_digest(&env.state());
    let out = env.cmd().arg("undo").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(before, tree_digest(&env.state()));
}

#[test]
fn an_undo_refusal_says_how_to_restore_by_hand() {
    let env = Env::fixture("graceful-restart");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    std::fs::write(env.sessions("main").join("sessions.json"), "{}").unwrap();
    let out = env.cmd().args(["undo", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let backups = env.state().join("sessfix-backups");
    assert!(err.contains("by hand"), "{err}");
    assert!(err.contains("manifest.json"), "{err}");
    assert!(err.contains(&backups.display().to_string()), "{err}");
    // The copy command of the OS's shell (cmd.exe's on Windows).
    let copy = if cfg!(windows) { "copy /y " } else { "cp " };
    assert!(err.contains(copy), "{err}");
}

/// The agent dir of `dead-pid-lock` with its index made unreadable in a way
/// that holds for root too: the index is a directory.
fn index_is_a_directory(env: &Env) {
    let index = env.sessions("main").join("sessions.json");
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir(&index).unwrap();
}

#[test]
fn an_index_that_cannot_be_read_is_exit_3_and_nothing_in_its_agent_is_removed() {
    let env = Env::fixture("dead-pid-lock");
    index_is_a_directory(&env);
    let before = tree_digest(&env.state());
    let (_, code) = env.scan_json();
    assert_eq!(code, 3, "scan");
    for args in [&["repair", "--dry-run"][..], &["repair", "--yes"]] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("sessions.json"),
            "{args:?} names the index: {}",
            stderr(&out)
        );
    }
    assert!(env.sessions("main").join(LOCK).exists(), "the lock stays");
    assert_eq!(before, tree_digest(&env.state()), "nothing written");
}

/// Run the binary as `nobody` (uid 65534) through `setpriv`, so that file
/// permissions really stop reads: only possible as root with util-linux.
#[cfg(unix)] // uids
fn as_nobody(env: &Env) -> Option<std::process::Command> {
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root || !setpriv {
        eprintln!("skipped: needs root and setpriv to run as another uid");
        return None;
    }
    let plain = env.std_bare();
    let mut c = std::process::Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(plain.get_program())
        .env_clear()
        .envs(plain.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg("--state-dir")
        .arg(env.state());
    Some(c)
}

#[cfg(unix)] // uids
fn chown_tree(root: &std::path::Path, uid: u32) {
    for e in walkdir::WalkDir::new(root) {
        let p = e.unwrap().into_path();
        std::os::unix::fs::lchown(&p, Some(uid), Some(uid)).unwrap();
    }
}

#[test]
#[cfg(unix)] // file modes
fn a_permission_denied_index_or_sessions_dir_is_exit_3_and_nothing_is_removed() {
    // Everything belongs to nobody but the index (root's, 0600), then the
    // sessions dir (root's, 0700): the run, as nobody, cannot read them.
    for what in ["index", "sessions dir"] {
        let env = Env::fixture("dead-pid-lock");
        let Some(mut cmd) = as_nobody(&env) else {
            return;
        };
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        chown_tree(env.dir.path(), 65534);
        let target = match what {
            "index" => env.sessions("main").join("sessions.json"),
            _ => env.sessions("main"),
        };
        std::os::unix::fs::lchown(&target, Some(0), Some(0)).unwrap();
        let mode = if what == "index" { 0o600 } else { 0o700 };
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        let before = tree_digest(&env.state());
        let out = cmd.args(["repair", "--yes"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{what}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&target.display().to_string()),
            "{what}: names it: {}",
            stderr(&out)
        );
        assert!(
            env.sessions("main").join(LOCK).exists(),
            "{what}: lock kept"
        );
        assert_eq!(before, tree_digest(&env.state()), "{what}: nothing written");
    }
}

#[test]
fn a_repair_with_nothing_to_do_writes_nothing_in_the_state_dir() {
    for f in ["graceful-restart", "dead-pid-lock", "leftovers"] {
        let env = Env::fixture(f);
        let first = env.code(&["repair", "--yes", "--quiet"]);
        let before = tree_digest(&env.state());
        let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
        assert_eq!(out.status.code(), first, "{f}: {}", stderr(&out));
        assert_eq!(before, tree_digest(&env.state()), "{f}: second run wrote");
    }
    // And a state that never needed anything.
    let env = Env::empty();
    std::fs::create_dir_all(env.sessions("main")).unwrap();
    std::fs::write(env.sessions("main").join("sessions.json"), "{}").unwrap();
    let before = tree_digest(&env.state());
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    assert_eq!(before, tree_digest(&env.state()));
}

/// `repair --yes --quiet` on a fixture that needs a person: exit `code`
/// (1, or 6 where a start would lose data), nothing on stdout; its stderr.
fn quiet_repair(fixture: &str, code: i32) -> String {
    let env = Env::fixture(fixture);
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{fixture}");
    assert!(
        out.stdout.is_empty(),
        "{fixture}: quiet prints nothing on stdout"
    );
    stderr(&out)
}

#[test]
fn quiet_still_says_on_stderr_what_needs_a_person() {
    // A live OpenClaw process holds the lock: the row needs a person.
    let err = quiet_repair("live-openclaw-lock-1min", 1);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("NEEDS A PERSON"))
        .collect();
    assert!(!lines.is_empty(), "{err}");
    for l in &lines {
        assert!(l.contains("Action:"), "each line says what to do: {l}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(FEISHU) || l.contains("sessions.json")),
        "names the file or session: {err}"
    );
    // An unparseable index: the file is named.
    let err = quiet_repair("invalid-index", 6);
    assert!(
        err.lines().any(|l| l.contains("NEEDS A PERSON")
            && l.contains("sessions.json")
            && l.contains("index-invalid")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("sessfix: DO NOT START THE GATEWAY: ")
                && l.contains("sessions.json")),
        "{err}"
    );
}

#[test]
fn a_dry_run_while_a_gateway_is_live_says_the_real_run_would_refuse() {
    let env = Env::fixture("graceful-restart");
    env.live_gateway(5150, 777);
    for args in [
        &["repair", "--dry-run"][..],
        &["repair", "--dry-run", "--json"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        assert!(stderr(&out).contains("would refuse"), "{}", stderr(&out));
    }
}

/// Run with stdout a pipe whose reader has gone: every write fails with EPIPE.
#[cfg(unix)] // a closed pipe (EPIPE) made from raw descriptors
fn with_closed_stdout(mut cmd: std::process::Command) -> std::process::Output {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    let write_end = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
    cmd.stdout(Stdio::from(write_end)).stderr(Stdio::piped());
    cmd.output().unwrap()
}

#[test]
#[cfg(unix)] // a closed pipe (EPIPE) made from raw descriptors
fn a_closed_pipe_ends_quietly_with_the_usual_status() {
    let env = Env::fixture("graceful-restart");
    for (args, code) in [
        (&["scan"][..], 1),
        (&["scan", "--json"], 1),
        (&["repair", "--dry-run"], 1),
        (&["repair", "--dry-run", "--diff"], 1),
        (&["repair", "--dry-run", "--json"], 1),
        (&["completions", "zsh"], 0),
        (&["completions", "bash"], 0),
        (&["man"], 0),
        (&["man", "repair"], 0),
        (&["--help"], 0),
        (&["repair", "--help"], 0),
    ] {
        let mut c = env.std_bare();
        c.arg("--state-dir").arg(env.state()).args(args);
        let out = with_closed_stdout(c);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}: said something");
    }
}

/// `--agent` naming no agent dir is an operational error that names the
/// closest agent, or the agents there are.
#[test]
fn an_agent_that_does_not_exist_names_the_closest_one() {
    let env = Env::fixture("graceful-restart");
    for (typed, hint) in [("mian", "did you mean \"main\"?"), ("zzz", "there is main")] {
        let out = env.cmd().args(["--agent", typed, "scan"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("no agent directory named \"{typed}\"; {hint}")),
            "{err}"
        );
    }
}
