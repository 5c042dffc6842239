//! `schema/scan.schema.json` and `schema/repair.schema.json` describe what
//! `scan --json` and `repair --json` print: every fixture's documents (known
//! and unknown release, dry and real runs, nothing to do) must validate.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

/// Resolves the schemas' `$id`s to the committed files: nothing is fetched.
struct Local;

impl jsonschema::Retrieve for Local {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or("");
        Ok(schema_file(name))
    }
}

fn schema_file(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(name);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn validator(name: &str) -> jsonschema::Validator {
    jsonschema::options()
        .with_retriever(Local)
        .should_validate_formats(true)
        .build(&schema_file(name))
        .unwrap_or_else(|e| panic!("{name} is not a valid schema: {e}"))
}

fn check(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

fn json_of(out: std::process::Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn every_json_document_matches_its_schema() {
    let scan = validator("scan.schema.json");
    let repair = validator("repair.schema.json");
    for f in ALL_FIXTURES {
        // "" leaves the release unknown: every line is predicted.
        for release in [RELEASE, ""] {
            let env = Env::fixture(f);
            let what = format!("{f} (release {release:?})");
            let run = |args: &[&str]| {
                json_of(
                    env.cmd()
                        .env("SESSFIX_OPENCLAW_VERSION", release)
                        .args(args)
                        .output()
                        .unwrap(),
                    &what,
                )
            };
            check(&scan, &run(&["scan", "--json"]), &format!("scan: {what}"));
            let dry = run(&["repair", "--dry-run", "--json"]);
            check(&repair, &dry, &format!("dry run: {what}"));
            check(
                &scan,
                &{
                    let mut r = dry["report"].clone();
                    r["schemaVersion"] = 1.into();
                    r
                },
                &format!("dry run report: {what}"),
            );
            let restore = run(&["repair", "--dry-run", "--json", "--restore-index"]);
            check(&repair, &restore, &format!("restore dry run: {what}"));
            let real = run(&["repair", "--yes", "--json"]);
            check(&repair, &real, &format!("repair: {what}"));
            let again = run(&["repair", "--yes", "--json"]);
            check(&repair, &again, &format!("second repair: {what}"));
            assert_eq!(again["applied"], false, "{what}");
        }
    }
}

#[test]
fn the_schemas_catch_what_other_tools_must_not_see() {
    let scan = validator("scan.schema.json");
    let env = Env::fixture("graceful-restart");
    let (doc, _) = env.scan_json();
    check(&scan, &doc, "as printed");
    // A float timestamp, a missing schemaVersion, an unknown nextBoot.
    let mut bad = doc.clone();
    bad["sessions"][0]["updatedAt"] = serde_json::json!(1.5e12 + 0.5);
    assert!(!scan.is_valid(&bad), "a float updatedAt passes");
    let mut bad = doc.clone();
    bad.as_object_mut().unwrap().remove("schemaVersion");
    assert!(!scan.is_valid(&bad), "no schemaVersion passes");
    let mut bad = doc;
    bad["sessions"][0]["nextBoot"] = "maybe".into();
    assert!(!scan.is_valid(&bad), "an unknown nextBoot passes");
    // Plan values are JSON values, not JSON text in strings.
    let repair = validator("repair.schema.json");
    let out = env
        .cmd()
        .args(["repair", "--dry-run", "--json"])
        .output()
        .unwrap();
    let doc = json_of(out, "dry run");
    let change = &doc["plan"]["indexes"][0]["edits"][0]["changes"][0];
    assert_eq!(change["field"], "abortedLastRun");
    assert_eq!(change["before"], false);
    assert_eq!(change["after"], true);
    check(&repair, &doc, "dry run");
}

#[test]
fn sqlite_era_edits_match_the_repair_schema() {
    let scan = validator("scan.schema.json");
    let repair = validator("repair.schema.json");
    let key = "agent:main:feishu:direct:ou_live";
    let env = Env::fixture("sqlite-tombstoned");
    let run = |args: &[&str]| json_of(env.cmd().args(args).output().unwrap(), "sqlite-tombstoned");
    check(&scan, &run(&["scan", "--json"]), "scan");
    let dry = run(&["repair", "--dry-run", "--json", "--untombstone", key]);
    assert_eq!(dry["plan"]["sqlite"][0]["action"], "untombstone", "{dry}");
    check(&repair, &dry, "dry run");
    let real = run(&["repair", "--yes", "--json", "--untombstone", key]);
    assert_eq!(real["applied"], true, "{real}");
    check(&repair, &real, "real run");
}

/// Every fixture state, not only `ALL_FIXTURES`, on every line's first
/// release and with the release unknown: `scan --json` and the dry run's
/// document validate (the fields a rarer state adds, such as a gateway whose
/// liveness is unknown, included).
#[test]
fn every_fixture_on_every_line_matches_the_schemas() {
    let scan = validator("scan.schema.json");
    let repair = validator("repair.schema.json");
    let all = sessfix::rules::lines::ALL;
    // On Windows (run under Wine, where a run of sessfix costs about 70 ms
    // and every line took this test to 167 s of CI's busiest stretch), each
    // era's first and last line: what a document's shape owes to the OS is
    // its paths, and the Wine job compares every fixture's documents with
    // the Linux build's byte for byte (.ci/wine/fixtures.py).
    let era_edge = |i: usize| {
        i == 0 || i + 1 == all.len() || all[i - 1].era != all[i].era || all[i + 1].era != all[i].era
    };
    let mut releases: Vec<&str> = (0..all.len())
        .filter(|&i| !cfg!(windows) || era_edge(i))
        .map(|i| all[i].name)
        .collect();
    releases.push("");
    let mut checked = 0;
    for dir in std::fs::read_dir(fixtures()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.join("state").is_dir() {
            continue;
        }
        let f = dir.file_name().unwrap().to_string_lossy().into_owned();
        let env = Env::fixture(&f);
        for release in &releases {
            let what = format!("{f} (release {release:?})");
            let run = |args: &[&str]| {
                let out = env
                    .cmd()
                    .env("SESSFIX_OPENCLAW_VERSION", release)
                    .args(args)
                    .output()
                    .unwrap();
                json_of(out, &what)
            };
            check(&scan, &run(&["scan", "--json"]), &format!("scan: {what}"));
            let dry = run(&["repair", "--dry-run", "--json"]);
            check(&repair, &dry, &format!("dry run: {what}"));
            checked += 1;
        }
    }
    assert!(
        checked >= ALL_FIXTURES.len() * releases.len(),
        "{checked} runs"
    );
}

/// `undo --list --json` and `undo --dry-run --json` match
/// `schema/undo.schema.json`: no run, runs undone and not, a file changed
/// since, a newer run in the way; and what must not pass does not.
#[test]
fn undo_documents_match_the_undo_schema() {
    let undo = validator("undo.schema.json");
    let env = Env::fixture("dead-pid-lock");
    let run = |args: &[&str]| json_of(env.cmd().args(args).output().unwrap(), "undo");
    check(&undo, &run(&["undo", "--list", "--json"]), "no run");
    env.cmd()
        .env("SESSFIX_NOW", "2026-11-24T03:00:00Z")
        .args(["repair", "--yes"])
        .assert()
        .code(0);
    let lock = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock";
    let from = fixtures()
        .join("dead-pid-lock/state/agents/main/sessions")
        .join(lock);
    std::fs::copy(from, env.sessions("main").join(lock)).unwrap();
    env.cmd()
        .env("SESSFIX_NOW", "2026-11-24T04:00:00Z")
        .args(["repair", "--yes"])
        .assert()
        .code(0);
    let list = run(&["undo", "--list", "--json"]);
    check(&undo, &list, "two runs");
    let older = list["runs"][1]["id"].as_str().unwrap().to_string();
    let blocked = run(&["undo", "--dry-run", "--json", "--run", &older]);
    assert_eq!(
        blocked["blockedBy"].as_array().unwrap().len(),
        1,
        "{blocked}"
    );
    check(&undo, &blocked, "blocked");
    check(&undo, &run(&["undo", "--dry-run", "--json"]), "dry run");
    env.cmd().args(["undo", "--yes"]).assert().code(0);
    check(&undo, &run(&["undo", "--list", "--json"]), "one undone");
    let changed = run(&["undo", "--dry-run", "--json"]);
    assert_eq!(changed["files"][1]["verdict"], "changed", "{changed}");
    check(&undo, &changed, "changed since");
    // a run with an unreadable manifest is listed with its error
    let bad = env.state().join("sessfix-backups/20261124T050000.000Z-1");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("manifest.json"), "{").unwrap();
    let list = run(&["undo", "--list", "--json"]);
    assert!(list["runs"][0]["error"].is_string(), "{list}");
    check(&undo, &list, "unreadable manifest");

    let mut wrong = list.clone();
    wrong["runs"][1]["undone"] = "yes".into();
    assert!(!undo.is_valid(&wrong), "a string undone passes");
    let mut wrong = changed;
    wrong["files"][0]["verdict"] = "maybe".into();
    assert!(!undo.is_valid(&wrong), "an unknown verdict passes");
}

/// The delivery queues' edits are in `repair --dry-run --json` (files under
/// `queues`, rows under `sqlite`) and match the schema, as does the real
/// run's document.
#[test]
fn delivery_queue_edits_match_the_repair_schema() {
    let repair = validator("repair.schema.json");
    let env = Env::fixture("example");
    let q = env.state().join("delivery-queue");
    std::fs::create_dir_all(q.join("failed")).unwrap();
    let entry = |id: &str, extra: Value| {
        let mut v = serde_json::json!({"id": id, "enqueuedAt": 1_795_400_000_000_i64, "channel": "feishu", "to": "user:ou_1", "payloads": [{"text": "hi"}], "retryCount": 1, "lastError": "Error: Outbound not configured for channel: feishu"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v.to_string()
    };
    std::fs::write(q.join("failed/d1.json"), entry("d1", serde_json::json!({}))).unwrap();
    let ambiguous = serde_json::json!({"recoveryState": "unknown_after_send"});
    std::fs::write(q.join("failed/d2.json"), entry("d2", ambiguous)).unwrap();
    let never = serde_json::json!({"lastError": "400: Bad Request: chat not found"});
    std::fs::write(q.join("d3.json"), entry("d3", never)).unwrap();
    let db = env.state().join("state/openclaw.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "PRAGMA user_version = 9;
         CREATE TABLE delivery_queue_entries (queue_name TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, entry_kind TEXT, session_key TEXT, channel TEXT, target TEXT, account_id TEXT, retry_count INTEGER NOT NULL DEFAULT 0, last_attempt_at INTEGER, last_error TEXT, recovery_state TEXT, platform_send_started_at INTEGER, entry_json TEXT NOT NULL, enqueued_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, failed_at INTEGER, PRIMARY KEY (queue_name, id));",
    )
    .unwrap();
    c.execute(
        "INSERT INTO delivery_queue_entries (queue_name, id, status, entry_kind, channel, target, retry_count, entry_json, enqueued_at, updated_at, failed_at) VALUES ('outbound', 'r1', 'failed', 'outbound', 'feishu', 'user:ou_1', 1, ?1, 1795400000000, 1795400000000, 1795400000000)",
        [entry("r1", serde_json::json!({}))],
    )
    .unwrap();
    drop(c);
    let run = |args: &[&str]| {
        let out = env
            .cmd()
            .env("SESSFIX_OPENCLAW_VERSION", "2026.5.12")
            .args(args)
            .output()
            .unwrap();
        json_of(out, "delivery")
    };
    let flags = [
        "--requeue-replies",
        "--dead-letter-failing",
        "--prune-dead-letters",
        "1h",
    ];
    let dry = run(&[&["repair", "--dry-run", "--json"][..], &flags].concat());
    let actions: Vec<&str> = dry["plan"]["queues"]
        .as_array()
        .unwrap_or_else(|| panic!("no queues in the plan: {dry}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["dead-letter", "requeue", "prune"], "{dry}");
    assert_eq!(
        dry["plan"]["queues"][1]["changes"][0]["after"], 0,
        "a value"
    );
    assert_eq!(dry["plan"]["sqlite"][0]["action"], "requeue", "{dry}");
    check(&repair, &dry, "dry run");
    let real = run(&[&["repair", "--yes", "--json"][..], &flags].concat());
    assert_eq!(real["applied"], true, "{real}");
    check(&repair, &real, "real run");
}
