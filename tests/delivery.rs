//! The delivery queues: replies that never reached the chat found by `scan`,
//! put back by the named `repair` edits, and undone by `undo`.

mod common;
use common::*;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The transcript of the example's done Discord thread session.
const DONE_TRANSCRIPT: &str = "00000013-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl";
const DISCORD: &str = "agent:main:discord:channel:1122334455:thread:99";
const REPLY: &str = "The day after tomorrow: light rain, 14-19C.";

/// The example state, whose Discord thread session's last turn is one
/// restart recovery resumed and answered.
fn resumed_env() -> Env {
    let env = Env::fixture("example");
    let t = env.sessions("main").join(DONE_TRANSCRIPT);
    let mut body = std::fs::read_to_string(&t).unwrap();
    for (role, text, ts) in [
        ("user", "[System] Your previous turn was interrupted by a gateway restart while OpenClaw was waiting on tool/model work. Continue from the existing transcript and finish the interrupted response.", "2026-11-24T02:55:00.000Z"),
        ("assistant", REPLY, "2026-11-24T02:55:04.000Z"),
    ] {
        let mut m = json!({"role": role, "content": [{"type": "text", "text": text}]});
        if role == "assistant" {
            m["stopReason"] = json!("stop");
        }
        body.push_str(&json!({"type": "message", "id": ts, "timestamp": ts, "message": m}).to_string());
        body.push('\n');
    }
    std::fs::write(&t, body).unwrap();
    env
}

fn queue(env: &Env) -> PathBuf {
    env.state().join("delivery-queue")
}

fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn dead_letter(id: &str, extra: Value) -> Value {
    let mut v = json!({
        "id": id, "enqueuedAt": 1_795_400_000_000_i64, "channel": "feishu",
        "to": "user:ou_1", "payloads": [{"text": format!("reply {id}")}],
        "session": {"key": "agent:main:feishu:direct:ou_1"}, "retryCount": 1,
        "lastAttemptAt": 1_795_400_001_000_i64,
        "lastError": "Error: Outbound not configured for channel: feishu"
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

/// `sessfix --state-dir <state> ARGS` as `release` would boot the state.
fn run_on(env: &Env, release: &str, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("SESSFIX_OPENCLAW_VERSION", release)
        .args(args)
        .output()
        .unwrap()
}

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.cmd().args(args).output().unwrap()
}

/// 2026.5.12: a resumed turn's reply only in the transcript, a dead letter
/// the channel's readiness error made, an ambiguous one, and an unreadable
/// queue file are each found; the named repairs queue the reply and the
/// plain dead letter (not the ambiguous one), a scan then finds neither,
/// and `undo` gives back the queue as it was.
#[test]
fn file_era_replies_are_found_queued_and_undone() {
    let env = resumed_env();
    let q = queue(&env);
    write_json(&q.join("failed/d1.json"), &dead_letter("d1", json!({})));
    write_json(
        &q.join("failed/d2.json"),
        &dead_letter(
            "d2",
            json!({"recoveryState": "send_attempt_started", "platformSendStartedAt": 1}),
        ),
    );
    std::fs::write(q.join("broken.json"), "{\"id\":").unwrap();
    let (report, _) = env.scan_json();
    let unsent = findings_with(&report, "reply-unsent");
    assert_eq!(unsent.len(), 1, "{unsent:?}");
    assert_eq!(unsent[0]["key"], DISCORD);
    assert!(unsent[0]["fix"]
        .as_str()
        .unwrap()
        .contains("--send-unsent-replies"));
    let dead = findings_with(&report, "reply-dead-lettered");
    assert_eq!(dead.len(), 1);
    assert!(dead[0]["message"].as_str().unwrap().contains("not ready"));
    assert_eq!(findings_with(&report, "reply-ambiguous").len(), 1);
    assert_eq!(findings_with(&report, "queue-entry-unreadable").len(), 1);

    let before = tree_digest(&q);
    let dry = run(
        &env,
        &[
            "repair",
            "--dry-run",
            "--requeue-replies",
            "--send-unsent-replies",
        ],
    );
    assert_eq!(before, tree_digest(&q), "the dry run wrote");
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        text.contains("requeue") && text.contains("queue-reply"),
        "{text}"
    );

    let out = run(
        &env,
        &[
            "repair",
            "--yes",
            "--requeue-replies",
            "--send-unsent-replies",
        ],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    assert!(!q.join("failed/d1.json").exists(), "the dead letter moved");
    let d1: Value = serde_json::from_slice(&std::fs::read(q.join("d1.json")).unwrap()).unwrap();
    assert_eq!(d1["retryCount"], 0);
    assert!(d1.get("lastError").is_none() && d1.get("lastAttemptAt").is_none());
    assert_eq!(d1["payloads"][0]["text"], "reply d1", "the payload kept");
    assert!(
        q.join("failed/d2.json").exists(),
        "an ambiguous send is kept without --may-duplicate"
    );
    let queued: Vec<Value> = std::fs::read_dir(&q)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "d1.json" && e.file_name() != "broken.json")
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
        .collect();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["payloads"][0]["text"], REPLY);
    assert_eq!(queued[0]["session"]["key"], DISCORD);
    assert_eq!(queued[0]["channel"], "discord");
    assert_eq!(queued[0]["retryCount"], 0);
    let (after, _) = env.scan_json();
    assert!(
        findings_with(&after, "reply-unsent").is_empty(),
        "queued once, not found again"
    );
    assert!(findings_with(&after, "reply-dead-lettered").is_empty());
    // A second repair queues nothing twice.
    let again = run(
        &env,
        &["repair", "--dry-run", "--json", "--send-unsent-replies"],
    );
    let plan: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(plan["plan"].get("queues").is_none(), "{plan}");

    let undo = run(&env, &["undo", "--yes"]);
    assert_eq!(undo.status.code(), Some(0), "{undo:?}");
    assert_eq!(before, tree_digest(&q), "undo gave the queue back");
}

/// `--may-duplicate` requeues a send that may have reached the chat, its
/// send state cleared; without `--requeue-replies` it is a usage error.
#[test]
fn an_ambiguous_send_is_requeued_only_when_acknowledged() {
    let env = Env::fixture("example");
    let q = queue(&env);
    write_json(
        &q.join("failed/d2.json"),
        &dead_letter(
            "d2",
            json!({"recoveryState": "unknown_after_send", "platformSendStartedAt": 5}),
        ),
    );
    assert_eq!(env.code(&["repair", "--yes", "--may-duplicate"]), Some(2));
    let out = run(
        &env,
        &["repair", "--yes", "--requeue-replies", "--may-duplicate"],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let d2: Value = serde_json::from_slice(&std::fs::read(q.join("d2.json")).unwrap()).unwrap();
    assert!(d2.get("recoveryState").is_none() && d2.get("platformSendStartedAt").is_none());
}

/// A release that sends resumed replies itself (2026.6.1+) is not told a
/// reply is unsent, and `--send-unsent-replies` writes nothing.
#[test]
fn later_releases_send_resumed_replies_themselves() {
    let env = resumed_env();
    let out = run_on(&env, "2026.7.35", &["scan", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings_with(&report, "reply-unsent").is_empty());
}

/// The 2026.6.1-7.x queue table, as 2026.7.35 makes it.
fn queue_db(env: &Env) -> PathBuf {
    let db = env.state().join("state/openclaw.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let c = Connection::open(&db).unwrap();
    c.execute_batch(
        "PRAGMA user_version = 9;
         CREATE TABLE delivery_queue_entries (queue_name TEXT NOT NULL, id TEXT NOT NULL,
           status TEXT NOT NULL, entry_kind TEXT, session_key TEXT, channel TEXT, target TEXT,
           account_id TEXT, retry_count INTEGER NOT NULL DEFAULT 0, last_attempt_at INTEGER,
           last_error TEXT, recovery_state TEXT, platform_send_started_at INTEGER,
           entry_json TEXT NOT NULL, enqueued_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
           failed_at INTEGER, PRIMARY KEY (queue_name, id));",
    )
    .unwrap();
    let entry = dead_letter("r1", json!({}));
    c.execute(
        "INSERT INTO delivery_queue_entries VALUES ('outbound','r1','failed','outbound',
           'agent:main:feishu:direct:ou_1','feishu','user:ou_1',NULL,1,1795400001000,
           'Error: Outbound not configured for channel: feishu',NULL,NULL,?1,1795400000000,
           1795400001000,1795400001000)",
        [entry.to_string()],
    )
    .unwrap();
    db
}

fn row(db: &Path) -> (String, i64, Option<String>, Option<i64>, Value) {
    let c = Connection::open(db).unwrap();
    c.query_row(
        "SELECT status, retry_count, last_error, failed_at, entry_json FROM delivery_queue_entries",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                serde_json::from_str(&r.get::<_, String>(4)?).unwrap(),
            ))
        },
    )
    .unwrap()
}

/// A 2026.7.35 dead letter in `state/openclaw.sqlite`: a warning on its own
/// release, an error when 2026.9.6 (which deletes it at its first start) is
/// the next; `--requeue-replies` makes it pending in its columns and its
/// `entry_json` alike; `undo` puts the row back.
#[test]
fn a_sqlite_dead_letter_is_requeued_before_an_upgrade_deletes_it() {
    let env = Env::fixture("example");
    let db = queue_db(&env);
    let scan = |v: &str| -> Value {
        let out = run_on(&env, v, &["scan", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let on_7 = scan("2026.7.35");
    let dead = findings_with(&on_7, "reply-dead-lettered");
    assert_eq!(dead.len(), 1, "{}", on_7["findings"]);
    assert_eq!(dead[0]["key"], "agent:main:feishu:direct:ou_1");
    let on_9 = scan("2026.9.6");
    let lost = findings_with(&on_9, "reply-lost-on-upgrade");
    assert_eq!(lost.len(), 1, "{}", on_9["findings"]);
    assert_eq!(lost[0]["severity"], "error");

    let before = row(&db);
    let out = run_on(&env, "2026.7.35", &["repair", "--yes", "--requeue-replies"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let (status, retries, error, failed_at, entry) = row(&db);
    assert_eq!(
        (status.as_str(), retries, error, failed_at),
        ("pending", 0, None, None)
    );
    assert_eq!(entry["retryCount"], 0);
    assert!(entry.get("lastError").is_none() && entry.get("lastAttemptAt").is_none());
    assert_eq!(entry["payloads"][0]["text"], "reply r1");
    let undo = run_on(&env, "2026.7.35", &["undo", "--yes"]);
    assert_eq!(undo.status.code(), Some(0), "{undo:?}");
    assert_eq!(before, row(&db), "undo put the row back");
}

/// `--prune-dead-letters` removes only dead letters older than it, and
/// `undo` brings them back.
#[test]
fn old_dead_letters_are_pruned_and_undone() {
    let env = Env::fixture("example");
    let q = queue(&env);
    write_json(&q.join("failed/old.json"), &dead_letter("old", json!({})));
    let recent = dead_letter("new", json!({"lastAttemptAt": 1_795_489_000_000_i64}));
    write_json(&q.join("failed/new.json"), &recent);
    let out = run(&env, &["repair", "--yes", "--prune-dead-letters", "1d"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    assert!(!q.join("failed/old.json").exists());
    assert!(q.join("failed/new.json").exists(), "younger than 1d");
    assert_eq!(env.code(&["undo", "--yes"]), Some(0));
    assert!(q.join("failed/old.json").exists());
}

/// A real state's phase (`tests/cases/delivery/<release>/seed/<phase>/`,
/// recorded by `oracle/delivery.py` from the real gateway).
fn case(release: &str, phase: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/delivery")
        .join(release)
        .join("seed")
        .join(phase)
}

/// 2026.5.12 as the oracle left it after resuming the turn with its channel
/// not ready: the reply only in the transcript (the prompt folded into a
/// queued message). Found, and queued for the session's own chat.
#[test]
fn the_real_5_12_resumed_reply_is_found_and_queued() {
    let dir = case("2026.5.12", "2-after-resume-unready");
    let env = Env::empty();
    let mut row: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(dir.join("session-row.json")).unwrap()).unwrap();
    let (key, entry) = row.iter_mut().next().unwrap();
    let key = key.clone();
    entry.as_object_mut().unwrap().remove("sessionFile");
    let id = entry["sessionId"].as_str().unwrap().to_string();
    let sessions = env.sessions("main");
    write_json(&sessions.join("sessions.json"), &Value::Object(row.clone()));
    std::fs::copy(
        dir.join("transcript-tail.jsonl"),
        sessions.join(format!("{id}.jsonl")),
    )
    .unwrap();
    let run_at = |args: &[&str]| env.run_at("2026-12-05T00:00:00Z", args);
    let report: Value = serde_json::from_slice(&run_at(&["scan", "--json"]).stdout).unwrap();
    let unsent = findings_with(&report, "reply-unsent");
    assert_eq!(unsent.len(), 1, "{}", report["findings"]);
    assert_eq!(unsent[0]["key"], key.as_str());
    let out = run_at(&["repair", "--yes", "--send-unsent-replies"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(env.state().join("delivery-queue"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let q: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(
        (q["channel"].as_str(), q["to"].as_str()),
        (Some("standin"), Some("ou_oracle"))
    );
    assert_eq!(
        q["payloads"][0]["text"],
        "Done: the stand-in model answered."
    );
}

/// The rows of a recorded `delivery_queue_entries.json`, in a state
/// database with the same columns.
fn rows_db(env: &Env, rows_json: &Path) -> PathBuf {
    let rows: Vec<serde_json::Map<String, Value>> =
        serde_json::from_slice(&std::fs::read(rows_json).unwrap()).unwrap();
    let db = env.state().join("state/openclaw.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let c = Connection::open(&db).unwrap();
    c.execute_batch("PRAGMA user_version = 9").unwrap();
    let cols: Vec<String> = rows[0].keys().cloned().collect();
    c.execute_batch(&format!(
        "CREATE TABLE delivery_queue_entries ({}, PRIMARY KEY (queue_name, id))",
        cols.join(", ")
    ))
    .unwrap();
    for r in &rows {
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let vals: Vec<rusqlite::types::Value> = cols
            .iter()
            .map(|k| match &r[k] {
                Value::Null => rusqlite::types::Value::Null,
                Value::Number(n) => rusqlite::types::Value::Integer(n.as_i64().unwrap()),
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                v => rusqlite::types::Value::Text(v.to_string()),
            })
            .collect();
        c.execute(
            &format!(
                "INSERT INTO delivery_queue_entries VALUES ({})",
                marks.join(", ")
            ),
            rusqlite::params_from_iter(vals),
        )
        .unwrap();
    }
    db
}

/// 2026.7.35 as the oracle left it: after the resumed reply's live send
/// failed on the not-ready channel, one pending row (retry 1) that the next
/// boot dead-letters at once; after that boot, the dead letter, which
/// `--requeue-replies` puts back.
#[test]
fn the_real_7_35_rows_are_retrying_then_dead_and_requeued() {
    let scan = |env: &Env| -> Value {
        let out = run_on(env, "2026.7.35", &["scan", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let env = Env::empty();
    rows_db(
        &env,
        &case("2026.7.35", "2-after-resume-unready").join("delivery_queue_entries.json"),
    );
    let r = scan(&env);
    let retrying = findings_with(&r, "reply-retrying");
    assert_eq!(retrying.len(), 1, "{}", r["findings"]);
    assert!(retrying[0]["message"]
        .as_str()
        .unwrap()
        .contains("dead-letters it at once"));
    assert_eq!(retrying[0]["key"], "agent:main:standin:direct:ou_oracle");

    let env = Env::empty();
    let db = rows_db(
        &env,
        &case("2026.7.35", "3-after-second-unready-boot").join("delivery_queue_entries.json"),
    );
    let r = scan(&env);
    assert_eq!(
        findings_with(&r, "reply-dead-lettered").len(),
        1,
        "{}",
        r["findings"]
    );
    let out = run_on(&env, "2026.7.35", &["repair", "--yes", "--requeue-replies"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let c = Connection::open(&db).unwrap();
    let (status, retries): (String, i64) = c
        .query_row(
            "SELECT status, retry_count FROM delivery_queue_entries WHERE queue_name = 'outbound'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), retries), ("pending", 0));
}

/// A pending reply whose error can never succeed (openclaw#23777) is told
/// so, and `--dead-letter-failing` moves it to `failed/` unchanged; `undo`
/// puts it back. A readiness error is never taken so.
#[test]
fn a_reply_that_can_never_succeed_stops_replaying_on_request() {
    let env = Env::fixture("example");
    let q = queue(&env);
    let failing = dead_letter(
        "p1",
        json!({"retryCount": 2, "lastError": "No conversation reference found for user:29:1abc"}),
    );
    write_json(&q.join("p1.json"), &failing);
    write_json(&q.join("p2.json"), &dead_letter("p2", json!({})));
    // The gateway makes failed/ with the queue dir (ensureJsonDurableQueueDirs).
    std::fs::create_dir(q.join("failed")).unwrap();
    let (report, _) = env.scan_json();
    let retrying = findings_with(&report, "reply-retrying");
    assert_eq!(retrying.len(), 2, "{}", report["findings"]);
    let p1 = retrying
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("p1.json"))
        .unwrap();
    assert!(p1["fix"]
        .as_str()
        .unwrap()
        .contains("--dead-letter-failing"));
    let before = tree_digest(&q);
    let bytes = std::fs::read(q.join("p1.json")).unwrap();
    let out = run(&env, &["repair", "--yes", "--dead-letter-failing"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    assert!(!q.join("p1.json").exists());
    assert_eq!(
        std::fs::read(q.join("failed/p1.json")).unwrap(),
        bytes,
        "kept whole"
    );
    assert!(
        q.join("p2.json").exists(),
        "a readiness error may yet succeed"
    );
    assert_eq!(env.code(&["undo", "--yes"]), Some(0));
    assert_eq!(before, tree_digest(&q));
}

/// (queue_name, id, status, recovery_state, last_error, entry_json).
type Row<'a> = (
    &'a str,
    String,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Value,
);

/// A queue table as 2026.8.1+ make it (the 7.x columns; state schema 18, as
/// 2026.9.6's), with `rows` of (queue_name, id, status, recovery_state,
/// last_error, entry_json).
fn custody_db(env: &Env, rows: &[Row<'_>]) -> PathBuf {
    let db = queue_db(env);
    let c = Connection::open(&db).unwrap();
    c.execute_batch("PRAGMA user_version = 18; DELETE FROM delivery_queue_entries;")
        .unwrap();
    for (ns, id, status, state, err, entry) in rows {
        c.execute(
            "INSERT INTO delivery_queue_entries (queue_name, id, status, session_key, channel, target, recovery_state, last_error, entry_json, enqueued_at, updated_at, failed_at)
             VALUES (?1, ?2, ?3, ?4, 'telegram', '42', ?5, ?6, ?7, 1795000000000, 1795000000000, 1795000001000)",
            rusqlite::params![
                ns,
                id,
                status,
                entry.get("session").map(|s| s["key"].as_str().unwrap().to_string()),
                state,
                err,
                entry.to_string()
            ],
        )
        .unwrap();
    }
    db
}

/// States rebuilt from the public reports the issue names; each reply a
/// user never gets is named with its code, and the repair the finding
/// offers does what it says.
#[test]
fn the_public_reports_states_are_named() {
    // openclaw#112313 / #126522: 2026.8+ dead letters compacted to
    // payload-free tombstones, never pruned ("outbound: 764").
    let env = Env::fixture("example");
    let tombstone = |i: usize| {
        (
            "outbound-prepared-v1",
            format!("t{i}"),
            "failed",
            Some("completed_permanent"),
            None,
            json!({"id": format!("t{i}"), "enqueuedAt": 1_795_000_000_000_i64, "retryCount": 5, "failedAt": 1_795_000_001_000_i64, "completionRetention": "permanent", "recoveryState": "completed_permanent"}),
        )
    };
    let rows: Vec<_> = (0..764).map(tombstone).collect();
    let db = custody_db(&env, &rows);
    let run9 = |args: &[&str]| run_on(&env, "2026.9.6", args);
    let r: Value = serde_json::from_slice(&run9(&["scan", "--json"]).stdout).unwrap();
    let old = findings_with(&r, "dead-letters-old");
    assert_eq!(old.len(), 1, "one finding with the count");
    assert!(old[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("764 dead letter(s)"));
    let out = run9(&["repair", "--yes", "--prune-dead-letters", "1d"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let left: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM delivery_queue_entries", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0);
    let out = run9(&["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let back: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM delivery_queue_entries", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(back, 764, "undo puts every dead letter back");

    // openclaw#119371: a send interrupted by the restart, or an adapter
    // lookup failure recorded as a send attempt (2026.6.x): ambiguous.
    // openclaw#91212: entries the 2026.6.1 recovery budget ran out on.
    // openclaw#23777: a permanent error replaying at every restart.
    let env = Env::fixture("example");
    let q = queue(&env);
    write_json(
        &q.join("a.json"),
        &dead_letter(
            "a",
            json!({"recoveryState": "send_attempt_started", "platformSendStartedAt": 1, "lastError": "Error: Unknown channel adapter: feishu"}),
        ),
    );
    write_json(
        &q.join("b.json"),
        &dead_letter(
            "b",
            json!({"retryCount": 3, "lastError": "recovery time budget exceeded"}),
        ),
    );
    write_json(
        &q.join("c.json"),
        &dead_letter(
            "c",
            json!({"retryCount": 2, "lastError": "No conversation reference found for user:29:1abc"}),
        ),
    );
    let (r, _) = env.scan_json();
    let code_of = |file: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(file)))
            .map(|f| f["code"].as_str().unwrap().to_string())
    };
    assert_eq!(code_of("a.json").as_deref(), Some("reply-ambiguous"));
    assert_eq!(code_of("b.json").as_deref(), Some("reply-retrying"));
    assert_eq!(code_of("c.json").as_deref(), Some("reply-retrying"));

    // 2026.7.x dead letters the first 2026.8.1+ start deletes: an error on
    // 2026.9.6, and legacy pending rows 2026.9.5+ ignore.
    let env = Env::fixture("example");
    let legacy = dead_letter("l1", json!({}));
    let rows = vec![("outbound", "l1".to_string(), "pending", None, None, legacy)];
    custody_db(&env, &rows);
    Connection::open(env.state().join("state/openclaw.sqlite"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 9")
        .unwrap();
    let r: Value =
        serde_json::from_slice(&run_on(&env, "2026.9.6", &["scan", "--json"]).stdout).unwrap();
    assert_eq!(
        findings_with(&r, "queue-legacy-ignored").len(),
        1,
        "{}",
        r["findings"]
    );
}
