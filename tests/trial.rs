//! What a user trial found: `--store` alone, `--store` naming a directory,
//! `--version`'s build, paths made absolute, the gateway's owner rule named
//! as the gateway's, and a bare `sessfix`.
#![cfg(unix)] // the harness (tests/common) is Unix-only: modes, signals, /proc, ptys

mod common;
use common::*;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A live lock owner whose command line the gateway's check does not take
/// for OpenClaw's (a bare `openclaw-gateway`, not by path) is said to be so
/// by that rule, not as a fact about the process.
#[test]
fn a_non_openclaw_owner_is_named_by_the_gateways_rule() {
    let env = Env::fixture("non-openclaw-owner");
    let lock = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock");
    let payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    let pid = payload["pid"].as_u64().unwrap();
    let stat = std::fs::read_to_string(env.dir.path().join(format!("proc/{pid}/stat"))).unwrap();
    let starttime: u64 = stat
        .split(") ")
        .nth(1)
        .unwrap()
        .split(' ')
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    env.process(pid, &["openclaw-gateway", "7200"], starttime);
    let (r, _) = env.scan_json();
    let stale = findings_with(&r, "lock-stale");
    let message = stale[0]["message"].as_str().unwrap();
    assert!(message.contains("non-openclaw-owner"), "{message}");
    assert!(
        message.contains("the gateway's lock check (isOpenClawSessionOwnerArgv, session-write-lock) does not count it as an OpenClaw process"),
        "{message}"
    );
    assert!(!message.contains("is not an OpenClaw process"), "{message}");
}

/// `sessfix 0.1.0 (cbbfc01 2026-12-04)` from a git checkout (the commit
/// this tree is at), `sessfix 0.1.0` without one.
#[test]
fn the_version_names_the_commit_and_its_date() {
    let env = Env::empty();
    let out = env.bare().arg("--version").output().unwrap();
    assert_exit(&out, 0);
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim_end();
    let rest = line
        .strip_prefix(&format!("sessfix {}", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let root = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let checkout = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| std::fs::canonicalize(top).ok() == std::fs::canonicalize(root).ok());
    if !checkout {
        assert_eq!(rest, "", "{line}");
        return;
    }
    let inner = rest
        .strip_prefix(" (")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no commit in {line:?}"));
    let (hash, date) = inner.split_once(' ').unwrap();
    assert!(
        hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{line}"
    );
    let d: Vec<&str> = date.split('-').collect();
    assert!(
        d.len() == 3
            && d.iter()
                .zip([4, 2, 2])
                .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_digit())),
        "{line}"
    );
    let head = git(&["log", "-1", "--format=%h %cd", "--date=short"]).unwrap();
    assert_eq!(inner, head, "the commit the tree is at");
}

/// A bare `sessfix` prints the help on stdout (it pages) and exits 2, a
/// usage error, as clap's `arg_required_else_help`.
#[test]
fn a_bare_sessfix_prints_the_help_and_exits_2() {
    let env = Env::empty();
    let out = env.bare().output().unwrap();
    assert_exit(&out, 2);
    let help = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(help.starts_with("Diagnose and repair"), "{help}");
    assert!(
        help.contains("Usage: sessfix [OPTIONS] <COMMAND>"),
        "{help}"
    );
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(!help.contains('\x1b'), "no colour off a terminal");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // Global options alone are no command either: a usage error on stderr.
    let out = env.cmd().output().unwrap();
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("requires a subcommand"),
        "{}",
        stderr(&out)
    );
}
