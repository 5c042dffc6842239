//! Backup runs: `undo --list`, `undo --dry-run`, `undo --run ID`, undo of
//! the newest run not yet undone, and repair's retention
//! (`--keep-backups`, `--keep-backups-for`).

mod common;
use common::*;
use serde_json::Value;

const T1: &str = "2026-11-24T03:00:00Z";
const T2: &str = "2026-11-24T04:00:00Z";
const T3: &str = "2026-11-24T05:00:00Z";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `undo --list --json`, parsed.
fn list(env: &Env) -> Value {
    let out = env
        .cmd()
        .args(["undo", "--list", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ids `undo --list --json` lists, newest first.
fn ids(env: &Env) -> Vec<String> {
    list(env)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// `undo --dry-run --json` with `args`, parsed, ended with exit `code`.
fn undo_dry_run_json(env: &Env, args: &[&str], code: i32) -> Value {
    let out = env
        .cmd()
        .args(["undo", "--dry-run", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert_exit(&out, code);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The agents' files (not the backups), for before/after comparisons.
fn agents(env: &Env) -> Vec<(String, u32, Vec<u8>)> {
    tree_digest(&env.state().join("agents"))
}

/// dead-pid-lock repaired at `T1` (its index rewritten, its lock removed),
/// then its lock put back and repaired again at `T2` (the lock removed
/// again): two runs that changed the same lock.
fn two_runs() -> Env {
    let env = Env::fixture("dead-pid-lock");
    assert_exit(&env.run_at(T1, &["repair", "--yes"]), 0);
    again(&env, T2, &[]);
    env
}

/// Put dead-pid-lock's lock (of a dead pid) back, as the fixture has it.
fn put_lock_back(env: &Env) {
    let lock = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock";
    let from = fixtures()
        .join("dead-pid-lock/state/agents/main/sessions")
        .join(lock);
    std::fs::copy(from, env.sessions("main").join(lock)).unwrap();
}

/// Put dead-pid-lock's lock back and repair at `now` with `args`.
fn again(env: &Env, now: &str, args: &[&str]) -> std::process::Output {
    put_lock_back(env);
    let out = env.run_at(now, &[&["repair", "--yes"], args].concat());
    assert_exit(&out, 0);
    out
}

#[test]
fn list_shows_every_run_newest_first_with_what_it_changed_and_whether_undone() {
    let env = two_runs();
    let doc = list(&env);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{doc}");
    assert!(runs[0]["id"]
        .as_str()
        .unwrap()
        .starts_with("20261124T040000"));
    assert!(runs[1]["id"]
        .as_str()
        .unwrap()
        .starts_with("20261124T030000"));
    assert_eq!(runs[1]["changes"]["indexesRewritten"], 1, "{doc}");
    assert_eq!(runs[1]["changes"]["filesRemoved"], 1, "{doc}");
    assert_eq!(runs[0]["changes"]["indexesRewritten"], 0, "{doc}");
    assert_eq!(runs[0]["changes"]["filesRemoved"], 1, "{doc}");
    assert!(
        runs.iter().all(|r| r["bytes"].as_u64().unwrap() > 0),
        "{doc}"
    );
    assert!(runs.iter().all(|r| r["undone"] == false), "{doc}");
    assert_eq!(runs[1]["created"], "2026-11-24T03:00:00+00:00");

    // undone: recorded, and the listing says so; nothing else changed
    assert_exit(&env.cmd().args(["undo", "--yes"]).output().unwrap(), 0);
    let doc = list(&env);
    assert_eq!(doc["runs"][0]["undone"], true, "{doc}");
    assert_eq!(doc["runs"][1]["undone"], false, "{doc}");

    let out = env.cmd().args(["undo", "--list"]).output().unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("RUN "), "{text}");
    assert!(
        lines[2].contains("yes") && lines[2].contains("1 file removed"),
        "{text}"
    );
    assert!(
        lines[3].contains(" no ") && lines[3].contains("1 index rewritten, 1 file removed"),
        "{text}"
    );
}

#[test]
fn list_of_no_backups_says_so_and_listing_changes_nothing() {
    let env = Env::fixture("dead-pid-lock");
    let out = env.cmd().args(["undo", "--list"]).output().unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).starts_with("no sessfix backup in "),
        "{}",
        stdout(&out)
    );
    assert_eq!(list(&env)["runs"], serde_json::json!([]));
    // --json alone, and --list with a run, are usage errors
    assert_eq!(env.code(&["undo", "--json"]), Some(2));
    assert_eq!(env.code(&["undo", "--list", "--run", "x"]), Some(2));
}

/// two-agents repaired agent by agent: main at `T1`, ops at `T2` (runs of
/// different files).
fn agent_by_agent() -> Env {
    let env = Env::fixture("two-agents");
    assert_exit(&env.run_at(T1, &["--agent", "main", "repair", "--yes"]), 0);
    assert_exit(&env.run_at(T2, &["--agent", "ops", "repair", "--yes"]), 0);
    env
}

#[test]
fn a_second_undo_takes_the_newest_run_not_undone_then_says_all_are_undone() {
    let original = agents(&Env::fixture("two-agents"));
    let env = agent_by_agent();
    let main_repaired = tree_digest(&env.sessions("main"));
    let ops_repaired = tree_digest(&env.sessions("ops"));
    assert_exit(&env.cmd().args(["undo", "--yes"]).output().unwrap(), 0);
    assert_ne!(
        tree_digest(&env.sessions("ops")),
        ops_repaired,
        "the newest run undone first"
    );
    assert_eq!(
        tree_digest(&env.sessions("main")),
        main_repaired,
        "and only it"
    );
    assert_exit(&env.cmd().args(["undo", "--yes"]).output().unwrap(), 0);
    let root = env.dir.path().display().to_string();
    let state_sep = format!("{0}state{0}", std::path::MAIN_SEPARATOR);
    let rel = |t: Vec<(String, u32, Vec<u8>)>| {
        t.into_iter()
            .map(|(p, m, b)| (p.rsplit_once(&state_sep).unwrap().1.to_string(), m, b))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rel(agents(&env)),
        rel(original),
        "then the older one ({root})"
    );
    let out = env.cmd().args(["undo", "--yes"]).output().unwrap();
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("every sessfix backup there is undone already"),
        "{err}"
    );
    for id in ids(&env) {
        assert!(err.contains(&id), "{id} not named: {err}");
    }
}

#[test]
fn dry_run_tells_file_by_file_and_changes_nothing() {
    let env = two_runs();
    let before = tree_digest(&env.state());
    let out = env.cmd().args(["undo", "--dry-run"]).output().unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains(&ids(&env)[0]), "{text}");
    assert!(
        text.contains("restore") && text.contains(".jsonl.lock (remove)"),
        "{text}"
    );
    assert!(text.contains("A real run would restore 1 file"), "{text}");
    assert_eq!(before, tree_digest(&env.state()), "a dry run wrote");

    // a file changed since: the dry run names it, exits as the real run
    let lock = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock");
    std::fs::write(&lock, "{}").unwrap();
    let before = tree_digest(&env.state());
    let doc = undo_dry_run_json(&env, &[], 1);
    assert_eq!(doc["files"][0]["verdict"], "changed", "{doc}");
    assert_eq!(doc["files"][0]["reason"], "exists again since the repair");
    assert_eq!(doc["exit"], 1);
    assert_eq!(before, tree_digest(&env.state()), "a dry run wrote");
    assert_eq!(
        env.code(&["undo", "--yes"]),
        Some(1),
        "the real run refuses too"
    );

    // a live gateway: exit 4, as the real run
    std::fs::remove_file(&lock).unwrap();
    env.live_gateway(4242, 100);
    let doc = undo_dry_run_json(&env, &[], 4);
    assert!(
        doc["gateway"].as_str().unwrap().contains("gateway is live"),
        "{doc}"
    );
    assert_eq!(env.code(&["undo", "--yes"]), Some(4));
}

#[test]
fn an_older_run_is_refused_while_a_newer_one_changed_the_same_files() {
    let env = two_runs();
    let [newer, older] = <[String; 2]>::try_from(ids(&env)).unwrap();
    let before = tree_digest(&env.state());
    let out = env
        .cmd()
        .args(["undo", "--yes", "--run", &older])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&format!("refusing to undo {older}")), "{err}");
    assert!(err.contains(&newer) && err.contains(".jsonl.lock"), "{err}");
    assert!(err.contains("Undo them first"), "{err}");
    assert_eq!(before, tree_digest(&env.state()), "a refused undo wrote");
    // the dry run says the same
    let doc = undo_dry_run_json(&env, &["--run", &older], 1);
    assert_eq!(doc["blockedBy"][0]["run"], newer.as_str(), "{doc}");
    // once the newer one is undone, the older one is no longer blocked: the
    // file check decides (here the lock put back by hand before the newer
    // run exists again, which the older run removed: refused)
    env.cmd()
        .args(["undo", "--yes", "--run", &newer])
        .assert()
        .code(0);
    let out = env
        .cmd()
        .args(["undo", "--yes", "--run", &older])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("exists again since the repair"),
        "{}",
        stderr(&out)
    );
    // undone already, and unknown
    env.cmd()
        .args(["undo", "--yes", "--run", &newer])
        .assert()
        .code(3);
    let out = env
        .cmd()
        .args(["undo", "--yes", "--run", "20261124T030000.000Z-1"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(stderr(&out).contains(&newer), "{}", stderr(&out));
}

#[test]
fn an_older_run_of_other_files_is_undone_by_its_id() {
    let env = agent_by_agent();
    let main = tree_digest(&env.sessions("main"));
    let ops = tree_digest(&env.sessions("ops"));
    let older = ids(&env)[1].clone();
    env.cmd()
        .args(["undo", "--yes", "--run", &older])
        .assert()
        .code(0);
    assert_ne!(main, tree_digest(&env.sessions("main")), "main restored");
    assert_eq!(ops, tree_digest(&env.sessions("ops")), "ops kept");
    let doc = list(&env);
    assert_eq!(doc["runs"][0]["undone"], false, "{doc}");
    assert_eq!(doc["runs"][1]["undone"], true, "{doc}");
}

#[test]
fn repair_keeps_the_newest_runs_it_is_told_to() {
    let env = two_runs();
    let first = ids(&env);
    let out = again(&env, T3, &["--keep-backups", "2"]);
    let now = ids(&env);
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[1], first[0], "the older of the two kept");
    assert!(!now.contains(&first[1]), "the oldest pruned");
    let err = stderr(&out);
    assert!(
        err.contains("pruned 1 older backup run") && err.contains(&first[1]),
        "{err}"
    );
    // nothing left behind in the root but the runs
    let names: Vec<String> = std::fs::read_dir(env.state().join("sessfix-backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // 1: only the run just made, even when it sorts before the others
    again(&env, "2026-11-24T01:00:00Z", &["--keep-backups", "1"]);
    let left = ids(&env);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("20261124T010000"), "{left:?}");
}

#[test]
fn repair_keeps_ten_runs_by_default_and_all_when_asked() {
    let env = Env::fixture("dead-pid-lock");
    assert_exit(&env.run_at("2026-11-01T00:00:00Z", &["repair", "--yes"]), 0);
    for day in 2..=11 {
        again(&env, &format!("2026-11-{day:02}T00:00:00Z"), &[]);
    }
    let kept = ids(&env);
    assert_eq!(kept.len(), 10, "{kept:?}");
    assert!(!kept.iter().any(|i| i.starts_with("20261101")), "{kept:?}");
    again(&env, "2026-11-12T00:00:00Z", &["--keep-backups", "all"]);
    assert_eq!(ids(&env).len(), 11);
    assert_eq!(
        env.code(&["repair", "--yes", "--keep-backups", "0"]),
        Some(2)
    );
    assert_eq!(
        env.code(&["repair", "--yes", "--keep-backups", "ten"]),
        Some(2)
    );
}

#[test]
fn repair_keeps_runs_younger_than_keep_backups_for() {
    let env = Env::fixture("dead-pid-lock");
    assert_exit(&env.run_at("2026-10-01T00:00:00Z", &["repair", "--yes"]), 0);
    again(&env, "2026-11-20T00:00:00Z", &[]);
    again(
        &env,
        T1,
        &["--keep-backups", "1", "--keep-backups-for", "30d"],
    );
    let kept = ids(&env);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[1].starts_with("20261120"), "{kept:?}");
}

#[test]
fn nothing_is_pruned_when_repair_refuses_or_has_nothing_to_do() {
    let env = two_runs();
    let runs = ids(&env);
    // nothing to do: no run made, none pruned
    let out = env.run_at(T3, &["repair", "--yes", "--keep-backups", "1"]);
    assert_exit(&out, 0);
    assert_eq!(ids(&env), runs);
    // a live gateway: refused, none pruned
    env.live_gateway(4242, 100);
    put_lock_back(&env);
    let out = env.run_at(T3, &["repair", "--yes", "--keep-backups", "1"]);
    assert_exit(&out, 4);
    assert_eq!(ids(&env), runs);
}

#[test]
fn a_shared_backup_dir_prunes_only_this_state_dirs_runs() {
    let a = Env::fixture("dead-pid-lock");
    let b = Env::fixture("dead-pid-lock");
    let shared = a.dir.path().join("shared-backups");
    let dir = shared.to_str().unwrap();
    assert_exit(&b.run_at(T1, &["repair", "--yes", "--backup-dir", dir]), 0);
    assert_exit(&a.run_at(T2, &["repair", "--yes", "--backup-dir", dir]), 0);
    again(&a, T3, &["--backup-dir", dir, "--keep-backups", "1"]);
    let out = a
        .cmd()
        .args(["undo", "--list", "--json", "--backup-dir", dir])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{doc}");
    assert!(
        runs[1]["id"]
            .as_str()
            .unwrap()
            .starts_with("20261124T030000"),
        "b's run kept: {doc}"
    );
}

/// A repair that leaves an index lost, its only intact copy in an older
/// run's backup (exit 6), prunes nothing: that run is the copy's only home.
#[test]
fn no_run_is_pruned_while_it_may_hold_a_lost_index_s_only_copy() {
    let env = Env::fixture("two-agents");
    assert_exit(&env.run_at(T1, &["repair", "--yes"]), 0);
    let first = ids(&env);
    assert_eq!(first.len(), 1);
    // main's index is lost; its copy is in the first run's backup. Another
    // agent gets a stale lock to repair, so the next run applies something.
    std::fs::write(env.sessions("main").join("sessions.json"), b"").unwrap();
    std::fs::write(
        env.sessions("ops")
            .join("0000000c-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock"),
        br#"{"pid":999999,"createdAt":"2026-11-24T03:00:00.000Z"}"#,
    )
    .unwrap();
    let out = env.run_at(T2, &["repair", "--yes", "--keep-backups", "1"]);
    assert_exit(&out, 6);
    assert!(
        stdout(&out).contains("removed transcript lock"),
        "{}",
        stdout(&out)
    );
    let runs = ids(&env);
    assert_eq!(runs.len(), 2, "{}", stderr(&out));
    assert!(runs.contains(&first[0]));
    assert!(!stderr(&out).contains("pruned"), "{}", stderr(&out));
}

/// Undo of a restore puts the lost index back: undo says so as repair does
/// (DO NOT START THE GATEWAY) and ends with 6.
#[test]
fn undo_that_puts_a_lost_index_back_says_not_to_start() {
    let env = Env::fixture("zero-index-complete-tmp");
    let out = env.run_at(T1, &["repair", "--restore-index", "--yes"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let out = env.run_at(T1, &["undo", "--yes"]);
    assert_exit(&out, 6);
    assert!(stdout(&out).contains("restored"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("sessfix: DO NOT START THE GATEWAY: "),
        "{}",
        stderr(&out)
    );
    // An undo that leaves a startable state ends with 0, saying nothing more.
    let env = two_runs();
    let out = env.run_at(T3, &["undo", "--yes"]);
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("DO NOT START"), "{}", stderr(&out));
}
