//! A turn that waited days for an answer: scan gives its age, one older than
//! `--max-age` (default 3 days) is `session-old-turn`, and `repair --max-age`
//! ends it instead of resuming it.

mod common;
use common::*;
use serde_json::Value;

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp_millis()
}

fn index(env: &Env) -> std::path::PathBuf {
    env.sessions("main").join("sessions.json")
}

fn entry(env: &Env) -> Value {
    let v: Value = serde_json::from_slice(&std::fs::read(index(env)).unwrap()).unwrap();
    v[FEISHU].clone()
}

/// `fixture` with its row last updated `age_ms` before NOW.
fn aged(fixture: &str, age_ms: i64) -> Env {
    let env = Env::fixture(fixture);
    let mut v: Value = serde_json::from_slice(&std::fs::read(index(&env)).unwrap()).unwrap();
    v[FEISHU]["updatedAt"] = (now_ms() - age_ms).into();
    std::fs::write(index(&env), sessfix::plan::js_stringify(&v)).unwrap();
    env
}

fn scan_with(env: &Env, args: &[&str]) -> (Value, i32) {
    let out = env
        .cmd()
        .args(["scan", "--json"])
        .args(args)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

fn old_turns(r: &Value) -> Vec<&Value> {
    findings_with(r, "session-old-turn")
}

#[test]
fn a_stranded_turn_says_how_long_it_waited_and_an_old_one_is_a_warning() {
    // 12 minutes: its age, no warning (graceful-restart is stranded).
    let env = Env::fixture("graceful-restart");
    let (r, _) = env.scan_json();
    let s = session(&r, FEISHU);
    assert_eq!(s["nextBoot"], "stranded");
    assert_eq!(s["waitingMs"], 12 * 60_000);
    assert!(old_turns(&r).is_empty(), "{:?}", codes(&r));

    // 60 days: a warning that says what the user would get and what ends it.
    let env = aged("graceful-restart", 60 * DAY);
    let (r, code) = env.scan_json();
    assert_eq!(session(&r, FEISHU)["waitingMs"], 60 * DAY);
    let f = old_turns(&r);
    assert_eq!(f.len(), 1, "{:?}", codes(&r));
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["key"], FEISHU);
    let msg = f[0]["message"].as_str().unwrap();
    assert!(msg.contains("60d") && msg.contains("late answer"), "{msg}");
    let flags = format!(
        "once `sessfix repair --state-dir {}` flags it",
        env.state().display()
    );
    assert!(msg.contains(&flags), "{msg}");
    assert!(
        f[0]["fix"].as_str().unwrap().contains("--max-age 3d"),
        "{}",
        f[0]
    );
    assert_eq!(code, 1);
    // The table's "why" says it too.
    let out = env.cmd().arg("scan").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("waiting for an answer for 60d"), "{text}");
}

#[test]
fn the_default_threshold_is_three_days_and_max_age_replaces_it() {
    let (r, _) = aged("graceful-restart", 3 * DAY).scan_json();
    assert!(old_turns(&r).is_empty(), "3 days is not older than 3 days");
    let env = aged("graceful-restart", 3 * DAY + 1000);
    let (r, _) = env.scan_json();
    assert_eq!(old_turns(&r).len(), 1);
    // scan takes --max-age as repair does.
    let (r, _) = scan_with(&env, &["--max-age", "4d"]);
    assert!(old_turns(&r).is_empty(), "{:?}", codes(&r));
    let (r, _) = scan_with(&env, &["--max-age", "36h"]);
    let f = old_turns(&r);
    assert_eq!(f.len(), 1);
    assert!(f[0]["fix"].as_str().unwrap().contains("--max-age 36h"));
    // a bare number has no unit: a usage error, as for repair
    let out = env.cmd().args(["scan", "--max-age", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn repair_without_max_age_resumes_an_old_turn_and_the_warning_stays() {
    let env = aged("graceful-restart", 60 * DAY);
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a person should decide");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("session-old-turn"), "{stderr}");
    assert_eq!(entry(&env)["abortedLastRun"], true);
    assert_eq!(entry(&env)["status"], "running");
    let (r, code) = env.scan_json();
    assert_eq!(session(&r, FEISHU)["nextBoot"], "resume");
    let f = old_turns(&r);
    assert_eq!(f.len(), 1, "{:?}", codes(&r));
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("the next boot resumes it"));
    assert_eq!(code, 1);
}

#[test]
fn repair_with_max_age_ends_old_turns_stranded_or_flagged_and_no_warning_remains() {
    // stranded (graceful-restart) and already flagged (aborted-no-lock: the
    // next boot resumes it without repair)
    for fixture in ["graceful-restart", "aborted-no-lock"] {
        let env = aged(fixture, 60 * DAY);
        let (r, _) = env.scan_json();
        assert_eq!(old_turns(&r).len(), 1, "{fixture}: {:?}", codes(&r));
        let out = env
            .cmd()
            .args(["repair", "--yes", "--quiet", "--max-age", "3d"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{fixture}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let e = entry(&env);
        assert_eq!(e["status"], "failed", "{fixture}: {e}");
        assert_eq!(e["endedAt"], now_ms());
        let (r, code) = env.scan_json();
        assert_eq!(session(&r, FEISHU)["nextBoot"], "idle");
        assert!(old_turns(&r).is_empty(), "{fixture}: {:?}", codes(&r));
        assert_eq!(code, 0, "{fixture}: {:?}", codes(&r));
    }
    // A younger turn is left to be resumed (the flagged one needs nothing).
    let env = aged("aborted-no-lock", DAY);
    let before = std::fs::read(index(&env)).unwrap();
    let out = env
        .cmd()
        .args(["repair", "--yes", "--quiet", "--max-age", "3d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(index(&env)).unwrap(), before);
}

#[test]
fn a_turn_that_is_not_waiting_has_no_age() {
    // A row the next boot marks failed (its tail ends with the assistant's
    // reply) waits for nothing; a finished one neither.
    let env = aged("aborted-assistant-tail", 60 * DAY);
    let (r, _) = env.scan_json();
    let s = session(&r, FEISHU);
    assert_eq!(s["nextBoot"], "fail");
    assert!(s.get("waitingMs").is_none(), "{s}");
    assert!(old_turns(&r).is_empty(), "{:?}", codes(&r));
    // A live OpenClaw process holds its lock: the turn may be running now,
    // and repair leaves it alone, --max-age or not.
    let env = aged("live-openclaw-lock-1min", 60 * DAY);
    let (r, _) = env.scan_json();
    let s = session(&r, FEISHU);
    assert_eq!(s["nextBoot"], "stranded");
    assert!(s.get("waitingMs").is_none(), "{s}");
    assert!(old_turns(&r).is_empty(), "{:?}", codes(&r));
    let env = aged("graceful-restart", 60 * DAY);
    let mut v: Value = serde_json::from_slice(&std::fs::read(index(&env)).unwrap()).unwrap();
    v[FEISHU]["status"] = "done".into();
    std::fs::write(index(&env), sessfix::plan::js_stringify(&v)).unwrap();
    let (r, code) = env.scan_json();
    assert!(session(&r, FEISHU).get("waitingMs").is_none());
    assert!(old_turns(&r).is_empty());
    assert_eq!(code, 0, "{:?}", codes(&r));
}
