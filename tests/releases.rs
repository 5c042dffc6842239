//! Predictions and repairs follow the OpenClaw release line the next boot
//! runs (`--openclaw-version`), as measured on the real 2026.5.28, 6.5, 6.11,
//! 7.1-2 and 7.35 gateways; and with no release known, every line is
//! predicted and repair does only what is safe on all of them.

mod common;
use common::*;
use sessfix::rules::lines;

/// `sessfix <args> --json` for a release (`""`: none named), parsed, with
/// its exit code.
fn json_at(env: &Env, version: &str, args: &[&str]) -> (serde_json::Value, i32) {
    let out = env
        .cmd()
        .env("SESSFIX_OPENCLAW_VERSION", version)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

/// The names of the lines the report predicted (`openclaw.lines`).
fn line_names(r: &serde_json::Value) -> Vec<String> {
    r["openclaw"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

/// The lines predicted with no release known at `now` (RFC 3339), from the
/// line table: every line with boot recovery whose first release is out.
fn unknown_lines(now: &str) -> Vec<String> {
    let now_ms = chrono::DateTime::parse_from_rfc3339(now)
        .unwrap()
        .timestamp_millis();
    lines::unknown_release_lines(now_ms)
        .iter()
        .map(|l| l.name.to_string())
        .collect()
}

/// How a finding names the lines it was seen on: one line with its
/// releases (`2026.8.1 line (2026.8.1 to before 2026.9.6)`), or the names
/// (`2026.8.1, 2026.9.20 lines`).
fn label(lines: &[&&lines::LineRules]) -> String {
    match lines {
        [one] => format!("{} line ({})", one.name, lines::range_label(one)),
        _ => format!(
            "{} lines",
            lines.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn scan_at(env: &Env, version: &str) -> (serde_json::Value, i32) {
    json_at(env, version, &["scan"])
}

fn next_boot(r: &serde_json::Value, key: &str) -> String {
    session(r, key)["nextBoot"].as_str().unwrap().to_string()
}

/// The plan of `repair --dry-run --json` for a release.
fn dry_run_json(env: &Env, version: &str) -> serde_json::Value {
    json_at(env, version, &["repair", "--dry-run"]).0["plan"].clone()
}

fn set_mtime_before_now(path: &std::path::Path, secs: i64) {
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp();
    filetime::set_file_mtime(path, filetime::FileTime::from_unix_time(now - secs, 0)).unwrap();
}

#[test]
fn scan_says_which_release_it_predicts_for_and_where_that_came_from() {
    let env = Env::fixture("graceful-restart");
    let (r, _) = json_at(&env, "", &["--openclaw-version", "2026.6.11", "scan"]);
    assert_eq!(r["openclaw"]["version"], "2026.6.11");
    assert_eq!(r["openclaw"]["source"], "option");
    assert_eq!(r["openclaw"]["line"], "2026.6.9");
    let (r, _) = env.scan_json();
    assert_eq!(r["openclaw"]["source"], "env");
    assert_eq!(r["openclaw"]["line"], "2026.4.25");
    let text = env
        .cmd()
        .args(["--openclaw-version", "2026.7.1-2", "scan"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("openclaw:  2026.7.1-2 (from option: --openclaw-version); rules of the 2026.7.1 release line"),
        "{text}"
    );
    // a bad version is a usage error
    assert_eq!(env.code(&["--openclaw-version", "7.35", "scan"]), Some(2));
}

#[test]
fn a_graceful_restart_is_stranded_until_2026_6_9_whose_boot_marks_orphans_itself() {
    let env = Env::fixture("graceful-restart");
    for (v, want) in [
        ("2026.5.12", "stranded"),
        ("2026.5.28", "stranded"),
        ("2026.6.5", "stranded"),
        ("2026.6.11", "resume"),
        ("2026.7.1-2", "resume"),
        ("2026.7.35", "resume"),
    ] {
        let (r, code) = scan_at(&env, v);
        assert_eq!(next_boot(&r, FEISHU), want, "{v}");
        assert_eq!(code, if want == "stranded" { 1 } else { 0 }, "{v}");
        let plan = dry_run_json(&env, v);
        let edits = plan["indexes"].as_array().unwrap().len();
        assert_eq!(edits, usize::from(want == "stranded"), "{v}: {plan}");
    }
}

#[test]
fn from_2026_5_28_a_too_old_lock_of_a_live_openclaw_process_is_kept_and_repair_keeps_it() {
    let env = Env::fixture("live-openclaw-lock-31min");
    let lock = std::fs::read_dir(env.sessions("main"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".jsonl.lock"))
        .unwrap();
    for (v, want, removable) in [
        ("2026.5.12", "resume", true),
        ("2026.5.28", "stranded", false),
        ("2026.6.5", "stranded", false),
        ("2026.6.11", "fail", false),
        ("2026.7.35", "fail", false),
    ] {
        let (r, _) = scan_at(&env, v);
        assert_eq!(
            next_boot(&r, FEISHU),
            want,
            "{v}: {}",
            session(&r, FEISHU)["reason"]
        );
        assert_eq!(r["locks"][0]["removable"], removable, "{v}");
        let plan = dry_run_json(&env, v);
        let removes = plan["removals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["path"].as_str() == Some(&lock.to_string_lossy()));
        assert_eq!(removes, removable, "{v}: {plan}");
    }
    // a real repair on 5.28 leaves the lock and the row, and says why (exit 1)
    let out = env
        .cmd()
        .args(["--openclaw-version", "2026.5.28", "repair", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(lock.exists());
    assert!(String::from_utf8_lossy(&out.stdout).contains("held by live OpenClaw pid"));
}

#[test]
fn from_2026_5_28_a_lock_without_a_valid_payload_waits_out_its_grace_period() {
    let env = Env::fixture("lock-not-json");
    let lock = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock");
    set_mtime_before_now(&lock, 10);
    let (r, _) = scan_at(&env, "2026.5.12");
    assert_eq!(next_boot(&r, FEISHU), "resume", "5.12 removes it at once");
    let (r, _) = scan_at(&env, "2026.5.28");
    assert_eq!(next_boot(&r, FEISHU), "resume", "past 5.28's 5 s grace");
    let (r, _) = scan_at(&env, "2026.6.5");
    assert_eq!(next_boot(&r, FEISHU), "stranded", "inside 6.1's 30 s grace");
    assert_eq!(r["locks"][0]["removable"], false);
    let stale = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "lock-stale")
        .unwrap();
    assert_eq!(
        stale["severity"], "info",
        "the boot keeps it for now: no person needed"
    );
    assert!(dry_run_json(&env, "2026.6.5")["removals"]
        .as_array()
        .unwrap()
        .is_empty());
    set_mtime_before_now(&lock, 31);
    let (r, _) = scan_at(&env, "2026.6.5");
    assert_eq!(next_boot(&r, FEISHU), "resume");
    assert_eq!(r["locks"][0]["removable"], true);
}

#[test]
fn on_2026_6_9_and_later_restart_artifacts_still_fail_the_row_and_repair_cuts_them() {
    let env = Env::fixture("drain-timeout-artifacts");
    for v in ["2026.6.11", "2026.7.35"] {
        let (r, _) = scan_at(&env, v);
        let s = session(&r, FEISHU);
        assert_eq!(s["nextBoot"], "fail", "{v}: {}", s["reason"]);
        assert_eq!(s["restartArtifacts"], 2, "{v}");
        let plan = dry_run_json(&env, v);
        assert_eq!(
            plan["transcripts"].as_array().unwrap().len(),
            1,
            "{v}: {plan}"
        );
    }
    env.cmd()
        .args([
            "--openclaw-version",
            "2026.7.35",
            "repair",
            "--yes",
            "--quiet",
        ])
        .assert()
        .code(0);
    let (r, _) = scan_at(&env, "2026.7.35");
    assert_eq!(next_boot(&r, FEISHU), "resume");
}

#[test]
fn from_2026_7_1_a_session_of_an_agent_missing_from_the_config_is_never_resumed() {
    let env = Env::fixture("two-agents");
    let ops = "agent:ops:telegram:direct:5566778899";
    let config = env.state().join("openclaw.json");
    // no agents.list: only the default agent `main` is configured
    std::fs::write(&config, "{ gateway: { mode: 'local' } }").unwrap();
    let (r, _) = scan_at(&env, "2026.6.11");
    assert_eq!(next_boot(&r, ops), "resume");
    let (r, _) = scan_at(&env, "2026.7.35");
    assert_eq!(
        next_boot(&r, ops),
        "stranded",
        "{}",
        session(&r, ops)["reason"]
    );
    assert!(session(&r, ops)["reason"]
        .as_str()
        .unwrap()
        .contains("agents.list"));
    // a flag does not help there: repair leaves it and says why
    let plan = dry_run_json(&env, "2026.7.35");
    assert!(
        plan["leftAlone"].to_string().contains("agents.list"),
        "{plan}"
    );
    // listed: resumed
    std::fs::write(
        &config,
        "{ agents: { list: [ { id: 'main' }, { id: 'ops' } ] } }",
    )
    .unwrap();
    let (r, _) = scan_at(&env, "2026.7.35");
    assert_eq!(next_boot(&r, ops), "resume");
}

#[test]
fn before_2026_4_25_nothing_is_recovered_and_repair_only_ends_with_max_age() {
    let env = Env::fixture("graceful-restart");
    let (r, _) = scan_at(&env, "2026.3.8");
    assert_eq!(r["openclaw"]["line"], "2026.1.1");
    assert_eq!(next_boot(&r, FEISHU), "stranded");
    let plan = dry_run_json(&env, "2026.3.8");
    assert!(plan["indexes"].as_array().unwrap().is_empty(), "{plan}");
    assert!(plan["leftAlone"].to_string().contains("no boot recovery"));
    let out = env
        .cmd()
        .args([
            "--openclaw-version",
            "2026.3.8",
            "repair",
            "--dry-run",
            "--json",
            "--max-age",
            "1m",
        ])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["plan"]["indexes"][0]["edits"][0]["action"], "end",
        "{plan}"
    );
}

#[test]
fn with_no_release_known_every_line_is_predicted_and_repair_is_safe_for_all() {
    let env = Env::fixture("graceful-restart");
    let (r, _) = scan_at(&env, "");
    assert_eq!(r["openclaw"]["version"], serde_json::Value::Null);
    let expected = unknown_lines(NOW);
    assert_eq!(line_names(&r), expected);
    let s = session(&r, FEISHU);
    assert_eq!(s["nextBoot"], "unknown");
    let by: Vec<(String, String)> = s["nextBootByLine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_str().unwrap().into(),
                p["nextBoot"].as_str().unwrap().into(),
            )
        })
        .collect();
    let on = |line: &str| by.iter().find(|(l, _)| l == line).map(|(_, b)| b.as_str());
    assert_eq!(on("2026.4.25"), Some("stranded"));
    assert_eq!(on("2026.7.1"), Some("resume"));
    // A SQLite-era line that does not import a file store at boot does not
    // start (the store's finding says so, no row); 2026.9.6 imports the
    // index and resumes the row.
    let with_a_row: Vec<String> = expected
        .iter()
        .filter(|name| {
            let l = lines::by_name(name).unwrap();
            l.era == lines::Era::File || l.imports_legacy_store_at_boot
        })
        .cloned()
        .collect();
    let by_lines: Vec<String> = by.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(by_lines, with_a_row, "{by:?}");
    assert_eq!(on("2026.9.6"), Some("resume"));
    // The SQLite-era lines, those that import the store at boot (a row)
    // and those that do not start (no row), from the table.
    let sqlite: Vec<&lines::LineRules> = expected
        .iter()
        .map(|name| lines::by_name(name).unwrap())
        .filter(|l| l.era == lines::Era::Sqlite)
        .collect();
    let (importing, refusing): (Vec<&&lines::LineRules>, Vec<&&lines::LineRules>) =
        sqlite.iter().partition(|l| l.imports_legacy_store_at_boot);
    let why = s["reason"].as_str().unwrap();
    assert!(
        why.contains(&format!(
            "2026.6.9 to 2026.7.1: resume; {}",
            importing[0].name
        )),
        "a run of lines does not span the line with no row: {why}"
    );
    let finding = |code: &str| findings_with(&r, code)[0].clone();
    let unmigrated = finding("store-unmigrated");
    assert_eq!(unmigrated["severity"], "warning");
    let message = |f: &serde_json::Value| f["message"].as_str().unwrap().to_string();
    assert!(
        message(&unmigrated).starts_with(&format!("on OpenClaw {}: ", label(&refusing))),
        "{unmigrated}"
    );
    let imported = finding("store-imported-at-boot");
    assert!(
        message(&imported).starts_with(&format!("on OpenClaw {}: ", label(&importing))),
        "{imported}"
    );
    assert!(codes(&r).contains(&"release-unknown".to_string()));
    // Before 2026.8.1 is out, no SQLite-era line is predicted.
    let out = env
        .cmd()
        .env("SESSFIX_OPENCLAW_VERSION", "")
        .env("SESSFIX_NOW", "2026-07-07T07:25:00Z")
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let early: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let early_lines = unknown_lines("2026-07-07T07:25:00Z");
    assert_eq!(line_names(&early), early_lines);
    assert_eq!(early_lines.last().unwrap(), "2026.7.1");
    assert!(
        findings_with(&early, "store-unmigrated").is_empty(),
        "{early}"
    );

    // flagging is safe on every line: planned
    let plan = dry_run_json(&env, "");
    assert_eq!(plan["indexes"][0]["edits"][0]["action"], "flag", "{plan}");

    // removing a too-old lock of a live OpenClaw process is not safe on 5.28+
    let env = Env::fixture("live-openclaw-lock-31min");
    let plan = dry_run_json(&env, "");
    assert!(plan["removals"].as_array().unwrap().is_empty(), "{plan}");
}

#[test]
fn the_state_names_the_release_when_nothing_else_does() {
    let env = Env::fixture("graceful-restart");
    std::fs::write(
        env.state().join("openclaw.json"),
        "{ meta: { lastTouchedVersion: '2026.6.11', lastTouchedAt: '2026-06-20T00:00:00Z' } }",
    )
    .unwrap();
    let (r, _) = scan_at(&env, "");
    assert_eq!(r["openclaw"]["version"], "2026.6.11");
    assert_eq!(r["openclaw"]["source"], "config");
    assert_eq!(next_boot(&r, FEISHU), "resume");
    assert!(r["openclaw"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("an upgrade since then is not seen"));
}

#[test]
fn from_2026_6_9_the_startup_migration_salvages_a_json5_index_with_legacy_session_files() {
    let env = Env::fixture("json5-trailing-comma-dead-lock");
    let index = env.sessions("main").join("sessions.json");
    let (r, _) = scan_at(&env, "2026.6.11");
    assert_eq!(
        next_boot(&r, FEISHU),
        "lost",
        "an absolute sessionFile is no legacy file: nothing salvages the index"
    );
    // a relative sessionFile names a file missing from <state>/sessions/ and
    // present in the agent's sessions dir: the migration fires
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(
        &index,
        text.replace("/home/ops/.openclaw/agents/main/sessions/", ""),
    )
    .unwrap();
    for (v, want) in [
        ("2026.5.12", "lost"),
        ("2026.6.5", "lost"),
        ("2026.6.11", "resume"),
        ("2026.7.35", "resume"),
    ] {
        let (r, _) = scan_at(&env, v);
        assert_eq!(next_boot(&r, FEISHU), want, "{v}");
    }
    // a header naming another session is not the entry's file
    let transcript = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let t = std::fs::read_to_string(&transcript).unwrap();
    std::fs::write(&transcript, t.replacen("0b6c7f7e", "0b6c7f7f", 1)).unwrap();
    let (r, _) = scan_at(&env, "2026.6.11");
    assert_eq!(next_boot(&r, FEISHU), "lost");
}

fn scan_now(env: &Env, now: &str) -> serde_json::Value {
    let out = env
        .cmd()
        .env("SESSFIX_NOW", now)
        .args(["scan", "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_aborted_reply_that_holds_partial_output_is_a_restart_artifact_too() {
    let env = Env::fixture("drain-partial-output");
    let now = "2026-11-30T09:35:00Z";
    let keys = ["agent:main:feishu:direct:ou_live", "agent:main:main"];
    let r = scan_now(&env, now);
    for k in keys {
        assert_eq!(session(&r, k)["restartArtifacts"], 2, "{k}");
    }
    assert!(codes(&r).contains(&"restart-artifacts".to_string()));
    let transcripts: Vec<std::path::PathBuf> = keys
        .iter()
        .map(|k| session(&r, k)["transcript"].as_str().unwrap().into())
        .collect();
    let before: Vec<String> = transcripts
        .iter()
        .map(|t| std::fs::read_to_string(t).unwrap())
        .collect();
    env.cmd()
        .env("SESSFIX_NOW", now)
        .args(["repair", "--yes", "--quiet"])
        .assert()
        .code(0);
    for (t, b) in transcripts.iter().zip(&before) {
        let after = std::fs::read_to_string(t).unwrap();
        let lines: Vec<&str> = b.lines().collect();
        assert_eq!(
            after,
            lines[..lines.len() - 2].join("\n") + "\n",
            "{}",
            t.display()
        );
    }
    let r = scan_now(&env, now);
    for k in keys {
        assert_eq!(session(&r, k)["nextBoot"], "resume", "{k}");
    }
}

#[test]
fn on_a_sqlite_era_release_an_unmigrated_index_blocks_the_start_and_repair_says_how_to_import() {
    let env = Env::fixture("sqlite-upgrade-unmigrated");
    let (r, code) = json_at(&env, "2026.8.1", &["scan"]);
    assert_eq!(code, 1);
    let unmigrated = findings_with(&r, "store-unmigrated");
    assert_eq!(unmigrated.len(), 2, "both agents, the empty index too: {r}");
    for f in &unmigrated {
        assert_eq!(f["severity"], "warning");
        assert!(f["fix"]
            .as_str()
            .unwrap()
            .contains("openclaw doctor --session-sqlite import --session-sqlite-all-agents"));
        assert!(!f["message"].as_str().unwrap().contains("not live state"));
    }
    let agents = env.state().join("agents");
    let before = tree_digest(&agents);
    let out = env
        .cmd()
        .args(["--openclaw-version", "2026.8.1", "repair", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a person is needed");
    assert!(tree_digest(&agents) == before, "nothing written");
}

/// The shared case as reported: no release named anywhere. The next boot may
/// run 2026.8.x, which does not start on either store: both are named, with
/// the import command, and a person is needed.
#[test]
fn an_unmigrated_store_with_no_release_known_is_named_for_the_2026_8_line() {
    let env = Env::fixture("sqlite-upgrade-unmigrated");
    let (r, code) = scan_at(&env, "");
    assert_eq!(code, 1);
    assert_eq!(r["openclaw"]["version"], serde_json::Value::Null);
    let unmigrated = findings_with(&r, "store-unmigrated");
    assert_eq!(unmigrated.len(), 2, "both agents, the empty index too: {r}");
    for f in &unmigrated {
        assert!(f["message"].as_str().unwrap().contains("2026.8.1"), "{f}");
        assert!(f["fix"]
            .as_str()
            .unwrap()
            .contains("openclaw doctor --session-sqlite import --session-sqlite-all-agents"));
    }
    let out = env
        .cmd()
        .env("SESSFIX_OPENCLAW_VERSION", "")
        .args(["repair", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a person is needed: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("NEEDS A PERSON"));
}

#[test]
fn a_config_that_cannot_be_parsed_is_named_and_nothing_is_written() {
    let env = Env::fixture("graceful-restart");
    let config = env.state().join("openclaw.json");
    std::fs::write(&config, "{ session: { store: ").unwrap();
    let (r, code) = scan_at(&env, "2026.5.12");
    assert_eq!(code, 1);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "config-unreadable")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(f["path"], config.display().to_string());
    assert!(f["message"].as_str().unwrap().contains("JSON5"), "{f}");
    let before = std::fs::read(&config).unwrap();
    env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    assert_eq!(std::fs::read(&config).unwrap(), before);
}
