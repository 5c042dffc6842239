//! A lost index (missing, empty, unparseable) and its intact copies: found,
//! named, never removed, restored with `repair --restore-index`, undone.

mod common;
use common::*;
use std::path::PathBuf;

const FIXTURE: &str = "zero-index-complete-tmp";
const TEMP: &str = "sessions.json.6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b.tmp";
const DM: &str = "agent:main:discord:direct:112233445566778899";

fn index(env: &Env) -> PathBuf {
    env.sessions("main").join("sessions.json")
}

fn temp(env: &Env) -> PathBuf {
    env.sessions("main").join(TEMP)
}

fn tree(env: &Env) -> Vec<(String, u32, Vec<u8>)> {
    tree_digest(&env.state())
}

fn finding<'a>(r: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {:#}", r["findings"]))
}

fn recovery(r: &serde_json::Value) -> &serde_json::Value {
    &r["agents"][0]["store"]["recovery"]
}

fn json_of(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The temp's entries with one change: what a restore that flags the
/// stranded DM must write.
fn temp_with_dm_flagged(env: &Env) -> serde_json::Value {
    let mut v = json_of(&temp(env));
    v[DM]["abortedLastRun"] = true.into();
    v
}

/// The one backup folder of `env`'s repairs, and its manifest.
fn only_backup(env: &Env) -> (PathBuf, serde_json::Value) {
    let backups = env.state().join("sessfix-backups");
    let run = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let m = json_of(&run.join("manifest.json"));
    (run, m)
}

#[test]
fn a_zero_byte_index_names_its_complete_temp_copy() {
    let env = Env::fixture(FIXTURE);
    let (r, code) = env.scan_json();
    assert_eq!(code, 1);
    let f = finding(&r, "index-invalid");
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains(TEMP), "{fix}");
    assert!(fix.contains("4 entries"), "{fix}");
    assert!(fix.contains("--restore-index"), "{fix}");
    let rec = recovery(&r);
    assert!(rec["restore"].as_str().unwrap().ends_with(TEMP));
    assert_eq!(rec["copies"][0]["source"], "temp");
    assert_eq!(rec["copies"][0]["entries"], 4);
    assert_eq!(rec["copies"][0]["transcriptsPresent"], 4);
    assert!(rec["copies"][0]["age"].is_string());
    assert_eq!(rec["restored"], false);
    // The temp is not a leftover to remove.
    assert!(!codes(&r).contains(&"temp-leftover".to_string()));
    assert!(codes(&r).contains(&"temp-complete".to_string()));
}

#[test]
fn repair_without_the_flag_never_moves_the_only_intact_copy() {
    let env = Env::fixture(FIXTURE);
    let before = std::fs::read(temp(&env)).unwrap();
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--restore-index` would restore") && text.contains(TEMP),
        "{text}"
    );
    assert!(
        !text.contains(&format!("remove {}", temp(&env).display())),
        "{text}"
    );
    env.cmd().args(["repair", "--yes"]).assert().code(6);
    assert_eq!(
        std::fs::read(temp(&env)).unwrap(),
        before,
        "the temp was moved"
    );
    assert_eq!(
        std::fs::read(index(&env)).unwrap(),
        b"",
        "the index was written"
    );
}

#[test]
fn restore_dry_run_shows_the_restore_and_the_flag_and_writes_nothing() {
    let env = Env::fixture(FIXTURE);
    let before = tree(&env);
    let out = env
        .cmd()
        .args(["repair", "--dry-run", "--restore-index"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    // Wrapped to the width: the words, whatever lines they are on.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("restore from {}", temp(&env).display())),
        "{text}"
    );
    assert!(
        text.contains(DM) && text.contains("abortedLastRun: false -> true"),
        "{text}"
    );
    let out = env
        .cmd()
        .args(["repair", "--dry-run", "--restore-index", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = &v["plan"]["indexes"][0];
    assert!(w["restoreFrom"]["path"].as_str().unwrap().ends_with(TEMP));
    assert_eq!(w["restoreFrom"]["replaces"], "invalid");
    assert_eq!(
        v["report"]["agents"][0]["store"]["recovery"]["restored"],
        true
    );
    env.cmd()
        .args(["repair", "--dry-run", "--restore-index", "--diff"])
        .assert()
        .code(1);
    assert_eq!(before, tree(&env), "a dry run changed the state");
}

#[test]
fn restore_then_undo_brings_the_zero_byte_original_back() {
    let env = Env::fixture(FIXTURE);
    let temp_bytes = std::fs::read(temp(&env)).unwrap();
    let out = env
        .cmd()
        .args(["repair", "--yes", "--restore-index"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = std::fs::read_to_string(index(&env)).unwrap();
    // Restored with the stranded row flagged in the same write, key order kept.
    let v: serde_json::Value = serde_json::from_str(&restored).unwrap();
    assert_eq!(v, temp_with_dm_flagged(&env));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let temp_v = json_of(&temp(&env));
    let temp_keys: Vec<&String> = temp_v.as_object().unwrap().keys().collect();
    assert_eq!(keys, temp_keys);
    assert_eq!(
        restored.len() + 1,
        temp_bytes.len(),
        "only `false` became `true`; every other byte is the copy's"
    );
    // The copy stays where it was, untouched.
    assert_eq!(std::fs::read(temp(&env)).unwrap(), temp_bytes);
    let (r, code) = env.scan_json();
    assert_eq!(code, 0, "{:#}", r["findings"]);
    assert_eq!(session(&r, DM)["nextBoot"], "resume");
    // The 0-byte original is in the backup, and undo brings it back, and
    // says not to start the gateway on it (exit 6).
    env.cmd().args(["undo", "--yes"]).assert().code(6);
    assert_eq!(std::fs::read(index(&env)).unwrap(), b"");
    assert_eq!(std::fs::read(temp(&env)).unwrap(), temp_bytes);
}

#[test]
fn a_missing_index_is_restored_from_a_rotation_backup_and_undo_removes_it_again() {
    let env = Env::fixture(FIXTURE);
    std::fs::remove_file(index(&env)).unwrap();
    let bak = env.sessions("main").join("sessions.json.bak.1795143600000");
    std::fs::rename(temp(&env), &bak).unwrap();
    let bak_bytes = std::fs::read(&bak).unwrap();
    let (r, code) = env.scan_json();
    assert_eq!(code, 1);
    let fix = finding(&r, "index-missing")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("sessions.json.bak.1795143600000"), "{fix}");
    assert_eq!(recovery(&r)["copies"][0]["source"], "rotation-backup");
    env.cmd()
        .args(["repair", "--yes", "--restore-index"])
        .assert()
        .code(0);
    let mut want = json_of(&bak);
    want[DM]["abortedLastRun"] = true.into();
    assert_eq!(json_of(&index(&env)), want);
    // Undone, the index is lost again beside its copy: exit 6.
    env.cmd().args(["undo", "--yes"]).assert().code(6);
    assert!(
        !index(&env).exists(),
        "undo must leave the index missing, as it was"
    );
    assert_eq!(std::fs::read(&bak).unwrap(), bak_bytes);
}

#[test]
fn an_unparseable_index_is_restored_from_a_sessfix_backup() {
    let env = Env::fixture(FIXTURE);
    let copy = std::fs::read(temp(&env)).unwrap();
    std::fs::remove_file(temp(&env)).unwrap();
    std::fs::write(index(&env), b"{\"agent:main:main\": {\"sessionId\"").unwrap();
    // What an earlier sessfix run left: the index as it was, and its manifest.
    let run = env.state().join("sessfix-backups/20261101T000000.000Z-7");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("0001-sessions.json"), &copy).unwrap();
    let manifest = serde_json::json!({
        "created": "2026-11-01T00:00:00+00:00",
        "stateDir": env.state(),
        "entries": [{
            "path": index(&env), "action": "write", "backup": "0001-sessions.json",
            "mode": 384, "beforeSha256": "x", "afterSha256": "y", "truncatedTo": null, "done": true
        }]
    });
    std::fs::write(run.join("manifest.json"), manifest.to_string()).unwrap();
    let (r, _) = env.scan_json();
    assert_eq!(recovery(&r)["copies"][0]["source"], "sessfix-backup");
    assert!(recovery(&r)["restore"]
        .as_str()
        .unwrap()
        .ends_with("0001-sessions.json"));
    env.cmd()
        .args(["repair", "--yes", "--restore-index"])
        .assert()
        .code(0);
    let mut want: serde_json::Value = serde_json::from_slice(&copy).unwrap();
    want[DM]["abortedLastRun"] = true.into();
    assert_eq!(json_of(&index(&env)), want);
}

#[test]
fn of_two_copies_the_one_with_the_newest_content_is_restored() {
    let env = Env::fixture(FIXTURE);
    // An older rotation backup (one entry, older updatedAt), written after the
    // temp: its file is newer, its content is not.
    let bak = env.sessions("main").join("sessions.json.bak.1795100000000");
    let mut old = json_of(&temp(&env));
    let main = old["agent:main:main"].clone();
    old = serde_json::json!({ "agent:main:main": main });
    std::fs::write(&bak, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let (r, _) = env.scan_json();
    assert!(recovery(&r)["restore"].as_str().unwrap().ends_with(TEMP));
    assert_eq!(recovery(&r)["copies"].as_array().unwrap().len(), 2);
    // Now make the backup's content the newest: it wins.
    old["agent:main:main"]["updatedAt"] = 1_795_999_999_000u64.into();
    std::fs::write(&bak, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let (r, _) = env.scan_json();
    assert!(recovery(&r)["restore"]
        .as_str()
        .unwrap()
        .ends_with("sessions.json.bak.1795100000000"));
    // The copy restored lacks the sessions the temp has: their transcripts,
    // last active before its one entry, are named as dropped (exit 1).
    let out = env
        .cmd()
        .args(["repair", "--yes", "--restore-index"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(1 entry)"), "{text}");
    assert_eq!(json_of(&index(&env)), old);
    let (r, _) = env.scan_json();
    let dropped: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "session-dropped")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!dropped.is_empty());
    let temp = json_of(&temp(&env));
    for (key, e) in temp.as_object().unwrap() {
        let id = e["sessionId"].as_str().unwrap();
        let named = dropped.iter().any(|p| p.contains(id));
        assert_eq!(named, key != "agent:main:main", "{key}");
    }
}

#[test]
fn a_complete_temp_that_differs_from_a_valid_index_is_kept_and_named() {
    let env = Env::fixture("graceful-restart");
    let idx = index(&env);
    let mut newer = json_of(&idx);
    newer["agent:main:telegram:direct:1"] = serde_json::json!({"sessionId": "n1", "updatedAt": 1});
    let t = env
        .sessions("main")
        .join(".sessions.json.4242.6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b.tmp");
    std::fs::write(&t, serde_json::to_string_pretty(&newer).unwrap()).unwrap();
    // And one byte-identical to the index: a plain leftover.
    let same = env.sessions("main").join(".fs-safe-replace.4242.abc.tmp");
    std::fs::copy(&idx, &same).unwrap();
    let (r, _) = env.scan_json();
    let f = finding(&r, "temp-complete");
    assert!(f["path"].as_str().unwrap().ends_with(".tmp"));
    assert!(f["message"].as_str().unwrap().contains("sessions.json"));
    assert!(f["fix"].as_str().unwrap().contains(COPY_OVER));
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    assert!(t.exists(), "a complete differing temp was removed");
    assert!(
        !same.exists(),
        "a temp identical to the index stays a leftover"
    );
}

/// A repair killed after it wrote its temp and before it renamed it leaves
/// `.sessions.json.sessfix-<pid>-<n>.tmp`: the next repair removes it (its
/// bytes into the backup) and ends as a repair that was never interrupted.
#[test]
fn the_next_repair_removes_the_temp_of_a_killed_repair() {
    let clean = Env::fixture("graceful-restart");
    clean.cmd().args(["repair", "--yes"]).assert().code(0);
    let repaired = std::fs::read(index(&clean)).unwrap();

    let env = Env::fixture("graceful-restart");
    assert_ne!(std::fs::read(index(&env)).unwrap(), repaired);
    let t = env
        .sessions("main")
        .join(".sessions.json.sessfix-4242-0.tmp");
    std::fs::write(&t, &repaired).unwrap();
    let (r, _) = env.scan_json();
    assert!(!codes(&r).contains(&"temp-complete".to_string()));
    let f = finding(&r, "temp-leftover");
    assert!(f["path"].as_str().unwrap().ends_with("sessfix-4242-0.tmp"));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("sessfix repair (pid 4242)"),
        "{f:#}"
    );
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    assert!(!t.exists(), "the killed repair's temp stays");
    assert_eq!(std::fs::read(index(&env)).unwrap(), repaired);
    let (run, m) = only_backup(&env);
    let e = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("sessfix-4242-0.tmp"))
        .expect("the temp is in the backup");
    assert_eq!(e["action"], "remove");
    assert_eq!(
        std::fs::read(run.join(e["backup"].as_str().unwrap())).unwrap(),
        repaired
    );
}

/// sessfix's own temp is kept like any other complete copy when the index
/// is lost: then it may be the only intact copy.
#[test]
fn a_sessfix_temp_beside_a_lost_index_is_kept() {
    let env = Env::fixture(FIXTURE);
    let own = env.sessions("main").join(".sessions.json.sessfix-4242.tmp");
    std::fs::rename(temp(&env), &own).unwrap();
    let bytes = std::fs::read(&own).unwrap();
    let (r, _) = env.scan_json();
    assert!(!codes(&r).contains(&"temp-leftover".to_string()));
    assert!(codes(&r).contains(&"temp-complete".to_string()));
    assert!(recovery(&r)["restore"]
        .as_str()
        .unwrap()
        .ends_with("sessfix-4242.tmp"));
    env.cmd().args(["repair", "--yes"]).assert().code(6);
    assert_eq!(std::fs::read(&own).unwrap(), bytes);
    env.cmd()
        .args(["repair", "--yes", "--restore-index"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read(&own).unwrap(),
        bytes,
        "the restore source was touched"
    );
}

#[test]
fn a_torn_temp_is_still_removed_beside_a_kept_complete_one() {
    let env = Env::fixture(FIXTURE);
    let torn = env.sessions("main").join(".fs-safe-replace.4242.def.tmp");
    std::fs::write(
        &torn,
        b"{\n  \"agent:main:main\": {\n    \"sessionId\": \"0",
    )
    .unwrap();
    env.cmd()
        .args(["repair", "--yes", "--restore-index"])
        .assert()
        .code(0);
    assert!(!torn.exists(), "the torn temp is a leftover");
    assert!(temp(&env).exists(), "the complete temp stays");
    // Its bytes are in the backup.
    let (_, m) = only_backup(&env);
    assert!(m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "remove" && e["path"].as_str().unwrap().ends_with("def.tmp")));
}

#[test]
fn with_no_copy_the_transcripts_are_listed_for_a_rebuild() {
    let env = Env::fixture(FIXTURE);
    std::fs::remove_file(temp(&env)).unwrap();
    let (r, code) = env.scan_json();
    assert_eq!(code, 1);
    let fix = finding(&r, "index-invalid")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("no intact copy"), "{fix}");
    assert!(fix.contains("4 transcripts"), "{fix}");
    assert!(
        fix.contains("00000033-3a1d-4a53-9d7e-1f1c2d3e4f50"),
        "{fix}"
    );
    assert!(fix.contains("session keys"), "{fix}");
    let rec = recovery(&r);
    assert_eq!(rec["copies"].as_array().unwrap().len(), 0);
    assert!(rec["restore"].is_null());
    let rows = rec["rebuildable"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|h| h["sessionId"].is_string()
        && h["lastActivityMs"].is_number()
        && h["started"].is_string()));
    assert!(rec["notRebuildable"]
        .as_str()
        .unwrap()
        .contains("deliveryContext"));
    // Nothing is rebuilt or written (beside the run lock of the state dir).
    let agents = env.state().join("agents");
    let before = tree_digest(&agents);
    env.cmd()
        .args(["repair", "--yes", "--restore-index"])
        .assert()
        .code(1);
    assert!(
        tree_digest(&agents) == before,
        "repair wrote into the agents dir without a copy to restore"
    );
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_copy_that_changes_between_plan_and_write_is_not_restored() {
    let env = Env::fixture(FIXTURE);
    let child = env.spawn_stopped("write", &["repair", "--yes", "--restore-index"]);
    let mut v = json_of(&temp(&env));
    v[DM]["status"] = "done".into();
    std::fs::write(temp(&env), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(index(&env)).unwrap(),
        b"",
        "the index was written"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not restored"));
}

#[test]
fn every_temp_name_of_an_index_write_is_a_copy() {
    let uuid = "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
    for name in [
        format!("sessions.json.{uuid}.tmp"),
        format!("sessions.json.4242.{uuid}.tmp"),
        format!(".sessions.json.4242.{uuid}.tmp"),
        format!(".fs-safe-replace.4242.{uuid}.tmp"),
        format!(".fs-safe-move-4242-{uuid}.tmp"),
        format!(".fs-safe-4242-{uuid}.tmp"),
        format!(".sessions.json.{uuid}.fallback.tmp"),
        ".sessions.json.sessfix-4242.tmp".to_string(),
    ] {
        let env = Env::fixture(FIXTURE);
        std::fs::rename(temp(&env), env.sessions("main").join(&name)).unwrap();
        let (r, _) = env.scan_json();
        let rec = recovery(&r);
        assert_eq!(rec["copies"][0]["source"], "temp", "{name}");
        assert!(rec["restore"].as_str().unwrap().ends_with(&name), "{name}");
        env.cmd().args(["repair", "--yes"]).assert().code(6);
        assert!(
            env.sessions("main").join(&name).exists(),
            "{name} was removed"
        );
    }
}

/// An index a restart rebuilt (openclaw#66522): one entry, and two plain
/// transcripts last active 1 h and 20 h before it that no entry names; a
/// third, 40 days old, is history. Returns the dropped sessions' ids.
fn rebuilt_index_state(env: &Env) -> [String; 2] {
    let dir = env.sessions("main");
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = |id: &str, last_ms: i64| {
        let t = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339()
        };
        let header = serde_json::json!({"type": "session", "version": 3, "id": id, "timestamp": t(last_ms - 60_000)});
        let msg = serde_json::json!({"type": "message", "id": "a1", "parentId": null, "timestamp": t(last_ms),
            "message": {"role": "user", "content": [{"type": "text", "text": format!("hello from {id}")}]}});
        std::fs::write(
            dir.join(format!("{id}.jsonl")),
            format!("{header}\n{msg}\n"),
        )
        .unwrap();
    };
    let id = |n: u32| format!("{n:08x}-4e14-4c2d-9e3f-000000244014");
    let entry_ms = 1_776_158_700_000i64; // 2026-04-14T09:25:00Z
    std::fs::write(
        dir.join("sessions.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "agent:main:feishu:direct:ou_w3": {"sessionId": id(1), "updatedAt": entry_ms, "status": "done"}
        }))
        .unwrap(),
    )
    .unwrap();
    transcript(&id(1), entry_ms);
    transcript(&id(2), entry_ms - 3_600_000);
    transcript(&id(3), entry_ms - 20 * 3_600_000);
    transcript(&id(4), entry_ms - 40 * 86_400_000);
    [id(2), id(3)]
}

/// `--rebuild-dropped` adds an entry for each dropped session, under
/// `agent:main:restored:<id>` with its id and last activity, after the
/// index's own members (kept byte for byte); only when asked; old history is
/// not added; the dropped warnings go; `undo` puts the index back.
#[test]
fn rebuild_dropped_adds_an_entry_for_each_session_a_rebuilt_index_dropped() {
    let env = Env::empty();
    let dropped = rebuilt_index_state(&env);
    let idx = index(&env);
    let before = std::fs::read(&idx).unwrap();
    let now = "2026-04-14T10:30:00Z";
    let run = |args: &[&str]| env.run_at(now, args);
    // Without the flag nothing changes.
    let out = run(&["repair", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&idx).unwrap(), before);
    let plan: serde_json::Value = serde_json::from_slice(
        &run(&["repair", "--dry-run", "--json", "--rebuild-dropped"]).stdout,
    )
    .unwrap();
    let edits = plan["plan"]["indexes"][0]["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{plan:#}");
    assert!(edits.iter().all(|e| e["action"] == "rebuild"));
    assert_eq!(std::fs::read(&idx).unwrap(), before, "the dry run wrote");

    let out = run(&["repair", "--yes", "--rebuild-dropped"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read(&idx).unwrap();
    let last_brace = before.iter().rposition(|&b| b == b'}').unwrap();
    let entry_end = before[..last_brace]
        .iter()
        .rposition(|&b| b == b'}')
        .unwrap()
        + 1;
    assert_eq!(
        &after[..entry_end],
        &before[..entry_end],
        "the index's own bytes changed"
    );
    let v = json_of(&idx);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{v:#}");
    for id in &dropped {
        let e = &v[format!("agent:main:restored:{id}")];
        assert_eq!(e["sessionId"], id.as_str(), "{v:#}");
        assert!(e["updatedAt"].as_i64().unwrap() < 1_776_158_700_000);
    }
    let (r, _) = env
        .cmd()
        .env("SESSFIX_NOW", now)
        .args(["scan", "--json"])
        .output()
        .map(|o| {
            (
                serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
                o,
            )
        })
        .unwrap();
    assert!(findings_with(&r, "session-dropped").is_empty(), "{r:#}");
    env.cmd()
        .env("SESSFIX_NOW", now)
        .args(["undo", "--yes"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read(&idx).unwrap(),
        before,
        "undo did not restore the index"
    );
}

/// A copy modified after the report's time (a fixed `--now`, a clock set
/// back) says so, not "0s ago".
#[test]
fn a_copy_modified_after_the_reports_time_says_so() {
    let env = Env::fixture(FIXTURE);
    let later = filetime::FileTime::from_unix_time(1_795_500_000, 0); // 2026-11-24T06:40Z
    filetime::set_file_mtime(temp(&env), later).unwrap();
    let out = env.run_at("2026-11-24T03:00:00Z", &["scan", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fix = finding(&r, "index-invalid")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("modified 3h after the report's time"), "{fix}");
    let out = env.run_at("2026-11-24T07:40:00Z", &["scan", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fix = finding(&r, "index-invalid")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("modified 1h ago"), "{fix}");
}
