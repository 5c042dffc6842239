//! What a person at a terminal sees, on a real pseudo-terminal: the prompt
//! and plan on the terminal (never in stdout), tables that fit the window
//! with colour that never counts, progress, diffs, and undo's question.
#![cfg(unix)] // pseudo-terminals (openpty(3))

mod common;
use common::pty::{plain, Pty};
use common::*;
use std::process::Stdio;

fn sessfix(env: &Env, args: &[&str]) -> std::process::Command {
    let mut c = env.std_bare();
    c.arg("--state-dir").arg(env.state()).args(args);
    c
}

/// Visible lines longer than `width` that could have been wrapped (that
/// hold a space-separated word shorter than the line's excess would need).
fn overlong(text: &str, width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width)
        // a path or key longer than the width is never split: allowed
        .filter(|l| !l.split_whitespace().any(|w| w.chars().count() > width / 2))
        .map(str::to_string)
        .collect()
}

#[test]
fn repair_json_into_a_file_asks_on_the_terminal_and_leaves_valid_json() {
    for answer in ["y", "n"] {
        let env = Env::fixture("graceful-restart");
        let before = tree_digest(&env.state());
        let file = env.dir.path().join("plan.json");
        let stdout = std::fs::File::create(&file).unwrap();
        let mut pty = Pty::spawn(
            sessfix(&env, &["repair", "--json"]),
            100,
            Some(stdout.into()),
            None,
        );
        let shown = plain(&pty.expect("Apply these changes? [y/N]"));
        // The plan and its totals came before the question.
        assert!(shown.contains(FEISHU), "{shown}");
        assert!(shown.contains("1 session flagged to resume"), "{shown}");
        assert!(shown.contains("0 locks removed"), "{shown}");
        assert!(shown.contains("sessfix-backups"), "{shown}");
        assert!(shown.contains("sessfix undo"), "{shown}");
        assert!(
            !shown.contains("schemaVersion"),
            "JSON went to the terminal"
        );
        pty.send(&format!("{answer}\n"));
        let (code, _) = pty.finish();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{answer}: plan.json is not JSON: {e}"));
        assert_eq!(doc["schemaVersion"], 1);
        assert_eq!(doc["applied"], answer == "y");
        if answer == "y" {
            assert_eq!(code, Some(0));
            assert_eq!(doc["results"][0]["action"], "set-field");
            assert_eq!(doc["results"][0]["after"], true);
            assert_eq!(session(&env.scan_json().0, FEISHU)["nextBoot"], "resume");
        } else {
            assert_eq!(code, Some(1));
            assert_eq!(before, tree_digest(&env.state()), "no means no");
        }
    }
}

#[test]
fn the_diff_is_shown_at_the_prompt_with_the_session_key_and_colour() {
    let env = Env::fixture("drain-timeout-artifacts");
    let mut pty = Pty::spawn(sessfix(&env, &["repair", "--diff"]), 120, None, None);
    let raw = pty.expect("Apply these changes?");
    pty.send("n\n");
    pty.finish();
    assert!(raw.contains("\x1b[31m-"), "removed lines in red: {raw:?}");
    let shown = plain(&raw);
    let hunks: Vec<&str> = shown.lines().filter(|l| l.starts_with("@@")).collect();
    assert!(
        hunks.len() >= 2,
        "an index hunk and a transcript cut: {shown}"
    );
    assert!(hunks.iter().all(|h| h.contains("agent:main:")), "{hunks:?}");
    assert!(shown.contains("+    \"abortedLastRun\": true"), "{shown}");
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("-{") && l.contains("prompt-error")),
        "the cut transcript lines shown removed: {shown}"
    );
}

#[test]
fn undo_asks_on_the_terminal() {
    let env = Env::fixture("graceful-restart");
    let before = tree_digest(&env.state().join("agents"));
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let repaired = tree_digest(&env.state().join("agents"));
    let mut pty = Pty::spawn(sessfix(&env, &["undo"]), 100, None, None);
    pty.expect("Restore? [y/N]");
    pty.send("n\n");
    assert_eq!(pty.finish().0, Some(1));
    assert_eq!(repaired, tree_digest(&env.state().join("agents")));
    let mut pty = Pty::spawn(sessfix(&env, &["undo"]), 100, None, None);
    pty.expect("Restore? [y/N]");
    pty.send("y\n");
    assert_eq!(pty.finish().0, Some(0));
    assert_eq!(before, tree_digest(&env.state().join("agents")));
}

#[test]
fn a_repair_at_its_prompt_holds_up_no_pre_start_run() {
    let env = Env::fixture("graceful-restart");
    let mut pty = Pty::spawn(sessfix(&env, &["repair"]), 100, None, None);
    pty.expect("Apply these changes? [y/N]");
    // A pre-start run meanwhile: the lock is free, it repairs at once.
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet", "--lock-wait", "0s"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repaired = tree_digest(&env.state().join("agents"));
    // The answer comes after: the state is not the one shown, nothing written.
    pty.send("y\n");
    let (code, text) = pty.finish();
    assert_eq!(code, Some(5), "{}", plain(&text));
    assert!(plain(&text).contains("the state changed after the plan was shown"));
    assert_eq!(repaired, tree_digest(&env.state().join("agents")));
}

/// A state with `n` more running sessions of long keys than `graceful-restart`.
fn many_sessions(n: usize) -> Env {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    let template = v[FEISHU].clone();
    for i in 0..n {
        let mut e = template.clone();
        e["sessionId"] = format!("0b6c7f7e-3a1d-4a53-9d7e-{i:012}").into();
        v.as_object_mut().unwrap().insert(
            format!("agent:main:telegram:group:-100123456789{i}:topic:{i}"),
            e,
        );
    }
    std::fs::write(&index, v.to_string()).unwrap();
    env
}

#[test]
fn tables_fit_an_80_column_terminal_with_colour_not_counted() {
    let env = many_sessions(3);
    let pty = Pty::spawn(sessfix(&env, &["scan"]), 80, None, Some(Stdio::null()));
    let (code, raw) = pty.finish();
    assert_eq!(code, Some(1));
    assert!(raw.contains("\x1b[1;31m"), "colour on a terminal");
    let shown = plain(&raw);
    assert_eq!(overlong(&shown, 80), Vec::<String>::new(), "{shown}");
    // Keys and codes whole, on one line each.
    assert!(shown.lines().any(|l| l.trim() == FEISHU), "{shown}");
    assert!(
        shown.lines().any(|l| l.contains("session-stranded")),
        "{shown}"
    );
    // Columns line up: STATUS starts at the same column in every row.
    let col = shown
        .lines()
        .find_map(|l| l.find("STATUS"))
        .expect("a header");
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("stranded") || l.starts_with("resume"))
        .collect();
    assert!(rows.len() >= 4, "{shown}");
    for r in rows {
        assert_eq!(r.find("running"), Some(col), "misaligned: {r:?}");
    }
}

#[test]
fn without_a_terminal_columns_sets_the_width_and_no_colour_is_written() {
    let env = many_sessions(3);
    for width in [60usize, 80, 120] {
        let out = env
            .cmd()
            .env("COLUMNS", width.to_string())
            .arg("scan")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\x1b'), "no colour into a pipe");
        assert_eq!(
            overlong(&text, width),
            Vec::<String>::new(),
            "{width}: {text}"
        );
    }
}

#[test]
fn no_color_counts_only_when_it_is_not_empty() {
    let env = Env::fixture("graceful-restart");
    for (value, coloured) in [("1", false), ("", true)] {
        let mut c = sessfix(&env, &["scan"]);
        c.env("NO_COLOR", value);
        let (_, raw) = Pty::spawn(c, 100, None, Some(Stdio::null())).finish();
        assert_eq!(raw.contains("\x1b["), coloured, "NO_COLOR={value:?}");
    }
}

#[test]
fn a_long_report_ends_with_its_totals() {
    let env = many_sessions(400);
    let out = env.cmd().arg("scan").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 400);
    assert!(
        lines[lines.len() - 1].starts_with("Findings: "),
        "{:?}",
        &lines[lines.len() - 3..]
    );
    assert!(
        lines[lines.len() - 2].starts_with("Sessions: 401 in all: "),
        "{:?}",
        &lines[lines.len() - 3..]
    );
    assert!(
        !lines[..lines.len() - 2]
            .iter()
            .any(|l| l.starts_with("Findings: ")),
        "the totals are not at the top"
    );
}

#[test]
fn progress_with_counts_on_a_terminal_and_never_with_quiet() {
    let env = many_sessions(50);
    let stdout = || Some(Stdio::null());
    let (_, raw) = Pty::spawn(sessfix(&env, &["scan"]), 100, stdout(), None).finish();
    let shown = plain(&raw);
    assert!(shown.contains("1 agent, 51 sessions"), "{shown:?}");
    let (code, raw) = Pty::spawn(sessfix(&env, &["repair", "--yes"]), 100, stdout(), None).finish();
    assert!(
        plain(&raw).contains("applying 51 sessions flagged to resume"),
        "{code:?}: {raw:?}"
    );
    assert!(
        plain(&raw).contains("backed up 1 of 1") || plain(&raw).contains("indexes written 1 of 1"),
        "counts while applying: {raw:?}"
    );
    let env = many_sessions(50);
    let (_, raw) = Pty::spawn(
        sessfix(&env, &["repair", "--yes", "--quiet"]),
        100,
        stdout(),
        None,
    )
    .finish();
    // No progress; only the lines of what needs a person.
    let quiet = plain(&raw);
    assert!(
        !quiet.contains("applying") && !quiet.contains(" of 1"),
        "quiet: {raw:?}"
    );
    for line in quiet.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.starts_with("sessfix: NEEDS A PERSON: ")
                || line.starts_with("sessfix: repaired: "),
            "quiet: {line:?}"
        );
    }
    // Not a terminal: nothing on stderr.
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn repair_progress_names_each_phase_on_a_terminal_and_none_with_quiet_or_a_pipe() {
    // A stale lock besides the flags, so that writing has two steps.
    let env = many_sessions(5);
    let lock = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock");
    std::fs::write(
        &lock,
        r#"{"pid": 3999999, "createdAt": "2026-11-24T02:00:00.000Z"}"#,
    )
    .unwrap();
    let stdout = || Some(Stdio::null());
    let (code, raw) = Pty::spawn(sessfix(&env, &["repair", "--yes"]), 200, stdout(), None).finish();
    let shown = plain(&raw);
    assert!(
        !lock.exists(),
        "{code:?}: the lock was not removed: {shown}"
    );
    for phase in [
        "reading ",
        "planning agent main: 1 agent, 6 sessions",
        "backing up: backed up ",
        "writing: indexes written 1 of 1",
        "writing: files removed 1 of 1",
        "checking ",
    ] {
        assert!(shown.contains(phase), "{phase:?} not shown: {raw:?}");
    }
    // In order: reading, planning, backing up, writing, checking.
    let at = |s: &str| shown.find(s).unwrap();
    assert!(at("planning agent") < at("backing up") && at("backing up") < at("writing: "));
    assert!(at("writing: ") < at("checking "));
    let env = many_sessions(5);
    let (_, raw) = Pty::spawn(
        sessfix(&env, &["repair", "--yes", "--quiet"]),
        200,
        stdout(),
        None,
    )
    .finish();
    let quiet = plain(&raw);
    for phase in ["reading", "planning", "backing up", "writing", "checking"] {
        assert!(!quiet.contains(phase), "quiet: {raw:?}");
    }
    let env = many_sessions(5);
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for phase in ["reading", "planning", "backing up", "writing", "checking"] {
        assert!(!err.contains(phase), "not a terminal: {err}");
    }
}

#[test]
fn a_dry_run_diff_is_complete_and_plain_into_a_pipe_and_refused_with_json() {
    let env = Env::fixture("drain-timeout-artifacts");
    let out = env
        .cmd()
        .args(["repair", "--dry-run", "--diff"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colour into a pipe");
    let hunks: Vec<&str> = text.lines().filter(|l| l.starts_with("@@")).collect();
    assert_eq!(hunks.len(), 2, "{text}");
    assert!(hunks.iter().all(|h| h.ends_with(FEISHU)), "{hunks:?}");
    let removed = text.lines().filter(|l| l.starts_with("-{")).count();
    assert!(
        removed >= 2,
        "the two artifact lines are shown removed: {text}"
    );
    for bad in [&["--json"][..], &["--quiet"]] {
        let mut args = vec!["repair", "--dry-run", "--diff"];
        args.extend(bad);
        let out = env.cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    }
}
