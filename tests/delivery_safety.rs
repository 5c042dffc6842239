//! The delivery queues' edits stay inside the state dir and never lose a
//! reply the operator asked to keep: ids that are not file names, queue dirs
//! that are links or cannot be read, durations past any age, a prune beside
//! a requeue.

mod common;
use common::*;
use serde_json::{json, Value};
#[cfg(unix)] // file modes
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// A dead letter of 2026.5.12 the readiness error made, a day before `NOW`.
fn dead_letter(id: &str) -> Value {
    json!({
        "id": id, "enqueuedAt": 1_795_400_000_000_i64, "channel": "feishu",
        "to": "user:ou_1", "payloads": [{"text": "reply"}],
        "session": {"key": "agent:main:feishu:direct:ou_1"}, "retryCount": 1,
        "lastAttemptAt": 1_795_400_001_000_i64,
        "lastError": "Error: Outbound not configured for channel: feishu"
    })
}

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    let out = env.cmd().args(args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    out
}

/// A dead letter whose `id` is not its file name is requeued under its file
/// name: an `id` of `../../../x` never names a file outside the queue.
#[test]
fn a_requeue_writes_the_dead_letters_own_file_name() {
    let env = Env::fixture("example");
    let q = env.state().join("delivery-queue");
    write_json(&q.join("failed/d3.json"), &dead_letter("../../../escaped"));
    run(&env, &["repair", "--yes", "--requeue-replies"]);
    assert!(
        !env.dir.path().join("escaped.json").exists(),
        "wrote outside"
    );
    let d3: Value = serde_json::from_slice(&std::fs::read(q.join("d3.json")).unwrap()).unwrap();
    assert_eq!(d3["retryCount"], 0);
    assert!(!q.join("failed/d3.json").exists());
}

/// A `failed/` dir that is a symbolic link out of the state dir is named,
/// and nothing through it is read or removed.
#[test]
#[cfg(unix)] // the queue dir is a symlink
fn a_linked_queue_dir_is_named_and_never_edited_through() {
    let env = Env::fixture("example");
    let outside = env.dir.path().join("outside");
    write_json(&outside.join("o1.json"), &dead_letter("o1"));
    let q = env.state().join("delivery-queue");
    std::fs::create_dir_all(&q).unwrap();
    std::os::unix::fs::symlink(&outside, q.join("failed")).unwrap();
    let (report, _) = env.scan_json();
    assert!(findings_with(&report, "reply-dead-lettered").is_empty());
    let named = findings_with(&report, "queue-unreadable");
    assert_eq!(named.len(), 1, "{report}");
    assert!(named[0]["message"]
        .as_str()
        .unwrap()
        .contains("symbolic link"));
    assert_eq!(
        env.code(&["scan"]),
        Some(3),
        "part of the state was not read"
    );
    let code = env.code(&["repair", "--yes", "--prune-dead-letters", "1ms"]);
    assert_eq!(code, Some(3), "the rest repaired; part not read");
    assert!(outside.join("o1.json").exists(), "removed outside");
}

/// A `failed/` dir sessfix may not list is a finding, not silence.
#[test]
#[cfg(unix)] // an unreadable dir: modes and another uid
fn a_queue_dir_that_cannot_be_listed_is_named() {
    let env = Env::fixture("example");
    let failed = env.state().join("delivery-queue/failed");
    write_json(&failed.join("d1.json"), &dead_letter("d1"));
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for e in walkdir::WalkDir::new(env.dir.path()) {
        std::os::unix::fs::lchown(e.unwrap().path(), Some(65534), Some(65534)).unwrap();
    }
    std::fs::set_permissions(&failed, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut c = env.std_bare();
    c.arg("--state-dir")
        .arg(env.state())
        .args(["scan", "--json"]);
    run_as(&mut c, 65534);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "part of the state was not read");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let named = findings_with(&report, "queue-unreadable");
    assert_eq!(named.len(), 1, "{report}");
    assert!(named[0]["message"]
        .as_str()
        .unwrap()
        .contains("permission denied"));
}

/// A prune duration past what an i64 of milliseconds holds prunes nothing
/// (it once wrapped negative and pruned every dead letter).
#[test]
fn a_huge_prune_duration_prunes_nothing() {
    let env = Env::fixture("example");
    let d1 = env.state().join("delivery-queue/failed/d1.json");
    write_json(&d1, &dead_letter("d1"));
    run(
        &env,
        &[
            "repair",
            "--yes",
            "--prune-dead-letters",
            "10000000000000000000ms",
        ],
    );
    assert!(d1.exists(), "pruned");
}

/// `--requeue-replies` with `--prune-dead-letters`: a dead letter holding a
/// reply to requeue is requeued, not pruned.
#[test]
fn a_reply_asked_requeued_is_not_pruned() {
    let env = Env::fixture("example");
    let q = env.state().join("delivery-queue");
    write_json(&q.join("failed/d1.json"), &dead_letter("d1"));
    run(
        &env,
        &[
            "repair",
            "--yes",
            "--requeue-replies",
            "--prune-dead-letters",
            "1h",
        ],
    );
    let d1: Value = serde_json::from_slice(&std::fs::read(q.join("d1.json")).unwrap()).unwrap();
    assert_eq!(d1["payloads"][0]["text"], "reply");
}

/// A dead letter whose send began and whose error is the readiness one is
/// not said to be "never sent": the send may have reached the chat.
#[test]
fn an_ambiguous_dead_letter_is_never_said_unsent() {
    let env = Env::fixture("example");
    let mut d2 = dead_letter("d2");
    d2["recoveryState"] = "unknown_after_send".into();
    write_json(&env.state().join("delivery-queue/failed/d2.json"), &d2);
    let (report, _) = env.scan_json();
    let f = findings_with(&report, "reply-ambiguous");
    assert_eq!(f.len(), 1, "{report}");
    let message = f[0]["message"].as_str().unwrap();
    assert!(!message.contains("never sent"), "{message}");
    assert!(message.contains("may have reached the chat"), "{message}");
}

/// A dead letter whose id is pending too (`x.json` and `failed/x.json`) is
/// left to a person, said so in the plan, and never overwrites the pending
/// entry.
#[test]
fn a_requeue_onto_a_pending_entry_of_the_same_id_is_left_alone() {
    let env = Env::fixture("example");
    let q = env.state().join("delivery-queue");
    write_json(&q.join("failed/x.json"), &dead_letter("x"));
    let mut pending = dead_letter("x");
    pending["payloads"][0]["text"] = "the pending one".into();
    write_json(&q.join("x.json"), &pending);
    let dry = run(
        &env,
        &["repair", "--dry-run", "--json", "--requeue-replies"],
    );
    let plan: Value = serde_json::from_slice(&dry.stdout).unwrap();
    let left = plan["plan"]["leftAlone"].to_string();
    assert!(left.contains("exists already"), "{plan}");
    let moves = plan["plan"]["queues"]
        .as_array()
        .map_or(0, |q| q.iter().filter(|e| e.get("from").is_some()).count());
    assert_eq!(moves, 0, "{plan}");
    run(&env, &["repair", "--yes", "--requeue-replies"]);
    let x: Value = serde_json::from_slice(&std::fs::read(q.join("x.json")).unwrap()).unwrap();
    assert_eq!(x["payloads"][0]["text"], "the pending one");
    assert!(q.join("failed/x.json").exists());
}

/// 2026.5.12: a resumed turn's reply whose session names no route (no
/// `deliveryContext`, no `last*` fields): `--send-unsent-replies` writes no
/// queue file and says it leaves the reply to a person (it was silent).
#[test]
fn an_unsent_reply_with_no_route_is_left_to_a_person_in_words() {
    let env = Env::fixture("example");
    let sessions = env.sessions("main");
    let key = "agent:main:discord:channel:1122334455:thread:99";
    let t = sessions.join("00000013-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let mut body = std::fs::read_to_string(&t).unwrap();
    for (role, text, ts) in [
        ("user", "[System] Your previous turn was interrupted by a gateway restart while OpenClaw was waiting on tool/model work. Continue from the existing transcript and finish the interrupted response.", "2026-11-24T02:55:00.000Z"),
        ("assistant", "Tomorrow: rain.", "2026-11-24T02:55:04.000Z"),
    ] {
        let m = json!({"role": role, "content": [{"type": "text", "text": text}], "stopReason": "stop"});
        body.push_str(&json!({"type": "message", "id": ts, "timestamp": ts, "message": m}).to_string());
        body.push('\n');
    }
    std::fs::write(&t, body).unwrap();
    let index = sessions.join("sessions.json");
    let mut store: Value = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
    let entry = store[key].as_object_mut().unwrap();
    entry.retain(|k, _| !k.starts_with("last") && k != "deliveryContext" && k != "origin");
    std::fs::write(&index, store.to_string()).unwrap();
    let (report, _) = env.scan_json();
    assert_eq!(findings_with(&report, "reply-unsent").len(), 1, "{report}");
    let dry = run(
        &env,
        &["repair", "--dry-run", "--json", "--send-unsent-replies"],
    );
    let plan: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert!(plan["plan"].get("queues").is_none(), "{plan}");
    let left = plan["plan"]["leftAlone"].to_string();
    assert!(left.contains(key) && left.contains("by hand"), "{plan}");
}
