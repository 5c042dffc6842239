//! `schema/scan.schema.json` and `schema/repair.schema.json` describe what
//! `scan --json` and `repair --json` print: every fixture's documents (known
//! and unknown release, dry and real runs, nothing to do) must validate.
#![cfg(unix)] // the harness (tests/common) is Unix-only: modes, signals, /proc, ptys

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
    let mut releases: Vec<&str> = sessfix::rules::lines::ALL.iter().map(|l| l.name).collect();
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
