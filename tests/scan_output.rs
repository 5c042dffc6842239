//! How much `sessfix scan` says: findings grouped by code, `--severity` and
//! `--code` filters (text and JSON; the totals and exit code unfiltered),
//! `--quiet`, `--verbose`.

mod common;
use common::*;

/// A state of `n` finished sessions of agent main whose transcripts are
/// gone: `n` info findings of one code (transcript-missing).
fn missing_transcripts(n: usize) -> Env {
    let env = Env::empty();
    let dir = env.sessions("main");
    std::fs::create_dir_all(&dir).unwrap();
    let entries: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            (
                format!("agent:main:cron:{i}"),
                serde_json::json!({
                    "sessionId": format!("00000000-0000-4000-8000-{i:012}"),
                    "updatedAt": 1_795_480_000_000u64,
                    "status": "done",
                }),
            )
        })
        .collect();
    std::fs::write(
        dir.join("sessions.json"),
        serde_json::to_vec(&entries).unwrap(),
    )
    .unwrap();
    env
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// 50 findings of one code are one group in the text: its count, the first
/// finding, how to list them all; `--code` and `--verbose` list every one;
/// the JSON keeps every finding.
#[test]
fn repeated_findings_are_one_group_in_the_text() {
    let env = missing_transcripts(50);
    let out = env
        .cmd()
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("info    transcript-missing: 50 findings, the first:\n"),
        "{text}"
    );
    // The command to list them carries the state's options (and is never
    // split, wherever the line wraps).
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let list = format!(
        "... and 49 more: `sessfix scan --code transcript-missing --state-dir {}` lists them",
        env.state().display()
    );
    assert!(words.contains(&list), "{text}");
    assert_eq!(text.matches("no transcript file for session").count(), 1);
    assert!(
        text.ends_with("Findings: 0 errors, 0 warnings, 50 info\n"),
        "{text}"
    );
    for args in [
        &["scan", "--code", "transcript-missing"][..],
        &["scan", "--verbose"],
        &["scan", "-v"],
    ] {
        let text = stdout(&env.cmd().args(args).output().unwrap());
        assert_eq!(
            text.matches("info    transcript-missing\n").count(),
            50,
            "{args:?}: {text}"
        );
        assert!(!text.contains("findings, the first"));
    }
    let (json, code) = env.scan_json();
    assert_eq!(code, 0);
    assert_eq!(json["findings"].as_array().unwrap().len(), 50);
}

/// `--severity` and `--code` filter the JSON's findings array; its sessions
/// and the exit code stay those of the whole state, and without a filter
/// (or with `--severity info`) the document is unchanged.
#[test]
fn filters_keep_only_the_findings_asked_for() {
    let env = Env::fixture("example");
    let whole = env.cmd().args(["scan", "--json"]).output().unwrap();
    let all: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["severity"], f["code"]))
            .collect()
    };
    assert!(codes(&all).len() >= 2, "{:?}", codes(&all));
    let info = env
        .cmd()
        .args(["scan", "--json", "--severity", "info"])
        .output()
        .unwrap();
    assert!(info.stdout == whole.stdout);
    for (args, expected) in [
        (
            &["--severity", "error"][..],
            vec!["\"error\" \"session-stranded\""],
        ),
        (
            &["--code", "lock-stale"],
            vec!["\"warning\" \"lock-stale\""],
        ),
        (
            &["--code", "lock-stale", "--code", "session-stranded"],
            vec![
                "\"error\" \"session-stranded\"",
                "\"warning\" \"lock-stale\"",
            ],
        ),
        (&["--severity", "error", "--code", "lock-stale"], vec![]),
    ] {
        let out = env
            .cmd()
            .args(["scan", "--json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), whole.status.code(), "{args:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(codes(&doc), expected, "{args:?}");
        assert_eq!(doc["sessions"], all["sessions"]);
    }
    let text = stdout(
        &env.cmd()
            .args(["scan", "--severity", "error"])
            .output()
            .unwrap(),
    );
    assert!(!text.contains("lock-stale"), "{text}");
    assert!(
        text.ends_with("Findings: 1 error, 1 warning, 0 info (1 not shown: --severity error)\n"),
        "{text}"
    );
}

/// An unknown code is a usage error naming the closest code, given before
/// the state is read (even one that does not exist).
#[test]
fn an_unknown_code_is_a_usage_error() {
    let env = Env::fixture("example");
    let out = env
        .cmd()
        .args(["scan", "--code", "lock-stal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "--code \"lock-stal\": no such finding code; did you mean \"lock-stale\" or "
        ),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let nowhere = env
        .bare()
        .args(["--state-dir", "/nonexistent/state", "scan", "--code", "zzz"])
        .output()
        .unwrap();
    assert_eq!(nowhere.status.code(), Some(2), "{}", stderr(&nowhere));
    assert!(stderr(&nowhere).contains("no such finding code; there are "));
}

/// `scan --quiet`: nothing on stdout, the exit code, and on stderr the one
/// line per warning or error that `repair --quiet` writes; the filters
/// apply to those lines too; with `--json` it is a usage error.
#[test]
fn quiet_scan_says_only_what_needs_a_person() {
    let env = Env::fixture("example");
    let out = env.cmd().args(["scan", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let lines: Vec<&str> = std::str::from_utf8(&out.stderr).unwrap().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("sessfix: NEEDS A PERSON: ")
            && lines[0].contains(": session-stranded: ")
    );
    assert!(lines[1].contains(": lock-stale: "), "{lines:?}");
    let errors = env
        .cmd()
        .args(["scan", "--quiet", "--severity", "error"])
        .output()
        .unwrap();
    assert_eq!(errors.status.code(), Some(1));
    assert_eq!(stderr(&errors).lines().count(), 1, "{}", stderr(&errors));
    let clean = missing_transcripts(5);
    let out = clean.cmd().args(["scan", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(env.code(&["scan", "-q", "--json"]), Some(2));
}

/// The release's notes are one clause unless `--verbose` asks for them.
#[test]
fn release_notes_take_one_clause_unless_verbose() {
    let env = Env::fixture("example");
    let run = |args: &[&str]| {
        stdout(
            &env.cmd()
                .env_remove("SESSFIX_OPENCLAW_VERSION")
                .env("COLUMNS", "200")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let short = run(&["scan"]);
    let head = short.lines().nth(1).unwrap();
    assert!(
        head.starts_with("openclaw:  2026.5.12 (from config: "),
        "{short}"
    );
    assert!(head.ends_with("; rules of the 2026.4.25 release line; 1 note (--verbose shows it)"));
    assert!(!short.contains("note: "));
    let verbose = run(&["scan", "-v"]);
    assert!(verbose.contains("           note: no installed openclaw package was found"));
}

/// With the release unknown, a row's why does not list the per-line
/// predictions its next lines show (the JSON's reason keeps the summary).
#[test]
fn a_rows_why_points_to_the_line_predictions_below_it() {
    let env = Env::fixture("graceful-restart");
    let out = env
        .cmd()
        .env_remove("SESSFIX_OPENCLAW_VERSION")
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "why: depends on the OpenClaw release line (each below); pass --openclaw-version"
        ),
        "{text}"
    );
    assert!(
        text.contains("    2026.4.25 to 2026.6.1: stranded: "),
        "{text}"
    );
    let (r, _) = {
        let out = env
            .cmd()
            .env_remove("SESSFIX_OPENCLAW_VERSION")
            .args(["scan", "--json"])
            .output()
            .unwrap();
        (
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
            (),
        )
    };
    let reason = session(&r, FEISHU)["reason"].as_str().unwrap();
    assert!(
        reason.contains("(2026.4.25 to 2026.6.1: stranded;"),
        "{reason}"
    );
}
