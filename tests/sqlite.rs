//! The SQLite era (OpenClaw 2026.8.1+) on databases made by the real
//! 2026.9.6 gateway (`fixtures/sqlite-*`): what scan predicts, and the three
//! opt-in repairs with their backups and undo.

mod common;

use common::{assert_mode, codes, findings_with, session, tree_digest, Env, MOVE_ASIDE};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The fixtures' clock: their rows were written at 09:49-10:02 that day.
const NOW: &str = "2026-11-30T10:00:00Z";
const KEY: &str = "agent:main:feishu:direct:ou_live";
const RELEASE: &str = "2026.9.6";

fn env(fixture: &str) -> Env {
    let e = Env::fixture(fixture);
    adopt_gateway_locks(&e);
    e
}

/// The fixtures' gateway locks name the config of the run that made them;
/// point them at this copy's, as if the gateway had run here (a lock naming
/// another config is a container's or another host's: liveness unknown).
fn adopt_gateway_locks(e: &Env) {
    let dir = e.state().join("tmp").join("openclaw-0");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for f in rd.flatten() {
        let raw = std::fs::read_to_string(f.path()).unwrap();
        let mut it = serde_json::Deserializer::from_str(&raw).into_iter::<serde_json::Value>();
        let mut v = it.next().unwrap().unwrap();
        let rest = &raw[it.byte_offset()..];
        v["configPath"] = e.state().join("openclaw.json").to_string_lossy().into();
        v["stateDir"] = e.state().to_string_lossy().into();
        std::fs::write(
            f.path(),
            format!("{}{rest}", serde_json::to_string_pretty(&v).unwrap()),
        )
        .unwrap();
    }
}

/// The fixtures' `agent_database_leases` name the databases of the dir the
/// gateway ran in; point them at this copy's, as if it had run here (leases
/// naming another dir were copied from it: not evidence about this one).
#[cfg(unix)] // for the open-file runs, Unix-only
fn adopt_agent_db_leases(e: &Env) {
    let c = Connection::open(state_db(e)).unwrap();
    let n = c
        .execute(
            "UPDATE agent_database_leases SET path = ?1 || '/agents/' || agent_id || '/agent/openclaw-agent.sqlite'",
            [e.state().to_string_lossy()],
        )
        .unwrap();
    assert!(n > 0, "the fixture has agent_database_leases");
}

fn agent_db(e: &Env) -> PathBuf {
    e.state()
        .join("agents")
        .join("main")
        .join("agent")
        .join("openclaw-agent.sqlite")
}

fn state_db(e: &Env) -> PathBuf {
    e.state().join("state").join("openclaw.sqlite")
}

fn run(e: &Env, args: &[&str]) -> std::process::Output {
    run_at(e, NOW, args)
}

fn run_at(e: &Env, now: &str, args: &[&str]) -> std::process::Output {
    e.cmd()
        .env("SESSFIX_NOW", now)
        .env("SESSFIX_OPENCLAW_VERSION", RELEASE)
        .args(args)
        .output()
        .unwrap()
}

fn scan(e: &Env) -> (serde_json::Value, i32) {
    scan_with(e, &[])
}

/// `repair --yes --untombstone KEY` as `release` would boot the state.
fn untombstone_as(e: &Env, release: &str) -> std::process::Output {
    run(
        e,
        &[
            "--openclaw-version",
            release,
            "repair",
            "--yes",
            "--untombstone",
            KEY,
        ],
    )
}

/// `scan --json` as `release` would boot the state.
fn scan_as(e: &Env, release: &str) -> (serde_json::Value, i32) {
    scan_with(e, &["--openclaw-version", release])
}

fn scan_with(e: &Env, global: &[&str]) -> (serde_json::Value, i32) {
    let out = run(e, &[global, &["scan", "--json"]].concat());
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|err| panic!("no JSON ({err}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// (entry_json, updated_at, status) of the row, and its window's
/// (status, updated_at).
fn row(db: &Path) -> (serde_json::Value, i64, String, (String, i64)) {
    let c = Connection::open(db).unwrap();
    let (entry, updated, status, sid): (String, i64, String, String) = c
        .query_row(
            "SELECT entry_json, updated_at, status, current_session_id FROM session_nodes WHERE session_key = ?1",
            [KEY],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let w = c
        .query_row(
            "SELECT status, updated_at FROM session_windows WHERE session_id = ?1",
            [&sid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (serde_json::from_str(&entry).unwrap(), updated, status, w)
}

/// Edit the row of a fixture copy as the gateway would: `entry_json` and
/// every projection together.
fn set_entry(db: &Path, f: impl Fn(&mut serde_json::Map<String, serde_json::Value>)) {
    let c = Connection::open(db).unwrap();
    let (entry, sid): (String, String) = c
        .query_row(
            "SELECT entry_json, current_session_id FROM session_nodes WHERE session_key = ?1",
            [KEY],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&entry).unwrap();
    f(v.as_object_mut().unwrap());
    let status = v["status"].as_str().unwrap().to_string();
    let updated = v["updatedAt"].as_i64().unwrap();
    c.execute(
        "UPDATE session_nodes SET entry_json = ?1, updated_at = ?2, status = ?3 WHERE session_key = ?4",
        rusqlite::params![v.to_string(), updated, status, KEY],
    )
    .unwrap();
    c.execute(
        "UPDATE session_windows SET status = ?1, updated_at = ?2 WHERE session_id = ?3",
        rusqlite::params![status, updated, sid],
    )
    .unwrap();
}

fn integrity(db: &Path) -> String {
    Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_running_row_is_resumed_by_the_boot_and_read_without_touching_the_wal() {
    let e = env("sqlite-between-running");
    let before = tree_digest(&e.state());
    let (r, code) = scan(&e);
    assert_eq!(
        tree_digest(&e.state()),
        before,
        "scan wrote nothing, not even -shm"
    );
    let s = session(&r, KEY);
    assert_eq!(s["nextBoot"], "resume");
    assert_eq!(s["status"], "running");
    assert_eq!(r["agents"][0]["era"], "sqlite");
    assert_eq!(r["agents"][0]["database"]["schemaVersion"], 23);
    assert_eq!(r["agents"][0]["database"]["appVersion"], "2026.9.6");
    assert_eq!(r["gateway"]["live"], false, "{}", r["gateway"]);
    // The gateway-owner lease of the killed pid expired at 09:54:43.
    assert!(codes(&r).is_empty(), "{:?}", codes(&r));
    assert_eq!(code, 0);
    // The whole database is in the -wal, and there is no -shm.
    assert!(!e
        .state()
        .join("agents/main/agent/openclaw-agent.sqlite-shm")
        .exists());
    // As the killed gateway left it (a checkpoint of the fixture would hide
    // what this test is for): a 4 KiB main file, every page in the -wal.
    let fixture = common::fixtures().join("sqlite-between-running/state/agents/main/agent");
    let len = |f: &str| {
        std::fs::metadata(fixture.join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    assert_eq!(len("openclaw-agent.sqlite"), 4096);
    assert!(len("openclaw-agent.sqlite-wal") > 1 << 20);
}

#[test]
#[cfg(unix)] // open files: the fake /proc/<pid>/fd entries are symlinks
fn the_gateway_is_live_by_its_owner_lease_or_an_open_database() {
    // The lease's pid alive with its recorded start time.
    let e = env("sqlite-between-running");
    adopt_agent_db_leases(&e);
    std::fs::remove_dir_all(e.state().join("tmp")).unwrap();
    e.process(5723, &["openclaw-gateway"], 195709);
    let (r, _) = scan(&e);
    assert_eq!(r["gateway"]["live"], true, "{}", r["gateway"]);
    assert!(r["gateway"]["evidence"]
        .as_str()
        .unwrap()
        .contains("gateway-owner"));
    // The same pid with another start time is a recycled pid.
    let e = env("sqlite-between-running");
    std::fs::remove_dir_all(e.state().join("tmp")).unwrap();
    e.process(5723, &["bash"], 1);
    assert_eq!(scan(&e).0["gateway"]["live"], false);
    // A process that has the agent database open.
    let e = env("sqlite-tombstoned");
    e.process(777, &["node", "openclaw.mjs", "doctor"], 5);
    let fd = e.dir.path().join("proc/777/fd");
    std::fs::create_dir_all(&fd).unwrap();
    std::os::unix::fs::symlink(agent_db(&e).canonicalize().unwrap(), fd.join("9")).unwrap();
    // A state database makes the open-file check run.
    std::fs::create_dir_all(e.state().join("state")).unwrap();
    std::fs::copy(
        common::fixtures().join("sqlite-dead-maintenance-lease/state/state/openclaw.sqlite"),
        state_db(&e),
    )
    .unwrap();
    let (r, _) = scan(&e);
    assert_eq!(r["gateway"]["live"], true, "{}", r["gateway"]);
    assert!(r["gateway"]["evidence"]
        .as_str()
        .unwrap()
        .contains("pid 777 has"));
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(tree_digest(&e.state()), before);
}

#[test]
fn leases_copied_from_another_state_dir_are_not_a_live_gateway_here() {
    // A backup of a running gateway restored to a new dir: its gateway-owner
    // lease and agent_database_leases name a pid alive with the same start
    // time, but the agent leases name the source dir's databases, and the
    // pid has none of this copy's files open.
    let e = env("sqlite-tombstoned");
    std::fs::remove_dir_all(e.state().join("tmp")).ok();
    e.process(5723, &["openclaw-gateway"], 195709);
    let (r, code) = scan(&e);
    assert_eq!(r["gateway"]["live"], false, "{}", r["gateway"]);
    let elsewhere = findings_with(&r, "sqlite-lease-elsewhere");
    assert_eq!(elsewhere.len(), 1, "{:?}", codes(&r));
    assert_eq!(elsewhere[0]["severity"], "info");
    let msg = elsewhere[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("pid 5723") && msg.contains("/tmp/ocsql/"),
        "{msg}"
    );
    assert_eq!(code, 1, "the tombstone is still a warning");
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(session(&scan(&e).0, KEY)["nextBoot"], "idle");

    // The same pid with one lease naming this copy is its gateway.
    let e = env("sqlite-tombstoned");
    std::fs::remove_dir_all(e.state().join("tmp")).ok();
    e.process(5723, &["openclaw-gateway"], 195709);
    Connection::open(state_db(&e))
        .unwrap()
        .execute(
            "UPDATE agent_database_leases SET path = ?1 WHERE rowid = (SELECT min(rowid) FROM agent_database_leases)",
            [agent_db(&e).to_string_lossy()],
        )
        .unwrap();
    let (r, _) = scan(&e);
    assert_eq!(r["gateway"]["live"], true, "{}", r["gateway"]);
    assert!(findings_with(&r, "sqlite-lease-elsewhere").is_empty());
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(tree_digest(&e.state()), before);
}

#[test]
fn untombstone_keeps_the_session_and_undo_puts_the_tombstone_back() {
    let e = env("sqlite-tombstoned");
    let db = agent_db(&e);
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "rejected");
    assert!(codes(&r).contains(&"sqlite-tombstoned".to_string()));
    assert_eq!(code, 1);
    let (entry0, updated0, status0, window0) = row(&db);
    assert!(entry0["mainRestartRecovery"]["tombstone"].is_object());

    // A dry run shows the edit and changes nothing.
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--dry-run", "--untombstone", KEY]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[untombstone]") && text.contains("mainRestartRecovery"),
        "{text}"
    );
    assert_eq!(tree_digest(&e.state()), before);

    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (entry, updated, status, window) = row(&db);
    assert!(entry.get("mainRestartRecovery").is_none());
    assert_eq!(entry["abortedLastRun"], false);
    assert_eq!(entry["sessionId"], entry0["sessionId"], "same session");
    assert_eq!(status, status0, "status stays failed");
    assert!(updated > updated0);
    assert_eq!(entry["updatedAt"], updated, "entry and column agree");
    assert_eq!(
        window,
        (status.clone(), updated),
        "the window moves with it"
    );
    // Every other field is kept, in order.
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "mainRestartRecovery")
            .cloned()
            .collect()
    };
    assert_eq!(keys(&entry), keys(&entry0));
    for k in keys(&entry0) {
        if k != "updatedAt" {
            assert_eq!(entry[&k], entry0[&k], "{k}");
        }
    }
    assert_eq!(integrity(&db), "ok");
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "idle");
    assert_eq!(code, 0, "{:?}", codes(&r));
    // The whole database was backed up first, privately.
    let backups: Vec<PathBuf> = std::fs::read_dir(e.state().join("sessfix-backups"))
        .unwrap()
        .flatten()
        .map(|d| d.path())
        .collect();
    let copy = backups[0].join("0001-openclaw-agent.sqlite");
    assert_mode(&copy, 0o600);
    let c = Connection::open(&copy).unwrap();
    let kept: String = c
        .query_row("SELECT entry_json FROM session_nodes", [], |r| r.get(0))
        .unwrap();
    assert!(kept.contains("tombstone"));

    let out = run(&e, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(row(&db), (entry0, updated0, status0, window0));
    assert_eq!(session(&scan(&e).0, KEY)["nextBoot"], "rejected");
}

/// openclaw#117096 (`cases/completed-recovery-fence`): a finished session
/// still carrying a restart-recovery cycle and its run fence has every turn
/// refused on every boot (`oracle/sqlite.py`'s `recovery-leftover` on the
/// real 2026.9.6 and 2026.8.2); `--untombstone` drops them and only them.
#[test]
fn a_recovery_cycle_left_on_a_finished_session_is_named_and_dropped_on_request() {
    let e = env("sqlite-between-running");
    let db = agent_db(&e);
    let leave_cycle = |m: &mut serde_json::Map<String, serde_json::Value>| {
        m.insert("status".into(), "done".into());
        m.insert("abortedLastRun".into(), false.into());
        m.insert(
            "mainRestartRecovery".into(),
            serde_json::json!({"cycleId": "c1", "revision": 6, "chargedAttempts": 1, "startedAttempt": 1}),
        );
        m.insert(
            "restartRecoveryRuns".into(),
            serde_json::json!([{"runId": "t1", "lifecycleGeneration": "gen-dead-0"}]),
        );
    };
    set_entry(&db, leave_cycle);
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "rejected");
    let f = findings_with(&r, "sqlite-recovery-leftover");
    assert_eq!(f.len(), 1, "{:?}", codes(&r));
    assert_eq!(f[0]["severity"], "warning");
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("changed while starting work"));
    assert!(f[0]["fix"].as_str().unwrap().contains("--untombstone"));
    assert_eq!(code, 1);

    let (entry0, updated0, status0, _) = row(&db);
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--dry-run", "--untombstone", KEY]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("leftover restart-recovery cycle"));
    assert_eq!(tree_digest(&e.state()), before);
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (entry, updated, status, window) = row(&db);
    for gone in ["mainRestartRecovery", "restartRecoveryRuns"] {
        assert!(entry.get(gone).is_none(), "{gone}");
    }
    assert_eq!(status, status0, "status stays done");
    assert!(updated > updated0);
    assert_eq!(window, (status.clone(), updated));
    for (k, v) in entry0.as_object().unwrap() {
        if !["mainRestartRecovery", "restartRecoveryRuns", "updatedAt"].contains(&k.as_str()) {
            assert_eq!(&entry[k], v, "{k}");
        }
    }
    assert_eq!(integrity(&db), "ok");
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "idle");
    assert_eq!(code, 0, "{:?}", codes(&r));

    // A fence alone is cleared by the next turn's claim; a running row's
    // cycle is recovery's own: neither is a leftover.
    set_entry(&db, |m| {
        m.insert(
            "restartRecoveryRuns".into(),
            serde_json::json!([{"runId": "t1", "lifecycleGeneration": "gen-dead-0"}]),
        );
    });
    assert_eq!(session(&scan(&e).0, KEY)["nextBoot"], "idle");
    set_entry(&db, |m| {
        leave_cycle(m);
        m.insert("status".into(), "running".into());
        m.insert("abortedLastRun".into(), true.into());
    });
    let (r, _) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
    assert!(findings_with(&r, "sqlite-recovery-leftover").is_empty());
}

/// Where no one can tell whether a process has the database open (an
/// OpenClaw process whose open files cannot be read here; every process on
/// an OS without open-file facts), a dry run of a SQLite edit says the real
/// run will refuse, and exits as it will (4); forced, it plans the edit.
#[test]
fn a_dry_run_predicts_the_refusal_of_an_edit_nobody_can_check() {
    let e = env("sqlite-tombstoned");
    let pid = e.dir.path().join("proc/4242");
    std::fs::create_dir_all(&pid).unwrap();
    std::fs::write(pid.join("cmdline"), b"node\0/opt/openclaw/helper.js\0").unwrap();
    // Not a directory: its open files cannot be listed.
    std::fs::write(pid.join("fd"), b"").unwrap();
    let before = tree_digest(&e.state());
    let dry = run(&e, &["repair", "--dry-run", "--untombstone", KEY]);
    assert_eq!(dry.status.code(), Some(4), "{}", stderr(&dry));
    assert!(
        stderr(&dry).contains("a real run would refuse to edit an SQLite database"),
        "{}",
        stderr(&dry)
    );
    let real = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(real.status.code(), dry.status.code(), "{}", stderr(&real));
    assert!(stderr(&real).contains("refusing to edit an SQLite database"));
    assert_eq!(tree_digest(&e.state()), before);
    let forced = run(
        &e,
        &["repair", "--dry-run", "--force", "--untombstone", KEY],
    );
    assert_eq!(forced.status.code(), Some(1), "{}", stderr(&forced));
    assert!(!stderr(&forced).contains("would refuse"));
}

#[test]
fn untombstone_and_resume_refuse_rows_they_are_not_for() {
    let e = env("sqlite-between-running");
    let before = tree_digest(&e.state());
    for (flag, why) in [
        ("--untombstone", "neither tombstoned"),
        ("--resume", "not dropped"),
    ] {
        let out = run(&e, &["repair", "--yes", flag, KEY]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    }
    let out = run(&e, &["repair", "--yes", "--untombstone", "agent:main:nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no SQLite-era session has this key"));
    assert_eq!(tree_digest(&e.state()), before);
}

#[test]
fn a_turn_dropped_by_a_stop_is_reported_and_resume_requeues_it() {
    let e = env("sqlite-tombstoned");
    let db = agent_db(&e);
    // What a stop whose drain ran out leaves (`sqlite-era.md` §3.3b).
    set_entry(&db, |m| {
        m.remove("mainRestartRecovery");
        m.insert("status".into(), "killed".into());
        m.insert("abortedLastRun".into(), true.into());
        m.insert("activeWriterRunId".into(), "t1".into());
    });
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "lost");
    assert!(codes(&r).contains(&"sqlite-turn-dropped".to_string()));
    assert_eq!(
        code, 0,
        "a dropped turn may be a user's /stop: information only"
    );
    // Never automatic.
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tree_digest(&e.state()), before);

    let out = run(&e, &["repair", "--yes", "--resume", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (entry, updated, status, window) = row(&db);
    assert_eq!(status, "running");
    assert_eq!(entry["status"], "running");
    assert_eq!(entry["abortedLastRun"], true);
    assert!(entry.get("activeWriterRunId").is_none());
    assert_eq!(entry["updatedAt"], updated);
    assert_eq!(window, ("running".to_string(), updated));
    assert_eq!(integrity(&db), "ok");
    assert_eq!(session(&scan(&e).0, KEY)["nextBoot"], "resume");
}

#[test]
fn projection_mismatches_are_reported_as_what_the_boot_does() {
    let e = env("sqlite-invalid-row");
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "halt");
    assert!(codes(&r).contains(&"sqlite-row-invalid".to_string()));
    assert_eq!(code, 1);

    // Only the status column changed: the boot scan never sees the row.
    let e = env("sqlite-between-running");
    let c = Connection::open(agent_db(&e)).unwrap();
    c.execute("UPDATE session_nodes SET status = 'done'", [])
        .unwrap();
    drop(c);
    let (r, _) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "lost");
    assert!(codes(&r).contains(&"sqlite-status-mismatch".to_string()));
}

/// An invalid row on databases 2026.8.2 wrote: 2026.8.1's line (8.2 to 9.3
/// open them) starts and refuses that session's turns (`rejected`, the
/// finding still an error), where 2026.9.6's databases under 9.6 halt the
/// start (above). Measured on each release (`invalid-row-own` in
/// `oracle/sqlite.py`).
#[test]
fn an_invalid_row_before_2026_9_5_refuses_its_session_not_the_start() {
    let e = env("sqlite82-between-running");
    let c = Connection::open(agent_db(&e)).unwrap();
    c.execute("UPDATE session_nodes SET updated_at = updated_at - 1", [])
        .unwrap();
    drop(c);
    for release in ["2026.8.2", "2026.9.3"] {
        let (r, code) = scan_as(&e, release);
        let s = session(&r, KEY);
        assert_eq!(s["nextBoot"], "rejected", "{release}");
        assert!(
            s["reason"].as_str().unwrap().contains("gateway starts"),
            "{s}"
        );
        let f = findings_with(&r, "sqlite-row-invalid");
        assert_eq!(f.len(), 1, "{release}");
        let f = f[0];
        assert_eq!(f["severity"], "error");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("SESSION_CANONICAL_KEY_MIGRATION_REQUIRED"));
        assert_eq!(code, 1);
    }
}

/// openclaw#125793 (`cases/cleared-shell-row`): a row the runtime cleared
/// (`entry_json` `{}`, `entry_valid` -1, its window kept) is one the real
/// 2026.9.6 starts with and leaves: idle with an info, exit 0, nothing to
/// repair; the same `{}` marked valid is an invalid row (`halt`).
#[test]
fn a_row_the_runtime_cleared_is_left_as_the_gateway_leaves_it() {
    // As clearSqliteSessionEntryPreservingWindows writes it (the triggers
    // set entry_valid to 0 on the first update).
    let cleared = |fixture| {
        let e = env(fixture);
        let c = Connection::open(agent_db(&e)).unwrap();
        c.execute_batch(
            "UPDATE session_nodes SET entry_json = '{}', status = NULL;
             UPDATE session_nodes SET entry_valid = -1;",
        )
        .unwrap();
        e
    };
    // Each release on a database its own line wrote (2026.8.x refuses
    // 2026.9.6's schemas before it reads a row, 2026.8.1 2026.8.2's shape).
    for (release, fixture) in [
        ("2026.8.2", "sqlite82-between-running"),
        (RELEASE, "sqlite-between-running"),
    ] {
        let (r, code) = scan_as(&cleared(fixture), release);
        assert_eq!(session(&r, KEY)["nextBoot"], "idle", "{release}");
        let f = findings_with(&r, "sqlite-row-cleared");
        assert_eq!(f.len(), 1, "{release}");
        assert_eq!(f[0]["severity"], "info");
        assert!(!codes(&r).contains(&"sqlite-row-invalid".to_string()));
        assert_eq!(code, 0, "{release}: {:?}", codes(&r));
    }
    // `cases/cleared-shell-row` runs 2026.8.1-beta.2 on 2026.9.6's
    // databases: the start is refused for their schemas (the real 2026.8.1
    // refuses 9.6's databases), not for the cleared row.
    let (r, _) = scan_as(&cleared("sqlite-between-running"), "2026.8.1-beta.2");
    assert_eq!(session(&r, KEY)["nextBoot"], "halt");
    assert!(!findings_with(&r, "sqlite-schema-downgrade").is_empty());
    assert!(!codes(&r).contains(&"sqlite-row-invalid".to_string()));
    let e = cleared("sqlite-between-running");
    let before = std::fs::read(agent_db(&e)).unwrap();
    let out = run(&e, &["repair", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(agent_db(&e)).unwrap(), before);

    let c = Connection::open(agent_db(&e)).unwrap();
    c.execute("UPDATE session_nodes SET entry_valid = 1", [])
        .unwrap();
    drop(c);
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "halt");
    assert!(codes(&r).contains(&"sqlite-row-invalid".to_string()));
    assert_eq!(code, 1);
}

#[test]
fn a_spent_recovery_budget_is_tombstoned_by_the_next_boot() {
    let e = env("sqlite-tombstoned");
    set_entry(&agent_db(&e), |m| {
        m.insert("status".into(), "running".into());
        m.insert("abortedLastRun".into(), true.into());
        m.insert(
            "mainRestartRecovery".into(),
            serde_json::json!({"cycleId": "c", "revision": 4, "chargedAttempts": 3}),
        );
    });
    let (r, _) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "tombstone");
    assert!(codes(&r).contains(&"sqlite-recovery-exhausted".to_string()));
}

/// 20 s after the kill that made `sqlite-dead-maintenance-lease`: its
/// maintenance lease holds until 14:44:33.
const LEASE_NOW: &str = "2026-11-30T14:43:53Z";

#[test]
fn a_dead_maintenance_lease_is_reported_until_it_expires_and_can_be_cleared() {
    let e = env("sqlite-dead-maintenance-lease");
    let scan_at = |now: &str| -> (serde_json::Value, i32) {
        let out = run_at(&e, now, &["scan", "--json"]);
        (
            serde_json::from_slice(&out.stdout).unwrap(),
            out.status.code().unwrap(),
        )
    };
    let (r, code) = scan_at(LEASE_NOW);
    let dead: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "sqlite-lease-dead")
        .collect();
    let maintenance = dead
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("core:agent-database-maintenance")
        })
        .expect("reported");
    assert_eq!(maintenance["severity"], "warning");
    assert!(maintenance["message"]
        .as_str()
        .unwrap()
        .contains("2026-11-30T14:44:33Z"));
    // The startup-migrations lease of the dead pid is taken over by the boot.
    let migrations = dead
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("startup-migrations")
        })
        .expect("reported");
    assert_eq!(migrations["severity"], "info");
    assert!(migrations["message"]
        .as_str()
        .unwrap()
        .contains("pid 12744"));
    assert_eq!(code, 1);
    // After both expire the boot proceeds: nothing to report.
    let (v, _) = scan_at("2026-11-30T14:49:00Z");
    assert!(
        !codes(&v).contains(&"sqlite-lease-dead".to_string()),
        "{:?}",
        codes(&v)
    );

    let out = run_at(&e, LEASE_NOW, &["repair", "--yes", "--clear-dead-leases"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let count = |e: &Env| -> i64 {
        Connection::open(state_db(e))
            .unwrap()
            .query_row("SELECT count(*) FROM state_leases", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&e), 0);
    assert!(!codes(&scan_at(LEASE_NOW).0).contains(&"sqlite-lease-dead".to_string()));
    let out = run_at(&e, LEASE_NOW, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count(&e), 2);
}

#[test]
fn a_lease_whose_owner_may_be_alive_is_never_cleared() {
    let e = env("sqlite-dead-maintenance-lease");
    // A live gateway: the maintenance lease (no pid) may be its; the
    // startup-migrations lease names pid 12744, which is dead either way.
    e.live_gateway(4242, 99);
    let out = run_at(
        &e,
        LEASE_NOW,
        &["repair", "--yes", "--force", "--clear-dead-leases"],
    );
    let scopes: Vec<String> = Connection::open(state_db(&e))
        .unwrap()
        .prepare("SELECT scope FROM state_leases")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        scopes,
        ["core:agent-database-maintenance"],
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_newer_schema_is_reported_and_never_edited() {
    let e = env("sqlite-tombstoned");
    Connection::open(agent_db(&e))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let (r, _) = scan(&e);
    assert!(codes(&r).contains(&"sqlite-schema-newer".to_string()));
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("newer than sessfix knows"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree_digest(&e.state()), before);
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_row_changed_after_the_plan_is_left_alone() {
    let e = env("sqlite-tombstoned");
    let db = agent_db(&e);
    let child = e.spawn_stopped("sqlite", &["repair", "--yes", "--untombstone", KEY]);
    // The gateway (say) writes the row meanwhile.
    set_entry(&db, |m| {
        m.insert("updatedAt".into(), 1_796_032_999_999i64.into());
    });
    let written = row(&db);
    common::signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(row(&db), written, "left as the other writer made it");
}

#[test]
#[cfg(unix)] // open files: the fake /proc/<pid>/fd entries are symlinks
fn undo_refuses_while_a_process_has_the_database_open() {
    let e = env("sqlite-tombstoned");
    std::fs::create_dir_all(e.state().join("state")).unwrap();
    std::fs::copy(
        common::fixtures().join("sqlite-dead-maintenance-lease/state/state/openclaw.sqlite"),
        state_db(&e),
    )
    .unwrap();
    Connection::open(state_db(&e))
        .unwrap()
        .execute("DELETE FROM state_leases", [])
        .unwrap();
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let edited = row(&agent_db(&e));
    e.process(888, &["node", "openclaw.mjs", "gateway", "run"], 5);
    let fd = e.dir.path().join("proc/888/fd");
    std::fs::create_dir_all(&fd).unwrap();
    std::os::unix::fs::symlink(agent_db(&e).canonicalize().unwrap(), fd.join("4")).unwrap();
    let out = run(&e, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("pid 888 has"), "{}", stderr(&out));
    assert_eq!(row(&agent_db(&e)), edited);
    std::fs::remove_dir_all(e.dir.path().join("proc/888")).unwrap();
    let out = run(&e, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(session(&scan(&e).0, KEY)["nextBoot"], "rejected");
}

#[test]
fn a_file_era_store_is_imported_by_9_6_and_blocks_8_2_and_repair_never_touches_it() {
    let e = env("sqlite-dead-maintenance-lease");
    let later = "2026-11-30T15:00:00Z";
    let before = tree_digest(&e.state());
    for (release, code, finding) in [
        ("2026.9.6", 0, "store-imported-at-boot"),
        ("2026.8.2", 1, "store-unmigrated"),
    ] {
        let out = e
            .cmd()
            .env("SESSFIX_NOW", later)
            .env("SESSFIX_OPENCLAW_VERSION", release)
            .args(["scan", "--json"])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            codes(&r).contains(&finding.to_string()),
            "{release}: {:?}",
            codes(&r)
        );
        assert_eq!(out.status.code(), Some(code), "{release}: {:?}", codes(&r));
        if release == "2026.9.6" {
            assert_eq!(session(&r, KEY)["nextBoot"], "resume");
            assert_eq!(r["sessions"].as_array().unwrap().len(), 20);
        }
        let out = e
            .cmd()
            .env("SESSFIX_NOW", later)
            .env("SESSFIX_OPENCLAW_VERSION", release)
            .args(["repair", "--yes"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{release}: {}", stderr(&out));
        assert_eq!(
            tree_digest(&e.state()),
            before,
            "{release}: the legacy store is a migration input"
        );
    }
}

#[test]
fn a_lease_of_another_host_is_never_judged_here() {
    let e = env("sqlite-dead-maintenance-lease");
    let host = e.dir.path().join("proc/sys/kernel");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("hostname"), "otherhost\n").unwrap();
    let out = run_at(&e, LEASE_NOW, &["scan", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unknown = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "sqlite-lease-owner-unknown")
        .expect("the startup-migrations lease names host vm");
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("names host vm"),
        "{unknown}"
    );
    run_at(&e, LEASE_NOW, &["repair", "--yes", "--clear-dead-leases"]);
    let left: i64 = Connection::open(state_db(&e))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM state_leases WHERE scope = 'startup-migrations'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 1, "kept");
}

#[test]
fn an_unreadable_database_is_an_error_in_the_sqlite_era() {
    let e = env("sqlite-tombstoned");
    std::fs::write(agent_db(&e), b"garbage, not SQLite").unwrap();
    let (r, code) = scan(&e);
    assert!(
        codes(&r).contains(&"agent-unreadable".to_string()),
        "{:?}",
        codes(&r)
    );
    assert_eq!(code, 3);
    // The state database unreadable: no SQLite edit, even forced.
    let e = env("sqlite-tombstoned");
    std::fs::write(state_db(&e), b"junk").unwrap();
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes", "--force", "--untombstone", KEY]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be checked"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree_digest(&e.state()), before);
}

/// With no release known, what last wrote each agent database is told, so the
/// operator can name it (the release is chosen before agents are read).
#[test]
fn with_no_release_known_the_agent_database_names_what_last_wrote_it() {
    let e = Env::fixture("sqlite-era");
    let out = e
        .cmd()
        .env("SESSFIX_OPENCLAW_VERSION", "")
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["openclaw"]["version"], serde_json::Value::Null);
    let f = findings_with(&r, "release-unknown");
    let message = f[0]["message"].as_str().unwrap();
    assert!(
        message.contains("last written by 2026.8.2 (agent main)"),
        "{message}"
    );
    assert!(!message.contains("the state names no release"), "{message}");
}

/// A rollback: every release before 2026.9.6 refuses to start on the
/// databases 2026.9.6 wrote ("N OpenClaw database schema(s) are newer than
/// this build"), so no row is resumed; an older release's databases are
/// opened by a newer one.
#[test]
fn a_database_a_newer_release_wrote_refuses_the_older_release_s_start() {
    let e = env("sqlite-between-running");
    for (release, state_max, agent_max) in [("2026.8.2", 15, 19), ("2026.9.5", 17, 21)] {
        let (r, code) = scan_as(&e, release);
        let s = session(&r, KEY);
        assert_eq!(s["nextBoot"], "halt", "{release}");
        assert!(
            s["reason"].as_str().unwrap().contains("refuses to start"),
            "{s}"
        );
        let f = findings_with(&r, "sqlite-schema-downgrade");
        assert_eq!(f.len(), 2, "{release}: the state and the agent database");
        let text: Vec<&str> = f.iter().map(|f| f["message"].as_str().unwrap()).collect();
        assert!(
            text[0].contains("schema 18, written by OpenClaw 2026.9.6"),
            "{text:?}"
        );
        assert!(
            text[0].contains(&format!("at most schema {state_max}")),
            "{text:?}"
        );
        assert!(
            text[1].contains(&format!("at most schema {agent_max}")),
            "{text:?}"
        );
        assert!(f.iter().all(|f| f["severity"] == "error"));
        assert!(f[0]["fix"].as_str().unwrap().contains("openclaw@2026.9.6"));
        assert_ne!(code, 0, "{release}");
    }
    // 2026.8.1 also lacks 9.6's session_pending_inputs column, but the
    // newer schema is what refuses the start: one action, not two.
    let (r, _) = scan_as(&e, "2026.8.1");
    assert_eq!(findings_with(&r, "sqlite-schema-downgrade").len(), 2);
    assert!(
        findings_with(&r, "sqlite-schema-mismatch").is_empty(),
        "{:?}",
        codes(&r)
    );
    let (r, code) = scan(&e);
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
    assert!(findings_with(&r, "sqlite-schema-downgrade").is_empty());
    assert_eq!(code, 0);
    // 2026.8.2's databases, opened by 2026.9.6: no refusal on schemas.
    let e = env("sqlite82-between-running");
    let (r, _) = scan(&e);
    assert!(
        findings_with(&r, "sqlite-schema-downgrade").is_empty(),
        "{:?}",
        codes(&r)
    );
    assert_eq!(session(&r, KEY)["nextBoot"], "resume");
}

/// 2026.8.2's databases started by each later release (and by 2026.8.1), as
/// the real gateways do (`oracle/sqlite.py` case from-8.2): 8.1 and 9.4
/// refuse to start on their shape, 9.5 starts but refuses the sessions until
/// `openclaw doctor --fix`, 8.2 to 9.3 and 9.6 resume the turn.
#[test]
fn an_older_release_s_databases_are_judged_by_the_release_that_opens_them() {
    let e = env("sqlite82-between-running");
    let at = |release: &str| scan_as(&e, release);
    for (release, next, code) in [
        ("2026.8.1", "halt", Some("sqlite-schema-mismatch")),
        ("2026.8.2", "resume", None),
        ("2026.9.3", "resume", None),
        ("2026.9.4", "halt", Some("sqlite-schema-mismatch")),
        ("2026.9.5", "rejected", Some("sqlite-migration-required")),
        ("2026.9.6", "resume", None),
    ] {
        let (r, exit) = at(release);
        assert_eq!(session(&r, KEY)["nextBoot"], next, "{release}");
        let ours: Vec<String> = codes(&r)
            .into_iter()
            .filter(|c| c.starts_with("sqlite-schema") || c == "sqlite-migration-required")
            .collect();
        assert_eq!(
            ours,
            code.map(str::to_string).into_iter().collect::<Vec<_>>(),
            "{release}"
        );
        assert_eq!(exit != 0, code.is_some(), "{release}: exit {exit}");
    }
    let (r, _) = at("2026.8.1");
    let f = &findings_with(&r, "sqlite-schema-mismatch")[0];
    assert!(
        f["message"].as_str().unwrap().contains("consumed_event_id"),
        "{f}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("OpenClaw 2026.8.2 or newer"),
        "{f}"
    );
    let (r, _) = at("2026.9.4");
    let f = &findings_with(&r, "sqlite-schema-mismatch")[0];
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("OpenClaw 2026.9.6 or newer"),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("idx_agent_session_nodes_active"),
        "{f}"
    );
    let (r, _) = at("2026.9.5");
    let f = &findings_with(&r, "sqlite-migration-required")[0];
    assert!(
        f["fix"].as_str().unwrap().contains("openclaw doctor --fix"),
        "{f}"
    );
    // Rejected, but not by a recovery cycle: --untombstone has nothing to drop.
    let before = tree_digest(&e.state());
    let out = untombstone_as(&e, "2026.9.5");
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("neither tombstoned"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree_digest(&e.state()), before);
    // With the index 2026.9.2 added, 2026.9.4 opens it.
    Connection::open(agent_db(&e))
        .unwrap()
        .execute_batch(
            "CREATE INDEX idx_agent_session_nodes_active ON session_nodes(session_key) WHERE archived_at IS NULL",
        )
        .unwrap();
    assert_eq!(session(&at("2026.9.4").0, KEY)["nextBoot"], "resume");
}

/// A release told by the state itself (its state database's record of what
/// last started it) opened the databases: no skew is predicted, even when
/// the record and the schemas disagree (`cases/completed-recovery-fence`:
/// 2026.8.2 recorded, schemas 18/23); a release named apart from the state
/// is judged against them.
#[test]
fn a_release_the_state_records_is_not_judged_against_its_own_databases() {
    let e = env("sqlite-tombstoned");
    Connection::open(state_db(&e))
        .unwrap()
        .execute(
            "UPDATE schema_meta SET app_version = '2026.8.2' WHERE meta_key = 'startup-migrations'",
            [],
        )
        .unwrap();
    let out = e
        .cmd()
        .env_remove("SESSFIX_OPENCLAW_VERSION")
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["openclaw"]["source"], "state-db", "{}", r["openclaw"]);
    assert_eq!(r["openclaw"]["version"], "2026.8.2");
    assert_eq!(session(&r, KEY)["nextBoot"], "rejected");
    assert!(
        findings_with(&r, "sqlite-schema-downgrade").is_empty(),
        "{:?}",
        codes(&r)
    );
    assert!(codes(&r).contains(&"sqlite-tombstoned".to_string()));
    let (r, _) = scan_as(&e, "2026.8.2");
    assert_eq!(session(&r, KEY)["nextBoot"], "halt");
    assert_eq!(findings_with(&r, "sqlite-schema-downgrade").len(), 2);
}

/// `--untombstone` on a tombstoned row the next boot never reaches, and on a
/// key whose agent database cannot be read: refused, saying why and naming
/// the database; nothing changes.
#[test]
fn an_untombstone_that_cannot_be_done_says_why_and_names_the_database() {
    let e = env("sqlite-tombstoned");
    let before = tree_digest(&e.state());
    // 2026.9.5 refuses to start on 2026.9.6's databases.
    let out = untombstone_as(&e, "2026.9.5");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("neither tombstoned"), "{err}");
    assert!(err.contains("next boot: halt"), "{err}");
    assert!(err.contains("openclaw-agent.sqlite"), "{err}");
    assert_eq!(tree_digest(&e.state()), before);

    // The agent database is not a database.
    let db = agent_db(&e);
    for side in ["-wal", "-shm"] {
        std::fs::remove_file(format!("{}{side}", db.display())).ok();
    }
    std::fs::write(&db, b"not a database").unwrap();
    let before = tree_digest(&e.state());
    let out = run(&e, &["repair", "--yes", "--untombstone", KEY]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "it may be in an agent database that cannot be read: {}: is not an SQLite database",
            db.display()
        )),
        "{err}"
    );
    assert_eq!(tree_digest(&e.state()), before);
}

/// A copy of agent `main`'s database (and its -wal) under agent `work`,
/// with `agents.list` as given (`None`: no list).
fn copy_main_db_to_work(e: &Env, list: Option<&str>) -> PathBuf {
    let src = agent_db(e);
    let dst = e.state().join("agents/work/agent/openclaw-agent.sqlite");
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    for side in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{side}", src.display()));
        if from.exists() {
            std::fs::copy(&from, format!("{}{side}", dst.display())).unwrap();
        }
    }
    if let Some(list) = list {
        std::fs::write(
            e.state().join("openclaw.json"),
            format!(r#"{{"agents": {{"list": {list}}}}}"#),
        )
        .unwrap();
    }
    dst
}

fn misplaced_finding(r: &serde_json::Value) -> serde_json::Value {
    let f = findings_with(r, "sqlite-db-misplaced");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(f[0]["agent"], "work");
    f[0].clone()
}

/// An agent dir holding a copy of another agent's database (a restore into
/// the wrong dir): as measured on each release (`db-*` cases in
/// `oracle/sqlite.py`), 2026.9.6 sets a listed non-default agent apart
/// (its sessions refused, the gateway starts) and refuses to start when the
/// agent is not listed; 2026.8.2 refuses to start either way. The fix says
/// whether it is a byte-identical copy; nothing is ever moved.
#[test]
fn an_agent_database_that_names_another_agent_is_found_where_it_sits() {
    let e = env("sqlite-between-running");
    let list = r#"[{"id": "main", "default": true}, {"id": "work"}]"#;
    let copy = copy_main_db_to_work(&e, Some(list));
    let (r, code) = scan(&e);
    let f = misplaced_finding(&r);
    assert_eq!(f["severity"], "warning", "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("byte-identical"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains(MOVE_ASIDE), "{f}");
    let work_rows: Vec<_> = r["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["agent"] == "work")
        .collect();
    assert!(!work_rows.is_empty());
    assert!(
        work_rows.iter().all(|s| s["nextBoot"] == "rejected"),
        "{work_rows:?}"
    );
    let main_live = r["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["agent"] == "main" && s["key"] == KEY)
        .unwrap();
    assert_eq!(main_live["nextBoot"], "resume");
    assert_eq!(code, 1);

    // Not listed: 2026.9.6 refuses to start.
    std::fs::remove_file(e.state().join("openclaw.json")).unwrap();
    let (r, code) = scan(&e);
    let f = misplaced_finding(&r);
    assert_eq!(f["severity"], "error", "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("agents.list"),
        "{f}"
    );
    assert_ne!(code, 0);

    // Written to since it was copied: not a copy any more.
    let c = Connection::open(&copy).unwrap();
    c.execute("UPDATE schema_meta SET updated_at = updated_at + 1", [])
        .unwrap();
    drop(c);
    let (r, _) = scan(&e);
    let f = misplaced_finding(&r);
    assert!(
        !f["message"].as_str().unwrap().contains("byte-identical"),
        "{f}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("a person must decide"),
        "{f}"
    );
    let before = tree_digest(&e.state().join("agents"));
    run(&e, &["repair", "--yes"]);
    assert_eq!(
        tree_digest(&e.state().join("agents")),
        before,
        "repair moved or changed a database"
    );
}

/// The default agent's dir holding a database that names another agent:
/// every SQLite-era release refuses to start (measured).
#[test]
fn the_default_agent_s_database_naming_another_agent_refuses_every_start() {
    for (fixture, release) in [
        ("sqlite-between-running", "2026.9.6"),
        ("sqlite82-between-running", "2026.8.2"),
    ] {
        let e = env(fixture);
        let c = Connection::open(agent_db(&e)).unwrap();
        c.execute(
            "UPDATE schema_meta SET agent_id = 'work' WHERE meta_key = 'primary'",
            [],
        )
        .unwrap();
        drop(c);
        let (r, code) = scan_as(&e, release);
        let f = findings_with(&r, "sqlite-db-misplaced");
        assert_eq!(f.len(), 1, "{release}: {r:#}");
        assert_eq!(f[0]["agent"], "main");
        assert_eq!(f[0]["severity"], "error", "{release}");
        assert!(
            f[0]["fix"]
                .as_str()
                .unwrap()
                .contains("a person must decide"),
            "{}",
            f[0]
        );
        assert_eq!(session(&r, KEY)["nextBoot"], "halt", "{release}");
        assert_ne!(code, 0);
    }
}

/// A dry run with nothing to do unless a repair is named says which named
/// repairs the findings offer (the tombstoned session's `--untombstone`).
#[test]
fn a_dry_run_with_nothing_to_do_names_the_repairs_the_findings_offer() {
    let e = env("sqlite-tombstoned");
    let out = run(&e, &["repair", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Nothing to repair."), "{text}");
    assert!(
        text.contains(&format!(
            "  sessfix repair --state-dir {} --untombstone {KEY}\n",
            e.state().display()
        )),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    // Nothing is offered where nothing needs it.
    let e = env("sqlite-between-running");
    let text = String::from_utf8_lossy(&run(&e, &["repair", "--dry-run"]).stdout).into_owned();
    assert!(!text.contains("offer"), "{text}");
}

/// A misspelt `--untombstone` key is refused naming the closest key.
#[test]
fn a_misspelt_key_is_refused_with_the_closest_key() {
    let e = env("sqlite-tombstoned");
    let before = tree_digest(&e.state());
    let typo = KEY.replace("live", "lvie");
    let out = run(&e, &["repair", "--yes", "--untombstone", &typo]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("did you mean \"{KEY}\"?")),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree_digest(&e.state()), before);
}

/// On 2026.9.5 an unlisted agent's misplaced database is not checked at
/// start, so what else decides it still says so: 2026.8.2's databases need
/// `openclaw doctor --fix` there, for `work`'s copy as for `main`'s.
#[test]
fn a_misplaced_database_the_line_does_not_check_keeps_its_other_findings() {
    let e = env("sqlite82-between-running");
    copy_main_db_to_work(&e, None);
    let (r, _) = scan_as(&e, "2026.9.5");
    let f = misplaced_finding(&r);
    assert_eq!(f["severity"], "warning", "{f}");
    let agents: Vec<&str> = findings_with(&r, "sqlite-migration-required")
        .iter()
        .map(|f| f["agent"].as_str().unwrap())
        .collect();
    assert!(
        agents.contains(&"work") && agents.contains(&"main"),
        "{r:#}"
    );
}

/// 2026.9.6 as the delivery oracle left it (`tests/cases/delivery/2026.9.6`):
/// a resumed turn's reply its not-ready channel never got, kept only as the
/// finished row's `pendingFinalDelivery`. Named as `reply-unsent`; a
/// delivered one is not.
#[test]
fn a_final_reply_never_delivered_is_named() {
    let e = env("sqlite-tombstoned");
    let db = agent_db(&e);
    let recorded: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/cases/delivery/2026.9.6/seed/2-after-resume-unready/session-row.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let pending =
        recorded.as_object().unwrap().values().next().unwrap()["pendingFinalDelivery"].clone();
    assert_eq!(pending["kind"], "replayable", "the recorded shape");
    let set = |p: serde_json::Value| {
        set_entry(&db, |m| {
            m.remove("mainRestartRecovery");
            m.insert("status".into(), "done".into());
            m.insert("abortedLastRun".into(), false.into());
            m.insert("pendingFinalDelivery".into(), p.clone());
        })
    };
    set(pending.clone());
    let (r, _) = scan(&e);
    let unsent = findings_with(&r, "reply-unsent");
    assert_eq!(unsent.len(), 1, "{}", r["findings"]);
    assert_eq!(unsent[0]["key"], KEY);
    assert!(unsent[0]["message"]
        .as_str()
        .unwrap()
        .contains("Done: the stand-in model answered."));
    let mut delivered = pending.clone();
    delivered["deliveries"][0]["state"] = "delivered".into();
    set(delivered);
    assert!(findings_with(&scan(&e).0, "reply-unsent").is_empty());
    // Handed to the queue, its entry gone (2026.9.6 tombstones a send that
    // threw): it may have reached the chat; named, never queued again.
    let mut handed = pending.clone();
    handed["deliveries"][0]["state"] = "queued".into();
    set(handed);
    let (r, _) = scan(&e);
    assert!(findings_with(&r, "reply-unsent").is_empty());
    assert_eq!(
        findings_with(&r, "reply-ambiguous").len(),
        1,
        "{}",
        r["findings"]
    );
    let before = (row(&db), queue_rows(&state_db(&e)));
    let out = run(&e, &["repair", "--yes", "--send-unsent-replies"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        (row(&db), queue_rows(&state_db(&e))),
        before,
        "a duplicate is worse than a late reply"
    );
    assert!(
        !e.state().join("sessfix-backups").exists(),
        "nothing written"
    );

    // On 2026.9.6, `--send-unsent-replies` queues it as the smallest
    // outbound-prepared-v1 row the delivery oracle saw delivered, takes it
    // off the row (marked valid, as the gateway's writers do), and `undo`
    // puts both back.
    set(pending);
    let before = (row(&db), queue_rows(&state_db(&e)));
    let out = run(&e, &["repair", "--yes", "--send-unsent-replies"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (entry, ..) = row(&db);
    assert!(entry.get("pendingFinalDelivery").is_none());
    assert_eq!(entry_valid(&db), 1);
    let queued = queue_rows(&state_db(&e));
    assert_eq!(queued.len(), before.1.len() + 1);
    let (ns, status, json) = queued
        .iter()
        .find(|(ns, ..)| ns == "outbound-prepared-v1")
        .unwrap();
    assert_eq!(
        (ns.as_str(), status.as_str()),
        ("outbound-prepared-v1", "pending")
    );
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        json["preparedBatch"]["entries"][0]["payload"]["text"],
        "Done: the stand-in model answered."
    );
    assert!(
        json.get("payloads").is_none(),
        "that shape stops 2026.9.6's recovery"
    );
    assert!(
        findings_with(&scan(&e).0, "reply-unsent").is_empty(),
        "not queued twice"
    );
    let out = run(&e, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(before, (row(&db), queue_rows(&state_db(&e))));
}

/// Another release line than 2026.9.6 is not known to send such a row:
/// nothing is written, and the plan says why.
#[test]
fn a_final_reply_is_queued_only_where_the_row_is_known_to_be_sent() {
    let e = env("sqlite-tombstoned");
    let db = agent_db(&e);
    set_entry(&db, |m| {
        m.remove("mainRestartRecovery");
        m.insert("status".into(), "done".into());
        m.insert(
            "pendingFinalDelivery".into(),
            serde_json::json!({"kind": "replayable", "text": "late", "context": {"channel": "standin", "to": "x"}, "intentId": "i", "deliveries": [{"id": "d", "state": "prepared"}]}),
        );
    });
    let before = tree_digest(&e.state());
    let out = run(
        &e,
        &[
            "--openclaw-version",
            "2026.9.5",
            "repair",
            "--yes",
            "--send-unsent-replies",
        ],
    );
    assert_eq!(tree_digest(&e.state()), before, "{}", stderr(&out));
    let out = run(
        &e,
        &[
            "--openclaw-version",
            "2026.9.5",
            "repair",
            "--dry-run",
            "--send-unsent-replies",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("only where the release is 2026.9.6"));
}

fn queue_rows(db: &Path) -> Vec<(String, String, String)> {
    let c = Connection::open(db).unwrap();
    let mut s = c
        .prepare("SELECT queue_name, status, entry_json FROM delivery_queue_entries ORDER BY queue_name, id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn entry_valid(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT entry_valid FROM session_nodes WHERE session_key = ?1",
            [KEY],
            |r| r.get(0),
        )
        .unwrap()
}
