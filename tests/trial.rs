//! What a user trial found: `--store` alone, `--store` naming a directory,
//! `--version`'s build, paths made absolute, the gateway's owner rule named
//! as the gateway's, and a bare `sessfix`.

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
    let no_git = git(&["--version"]).is_none();
    if no_git {
        // No git to ask (Windows under Wine): a commit, if any, is checked by its shape.
        if rest.is_empty() {
            return;
        }
    } else if !checkout {
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
    if no_git {
        return;
    }
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

/// `--store` naming the sessions dir says it is a directory and names the
/// index in it, instead of "fix its permissions or type".
#[test]
fn a_store_that_is_a_directory_is_named_so() {
    let env = Env::fixture("graceful-restart");
    let before = tree_digest(&env.state());
    let dir = env.sessions("main");
    for args in [
        &["scan"][..],
        &["repair", "--dry-run"],
        &["repair", "--yes"],
    ] {
        let out = env
            .cmd()
            .arg("--store")
            .arg(&dir)
            .args(args)
            .output()
            .unwrap();
        assert_exit(&out, 3);
        let err = stderr(&out);
        assert!(err.contains("is a directory"), "{err}");
        assert!(
            err.contains(&format!(
                "did you mean --store {}",
                dir.join("sessions.json").display()
            )),
            "{err}"
        );
        assert!(!err.contains("permissions or type"), "{err}");
        assert!(out.stdout.is_empty());
    }
    // A directory with no index in it: no suggestion.
    let empty = env.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = env
        .cmd()
        .arg("--store")
        .arg(&empty)
        .arg("scan")
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("is a directory; --store takes the index file"));
    assert!(!stderr(&out).contains("did you mean"));
    assert_eq!(before, tree_digest(&env.state()));
}

/// `--store` alone (no `--state-dir`, no `~/.openclaw`) reads that index,
/// with the state dir it sits in (`<state>/agents/<id>/sessions/`), as
/// `openclaw sessions --store` does; relative to the caller's directory.
#[test]
fn a_store_alone_names_its_state_dir() {
    let env = Env::fixture("two-agents");
    let store = env.sessions("ops").join("sessions.json");
    let with_dir = env
        .cmd()
        .arg("--store")
        .arg(&store)
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let alone = env
        .bare()
        .current_dir(env.dir.path())
        .args([
            "--store",
            "state/agents/ops/sessions/sessions.json",
            "scan",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        alone.status.code(),
        with_dir.status.code(),
        "{}",
        stderr(&alone)
    );
    let v: serde_json::Value = serde_json::from_slice(&alone.stdout).unwrap();
    assert_eq!(v["stateDir"], env.state().display().to_string());
    assert_eq!(v["agents"][0]["id"], "ops");
    assert_eq!(v["agents"].as_array().unwrap().len(), 1);
    // The same report; only the actions differ: each names the options
    // its run was given (`--store` alone finds this state dir again).
    let with_dir = String::from_utf8_lossy(&with_dir.stdout)
        .replace(&format!("--state-dir {} ", json_escaped(&env.state())), "");
    assert_eq!(String::from_utf8_lossy(&alone.stdout), with_dir);
    // A real run writes there, backed up in that state dir.
    let out = env
        .bare()
        .arg("--store")
        .arg(&store)
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(env.state().join("sessfix-backups").is_dir());
}

/// `--store` alone outside any state dir: what can be established is
/// read and reported, with why no state dir (so no gateway lock) is known;
/// nothing is ever written, `--force` or not.
#[test]
fn a_store_alone_outside_a_state_dir_is_read_and_never_written() {
    let env = Env::fixture("two-agents");
    let lone = env.dir.path().join("lone").join("sessions.json");
    std::fs::create_dir(lone.parent().unwrap()).unwrap();
    std::fs::copy(env.sessions("ops").join("sessions.json"), &lone).unwrap();
    let before = tree_digest(env.dir.path());
    let run = |args: &[&str]| {
        env.bare()
            .arg("--store")
            .arg(&lone)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["scan", "--json"]);
    assert_exit(&out, 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["sessions"].as_array().unwrap().len(),
        3,
        "the index is read"
    );
    let unknown = findings_with(&v, "gateway-liveness-unknown");
    let message = unknown[0]["message"].as_str().unwrap();
    assert!(message.contains("no state dir is known"), "{message}");
    assert!(
        message.contains("is not in <state>/agents/<id>/sessions/"),
        "{message}"
    );
    // What to do is to name the state dir, and every action says so.
    let fix = unknown[0]["fix"].as_str().unwrap();
    assert!(
        fix.starts_with("name the state dir with --state-dir DIR"),
        "{fix}"
    );
    for f in v["findings"].as_array().unwrap() {
        let fix = f["fix"].as_str().unwrap();
        for c in fix
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|c| c.starts_with("sessfix "))
        {
            assert!(c.contains(" --state-dir DIR "), "{c}");
        }
    }
    for args in [
        &["repair", "--dry-run"][..],
        &["repair", "--dry-run", "--force"],
        &["repair", "--yes"],
        &[
            "repair",
            "--yes",
            "--force",
            "--max-age",
            "1m",
            "--end-orphans",
        ],
        &["undo", "--yes", "--force"],
    ] {
        let out = run(args);
        assert_exit(&out, 4);
        assert!(
            stderr(&out).contains("no state dir is known"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(stderr(&run(&["repair", "--yes", "--force"]))
        .contains("refusing to repair, --force or not"));
    assert_eq!(before, tree_digest(env.dir.path()), "nothing written");
}

/// `path` as it stands inside a JSON string (a Windows path's `\` doubled).
fn json_escaped(path: &std::path::Path) -> String {
    let quoted = serde_json::to_string(&path.display().to_string()).unwrap();
    quoted[1..quoted.len() - 1].to_string()
}

/// A relative `--state-dir` is made absolute once: text and JSON name
/// every path as they do for the absolute one, not relative to the
/// caller's directory.
#[test]
fn paths_are_absolute_when_the_state_dir_is_relative() {
    let env = Env::fixture("dead-pid-lock");
    let run = |dir: &str, args: &[&str]| {
        env.bare()
            .current_dir(env.dir.path())
            .args(["--state-dir", dir])
            .args(args)
            .output()
            .unwrap()
    };
    let abs = env.state().display().to_string();
    for args in [
        &["scan", "--json"][..],
        &["scan"],
        &["repair", "--dry-run", "--json"],
        &["repair", "--dry-run"],
    ] {
        let relative = run("state", args);
        let absolute = run(&abs, args);
        assert_eq!(relative.status.code(), absolute.status.code(), "{args:?}");
        let text = String::from_utf8_lossy(&relative.stdout);
        let named = if args.contains(&"--json") {
            json_escaped(&env.state())
        } else {
            abs.clone()
        };
        assert!(text.contains(&named), "{args:?}: {text}");
        assert_eq!(text, String::from_utf8_lossy(&absolute.stdout), "{args:?}");
        assert_eq!(stderr(&relative), stderr(&absolute), "{args:?}");
    }
    let out = run("./state/../state", &["scan", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stateDir"], abs.as_str());
    assert!(
        v["locks"][0]["path"].as_str().unwrap().starts_with(&abs),
        "{v}"
    );
}
