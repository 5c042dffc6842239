//! `sessfix repair` and `undo` on copies of the fixtures.

mod common;
use common::*;

fn tree(env: &Env) -> Vec<(String, u32, Vec<u8>)> {
    tree_digest(&env.state().join("agents"))
}

/// The fixtures whose index a start would lose without `--restore-index`
/// (an unparseable one; an empty one with an intact copy): exit 6.
const START_LOSES: &[&str] = &["invalid-index", "zero-index-complete-tmp"];

/// A repair's exit on fixture `f` when nothing went wrong: 0 or 1, or 6.
fn settled(f: &str, code: Option<i32>) -> bool {
    match code {
        Some(0 | 1) => true,
        Some(6) => START_LOSES.contains(&f),
        _ => false,
    }
}

#[test]
fn dry_run_never_writes() {
    for f in ALL_FIXTURES {
        let env = Env::fixture(f);
        let before = tree(&env);
        for args in [
            &["repair", "--dry-run"][..],
            &["repair", "--dry-run", "--diff"],
            &["repair", "--dry-run", "--json"],
        ] {
            let code = env.code(args);
            // 6: the unparseable index, which a start would overwrite.
            assert!(settled(f, code), "{f}: {args:?} exited {code:?}");
        }
        assert_eq!(before, tree(&env), "{f}: dry run changed the state");
    }
}

#[test]
fn after_repair_nothing_repairable_is_stranded_or_lost_and_a_second_run_changes_nothing() {
    for f in ALL_FIXTURES {
        let env = Env::fixture(f);
        let code = env.code(&["repair", "--yes", "--quiet"]);
        assert!(settled(f, code), "{f}: repair exited {code:?}");
        let (r, _) = env.scan_json();
        for s in r["sessions"].as_array().unwrap() {
            let nb = s["nextBoot"].as_str().unwrap();
            let live_lock = *f == "live-openclaw-lock-1min";
            let unparseable = *f == "invalid-index";
            if !live_lock && !unparseable {
                assert!(
                    nb != "stranded" && nb != "lost",
                    "{f}: {} still {nb}: {}",
                    s["key"],
                    s["reason"]
                );
            }
        }
        let after_first = tree(&env);
        let code = env.code(&["repair", "--yes", "--quiet"]);
        assert!(settled(f, code), "{f}: second repair exited {code:?}");
        assert_eq!(
            after_first,
            tree(&env),
            "{f}: the second repair changed bytes"
        );
    }
}

#[test]
fn the_reported_incident_is_repaired_with_a_one_field_change() {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    // The mode the gateway gives its index; repair must keep it.
    set_mode(&index, 0o600);
    let before = std::fs::read_to_string(&index).unwrap();
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let after = std::fs::read_to_string(&index).unwrap();
    assert_eq!(
        after,
        before.replace("\"abortedLastRun\": false", "\"abortedLastRun\": true")
    );
    assert!(
        !after.ends_with('\n'),
        "written as the gateway writes: no trailing newline"
    );
    assert_mode(&index, 0o600);
    let (r, code) = env.scan_json();
    assert_eq!(code, 0);
    assert_eq!(session(&r, FEISHU)["nextBoot"], "resume");
}

#[test]
fn untouched_entries_stay_byte_identical_in_a_large_index() {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    let text = std::fs::read_to_string(&index).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let template = v[FEISHU].clone();
    let obj = v.as_object_mut().unwrap();
    for i in 0..2000 {
        let mut e = template.clone();
        e["status"] = "done".into();
        e["sessionId"] = format!("idle-{i}").into();
        e["skillsSnapshot"]["prompt"] = "x".repeat(2000).into();
        obj.insert(format!("agent:main:telegram:direct:{i}"), e);
    }
    let big = sessfix::plan::js_stringify(&v);
    std::fs::write(&index, &big).unwrap();
    env.cmd()
        .args(["repair", "--yes", "--quiet"])
        .assert()
        .code(0);
    let after = std::fs::read_to_string(&index).unwrap();
    assert_eq!(after.len(), big.len() - 1, "only false -> true changed");
    assert_eq!(
        after,
        big.replacen("\"abortedLastRun\": false", "\"abortedLastRun\": true", 1)
    );
}

#[test]
fn refuses_while_a_gateway_is_live_and_changes_nothing() {
    let env = Env::fixture("graceful-restart");
    env.live_gateway(5150, 777);
    let before = tree(&env);
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pid 5150"));
    assert_eq!(before, tree(&env));
    // --force overrides a wrong verdict, and says so
    let out = env
        .cmd()
        .args(["repair", "--yes", "--force"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_ne!(before, tree(&env));
}

#[test]
fn live_openclaw_lock_is_never_removed() {
    let env = Env::fixture("live-openclaw-lock-1min");
    let before = tree(&env);
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a person must act");
    assert_eq!(before, tree(&env));
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pid 4200"));
}

#[test]
fn json5_index_is_rewritten_strict_with_the_same_content() {
    let env = Env::fixture("json5-trailing-comma-no-lock");
    let index = env.sessions("main").join("sessions.json");
    let before: serde_json::Value =
        json5::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let text = std::fs::read_to_string(&index).unwrap();
    let mut after: serde_json::Value = serde_json::from_str(&text).expect("strict JSON now");
    assert_eq!(after[FEISHU]["abortedLastRun"], true);
    after[FEISHU]["abortedLastRun"] = false.into();
    assert_eq!(before, after, "same content apart from the flag");
    assert_eq!(session(&env.scan_json().0, FEISHU)["nextBoot"], "resume");
}

#[test]
fn invalid_index_is_never_written() {
    let env = Env::fixture("invalid-index");
    let before = tree(&env);
    let out = env.cmd().args(["repair", "--yes"]).output().unwrap();
    // A start would overwrite it: the pre-start recipes stop on 6.
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DO NOT START THE GATEWAY"));
    assert_eq!(before, tree(&env));
}

#[test]
fn restart_artifacts_move_to_the_backup_and_the_session_resumes() {
    let env = Env::fixture("drain-timeout-artifacts");
    let t = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let before = std::fs::read_to_string(&t).unwrap();
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let after = std::fs::read_to_string(&t).unwrap();
    let lines: Vec<&str> = before.lines().collect();
    assert_eq!(
        after,
        lines[..lines.len() - 2]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    assert_eq!(session(&env.scan_json().0, FEISHU)["nextBoot"], "resume");
    let backups: Vec<_> = std::fs::read_dir(env.state().join("sessfix-backups"))
        .unwrap()
        .flatten()
        .collect();
    let dir = backups[0].path();
    assert_mode(&dir, 0o700);
    let saved: String = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("transcript-tail"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(saved.contains("openclaw:prompt-error") && saved.contains("\"aborted\""));
    // --keep-transcripts leaves the transcript alone
    let env = Env::fixture("drain-timeout-artifacts");
    let out = env
        .cmd()
        .args(["repair", "--yes", "--keep-transcripts"])
        .output()
        .unwrap();
    // the artifacts stay, and with them the warning: a person is needed
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = env.sessions("main").join(t.file_name().unwrap());
    assert_eq!(std::fs::read_to_string(kept).unwrap(), before);
}

#[test]
fn torn_last_line_is_cut_back() {
    let env = Env::fixture("torn-last-line");
    let t = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let after = std::fs::read_to_string(&t).unwrap();
    assert!(after.ends_with("}\n"));
    assert!(!after.contains("\"assis\n") && !after.contains("e999"));
    assert!(!codes(&env.scan_json().0).contains(&"transcript-torn".to_string()));
}

#[test]
fn leftovers_are_removed_and_undo_restores_everything() {
    let env = Env::fixture("leftovers");
    let before = tree(&env);
    // exit 1: a running row without a transcript remains, which the next
    // boot fails (the user must send the message again)
    env.cmd().args(["repair", "--yes"]).assert().code(1);
    let d = env.sessions("main");
    assert!(!d.join("sessions.json.lock").exists());
    assert!(!d
        .join("sessions.json.4f2a9c1e-aaaa-4bbb-8ccc-123456789abc.tmp")
        .exists());
    assert!(!d
        .join("00000003-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock")
        .exists());
    env.cmd().args(["undo", "--yes"]).assert().code(0);
    assert_eq!(before, tree(&env));
    // nothing left to undo
    env.cmd().args(["undo", "--yes"]).assert().code(3);
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn undo_after_a_run_killed_mid_phase_restores_exactly_what_was_changed() {
    // The manifest marks changes done once per phase: a run killed inside a
    // phase leaves changes made and not marked, which undo must still find,
    // and changes not made, which it must leave alone.
    for point in ["backed-up", "temp-written", "written", "remove", "removed"] {
        let env = Env::fixture("dead-pid-lock");
        let before = tree(&env);
        let mut child = env.spawn_stopped(point, &["repair", "--yes"]);
        child.kill().unwrap();
        child.wait().unwrap();
        if point == "removed" {
            let backups = env.state().join("sessfix-backups");
            let dir = std::fs::read_dir(&backups)
                .unwrap()
                .next()
                .unwrap()
                .unwrap();
            let m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap())
                    .unwrap();
            let unmarked = m["entries"].as_array().unwrap().iter().any(|e| {
                e["action"] == "remove"
                    && e["done"] == false
                    && !std::path::Path::new(e["path"].as_str().unwrap()).exists()
            });
            assert!(unmarked, "{point}: a removal made and not yet marked: {m}");
        }
        if point != "backed-up" {
            assert_ne!(
                before,
                tree(&env),
                "{point}: the killed run changed something"
            );
        }
        let out = env.cmd().args(["undo", "--yes"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{point}: {out:?}");
        assert_eq!(before, tree(&env), "{point}: undo restored the state");
        let said = String::from_utf8_lossy(&out.stdout);
        match point {
            "backed-up" => assert!(said.contains("nothing to restore"), "{said}"),
            "temp-written" => assert!(said.contains("the temp of that run"), "{said}"),
            _ => assert!(said.contains("restored"), "{point}: {said}"),
        }
    }
}

/// Killed between writing its temp and renaming it over the index: the index
/// is as it was, the temp holds the repaired index, and the next repair ends
/// exactly as a repair that was never interrupted, the temp removed.
#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_run_killed_before_its_rename_is_finished_by_the_next() {
    let clean = Env::fixture("dead-pid-lock");
    clean.cmd().args(["repair", "--yes"]).assert().code(0);
    let agents = |e: &Env| {
        let root = e.state().display().to_string();
        tree(e)
            .into_iter()
            .map(|(p, mode, b)| (p.replacen(&root, "", 1), mode, b))
            .collect::<Vec<_>>()
    };

    let env = Env::fixture("dead-pid-lock");
    let index = env.sessions("main").join("sessions.json");
    let before = std::fs::read(&index).unwrap();
    let mut child = env.spawn_stopped("temp-written", &["repair", "--yes"]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(&index).unwrap(),
        before,
        "renamed before the stop"
    );
    let temps: Vec<_> = std::fs::read_dir(env.sessions("main"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sessions.json.sessfix-"))
        .collect();
    assert_eq!(temps.len(), 1, "{temps:?}");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    assert_eq!(agents(&env), agents(&clean));
}

#[test]
fn undo_refuses_when_files_changed_since() {
    let env = Env::fixture("graceful-restart");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let index = env.sessions("main").join("sessions.json");
    std::fs::write(&index, "{}").unwrap();
    env.cmd().args(["undo", "--yes"]).assert().code(1);
    assert_eq!(std::fs::read_to_string(&index).unwrap(), "{}");
}

#[test]
fn without_a_terminal_it_needs_yes() {
    let env = Env::fixture("graceful-restart");
    let before = tree(&env);
    env.cmd().arg("repair").assert().code(2);
    assert_eq!(before, tree(&env));
}

#[test]
fn max_age_ends_old_stranded_sessions() {
    let env = Env::fixture("graceful-restart");
    env.cmd()
        .args(["repair", "--yes", "--max-age", "5m"])
        .assert()
        .code(0);
    let index = env.sessions("main").join("sessions.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp_millis();
    assert_eq!(v[FEISHU]["status"], "failed");
    assert_eq!(v[FEISHU]["abortedLastRun"], true);
    assert_eq!(v[FEISHU]["endedAt"], now);
    assert_eq!(v[FEISHU]["updatedAt"], now);
    assert_eq!(session(&env.scan_json().0, FEISHU)["nextBoot"], "idle");
    // a younger limit leaves it to be resumed
    let env = Env::fixture("graceful-restart");
    env.cmd()
        .args(["repair", "--yes", "--max-age", "1h"])
        .assert()
        .code(0);
    assert_eq!(session(&env.scan_json().0, FEISHU)["nextBoot"], "resume");
}

#[test]
#[cfg(unix)] // holds the run lock with flock(2), as sessfix takes it on Unix
fn concurrent_runs_are_refused() {
    // A cron run and a pre-start run never overlap: the second one refuses.
    let env = Env::fixture("graceful-restart");
    // The run lock is a flock on the state dir itself (no file of its own).
    let lock = std::fs::File::open(env.state()).unwrap();
    use std::os::fd::AsRawFd;
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let before = tree(&env);
    let out = env
        .cmd()
        .args(["repair", "--yes", "--lock-wait", "0s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another sessfix run"));
    assert_eq!(before, tree(&env));
}

/// Change an index as a gateway or a person would (every running row marked
/// done) and return what it now holds.
#[cfg(unix)] // for the runs stopped with signals
fn write_as_someone_else(index: &std::path::Path) -> String {
    let theirs = std::fs::read_to_string(index)
        .unwrap()
        .replace("\"running\"", "\"done\"");
    std::fs::write(index, &theirs).unwrap();
    theirs
}

const LOCK: &str = "0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock";

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn an_index_changed_after_the_plan_is_not_written_and_its_locks_stay() {
    // A gateway (or a person) writes the index while repair is stopped:
    // before the backups (the plan kept only the index's length and hash, so
    // the file is read again for the backup) and before the write.
    for point in ["planned", "write"] {
        let env = Env::fixture("dead-pid-lock");
        let index = env.sessions("main").join("sessions.json");
        let lock = env.sessions("main").join(LOCK);
        let lock_before = std::fs::read(&lock).unwrap();
        let child = env.spawn_stopped(point, &["repair", "--yes"]);
        let theirs = write_as_someone_else(&index);
        signal(&child, libc::SIGCONT);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{point}: stderr: {stderr}");
        assert!(
            stderr.contains(&index.display().to_string())
                && stderr.contains("changed since the plan"),
            "{point}: the operator is told which file: {stderr}"
        );
        assert_eq!(std::fs::read_to_string(&index).unwrap(), theirs, "{point}");
        assert_eq!(
            std::fs::read(&lock).unwrap(),
            lock_before,
            "{point}: lock kept"
        );
    }
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_second_index_changed_before_its_write_is_not_written_and_its_locks_stay() {
    // The first index written is compared with the bytes still held; a later
    // one is read again and hashed. Change the second while repair is stopped
    // before writing it: the first is written, the second and its lock stay.
    let env = Env::fixture("two-agents");
    let main = env.sessions("main").join("sessions.json");
    let ops = env.sessions("ops").join("sessions.json");
    let ops_lock = env
        .sessions("ops")
        .join("0000000b-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl.lock");
    let main_before = std::fs::read(&main).unwrap();
    let mut child = env.spawn_stopped("write", &["repair", "--yes"]);
    signal(&child, libc::SIGCONT);
    // Until the first index is written the process may still show the first
    // stop; after it, the next stop is the second index's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read(&main).unwrap() == main_before {
        assert!(
            std::time::Instant::now() < deadline,
            "first index never written"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    wait_stopped(&mut child, "write (the second index)");
    let theirs = write_as_someone_else(&ops);
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "stderr: {stderr}");
    assert!(stderr.contains(&ops.display().to_string()), "{stderr}");
    assert_ne!(
        std::fs::read(&main).unwrap(),
        main_before,
        "first index written"
    );
    assert_eq!(
        std::fs::read_to_string(&ops).unwrap(),
        theirs,
        "their write kept"
    );
    assert!(ops_lock.exists(), "the changed index's lock stays");
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_lock_changed_between_plan_and_removal_is_kept() {
    let env = Env::fixture("dead-pid-lock");
    let index = env.sessions("main").join("sessions.json");
    let lock = env.sessions("main").join(LOCK);
    let child = env.spawn_stopped("remove", &["repair", "--yes"]);
    // A new run took the lock: same path, new owner.
    let theirs = br#"{"pid":4242,"createdAt":"2026-11-24T02:59:59.000Z","starttime":9}"#;
    std::fs::write(&lock, theirs).unwrap();
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "stderr: {stderr}");
    assert!(stderr.contains(&lock.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&lock).unwrap(), theirs, "their lock kept");
    let idx = std::fs::read_to_string(&index).unwrap();
    assert!(
        idx.contains("\"abortedLastRun\": true"),
        "index was written"
    );
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_lock_replaced_by_another_file_with_the_same_bytes_is_kept() {
    let env = Env::fixture("dead-pid-lock");
    let lock = env.sessions("main").join(LOCK);
    let bytes = std::fs::read(&lock).unwrap();
    let child = env.spawn_stopped("remove", &["repair", "--yes"]);
    std::fs::remove_file(&lock).unwrap();
    std::fs::write(&lock, &bytes).unwrap(); // same content, new inode
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(std::fs::read(&lock).unwrap(), bytes);
}

#[test]
#[cfg(unix)] // stops, continues or kills a run with signals
fn a_transcript_changed_between_plan_and_cut_is_not_cut() {
    let env = Env::fixture("torn-last-line");
    let transcript = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let child = env.spawn_stopped("cut", &["repair", "--yes"]);
    let mut theirs = std::fs::read(&transcript).unwrap();
    theirs.extend_from_slice(b"\n");
    std::fs::write(&transcript, &theirs).unwrap();
    signal(&child, libc::SIGCONT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(std::fs::read(&transcript).unwrap(), theirs);
}

#[test]
fn json_output_with_nothing_to_change_still_gives_the_plan() {
    let env = Env::fixture("live-openclaw-lock-1min");
    let out = env
        .cmd()
        .args(["repair", "--yes", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a person must act");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"], serde_json::json!([]));
    assert_eq!(v["applied"], false);
    let left = v["plan"]["leftAlone"][0].as_str().unwrap();
    assert!(left.contains(FEISHU) && left.contains("4200"), "{left}");
}

#[test]
fn a_running_entry_without_a_valid_session_id_is_left_alone() {
    let env = Env::fixture("graceful-restart");
    let index = env.sessions("main").join("sessions.json");
    let text = std::fs::read_to_string(&index)
        .unwrap()
        .replace("\"0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50\"", "\"../x\"");
    std::fs::write(&index, &text).unwrap();
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("no valid sessionId"), "{plan}");
    env.code(&["repair", "--yes", "--quiet"]);
    assert_eq!(std::fs::read_to_string(&index).unwrap(), text);
}

#[test]
fn a_file_without_one_complete_json_line_is_not_cut() {
    let env = Env::fixture("aborted-no-lock");
    let t = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let bytes = b"\x00\x01\x02 not a transcript {\"type\":\"mess".to_vec();
    std::fs::write(&t, &bytes).unwrap();
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("no complete JSON line"), "{plan}");
    env.code(&["repair", "--yes", "--quiet"]);
    assert_eq!(std::fs::read(&t).unwrap(), bytes);
}

#[test]
fn a_large_temp_file_of_an_interrupted_index_write_is_removed_into_the_backup() {
    // A repair killed mid-write leaves `.sessions.json.sessfix-<pid>.tmp`, as
    // large as the index; the next run must clear it (found by
    // scripts/reliability.sh with a 1.4 MB index).
    let env = Env::fixture("graceful-restart");
    let tmp = env.sessions("main").join(".sessions.json.sessfix-4242.tmp");
    let bytes = vec![b'{'; 3 << 20];
    std::fs::write(&tmp, &bytes).unwrap();
    assert_eq!(env.code(&["repair", "--yes", "--quiet"]), Some(0));
    assert!(!tmp.exists());
    let backups = env.state().join("sessfix-backups");
    let run = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let kept = std::fs::read_dir(run.path())
        .unwrap()
        .flatten()
        .any(|f| std::fs::read(f.path()).unwrap() == bytes);
    assert!(kept, "the temp file's bytes are in the backup");
}

#[test]
fn a_lock_too_large_to_back_up_is_left_for_the_gateway() {
    let env = Env::fixture("dead-pid-lock");
    let lock = env.sessions("main").join(LOCK);
    let big = format!("{{\"pid\": 4000001, \"pad\": \"{}\"}}", "x".repeat(2 << 20));
    std::fs::write(&lock, &big).unwrap();
    let out = env.cmd().args(["repair", "--dry-run"]).output().unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("could not be read"), "{plan}");
    assert!(!plan.contains("remove "), "{plan}");
    env.code(&["repair", "--yes", "--quiet"]);
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), big);
}

#[test]
fn a_running_row_no_boot_selects_whose_transcript_is_gone_is_said_and_ended_on_request() {
    let env = Env::fixture("ghost-acp-running");
    let now = "2026-07-20T09:00:00Z";
    let acp = "agent:claude:acp:7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
    let run = |args: &[&str]| env.run_at(now, args);
    let out = run(&["scan", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(session(&r, acp)["nextBoot"], "skip");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "transcript-missing" && f["key"] == acp)
        .unwrap();
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("stays running forever"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains("--end-orphans"), "{f}");
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .contains("openclaw sessions cleanup --fix-missing"));
    // a repair that leaves it says so and exits 1
    let index = env.sessions("claude").join("sessions.json");
    let before = std::fs::read(&index).unwrap();
    let out = run(&["repair", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--end-orphans"));
    assert_eq!(std::fs::read(&index).unwrap(), before);
    // --end-orphans ends it as the gateway ends a session
    let out = run(&["repair", "--yes", "--end-orphans"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
    let e = &v[acp];
    assert_eq!(e["status"], "failed");
    assert_eq!(e["abortedLastRun"], true);
    let now_ms = chrono::DateTime::parse_from_rfc3339(now)
        .unwrap()
        .timestamp_millis();
    assert_eq!(e["endedAt"], now_ms);
}

/// A heartbeat's runtime context after the user's message (a
/// `custom_message` record, `openclaw.runtime-context`, not a message): the
/// turn is still the user's, so the stranded row is flagged and the next
/// boot resumes it. The real 2026.5.12 resumed such a row after repair (a
/// public report rebuilt and booted).
#[test]
fn a_runtime_context_record_after_the_user_message_keeps_the_turn_resumable() {
    let env = Env::fixture("graceful-restart");
    let t = env
        .sessions("main")
        .join("0b6c7f7e-3a1d-4a53-9d7e-1f1c2d3e4f50.jsonl");
    let mut text = std::fs::read_to_string(&t).unwrap();
    text.push_str(&serde_json::json!({"type": "custom_message", "customType": "openclaw.runtime-context",
        "content": "[heartbeat] runtime context", "display": false, "id": "e005", "parentId": "e004",
        "timestamp": "2026-11-24T02:46:41.000Z"}).to_string());
    text.push('\n');
    std::fs::write(&t, text).unwrap();
    let (r, _) = env.scan_json();
    let key = r["sessions"][0]["key"].as_str().unwrap().to_string();
    assert_eq!(session(&r, &key)["nextBoot"], "stranded", "{r:#}");
    assert!(!codes(&r).iter().any(|c| c == "tail-unresumable"), "{r:#}");
    env.cmd().args(["repair", "--yes"]).assert().code(0);
    let (r, _) = env.scan_json();
    assert_eq!(session(&r, &key)["nextBoot"], "resume", "{r:#}");
    assert_eq!(session(&r, &key)["abortedLastRun"], true);
}
